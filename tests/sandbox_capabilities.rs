//! Escape scenario: a command run as root uses root's capabilities to
//! change ownership or modes, or keeps capabilities across exec. The policy
//! default `capabilities = []` drops every capability from every set; a
//! rule that keeps some (the root pull backup keeping
//! `CAP_DAC_READ_SEARCH`) gets exactly those, in the permitted, effective
//! and bounding sets, and nothing else. A kept capability the gate does not
//! hold denies the request instead of running the command without it.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::process::Output;

use caps::{CapSet, Capability};
use common::gate::{SANDBOX_DENIED, Scenario, assert_denied, forced, status_field, stderr, stdout};

const POLICY: &str = r#"
log = "{log}"
[sandbox]
read = ["/proc"]
write = ["{dir}/rw"]

[[allow]]
name = "status"
command = ["/usr/bin/cat", "/proc/self/status"]

[[allow]]
name = "chown"
command = ["/usr/bin/chown", "nobody", { regex = "/.*" }]

[[allow]]
name = "chmod"
command = ["/usr/bin/chmod", "0777", { regex = "/.*" }]
"#;

/// The uid of `nobody` on Debian.
const NOBODY: u32 = 65534;

/// Whether this test process (and so the gate it starts) has `capability`
/// effective, as root does.
fn has_effective(capability: Capability) -> bool {
    caps::has_cap(None, CapSet::Effective, capability).unwrap_or(false)
}

/// A scenario with its write directory created.
fn scenario() -> Scenario {
    let scenario = Scenario::new(POLICY);
    fs::create_dir(scenario.path("rw")).unwrap();
    scenario
}

#[test]
fn the_command_has_no_capabilities() {
    let scenario = scenario();
    let output = scenario.run(Some("cat /proc/self/status"));
    let status = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert!(status.starts_with("Name:\tcat\n"), "{status}");
    for field in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
        assert_eq!(
            status_field(&status, field),
            Some("0000000000000000"),
            "{field} in {status}"
        );
    }
    // Emptying the bounding set needs CAP_SETPCAP. Without it (not root)
    // the gate leaves it, and no_new_privs keeps exec from using it.
    if has_effective(Capability::CAP_SETPCAP) {
        assert_eq!(
            status_field(&status, "CapBnd"),
            Some("0000000000000000"),
            "{status}"
        );
    } else {
        eprintln!("not root: the bounding set is left as it was");
        assert!(status.contains("\nNoNewPrivs:\t1\n"), "{status}");
    }
}

#[test]
fn root_cannot_give_away_a_file_it_owns() {
    let scenario = scenario();
    let file = scenario.path("rw/owned");
    fs::write(&file, "x").unwrap();
    let owner = fs::metadata(&file).unwrap().uid();

    let output = scenario.run(Some(&format!("chown nobody {}", file.display())));

    // Without CAP_CHOWN (dropped, or never held when not root) the kernel
    // refuses with EPERM.
    assert_eq!(
        stderr(&output),
        format!(
            "/usr/bin/chown: changing ownership of '{}': Operation not permitted\n",
            file.display()
        )
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(fs::metadata(&file).unwrap().uid(), owner, "owner changed");
}

#[test]
fn root_cannot_change_the_mode_of_another_users_file() {
    if !has_effective(Capability::CAP_CHOWN) {
        eprintln!("skipped: needs root to give the file to nobody");
        return;
    }
    let scenario = scenario();
    let file = scenario.path("rw/nobodys");
    fs::write(&file, "x").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::chown(&file, Some(NOBODY), None).unwrap();

    let output = scenario.run(Some(&format!("chmod 0777 {}", file.display())));

    // CAP_FOWNER is what would let root change another user's mode.
    assert_eq!(
        stderr(&output),
        format!(
            "/usr/bin/chmod: changing permissions of '{}': Operation not permitted\n",
            file.display()
        )
    );
    assert_eq!(output.status.code(), Some(1));
    let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600, "mode changed");
}

/// Exit status of a denial by `decide` (documented as 77).
const DECIDE_DENIED: i32 = 77;

/// A root pull backup: `cat` of one file, keeping `capabilities` (a TOML
/// array).
fn backup_policy(capabilities: &str) -> String {
    format!(
        r#"
log = "{{log}}"
[sandbox]
read = ["/proc", "{{dir}}/secret"]
capabilities = {capabilities}

[[allow]]
name = "status"
command = ["/usr/bin/cat", "/proc/self/status"]

[[allow]]
name = "backup"
command = ["/usr/bin/cat", {{ regex = "/.*" }}]
"#
    )
}

/// A scenario for `backup_policy(capabilities)` with `secret`: mode 0600,
/// owned by nobody, so that only CAP_DAC_READ_SEARCH (or CAP_DAC_OVERRIDE)
/// lets root read it.
fn backup_scenario(capabilities: &str) -> Scenario {
    let scenario = Scenario::new(&backup_policy(capabilities));
    let secret = scenario.path("secret");
    fs::write(&secret, "nobody's data\n").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::chown(&secret, Some(NOBODY), None).unwrap();
    scenario
}

#[test]
fn root_keeps_exactly_the_kept_capability() {
    if !has_effective(Capability::CAP_SETPCAP) {
        eprintln!("skipped: needs root (a gate that holds CAP_DAC_READ_SEARCH)");
        return;
    }
    let scenario = backup_scenario(r#"["dac_read_search"]"#);
    let output = scenario.run(Some("cat /proc/self/status"));
    let status = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    // CAP_DAC_READ_SEARCH is capability 2: bit 0x4. The kernel gives a
    // root command its bounding set, so permitted and effective follow it;
    // the inheritable and ambient sets stay empty.
    for (field, value) in [
        ("CapPrm", "0000000000000004"),
        ("CapEff", "0000000000000004"),
        ("CapBnd", "0000000000000004"),
        ("CapInh", "0000000000000000"),
        ("CapAmb", "0000000000000000"),
    ] {
        assert_eq!(
            status_field(&status, field),
            Some(value),
            "{field} in {status}"
        );
    }
    let record = &scenario.records()[0];
    assert_eq!(record["decision"], "allow");
    assert_eq!(
        record["applied"]["capabilities"],
        serde_json::json!(["CAP_DAC_READ_SEARCH"])
    );
    assert_eq!(record["applied"]["bounding_set_cleared"], true);
}

#[test]
fn a_root_pull_backup_reads_a_private_file_only_with_dac_read_search() {
    if !has_effective(Capability::CAP_DAC_READ_SEARCH) {
        eprintln!("skipped: needs root (CAP_DAC_READ_SEARCH)");
        return;
    }
    // Without the capability, root is an ordinary reader of nobody's 0600
    // file: the kernel's permission check refuses it.
    let without = backup_scenario("[]");
    let secret = without.path("secret");
    let output = without.run(Some(&format!("cat {}", secret.display())));
    assert_eq!(
        stderr(&output),
        format!("/usr/bin/cat: {}: Permission denied\n", secret.display())
    );
    assert_eq!(output.status.code(), Some(1));

    // With it, the same command reads it.
    let with = backup_scenario(r#"["CAP_DAC_READ_SEARCH"]"#);
    let secret = with.path("secret");
    let output = with.run(Some(&format!("cat {}", secret.display())));
    assert_eq!(
        stdout(&output),
        "nobody's data\n",
        "stderr: {}",
        stderr(&output)
    );
    assert_eq!(output.status.code(), Some(0));
}

/// `capget(2)`/`capset(2)` header and data (version 3: two 32-bit words),
/// for the pre_exec hooks below, which may not allocate.
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// Runs the gate on `scenario` for `command` after `prepare` has changed
/// the gate's own capabilities between fork and exec.
fn run_with(scenario: &Scenario, command: &str, prepare: fn() -> std::io::Result<()>) -> Output {
    let mut gate = forced(&scenario.policy, Some(command));
    // SAFETY: `prepare` makes only raw syscalls, which are async-signal-safe.
    unsafe {
        gate.pre_exec(prepare);
    }
    gate.output().unwrap()
}

/// Drops CAP_DAC_READ_SEARCH from the bounding set: a root gate then
/// starts without it in its permitted set (root's permitted set after
/// `execve(2)` is its bounding set).
fn drop_dac_read_search_from_bounding_set() -> std::io::Result<()> {
    let index = Capability::CAP_DAC_READ_SEARCH.index();
    // SAFETY: PR_CAPBSET_DROP takes an integer and touches no memory.
    if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, libc::c_ulong::from(index), 0, 0, 0) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Makes CAP_DAC_READ_SEARCH inheritable, then drops it from the bounding
/// set: a root gate then starts with it permitted (root's permitted set
/// after `execve(2)` also takes in the inheritable set) but outside its
/// bounding set, where a root command could not get it.
fn keep_dac_read_search_only_inheritable() -> std::io::Result<()> {
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: header and two data words, as capget(2) and capset(2) take.
    unsafe {
        if libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        data[0].inheritable |= 1 << Capability::CAP_DAC_READ_SEARCH.index();
        if libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    drop_dac_read_search_from_bounding_set()
}

/// Whether CAP_DAC_READ_SEARCH is in the set `field` (e.g. `CapPrm`) of
/// a `/proc/<pid>/status` text.
fn dac_read_search_in(status: &str, field: &str) -> bool {
    let bit = 1u64 << Capability::CAP_DAC_READ_SEARCH.index();
    status_field(status, field)
        .and_then(|mask| u64::from_str_radix(mask, 16).ok())
        .is_some_and(|mask| mask & bit != 0)
}

#[test]
fn a_kept_capability_the_gate_does_not_hold_is_denied_before_the_sandbox() {
    if !has_effective(Capability::CAP_SETPCAP) {
        eprintln!("skipped: needs root to drop a capability from the gate");
        return;
    }
    let scenario = backup_scenario(r#"["CAP_DAC_READ_SEARCH"]"#);
    let secret = scenario.path("secret");

    let output = run_with(
        &scenario,
        &format!("cat {}", secret.display()),
        drop_dac_read_search_from_bounding_set,
    );

    // decide sees the gate's permitted set and refuses: the command would
    // run without the capability it was written for.
    let reason = "rule \"backup\" keeps CAP_DAC_READ_SEARCH, which sshgate (uid 0) does not \
                  hold, so the command cannot have it";
    assert_denied(&output, DECIDE_DENIED, reason);
    let record = &scenario.records()[0];
    assert_eq!(record["decision"], "deny");
    assert_eq!(record["reason"], reason);
}

#[test]
fn a_kept_capability_outside_the_gates_bounding_set_is_denied_by_the_sandbox() {
    if !has_effective(Capability::CAP_SETPCAP) {
        eprintln!("skipped: needs root to drop a capability from the gate");
        return;
    }
    // The setup: a gate that holds the capability (so decide allows) but
    // cannot pass it on (it is not in its bounding set). Checked on a plain
    // root `cat` started after the same hook: the gate starts with the same
    // sets.
    let probe = run_with_status(keep_dac_read_search_only_inheritable);
    assert!(dac_read_search_in(&probe, "CapPrm"), "setup: {probe}");
    assert!(!dac_read_search_in(&probe, "CapBnd"), "setup: {probe}");

    let scenario = backup_scenario(r#"["CAP_DAC_READ_SEARCH"]"#);
    let secret = scenario.path("secret");
    let output = run_with(
        &scenario,
        &format!("cat {}", secret.display()),
        keep_dac_read_search_only_inheritable,
    );

    // The sandbox checks before changing anything, so the command does
    // not run without the capability its rule keeps.
    let reason = "sandbox: cannot drop capabilities: CAP_DAC_READ_SEARCH is not in sshgate's \
                  bounding set, so the command cannot keep it";
    assert_denied(&output, SANDBOX_DENIED, reason);
    let record = &scenario.records()[0];
    assert_eq!(record["decision"], "deny");
    assert_eq!(record["rule"], "backup");
    assert_eq!(record["reason"], reason);
}

/// The `/proc/self/status` of a process started, like the gate, after
/// `prepare`: `cat` itself, run as root without sshgate.
fn run_with_status(prepare: fn() -> std::io::Result<()>) -> String {
    let mut cat = std::process::Command::new("/usr/bin/cat");
    cat.arg("/proc/self/status");
    // SAFETY: `prepare` makes only raw syscalls, which are async-signal-safe.
    unsafe {
        cat.pre_exec(prepare);
    }
    stdout(&cat.output().unwrap())
}
