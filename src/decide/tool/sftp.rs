//! The `sftp` tool rule: an sftp subsystem request, served by the system
//! `sftp-server` with options taken from the rule alone.
//!
//! For a subsystem request sshd puts its configured subsystem command
//! (`/usr/lib/openssh/sftp-server`, `internal-sftp`...) in
//! `SSH_ORIGINAL_COMMAND`. The client cannot choose any of its words, so
//! the rule accepts the bare command only: arguments can only come from
//! a client that asked to exec the server with options of its own (`-d /`
//! or a `-P` list it likes better), and sftp-server's options are the
//! rule's to set. Modern `scp` (without `-O`) arrives the same way.

use std::path::PathBuf;

use super::{Context, ToolCall, ToolRequest};
use crate::decide::plan::Access;
use crate::policy::tool::SftpRule;

/// Where sftp-server's syslog(3) sends its messages.
const SYSTEM_LOG: &str = "/dev/log";

/// Whether `argv` asks for sftp: its first word is one of the subsystem
/// commands the rule accepts.
pub fn addressed(rule: &SftpRule, argv: &[String]) -> bool {
    argv.first().is_some_and(|argv0| rule.accepts(argv0))
}

/// Refuses any argument after the subsystem command, and builds the
/// sftp-server command line from the rule.
pub fn check(rule: &SftpRule, argv: &[String], _context: Context<'_>) -> Result<ToolCall, String> {
    if let [command, arguments @ ..] = argv {
        if !arguments.is_empty() {
            return Err(format!(
                "arguments after {command} are refused ({}): sftp-server's options come from the rule; \
                 sshd's `Subsystem sftp` must name the server alone",
                arguments.join(" ")
            ));
        }
    }
    let forced = server_options(rule);
    let mut full_argv = vec![rule.program().display().to_string()];
    full_argv.extend(forced.iter().cloned());
    let grants = grants(rule);
    let start = rule
        .start
        .as_ref()
        .map(|start| start.get_ref().as_path().to_path_buf());
    Ok(ToolCall {
        env: Vec::new(),
        argv: full_argv,
        grants,
        chdir: start.clone(),
        request: ToolRequest {
            tool: "sftp",
            action: "session",
            paths: start.into_iter().collect(),
            options: Vec::new(),
            forced,
        },
    })
}

/// `read` as read grants, `write` as read-write grants, and with `log`,
/// the system log socket sftp-server sends its messages to (connecting
/// to it needs `unix = true` in the rule's sandbox).
fn grants(rule: &SftpRule) -> Vec<(PathBuf, Access)> {
    let read = rule.read.iter().map(|root| (root, Access::Read));
    let write = rule.write.iter().map(|root| (root, Access::ReadWrite));
    let mut grants: Vec<(PathBuf, Access)> = read
        .chain(write)
        .map(|(root, access)| (root.get_ref().as_path().to_path_buf(), access))
        .collect();
    if rule.log {
        grants.push((PathBuf::from(SYSTEM_LOG), Access::Read));
    }
    grants
}

/// sftp-server's options: `-R` without `write`, `-d` for `start`, the
/// log options and the request lists, each only when the rule asks.
fn server_options(rule: &SftpRule) -> Vec<String> {
    let mut options = Vec::new();
    if rule.write.is_empty() {
        options.push("-R".to_owned());
    }
    if let Some(start) = &rule.start {
        // sftp-server expands `%d`, `%u` and `%%` in -d, and exits on any
        // other `%`: doubled, every `%` stays the character written.
        let literal = start.get_ref().to_string().replace('%', "%%");
        options.extend(["-d".to_owned(), literal]);
    }
    if rule.log {
        options.extend(["-l", "INFO", "-f", "AUTHPRIV"].map(str::to_owned));
    }
    let lists = [("-p", &rule.allow_requests), ("-P", &rule.deny_requests)];
    for (flag, list) in lists {
        if let Some(list) = list {
            let names: Vec<&str> = list.get_ref().iter().map(|name| name.as_str()).collect();
            options.extend([flag.to_owned(), names.join(",")]);
        }
    }
    options
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::decide::tool::test_argv;

    fn rule(toml_text: &str) -> SftpRule {
        toml::from_str(toml_text).unwrap()
    }

    fn run(rule: &SftpRule, command: &str) -> Result<ToolCall, String> {
        let argv = test_argv(command);
        assert!(addressed(rule, &argv), "{command} is not addressed");
        check(
            rule,
            &argv,
            Context {
                chdir: Path::new("/home/u"),
            },
        )
    }

    const READ_ONLY: &str = r#"read = ["/srv/pub"]"#;

    /// `(rule, SSH_ORIGINAL_COMMAND, the exec'd argv)`.
    const ACCEPTED: &[(&str, &str, &str)] = &[
        (
            READ_ONLY,
            "/usr/lib/openssh/sftp-server",
            "/usr/lib/openssh/sftp-server -R",
        ),
        (
            READ_ONLY,
            "internal-sftp",
            "/usr/lib/openssh/sftp-server -R",
        ),
        (READ_ONLY, "sftp-server", "/usr/lib/openssh/sftp-server -R"),
        (
            READ_ONLY,
            "/usr/libexec/openssh/sftp-server",
            "/usr/lib/openssh/sftp-server -R",
        ),
        (
            r#"read = ["/srv/pub"]
               write = ["/srv/in"]"#,
            "internal-sftp",
            "/usr/lib/openssh/sftp-server",
        ),
        (
            r#"read = ["/srv/pub"]
               start = "/srv/pub/docs""#,
            "internal-sftp",
            "/usr/lib/openssh/sftp-server -R -d /srv/pub/docs",
        ),
        (
            r#"read = ["/srv/100%"]
               start = "/srv/100%/%u""#,
            "internal-sftp",
            "/usr/lib/openssh/sftp-server -R -d /srv/100%%/%%u",
        ),
        (
            r#"write = ["/srv/in"]
               log = true"#,
            "internal-sftp",
            "/usr/lib/openssh/sftp-server -l INFO -f AUTHPRIV",
        ),
        (
            r#"write = ["/srv/in"]
               allow_requests = ["open", "write", "close", "realpath"]
               deny_requests = ["readdir", "opendir"]"#,
            "internal-sftp",
            "/usr/lib/openssh/sftp-server -p open,write,close,realpath -P readdir,opendir",
        ),
        (
            r#"read = ["/srv/pub"]
               program = "/opt/ssh/libexec/sftp-server""#,
            "/opt/ssh/libexec/sftp-server",
            "/opt/ssh/libexec/sftp-server -R",
        ),
        (
            r#"read = ["/srv/pub"]
               accept = ["/opt/sftp-server"]"#,
            "/opt/sftp-server",
            "/usr/lib/openssh/sftp-server -R",
        ),
    ];

    #[test]
    fn accepted_requests_run_sftp_server_with_the_rules_options() {
        for (table, command, expected) in ACCEPTED {
            let call = run(&rule(table), command).unwrap_or_else(|e| panic!("{command}: {e}"));
            assert_eq!(call.argv, test_argv(expected), "{table}\n{command}");
            assert_eq!(call.request.forced, test_argv(expected)[1..].to_vec());
        }
    }

    /// `(SSH_ORIGINAL_COMMAND, the refusal)`, under the read-only rule.
    const REFUSED: &[(&str, &str)] = &[
        (
            "/usr/lib/openssh/sftp-server -d /",
            "arguments after /usr/lib/openssh/sftp-server are refused (-d /): sftp-server's options come from the rule; sshd's `Subsystem sftp` must name the server alone",
        ),
        (
            "internal-sftp -l INFO",
            "arguments after internal-sftp are refused (-l INFO): sftp-server's options come from the rule; sshd's `Subsystem sftp` must name the server alone",
        ),
        (
            "sftp-server -P realpath",
            "arguments after sftp-server are refused (-P realpath): sftp-server's options come from the rule; sshd's `Subsystem sftp` must name the server alone",
        ),
        (
            "sftp-server -R",
            "arguments after sftp-server are refused (-R): sftp-server's options come from the rule; sshd's `Subsystem sftp` must name the server alone",
        ),
    ];

    #[test]
    fn arguments_after_the_subsystem_command_are_refused() {
        let rule = rule(READ_ONLY);
        for (command, expected) in REFUSED {
            assert_eq!(run(&rule, command).unwrap_err(), *expected, "{command}");
        }
    }

    #[test]
    fn other_programs_are_not_addressed() {
        let default = rule(READ_ONLY);
        let narrowed = rule(
            r#"read = ["/srv/pub"]
               accept = ["internal-sftp"]"#,
        );
        for command in [
            "scp",
            "/usr/bin/sftp",
            "sftp",
            "/tmp/sftp-server",
            "sftp-server2",
        ] {
            assert!(!addressed(&default, &test_argv(command)), "{command}");
        }
        assert!(!addressed(&default, &[]));
        assert!(addressed(&narrowed, &test_argv("internal-sftp")));
        assert!(!addressed(
            &narrowed,
            &test_argv("/usr/lib/openssh/sftp-server")
        ));
    }

    #[test]
    fn grants_are_the_rules_read_and_write_paths_and_start_is_the_chdir() {
        let call = run(
            &rule(
                r#"read = ["/srv/pub", "/srv/docs"]
                   write = ["/srv/in"]
                   start = "/srv/in""#,
            ),
            "internal-sftp",
        )
        .unwrap();
        assert_eq!(
            call.grants,
            vec![
                (PathBuf::from("/srv/pub"), Access::Read),
                (PathBuf::from("/srv/docs"), Access::Read),
                (PathBuf::from("/srv/in"), Access::ReadWrite),
            ]
        );
        assert_eq!(call.chdir, Some(PathBuf::from("/srv/in")));
        assert_eq!(call.request.action, "session");
        let without_start = run(&rule(READ_ONLY), "internal-sftp").unwrap();
        assert_eq!(without_start.chdir, None);
    }

    #[test]
    fn a_logging_rule_also_grants_the_system_log_socket() {
        let call = run(
            &rule(
                r#"write = ["/srv/in"]
                   log = true"#,
            ),
            "internal-sftp",
        )
        .unwrap();
        assert_eq!(
            call.grants,
            vec![
                (PathBuf::from("/srv/in"), Access::ReadWrite),
                (PathBuf::from("/dev/log"), Access::Read),
            ]
        );
    }

    /// `(table, the load error it starts with)`.
    const INVALID: &[(&str, &str)] = &[
        (
            r#"read = ["/srv/pub"]
               start = "/srv/other""#,
            "`start` /srv/other is outside the rule's `read` and `write` paths",
        ),
        (
            r#"read = ["/srv/pub"]
               start = "/srv/public""#,
            "`start` /srv/public is outside the rule's `read` and `write` paths",
        ),
        (
            r#"write = ["/srv/in"]
               allow_requests = []"#,
            "`allow_requests` is empty, so sftp-server would refuse every request",
        ),
        (
            r#"write = ["/srv/in"]
               deny_requests = ["list"]"#,
            "unknown sftp request \"list\": sftp-server knows open, close,",
        ),
        (
            r#"write = ["/srv/in"]
               allow_requests = ["posix-rename@openssh.com"]"#,
            "unknown sftp request \"posix-rename@openssh.com\"",
        ),
        (
            r#"read = ["/srv/pub"]
               accept = []"#,
            "`accept` is empty, so the rule could never be used",
        ),
        (
            r#"read = ["/srv/pub"]
               accept = ["sftp-server -e"]"#,
            "`accept` entry \"sftp-server -e\" must be one word",
        ),
        (
            r#"read = ["/srv/pub"]
               accept = ["libexec/sftp-server"]"#,
            "`accept` entry \"libexec/sftp-server\" must be one word",
        ),
        (
            r#"read = ["/srv/pub"]
               readonly = true"#,
            "unknown field `readonly`",
        ),
    ];

    #[test]
    fn invalid_tables_are_refused_when_the_policy_loads() {
        for (table, expected) in INVALID {
            let error = toml::from_str::<SftpRule>(table).unwrap_err().to_string();
            assert!(error.contains(expected), "{table}\n{error}");
        }
    }
}
