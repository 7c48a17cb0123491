//! Learn mode: what a tool parser makes of a request no rule allows.
//!
//! The parsers are run under permissive internal rules (every path under
//! `/`) only to learn which tool, action and paths the request names, so
//! that the record can carry them for `sshgate suggest`. Nothing is
//! granted from these rules: the unmatched request runs under the
//! profile's `[sandbox]` alone.

use std::path::Path;

use serde::Deserialize;

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
