//! Escape scenarios: execute and write overlap. A `write` directory inside
//! an `exec` directory lets the command upload a file and run it; an `exec`
//! entry or a symlink reached through a bind mount of a writable directory
//! is as writable as the directory itself. Writable and executable paths
//! are compared by identity (device and inode), so neither nesting nor an
//! alias hides the overlap.

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::gate::{Scenario, assert_denied, stderr};
use nix::unistd::getuid;

/// Exit code of a sandbox-stage denial.
const SANDBOX_DENIED: i32 = 71;

/// Creates the directory `name` in the scenario with exactly `mode`.
fn make_dir(scenario: &Scenario, name: &str, mode: u32) -> PathBuf {
    let path = scenario.path(name);
    fs::create_dir(&path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    path
}

/// Writes an executable `#!/bin/sh` script at `name` in the scenario, as if
/// the command had uploaded it.
fn make_script(scenario: &Scenario, name: &str, body: &str) -> PathBuf {
    let path = scenario.path(name);
    fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The denial reason for a writable path inside an executable directory.
fn write_beneath_exec(write: &Path, exec: &Path) -> String {
    format!(
        "sandbox: writable {} is beneath executable {}: the command could execute what it \
         uploads",
        write.display(),
        exec.display()
    )
}

#[test]
fn a_write_directory_inside_an_exec_directory_is_refused() {
    // The review's repro: `env {dir}/t1/up/evil` ran the uploaded file.
    let scenario = Scenario::new(
        r#"
log = "{log}"
[[allow]]
name = "run"
command = ["/usr/bin/env", "{dir}/t1/up/evil"]
[allow.sandbox]
exec = ["{dir}/t1"]
write = ["{dir}/t1/up"]
"#,
    );
    let t1 = make_dir(&scenario, "t1", 0o755);
    let up = make_dir(&scenario, "t1/up", 0o755);
    let evil = make_script(&scenario, "t1/up/evil", "echo uploaded and run\n");

    let output = scenario.run(Some(&format!("/usr/bin/env {}", evil.display())));
    assert_denied(&output, SANDBOX_DENIED, &write_beneath_exec(&up, &t1));
}

#[test]
fn another_rules_write_directory_inside_an_exec_directory_is_refused() {
    // The running rule writes nothing; another rule could upload into t1/up
    // on an earlier request.
    let scenario = Scenario::new(
        r#"
log = "{log}"
[[allow]]
name = "upload"
command = ["/usr/bin/true"]
[allow.sandbox]
write = ["{dir}/t1/up"]

[[allow]]
name = "run"
command = ["/usr/bin/env", "{dir}/t1/up/evil"]
[allow.sandbox]
exec = ["{dir}/t1"]
"#,
    );
    let t1 = make_dir(&scenario, "t1", 0o755);
    let up = make_dir(&scenario, "t1/up", 0o755);
    let evil = make_script(&scenario, "t1/up/evil", "echo uploaded and run\n");

    let output = scenario.run(Some(&format!("/usr/bin/env {}", evil.display())));
    assert_denied(&output, SANDBOX_DENIED, &write_beneath_exec(&up, &t1));
}

#[test]
fn an_exec_file_beside_a_write_directory_still_runs() {
    let scenario = Scenario::new(
        r#"
log = "{log}"
[[allow]]
name = "run"
command = ["/usr/bin/env", "{dir}/bin/hello"]
[allow.sandbox]
exec = ["{dir}/bin/hello"]
write = ["{dir}/up"]
"#,
    );
    make_dir(&scenario, "bin", 0o755);
    make_dir(&scenario, "up", 0o755);
    let hello = make_script(&scenario, "bin/hello", "echo hello\n");

    let output = scenario.run(Some(&format!("/usr/bin/env {}", hello.display())));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "hello\n");
}

/// A bind mount of `source` at `target`, unmounted on drop even when the
/// test fails.
struct BindMount {
    target: PathBuf,
}

impl BindMount {
    /// Mounts, or returns `None` (after saying why) when the test cannot:
    /// mounting needs root and a mount namespace that allows it.
    fn new(source: &Path, target: &Path) -> Option<Self> {
        if !getuid().is_root() {
            eprintln!("skipped: bind mounts need root");
            return None;
        }
        let output = Command::new("mount")
            .arg("--bind")
            .arg(source)
            .arg(target)
            .output()
            .expect("run mount");
        if !output.status.success() {
            eprintln!("skipped: mount --bind failed: {}", stderr(&output));
            return None;
        }
        Some(Self {
            target: target.to_path_buf(),
        })
    }
}

impl Drop for BindMount {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.target)
            .status()
            .is_ok_and(|status| status.success());
        if !unmounted {
            eprintln!("could not unmount {}", self.target.display());
        }
    }
}

/// The profile may write `w`, which is also mounted at `b`.
const THROUGH_BIND_MOUNT: &str = r#"
log = "{log}"
[[allow]]
name = "upload"
command = ["/usr/bin/true"]
[allow.sandbox]
write = ["{dir}/w"]

[[allow]]
name = "shadow"
command = ["/usr/bin/cat", "/etc/shadow"]
[allow.sandbox]
read = ["{dir}/b/pub"]

[[allow]]
name = "tool"
command = ["/usr/bin/env", "{dir}/b/tool"]
[allow.sandbox]
exec = ["{dir}/b/tool"]
"#;

#[test]
fn a_symlink_planted_in_a_bind_mount_of_a_write_directory_is_refused() {
    let scenario = Scenario::new(THROUGH_BIND_MOUNT);
    let w = make_dir(&scenario, "w", 0o755);
    let b = make_dir(&scenario, "b", 0o755);
    let Some(_mount) = BindMount::new(&w, &b) else {
        return;
    };
    // As an earlier "upload" request could have.
    symlink("/", w.join("pub")).unwrap();

    let output = scenario.run(Some("cat /etc/shadow"));
    let public = b.join("pub");
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: grant path {p} goes through symlink {p}, which lies beneath the \
             writable path {w}; write the real path",
            p = public.display(),
            w = w.display()
        ),
    );
}

#[test]
fn an_exec_entry_in_a_bind_mount_of_a_write_directory_is_refused() {
    let scenario = Scenario::new(THROUGH_BIND_MOUNT);
    let w = make_dir(&scenario, "w", 0o755);
    let b = make_dir(&scenario, "b", 0o755);
    let Some(_mount) = BindMount::new(&w, &b) else {
        return;
    };
    make_script(&scenario, "w/tool", "echo replaced\n");

    let tool = b.join("tool");
    let output = scenario.run(Some(&format!("/usr/bin/env {}", tool.display())));
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: executable {} is beneath writable {}: the command could replace what \
             it may execute",
            tool.display(),
            w.display()
        ),
    );
}
