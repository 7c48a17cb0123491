//! Escape scenario: an allowed command reads secrets outside its grant:
//! `/etc/shadow`, or the private keys and `authorized_keys` in the home
//! directory's `.ssh` (where it starts, by the policy's `chdir`). Directly,
//! or through a link it plants in the directory it may write. Landlock
//! refuses each with EACCES: it checks the file a path finally reaches,
//! and neither the working directory nor a link in a writable tree grants
//! anything. A hard link is refused too, with EXDEV: it would give the file
//! the rights of the writable tree.

mod common;

use std::fs;

use common::gate::Scenario;
use common::probe::{self, attempt, unconfined};

const POLICY: &str = r#"
log = "{log}"
[sandbox]
read = ["{dir}/public"]
write = ["{dir}/drop"]
chdir = "{dir}/home"

[[allow]]
name = "probe"
command = ["{probe}"]
trailing_args = true
"#;

/// The scenario with a readable `public/notice`, an empty writable `drop`
/// and a `home` holding `.ssh/id_ed25519` and `.ssh/authorized_keys`.
fn scenario() -> Scenario {
    let scenario = probe::scenario(POLICY);
    scenario.make_dir("public", 0o755);
    fs::write(scenario.path("public/notice"), "public\n").unwrap();
    scenario.make_dir("drop", 0o755);
    scenario.make_dir("home", 0o755);
    scenario.make_dir("home/.ssh", 0o700);
    fs::write(scenario.path("home/.ssh/id_ed25519"), "private key\n").unwrap();
    fs::write(
        scenario.path("home/.ssh/authorized_keys"),
        "ssh-ed25519 AAAA\n",
    )
    .unwrap();
    scenario
}

/// `name` in the scenario, as text for the probe.
fn path(scenario: &Scenario, name: &str) -> String {
    scenario.path(name).display().to_string()
}

#[test]
fn the_granted_paths_work() {
    // Control: what the policy grants is readable and writable, so the
    // refusals below are about the paths, not a probe that cannot open.
    let scenario = scenario();
    assert_eq!(
        attempt(&scenario, &["read", &path(&scenario, "public/notice")]),
        "ok"
    );
    assert_eq!(
        attempt(&scenario, &["write", &path(&scenario, "drop/new")]),
        "ok"
    );
    assert_eq!(
        fs::read_to_string(scenario.path("drop/new")).unwrap(),
        "written by sshgate-escape-probe\n"
    );
}

#[test]
fn etc_shadow_cannot_be_read() {
    let scenario = scenario();
    // Control: the gate runs as this same user, which can read it unconfined
    // when root.
    if nix::unistd::geteuid().is_root() {
        assert_eq!(unconfined(&["read", "/etc/shadow"]), "ok");
    }
    assert_eq!(
        attempt(&scenario, &["read", "/etc/shadow"]),
        "err open EACCES"
    );
    assert_eq!(
        attempt(&scenario, &["write", "/etc/shadow"]),
        "err open EACCES"
    );
}

#[test]
fn the_home_ssh_directory_cannot_be_read_or_written() {
    let scenario = scenario();
    // Relative to the working directory, which is the home directory.
    assert_eq!(
        attempt(&scenario, &["read", ".ssh/id_ed25519"]),
        "err open EACCES"
    );
    assert_eq!(
        attempt(
            &scenario,
            &["read", &path(&scenario, "home/.ssh/id_ed25519")]
        ),
        "err open EACCES"
    );
    // Planting a key for the next login.
    assert_eq!(
        attempt(&scenario, &["write", ".ssh/authorized_keys"]),
        "err open EACCES"
    );
    assert_eq!(
        fs::read_to_string(scenario.path("home/.ssh/authorized_keys")).unwrap(),
        "ssh-ed25519 AAAA\n"
    );
}

#[test]
fn a_symlink_planted_in_the_writable_path_reaches_nothing() {
    let scenario = scenario();
    let to_shadow = path(&scenario, "drop/shadow");
    let to_ssh = path(&scenario, "drop/ssh");
    // Planting the links is allowed: drop is writable.
    assert_eq!(
        attempt(&scenario, &["symlink", "/etc/shadow", &to_shadow]),
        "ok"
    );
    assert_eq!(
        attempt(
            &scenario,
            &["symlink", &path(&scenario, "home/.ssh"), &to_ssh]
        ),
        "ok"
    );
    // Following them is not: Landlock judges the file reached.
    assert_eq!(attempt(&scenario, &["read", &to_shadow]), "err open EACCES");
    assert_eq!(
        attempt(&scenario, &["read", &format!("{to_ssh}/id_ed25519")]),
        "err open EACCES"
    );
    assert_eq!(
        attempt(&scenario, &["write", &format!("{to_ssh}/authorized_keys")]),
        "err open EACCES"
    );
}

#[test]
fn a_hard_link_into_the_writable_path_is_refused() {
    let scenario = scenario();
    let link = path(&scenario, "drop/shadow");
    // EXDEV is Landlock's answer to a link that would widen a file's
    // access; the scenario dir and /etc are on the same filesystem here
    // or the VFS would answer EXDEV for that reason alone.
    let same_filesystem = {
        use std::os::unix::fs::MetadataExt;
        fs::metadata("/etc/shadow").unwrap().dev()
            == fs::metadata(scenario.path("drop")).unwrap().dev()
    };
    assert!(
        same_filesystem,
        "this test needs its temp dir on the filesystem of /etc (set TMPDIR to a directory there)"
    );
    // Control: unconfined, root may make that link (another user is
    // refused by the kernel's protected_hardlinks).
    if nix::unistd::geteuid().is_root() {
        let control = path(&scenario, "drop/control");
        assert_eq!(unconfined(&["link", "/etc/shadow", &control]), "ok");
        fs::remove_file(&control).unwrap();
    }

    assert_eq!(
        attempt(&scenario, &["link", "/etc/shadow", &link]),
        "err link EXDEV"
    );
    assert!(!scenario.path("drop/shadow").exists());
}
