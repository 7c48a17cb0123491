//! Learn mode: what a tool parser makes of a request no rule allows.
//!
//! The parsers are run under permissive internal rules (every path under
//! `/`) only to learn which tool, action and paths the request names, so
//! that the record can carry them for `sshgate suggest`. Nothing is
//! granted from these rules: the unmatched request runs under the
//! profile's `[sandbox]` alone.

use std::path::Path;

use serde::Deserialize;

use crate::policy::Sandbox;

/// Where a program run in learn mode may live: the system's program
/// trees, which only root changes. A file another profile uploaded, even
/// one owned by the account, is not a program to learn.
const SYSTEM_PROGRAM_TREES: &[&str] = &[
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/bin",
    "/sbin",
    "/usr/lib",
    "/usr/libexec",
];

/// Why `program` may not run in learn mode, if it may not: it must lie in
/// a system program tree or the profile's `exec`, and it must not be the
/// ELF loader, which runs any readable file it is given.
pub fn program_refusal(program: &Path, sandbox: &Sandbox) -> Option<String> {
    let name = program
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name.starts_with("ld-linux") || name.starts_with("ld.so") || name.starts_with("ld64.so") {
        return Some(format!(
            "learn mode does not run the dynamic loader {}: it would run any readable file",
            program.display()
        ));
    }
    let in_system = SYSTEM_PROGRAM_TREES
        .iter()
        .any(|tree| program.starts_with(tree));
    let in_exec = sandbox
        .exec
        .iter()
        .flatten()
        .any(|path| program.starts_with(path.get_ref().as_path()));
    if in_system || in_exec {
        return None;
    }
    Some(format!(
        "learn mode runs programs from the system's program trees ({}) or the profile's `exec` only, not {}",
        SYSTEM_PROGRAM_TREES.join(", "),
        program.display()
    ))
}

use super::tool::{self, Context, ToolRequest};
use crate::policy::tool::{BorgRule, GitRule, RsyncRule, ScpRule, SftpRule, Tool};

/// Rules that accept any path and every option a rule can allow, so that
/// the parsers refuse only what they cannot parse at all.
const PERMISSIVE: &str = r#"
[rsync]
send = ["/"]
receive = ["/"]
delete = true
[scp]
download = ["/"]
upload = ["/"]
recursive = true
preserve = true
[sftp]
read = ["/"]
write = ["/"]
[git]
read = ["/"]
write = ["/"]
archive = true
[borg]
repository = "/"
"#;

#[derive(Deserialize)]
struct Permissive {
    rsync: RsyncRule,
    scp: ScpRule,
    sftp: SftpRule,
    git: GitRule,
    borg: BorgRule,
}

/// The tool request `argv` makes, if a tool parser recognises it, with
/// relative paths taken from `chdir`.
pub fn parse(argv: &[String], chdir: &Path) -> Option<ToolRequest> {
    // A constant that fails to parse would be a bug caught by the unit
    // test below; at run time it only means the record has no paths.
    let rules: Permissive = toml::from_str(PERMISSIVE).ok()?;
    let tools = [
        Tool::Rsync(&rules.rsync),
        Tool::Scp(&rules.scp),
        Tool::Sftp(&rules.sftp),
        Tool::Git(&rules.git),
        Tool::Borg(&rules.borg),
    ];
    tools
        .into_iter()
        .filter(|rule| tool::addressed(*rule, argv))
        .find_map(|rule| tool::check(rule, argv, Context { chdir }).ok())
        .map(|call| call.request)
        .map(|request| match request.tool {
            // borg serve names its repository inside the protocol, not on
            // the command line: the permissive rule's "/" is no finding.
            "borg" => ToolRequest {
                paths: Vec::new(),
                ..request
            },
            _ => request,
        })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::decide::tool::test_argv;

    #[test]
    fn the_permissive_rules_parse() {
        assert!(toml::from_str::<Permissive>(PERMISSIVE).is_ok());
    }

    #[test]
    fn an_rsync_pull_names_its_paths() {
        let argv = test_argv("rsync --server --sender -logDtpre.iLsfxCIvu . /srv/data/a");
        let parsed = parse(&argv, Path::new("/home/u")).unwrap();
        assert_eq!((parsed.tool, parsed.action), ("rsync", "download"));
        assert_eq!(parsed.paths, vec![PathBuf::from("/srv/data/a")]);
    }

    #[test]
    fn relative_paths_are_taken_from_the_working_directory() {
        let argv = test_argv("scp -f notes.txt");
        let parsed = parse(&argv, Path::new("/home/u")).unwrap();
        assert_eq!((parsed.tool, parsed.action), ("scp", "download"));
        assert_eq!(parsed.paths, vec![PathBuf::from("/home/u/notes.txt")]);
    }

    #[test]
    fn borg_names_no_path_on_its_command_line() {
        let parsed = parse(&test_argv("borg serve"), Path::new("/")).unwrap();
        assert_eq!((parsed.tool, parsed.paths.len()), ("borg", 0));
    }

    #[test]
    fn other_commands_name_no_tool() {
        assert_eq!(parse(&test_argv("cat /etc/hostname"), Path::new("/")), None);
    }
}
