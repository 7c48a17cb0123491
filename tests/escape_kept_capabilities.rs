//! Escape scenario: a root key keeps a capability, and the command uses it
//! beyond what the policy meant.
//!
//! - The pull backup keeps `CAP_DAC_READ_SEARCH` to read every file of the
//!   tree it backs up, whoever owns them. The capability overrides file
//!   permissions, not Landlock: `/etc/shadow` outside the grant still fails
//!   with EACCES.
//! - A key that keeps `CAP_SYS_ADMIN`, `CAP_BPF` and `CAP_SYS_PTRACE` has
//!   what the kernel asks for mount, bpf, namespaces and tracing. seccomp
//!   does not look at capabilities: each still fails with EPERM, and
//!   Landlock's ptrace rule keeps the parent out of reach too.
//!
//! Needs root, the only gate that holds capabilities to keep.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::gate::{Scenario, stderr, stdout};
use common::probe::{self, attempt, unconfined};
use nix::unistd::{Uid, chown, geteuid};

/// `nobody` on Debian.
const NOBODY: u32 = 65534;

const BACKUP: &str = r#"
log = "{log}"
[sandbox]
read = ["{dir}/srv"]
capabilities = ["CAP_DAC_READ_SEARCH"]

[[allow]]
name = "probe"
command = ["{probe}"]
trailing_args = true
"#;

const ADMIN: &str = r#"
log = "{log}"
[sandbox]
read = ["/proc"]
capabilities = ["CAP_SYS_ADMIN", "CAP_BPF", "CAP_SYS_PTRACE"]

[[allow]]
name = "probe"
command = ["{probe}"]
trailing_args = true
"#;

/// Whether the test can run: only a root gate has capabilities to keep.
fn is_root() -> bool {
    let root = geteuid().is_root();
    if !root {
        eprintln!("skipped: only a root gate can keep capabilities");
    }
    root
}

/// The backup scenario with `srv/private`, nobody's file of mode 0600
/// that only DAC override or read-search can read.
fn backup() -> (Scenario, String) {
    let scenario = probe::scenario(BACKUP);
    scenario.make_dir("srv", 0o755);
    let private = scenario.path("srv/private");
    fs::write(&private, "nobody's data\n").unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o600)).unwrap();
    chown(&private, Some(Uid::from_raw(NOBODY)), None).unwrap();
    (scenario, private.display().to_string())
}

#[test]
fn dac_read_search_reads_the_grant_and_nothing_beyond() {
    if !is_root() {
        return;
    }
    let (scenario, private) = backup();
    // Positive control: the capability is kept and works inside the grant.
    assert_eq!(attempt(&scenario, &["read", &private]), "ok");
    // Outside it, Landlock has the last word.
    assert_eq!(
        attempt(&scenario, &["read", "/etc/shadow"]),
        "err open EACCES"
    );
    let host_key = "/etc/ssh/ssh_host_ed25519_key";
    if std::path::Path::new(host_key).exists() {
        assert_eq!(attempt(&scenario, &["read", host_key]), "err open EACCES");
    }
}

#[test]
fn kept_capabilities_are_in_force() {
    if !is_root() {
        return;
    }
    let scenario = probe::scenario(ADMIN);
    let output = probe::run(&scenario, &["status"]);
    let status = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    // CAP_SYS_PTRACE (19), CAP_SYS_ADMIN (21) and CAP_BPF (39).
    let kept = format!("{:016x}", (1u64 << 19) | (1 << 21) | (1 << 39));
    for set in ["CapPrm", "CapEff", "CapBnd"] {
        assert!(
            status.contains(&format!("\n{set}:\t{kept}\n")),
            "{set} is not {kept}: {status}"
        );
    }
    assert!(status.contains("\nSeccomp:\t2\n"), "{status}");
}

#[test]
fn kept_admin_capabilities_do_not_reopen_what_seccomp_refuses() {
    if !is_root() {
        return;
    }
    // Control: with these capabilities and no gate, each call succeeds.
    assert_eq!(unconfined(&["bpf", "map"]), "ok");
    assert_eq!(unconfined(&["unshare-user"]), "ok");
    assert_eq!(unconfined(&["ptrace", "child"]), "ok");

    let scenario = probe::scenario(ADMIN);
    let target = scenario.make_dir("mnt", 0o755).display().to_string();
    assert_eq!(attempt(&scenario, &["bpf", "map"]), "err bpf EPERM");
    assert_eq!(
        attempt(&scenario, &["mount", "tmpfs", &target]),
        "err mount EPERM"
    );
    assert_eq!(attempt(&scenario, &["unshare-user"]), "err unshare EPERM");
    assert_eq!(attempt(&scenario, &["clone-user"]), "err clone EPERM");
    assert_eq!(attempt(&scenario, &["ptrace", "child"]), "err ptrace EPERM");
    assert_eq!(
        attempt(&scenario, &["ptrace", "parent"]),
        "err ptrace EPERM"
    );
    assert_eq!(
        attempt(&scenario, &["vm-read", "self"]),
        "err process_vm_readv EPERM"
    );
}
