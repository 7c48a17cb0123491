//! Escape scenario: a root gate runs a rule's command as another `user`,
//! and the command gets back to root, through a saved uid or gid, a
//! supplementary group root had, or capabilities root kept. The gate sets
//! the groups, then the real, effective and saved gid, then uid, and
//! verifies them; root's capabilities are gone unless the rule keeps some,
//! which then reach the command through the ambient set. A user that does
//! not exist denies the request.

mod common;

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::PermissionsExt;

use caps::{CapSet, Capability};
use common::gate::{Scenario, assert_denied, status_field, stderr, stdout};
use nix::unistd::{User, getgrouplist};

/// Exit status of a denial by `decide` (documented as 77).
const DECIDE_DENIED: i32 = 77;

/// A policy running its rules as `user`, keeping `capabilities` (a TOML
/// array). nobody's home, /nonexistent, does not exist: chdir is set.
fn policy(user: &str, capabilities: &str) -> String {
    format!(
        r#"
log = "{{log}}"
[sandbox]
read = ["/proc", "{{dir}}/secret"]
user = "{user}"
capabilities = {capabilities}
chdir = "/"

[[allow]]
name = "status"
command = ["/usr/bin/cat", "/proc/self/status"]

[[allow]]
name = "read"
command = ["/usr/bin/cat", {{ regex = "/.*" }}]
"#
    )
}

/// Whether this test runs as root, which switching users needs.
fn root() -> bool {
    let root = caps::has_cap(None, CapSet::Effective, Capability::CAP_SETUID).unwrap_or(false);
    if !root {
        eprintln!("skipped: needs root to switch users");
    }
    root
}

/// nobody's uid, primary gid and groups (as `initgroups` would set them).
fn nobody() -> (u32, u32, Vec<u32>) {
    let user = User::from_name("nobody").unwrap().expect("user nobody");
    let name = CString::new("nobody").unwrap();
    let mut groups: Vec<u32> = getgrouplist(&name, user.gid)
        .unwrap()
        .into_iter()
        .map(|gid| gid.as_raw())
        .collect();
    groups.sort_unstable();
    (user.uid.as_raw(), user.gid.as_raw(), groups)
}

/// A scenario for `policy(user, capabilities)` with `secret`: root's, mode
/// 0600, in the scenario directory (root's, mode 0700).
fn scenario(user: &str, capabilities: &str) -> Scenario {
    let scenario = Scenario::new(&policy(user, capabilities));
    let secret = scenario.path("secret");
    fs::write(&secret, "root's data\n").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o600)).unwrap();
    scenario
}

/// The command's `/proc/self/status` under `scenario`.
fn status_of(scenario: &Scenario) -> String {
    let output = scenario.run(Some("cat /proc/self/status"));
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    stdout(&output)
}

#[test]
fn the_command_runs_as_the_user_with_its_groups_and_nothing_of_root() {
    if !root() {
        return;
    }
    let (uid, gid, groups) = nobody();
    let status = status_of(&scenario("nobody", "[]"));

    // Real, effective, saved and filesystem ids: no saved root id to
    // switch back to.
    assert_eq!(
        status_field(&status, "Uid"),
        Some(format!("{uid}\t{uid}\t{uid}\t{uid}").as_str()),
        "{status}"
    );
    assert_eq!(
        status_field(&status, "Gid"),
        Some(format!("{gid}\t{gid}\t{gid}\t{gid}").as_str()),
        "{status}"
    );
    // Exactly nobody's groups: root's supplementary groups are gone.
    let mut found: Vec<u32> = status_field(&status, "Groups")
        .unwrap_or_default()
        .split_whitespace()
        .map(|group| group.parse().unwrap())
        .collect();
    found.sort_unstable();
    assert_eq!(found, groups, "{status}");
    // And no capability in any set: root's are not carried over.
    for field in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(
            status_field(&status, field),
            Some("0000000000000000"),
            "{field} in {status}"
        );
    }
}

#[test]
fn a_kept_capability_reaches_the_switched_command_through_the_ambient_set() {
    if !root() {
        return;
    }
    let (uid, _, _) = nobody();
    let status = status_of(&scenario("nobody", r#"["CAP_NET_BIND_SERVICE"]"#));
    // CAP_NET_BIND_SERVICE is capability 10: bit 0x400. A non-root command
    // gets its permitted and effective sets from the ambient set, which
    // can only hold what is inheritable; the bounding set holds nothing
    // else.
    for field in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(
            status_field(&status, field),
            Some("0000000000000400"),
            "{field} in {status}"
        );
    }
    assert_eq!(
        status_field(&status, "Uid"),
        Some(format!("{uid}\t{uid}\t{uid}\t{uid}").as_str()),
        "{status}"
    );
}

#[test]
fn the_switched_command_reads_roots_private_file_only_with_a_kept_capability() {
    if !root() {
        return;
    }
    // As nobody, root's 0700 directory and 0600 file are closed.
    let without = scenario("nobody", "[]");
    let secret = without.path("secret");
    let output = without.run(Some(&format!("cat {}", secret.display())));
    assert_eq!(
        stderr(&output),
        format!("/usr/bin/cat: {}: Permission denied\n", secret.display())
    );
    assert_eq!(output.status.code(), Some(1));

    // CAP_DAC_READ_SEARCH kept through the switch opens both, for reading.
    let with = scenario("nobody", r#"["dac_read_search"]"#);
    let secret = with.path("secret");
    let output = with.run(Some(&format!("cat {}", secret.display())));
    assert_eq!(
        stdout(&output),
        "root's data\n",
        "stderr: {}",
        stderr(&output)
    );
    let record = &with.records()[0];
    assert_eq!(record["decision"], "allow");
    assert_eq!(
        record["applied"]["capabilities"],
        serde_json::json!(["CAP_DAC_READ_SEARCH"])
    );
}

#[test]
fn a_user_that_does_not_exist_denies() {
    let scenario = scenario("sshgate-no-such-user", "[]");
    let output = scenario.run(Some("cat /proc/self/status"));
    // decide denies before the sandbox: there is no uid to switch to, and
    // running as the gate's user instead would be wrong.
    let reason = "rule \"status\": user \"sshgate-no-such-user\" does not exist on this host";
    assert_denied(&output, DECIDE_DENIED, reason);
    let record = &scenario.records()[0];
    assert_eq!(record["decision"], "deny");
    assert_eq!(record["reason"], reason);
}
