//! Escape scenario: a command run as root uses root's capabilities to
//! change ownership or modes, or keeps capabilities across exec. The policy
//! default `capabilities = []` drops every capability from every set.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use caps::{CapSet, Capability};
use common::gate::{Scenario, stderr, stdout};

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

/// The value of `field` (e.g. `CapEff`) in a `/proc/<pid>/status` text.
fn status_field<'a>(status: &'a str, field: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(":\t"))
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
