//! The `rsync` tool rule. (Being written: refuses every request.)

use super::{Context, ToolCall, names_program};
use crate::policy::tool::RsyncRule;

/// Whether `argv` asks for rsync.
pub fn addressed(rule: &RsyncRule, argv: &[String]) -> bool {
    argv.first()
        .is_some_and(|argv0| names_program(rule.program(), argv0))
}

/// Parses an addressed request.
pub fn check(
    _rule: &RsyncRule,
    _argv: &[String],
    _context: Context<'_>,
) -> Result<ToolCall, String> {
    Err("the rsync rule is not implemented yet".to_owned())
}
