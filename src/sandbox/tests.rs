//! Tests that apply the sandbox for real, each in a forked child.

use std::fs::{self, File};
use std::io::ErrorKind;
use std::path::Path;

use super::testing::{grant, plan_for, run_in_child, system_base};
use super::{Enforcement, confine, landlock_abi, resolve};
use crate::decide::plan::{Access, GrantOrigin};
use crate::exec::{ExecError, exec};

/// Whether this kernel has Landlock; the tests below need it.
fn landlock_available() -> bool {
    match landlock_abi() {
        Ok(_) => true,
        Err(e) => {
            eprintln!("skipped: {e}");
            false
        }
    }
}

/// Exit codes of the Landlock child, one per way the check can fail.
const OK: i32 = 0;
const CONFINE_FAILED: i32 = 10;
const NOT_FULLY_ENFORCED: i32 = 11;
const INSIDE_UNREADABLE: i32 = 12;
const OUTSIDE_READABLE: i32 = 13;
const OUTSIDE_OTHER_ERROR: i32 = 14;
const INSIDE_WRITABLE: i32 = 15;

#[test]
fn landlock_confines_reads_to_the_grants() {
    if !landlock_available() {
        return;
    }
    let allowed = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let inside = allowed.path().join("inside.txt");
    let outside = other.path().join("outside.txt");
    fs::write(&inside, "in").unwrap();
    fs::write(&outside, "out").unwrap();

    let mut plan = plan_for(
        Path::new("/usr/bin/cat"),
        vec![grant(
            allowed.path().to_str().unwrap(),
            Access::Read,
            GrantOrigin::Policy,
        )],
    );
    plan.chdir = allowed.path().to_path_buf();
    // Resolve in the parent: the child then only confines and opens files.
    let resolved = resolve(&plan).unwrap();

    let code = run_in_child(|| {
        let applied = match confine(&resolved, &plan) {
            Ok(applied) => applied,
            Err(_) => return CONFINE_FAILED,
        };
        if applied.landlock != Enforcement::FullyEnforced || !applied.no_new_privs {
            return NOT_FULLY_ENFORCED;
        }
        if File::open(&inside).is_err() {
            return INSIDE_UNREADABLE;
        }
        if File::create(allowed.path().join("new.txt")).is_ok() {
            return INSIDE_WRITABLE;
        }
        match File::open(&outside) {
            Ok(_) => OUTSIDE_READABLE,
            Err(e) if e.kind() == ErrorKind::PermissionDenied => OK,
            Err(_) => OUTSIDE_OTHER_ERROR,
        }
    });
    assert_eq!(code, OK, "see the exit codes above the test");
}

/// Exit codes of the exec children.
const EXEC_EACCES: i32 = 42;
const EXEC_OTHER_ERROR: i32 = 43;
const SH_RAN: i32 = 7;

/// Maps the result of `exec` in a child to an exit code.
fn exec_outcome(error: ExecError) -> i32 {
    match error {
        ExecError::Execve {
            source: nix::errno::Errno::EACCES,
            ..
        } => EXEC_EACCES,
        _ => EXEC_OTHER_ERROR,
    }
}

#[test]
fn only_the_granted_program_can_be_executed() {
    if !landlock_available() || !Path::new("/usr/bin/cat").exists() {
        return;
    }
    let mut grants = system_base();
    grants.push(grant("/usr/bin/cat", Access::Execute, GrantOrigin::Program));
    let mut cat = plan_for(Path::new("/usr/bin/cat"), grants);
    cat.argv = vec!["cat".into(), "/dev/null".into()];
    let resolved = resolve(&cat).unwrap();

    // The granted program, with the loader resolve() added, runs.
    let code = run_in_child(|| match confine(&resolved, &cat) {
        Ok(_) => match exec(&cat) {
            Ok(never) => match never {},
            Err(e) => exec_outcome(e),
        },
        Err(_) => CONFINE_FAILED,
    });
    assert_eq!(code, 0, "cat should run and exit 0");

    // Under the same sandbox, a shell is readable but not executable.
    let mut sh = cat.clone();
    sh.program = "/bin/sh".into();
    sh.argv = vec!["sh".into(), "-c".into(), format!("exit {SH_RAN}")];
    let code = run_in_child(|| match confine(&resolved, &cat) {
        Ok(_) => match exec(&sh) {
            Ok(never) => match never {},
            Err(e) => exec_outcome(e),
        },
        Err(_) => CONFINE_FAILED,
    });
    assert_eq!(code, EXEC_EACCES, "sh must fail with EACCES");
}
