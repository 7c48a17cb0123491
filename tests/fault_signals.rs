//! Faults: a signal reaches the gate while it works. sshd sends SIGHUP
//! when the client goes away; SIGTERM and SIGINT come with a session torn
//! down. The gate holds them off until the exec: one that arrives makes
//! the request a recorded denial naming it, never an "allow" record for a
//! command that did not run. SIGPIPE cannot end the gate at all, nor can
//! the EPIPE of writing the denial line for a client that has gone.
//!
//! The deterministic tests stop the gate at a chosen syscall (see
//! `common::pause`), send the signal there and let it go on; the last test
//! sends SIGHUP at random moments and checks the invariant on every run.

#![cfg(target_arch = "x86_64")]

mod common;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::gate::{SANDBOX_DENIED, Scenario, assert_denied, forced, status_field, stderr};
use common::marker;
use common::pause::{StopAt, Stops, stop_at};
use common::syslog::SystemLog;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const HUP_REASON: &str = "the client went away (SIGHUP) before the command started";

/// Inside confinement: Landlock is applied, the allow record not written.
const CONFINING: StopAt = StopAt {
    nr: libc::SYS_landlock_restrict_self,
    arg0: None,
};

/// After the allow record, before the exec: the gate gives the command
/// its signal mask back there (`SIG_SETMASK`, and nowhere else), with the
/// held signals already caught.
const AFTER_THE_ALLOW_RECORD: StopAt = StopAt {
    nr: libc::SYS_rt_sigprocmask,
    arg0: Some(libc::SIG_SETMASK as u32),
};

fn scenario() -> Scenario {
    marker::scenario("log = \"{log}\"")
}

/// Runs the allowed command, stops the gate at `at`, hands the records
/// written so far to `check_so_far`, sends `signal` and lets it go on.
fn signal_at(
    scenario: &Scenario,
    at: &StopAt,
    signal: Signal,
    check_so_far: impl FnOnce(&[serde_json::Value]),
) -> Output {
    let mut gate = forced(&scenario.policy, Some(&marker::command(scenario)));
    let child = stop_at(&mut gate, at)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the gate");
    let stops = Stops::of(&child);
    let stopped = stops
        .next()
        .expect("the gate ended before it reached the syscall");
    assert_eq!(stopped.nr, at.nr, "stopped at another syscall");
    if let Some(arg0) = at.arg0 {
        assert_eq!(stopped.arg0 as u32, arg0, "stopped at another call");
    }
    check_so_far(&scenario.records());
    kill(Pid::from_raw(child.id() as i32), signal).expect("signal the gate");
    stops.resume(stopped);
    drop(stops);
    child.wait_with_output().expect("wait for the gate")
}

fn assert_signal_denied(scenario: &Scenario, output: &Output, reason: &str) {
    assert_denied(output, SANDBOX_DENIED, reason);
    assert!(!marker::ran(scenario), "the command ran");
    let records = scenario.records();
    let last = records.last().expect("a record");
    assert_eq!(last["decision"], "deny", "{records:?}");
    assert_eq!(last["rule"], "touch", "{records:?}");
    assert_eq!(last["reason"], reason, "{records:?}");
}

#[test]
fn sighup_while_the_gate_confines_itself_is_a_recorded_denial() {
    let scenario = scenario();
    let output = signal_at(&scenario, &CONFINING, Signal::SIGHUP, |records| {
        assert!(records.is_empty(), "recorded before Landlock: {records:?}");
    });
    assert_signal_denied(&scenario, &output, HUP_REASON);
    // The only record: no allow came before the denial.
    assert_eq!(scenario.records().len(), 1, "{:?}", scenario.records());
}

#[test]
fn sigterm_and_sigint_while_the_gate_confines_itself_are_recorded_denials() {
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        let scenario = scenario();
        let output = signal_at(&scenario, &CONFINING, signal, |_| {});
        let reason = format!(
            "sshgate was told to stop ({}) before the command started",
            signal.as_str()
        );
        assert_signal_denied(&scenario, &output, &reason);
        assert_eq!(scenario.records().len(), 1, "{:?}", scenario.records());
    }
}

#[test]
fn sighup_after_the_allow_record_is_a_denial_recorded_after_it() {
    // The case that left an "allow" for a command that never ran: the
    // default action of SIGHUP ended the gate between record and exec.
    let scenario = scenario();
    let output = signal_at(
        &scenario,
        &AFTER_THE_ALLOW_RECORD,
        Signal::SIGHUP,
        |records| {
            assert_eq!(records.len(), 1, "{records:?}");
            assert_eq!(records[0]["decision"], "allow", "{records:?}");
        },
    );
    assert_signal_denied(&scenario, &output, HUP_REASON);
    assert_eq!(scenario.records().len(), 2, "{:?}", scenario.records());
}

#[test]
fn sigpipe_while_the_gate_confines_itself_changes_nothing() {
    // The Rust runtime ignores SIGPIPE in the gate: it cannot end it, and
    // the command still runs, with SIGPIPE at its default again.
    let scenario = scenario();
    let output = signal_at(&scenario, &CONFINING, Signal::SIGPIPE, |_| {});
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(marker::ran(&scenario), "the command did not run");
    let records = scenario.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["decision"], "allow");
}

/// Runs `command` with stderr a pipe nobody reads any more, as when the
/// client has gone: writing the denial line fails with EPIPE.
fn with_stderr_gone(command: &mut Command) -> std::process::ExitStatus {
    let (reader, writer) = nix::unistd::pipe().expect("pipe");
    drop(reader);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(writer)
        .status()
        .expect("run the gate")
}

#[test]
fn a_denial_whose_client_is_gone_keeps_its_exit_status_and_record() {
    // eprintln! panicked on EPIPE: exit 101 instead of the denial's.
    let scenario = scenario();
    let status = with_stderr_gone(&mut forced(&scenario.policy, Some("cat /etc/shadow")));
    assert_eq!(status.code(), Some(77), "{status:?}");
    let records = scenario.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["reason"], "no rule allows \"cat /etc/shadow\"");
}

#[test]
fn a_malformed_invocation_whose_client_is_gone_is_still_recorded() {
    // The usage line was printed with eprintln! before the record: its
    // panic on EPIPE meant no record at all.
    let Some(system_log) = SystemLog::new() else {
        return;
    };
    let mut gate = Command::new(common::gate::binary());
    gate.env_clear()
        .env("SSH_CONNECTION", "192.0.2.10 50022 192.0.2.1 22")
        .env("SSH_ORIGINAL_COMMAND", "cat /etc/shadow");
    let status = with_stderr_gone(system_log.attach(&mut gate));
    assert_eq!(status.code(), Some(2), "{status:?}");
    let records = system_log.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        records[0]["reason"],
        "sshgate's own command line is malformed: one of --profile or --policy is required"
    );
    assert_eq!(records[0]["command"], "cat /etc/shadow");
}

/// `/proc/self/status` of `cat` started by `command`, after `setup` ran
/// between fork and exec.
fn status_under(command: &mut Command, setup: fn() -> std::io::Result<()>) -> String {
    // SAFETY: `setup` makes only async-signal-safe calls.
    let output = unsafe { command.pre_exec(setup) }
        .output()
        .expect("run cat");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    String::from_utf8(output.stdout).expect("status is text")
}

/// As sshd might leave them: SIGUSR1 and SIGHUP blocked, SIGINT ignored.
fn unusual_signal_state() -> std::io::Result<()> {
    // SAFETY: sigset and sigaction calls on local values only.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR1);
        libc::sigaddset(&mut set, libc::SIGHUP);
        if libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0
            || libc::signal(libc::SIGINT, libc::SIG_IGN) == libc::SIG_ERR
        {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[test]
fn the_command_starts_with_the_signal_mask_and_actions_the_gate_was_given() {
    let scenario = Scenario::new(
        "log = \"{log}\"\n[sandbox]\nread = [\"/proc\"]\n\
         [[allow]]\nname = \"status\"\ncommand = [\"/usr/bin/cat\", \"/proc/self/status\"]\n",
    );
    let through_gate = status_under(
        &mut forced(&scenario.policy, Some("cat /proc/self/status")),
        unusual_signal_state,
    );
    let direct = status_under(
        Command::new("/usr/bin/cat").arg("/proc/self/status"),
        unusual_signal_state,
    );
    for field in ["SigBlk", "SigIgn", "SigCgt"] {
        assert_eq!(
            status_field(&through_gate, field),
            status_field(&direct, field),
            "{field} through the gate differs from cat started directly:\n{through_gate}"
        );
    }
    // Positive control: the state set up is really there.
    let blocked = status_field(&through_gate, "SigBlk")
        .and_then(|mask| u64::from_str_radix(mask, 16).ok())
        .expect("SigBlk");
    assert_ne!(blocked & (1 << (libc::SIGHUP - 1)), 0, "{through_gate}");
}

/// How one run ended, as the invariant sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Outcome {
    /// The command ran to the end; one allow record.
    Ran,
    /// The command was started (an allow record) and the signal ended it.
    RanThenSignalled,
    /// Denied for the signal, recorded; nothing ran.
    DeniedForTheSignal,
    /// The signal ended the gate before it had written anything.
    KilledBeforeAnyRecord,
}

/// The name the kernel gives a process at exec (`comm`), read while it is
/// a zombie, so that an exec that happened can be told from one that did
/// not when both end by the same signal.
fn name_at_exit(pid: u32) -> String {
    // SAFETY: waitid fills in the one siginfo it is given; WNOWAIT leaves
    // the child to be reaped by `wait_with_output`.
    let waited = unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT)
    };
    assert_eq!(waited, 0, "waitid: {}", std::io::Error::last_os_error());
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .expect("comm of the zombie")
        .trim_end()
        .to_owned()
}

/// One run with SIGHUP after `delay`: its outcome, or what broke the
/// invariant.
fn run_once(delay: Duration) -> Result<Outcome, String> {
    let scenario = scenario();
    let child = forced(&scenario.policy, Some(&marker::command(&scenario)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the gate");
    std::thread::sleep(delay);
    kill(Pid::from_raw(child.id() as i32), Signal::SIGHUP).expect("signal the gate");
    let name = name_at_exit(child.id());
    let output = child.wait_with_output().expect("reap the gate");
    let records = scenario.records();
    let decisions: Vec<&str> = records
        .iter()
        .map(|r| r["decision"].as_str().unwrap_or("?"))
        .collect();
    let ran = marker::ran(&scenario);
    let killed = output.status.signal() == Some(libc::SIGHUP);
    let outcome = match (output.status.code(), killed, name.as_str(), &decisions[..]) {
        (Some(0), _, _, ["allow"]) if ran => Outcome::Ran,
        (None, true, "touch", ["allow"]) => Outcome::RanThenSignalled,
        (Some(SANDBOX_DENIED), _, _, ["deny"] | ["allow", "deny"])
            if !ran && stderr(&output) == format!("sshgate: denied: {HUP_REASON}\n") =>
        {
            Outcome::DeniedForTheSignal
        }
        (None, true, _, []) if name != "touch" && !ran => Outcome::KilledBeforeAnyRecord,
        _ => {
            return Err(format!(
                "after {delay:?}: status {:?}, process {name:?}, ran {ran}, records {decisions:?}, stderr {:?}",
                output.status,
                stderr(&output)
            ));
        }
    };
    if outcome == Outcome::DeniedForTheSignal {
        let last = records.last().expect("a record");
        if last["reason"] != HUP_REASON {
            return Err(format!(
                "after {delay:?}: the denial says {}",
                last["reason"]
            ));
        }
    }
    Ok(outcome)
}

/// Gate runs with a randomly timed SIGHUP.
const RUNS: usize = 200;

#[test]
fn a_sighup_at_any_moment_never_leaves_an_allow_for_a_command_that_did_not_run() {
    // The delays spread over one whole run, measured here (a release
    // binary is faster than a debug one): from the loader to the command.
    let warm_up = scenario();
    let started = Instant::now();
    let output = forced(&warm_up.policy, Some(&marker::command(&warm_up)))
        .output()
        .expect("run the gate once");
    assert!(marker::ran(&warm_up), "{}", stderr(&output));
    let span = started.elapsed().max(Duration::from_millis(3));
    let seed = RandomState::new().build_hasher().finish();
    eprintln!("delays in 0..{span:?}, seed {seed:#x}");
    let mut random = seed | 1;
    let mut counts = std::collections::BTreeMap::new();
    let mut broken = Vec::new();
    for _ in 0..RUNS {
        // xorshift64: enough to spread the delays, and the seed above
        // reproduces a failing sequence.
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        let delay = Duration::from_nanos(random % span.as_nanos() as u64);
        match run_once(delay) {
            Ok(outcome) => *counts.entry(outcome).or_insert(0) += 1,
            Err(why) => broken.push(why),
        }
    }
    eprintln!("outcomes of {RUNS} runs: {counts:?}");
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
