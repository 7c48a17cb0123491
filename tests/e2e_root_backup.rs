//! End to end, the classic case: a root backup key (sshd with
//! `PermitRootLogin forced-commands-only`) whose profile keeps only
//! CAP_DAC_READ_SEARCH. Through a real sshd and the real rsync client, the
//! pull reads files no ordinary permission lets root read, and the command
//! still cannot write, has no other capability, and runs under
//! no_new_privs and seccomp.
//!
//! Run as an ordinary user, the gate cannot hand on a capability it does
//! not have, and every test checks that denial instead.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use common::gate::{Scenario, stderr, stdout};
use common::sshd::{Sshd, run_client};
use nix::unistd::{Gid, Uid, chown, geteuid};

/// nobody's uid and gid on Debian.
const NOBODY: u32 = 65534;

fn policy(capabilities: &str) -> String {
    format!(
        r#"log = "{{log}}"
[sandbox]
read = ["{{dir}}/srv", "/proc"]
chdir = "{{dir}}/srv"
capabilities = {capabilities}

[[allow]]
name = "pull"
command = ["/usr/bin/rsync", "--server", "--sender"]
trailing_args = true

[[allow]]
name = "push"
command = ["/usr/bin/rsync", "--server"]
trailing_args = true

[[allow]]
name = "status"
command = ["/usr/bin/cat", "/proc/self/status"]
"#
    )
}

/// A profile, a tree only nobody may read, and an sshd whose one key runs
/// the gate.
struct Setup {
    scenario: Scenario,
    sshd: Sshd,
}

fn setup(capabilities: &str) -> Setup {
    let scenario = Scenario::new(&policy(capabilities));
    let private = scenario.path("srv/private");
    fs::create_dir_all(&private).unwrap();
    fs::write(private.join("secret.txt"), "only nobody reads this\n").unwrap();
    fs::set_permissions(
        private.join("secret.txt"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o700)).unwrap();
    fs::set_permissions(scenario.path("srv"), fs::Permissions::from_mode(0o755)).unwrap();
    if geteuid().is_root() {
        let nobody = (Some(Uid::from_raw(NOBODY)), Some(Gid::from_raw(NOBODY)));
        chown(&private.join("secret.txt"), nobody.0, nobody.1).unwrap();
        chown(&private, nobody.0, nobody.1).unwrap();
    }
    let sshd = Sshd::start_gate(&scenario.policy);
    Setup { scenario, sshd }
}

fn rsync(setup: &Setup, from: &str, to: &str) -> Output {
    let mut rsync = Command::new("rsync");
    rsync
        .arg("-a")
        .arg("-e")
        .arg(setup.sshd.ssh_command_line())
        .arg(from)
        .arg(to);
    run_client(&mut rsync, None)
}

/// The tree `srv/`, as the rsync client names it on the remote side.
fn remote_srv(setup: &Setup) -> String {
    format!(
        "{}:{}/",
        setup.sshd.host(),
        setup.scenario.path("srv").display()
    )
}

/// The denial a non-root gate gives for a kept capability.
fn assert_cannot_keep(setup: &Setup, output: &Output) {
    assert_eq!(
        output.status.code(),
        Some(77),
        "{}",
        setup.sshd.explain(output)
    );
    let uid = geteuid().as_raw();
    assert!(
        stderr(output).contains(&format!(
            "keeps CAP_DAC_READ_SEARCH, which sshgate (uid {uid}) does not hold"
        )),
        "{}",
        setup.sshd.explain(output)
    );
}

#[test]
fn a_root_pull_reads_what_only_the_kept_capability_allows() {
    let setup = setup(r#"["CAP_DAC_READ_SEARCH"]"#);
    let local = setup.sshd.dir().join("pulled");
    let remote = remote_srv(&setup);
    let output = rsync(&setup, &remote, &local.display().to_string());
    if !geteuid().is_root() {
        return assert_cannot_keep(&setup, &output);
    }
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        setup.sshd.explain(&output)
    );
    assert_eq!(
        fs::read_to_string(local.join("private/secret.txt")).unwrap(),
        "only nobody reads this\n"
    );
    let record = &setup.scenario.records()[0];
    assert_eq!(record["rule"], "pull");
    assert_eq!(record["user"], "root");
    assert_eq!(record["applied"]["capabilities"][0], "CAP_DAC_READ_SEARCH");
    assert_eq!(record["applied"]["seccomp"], "installed");
}

#[test]
fn without_the_capability_root_cannot_read_it() {
    let setup = setup("[]");
    let local = setup.sshd.dir().join("pulled");
    let remote = remote_srv(&setup);
    let output = rsync(&setup, &remote, &local.display().to_string());
    // rsync's "some files could not be transferred": the rest came through.
    assert_eq!(
        output.status.code(),
        Some(23),
        "{}",
        setup.sshd.explain(&output)
    );
    assert!(
        stderr(&output).contains("private\" failed: Permission denied (13)"),
        "{}",
        setup.sshd.explain(&output)
    );
    assert!(!local.join("private/secret.txt").exists());
}

#[test]
fn the_kept_capability_does_not_let_a_push_write() {
    let setup = setup(r#"["CAP_DAC_READ_SEARCH"]"#);
    let upload = setup.sshd.dir().join("upload");
    fs::create_dir(&upload).unwrap();
    fs::write(upload.join("planted.txt"), "planted\n").unwrap();
    let remote = remote_srv(&setup);
    let output = rsync(&setup, &format!("{}/", upload.display()), &remote);
    if !geteuid().is_root() {
        return assert_cannot_keep(&setup, &output);
    }
    // The rule allowed the push; Landlock (read-only grant) refused it.
    assert_ne!(
        output.status.code(),
        Some(0),
        "{}",
        setup.sshd.explain(&output)
    );
    assert!(
        stderr(&output).contains("Permission denied (13)"),
        "{}",
        setup.sshd.explain(&output)
    );
    assert!(!setup.scenario.path("srv/planted.txt").exists());
    assert_eq!(setup.scenario.records()[0]["rule"], "push");
}

#[test]
fn the_command_holds_exactly_the_kept_capability() {
    let setup = setup(r#"["CAP_DAC_READ_SEARCH"]"#);
    let output = setup.sshd.ssh(Some("cat /proc/self/status"));
    if !geteuid().is_root() {
        return assert_cannot_keep(&setup, &output);
    }
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        setup.sshd.explain(&output)
    );
    let status = stdout(&output);
    for line in [
        "CapInh:\t0000000000000000",
        "CapPrm:\t0000000000000004",
        "CapEff:\t0000000000000004",
        "CapBnd:\t0000000000000004",
        "CapAmb:\t0000000000000000",
        "NoNewPrivs:\t1",
        "Seccomp:\t2",
        "Uid:\t0\t0\t0\t0",
    ] {
        assert!(
            status.lines().any(|l| l == line),
            "missing {line:?} in\n{status}"
        );
    }
}
