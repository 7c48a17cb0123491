//! Tool rules at decision time: each tool's server-side command line,
//! parsed the way the tool itself parses it.
//!
//! A parser answers two questions. [`addressed`]: is this request for
//! the tool at all (`rsync --server ...`, `scp -t ...`)? Only then does
//! [`check`] parse it, failing closed on anything it does not know, and
//! turn it into a [`ToolCall`]: the argv to execute and the Landlock
//! grants, derived from the same rule paths the request was checked
//! against. Everything here is pure.

mod borg;
mod git;
mod path;
mod rsync;
mod scp;
mod sftp;

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::matching::names_program;
use super::plan::Access;
use crate::policy::tool::Tool;

/// What a tool rule made of an accepted request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// The argument vector to execute; `argv[0]` is the rule's program.
    pub argv: Vec<String>,
    /// Landlock grants beyond the system base and the program.
    pub grants: Vec<(PathBuf, Access)>,
    /// The working directory, when the tool needs a particular one.
    pub chdir: Option<PathBuf>,
    /// Environment variables the tool needs to run confined, set over the
    /// gate's usual ones and the rule's `env`: the sandbox a tool rule gets
    /// is fixed, so its setting cannot be the admin's to undo.
    pub env: Vec<(String, String)>,
    /// The parsed request, for `explain` and the audit record.
    pub request: ToolRequest,
}

/// A tool request in words: what the client asked for, as the tool would
/// understand it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolRequest {
    /// `"rsync"`, `"scp"`, `"sftp"`, `"git"` or `"borg"`.
    pub tool: &'static str,
    /// What the client does: `"download"`, `"upload"`, `"fetch"`,
    /// `"push"`, `"archive"`, `"session"` or `"serve"`.
    pub action: &'static str,
    /// The paths the request names, normalised and absolute.
    pub paths: Vec<PathBuf>,
    /// The client's options, as parsed.
    pub options: Vec<String>,
    /// Options the gate adds or forces on the server.
    pub forced: Vec<String>,
}

/// Where the request would run; what relative paths are relative to.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The command's working directory.
    pub chdir: &'a Path,
}

/// Whether `argv` is a request for `tool` at all: its program and the
/// words that select the server side. A rule that is not addressed is
/// skipped silently, like a command rule for another program.
pub fn addressed(tool: Tool<'_>, argv: &[String]) -> bool {
    match tool {
        Tool::Rsync(rule) => rsync::addressed(rule, argv),
        Tool::Scp(rule) => scp::addressed(rule, argv),
        Tool::Sftp(rule) => sftp::addressed(rule, argv),
        Tool::Git(rule) => git::addressed(rule, argv),
        Tool::Borg(rule) => borg::addressed(rule, argv),
    }
}

/// Parses an addressed request under `tool`'s rule. `Err` says, in words
/// for the client and the log, which option or path the rule refuses.
pub fn check(tool: Tool<'_>, argv: &[String], context: Context<'_>) -> Result<ToolCall, String> {
    match tool {
        Tool::Rsync(rule) => rsync::check(rule, argv, context),
        Tool::Scp(rule) => scp::check(rule, argv, context),
        Tool::Sftp(rule) => sftp::check(rule, argv, context),
        Tool::Git(rule) => git::check(rule, argv, context),
        Tool::Borg(rule) => borg::check(rule, argv, context),
    }
}

/// A command line split as the gate's tokenizer splits it, for the tools'
/// unit tables.
#[cfg(test)]
pub(crate) fn test_argv(command: &str) -> Vec<String> {
    crate::request::tokenize::split(command.as_bytes()).expect("the test command splits")
}
