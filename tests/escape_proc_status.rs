//! Every layer, as the confined command itself sees it: under the default
//! policy (only `/proc` granted, so it can read its own status) the probe
//! reads `/proc/self/status` and finds no_new_privs set, a seccomp filter in
//! force (`Seccomp: 2`, filter mode) and every capability set empty.
//!
//! The escape scenarios assert which layer stops each attempt; this one
//! asserts that all of them are there at once, from inside the child.

mod common;

use common::gate::{status_field, stderr, stdout};
use common::probe;
use nix::unistd::geteuid;

const POLICY: &str = r#"
log = "{log}"
[sandbox]
read = ["/proc"]

[[allow]]
name = "probe"
command = ["{probe}"]
trailing_args = true
"#;

/// The probe's `/proc/self/status` when run through the gate.
fn confined_status() -> String {
    let scenario = probe::scenario(POLICY);
    let output = probe::run(&scenario, &["status"]);
    let status = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    // Positive control: the command is the probe itself, not the gate.
    assert!(
        status.starts_with("Name:\tsshgate-escape-\n"),
        "not the probe's status: {status}"
    );
    status
}

#[test]
fn no_new_privs_is_set() {
    let status = confined_status();
    assert_eq!(status_field(&status, "NoNewPrivs"), Some("1"), "{status}");
}

#[test]
fn a_seccomp_filter_is_in_force() {
    let status = confined_status();
    // 2 is SECCOMP_MODE_FILTER; 0 would mean no filter at all.
    assert_eq!(status_field(&status, "Seccomp"), Some("2"), "{status}");
}

#[test]
fn sigpipe_is_not_ignored_and_no_signal_is_blocked() {
    // The gate's runtime ignores SIGPIPE; a command that inherited that
    // would see EPIPE where it should die quietly (`yes | head`). cat, not
    // the probe: the probe's own Rust runtime ignores SIGPIPE again.
    let scenario = common::gate::Scenario::new(
        "log = \"{log}\"\n[sandbox]\nread = [\"/proc\"]\n\
         [[allow]]\nname = \"status\"\ncommand = [\"/usr/bin/cat\", \"/proc/self/status\"]\n",
    );
    let output = scenario.run(Some("cat /proc/self/status"));
    let status = stdout(&output);
    let ignored = status_field(&status, "SigIgn")
        .and_then(|mask| u64::from_str_radix(mask, 16).ok())
        .unwrap_or_else(|| panic!("no SigIgn in {status}"));
    // Bit n - 1 stands for signal n. (The test runner may pass on others,
    // such as glibc's internal real-time signals, which the gate leaves
    // as it found them.)
    let sigpipe = 1u64 << (libc::SIGPIPE - 1);
    assert_eq!(ignored & sigpipe, 0, "SIGPIPE is ignored: {status}");
    // Nor SIGXFSZ, which the gate ignores while it writes its records.
    let sigxfsz = 1u64 << (libc::SIGXFSZ - 1);
    assert_eq!(ignored & sigxfsz, 0, "SIGXFSZ is ignored: {status}");
    assert_eq!(
        status_field(&status, "SigBlk"),
        Some("0000000000000000"),
        "{status}"
    );
}

#[test]
fn every_capability_set_is_empty() {
    let status = confined_status();
    let mut sets = vec!["CapInh", "CapPrm", "CapEff", "CapAmb"];
    // Emptying the bounding set takes CAP_SETPCAP, which only a root gate
    // has; elsewhere no_new_privs keeps exec from using the bounding set.
    if geteuid().is_root() {
        sets.push("CapBnd");
    } else {
        eprintln!("not root: the bounding set is left as it was");
    }
    for set in sets {
        assert_eq!(
            status_field(&status, set),
            Some("0000000000000000"),
            "{set} in {status}"
        );
    }
}

#[test]
fn the_unconfined_probe_reports_the_opposite() {
    // Control: the same probe outside the gate, so the fields above are
    // the gate's doing and not how this machine starts every process.
    let output = std::process::Command::new(probe::path())
        .arg("status")
        .output()
        .unwrap();
    let status = stdout(&output);
    assert_eq!(status_field(&status, "NoNewPrivs"), Some("0"), "{status}");
    assert_eq!(status_field(&status, "Seccomp"), Some("0"), "{status}");
    if geteuid().is_root() {
        assert_ne!(
            status_field(&status, "CapEff"),
            Some("0000000000000000"),
            "{status}"
        );
    }
}
