//! The `scp` tool rule. (Being written: refuses every request.)

use super::{Context, ToolCall, names_program};
use crate::policy::tool::ScpRule;

/// Whether `argv` asks for scp.
pub fn addressed(rule: &ScpRule, argv: &[String]) -> bool {
    argv.first()
        .is_some_and(|argv0| names_program(rule.program(), argv0))
}

/// Parses an addressed request.
pub fn check(_rule: &ScpRule, _argv: &[String], _context: Context<'_>) -> Result<ToolCall, String> {
    Err("the scp rule is not implemented yet".to_owned())
}
