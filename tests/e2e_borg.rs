//! End to end, the `borg` tool rule: the real borg client, through a real
//! sshd whose forced command is the gate, with the shipped
//! `borg-append-only.toml` profile as shipped (its repository and log
//! moved into a temp dir).
//!
//! The gate runs `borg serve --restrict-to-repository REPO --append-only`.
//! In append-only mode borg does not refuse a `delete` or `prune`: they
//! appear to work, and the archives vanish from the listing, but they only
//! append to the repository. So the tests assert what really happens: every
//! segment file present before is still there, unchanged, and rolling the
//! repository back to them brings the archives back. A rule without
//! `append_only` shows the contrary: the same steps destroy data. Where
//! borg's own restriction does not reach (a symlink out of the
//! repository), Landlock refuses.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::gate::{Scenario, binary, stderr, stdout};
use common::sshd::{Sshd, quote_word, run_client};

/// The shipped profile.
const PROFILE: &str = include_str!("../policies/borg-append-only.toml");

/// The key name the profile allows.
const KEY: &str = "host1";

/// The client's file, backed up and read back.
const CONTENT: &str = "backed up through the gate\n";

/// A rule like the profile's, without append-only.
const OPEN_POLICY: &str = r#"log = "{log}"
[[allow]]
name = "borg-open"
borg = { repository = "{dir}/repo" }
"#;

/// A repository directory, an sshd whose forced command is the gate on
/// the policy, and a source tree to back up.
struct Setup {
    scenario: Scenario,
    sshd: Sshd,
}

impl Setup {
    /// The shipped profile with its repository and log in the temp dir,
    /// wired with `--key host1` as its comments say.
    fn shipped() -> Setup {
        let policy = PROFILE
            .replace("/srv/borg/host1", "{dir}/repo")
            .replace("/var/log/sshgate.log", "{log}");
        let scenario = Scenario::new(&policy);
        let forced = format!(
            "{} --policy {} --key {KEY}",
            binary(),
            scenario.policy.display()
        );
        Setup::with(scenario, Sshd::start(&forced))
    }

    /// `policy` with the gate as sshd's forced command.
    fn policy(policy: &str) -> Setup {
        let scenario = Scenario::new(policy);
        let sshd = Sshd::start_gate(&scenario.policy);
        Setup::with(scenario, sshd)
    }

    fn with(scenario: Scenario, sshd: Sshd) -> Setup {
        fs::create_dir(scenario.path("repo")).unwrap();
        fs::create_dir_all(scenario.path("source")).unwrap();
        fs::write(scenario.path("source/file.txt"), CONTENT).unwrap();
        fs::create_dir(scenario.path("client")).unwrap();
        Setup { scenario, sshd }
    }

    /// `ssh://USER@127.0.0.1:PORT/PATH`, the URL of a remote repository.
    fn url(&self, path: &Path) -> String {
        format!(
            "ssh://{}:{}{}",
            self.sshd.host(),
            self.sshd.port(),
            path.display()
        )
    }

    fn repository(&self) -> PathBuf {
        self.scenario.path("repo")
    }

    /// `URL::ARCHIVE` of the rule's repository.
    fn archive(&self, name: &str) -> String {
        format!("{}::{name}", self.url(&self.repository()))
    }

    /// Runs the borg client with `args` through the gate, from the source
    /// tree, with its own cache and key directories in the temp dir.
    fn borg(&self, args: &[&str]) -> Output {
        let mut rsh = vec!["ssh".to_owned()];
        rsh.extend(self.sshd.ssh_options());
        let rsh: Vec<String> = rsh.iter().map(|word| quote_word(word)).collect();
        let mut borg = client(&self.scenario.path("client"));
        borg.env("BORG_RSH", rsh.join(" "))
            .current_dir(self.scenario.path("source"))
            .args(args);
        run_client(&mut borg, None)
    }

    /// Runs `args` and asserts that borg exited 0.
    fn borg_ok(&self, args: &[&str]) -> Output {
        let output = self.borg(args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "borg {args:?}: {}",
            self.sshd.explain(&output)
        );
        output
    }

    /// `borg init` and one `borg create` per name, through the gate.
    fn init_and_create(&self, archives: &[&str]) {
        let url = self.url(&self.repository());
        self.borg_ok(&["init", "--encryption", "none", &url]);
        for name in archives {
            self.borg_ok(&["create", &self.archive(name), "file.txt"]);
        }
    }

    /// The archive names as the client sees them through the gate.
    fn listed(&self) -> Vec<String> {
        let output = self.borg_ok(&["list", "--short", &self.url(&self.repository())]);
        stdout(&output).lines().map(str::to_owned).collect()
    }
}

/// The borg client with a clean environment and its cache, keys and
/// security records under `base`.
fn client(base: &Path) -> Command {
    let mut borg = Command::new("borg");
    borg.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LANG", "C.UTF-8")
        .env("HOME", base)
        .env("BORG_BASE_DIR", base)
        .env("BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK", "yes")
        .env("BORG_RELOCATED_REPO_ACCESS_IS_OK", "yes");
    borg
}

/// Every file beneath the repository's `data` directory (its segments),
/// with its content.
fn segments(repository: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![repository.join("data")];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let content = fs::read(&path).unwrap();
                found.insert(path, content);
            }
        }
    }
    found
}

/// Rolls the repository back to `kept`, as an administrator undoes a
/// delete in append-only mode: the segments written since go, and with
/// them the index files that describe them; borg rebuilds the index from
/// the segments. Returns the archives a fresh local client then lists.
fn roll_back(setup: &Setup, kept: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<String> {
    let repository = setup.repository();
    for path in segments(&repository).keys() {
        if !kept.contains_key(path) {
            fs::remove_file(path).unwrap();
        }
    }
    for entry in fs::read_dir(&repository).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if ["index.", "hints.", "integrity."]
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            fs::remove_file(&path).unwrap();
        }
    }
    let base = setup.scenario.path("admin");
    fs::create_dir(&base).unwrap();
    let mut borg = client(&base);
    borg.args(["list", "--short"]).arg(&repository);
    let output = run_client(&mut borg, None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    stdout(&output).lines().map(str::to_owned).collect()
}

#[test]
fn shipped_profile_lets_borg_init_create_and_read_back_an_archive() {
    let setup = Setup::shipped();
    setup.init_and_create(&["monday"]);

    assert_eq!(setup.listed(), ["monday"]);
    let extracted = setup.borg_ok(&["extract", "--stdout", &setup.archive("monday"), "file.txt"]);
    assert_eq!(stdout(&extracted), CONTENT);
    assert!(
        setup.repository().join("config").is_file(),
        "no repository was initialised in the rule's directory"
    );
    let records = setup.scenario.records();
    assert!(!records.is_empty());
    for record in &records {
        assert_eq!(record["decision"], "allow", "{record}");
        assert_eq!(record["rule"], "borg-host1", "{record}");
        assert_eq!(record["key"], KEY, "{record}");
        assert_eq!(record["exec"], "/usr/bin/borg", "{record}");
        assert_eq!(record["applied"]["landlock"], "fully-enforced", "{record}");
    }
}

#[test]
fn shipped_profile_passes_the_clients_debug_level_and_disables_only_the_self_test() {
    let setup = Setup::shipped();
    setup.init_and_create(&[]);

    let output = setup.borg_ok(&["--debug", "list", &setup.url(&setup.repository())]);
    let stderr = stderr(&output);
    // The server's own debug lines, which it sends only at --debug.
    assert!(
        stderr.contains("Remote: borg selftest disabled via BORG_SELFTEST env variable\n"),
        "{stderr}"
    );
    let resolved = format!(
        "Remote: Resolved repository path to '{}'\n",
        setup.repository().display()
    );
    assert!(stderr.contains(&resolved), "{stderr}");
    let commands: Vec<String> = setup
        .scenario
        .records()
        .iter()
        .map(|record| record["command"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(commands.last().unwrap(), "borg serve --debug");
}

#[test]
fn append_only_delete_prune_and_compact_remove_no_segment_and_a_rollback_restores_every_archive() {
    let setup = Setup::shipped();
    setup.init_and_create(&["monday", "tuesday", "wednesday"]);
    let before = segments(&setup.repository());
    assert!(!before.is_empty());

    setup.borg_ok(&["delete", &setup.archive("monday")]);
    setup.borg_ok(&["prune", "--keep-last", "1", &setup.url(&setup.repository())]);
    setup.borg_ok(&["compact", &setup.url(&setup.repository())]);
    // To the client, the delete and the prune seem to have worked...
    assert_eq!(setup.listed(), ["wednesday"]);

    // ...but every segment is still there, byte for byte.
    let after = segments(&setup.repository());
    for (path, content) in &before {
        assert!(
            after.get(path) == Some(content),
            "{} was removed or rewritten",
            path.display()
        );
    }
    assert!(after.len() > before.len(), "nothing was appended");
    assert_eq!(
        roll_back(&setup, &before),
        ["monday", "tuesday", "wednesday"]
    );
}

#[test]
fn without_append_only_delete_and_compact_destroy_segments() {
    let setup = Setup::policy(OPEN_POLICY);
    setup.init_and_create(&["monday", "tuesday"]);
    let before = segments(&setup.repository());

    setup.borg_ok(&["delete", &setup.archive("monday")]);
    setup.borg_ok(&["compact", &setup.url(&setup.repository())]);

    assert_eq!(setup.listed(), ["tuesday"]);
    let after = segments(&setup.repository());
    let destroyed = before
        .iter()
        .filter(|(path, content)| after.get(*path) != Some(*content))
        .count();
    assert!(destroyed > 0, "compaction removed no segment");
}

#[test]
fn a_repository_other_than_the_rules_is_refused_by_borg_serve() {
    let setup = Setup::shipped();
    setup.init_and_create(&["monday"]);

    let other = setup.scenario.path("other");
    let nested = setup.repository().join("data");
    for path in [&other, &nested] {
        let output = setup.borg(&["init", "--encryption", "none", &setup.url(path)]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}",
            setup.sshd.explain(&output)
        );
        assert_eq!(
            stderr(&output),
            format!("Repository path not allowed: {}\n", path.display()),
            "{path:?}"
        );
    }
    assert!(!other.exists(), "borg created the other repository");
    assert_eq!(setup.listed(), ["monday"]);
}

#[test]
fn a_symlink_out_of_the_repository_is_stopped_by_landlock_where_borg_follows_it() {
    let setup = Setup::shipped();
    setup.init_and_create(&["monday"]);
    // Someone with access to the repository's account moved the segments
    // out and left a symlink: borg's own restriction compares the
    // repository's path, not where its files are.
    let elsewhere = setup.scenario.path("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    let data = setup.repository().join("data");
    fs::rename(&data, elsewhere.join("data")).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("data"), &data).unwrap();
    let before = segments(&setup.repository());

    let output = setup.borg(&["create", &setup.archive("tuesday"), "file.txt"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        setup.sshd.explain(&output)
    );
    let denied = format!(
        "PermissionError: [Errno 13] Permission denied: '{}'",
        data.display()
    );
    assert!(
        stderr(&output).contains(&denied),
        "{}",
        setup.sshd.explain(&output)
    );
    assert_eq!(segments(&setup.repository()), before, "a segment changed");

    // Unconfined, borg follows the symlink: the refusal was the kernel's.
    let base = setup.scenario.path("admin");
    fs::create_dir(&base).unwrap();
    let mut borg = client(&base);
    borg.args(["list", "--short"]).arg(setup.repository());
    let output = run_client(&mut borg, None);
    assert_eq!(stdout(&output), "monday\n", "{}", stderr(&output));
}

#[test]
fn a_remote_path_that_widens_the_server_is_refused_by_the_gate() {
    let setup = Setup::shipped();
    // The client's --remote-path is sent as is: here it smuggles an option
    // that would open every repository under /.
    let output = setup.borg(&[
        "--remote-path",
        "borg serve --restrict-to-path=/ --umask=000",
        "init",
        "--encryption",
        "none",
        &setup.url(&setup.repository()),
    ]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        setup.sshd.explain(&output)
    );
    // The reason is asserted from the record: borg relays the server's
    // stderr only if it reads it before noticing the closed connection,
    // which under load it sometimes does not.
    let refusal = "rule \"borg-host1\" (borg): option \
                   --restrict-to-path is the rule's to set, not the client's";
    assert_eq!(fs::read_dir(setup.repository()).unwrap().count(), 0);
    let records = setup.scenario.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["decision"], "deny");
    assert_eq!(
        records[0]["reason"],
        refusal,
        "{}",
        setup.sshd.explain(&output)
    );
}

#[test]
fn commands_other_than_borg_serve_are_refused_by_the_gate() {
    let setup = Setup::shipped();
    let cases = [
        (
            "borg delete /",
            "only `borg serve` is accepted, not `borg delete`: the client runs every other borg command itself",
        ),
        (
            "borg serve --append-only --restrict-to-repository /",
            "option --append-only is the rule's to set, not the client's",
        ),
        (
            "borg serve --debug-profile=/tmp/profile",
            "option --debug-profile=/tmp/profile is not one a borg client sends to `borg serve`",
        ),
    ];
    for (command, detail) in cases {
        let output = setup.sshd.ssh(Some(command));
        assert_eq!(
            output.status.code(),
            Some(77),
            "{}",
            setup.sshd.explain(&output)
        );
        assert_eq!(
            stderr(&output),
            format!("sshgate: denied: rule \"borg-host1\" (borg): {detail}\n"),
            "{command}"
        );
    }
}
