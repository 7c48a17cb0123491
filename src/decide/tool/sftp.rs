//! The `sftp` tool rule. (Being written: refuses every request.)

use super::{Context, ToolCall, names_program};
use crate::policy::tool::SftpRule;

/// Whether `argv` asks for sftp.
pub fn addressed(rule: &SftpRule, argv: &[String]) -> bool {
    argv.first()
        .is_some_and(|argv0| names_program(rule.program(), argv0))
}

/// Parses an addressed request.
pub fn check(
    _rule: &SftpRule,
    _argv: &[String],
    _context: Context<'_>,
) -> Result<ToolCall, String> {
    Err("the sftp rule is not implemented yet".to_owned())
}
