//! The `borg` tool rule. (Being written: refuses every request.)

use super::{Context, ToolCall, names_program};
use crate::policy::tool::BorgRule;

/// Whether `argv` asks for borg.
pub fn addressed(rule: &BorgRule, argv: &[String]) -> bool {
    argv.first()
        .is_some_and(|argv0| names_program(rule.program(), argv0))
}

/// Parses an addressed request.
pub fn check(
    _rule: &BorgRule,
    _argv: &[String],
    _context: Context<'_>,
) -> Result<ToolCall, String> {
    Err("the borg rule is not implemented yet".to_owned())
}
