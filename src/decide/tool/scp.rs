//! The `scp` tool rule: the server side of the legacy protocol (`scp -O`
//! on the client), `scp -f PATH...` when the client downloads and
//! `scp -t PATH` when it uploads.
//!
//! The client writes its options as separate words (`scp -v -r -p -d -t
//! -- /srv/in`), `--` only before a path starting with `-`. The server
//! parses them with glibc's getopt, which also takes clusters (`-prt`)
//! and options after the paths (`scp -f /srv/a -r`); this parser does the
//! same, so the words it judges are the words scp would act on. The argv
//! executed is rebuilt from what was parsed, with `--` before the paths,
//! so scp cannot read any of them as an option.

use std::path::PathBuf;

use super::path::inside;
use super::{Context, ToolCall, ToolRequest, names_program};
use crate::decide::plan::Access;
use crate::policy::tool::{PathList, ScpRule};

/// Whether `argv` asks for scp.
pub fn addressed(rule: &ScpRule, argv: &[String]) -> bool {
    argv.first()
        .is_some_and(|argv0| names_program(rule.program(), argv0))
}

/// Parses `scp [-dprv] -f|-t [--] PATH...` under the rule.
pub fn check(rule: &ScpRule, argv: &[String], context: Context<'_>) -> Result<ToolCall, String> {
    let parsed = parse(argv)?;
    let direction = match (parsed.from, parsed.to) {
        (true, false) => Direction::Download,
        (false, true) => Direction::Upload,
        (true, true) => {
            return Err(
                "both -f and -t: a server-side scp sends (-f) or receives (-t), not both"
                    .to_owned(),
            );
        }
        (false, false) => {
            return Err(
                "neither -f nor -t: only scp's server side (-f to download, -t to upload) is allowed"
                    .to_owned(),
            );
        }
    };
    if parsed.recursive && !rule.recursive {
        return Err(
            "option -r (recursive copy) is refused: the rule does not set `recursive = true`"
                .to_owned(),
        );
    }
    if parsed.preserve && !rule.preserve {
        return Err(
            "option -p (preserve modes and times) is refused: the rule does not set `preserve = true`"
                .to_owned(),
        );
    }
    let (roots, list, access) = match direction {
        Direction::Download => (&rule.download, "download", Access::Read),
        Direction::Upload => (&rule.upload, "upload", Access::ReadWrite),
    };
    match (direction, parsed.paths.len()) {
        (_, 0) => return Err("no path: scp -f and scp -t need one".to_owned()),
        (Direction::Upload, count) if count > 1 => {
            return Err(format!(
                "scp -t takes one target, got {count} ({}): legacy scp sends a remote path \
                 with a space as two words",
                parsed.paths.join(" ")
            ));
        }
        _ => {}
    }
    let paths = parsed
        .paths
        .iter()
        .map(|client| inside(client, context.chdir, roots, list))
        .collect::<Result<Vec<PathBuf>, String>>()?;
    Ok(ToolCall {
        env: Vec::new(),
        argv: server_argv(rule, &parsed, direction, &paths),
        grants: grants(roots, access),
        chdir: None,
        request: ToolRequest {
            tool: "scp",
            action: direction.action(),
            paths,
            options: parsed.options(),
            forced: vec!["--".to_owned()],
        },
    })
}

/// Which way the file goes, from the client's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// `scp -f`: the server sends.
    Download,
    /// `scp -t`: the server receives.
    Upload,
}

impl Direction {
    fn action(self) -> &'static str {
        match self {
            Self::Download => "download",
            Self::Upload => "upload",
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Self::Download => "-f",
            Self::Upload => "-t",
        }
    }
}

/// The server-side options and paths as scp's getopt sees them.
#[derive(Debug, Default)]
struct Parsed<'a> {
    from: bool,
    to: bool,
    recursive: bool,
    preserve: bool,
    directory: bool,
    verbose: bool,
    paths: Vec<&'a str>,
}

impl Parsed<'_> {
    /// The client's options other than the direction, in the order the
    /// client writes them.
    fn options(&self) -> Vec<String> {
        [
            (self.verbose, "-v"),
            (self.recursive, "-r"),
            (self.preserve, "-p"),
            (self.directory, "-d"),
        ]
        .into_iter()
        .filter(|(set, _)| *set)
        .map(|(_, flag)| flag.to_owned())
        .collect()
    }
}

/// Splits options from paths as glibc's getopt does for scp: every word
/// starting with `-` (other than `-` itself) before `--` is an option
/// cluster, wherever it stands.
fn parse(argv: &[String]) -> Result<Parsed<'_>, String> {
    let mut parsed = Parsed::default();
    let mut words = argv.iter().skip(1);
    while let Some(word) = words.next() {
        if word == "--" {
            parsed.paths.extend(words.by_ref().map(String::as_str));
            break;
        }
        let Some(cluster) = word.strip_prefix('-').filter(|rest| !rest.is_empty()) else {
            parsed.paths.push(word);
            continue;
        };
        if cluster.starts_with('-') {
            return Err(format!(
                "option {word} is refused: scp takes no long options"
            ));
        }
        for letter in cluster.chars() {
            match letter {
                'f' => parsed.from = true,
                't' => parsed.to = true,
                'r' => parsed.recursive = true,
                'p' => parsed.preserve = true,
                'd' => parsed.directory = true,
                'v' => parsed.verbose = true,
                'S' => {
                    return Err(
                        "option -S is refused: it names a program for scp to run".to_owned()
                    );
                }
                other => {
                    return Err(format!(
                        "option -{other} is refused: scp's server side takes only -f, -t, -r, -p, -d and -v"
                    ));
                }
            }
        }
    }
    Ok(parsed)
}

/// `program [-v] [-r] [-p] [-d] -f|-t -- PATH...`, the paths absolute.
fn server_argv(
    rule: &ScpRule,
    parsed: &Parsed<'_>,
    direction: Direction,
    paths: &[PathBuf],
) -> Vec<String> {
    let mut argv = vec![rule.program().display().to_string()];
    argv.extend(parsed.options());
    argv.push(direction.flag().to_owned());
    argv.push("--".to_owned());
    argv.extend(paths.iter().map(|path| path.display().to_string()));
    argv
}

/// Every path of the request's direction, with its access: downloads read
/// the `download` trees, uploads read and write the `upload` trees.
fn grants(roots: &PathList, access: Access) -> Vec<(PathBuf, Access)> {
    roots
        .iter()
        .map(|root| (root.get_ref().as_path().to_path_buf(), access))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::decide::tool::test_argv;

    const RULE: &str = r#"download = ["/srv/pub", "/srv/docs"]
upload = ["/srv/in"]"#;

    const PERMISSIVE: &str = r#"download = ["/srv/pub", "/srv/docs"]
upload = ["/srv/in"]
recursive = true
preserve = true"#;

    fn rule(text: &str) -> ScpRule {
        toml::from_str(text).unwrap()
    }

    fn run(rule: &ScpRule, command: &str) -> Result<ToolCall, String> {
        let argv = test_argv(command);
        assert!(addressed(rule, &argv), "{command} is not addressed");
        check(
            rule,
            &argv,
            Context {
                chdir: Path::new("/srv/pub"),
            },
        )
    }

    /// `(rule, command, the exec'd argv)`. The first ones are what the
    /// real `scp -O` client sends (tests/client_strings.rs captures them).
    const ACCEPTED: &[(&str, &str, &str)] = &[
        (RULE, "scp -f /srv/pub/a", "/usr/bin/scp -f -- /srv/pub/a"),
        (RULE, "scp -t /srv/in/", "/usr/bin/scp -t -- /srv/in"),
        (RULE, "scp -t /srv/in", "/usr/bin/scp -t -- /srv/in"),
        (
            PERMISSIVE,
            "scp -r -p -t /srv/in/",
            "/usr/bin/scp -r -p -t -- /srv/in",
        ),
        (
            PERMISSIVE,
            "scp -v -r -p -d -t /srv/in",
            "/usr/bin/scp -v -r -p -d -t -- /srv/in",
        ),
        (RULE, "scp -d -t /srv/in", "/usr/bin/scp -d -t -- /srv/in"),
        (
            RULE,
            "scp -v -f /srv/docs/x",
            "/usr/bin/scp -v -f -- /srv/docs/x",
        ),
        (
            RULE,
            "scp -f -- /srv/pub/-rf",
            "/usr/bin/scp -f -- /srv/pub/-rf",
        ),
        (RULE, "scp -f -- -rf", "/usr/bin/scp -f -- /srv/pub/-rf"),
        // Relative paths resolve against the working directory.
        (RULE, "scp -f a/b", "/usr/bin/scp -f -- /srv/pub/a/b"),
        (RULE, "scp -f .", "/usr/bin/scp -f -- /srv/pub"),
        (RULE, "scp -f ./a//b/", "/usr/bin/scp -f -- /srv/pub/a/b"),
        // Legacy scp sends `/srv/my file` unquoted: two files to send.
        (
            RULE,
            "scp -f /srv/pub/my file",
            "/usr/bin/scp -f -- /srv/pub/my /srv/pub/file",
        ),
        (
            RULE,
            "scp -f /srv/pub/a /srv/docs/b",
            "/usr/bin/scp -f -- /srv/pub/a /srv/docs/b",
        ),
        // getopt takes clusters and options after the paths.
        (
            PERMISSIVE,
            "scp -prf /srv/pub",
            "/usr/bin/scp -r -p -f -- /srv/pub",
        ),
        (
            PERMISSIVE,
            "scp -f /srv/pub -r",
            "/usr/bin/scp -r -f -- /srv/pub",
        ),
        (
            RULE,
            "scp -f -f -v -v /srv/pub/a",
            "/usr/bin/scp -v -f -- /srv/pub/a",
        ),
        // A lone `-` is a name, not an option.
        (RULE, "scp -f -", "/usr/bin/scp -f -- /srv/pub/-"),
        (
            RULE,
            "/usr/bin/scp -f /srv/pub/a",
            "/usr/bin/scp -f -- /srv/pub/a",
        ),
    ];

    #[test]
    fn accepted_commands_run_scp_with_the_parsed_options_and_absolute_paths() {
        for (table, command, expected) in ACCEPTED {
            let rule = rule(table);
            let call = run(&rule, command).unwrap_or_else(|e| panic!("{command}: {e}"));
            assert_eq!(call.argv, test_argv(expected), "{command}");
        }
    }

    /// `(rule, command, the refusal)`.
    const REFUSED: &[(&str, &str, &str)] = &[
        (
            RULE,
            "scp -t /srv/pub",
            "path /srv/pub is outside the rule's `upload` paths (/srv/in)",
        ),
        (
            RULE,
            "scp -f /srv/in/secret",
            "path /srv/in/secret is outside the rule's `download` paths (/srv/pub, /srv/docs)",
        ),
        (
            RULE,
            "scp -f /etc/shadow",
            "path /etc/shadow is outside the rule's `download` paths (/srv/pub, /srv/docs)",
        ),
        (
            RULE,
            "scp -f /srv/public",
            "path /srv/public is outside the rule's `download` paths (/srv/pub, /srv/docs)",
        ),
        (
            RULE,
            "scp -f /srv/pub/a /etc/passwd",
            "path /etc/passwd is outside the rule's `download` paths (/srv/pub, /srv/docs)",
        ),
        (
            RULE,
            "scp -f /srv/pub/../../etc/shadow",
            "path \"/srv/pub/../../etc/shadow\" contains `..`",
        ),
        (RULE, "scp -f ..", "path \"..\" contains `..`"),
        (RULE, "scp -t in/..", "path \"in/..\" contains `..`"),
        (RULE, "scp -f ../in/x", "path \"../in/x\" contains `..`"),
        (
            RULE,
            "scp -r -t /srv/in",
            "option -r (recursive copy) is refused: the rule does not set `recursive = true`",
        ),
        (
            RULE,
            "scp -rf /srv/pub",
            "option -r (recursive copy) is refused: the rule does not set `recursive = true`",
        ),
        (
            RULE,
            "scp -f /srv/pub -r",
            "option -r (recursive copy) is refused: the rule does not set `recursive = true`",
        ),
        (
            RULE,
            "scp -p -f /srv/pub/a",
            "option -p (preserve modes and times) is refused: the rule does not set `preserve = true`",
        ),
        (
            PERMISSIVE,
            "scp -S /tmp/evil -f /srv/pub/a",
            "option -S is refused: it names a program for scp to run",
        ),
        (
            PERMISSIVE,
            "scp -fS/tmp/evil /srv/pub/a",
            "option -S is refused: it names a program for scp to run",
        ),
        (
            PERMISSIVE,
            "scp -O -f /srv/pub/a",
            "option -O is refused: scp's server side takes only -f, -t, -r, -p, -d and -v",
        ),
        (
            PERMISSIVE,
            "scp -D /usr/lib/openssh/sftp-server -f /srv/pub/a",
            "option -D is refused: scp's server side takes only -f, -t, -r, -p, -d and -v",
        ),
        (
            PERMISSIVE,
            "scp -oProxyCommand=sh -f /srv/pub/a",
            "option -o is refused: scp's server side takes only -f, -t, -r, -p, -d and -v",
        ),
        (
            PERMISSIVE,
            "scp -T -f /srv/pub/a",
            "option -T is refused: scp's server side takes only -f, -t, -r, -p, -d and -v",
        ),
        (
            PERMISSIVE,
            "scp -3 -f /srv/pub/a",
            "option -3 is refused: scp's server side takes only -f, -t, -r, -p, -d and -v",
        ),
        (
            PERMISSIVE,
            "scp --help",
            "option --help is refused: scp takes no long options",
        ),
        (
            PERMISSIVE,
            "scp -f -t /srv/in",
            "both -f and -t: a server-side scp sends (-f) or receives (-t), not both",
        ),
        (
            PERMISSIVE,
            "scp -ft /srv/in",
            "both -f and -t: a server-side scp sends (-f) or receives (-t), not both",
        ),
        (
            PERMISSIVE,
            "scp /srv/pub/a host:/tmp",
            "neither -f nor -t: only scp's server side (-f to download, -t to upload) is allowed",
        ),
        (
            PERMISSIVE,
            "scp -r -p",
            "neither -f nor -t: only scp's server side (-f to download, -t to upload) is allowed",
        ),
        (PERMISSIVE, "scp -f", "no path: scp -f and scp -t need one"),
        (
            PERMISSIVE,
            "scp -t --",
            "no path: scp -f and scp -t need one",
        ),
        (
            PERMISSIVE,
            "scp -t /srv/in/my file",
            "scp -t takes one target, got 2 (/srv/in/my file): legacy scp sends a remote path with a space as two words",
        ),
        (
            r#"download = ["/srv/pub"]"#,
            "scp -t /srv/pub",
            "path /srv/pub is refused: the rule's `upload` list is empty",
        ),
    ];

    #[test]
    fn refused_commands_name_the_option_or_path_and_why() {
        for (table, command, expected) in REFUSED {
            let rule = rule(table);
            assert_eq!(run(&rule, command).unwrap_err(), *expected, "{command}");
        }
    }

    #[test]
    fn other_programs_are_not_addressed() {
        let rule = rule(RULE);
        for command in ["sftp-server", "/usr/local/bin/scp", "scp2", "rsync"] {
            assert!(!addressed(&rule, &test_argv(command)), "{command}");
        }
        assert!(!addressed(&rule, &[]));
    }

    #[test]
    fn a_download_reads_the_download_trees_and_an_upload_writes_the_upload_trees() {
        let rule = rule(RULE);
        let download = run(&rule, "scp -f /srv/docs/x").unwrap();
        assert_eq!(
            download.grants,
            vec![
                (PathBuf::from("/srv/pub"), Access::Read),
                (PathBuf::from("/srv/docs"), Access::Read),
            ]
        );
        assert_eq!(download.request.action, "download");
        assert_eq!(download.request.paths, vec![PathBuf::from("/srv/docs/x")]);
        let upload = run(&rule, "scp -d -t /srv/in").unwrap();
        assert_eq!(
            upload.grants,
            vec![(PathBuf::from("/srv/in"), Access::ReadWrite)]
        );
        assert_eq!(upload.request.action, "upload");
        assert_eq!(upload.request.options, vec!["-d".to_owned()]);
        assert_eq!(upload.request.forced, vec!["--".to_owned()]);
    }
}
