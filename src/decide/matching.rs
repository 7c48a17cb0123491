//! Matching a split command line against one rule's command pattern.

use std::path::Path;

use crate::policy::CommandPattern;

/// How a command line relates to one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleMatch {
    /// The rule allows the command.
    Matched,
    /// The rule runs a different program; not worth mentioning.
    OtherProgram,
    /// Same program, but the arguments differ; `agreed` leading arguments
    /// matched before `detail` went wrong.
    NearMiss {
        /// How many arguments after the program matched.
        agreed: usize,
        /// What the rule expected instead, in words.
        detail: String,
    },
    /// Same program, but a regex the rule needs for this command cannot be
    /// compiled, so whether the rule allows it cannot be told.
    Unusable {
        /// Which argument, and why its pattern cannot be compiled.
        detail: String,
    },
}

/// Whether the client's `argv[0]` names `program`: either its
/// absolute path, or its bare file name. Any other path (`/tmp/df`,
/// `../bin/df`) does not match, since the exec never uses the client's path.
///
/// Shared by command rules, tool rules and `suggest`, so that a program is
/// named the same way wherever a request is matched against one.
pub fn names_program(program: &Path, argv0: &str) -> bool {
    program.to_str() == Some(argv0)
        || (!argv0.contains('/') && program.file_name().and_then(|n| n.to_str()) == Some(argv0))
}

/// Compares `argv` with a `command` rule: its `pattern`, and whether it
/// takes `trailing_args`.
pub fn match_rule(pattern: &CommandPattern, trailing_args: bool, argv: &[String]) -> RuleMatch {
    let Some((argv0, args)) = argv.split_first() else {
        return RuleMatch::OtherProgram;
    };
    if !names_program(pattern.program.as_path(), argv0) {
        return RuleMatch::OtherProgram;
    }
    for (index, expected) in pattern.args.iter().enumerate() {
        let position = index + 1;
        match args.get(index) {
            None => {
                return RuleMatch::NearMiss {
                    agreed: index,
                    detail: format!(
                        "expects {expected} as argument {position}, but the command ends"
                    ),
                };
            }
            Some(actual) => match expected.matches(actual) {
                Ok(true) => {}
                Ok(false) => {
                    return RuleMatch::NearMiss {
                        agreed: index,
                        detail: format!(
                            "expects {expected} as argument {position}, got {actual:?}"
                        ),
                    };
                }
                Err(why) => {
                    return RuleMatch::Unusable {
                        detail: format!("argument {position}: {why}"),
                    };
                }
            },
        }
    }
    if args.len() > pattern.args.len() && !trailing_args {
        return RuleMatch::NearMiss {
            agreed: pattern.args.len(),
            detail: format!(
                "takes exactly {} argument(s) and has no `trailing_args`, got {}",
                pattern.args.len(),
                args.len()
            ),
        };
    }
    RuleMatch::Matched
}
