//! Escape scenario: a symlink widens a policy grant. The command may write a
//! directory, plants `pub -> /` in it, and a rule that reads `pub` would then
//! read the whole filesystem. Policy paths may go only through symlinks that
//! nobody but root or the invoking user could have put there, and never
//! through one beneath a writable path of the same plan.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use common::gate::{SANDBOX_DENIED, Scenario, assert_denied, stderr, stdout};
use common::mount::Mount;
use nix::unistd::getuid;

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

#[test]
fn a_symlink_planted_beneath_a_write_grant_cannot_widen_a_read_grant() {
    let scenario = Scenario::new(PLANTED);
    scenario.make_dir("w", 0o755);
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
    scenario.make_dir("out", 0o755);
    scenario.make_dir("data", 0o755);
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
    scenario.make_dir("shared", 0o775);
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
    scenario.make_dir("w", 0o755);
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
    scenario.make_dir("w", 0o755);
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

#[test]
fn a_symlink_planted_in_a_bind_mount_of_a_write_subdirectory_is_refused() {
    // The review's repro (c): t3/mnt is a bind mount of t3/w/sub. Walking
    // t3/mnt/link never passes t3/w, yet the link is the command's.
    let scenario = Scenario::new(
        r#"
log = "{log}"
[[allow]]
name = "upload"
command = ["/usr/bin/true"]
[allow.sandbox]
write = ["{dir}/t3/w"]

[[allow]]
name = "shadow"
command = ["/usr/bin/cat", "/etc/shadow"]
[allow.sandbox]
read = ["{dir}/t3/mnt/link"]
"#,
    );
    scenario.make_dir("t3", 0o755);
    scenario.make_dir("t3/w", 0o755);
    scenario.make_dir("t3/w/sub", 0o755);
    scenario.make_dir("t3/mnt", 0o755);
    let Some(_mount) = Mount::bind(&scenario.path("t3/w/sub"), &scenario.path("t3/mnt")) else {
        return;
    };
    // As an earlier "upload" request could have.
    symlink("/etc", scenario.path("t3/w/sub/link")).unwrap();

    let output = scenario.run(Some("cat /etc/shadow"));
    let link = scenario.path("t3/mnt/link");
    assert_denied(
        &output,
        SANDBOX_DENIED,
        &format!(
            "sandbox: grant path {l} goes through symlink {l}, which lies beneath the \
             writable path {w}; write the real path",
            l = link.display(),
            w = scenario.path("t3/w").display()
        ),
    );
}

/// Rule "plant" may write `w` and points `w/x` wherever its client says;
/// rule "nested" may write `w/x`; rule "df" writes nothing.
const NESTED_WRITE_PATHS: &str = r#"
log = "{log}"
[[allow]]
name = "plant"
command = ["/usr/bin/ln", "-sfn", { regex = "^.*$" }, "{dir}/w/x"]
[allow.sandbox]
write = ["{dir}/w"]

[[allow]]
name = "nested"
command = ["/usr/bin/true"]
[allow.sandbox]
write = ["{dir}/w/x"]

[[allow]]
name = "df"
command = ["/usr/bin/df", "-h"]
[allow.sandbox]
read = ["/proc/self/mountinfo"]
"#;

/// Points `w/x` at `target` through the "plant" rule, as a client may.
fn plant(scenario: &Scenario, target: &str) {
    let x = scenario.path("w/x");
    let planted = scenario.run(Some(&format!("ln -sfn {target} {}", x.display())));
    assert_eq!(planted.status.code(), Some(0), "{}", stderr(&planted));
    assert_eq!(fs::read_link(&x).unwrap(), Path::new(target));
}

/// Asserts that `output` is the command's, not a denial by the gate.
fn assert_ran(output: &std::process::Output) {
    assert!(
        !stderr(output).starts_with("sshgate: denied"),
        "{}",
        stderr(output)
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
}

#[test]
fn a_nested_write_path_turned_into_a_link_to_root_denies_only_its_own_rule() {
    // The review's repro: `w/x -> /` made "/" writable for every rule, so
    // even `df -h` was "beneath writable {dir}/w/x".
    let scenario = Scenario::new(NESTED_WRITE_PATHS);
    scenario.make_dir("w", 0o755);
    plant(&scenario, "/");

    assert_ran(&scenario.run(Some("df -h")));
    let x = scenario.path("w/x");
    assert_denied(
        &scenario.run(Some("true")),
        SANDBOX_DENIED,
        &format!(
            "sandbox: grant path {x} goes through symlink {x}, which lies beneath the \
             writable path {w}; write the real path",
            x = x.display(),
            w = scenario.path("w").display()
        ),
    );
}

#[test]
fn a_nested_write_path_turned_into_a_loop_denies_only_its_own_rule() {
    let scenario = Scenario::new(NESTED_WRITE_PATHS);
    scenario.make_dir("w", 0o755);
    plant(&scenario, "x");

    assert_ran(&scenario.run(Some("df -h")));
    let denied = scenario.run(Some("true"));
    assert_eq!(
        denied.status.code(),
        Some(SANDBOX_DENIED),
        "{}",
        stderr(&denied)
    );
}

/// Rule "deliver" writes into alice's inbox; alice owns her home, so she
/// may replace `inbox` with a link. Rule "list" reads `srv` and rule
/// "tool" runs a program in alice's home.
const LOCAL_USERS_INBOX: &str = r#"
log = "{log}"
[[allow]]
name = "deliver"
command = ["/usr/bin/true"]
[allow.sandbox]
write = ["{dir}/home/alice/inbox"]

[[allow]]
name = "list"
command = ["/usr/bin/ls", "{dir}/srv"]
[allow.sandbox]
read = ["{dir}/srv"]

[[allow]]
name = "tool"
command = ["{dir}/home/alice/tool"]
"#;

#[test]
fn a_local_user_breaking_another_rules_write_path_denies_only_the_rules_it_touches() {
    // The review's repro: alice replaced her inbox with a link to /etc,
    // and every rule of the profile was denied for a path it never uses.
    let scenario = Scenario::new(LOCAL_USERS_INBOX);
    scenario.make_dir("home", 0o755);
    scenario.make_dir("srv", 0o755);
    fs::write(scenario.path("srv/report"), "x").unwrap();
    let alice = scenario.path("home/alice");
    let inbox = alice.join("inbox");
    let tool = alice.join("tool");
    // Alice's home: hers when the test can give it to someone else,
    // writable by her group otherwise; either way the walk distrusts it.
    let why = if getuid().is_root() {
        scenario.make_dir("home/alice", 0o755);
        fs::copy("/usr/bin/true", &tool).unwrap();
        symlink("/etc", &inbox).unwrap();
        std::os::unix::fs::lchown(&inbox, Some(65534), None).unwrap();
        std::os::unix::fs::chown(&alice, Some(65534), None).unwrap();
        "owned by uid 65534, not by root or the invoking user (uid 0)".to_owned()
    } else {
        scenario.make_dir("home/alice", 0o775);
        fs::copy("/usr/bin/true", &tool).unwrap();
        symlink("/etc", &inbox).unwrap();
        "group-writable (mode 0775)".to_owned()
    };

    let output = scenario.run(Some(&format!("ls {}", scenario.path("srv").display())));
    assert_ran(&output);
    assert_eq!(stdout(&output), "report\n");

    // The rule whose own path alice broke is denied by its own walk.
    assert_denied(
        &scenario.run(Some("true")),
        SANDBOX_DENIED,
        &format!(
            "sandbox: grant path {i} goes through symlink {i}, which is in {a}, which is \
             {why}; write the real path",
            i = inbox.display(),
            a = alice.display()
        ),
    );
    // Whatever "deliver" could write lies in alice's home, which now
    // counts as writable as a whole.
    assert_denied(
        &scenario.run(Some(&tool.display().to_string())),
        SANDBOX_DENIED,
        &format!(
            "sandbox: executable {} is beneath writable {}: the command could replace what it \
             may execute",
            tool.display(),
            alice.display()
        ),
    );
}
