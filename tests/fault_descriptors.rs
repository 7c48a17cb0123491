//! Faults: the gate starts with almost no file descriptors to spare
//! (`RLIMIT_NOFILE` just above stdin, stdout and stderr). Whatever limit
//! it gets, it either runs the command or denies with the reason
//! (EMFILE) and a record; it never runs anything unrecorded.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};

use common::gate::{SANDBOX_DENIED, Scenario, forced, stderr};
use common::marker;
use common::syslog::SystemLog;

/// Runs `gate` with `RLIMIT_NOFILE` set to `limit` (soft and hard), as
/// `prlimit --nofile=LIMIT` would, and stdin, stdout and stderr open.
fn with_descriptor_limit(gate: &mut Command, limit: u64) -> Output {
    // SAFETY: only setrlimit, async-signal-safe, between fork and exec.
    unsafe {
        gate.pre_exec(move || {
            let rlimit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &rlimit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    gate.stdin(Stdio::null())
        .output()
        .expect("run the gate with few descriptors")
}

fn run(scenario: &Scenario, limit: u64) -> Output {
    with_descriptor_limit(
        &mut forced(&scenario.policy, Some(&marker::command(scenario))),
        limit,
    )
}

#[test]
fn with_no_descriptor_free_the_gate_never_starts() {
    // The dynamic loader needs a descriptor to map the gate's shared
    // libraries, so with 0, 1 and 2 open and a limit of 3, none of the
    // gate's code runs: no record can be written, and what the client
    // gets is the loader's line and its exit status, 127.
    let scenario = marker::scenario("log = \"{log}\"");
    let output = run(&scenario, 3);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(127), "{err}");
    assert!(
        err.contains("error while loading shared libraries: ") && err.ends_with("Error 24\n"),
        "not the loader's EMFILE: {err}"
    );
    assert!(!marker::ran(&scenario), "the command ran");
    assert!(!scenario.log.exists(), "something was recorded");
}

#[test]
fn at_every_low_descriptor_limit_the_gate_runs_the_command_or_records_why_not() {
    for limit in 4..=64 {
        let scenario = marker::scenario("log = \"{log}\"");
        let output = run(&scenario, limit);
        let records = scenario.records();
        if output.status.code() == Some(0) {
            assert!(marker::ran(&scenario), "limit {limit}: exit 0, nothing ran");
            assert_eq!(records.len(), 1, "limit {limit}: {records:?}");
            assert_eq!(records[0]["decision"], "allow", "limit {limit}");
            // Every lower limit was a recorded denial; one descriptor free
            // must not be enough to run.
            assert!(limit > 4, "the command ran with {limit} descriptors");
            return;
        }
        let err = stderr(&output);
        assert_eq!(
            output.status.code(),
            Some(SANDBOX_DENIED),
            "limit {limit}: {err}"
        );
        let reason = err
            .strip_prefix("sshgate: denied: ")
            .and_then(|reason| reason.strip_suffix('\n'))
            .unwrap_or_else(|| panic!("limit {limit}: not one denial line: {err:?}"));
        assert!(
            reason.starts_with("sandbox: ") && reason.contains("Too many open files (os error 24)"),
            "limit {limit}: {reason}"
        );
        assert!(!marker::ran(&scenario), "limit {limit}: the command ran");
        assert_eq!(records.len(), 1, "limit {limit}: {records:?}");
        assert_eq!(records[0]["decision"], "deny", "limit {limit}");
        assert_eq!(records[0]["reason"], reason, "limit {limit}");
    }
    panic!("the command did not run even with 64 descriptors");
}

#[test]
fn with_one_descriptor_free_the_denial_reaches_the_system_log() {
    // Without `log`, the one free descriptor is the system log's socket.
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let scenario = marker::scenario("");
    let mut gate = forced(&scenario.policy, Some(&marker::command(&scenario)));
    let output = with_descriptor_limit(system_log.attach(&mut gate), 4);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(SANDBOX_DENIED), "{err}");
    assert!(!marker::ran(&scenario), "the command ran");
    let records = system_log.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["decision"], "deny");
    let reason = records[0]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("Too many open files (os error 24)"),
        "{reason}"
    );
    assert_eq!(err, format!("sshgate: denied: {reason}\n"));
}
