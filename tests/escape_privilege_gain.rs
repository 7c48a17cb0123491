//! Escape scenario: a command running as an unprivileged `user` gains root
//! through a setuid-root program. Two layers stop it:
//!
//! - Landlock: a setuid-root copy sitting in the writable tree (dropped
//!   there, or left by an earlier upload) cannot be executed at all, since
//!   `write` grants no execute right: EACCES.
//! - no_new_privs: even a setuid-root program the policy does make
//!   executable runs without the setuid bit taking effect, so it keeps the
//!   command's uid. The confined command's `/proc/self/status` shows
//!   `NoNewPrivs: 1`.
//!
//! Needs root, to make setuid-root files and to run the gate as root with
//! `user = "nobody"`.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use common::gate::{Scenario, stderr, stdout};
use common::probe::{self, attempt};
use nix::unistd::geteuid;

/// `nobody` on Debian.
const NOBODY: u32 = 65534;

const POLICY: &str = r#"
log = "{log}"
[sandbox]
user = "nobody"
chdir = "{dir}/drop"
read = ["/proc"]
write = ["{dir}/drop"]
exec = ["{dir}/bin/id"]

[[allow]]
name = "probe"
command = ["{probe}"]
trailing_args = true
"#;

/// Copies `/usr/bin/id` to `dir/name` in the scenario as a setuid-root
/// program (mode 4755, owned by root) and returns its path.
fn setuid_root_id(scenario: &Scenario, name: &str) -> String {
    let path = scenario.path(name);
    common::gate::copy_executable(Path::new("/usr/bin/id"), &path);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o4755)).unwrap();
    path.display().to_string()
}

/// The scenario, with `drop` (writable, world-writable as an upload
/// directory may be) and `bin` each holding a setuid-root `id`, or `None`
/// when the test cannot run as root.
fn scenario() -> Option<(Scenario, String, String)> {
    if !geteuid().is_root() {
        eprintln!("skipped: needs root to make setuid-root programs and switch user");
        return None;
    }
    let scenario = probe::scenario(POLICY);
    // nobody must be able to reach the files, or DAC would refuse first.
    fs::set_permissions(scenario.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    scenario.make_dir("drop", 0o777);
    scenario.make_dir("bin", 0o755);
    let dropped = setuid_root_id(&scenario, "drop/id");
    let granted = setuid_root_id(&scenario, "bin/id");
    Some((scenario, dropped, granted))
}

/// `id -u` of the setuid copy at `path`, run unconfined as nobody: what the
/// copy would give without the gate.
fn unconfined_as_nobody(path: &str) -> String {
    let output = Command::new(path)
        .arg("-u")
        .uid(NOBODY)
        .gid(NOBODY)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    stdout(&output)
}

#[test]
fn a_setuid_copy_in_the_writable_path_cannot_be_executed() {
    let Some((scenario, dropped, _)) = scenario() else {
        return;
    };
    // Control: outside the gate the copy makes nobody root.
    assert_eq!(unconfined_as_nobody(&dropped), "0\n");
    assert!(Path::new(&dropped).exists());

    assert_eq!(
        attempt(&scenario, &["exec", &dropped, "-u"]),
        "err execve EACCES"
    );
}

#[test]
fn a_setuid_program_the_policy_makes_executable_gains_nothing() {
    let Some((scenario, _, granted)) = scenario() else {
        return;
    };
    assert_eq!(unconfined_as_nobody(&granted), "0\n");
    // It runs (execute is granted), as nobody: the setuid bit is ignored.
    assert_eq!(
        attempt(&scenario, &["exec", &granted, "-u"]),
        NOBODY.to_string()
    );
    assert_eq!(
        attempt(&scenario, &["exec", &granted, "-ru"]),
        NOBODY.to_string()
    );
}

#[test]
fn the_command_runs_as_nobody_with_no_new_privs() {
    let Some((scenario, _, _)) = scenario() else {
        return;
    };
    let output = probe::run(&scenario, &["status"]);
    let status = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert!(status.contains("\nNoNewPrivs:\t1\n"), "{status}");
    let ids = format!("{NOBODY}\t{NOBODY}\t{NOBODY}\t{NOBODY}");
    assert!(status.contains(&format!("\nUid:\t{ids}\n")), "{status}");
    assert!(status.contains(&format!("\nGid:\t{ids}\n")), "{status}");
}
