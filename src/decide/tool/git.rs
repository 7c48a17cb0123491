//! The `git` tool rule. (Being written: refuses every request.)

use super::{Context, ToolCall, names_program};
use crate::policy::tool::GitRule;

/// Whether `argv` asks for git.
pub fn addressed(rule: &GitRule, argv: &[String]) -> bool {
    argv.first()
        .is_some_and(|argv0| names_program(rule.program(), argv0))
}

/// Parses an addressed request.
pub fn check(_rule: &GitRule, _argv: &[String], _context: Context<'_>) -> Result<ToolCall, String> {
    Err("the git rule is not implemented yet".to_owned())
}
