//! Escape scenario: someone else chooses what the command runs. A program,
//! `exec` entry or interpreter that a user other than root or the invoking
//! user owns, or that anyone may write, can be replaced by that user, and
//! would then run with the gate's identity (root, in the review's repro).
//! Every executable must pass the policy file's own ownership test.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::gate::{SANDBOX_DENIED, Scenario, assert_denied, stderr, stdout};
use nix::unistd::{Uid, chown, getuid};

/// `nobody` on Debian.
const NOBODY: u32 = 65534;

/// Copies `source` to `name` in the scenario, mode 0755.
fn copy(scenario: &Scenario, source: &str, name: &str) -> PathBuf {
    let path = scenario.path(name);
    common::gate::copy_executable(Path::new(source), &path);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Makes `path` someone else's to change: gives it to `nobody` when the
/// test runs as root, makes it writable by everyone otherwise. Returns why
/// the gate should distrust it.
fn make_untrusted(path: &Path) -> String {
    if getuid().is_root() {
        chown(path, Some(Uid::from_raw(NOBODY)), None).unwrap();
        format!("owned by uid {NOBODY}, not by root or the invoking user (uid 0)")
    } else {
        fs::set_permissions(path, fs::Permissions::from_mode(0o777)).unwrap();
        "group-writable (mode 0777)".to_owned()
    }
}

/// The denial reason for an untrusted executable.
fn untrusted(path: &Path, why: &str) -> String {
    format!("sandbox: executable {} is {why}", path.display())
}

/// Runs `{dir}/id -u` as the rule's program.
const ID: &str = r#"
log = "{log}"
[[allow]]
name = "id"
command = ["{dir}/id", "-u"]
"#;

#[test]
fn a_program_someone_else_owns_is_refused() {
    // The review's repro: a nobody-owned program ran as uid 0.
    let scenario = Scenario::new(ID);
    let id = copy(&scenario, "/usr/bin/id", "id");
    let why = make_untrusted(&id);
    let output = scenario.run(Some(&format!("{} -u", id.display())));
    assert_denied(&output, SANDBOX_DENIED, &untrusted(&id, &why));
}

#[test]
fn a_group_or_world_writable_program_is_refused() {
    let scenario = Scenario::new(ID);
    let id = copy(&scenario, "/usr/bin/id", "id");
    for mode in [0o775, 0o757] {
        fs::set_permissions(&id, fs::Permissions::from_mode(mode)).unwrap();
        let output = scenario.run(Some(&format!("{} -u", id.display())));
        let why = if mode == 0o775 {
            "group-writable (mode 0775)"
        } else {
            "world-writable (mode 0757)"
        };
        assert_denied(&output, SANDBOX_DENIED, &untrusted(&id, why));
    }
}

#[test]
fn a_trusted_copy_runs() {
    let scenario = Scenario::new(ID);
    let id = copy(&scenario, "/usr/bin/id", "id");
    let output = scenario.run(Some(&format!("{} -u", id.display())));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), format!("{}\n", getuid()));
}

#[test]
fn an_exec_file_someone_else_owns_is_refused() {
    let scenario = Scenario::new(
        r#"
log = "{log}"
[[allow]]
name = "run"
command = ["/usr/bin/env", "{dir}/bin/true"]
[allow.sandbox]
exec = ["{dir}/bin/true"]
"#,
    );
    scenario.make_dir("bin", 0o755);
    let tool = copy(&scenario, "/usr/bin/true", "bin/true");
    let command = format!("/usr/bin/env {}", tool.display());
    let output = scenario.run(Some(&command));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let why = make_untrusted(&tool);
    let output = scenario.run(Some(&command));
    assert_denied(&output, SANDBOX_DENIED, &untrusted(&tool, &why));
}

#[test]
fn an_exec_directory_others_may_add_to_is_refused_even_if_sticky() {
    // Like /tmp: anyone may add an executable to it, so the sticky bit
    // that makes such a directory safe to pass through does not help.
    let scenario = Scenario::new(
        r#"
log = "{log}"
[[allow]]
name = "run"
command = ["/usr/bin/env", "{dir}/shared/true"]
[allow.sandbox]
exec = ["{dir}/shared"]
"#,
    );
    let shared = scenario.make_dir("shared", 0o755);
    let tool = copy(&scenario, "/usr/bin/true", "shared/true");
    let command = format!("/usr/bin/env {}", tool.display());
    let output = scenario.run(Some(&command));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
    let output = scenario.run(Some(&command));
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &untrusted(&shared, "group-writable (mode 1777)"),
    );
}

#[test]
fn an_interpreter_someone_else_owns_is_refused() {
    let scenario = Scenario::new(
        r#"
log = "{log}"
[[allow]]
name = "script"
command = ["{dir}/bin/script"]
"#,
    );
    scenario.make_dir("bin", 0o755);
    scenario.make_dir("interp", 0o755);
    let shell = copy(&scenario, "/bin/dash", "interp/sh");
    let script = scenario.path("bin/script");
    fs::write(&script, format!("#!{}\necho hi\n", shell.display())).unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let command = script.display().to_string();
    let output = scenario.run(Some(&command));
    assert_eq!(stdout(&output), "hi\n", "{}", stderr(&output));

    let why = make_untrusted(&shell);
    let output = scenario.run(Some(&command));
    assert_denied(&output, SANDBOX_DENIED, &untrusted(&shell, &why));
}

/// Runs `{dir}/bin/tool` as the rule's program.
const TOOL: &str = r#"
log = "{log}"
[[allow]]
name = "tool"
command = ["{dir}/bin/tool"]
trailing_args = true
"#;

#[test]
fn a_program_in_a_directory_someone_else_controls_is_refused() {
    // A hostile review's repro: with bin/ hers, a local user replaced the
    // root-owned tool by a link to /usr/bin/id (or the loader), and the
    // root command ran what she chose. The program itself can be a
    // trusted copy; its directory is what she controls.
    let scenario = Scenario::new(TOOL);
    let bin = scenario.make_dir("bin", 0o755);
    let tool = copy(&scenario, "/usr/bin/true", "bin/tool");
    let why = make_untrusted(&bin);
    let output = scenario.run(Some(&tool.display().to_string()));
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &untrusted(&tool, &format!("in {}, which is {why}", bin.display())),
    );
}

#[test]
fn a_program_reached_through_a_link_someone_else_controls_is_refused() {
    let scenario = Scenario::new(TOOL);
    let bin = scenario.make_dir("bin", 0o755);
    std::os::unix::fs::symlink("/usr/bin/id", bin.join("tool")).unwrap();
    let why = make_untrusted(&bin);
    let tool = bin.join("tool");
    let output = scenario.run(Some(&format!("{} -u", tool.display())));
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: grant path {} goes through symlink {}, which is in {}, which is {why}; write the real path",
            tool.display(),
            tool.display(),
            bin.display()
        ),
    );
    assert_eq!(stdout(&output), "", "id ran");
}
