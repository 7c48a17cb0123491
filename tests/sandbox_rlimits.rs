//! Escape scenario: a command exhausts the host (file descriptors, disk,
//! CPU) or leaves a core dump of what it read outside the sandbox, or
//! creates files others can read. The policy's `rlimits` are set as both
//! soft and hard limits (so the command cannot raise them), `RLIMIT_CORE`
//! is 0 always, and the umask is the policy's (0077 by default). A limit
//! the kernel refuses denies the request rather than running the command
//! without it.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::gate::{SANDBOX_DENIED, Scenario, assert_denied, forced, status_field, stderr, stdout};

/// A policy with `sandbox` (TOML lines) added to its `[sandbox]` table.
fn policy(sandbox: &str) -> String {
    format!(
        r#"
log = "{{log}}"
[sandbox]
read = ["/proc", "/dev/zero"]
write = ["{{dir}}/rw"]
{sandbox}

[[allow]]
name = "limits"
command = ["/usr/bin/cat", "/proc/self/limits"]

[[allow]]
name = "status"
command = ["/usr/bin/cat", "/proc/self/status"]

[[allow]]
name = "touch"
command = ["/usr/bin/touch", {{ regex = "/.*" }}]

[[allow]]
name = "dd"
command = ["/usr/bin/dd", "if=/dev/zero", {{ regex = "of=/.*" }}, "bs=1024", "count=4"]

[[allow]]
name = "spin"
command = ["/usr/bin/sha256sum", "/dev/zero"]
"#
    )
}

/// A scenario for `policy(sandbox)` with its write directory created.
fn scenario(sandbox: &str) -> Scenario {
    let scenario = Scenario::new(&policy(sandbox));
    fs::create_dir(scenario.path("rw")).unwrap();
    scenario
}

/// The soft and hard values of the `/proc/<pid>/limits` line `name`, e.g.
/// `("64", "64")` for `Max open files`.
fn limit<'a>(limits: &'a str, name: &str) -> Option<(&'a str, &'a str)> {
    let line = limits.lines().find_map(|line| line.strip_prefix(name))?;
    let mut values = line.split_whitespace();
    Some((values.next()?, values.next()?))
}

/// The command's `/proc/self/limits` under `scenario`.
fn limits_of(scenario: &Scenario) -> String {
    let output = scenario.run(Some("cat /proc/self/limits"));
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    stdout(&output)
}

#[test]
fn the_command_runs_with_the_policys_limits_soft_and_hard() {
    let scenario = scenario(r#"rlimits = { nofile = 64, fsize = "1M", cpu = 5 }"#);
    let limits = limits_of(&scenario);
    // Soft equal to hard: the command cannot raise any of them again.
    for (name, value) in [
        ("Max open files", "64"),
        ("Max file size", "1048576"),
        ("Max cpu time", "5"),
        ("Max core file size", "0"),
    ] {
        assert_eq!(
            limit(&limits, name),
            Some((value, value)),
            "{name} in {limits}"
        );
    }
    assert_eq!(scenario.records()[0]["decision"], "allow");
}

#[test]
fn core_dumps_are_off_without_any_rlimits() {
    let limits = limits_of(&scenario(""));
    assert_eq!(
        limit(&limits, "Max core file size"),
        Some(("0", "0")),
        "{limits}"
    );
}

#[test]
fn unlimited_is_accepted_for_a_limit_already_unlimited() {
    // RLIMIT_AS is unlimited by default on Linux; the policy may say so
    // explicitly, and `unlimited` is RLIM_INFINITY, not a number.
    let mut ours = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct given.
    let read = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut ours) };
    if read != 0 || ours.rlim_max != libc::RLIM_INFINITY {
        eprintln!("skipped: this test runs with a hard RLIMIT_AS");
        return;
    }
    let limits = limits_of(&scenario(r#"rlimits = { as = "unlimited" }"#));
    assert_eq!(
        limit(&limits, "Max address space"),
        Some(("unlimited", "unlimited")),
        "{limits}"
    );
}

#[test]
fn the_umask_is_0077_by_default_and_the_policys_otherwise() {
    for (sandbox, umask, mode) in [("", "0077", 0o600), (r#"umask = "0027""#, "0027", 0o640)] {
        let scenario = scenario(sandbox);
        let output = scenario.run(Some("cat /proc/self/status"));
        let status = stdout(&output);
        assert_eq!(status_field(&status, "Umask"), Some(umask), "{status}");

        // And a file the command creates gets its mode from it: touch asks
        // for 0666.
        let file = scenario.path("rw/new");
        let output = scenario.run(Some(&format!("touch {}", file.display())));
        assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
        let created = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(created, mode, "mode of a file created under umask {umask}");
    }
}

#[test]
fn fsize_stops_a_larger_write() {
    let scenario = scenario(r#"rlimits = { fsize = "2K" }"#);
    let file = scenario.path("rw/big");
    let output = scenario.run(Some(&format!(
        "dd if=/dev/zero of={} bs=1024 count=4",
        file.display()
    )));
    // The kernel sends SIGXFSZ at the limit, whose default action ends dd;
    // the file stops at 2 KiB.
    assert_eq!(
        output.status.signal(),
        Some(libc::SIGXFSZ),
        "status {:?}, stderr: {}",
        output.status,
        stderr(&output)
    );
    assert_eq!(fs::metadata(&file).unwrap().len(), 2048);
}

#[test]
fn cpu_ends_a_command_that_spins() {
    let scenario = scenario("rlimits = { cpu = 1 }");
    let mut gate = forced(&scenario.policy, Some("sha256sum /dev/zero"));
    let mut child = gate
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // sha256sum of /dev/zero never ends by itself; one CPU second plus
    // scheduling must be far below the deadline.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the command was still running after 30 s with cpu = 1");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // SIGXCPU at the soft limit, SIGKILL at the hard one: they are equal,
    // so either may end it.
    assert!(
        matches!(status.signal(), Some(libc::SIGXCPU | libc::SIGKILL)),
        "status {status:?}"
    );
}

/// Asserts that `output` is a sandbox denial whose reason starts with
/// `start` and that the record says the same.
fn assert_sandbox_denial(scenario: &Scenario, output: &Output, start: &str) {
    let err = stderr(output);
    let reason = err
        .strip_prefix("sshgate: denied: ")
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("not a denial: {err}"));
    assert!(reason.starts_with(start), "{reason}");
    assert_denied(output, SANDBOX_DENIED, reason);
    let record = &scenario.records()[0];
    assert_eq!(record["decision"], "deny");
    assert_eq!(record["rule"], "limits");
    assert_eq!(record["reason"], reason);
}

#[test]
fn a_limit_the_kernel_refuses_denies() {
    // Above fs.nr_open (2^20 by default, and never above 2^31), which no
    // process may exceed, root or not.
    let scenario = scenario("rlimits = { nofile = 10000000000 }");
    let output = scenario.run(Some("cat /proc/self/limits"));
    let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open").unwrap();
    assert_sandbox_denial(
        &scenario,
        &output,
        &format!(
            "sandbox: cannot set resource limits: nofile = 10000000000 is above fs.nr_open ({}), which no process may exceed",
            nr_open.trim()
        ),
    );
}

#[test]
fn the_policy_cannot_raise_a_hard_limit_sshd_set() {
    // sshd (here: the hook below) gave the gate a hard limit of 256 open
    // files. The limits are set after the capabilities are narrowed, so
    // not even a root gate may raise it: only lower it.
    let lowered_by_sshd = || {
        let limit = libc::rlimit {
            rlim_cur: 256,
            rlim_max: 256,
        };
        // SAFETY: setrlimit reads the struct given; async-signal-safe.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    };

    let scenario = scenario("rlimits = { nofile = 512 }");
    let mut gate = forced(&scenario.policy, Some("cat /proc/self/limits"));
    // SAFETY: the hook makes one async-signal-safe syscall.
    let output = unsafe { gate.pre_exec(lowered_by_sshd) }.output().unwrap();
    assert_sandbox_denial(
        &scenario,
        &output,
        "sandbox: cannot set resource limits: nofile = 512 is above the hard limit sshgate was \
         given (256); raising a hard limit needs CAP_SYS_RESOURCE, which the command does not keep",
    );

    let lower = self::scenario("rlimits = { nofile = 128 }");
    let mut gate = forced(&lower.policy, Some("cat /proc/self/limits"));
    // SAFETY: as above.
    let output = unsafe { gate.pre_exec(lowered_by_sshd) }.output().unwrap();
    let limits = stdout(&output);
    assert_eq!(
        limit(&limits, "Max open files"),
        Some(("128", "128")),
        "stderr: {}",
        stderr(&output)
    );
}

#[test]
fn a_file_size_limit_below_the_logs_size_still_records_and_runs() {
    // The limits are set after the record is written: were they set
    // before, appending the record to a log larger than `fsize` would kill
    // the gate with SIGXFSZ, without a record or a denial line.
    let scenario = scenario("rlimits = { fsize = \"1K\" }");
    fs::write(&scenario.log, format!("{}\n", "x".repeat(4096))).unwrap();
    fs::set_permissions(&scenario.log, fs::Permissions::from_mode(0o600)).unwrap();
    let output = scenario.run(Some("cat /proc/self/limits"));
    assert_eq!(
        limit(&stdout(&output), "Max file size"),
        Some(("1024", "1024")),
        "stderr: {}",
        stderr(&output)
    );
    let text = fs::read_to_string(&scenario.log).unwrap();
    let records: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(records.len(), 1, "{text}");
    assert!(records[0].contains("\"decision\":\"allow\""), "{text}");
}
