//! Escape scenario: a rule grants `/proc` (for its own status, say), and
//! the command uses it to reach into another process of the same user:
//! its environment, its memory map, or a file it holds open, read through
//! `/proc/PID/fd/N` past every path rule. `/proc/PID/*` checks ptrace
//! access, and Landlock refuses that for a process outside the sandbox:
//! EACCES. The command's own `/proc/self` stays readable.
//!
//! The victim is a root `sleep` with an empty bounding set, so it has no
//! capability the confined command lacks: the kernel's own capability rule
//! for ptrace access lets the command through, and what refuses is
//! Landlock (the test shows the same reads succeeding without capabilities
//! and without the gate).

mod common;

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;

use common::probe::{self, attempt, unconfined};
use common::process::Sleeper;
use nix::unistd::geteuid;

const POLICY: &str = r#"
log = "{log}"
[sandbox]
read = ["/proc"]

[[allow]]
name = "probe"
command = ["{probe}"]
trailing_args = true
"#;

/// The descriptor on which the victim holds its secret open.
const SECRET_FD: i32 = 7;

/// Starts a same-user process outside the sandbox, with no capabilities,
/// holding `/etc/shadow` open on [`SECRET_FD`]; killed when dropped.
fn start_victim() -> Sleeper {
    let secret = File::open("/etc/shadow").unwrap();
    let fd = secret.as_raw_fd();
    let mut command = Command::new("/usr/bin/setpriv");
    command.args([
        "--bounding-set=-all",
        "--inh-caps=-all",
        "--",
        "/usr/bin/sleep",
        "30",
    ]);
    // SAFETY: dup2 is async-signal-safe; the copy has no O_CLOEXEC, so
    // setpriv and sleep inherit it.
    unsafe {
        command.pre_exec(move || {
            if libc::dup2(fd, SECRET_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let victim = Sleeper::spawn(&mut command);
    // Wait until setpriv has become sleep, with its empty sets.
    let status = victim.proc_file("status");
    for _ in 0..500 {
        let text = std::fs::read_to_string(&status).unwrap_or_default();
        if text.starts_with("Name:\tsleep\n") {
            assert!(text.contains("\nCapPrm:\t0000000000000000\n"), "{text}");
            return victim;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the victim did not start");
}

/// Runs the attempt `args` unconfined, as root with no capabilities.
fn without_capabilities(args: &[&str]) -> String {
    let output = Command::new("/usr/bin/setpriv")
        .args(["--bounding-set=-all", "--inh-caps=-all", "--"])
        .arg(probe::path())
        .args(args)
        .output()
        .unwrap();
    probe::line(&output)
}

#[test]
fn another_process_is_out_of_reach_through_proc() {
    if !geteuid().is_root() {
        eprintln!("skipped: the victim holds /etc/shadow open, which needs root");
        return;
    }
    let victim = start_victim();
    let files = [
        victim.proc_file("environ"),
        victim.proc_file("maps"),
        victim.proc_file(&format!("fd/{SECRET_FD}")),
    ];
    // Control: unconfined, each is readable, the secret through the fd
    // too; also with every capability dropped, as the confined command has
    // them, so the refusal below is not the kernel's capability rule.
    for file in &files {
        assert_eq!(unconfined(&["read", file]), "ok", "{file}");
        assert_eq!(without_capabilities(&["read", file]), "ok", "{file}");
    }

    let scenario = probe::scenario(POLICY);
    for file in &files {
        assert_eq!(
            attempt(&scenario, &["read", file]),
            "err open EACCES",
            "{file}"
        );
    }
    // Positive control: /proc is granted, and the command's own entries
    // are readable.
    assert_eq!(attempt(&scenario, &["read", "/proc/self/environ"]), "ok");
    assert_eq!(attempt(&scenario, &["read", "/proc/self/maps"]), "ok");
}
