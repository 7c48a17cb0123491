//! Escape scenario: a symlink widens a policy grant. The command may write a
//! directory, plants `pub -> /` in it, and a rule that reads `pub` would then
//! read the whole filesystem. Policy paths may go only through symlinks that
//! nobody but root or the invoking user could have put there, and never
//! through one beneath a writable path of the same plan.

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use common::gate::{Scenario, assert_denied, stderr, stdout};

/// Exit code of a sandbox-stage denial.
const SANDBOX_DENIED: i32 = 71;

/// The profile may write `w`; one rule plants the link with the gate itself,
/// another reads through it.
const PLANTED: &str = r#"
log = "{log}"
[sandbox]
write = ["{dir}/w"]

[[allow]]
name = "plant"
command = ["/usr/bin/ln", "-s", "/", "{dir}/w/pub"]

[[allow]]
name = "shadow"
command = ["/usr/bin/cat", "/etc/shadow"]
[allow.sandbox]
read = ["{dir}/w/pub"]
"#;

/// Creates the directory `name` in the scenario with exactly `mode`.
fn make_dir(scenario: &Scenario, name: &str, mode: u32) {
    let path = scenario.path(name);
    fs::create_dir(&path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_symlink_planted_beneath_a_write_grant_cannot_widen_a_read_grant() {
    let scenario = Scenario::new(PLANTED);
    make_dir(&scenario, "w", 0o755);
    let public = scenario.path("w/pub");

    let planted = scenario.run(Some(&format!("ln -s / {}", public.display())));
    assert_eq!(planted.status.code(), Some(0), "{}", stderr(&planted));
    assert_eq!(fs::read_link(&public).unwrap(), Path::new("/"));

    let output = scenario.run(Some("cat /etc/shadow"));
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: grant path {p} goes through symlink {p}, which lies beneath the \
             writable path {w}; write the real path",
            p = public.display(),
            w = scenario.path("w").display()
        ),
    );
}

#[test]
fn proc_self_through_root_owned_proc_still_works() {
    let scenario = Scenario::new(
        r#"
log = "{log}"
[[allow]]
name = "mounts"
command = ["/usr/bin/cat", "/proc/self/mountinfo"]
[allow.sandbox]
read = ["/proc/self/mountinfo"]
"#,
    );
    let output = scenario.run(Some("cat /proc/self/mountinfo"));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains(" / / "), "{}", stdout(&output));
}

#[test]
fn a_symlink_in_a_trusted_directory_outside_the_write_grants_works() {
    // The scenario dir is 0700 and the test user's; the link is not beneath
    // the one writable path.
    let scenario = Scenario::new(
        r#"
log = "{log}"
[sandbox]
write = ["{dir}/out"]
read = ["{dir}/alias"]

[[allow]]
name = "cat"
command = ["/usr/bin/cat", "{dir}/alias/file"]
"#,
    );
    make_dir(&scenario, "out", 0o755);
    make_dir(&scenario, "data", 0o755);
    fs::write(scenario.path("data/file"), "through a trusted link\n").unwrap();
    symlink(scenario.path("data"), scenario.path("alias")).unwrap();

    let output = scenario.run(Some(&format!(
        "cat {}",
        scenario.path("alias/file").display()
    )));
    assert_eq!(
        stdout(&output),
        "through a trusted link\n",
        "{}",
        stderr(&output)
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn a_symlink_in_a_group_writable_directory_is_refused() {
    let scenario = Scenario::new(
        r#"
log = "{log}"
[sandbox]
read = ["{dir}/shared/link"]

[[allow]]
name = "cat"
command = ["/usr/bin/cat", "/etc/shadow"]
"#,
    );
    make_dir(&scenario, "shared", 0o775);
    let link = scenario.path("shared/link");
    symlink("/etc", &link).unwrap();

    let output = scenario.run(Some("cat /etc/shadow"));
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: grant path {l} goes through symlink {l}, which is in {s}, which is \
             group-writable (mode 0775); write the real path",
            l = link.display(),
            s = scenario.path("shared").display()
        ),
    );
}

#[test]
fn a_symlink_planted_through_another_rules_write_grant_cannot_widen_a_read_grant() {
    // Only the planting rule may write `w`; the reading rule's own plan has
    // no write grant at all, so the profile's writable paths must count.
    let scenario = Scenario::new(
        r#"
log = "{log}"

[[allow]]
name = "plant"
command = ["/usr/bin/ln", "-s", "/", "{dir}/w/pub"]
[allow.sandbox]
write = ["{dir}/w"]

[[allow]]
name = "shadow"
command = ["/usr/bin/cat", "/etc/shadow"]
[allow.sandbox]
read = ["{dir}/w/pub"]
"#,
    );
    make_dir(&scenario, "w", 0o755);
    let public = scenario.path("w/pub");
    let planted = scenario.run(Some(&format!("ln -s / {}", public.display())));
    assert_eq!(planted.status.code(), Some(0), "{}", stderr(&planted));

    let output = scenario.run(Some("cat /etc/shadow"));
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: grant path {p} goes through symlink {p}, which lies beneath the \
             writable path {w}; write the real path",
            p = public.display(),
            w = scenario.path("w").display()
        ),
    );
}

#[test]
fn a_write_grant_written_through_an_alias_still_covers_its_directory() {
    // Writable paths are compared by identity: `alias` is `w`, however the
    // read grant spells it.
    let scenario = Scenario::new(
        r#"
log = "{log}"
[sandbox]
write = ["{dir}/alias"]

[[allow]]
name = "shadow"
command = ["/usr/bin/cat", "/etc/shadow"]
[allow.sandbox]
read = ["{dir}/w/pub"]
"#,
    );
    make_dir(&scenario, "w", 0o755);
    symlink("w", scenario.path("alias")).unwrap();
    let public = scenario.path("w/pub");
    symlink("/", &public).unwrap();

    let output = scenario.run(Some("cat /etc/shadow"));
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: grant path {p} goes through symlink {p}, which lies beneath the \
             writable path {a}; write the real path",
            p = public.display(),
            a = scenario.path("alias").display()
        ),
    );
}
