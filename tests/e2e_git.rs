//! End to end, the `git` tool rule: the real git client over the real ssh
//! client (`GIT_SSH_COMMAND`) through a real sshd whose forced command is
//! the gate. Clones, fetches and pushes that the rule allows really move
//! objects and refs; every refusal is checked by the gate's reason on the
//! client's stderr and in the record, with nothing run.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::gate::{Scenario, binary, stderr};
use common::sshd::{Sshd, quote_word, run_client};
use nix::unistd::geteuid;

/// The shipped profile, as shipped.
const MIRROR: &str = include_str!("../policies/git-mirror-readonly.toml");

/// A rule with a read-only and a writable repository, and one that also
/// serves `git archive --remote`; relative paths start in their directory.
const READ_AND_WRITE: &str = r#"log = "{log}"
[sandbox]
# What a relative repository path is relative to.
chdir = "{dir}/git"

[[allow]]
name = "repos"
git = { read = ["{dir}/git/public.git"], write = ["{dir}/git/shared.git"] }

[[allow]]
name = "archives"
git = { read = ["{dir}/git/released.git"], archive = true }
"#;

/// Runs the git client in `dir` against `sshd`, with nothing from the
/// developer's own git configuration.
fn git(sshd: &Sshd, dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("git");
    cmd.args(args)
        .current_dir(dir)
        .env("GIT_SSH_COMMAND", sshd.ssh_command_line())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0");
    run_client(&mut cmd, None)
}

/// Runs a local git command (no ssh) and returns its trimmed stdout.
fn local_git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "sshgate test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "sshgate test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        stderr(&output)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A bare repository at `bare` whose `main` holds `files`, committed from
/// a scratch work tree beside it.
fn bare_repository(bare: &Path, files: &[(&str, &str)]) {
    fs::create_dir_all(bare.parent().unwrap()).unwrap();
    let work = bare.with_extension("work");
    fs::create_dir_all(&work).unwrap();
    local_git(&work, &["init", "-q", "-b", "main"]);
    for (name, content) in files {
        fs::write(work.join(name), content).unwrap();
    }
    local_git(&work, &["add", "."]);
    local_git(&work, &["commit", "-q", "-m", "first"]);
    local_git(
        bare.parent().unwrap(),
        &[
            "clone",
            "-q",
            "--bare",
            &work.display().to_string(),
            &bare.display().to_string(),
        ],
    );
    fs::remove_dir_all(&work).unwrap();
}

/// The names in `bare`'s `objects/pack`.
fn packs(bare: &Path) -> Vec<String> {
    fs::read_dir(bare.join("objects/pack"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// `USER@127.0.0.1:PATH`, the scp-like remote every command here uses.
fn remote(sshd: &Sshd, path: &Path) -> String {
    format!("{}:{}", sshd.host(), path.display())
}

/// Asserts that the client failed because the gate refused, with exactly
/// `reason` (the client shows the gate's stderr line), and that the record
/// says so.
fn assert_refused(scenario: &Scenario, sshd: &Sshd, output: &Output, reason: &str) {
    assert_ne!(output.status.code(), Some(0), "{}", sshd.explain(output));
    assert!(
        stderr(output).contains(&format!("sshgate: denied: {reason}\n")),
        "expected the denial {reason:?}\n{}",
        sshd.explain(output)
    );
    let records = scenario.records();
    let last = records.last().expect("a record");
    assert_eq!(last["decision"], "deny", "{last}");
    assert_eq!(last["reason"], reason, "{last}");
}

/// The shipped mirror profile with its repositories under the scenario's
/// dir, and an sshd whose key is `mirror01`, as the profile's comment
/// wires it.
struct Mirror {
    scenario: Scenario,
    sshd: Sshd,
    /// The client's side.
    local: PathBuf,
}

impl Mirror {
    fn start() -> Mirror {
        let policy = MIRROR
            .replace("/srv/git", "{dir}/srv/git")
            .replace("/var/log/sshgate.log", "{log}");
        let scenario = Scenario::new(&policy);
        bare_repository(
            &scenario.path("srv/git/project.git"),
            &[
                ("README", "the project\n"),
                ("main.c", "int main(void) { return 0; }\n"),
            ],
        );
        bare_repository(
            &scenario.path("srv/git/secret.git"),
            &[("key", "not for mirrors\n")],
        );
        let sshd = Sshd::start(&format!(
            "{} --policy {} --key mirror01",
            quote_word(binary()),
            quote_word(&scenario.policy.display().to_string())
        ));
        let local = sshd.dir().join("local");
        fs::create_dir(&local).unwrap();
        Mirror {
            scenario,
            sshd,
            local,
        }
    }

    fn repo(&self, name: &str) -> PathBuf {
        self.scenario.path(&format!("srv/git/{name}"))
    }
}

#[test]
fn the_shipped_mirror_profile_clones_a_listed_repository() {
    let m = Mirror::start();
    let output = git(
        &m.sshd,
        &m.local,
        &[
            "clone",
            "-q",
            &remote(&m.sshd, &m.repo("project.git")),
            "project",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", m.sshd.explain(&output));
    assert_eq!(
        fs::read_to_string(m.local.join("project/README")).unwrap(),
        "the project\n"
    );
    assert_eq!(
        local_git(&m.local.join("project"), &["rev-parse", "HEAD"]),
        local_git(&m.repo("project.git"), &["rev-parse", "main"])
    );
    let records = m.scenario.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["rule"], "mirror-fetch");
    assert_eq!(records[0]["decision"], "allow");
}

#[test]
fn the_shipped_mirror_profile_finds_a_repository_without_its_git_suffix() {
    let m = Mirror::start();
    // git-upload-pack '.../project/': enter_repo drops the slash and
    // tries project.git after project, and so does the gate.
    let sent = format!("{}/", m.repo("project").display());
    let output = git(
        &m.sshd,
        &m.local,
        &[
            "ls-remote",
            &format!("{}:{sent}", m.sshd.host()),
            "refs/heads/main",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", m.sshd.explain(&output));
    let head = local_git(&m.repo("project.git"), &["rev-parse", "main"]);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("{head}\trefs/heads/main\n")
    );
}

#[test]
fn the_shipped_mirror_profile_refuses_a_push() {
    let m = Mirror::start();
    let clone = git(
        &m.sshd,
        &m.local,
        &[
            "clone",
            "-q",
            &remote(&m.sshd, &m.repo("project.git")),
            "project",
        ],
    );
    assert_eq!(clone.status.code(), Some(0), "{}", m.sshd.explain(&clone));
    let work = m.local.join("project");
    fs::write(work.join("README"), "rewritten by the mirror\n").unwrap();
    local_git(&work, &["commit", "-q", "-a", "-m", "rewrite"]);
    let before = local_git(&m.repo("project.git"), &["rev-parse", "main"]);

    let output = git(&m.sshd, &work, &["push", "origin", "main"]);
    assert_refused(
        &m.scenario,
        &m.sshd,
        &output,
        &format!(
            "rule \"mirror-fetch\" (git): push to repository {} is refused: the rule lists it in `read`, not `write`",
            m.repo("project.git").display()
        ),
    );
    assert_eq!(
        local_git(&m.repo("project.git"), &["rev-parse", "main"]),
        before
    );
}

#[test]
fn the_shipped_mirror_profile_refuses_an_unlisted_repository() {
    let m = Mirror::start();
    let secret = m.repo("secret.git");
    let output = git(
        &m.sshd,
        &m.local,
        &["clone", "-q", &remote(&m.sshd, &secret), "secret"],
    );
    let s = secret.display();
    assert_refused(
        &m.scenario,
        &m.sshd,
        &output,
        &format!(
            "rule \"mirror-fetch\" (git): repository \"{s}\" is not listed: none of {s}/.git, {s}, \
             {s}.git/.git, {s}.git is in the rule's `read` or `write` repositories"
        ),
    );
    assert!(!m.local.join("secret/key").exists());
}

#[test]
fn the_shipped_mirror_profile_refuses_a_path_that_climbs_out_of_a_repository() {
    let m = Mirror::start();
    // Lexically it starts with a listed repository; `..` takes it to an
    // unlisted one.
    let sent = format!("{}/../secret.git", m.repo("project.git").display());
    let output = git(
        &m.sshd,
        &m.local,
        &[
            "clone",
            "-q",
            &format!("{}:{sent}", m.sshd.host()),
            "secret",
        ],
    );
    assert_refused(
        &m.scenario,
        &m.sshd,
        &output,
        &format!("rule \"mirror-fetch\" (git): path \"{sent}\" contains `..`"),
    );
    assert!(!m.local.join("secret/key").exists());
}

#[test]
fn the_shipped_mirror_profile_refuses_options_injected_through_upload_pack() {
    let m = Mirror::start();
    // `--upload-pack` is the client's way to change the remote command;
    // the extra words arrive as options of git-upload-pack.
    let output = git(
        &m.sshd,
        &m.local,
        &[
            "clone",
            "-q",
            "--upload-pack=git-upload-pack --timeout=1",
            &remote(&m.sshd, &m.repo("project.git")),
            "project",
        ],
    );
    assert_refused(
        &m.scenario,
        &m.sshd,
        &output,
        "rule \"mirror-fetch\" (git): option \"--timeout=1\" of git-upload-pack is refused: \
         a git client sends only the repository path",
    );
}

/// The read-and-write rule, its three repositories and the client side.
struct Shared {
    scenario: Scenario,
    sshd: Sshd,
    local: PathBuf,
}

impl Shared {
    fn start() -> Shared {
        let scenario = Scenario::new(READ_AND_WRITE);
        bare_repository(&scenario.path("git/public.git"), &[("a", "public\n")]);
        bare_repository(&scenario.path("git/shared.git"), &[("a", "shared\n")]);
        bare_repository(&scenario.path("git/released.git"), &[("VERSION", "1.0\n")]);
        let sshd = Sshd::start_gate(&scenario.policy);
        let local = sshd.dir().join("local");
        fs::create_dir(&local).unwrap();
        Shared {
            scenario,
            sshd,
            local,
        }
    }

    fn repo(&self, name: &str) -> PathBuf {
        self.scenario.path(&format!("git/{name}"))
    }

    /// Clones `name` into the local side and returns the work tree.
    fn clone(&self, name: &str) -> PathBuf {
        let output = git(
            &self.sshd,
            &self.local,
            &["clone", "-q", &remote(&self.sshd, &self.repo(name)), name],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            self.sshd.explain(&output)
        );
        self.local.join(name)
    }
}

#[test]
fn a_relative_path_without_its_suffix_names_a_repository_in_the_working_directory() {
    let s = Shared::start();
    // git-upload-pack 'public': git, started in {dir}/git, would find
    // public.git; the gate lets it fetch exactly that.
    let output = git(
        &s.sshd,
        &s.local,
        &[
            "clone",
            "-q",
            &format!("{}:public", s.sshd.host()),
            "public",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", s.sshd.explain(&output));
    assert_eq!(
        fs::read_to_string(s.local.join("public/a")).unwrap(),
        "public\n"
    );
    let record = &s.scenario.records()[0];
    assert_eq!(record["command"], "git-upload-pack 'public'");
    assert_eq!(record["rule"], "repos");
}

#[test]
fn a_push_to_a_write_repository_moves_its_branch() {
    let s = Shared::start();
    let work = s.clone("shared.git");
    // More objects than receive.unpackLimit (100), so the server keeps
    // the pack with `git index-pack` rather than `git unpack-objects`:
    // both helpers run from the exec-path grant.
    for i in 0..150 {
        fs::write(work.join(format!("file-{i}")), format!("content {i}\n")).unwrap();
    }
    local_git(&work, &["add", "."]);
    local_git(&work, &["commit", "-q", "-m", "many files"]);
    let pushed = local_git(&work, &["rev-parse", "HEAD"]);

    let output = git(&s.sshd, &work, &["push", "-q", "origin", "main"]);
    assert_eq!(output.status.code(), Some(0), "{}", s.sshd.explain(&output));
    assert_eq!(
        local_git(&s.repo("shared.git"), &["rev-parse", "main"]),
        pushed
    );
    assert_eq!(
        local_git(&s.repo("shared.git"), &["show", "main:file-149"]),
        "content 149"
    );
    assert_eq!(
        packs(&s.repo("shared.git")).len(),
        2,
        "index-pack kept a pack"
    );
    let records = s.scenario.records();
    let last = records.last().unwrap();
    assert_eq!(last["rule"], "repos");
    assert_eq!(last["decision"], "allow");
}

#[test]
fn a_small_push_to_a_write_repository_is_unpacked_into_loose_objects() {
    let s = Shared::start();
    let work = s.clone("shared.git");
    fs::write(work.join("a"), "changed\n").unwrap();
    local_git(&work, &["commit", "-q", "-a", "-m", "change"]);
    let pushed = local_git(&work, &["rev-parse", "HEAD"]);

    let output = git(&s.sshd, &work, &["push", "-q", "origin", "main"]);
    assert_eq!(output.status.code(), Some(0), "{}", s.sshd.explain(&output));
    assert_eq!(
        local_git(&s.repo("shared.git"), &["rev-parse", "main"]),
        pushed
    );
    assert_eq!(
        local_git(&s.repo("shared.git"), &["show", "main:a"]),
        "changed"
    );
    // unpack-objects wrote the commit as a loose object.
    let loose = s
        .repo("shared.git")
        .join("objects")
        .join(&pushed[..2])
        .join(&pushed[2..]);
    assert!(loose.is_file(), "{} is missing", loose.display());
    assert!(packs(&s.repo("shared.git")).is_empty());
}

#[test]
fn a_push_to_a_read_repository_of_the_same_rule_is_refused() {
    let s = Shared::start();
    let work = s.clone("public.git");
    fs::write(work.join("a"), "defaced\n").unwrap();
    local_git(&work, &["commit", "-q", "-a", "-m", "deface"]);
    let before = local_git(&s.repo("public.git"), &["rev-parse", "main"]);

    let output = git(&s.sshd, &work, &["push", "origin", "main"]);
    assert_refused(
        &s.scenario,
        &s.sshd,
        &output,
        &format!(
            "rule \"repos\" (git): push to repository {} is refused: the rule lists it in `read`, not `write`",
            s.repo("public.git").display()
        ),
    );
    assert_eq!(
        local_git(&s.repo("public.git"), &["rev-parse", "main"]),
        before
    );
}

#[test]
fn an_archive_is_served_only_by_a_rule_that_allows_it() {
    let s = Shared::start();
    let tar = |name: &str| {
        let archive = s.local.join(format!("{name}.tar"));
        let output = git(
            &s.sshd,
            &s.local,
            &[
                "archive",
                &format!("--remote={}", remote(&s.sshd, &s.repo(name))),
                "--output",
                &archive.display().to_string(),
                "main",
            ],
        );
        (output, archive)
    };

    let (output, archive) = tar("released.git");
    assert_eq!(output.status.code(), Some(0), "{}", s.sshd.explain(&output));
    let listing = Command::new("tar")
        .arg("-xOf")
        .arg(&archive)
        .arg("VERSION")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&listing.stdout), "1.0\n");

    // public.git is listed by the rule without `archive`, and not by the
    // one with it: the first refusal is the one reported.
    let (output, archive) = tar("public.git");
    assert_refused(
        &s.scenario,
        &s.sshd,
        &output,
        "rule \"repos\" (git): git-upload-archive (`git archive --remote`) is refused: \
         the rule does not set `archive = true`",
    );
    assert!(!archive.exists() || fs::metadata(&archive).unwrap().len() == 0);
}

#[test]
fn a_fetch_reads_only_the_repository_it_names() {
    let s = Shared::start();
    // public.git borrows its objects from shared.git, which the same rule
    // lists: a fetch of public.git is granted public.git alone, so
    // Landlock refuses the borrowed objects.
    let borrowing = s.repo("public.git");
    fs::remove_dir_all(&borrowing).unwrap();
    let shared = s.repo("shared.git").display().to_string();
    local_git(
        &s.scenario.path("git"),
        &["clone", "-q", "--bare", "--shared", &shared, "public.git"],
    );
    let output = git(
        &s.sshd,
        &s.local,
        &["clone", "-q", &remote(&s.sshd, &borrowing), "public"],
    );
    // Usually 128; under load the client can also die of the pipe the
    // server closed, so only failure itself is asserted, and the reason.
    assert!(!output.status.success(), "{}", s.sshd.explain(&output));
    assert!(
        stderr(&output).contains(&format!(
            "error: unable to open object pack directory: {shared}/objects/pack: Permission denied\n"
        )),
        "{}",
        s.sshd.explain(&output)
    );
    assert!(!s.local.join("public/a").exists());
    assert_eq!(s.scenario.records()[0]["decision"], "allow");
}

#[test]
fn a_pre_receive_hook_cannot_run_so_the_push_is_declined() {
    let s = Shared::start();
    // Landlock grants a pushed-to repository read-write, never execute:
    // git finds the hook and cannot exec it, which declines the push.
    let hook = s.repo("shared.git").join("hooks/pre-receive");
    let witness = s.scenario.path("hook-ran");
    fs::write(
        &hook,
        format!("#!/bin/sh\ntouch {}\nexit 0\n", witness.display()),
    )
    .unwrap();
    fs::set_permissions(&hook, fs::Permissions::from_mode(0o755)).unwrap();
    let before = local_git(&s.repo("shared.git"), &["rev-parse", "main"]);
    let work = s.clone("shared.git");
    fs::write(work.join("a"), "changed\n").unwrap();
    local_git(&work, &["commit", "-q", "-a", "-m", "change"]);

    let output = git(&s.sshd, &work, &["push", "origin", "main"]);
    assert_eq!(output.status.code(), Some(1), "{}", s.sshd.explain(&output));
    let text = stderr(&output);
    assert!(
        text.contains("fatal: cannot exec 'hooks/pre-receive': Permission denied\n")
            && text.contains(" ! [remote rejected] main -> main (pre-receive hook declined)\n"),
        "{}",
        s.sshd.explain(&output)
    );
    assert!(!witness.exists(), "the hook ran");
    assert_eq!(
        local_git(&s.repo("shared.git"), &["rev-parse", "main"]),
        before
    );
}

/// A repository owned by nobody, served by a rule that runs git as its
/// owner.
const AS_OWNER: &str = r#"log = "{log}"

[[allow]]
name = "as-owner"
git = { read = ["{dir}/git/owned.git"] }
[allow.sandbox]
user = "nobody"
chdir = "/"
"#;

/// The same repository, served as the gate's own user.
const AS_GATE: &str = r#"log = "{log}"

[[allow]]
name = "as-gate"
git = { read = ["{dir}/git/owned.git"] }
"#;

/// nobody's uid and gid on Debian.
const NOBODY: u32 = 65534;

/// `policy`, and its repository `git/owned.git` owned by nobody when the
/// tests run as root.
fn other_owner(policy: &str) -> (Scenario, Sshd, PathBuf) {
    let scenario = Scenario::new(policy);
    // nobody must reach the repositories through the scenario's dir.
    fs::set_permissions(scenario.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let repo = scenario.path("git/owned.git");
    bare_repository(&repo, &[("owner", "nobody\n")]);
    if geteuid().is_root() {
        let status = Command::new("chown")
            .args(["-R", &format!("{NOBODY}:{NOBODY}")])
            .arg(&repo)
            .status()
            .unwrap();
        assert!(status.success());
    }
    let sshd = Sshd::start_gate(&scenario.policy);
    let local = sshd.dir().join("local");
    fs::create_dir(&local).unwrap();
    (scenario, sshd, local)
}

#[test]
fn a_repository_owned_by_another_account_is_served_as_that_account() {
    let (scenario, sshd, local) = other_owner(AS_OWNER);
    let repo = scenario.path("git/owned.git");
    let output = git(
        &sshd,
        &local,
        &["clone", "-q", &remote(&sshd, &repo), "owned"],
    );
    if !geteuid().is_root() {
        let uid = geteuid().as_raw();
        return assert_refused(
            &scenario,
            &sshd,
            &output,
            &format!(
                "rule \"as-owner\" runs as user \"nobody\", but sshgate runs as uid {uid}, not root, \
                 and cannot switch users"
            ),
        );
    }
    assert_eq!(output.status.code(), Some(0), "{}", sshd.explain(&output));
    assert_eq!(
        fs::read_to_string(local.join("owned/owner")).unwrap(),
        "nobody\n"
    );
    assert_eq!(scenario.records()[0]["applied"]["user"], "nobody");
}

#[test]
fn git_refuses_a_repository_another_account_owns() {
    let (scenario, sshd, local) = other_owner(AS_GATE);
    let repo = scenario.path("git/owned.git");
    let output = git(
        &sshd,
        &local,
        &["clone", "-q", &remote(&sshd, &repo), "owned"],
    );
    if !geteuid().is_root() {
        // Without root the repository stays the test runner's own.
        assert_eq!(output.status.code(), Some(0), "{}", sshd.explain(&output));
        return;
    }
    // The gate allowed it; git itself refused (no safe.directory can be
    // configured: there is no global config).
    assert_eq!(scenario.records()[0]["decision"], "allow");
    assert_eq!(output.status.code(), Some(128), "{}", sshd.explain(&output));
    assert!(
        stderr(&output).contains(&format!(
            "fatal: detected dubious ownership in repository at '{}'",
            repo.display()
        )),
        "{}",
        sshd.explain(&output)
    );
    assert!(!local.join("owned/owner").exists());
}
