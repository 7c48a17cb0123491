//! Escape scenario: a root command changes the mode, times or extended
//! attributes of a root-owned file it was granted nothing on (the policy,
//! the audit log, `/etc/shadow`, `authorized_keys`), or leaves a
//! setuid-root program in its write path for a local user to run.
//!
//! Landlock (ABI 7) has no right for metadata, and for uid 0 DAC allows the
//! owner everything: by path, through an `O_PATH` descriptor (which no
//! grant is needed to open), or through a descriptor opened read-only on
//! any read grant, the system base included (`/etc/passwd` made 0666 is
//! root for every local user). seccomp therefore refuses, by default,
//! every metadata change (EPERM) except setting a file it opened to "now"
//! (`touch`). Setuid and setgid modes are refused always, even with
//! `metadata = true`.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::probe::{self, attempt, unconfined};

const POLICY: &str = r#"
log = "{log}"
[sandbox]
write = ["{dir}/rw"]

[[allow]]
name = "probe"
command = ["{probe}"]
trailing_args = true
"#;

/// The same rule with metadata changes allowed.
const POLICY_WITH_METADATA: &str = r#"
log = "{log}"
[sandbox]
write = ["{dir}/rw"]
metadata = true

[[allow]]
name = "probe"
command = ["{probe}"]
trailing_args = true
"#;

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// A scenario with its write directory and a 0644 file outside every grant.
fn scenario(policy: &str) -> (common::gate::Scenario, String) {
    let scenario = probe::scenario(policy);
    fs::create_dir(scenario.path("rw")).unwrap();
    fs::create_dir(scenario.path("outside")).unwrap();
    let target = scenario.path("outside/target");
    fs::write(&target, "not granted\n").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o644)).unwrap();
    (scenario, target.display().to_string())
}

#[test]
fn a_file_outside_the_grants_keeps_its_mode_times_and_attributes() {
    let (scenario, target) = scenario(POLICY);
    // Control: unconfined, the owner may chmod it.
    assert_eq!(unconfined(&["chmod", &target, "644"]), "ok");

    assert_eq!(
        attempt(&scenario, &["chmod", &target, "666"]),
        "err chmod EPERM"
    );
    assert_eq!(
        attempt(&scenario, &["chmod-opath", &target, "666"]),
        "err fchmodat2 EPERM"
    );
    assert_eq!(
        attempt(&scenario, &["utime", &target]),
        "err utimensat EPERM"
    );
    assert_eq!(
        attempt(&scenario, &["setxattr", &target]),
        "err setxattr EPERM"
    );
    // By descriptor, the file must be opened first: Landlock refuses.
    assert_eq!(
        attempt(&scenario, &["fchmod", &target, "666"]),
        "err open EACCES"
    );
    assert_eq!(mode(Path::new(&target)), 0o644);
}

#[test]
fn files_it_may_open_keep_their_mode_too() {
    let (scenario, _) = scenario(POLICY);
    let inside = scenario.path("rw/file");
    fs::write(&inside, "granted\n").unwrap();
    fs::set_permissions(&inside, fs::Permissions::from_mode(0o644)).unwrap();
    let inside = inside.display().to_string();
    assert_eq!(
        attempt(&scenario, &["fchmod", &inside, "666"]),
        "err fchmod EPERM"
    );
    assert_eq!(mode(Path::new(&inside)), 0o644);
    // The system base is a read grant: the attempt asks for the mode the
    // file already has, so even a regression changes nothing.
    let passwd = mode(Path::new("/etc/passwd"));
    assert_eq!(
        attempt(
            &scenario,
            &["fchmod", "/etc/passwd", &format!("{passwd:o}")]
        ),
        "err fchmod EPERM"
    );
    assert_eq!(
        attempt(&scenario, &["chmod", &inside, "600"]),
        "err chmod EPERM"
    );
}

#[test]
fn metadata_true_allows_changes_by_path() {
    let (scenario, _) = scenario(POLICY_WITH_METADATA);
    let inside = scenario.path("rw/file");
    fs::write(&inside, "granted\n").unwrap();
    let inside = inside.display().to_string();
    assert_eq!(attempt(&scenario, &["chmod", &inside, "600"]), "ok");
    assert_eq!(attempt(&scenario, &["utime", &inside]), "ok");
    assert_eq!(attempt(&scenario, &["fchmod", &inside, "640"]), "ok");
    assert_eq!(mode(Path::new(&inside)), 0o640);
}

#[test]
fn no_setuid_or_setgid_program_can_be_made() {
    for policy in [POLICY, POLICY_WITH_METADATA] {
        let (scenario, _) = scenario(policy);
        let inside = scenario.path("rw/file");
        fs::write(&inside, "granted\n").unwrap();
        let inside = inside.display().to_string();
        let created = scenario.path("rw/created").display().to_string();
        // Control: a plain mode is fine.
        assert_eq!(attempt(&scenario, &["create", &created, "755"]), "ok");
        for bits in ["4755", "2755"] {
            let new = scenario
                .path(&format!("rw/suid-{bits}"))
                .display()
                .to_string();
            assert_eq!(
                attempt(&scenario, &["create", &new, bits]),
                "err open EPERM"
            );
            assert!(!Path::new(&new).exists());
            assert_eq!(
                attempt(&scenario, &["fchmod", &inside, bits]),
                "err fchmod EPERM"
            );
        }
        assert_eq!(mode(Path::new(&inside)) & 0o6000, 0);
    }
}
