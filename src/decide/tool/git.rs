//! The `git` tool rule: the server side of `git clone`, `fetch` and
//! `ls-remote` (`git-upload-pack`), of `git push` (`git-receive-pack`)
//! and, when the rule sets `archive = true`, of `git archive --remote`
//! (`git-upload-archive`).
//!
//! A git client sends the service and one quoted repository path, nothing
//! else (`git-upload-pack '/srv/git/repo.git'`). The options the services
//! take (`--strict`, `--timeout`, `--stateless-rpc`, `--advertise-refs`,
//! `--http-backend-info-refs`) are for `git daemon` and `git
//! http-backend`, never sent over ssh, so every option is refused.
//!
//! Which repository a path names is decided the way git's `enter_repo`
//! does: trailing slashes dropped, then `PATH/.git`, `PATH`,
//! `PATH.git/.git` and `PATH.git` tried in that order. The first of those
//! that the rule lists is the repository; git then runs on that exact
//! path (`upload-pack --strict`, so it searches no further), and the
//! Landlock grant is that one repository only.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::path::normalise;
use super::{Context, ToolCall, ToolRequest, names_program};
use crate::decide::plan::Access;
use crate::policy::tool::{GitRule, PathList};

/// The environment every git service runs with, whatever the sandbox's
/// `env` says. git reads `/etc/gitconfig` and `~/.gitconfig`, which the
/// sandbox does not grant (git then stops: "unknown error occurred while
/// reading the configuration files"), and which could set
/// `uploadpack.packObjectsHook` or `safe.directory`, honoured only from
/// there: the repository's own config is the only one read. For the same
/// reason upload-archive reads no `/etc/gitattributes`.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("GIT_CONFIG_NOSYSTEM", "1"),
    ("GIT_CONFIG_GLOBAL", "/dev/null"),
    ("GIT_ATTR_NOSYSTEM", "1"),
];

/// git's `enter_repo` suffixes, in the order it tries them.
const SUFFIXES: [&str; 4] = ["/.git", "", ".git/.git", ".git"];

/// A git service reachable over ssh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    /// `git-upload-pack`: clone, fetch, ls-remote.
    UploadPack,
    /// `git-receive-pack`: push.
    ReceivePack,
    /// `git-upload-archive`: `git archive --remote`.
    UploadArchive,
}

impl Service {
    const ALL: [Service; 3] = [Self::UploadPack, Self::ReceivePack, Self::UploadArchive];

    /// The subcommand, as in `git upload-pack`.
    fn subcommand(self) -> &'static str {
        match self {
            Self::UploadPack => "upload-pack",
            Self::ReceivePack => "receive-pack",
            Self::UploadArchive => "upload-archive",
        }
    }

    /// The dashed program name git clients send, as in `git-upload-pack`.
    fn dashed(self) -> String {
        format!("git-{}", self.subcommand())
    }

    fn from_subcommand(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.subcommand() == word)
    }

    fn from_dashed(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.dashed() == word)
    }

    /// What the client does, for the request record.
    fn action(self) -> &'static str {
        match self {
            Self::UploadPack => "fetch",
            Self::ReceivePack => "push",
            Self::UploadArchive => "archive",
        }
    }
}

/// Whether `argv` asks for git: `git ...` (the rule's program, by path or
/// name), or a service by its dashed name (`git-upload-pack`, bare or
/// beside the rule's program).
pub fn addressed(rule: &GitRule, argv: &[String]) -> bool {
    argv.first()
        .is_some_and(|argv0| names_program(rule.program(), argv0) || dashed(rule, argv0).is_some())
}

/// The service `argv0` names by its dashed name: bare, or in the
/// directory of the rule's program (`/usr/bin/git-upload-pack`).
fn dashed(rule: &GitRule, argv0: &str) -> Option<Service> {
    let name = match argv0.rsplit_once('/') {
        None => argv0,
        Some((dir, name)) => {
            let beside = rule.program().parent()?;
            if Path::new(if dir.is_empty() { "/" } else { dir }) != beside {
                return None;
            }
            name
        }
    };
    Service::from_dashed(name)
}

/// Parses an addressed request: the service, then exactly one repository
/// path, which must name a listed repository.
pub fn check(rule: &GitRule, argv: &[String], context: Context<'_>) -> Result<ToolCall, String> {
    let (service, arguments) = service(rule, argv)?;
    let name = service.dashed();
    if service == Service::UploadArchive && !rule.archive {
        return Err(format!(
            "{name} (`git archive --remote`) is refused: the rule does not set `archive = true`"
        ));
    }
    if let Some(option) = arguments.iter().find(|a| a.starts_with('-')) {
        return Err(format!(
            "option {option:?} of {name} is refused: a git client sends only the repository path"
        ));
    }
    let client = match arguments {
        [] => return Err(format!("{name} without a repository path")),
        [path] => path.as_str(),
        more => {
            return Err(format!(
                "{name} takes one repository path, got {}: {more:?}",
                more.len()
            ));
        }
    };
    let (repository, writable) = repository(rule, client, context.chdir)?;
    if service == Service::ReceivePack && !writable {
        return Err(format!(
            "push to repository {} is refused: the rule lists it in `read`, not `write`",
            repository.display()
        ));
    }
    Ok(call(rule, service, repository))
}

/// The service and its arguments: `git-upload-pack ARGS` or `git
/// upload-pack ARGS`.
fn service<'a>(rule: &GitRule, argv: &'a [String]) -> Result<(Service, &'a [String]), String> {
    let Some((argv0, rest)) = argv.split_first() else {
        return Err("an empty command".to_owned());
    };
    if let Some(service) = dashed(rule, argv0) {
        return Ok((service, rest));
    }
    let Some((word, rest)) = rest.split_first() else {
        return Err(
            "git without a subcommand is refused: a git client sends git-upload-pack, \
                    git-receive-pack or git-upload-archive"
                .to_owned(),
        );
    };
    if word.starts_with('-') {
        return Err(format!(
            "git option {word:?} before the subcommand is refused: a git client sends none"
        ));
    }
    match Service::from_subcommand(word) {
        Some(service) => Ok((service, rest)),
        None => Err(format!(
            "git subcommand {word:?} is refused: the rule serves only upload-pack, \
             receive-pack and upload-archive"
        )),
    }
}

/// The listed repository the client's path names, and whether it is in
/// `write`. The candidates are git's own, in git's order; each is
/// normalised (`..` refused) and compared whole against the lists.
fn repository(rule: &GitRule, client: &str, chdir: &Path) -> Result<(PathBuf, bool), String> {
    if client.starts_with('~') {
        return Err(format!(
            "repository {client:?} starts with `~`, which git would expand to a home directory: \
             name the repository by its absolute path"
        ));
    }
    // What enter_repo does first: drop trailing slashes, but keep "/".
    let trimmed = match client.trim_end_matches('/') {
        "" if !client.is_empty() => "/",
        trimmed => trimmed,
    };
    // Refuses `..` and the empty path in the client's own words.
    normalise(trimmed, chdir)?;
    let mut tried = Vec::with_capacity(SUFFIXES.len());
    for suffix in SUFFIXES {
        let candidate = normalise(&format!("{trimmed}{suffix}"), chdir)?;
        let listed = |list: &PathList| {
            list.iter()
                .any(|repo| repo.get_ref().as_path() == candidate)
        };
        if listed(&rule.write) {
            return Ok((candidate, true));
        }
        if listed(&rule.read) {
            return Ok((candidate, false));
        }
        tried.push(candidate.display().to_string());
    }
    Err(format!(
        "repository {client:?} is not listed: none of {} is in the rule's `read` or `write` \
         repositories",
        tried.join(", ")
    ))
}

/// The exec of `service` on `repository`, and its grants: the repository
/// (read-write only for a push) and git's exec-path.
fn call(rule: &GitRule, service: Service, repository: PathBuf) -> ToolCall {
    let exec_path = rule.exec_path();
    let mut exec_path_option = OsString::from("--exec-path=");
    exec_path_option.push(exec_path);
    let exec_path_option = exec_path_option.to_string_lossy().into_owned();
    let mut forced = vec![exec_path_option.clone()];
    // upload-pack alone has --strict (use this exact path, try no
    // suffix); receive-pack and upload-archive have no such option, and
    // upload-archive no `--` either. The path is absolute, so it cannot
    // pass for an option.
    let mut argv = vec![
        rule.program().display().to_string(),
        exec_path_option,
        service.subcommand().to_owned(),
    ];
    match service {
        Service::UploadPack => {
            argv.extend(["--strict".to_owned(), "--".to_owned()]);
            forced.push("--strict".to_owned());
        }
        Service::ReceivePack => argv.push("--".to_owned()),
        Service::UploadArchive => {}
    }
    argv.push(repository.display().to_string());
    forced.extend(
        ENVIRONMENT
            .iter()
            .map(|(name, value)| format!("{name}={value}")),
    );
    let access = match service {
        Service::ReceivePack => Access::ReadWrite,
        Service::UploadPack | Service::UploadArchive => Access::Read,
    };
    ToolCall {
        env: ENVIRONMENT
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect(),
        argv,
        grants: vec![
            (repository.clone(), access),
            (exec_path.to_path_buf(), Access::Execute),
        ],
        chdir: None,
        request: ToolRequest {
            tool: "git",
            action: service.action(),
            paths: vec![repository],
            options: Vec::new(),
            forced,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::tool::test_argv;

    /// The rule of most cases: two read repositories, one write, one work
    /// tree's git directory, a name listed with and without `.git`, and a
    /// repository beneath the account's home.
    const RULE: &str = r#"
        read = ["/srv/git/project.git", "/srv/git/work/.git", "/srv/git/both",
                "/srv/git/both.git", "/home/git/repos/mine.git", "/srv/git/twice.git"]
        write = ["/srv/git/shared.git", "/srv/git/twice.git"]
    "#;

    const HOME: &str = "/home/git";

    fn rule(text: &str) -> GitRule {
        toml::from_str(text).unwrap()
    }

    fn run(rule: &GitRule, command: &str) -> Result<ToolCall, String> {
        let argv = test_argv(command);
        assert!(addressed(rule, &argv), "{command} is not addressed");
        check(
            rule,
            &argv,
            Context {
                chdir: Path::new(HOME),
            },
        )
    }

    /// `(client command, action, repository)` of accepted requests.
    const ACCEPTED: &[(&str, &str, &str)] = &[
        // What git clients send: the dashed name, the path single-quoted.
        (
            "git-upload-pack '/srv/git/project.git'",
            "fetch",
            "/srv/git/project.git",
        ),
        (
            "git-receive-pack '/srv/git/shared.git'",
            "push",
            "/srv/git/shared.git",
        ),
        // `remote.*.uploadpack = "git upload-pack"` and friends.
        (
            "git upload-pack /srv/git/project.git",
            "fetch",
            "/srv/git/project.git",
        ),
        (
            "git receive-pack /srv/git/shared.git",
            "push",
            "/srv/git/shared.git",
        ),
        (
            "/usr/bin/git upload-pack /srv/git/project.git",
            "fetch",
            "/srv/git/project.git",
        ),
        (
            "/usr/bin/git-upload-pack /srv/git/project.git",
            "fetch",
            "/srv/git/project.git",
        ),
        (
            "/usr/bin/git-receive-pack /srv/git/shared.git",
            "push",
            "/srv/git/shared.git",
        ),
        // enter_repo's suffixes and trailing slashes.
        (
            "git-upload-pack '/srv/git/project'",
            "fetch",
            "/srv/git/project.git",
        ),
        (
            "git-upload-pack '/srv/git/project/'",
            "fetch",
            "/srv/git/project.git",
        ),
        (
            "git-upload-pack '/srv/git/project.git/'",
            "fetch",
            "/srv/git/project.git",
        ),
        (
            "git-upload-pack '/srv/git/project.git///'",
            "fetch",
            "/srv/git/project.git",
        ),
        (
            "git-receive-pack '/srv/git/shared'",
            "push",
            "/srv/git/shared.git",
        ),
        (
            "git-upload-pack '/srv/git/work'",
            "fetch",
            "/srv/git/work/.git",
        ),
        (
            "git-upload-pack '/srv/git/work/.git'",
            "fetch",
            "/srv/git/work/.git",
        ),
        // `both` and `both.git` are listed: git tries PATH before PATH.git.
        ("git-upload-pack '/srv/git/both'", "fetch", "/srv/git/both"),
        (
            "git-upload-pack '/srv/git/both.git'",
            "fetch",
            "/srv/git/both.git",
        ),
        // Redundant `.` and slashes name the same directory.
        (
            "git-upload-pack '/srv/git/./project.git'",
            "fetch",
            "/srv/git/project.git",
        ),
        (
            "git-upload-pack '//srv//git/project.git'",
            "fetch",
            "/srv/git/project.git",
        ),
        // Relative to the working directory, the account's home here.
        (
            "git-upload-pack 'repos/mine.git'",
            "fetch",
            "/home/git/repos/mine.git",
        ),
        (
            "git-upload-pack 'repos/mine'",
            "fetch",
            "/home/git/repos/mine.git",
        ),
        (
            "git-upload-pack './repos/mine/'",
            "fetch",
            "/home/git/repos/mine.git",
        ),
        // A write repository may be fetched too; one in both lists pushed.
        (
            "git-upload-pack '/srv/git/shared.git'",
            "fetch",
            "/srv/git/shared.git",
        ),
        (
            "git-receive-pack '/srv/git/twice.git'",
            "push",
            "/srv/git/twice.git",
        ),
    ];

    #[test]
    fn accepted_requests_run_git_on_the_listed_repository() {
        let rule = rule(RULE);
        for (command, action, repository) in ACCEPTED {
            let call = run(&rule, command).unwrap_or_else(|e| panic!("{command}: {e}"));
            assert_eq!(call.request.action, *action, "{command}");
            assert_eq!(call.request.paths, [PathBuf::from(repository)], "{command}");
            let expected: Vec<&str> = match *action {
                "fetch" => vec![
                    "/usr/bin/git",
                    "--exec-path=/usr/lib/git-core",
                    "upload-pack",
                    "--strict",
                    "--",
                    repository,
                ],
                _ => vec![
                    "/usr/bin/git",
                    "--exec-path=/usr/lib/git-core",
                    "receive-pack",
                    "--",
                    repository,
                ],
            };
            assert_eq!(call.argv, expected, "{command}");
            let access = if *action == "push" {
                Access::ReadWrite
            } else {
                Access::Read
            };
            assert_eq!(
                call.grants,
                [
                    (PathBuf::from(repository), access),
                    (PathBuf::from("/usr/lib/git-core"), Access::Execute),
                ],
                "{command}"
            );
            assert_eq!(call.chdir, None);
            assert!(call.request.options.is_empty());
        }
    }

    #[test]
    fn a_path_with_a_quote_and_a_space_is_one_repository() {
        let rule = rule(r#"read = ["/srv/git/it's a repo.git"]"#);
        let call = run(&rule, r"git-upload-pack '/srv/git/it'\''s a repo'").unwrap();
        assert_eq!(
            call.argv.last().map(String::as_str),
            Some("/srv/git/it's a repo.git")
        );
    }

    /// `(client command, refusal)` under [`RULE`].
    const REFUSED: &[(&str, &str)] = &[
        (
            "git-receive-pack '/srv/git/project.git'",
            "push to repository /srv/git/project.git is refused: the rule lists it in `read`, not `write`",
        ),
        (
            "git receive-pack '/srv/git/project'",
            "push to repository /srv/git/project.git is refused: the rule lists it in `read`, not `write`",
        ),
        (
            "git-upload-pack '/srv/git/secret.git'",
            "repository \"/srv/git/secret.git\" is not listed: none of /srv/git/secret.git/.git, \
             /srv/git/secret.git, /srv/git/secret.git.git/.git, /srv/git/secret.git.git is in the \
             rule's `read` or `write` repositories",
        ),
        (
            "git-upload-pack 'project.git'",
            "repository \"project.git\" is not listed: none of /home/git/project.git/.git, \
             /home/git/project.git, /home/git/project.git.git/.git, /home/git/project.git.git is \
             in the rule's `read` or `write` repositories",
        ),
        // Whole paths only: no prefix, no directory inside a repository.
        (
            "git-upload-pack '/srv/git'",
            "repository \"/srv/git\" is not listed: none of /srv/git/.git, /srv/git, \
             /srv/git.git/.git, /srv/git.git is in the rule's `read` or `write` repositories",
        ),
        (
            "git-upload-pack '/srv/git/project.git/objects'",
            "repository \"/srv/git/project.git/objects\" is not listed: none of \
             /srv/git/project.git/objects/.git, /srv/git/project.git/objects, \
             /srv/git/project.git/objects.git/.git, /srv/git/project.git/objects.git is in the \
             rule's `read` or `write` repositories",
        ),
        (
            "git-upload-pack '/srv/git/proj'",
            "repository \"/srv/git/proj\" is not listed: none of /srv/git/proj/.git, /srv/git/proj, \
             /srv/git/proj.git/.git, /srv/git/proj.git is in the rule's `read` or `write` repositories",
        ),
        (
            "git-upload-pack '/'",
            "repository \"/\" is not listed: none of /.git, /, /.git/.git, /.git is in the rule's \
             `read` or `write` repositories",
        ),
        // Traversal and home expansion.
        (
            "git-upload-pack '/srv/git/project.git/../secret.git'",
            "path \"/srv/git/project.git/../secret.git\" contains `..`",
        ),
        (
            "git-upload-pack '../../srv/git/project.git'",
            "path \"../../srv/git/project.git\" contains `..`",
        ),
        (
            "git-upload-pack '/srv/git/..'",
            "path \"/srv/git/..\" contains `..`",
        ),
        (
            "git-upload-pack '~/repos/mine.git'",
            "repository \"~/repos/mine.git\" starts with `~`, which git would expand to a home \
             directory: name the repository by its absolute path",
        ),
        (
            "git-upload-pack '~git/repos/mine.git'",
            "repository \"~git/repos/mine.git\" starts with `~`, which git would expand to a home \
             directory: name the repository by its absolute path",
        ),
        ("git-upload-pack ''", "an empty path"),
        // Arity.
        (
            "git-upload-pack",
            "git-upload-pack without a repository path",
        ),
        (
            "git receive-pack",
            "git-receive-pack without a repository path",
        ),
        (
            "git-upload-pack /srv/git/project.git /srv/git/shared.git",
            "git-upload-pack takes one repository path, got 2: [\"/srv/git/project.git\", \"/srv/git/shared.git\"]",
        ),
        // Server options no ssh client sends, before or after the path.
        (
            "git-upload-pack --strict /srv/git/project.git",
            "option \"--strict\" of git-upload-pack is refused: a git client sends only the repository path",
        ),
        (
            "git-upload-pack --no-strict /srv/git/project.git",
            "option \"--no-strict\" of git-upload-pack is refused: a git client sends only the repository path",
        ),
        (
            "git-upload-pack --timeout=1 /srv/git/project.git",
            "option \"--timeout=1\" of git-upload-pack is refused: a git client sends only the repository path",
        ),
        (
            "git-upload-pack --stateless-rpc /srv/git/project.git",
            "option \"--stateless-rpc\" of git-upload-pack is refused: a git client sends only the repository path",
        ),
        (
            "git-upload-pack --advertise-refs /srv/git/project.git",
            "option \"--advertise-refs\" of git-upload-pack is refused: a git client sends only the repository path",
        ),
        (
            "git-upload-pack --http-backend-info-refs /srv/git/project.git",
            "option \"--http-backend-info-refs\" of git-upload-pack is refused: a git client sends only the repository path",
        ),
        (
            "git-upload-pack -- /srv/git/project.git",
            "option \"--\" of git-upload-pack is refused: a git client sends only the repository path",
        ),
        (
            "git-upload-pack /srv/git/project.git --strict",
            "option \"--strict\" of git-upload-pack is refused: a git client sends only the repository path",
        ),
        (
            "git-upload-pack -h",
            "option \"-h\" of git-upload-pack is refused: a git client sends only the repository path",
        ),
        (
            "git-receive-pack --quiet /srv/git/shared.git",
            "option \"--quiet\" of git-receive-pack is refused: a git client sends only the repository path",
        ),
        (
            "git-receive-pack --reject-thin-pack-for-testing /srv/git/shared.git",
            "option \"--reject-thin-pack-for-testing\" of git-receive-pack is refused: a git client \
             sends only the repository path",
        ),
        // git's own options, and other subcommands.
        (
            "git",
            "git without a subcommand is refused: a git client sends git-upload-pack, \
             git-receive-pack or git-upload-archive",
        ),
        (
            "git -c uploadpack.packObjectsHook=/tmp/x upload-pack /srv/git/project.git",
            "git option \"-c\" before the subcommand is refused: a git client sends none",
        ),
        (
            "git --exec-path=/tmp upload-pack /srv/git/project.git",
            "git option \"--exec-path=/tmp\" before the subcommand is refused: a git client sends none",
        ),
        (
            "git --git-dir=/srv/git/secret.git upload-pack /srv/git/project.git",
            "git option \"--git-dir=/srv/git/secret.git\" before the subcommand is refused: a git \
             client sends none",
        ),
        (
            "git log",
            "git subcommand \"log\" is refused: the rule serves only upload-pack, receive-pack and \
             upload-archive",
        ),
        (
            "git daemon --export-all /srv/git",
            "git subcommand \"daemon\" is refused: the rule serves only upload-pack, receive-pack \
             and upload-archive",
        ),
        (
            "git git-upload-pack /srv/git/project.git",
            "git subcommand \"git-upload-pack\" is refused: the rule serves only upload-pack, \
             receive-pack and upload-archive",
        ),
        // Off unless the rule says `archive = true`.
        (
            "git-upload-archive '/srv/git/project.git'",
            "git-upload-archive (`git archive --remote`) is refused: the rule does not set `archive = true`",
        ),
        (
            "git upload-archive /srv/git/project.git",
            "git-upload-archive (`git archive --remote`) is refused: the rule does not set `archive = true`",
        ),
    ];

    #[test]
    fn refused_requests_name_the_option_or_path_and_why() {
        let rule = rule(RULE);
        for (command, refusal) in REFUSED {
            match run(&rule, command) {
                Ok(call) => panic!("{command} was accepted: {:?}", call.argv),
                Err(text) => assert_eq!(text, *refusal, "{command}"),
            }
        }
    }

    #[test]
    fn an_archive_rule_serves_upload_archive_read_only() {
        let rule = rule(
            r#"
            read = ["/srv/git/project.git"]
            write = ["/srv/git/shared.git"]
            archive = true
            "#,
        );
        for (command, repository) in [
            (
                "git-upload-archive '/srv/git/project.git'",
                "/srv/git/project.git",
            ),
            ("git upload-archive /srv/git/shared", "/srv/git/shared.git"),
        ] {
            let call = run(&rule, command).unwrap_or_else(|e| panic!("{command}: {e}"));
            assert_eq!(call.request.action, "archive");
            // upload-archive has neither --strict nor `--`.
            assert_eq!(
                call.argv,
                [
                    "/usr/bin/git",
                    "--exec-path=/usr/lib/git-core",
                    "upload-archive",
                    repository
                ]
            );
            assert_eq!(call.grants[0], (PathBuf::from(repository), Access::Read));
        }
        assert_eq!(
            run(&rule, "git-upload-archive --remote=x /srv/git/project.git").unwrap_err(),
            "option \"--remote=x\" of git-upload-archive is refused: a git client sends only the \
             repository path"
        );
    }

    #[test]
    fn the_program_and_exec_path_come_from_the_rule() {
        let rule = rule(
            r#"
            program = "/usr/local/bin/git"
            exec_path = "/usr/local/libexec/git-core"
            read = ["/srv/git/project.git"]
            "#,
        );
        let call = run(&rule, "git-upload-pack /srv/git/project.git").unwrap();
        assert_eq!(
            call.argv,
            [
                "/usr/local/bin/git",
                "--exec-path=/usr/local/libexec/git-core",
                "upload-pack",
                "--strict",
                "--",
                "/srv/git/project.git"
            ]
        );
        assert_eq!(
            call.grants[1],
            (
                PathBuf::from("/usr/local/libexec/git-core"),
                Access::Execute
            )
        );
        assert_eq!(
            call.request.forced,
            [
                "--exec-path=/usr/local/libexec/git-core",
                "--strict",
                "GIT_CONFIG_NOSYSTEM=1",
                "GIT_CONFIG_GLOBAL=/dev/null",
                "GIT_ATTR_NOSYSTEM=1"
            ]
        );
        assert!(run(&rule, "/usr/local/bin/git-upload-pack /srv/git/project.git").is_ok());
    }

    #[test]
    fn only_git_and_its_dashed_services_are_addressed() {
        let rule = rule(RULE);
        for command in [
            "git-upload-pack x",
            "git-receive-pack x",
            "git-upload-archive x",
            "/usr/bin/git-upload-pack x",
            "git log",
            "/usr/bin/git upload-pack x",
            "git",
        ] {
            assert!(addressed(&rule, &test_argv(command)), "{command}");
        }
        for command in [
            "/usr/local/bin/git upload-pack x",
            "/usr/local/bin/git-upload-pack x",
            "/tmp/git-upload-pack x",
            "usr/bin/git-upload-pack x",
            "git-shell -c x",
            "git-upload-packx x",
            "git-http-backend",
            "rsync --server .",
        ] {
            assert!(!addressed(&rule, &test_argv(command)), "{command}");
        }
        assert!(!addressed(&rule, &[]));
    }

    #[test]
    fn the_forced_environment_turns_off_system_and_global_config() {
        let call = run(&rule(RULE), "git-upload-pack /srv/git/project.git").unwrap();
        assert_eq!(
            call.request.forced,
            [
                "--exec-path=/usr/lib/git-core",
                "--strict",
                "GIT_CONFIG_NOSYSTEM=1",
                "GIT_CONFIG_GLOBAL=/dev/null",
                "GIT_ATTR_NOSYSTEM=1"
            ]
        );
        let env: Vec<(&str, &str)> = call
            .env
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        assert_eq!(
            env,
            [
                ("GIT_CONFIG_NOSYSTEM", "1"),
                ("GIT_CONFIG_GLOBAL", "/dev/null"),
                ("GIT_ATTR_NOSYSTEM", "1")
            ]
        );
    }
}
