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

use common::gate::{SANDBOX_DENIED, Scenario, assert_denied, stderr, stdout};
use common::mount::Mount;
use nix::unistd::getuid;

/// Writes an executable `#!/bin/sh` script at `name` in the scenario, as if
/// the command had uploaded it.
fn make_script(scenario: &Scenario, name: &str, body: &str) -> PathBuf {
    let path = scenario.path(name);
    fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Copies `/usr/bin/uname` to `name` in the scenario, as if the command had
/// uploaded a binary: unlike a script, it needs no interpreter beyond the
/// loader every plan grants.
fn upload_binary(scenario: &Scenario, name: &str) -> PathBuf {
    let path = scenario.path(name);
    fs::copy("/usr/bin/uname", &path).unwrap();
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
    let t1 = scenario.make_dir("t1", 0o755);
    let up = scenario.make_dir("t1/up", 0o755);
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
    let t1 = scenario.make_dir("t1", 0o755);
    let up = scenario.make_dir("t1/up", 0o755);
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
    scenario.make_dir("bin", 0o755);
    scenario.make_dir("up", 0o755);
    let hello = make_script(&scenario, "bin/hello", "echo hello\n");

    let output = scenario.run(Some(&format!("/usr/bin/env {}", hello.display())));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "hello\n");
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
    let w = scenario.make_dir("w", 0o755);
    let b = scenario.make_dir("b", 0o755);
    let Some(_mount) = Mount::bind(&w, &b) else {
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
    let w = scenario.make_dir("w", 0o755);
    let b = scenario.make_dir("b", 0o755);
    let Some(_mount) = Mount::bind(&w, &b) else {
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

/// The review's repro (a): the writable `t1/mnt` is a bind mount of
/// `t1/exec/sub`, a subdirectory of the executable `t1/exec`.
const WRITE_IS_A_BIND_OF_AN_EXEC_SUBDIRECTORY: &str = r#"
log = "{log}"
[[allow]]
name = "run"
command = ["/usr/bin/env", "{dir}/t1/exec/sub/evil"]
[allow.sandbox]
exec = ["{dir}/t1/exec"]
write = ["{dir}/t1/mnt"]
"#;

#[test]
fn a_write_directory_bound_from_inside_an_exec_directory_is_refused() {
    let scenario = Scenario::new(WRITE_IS_A_BIND_OF_AN_EXEC_SUBDIRECTORY);
    scenario.make_dir("t1", 0o755);
    let exec = scenario.make_dir("t1/exec", 0o755);
    let sub = scenario.make_dir("t1/exec/sub", 0o755);
    let mnt = scenario.make_dir("t1/mnt", 0o755);
    let Some(_mount) = Mount::bind(&sub, &mnt) else {
        return;
    };
    // As the command could have through t1/mnt on an earlier run.
    let evil = upload_binary(&scenario, "t1/mnt/evil");
    let evil_in_exec = exec.join("sub/evil");
    assert!(
        evil_in_exec.exists(),
        "{} is {}",
        evil.display(),
        evil_in_exec.display()
    );

    let output = scenario.run(Some(&format!("/usr/bin/env {}", evil_in_exec.display())));
    assert_denied(&output, SANDBOX_DENIED, &write_beneath_exec(&mnt, &exec));
}

/// The review's repro (b): the executable `t2/mnt` is a bind mount of
/// `t2/w/sub`, a subdirectory of the writable `t2/w`.
const EXEC_IS_A_BIND_OF_A_WRITE_SUBDIRECTORY: &str = r#"
log = "{log}"
[[allow]]
name = "run"
command = ["/usr/bin/env", "{dir}/t2/mnt/evil"]
[allow.sandbox]
exec = ["{dir}/t2/mnt"]
write = ["{dir}/t2/w"]
"#;

#[test]
fn an_exec_directory_bound_from_inside_a_write_directory_is_refused() {
    let scenario = Scenario::new(EXEC_IS_A_BIND_OF_A_WRITE_SUBDIRECTORY);
    scenario.make_dir("t2", 0o755);
    let w = scenario.make_dir("t2/w", 0o755);
    let sub = scenario.make_dir("t2/w/sub", 0o755);
    let mnt = scenario.make_dir("t2/mnt", 0o755);
    let Some(_mount) = Mount::bind(&sub, &mnt) else {
        return;
    };
    // As the command could have through t2/w on an earlier run.
    upload_binary(&scenario, "t2/w/sub/evil");

    let evil = mnt.join("evil");
    let output = scenario.run(Some(&format!("/usr/bin/env {}", evil.display())));
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: executable {} is beneath writable {}: the command could replace what \
             it may execute",
            mnt.display(),
            w.display()
        ),
    );
}

#[test]
fn an_exec_file_hard_linked_into_a_write_directory_is_refused() {
    // bin/tool and w/tool are one file: the command rewrites w/tool in
    // place, then runs bin/tool.
    let scenario = Scenario::new(
        r#"
log = "{log}"
[[allow]]
name = "upload"
command = ["/usr/bin/true"]
[allow.sandbox]
write = ["{dir}/w"]

[[allow]]
name = "run"
command = ["/usr/bin/env", "{dir}/bin/tool"]
[allow.sandbox]
exec = ["{dir}/bin/tool"]
"#,
    );
    scenario.make_dir("bin", 0o755);
    let w = scenario.make_dir("w", 0o755);
    let tool = make_script(&scenario, "bin/tool", "echo original\n");
    fs::hard_link(&tool, w.join("tool")).unwrap();
    fs::write(w.join("tool"), "#!/bin/sh\necho rewritten and run\n").unwrap();

    let output = scenario.run(Some(&format!("/usr/bin/env {}", tool.display())));
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: executable {} has 2 hard links and is on the same filesystem as {}, \
             a path the profile may write: a command of the profile could rewrite it through \
             another link",
            tool.display(),
            w.display()
        ),
    );
}

#[test]
fn a_package_binary_with_several_names_still_runs_beside_a_write_path() {
    // /usr/bin/perl is also /usr/bin/perl5.x: two links, both root's, in a
    // tree no confined command can add links to.
    let scenario = Scenario::new(
        "log = \"{log}\"\n[sandbox]\nwrite = [\"{dir}/w\"]\n[[allow]]\nname = \"perl\"\ncommand = [\"/usr/bin/perl\", \"-e\", \"print 42\"]\n",
    );
    fs::create_dir(scenario.path("w")).unwrap();
    let links = fs::metadata("/usr/bin/perl")
        .map(|m| std::os::unix::fs::MetadataExt::nlink(&m))
        .unwrap_or(0);
    let output = scenario.run(Some("perl -e 'print 42'"));
    assert_eq!(
        stdout(&output),
        "42",
        "perl has {links} links; stderr: {}",
        stderr(&output)
    );
}

#[test]
fn a_write_grant_on_one_file_leaves_hard_linked_executables_alone() {
    // The review's repro: a rule that may write only {dir}/out.log had
    // every multi-link executable on the filesystem refused. A file grant
    // reaches only its own inode.
    let scenario = Scenario::new(
        r#"
log = "{log}"
[[allow]]
name = "run"
command = ["/usr/bin/env", "{dir}/bin/tool"]
[allow.sandbox]
exec = ["{dir}/bin/tool"]
write = ["{dir}/out.log"]
"#,
    );
    scenario.make_dir("bin", 0o755);
    let tool = make_script(&scenario, "bin/tool", "echo tool\n");
    fs::hard_link(&tool, scenario.path("bin/tool-too")).unwrap();
    fs::write(scenario.path("out.log"), "").unwrap();

    let command = format!("/usr/bin/env {}", tool.display());
    let output = scenario.run(Some(&command));
    assert_eq!(stdout(&output), "tool\n", "{}", stderr(&output));
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn a_write_grant_on_another_link_of_an_executable_is_refused() {
    // What a file grant does reach: the very file, by identity.
    let scenario = Scenario::new(
        r#"
log = "{log}"
[[allow]]
name = "run"
command = ["/usr/bin/env", "{dir}/bin/tool"]
[allow.sandbox]
exec = ["{dir}/bin/tool"]
write = ["{dir}/w/tool"]
"#,
    );
    scenario.make_dir("bin", 0o755);
    scenario.make_dir("w", 0o755);
    let tool = make_script(&scenario, "bin/tool", "echo tool\n");
    let other = scenario.path("w/tool");
    fs::hard_link(&tool, &other).unwrap();

    let output = scenario.run(Some(&format!("/usr/bin/env {}", tool.display())));
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: executable {} is beneath writable {}: the command could replace what \
             it may execute",
            tool.display(),
            other.display()
        ),
    );
}

/// A symlink under a system tree, removed on drop even when the test fails.
struct SystemLink(PathBuf);

impl Drop for SystemLink {
    fn drop(&mut self) {
        if let Err(error) = fs::remove_file(&self.0) {
            eprintln!("could not remove {}: {error}", self.0.display());
        }
    }
}

#[test]
fn a_link_in_a_system_tree_to_a_hard_linked_file_elsewhere_is_refused() {
    // The review's repro: /usr/local/bin/tool -> {dir}/real/tool was
    // exempt as a "package binary" because of where the link is, though
    // the file is in {dir}, with another link in the writable {dir}/w.
    if !getuid().is_root() {
        eprintln!("skipped: needs root to add a link to /usr/local/bin");
        return;
    }
    let program = PathBuf::from(format!(
        "/usr/local/bin/sshgate-test-{}",
        std::process::id()
    ));
    let policy = r#"
log = "{log}"
[[allow]]
name = "tool"
command = ["{program}"]
[allow.sandbox]
write = ["{dir}/w"]
"#
    .replace("{program}", &program.display().to_string());
    let scenario = Scenario::new(&policy);
    scenario.make_dir("real", 0o755);
    let w = scenario.make_dir("w", 0o755);
    let real = upload_binary(&scenario, "real/tool");
    fs::hard_link(&real, w.join("tool")).unwrap();
    symlink(&real, &program).unwrap();
    let _link = SystemLink(program.clone());

    let output = scenario.run(Some(&program.display().to_string()));
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: executable {} has 2 hard links and is on the same filesystem as writable \
             {}: the command could rewrite it through another link",
            program.display(),
            w.display()
        ),
    );
}
