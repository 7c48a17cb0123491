//! Escape scenario: a command with a `write` grant (say, a backup
//! receive) makes a device node beneath it, e.g. a raw disk, to read or
//! write the device through it. A write grant never includes the Landlock
//! device rights, and root's CAP_MKNOD is dropped too.

mod common;

use std::fs;

use common::gate::{Scenario, stderr};

const POLICY: &str = r#"
log = "{log}"
[sandbox]
write = ["{dir}/rw"]

[[allow]]
name = "mknod"
command = ["/usr/bin/mknod", { regex = "/.*" }, { regex = "[bc]" }, { regex = "[0-9]+" }, { regex = "[0-9]+" }]
"#;

/// Runs `mknod <write dir>/<name> <kind> <major> <minor>` through the gate
/// and asserts it is refused and nothing is created.
fn assert_refused(name: &str, device: &str) {
    let scenario = Scenario::new(POLICY);
    fs::create_dir(scenario.path("rw")).unwrap();
    let node = scenario.path("rw").join(name);

    let output = scenario.run(Some(&format!("mknod {} {device}", node.display())));

    // Landlock answers EACCES before the kernel checks CAP_MKNOD (EPERM);
    // either one is a refusal.
    let text = stderr(&output);
    let prefix = format!("/usr/bin/mknod: {}: ", node.display());
    assert!(
        text == format!("{prefix}Permission denied\n")
            || text == format!("{prefix}Operation not permitted\n"),
        "stderr: {text}"
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        fs::symlink_metadata(&node).is_err(),
        "the device node was created"
    );
}

#[test]
fn a_character_device_cannot_be_made_beneath_a_write_path() {
    assert_refused("null", "c 1 3");
}

#[test]
fn a_block_device_cannot_be_made_beneath_a_write_path() {
    assert_refused("disk", "b 8 0");
}
