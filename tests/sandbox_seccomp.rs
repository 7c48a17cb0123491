//! The seccomp layer, seen from inside the confined command: the filter is
//! in force (one filter, filter mode), the default deny-list refuses with
//! EPERM, `clone3` with ENOSYS, x32 numbers with EPERM, an i386 call kills,
//! `socket(2)` follows `network` and `unix`, and `deny_syscalls` adds to the
//! list.
//!
//! Where no system tool gives a clear errno, a tiny C probe compiled into
//! the scenario makes the call: `probe NR [ARGS...]` makes a raw syscall and
//! prints `ok` or `errno=N`. Each test first runs the probe (or tool)
//! unconfined, so the refusal is shown to come from the sandbox and not
//! from the host; and nothing but seccomp refuses these calls: Landlock
//! does not cover socket creation or namespaces, and the calls need no
//! capability.

#![cfg(target_arch = "x86_64")]

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::gate::{Scenario, stderr, stdout};

/// The probe's source. Raw syscalls with integer arguments, plus three
/// calls that need more than integers.
const PROBE: &str = r#"
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *nothing(void *arg) { return arg; }

static int report(long ret) {
    if (ret == -1)
        printf("errno=%d\n", errno);
    else
        printf("ok\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    if (strcmp(argv[1], "int80") == 0) {
        /* i386 getpid (20) through the 32-bit entry point. */
        long ret;
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
        printf("int80 ret=%ld\n", ret);
        return 0;
    }
    if (strcmp(argv[1], "thread") == 0) {
        /* glibc tries clone3 first and falls back to clone on ENOSYS. */
        pthread_t thread;
        int e = pthread_create(&thread, NULL, nothing, NULL);
        if (e != 0) {
            printf("errno=%d\n", e);
            return 0;
        }
        pthread_join(thread, NULL);
        printf("ok\n");
        return 0;
    }
    if (strcmp(argv[1], "socketpair") == 0) {
        int fds[2];
        return report(socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
    }
    unsigned long args[5] = {0};
    for (int i = 2; i < argc && i < 7; i++)
        args[i - 2] = strtoul(argv[i], NULL, 0);
    errno = 0;
    return report(syscall(strtol(argv[1], NULL, 0), args[0], args[1], args[2], args[3], args[4]));
}
"#;

/// A rule running the probe with any arguments.
const PROBE_RULE: &str = r#"
[[allow]]
name = "probe"
command = ["{dir}/probe"]
trailing_args = true
"#;

/// The probe's line for a refused call.
fn refused(errno: i32) -> String {
    format!("errno={errno}\n")
}

/// A scenario with `sandbox` (TOML lines for `[sandbox]`) and the probe
/// rule, and the probe compiled into it.
fn probe_scenario(sandbox: &str) -> (Scenario, PathBuf) {
    let scenario = Scenario::new(&format!(
        "log = \"{{log}}\"\n[sandbox]\n{sandbox}\n{PROBE_RULE}"
    ));
    let source = scenario.path("probe.c");
    std::fs::write(&source, PROBE).unwrap();
    let probe = scenario.path("probe");
    let status = Command::new("cc")
        .args(["-O2", "-pthread", "-o"])
        .arg(&probe)
        .arg(&source)
        .status()
        .expect("run cc");
    assert!(status.success(), "cc failed");
    (scenario, probe)
}

/// Runs the probe with `args`, unconfined.
fn unconfined(probe: &Path, args: &str) -> Output {
    Command::new(probe).args(args.split(' ')).output().unwrap()
}

/// Runs the probe with `args` through the gate.
fn confined(scenario: &Scenario, probe: &Path, args: &str) -> Output {
    scenario.run(Some(&format!("{} {args}", probe.display())))
}

/// `socket(family, type, protocol)` as probe arguments.
fn socket(family: i32, kind: i32, protocol: i32) -> String {
    format!("{} {family} {kind} {protocol}", libc::SYS_socket)
}

/// Asserts the probe printed `expected` and exited 0, through the gate.
fn assert_probe(output: &Output, expected: &str, what: &str) {
    assert_eq!(
        stdout(output),
        expected,
        "{what}; stderr: {}",
        stderr(output)
    );
    assert_eq!(output.status.code(), Some(0), "{what}");
}

#[test]
fn the_command_runs_under_exactly_one_filter() {
    let scenario = Scenario::new(
        r#"
log = "{log}"
[sandbox]
read = ["/proc"]
[[allow]]
name = "status"
command = ["/usr/bin/cat", "/proc/self/status"]
"#,
    );
    let output = scenario.run(Some("cat /proc/self/status"));
    let status = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert!(status.starts_with("Name:\tcat\n"), "{status}");
    // 2 is SECCOMP_MODE_FILTER; one filter: the guard and the deny-list
    // are a single program.
    assert!(status.contains("\nSeccomp:\t2\n"), "{status}");
    assert!(status.contains("\nSeccomp_filters:\t1\n"), "{status}");
    assert!(status.contains("\nNoNewPrivs:\t1\n"), "{status}");
}

#[test]
fn a_user_namespace_is_refused() {
    // Control: the host lets root create one.
    let control = Command::new("unshare").args(["-U", "true"]).status();
    if !control.is_ok_and(|status| status.success()) {
        eprintln!("skipped: unshare -U fails on this host even unconfined");
        return;
    }
    let scenario = Scenario::new(
        r#"
log = "{log}"
[[allow]]
name = "unshare"
command = ["/usr/bin/unshare", "-U", "/usr/bin/true"]
"#,
    );
    let output = scenario.run(Some("unshare -U /usr/bin/true"));
    assert_eq!(
        stderr(&output),
        "unshare: unshare failed: Operation not permitted\n"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn clone_with_a_namespace_flag_is_refused_and_threads_still_work() {
    let (scenario, probe) = probe_scenario("");
    // clone(CLONE_NEWUSER | SIGCHLD): refused before any child exists.
    let newuser = format!(
        "{} {:#x}",
        libc::SYS_clone,
        libc::CLONE_NEWUSER | libc::SIGCHLD
    );
    assert_probe(
        &confined(&scenario, &probe, &newuser),
        &refused(libc::EPERM),
        "clone with CLONE_NEWUSER",
    );
    // clone3 with a null argument: EINVAL from the kernel unconfined,
    // ENOSYS from the filter, so that libc falls back to clone.
    let clone3 = format!("{} 0 0", libc::SYS_clone3);
    assert_eq!(stdout(&unconfined(&probe, &clone3)), refused(libc::EINVAL));
    assert_probe(
        &confined(&scenario, &probe, &clone3),
        &refused(libc::ENOSYS),
        "clone3",
    );
    // And that fallback works: glibc's pthread_create tries clone3 first.
    assert_probe(
        &confined(&scenario, &probe, "thread"),
        "ok\n",
        "pthread_create",
    );
}

#[test]
fn x32_syscalls_are_refused() {
    let (scenario, probe) = probe_scenario("");
    // getpid (39) with the x32 bit: ENOSYS on a kernel without x32 (like
    // Debian's default), the pid on one with it; EPERM in the sandbox.
    let x32_getpid = format!("{:#x}", 0x4000_0000 | libc::SYS_getpid);
    let control = stdout(&unconfined(&probe, &x32_getpid));
    assert!(
        control == "ok\n" || control == refused(libc::ENOSYS),
        "{control}"
    );
    assert_probe(
        &confined(&scenario, &probe, &x32_getpid),
        &refused(libc::EPERM),
        "x32 getpid",
    );
}

#[test]
fn an_i386_syscall_kills_the_command() {
    let (scenario, probe) = probe_scenario("");
    let control = unconfined(&probe, "int80");
    if !control.status.success() {
        eprintln!(
            "skipped: this kernel runs no i386 syscalls ({:?})",
            control.status
        );
        return;
    }
    assert!(stdout(&control).starts_with("int80 ret="), "{control:?}");
    let output = confined(&scenario, &probe, "int80");
    assert_eq!(output.status.signal(), Some(libc::SIGSYS), "{output:?}");
    assert_eq!(stdout(&output), "");
}

#[test]
fn network_none_refuses_every_socket_even_unix() {
    let (scenario, probe) = probe_scenario("");
    let unix = socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
    assert_eq!(stdout(&unconfined(&probe, &unix)), "ok\n");
    assert_probe(
        &confined(&scenario, &probe, &unix),
        &refused(libc::EPERM),
        "AF_UNIX",
    );
    for family in [libc::AF_INET, libc::AF_INET6, libc::AF_NETLINK] {
        assert_probe(
            &confined(&scenario, &probe, &socket(family, libc::SOCK_DGRAM, 0)),
            &refused(libc::EPERM),
            &format!("family {family}"),
        );
    }
    // A connected pair reaches nothing outside: still allowed.
    assert_probe(
        &confined(&scenario, &probe, "socketpair"),
        "ok\n",
        "socketpair",
    );
}

#[test]
fn unix_true_allows_unix_sockets_only() {
    // best-effort: before Landlock ABI 9, enforce refuses unix = true.
    let (scenario, probe) = probe_scenario("unix = true\ncompat = \"best-effort\"");
    for kind in [libc::SOCK_STREAM, libc::SOCK_DGRAM] {
        assert_probe(
            &confined(&scenario, &probe, &socket(libc::AF_UNIX, kind, 0)),
            "ok\n",
            &format!("AF_UNIX type {kind}"),
        );
    }
    for family in [libc::AF_INET, libc::AF_NETLINK] {
        assert_probe(
            &confined(&scenario, &probe, &socket(family, libc::SOCK_DGRAM, 0)),
            &refused(libc::EPERM),
            &format!("family {family}"),
        );
    }
}

#[test]
fn network_ports_allows_tcp_sockets_only() {
    let (scenario, probe) = probe_scenario("network = { connect = [443] }");
    let stream = libc::SOCK_STREAM | libc::SOCK_CLOEXEC;
    for family in [libc::AF_INET, libc::AF_INET6] {
        for protocol in [0, libc::IPPROTO_TCP] {
            assert_probe(
                &confined(&scenario, &probe, &socket(family, stream, protocol)),
                "ok\n",
                &format!("TCP, family {family}"),
            );
        }
    }
    for (what, args) in [
        ("UDP", socket(libc::AF_INET, libc::SOCK_DGRAM, 0)),
        ("SCTP", socket(libc::AF_INET, stream, libc::IPPROTO_SCTP)),
        (
            "raw",
            socket(libc::AF_INET6, libc::SOCK_RAW, libc::IPPROTO_ICMPV6),
        ),
        ("unix", socket(libc::AF_UNIX, libc::SOCK_STREAM, 0)),
        ("netlink", socket(libc::AF_NETLINK, libc::SOCK_RAW, 0)),
    ] {
        assert_probe(
            &confined(&scenario, &probe, &args),
            &refused(libc::EPERM),
            what,
        );
    }
}

#[test]
fn network_any_allows_udp() {
    let (scenario, probe) = probe_scenario("network = \"any\"");
    assert_probe(
        &confined(
            &scenario,
            &probe,
            &socket(libc::AF_INET, libc::SOCK_DGRAM, 0),
        ),
        "ok\n",
        "UDP",
    );
}

#[test]
fn terminal_injection_and_personality_changes_are_refused() {
    let (scenario, probe) = probe_scenario("");
    // ioctl(0, TIOCSTI) with junk in the upper half of the request, which
    // the kernel ignores: stdin is no terminal here, so ENOTTY unconfined.
    let tiocsti = format!("{} 0 {:#x}", libc::SYS_ioctl, libc::TIOCSTI | 1 << 32);
    assert_eq!(stdout(&unconfined(&probe, &tiocsti)), refused(libc::ENOTTY));
    assert_probe(
        &confined(&scenario, &probe, &tiocsti),
        &refused(libc::EPERM),
        "TIOCSTI",
    );
    // personality(ADDR_NO_RANDOMIZE), as setarch -R does; the query stays.
    let no_aslr = format!("{} {:#x}", libc::SYS_personality, libc::ADDR_NO_RANDOMIZE);
    assert_probe(
        &confined(&scenario, &probe, &no_aslr),
        &refused(libc::EPERM),
        "personality",
    );
    let query = format!("{} 0xffffffff", libc::SYS_personality);
    assert_probe(
        &confined(&scenario, &probe, &query),
        "ok\n",
        "personality query",
    );
}

#[test]
fn kernel_interfaces_are_refused() {
    let (scenario, probe) = probe_scenario("");
    // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) and
    // io_uring_setup(1, NULL): an id and EFAULT unconfined.
    let session_keyring = format!("{} 0 {} 0", libc::SYS_keyctl, -3i64 as u64);
    let io_uring = format!("{} 1 0", libc::SYS_io_uring_setup);
    assert_eq!(stdout(&unconfined(&probe, &session_keyring)), "ok\n");
    assert_eq!(
        stdout(&unconfined(&probe, &io_uring)),
        refused(libc::EFAULT)
    );
    for (what, args) in [("keyctl", session_keyring), ("io_uring_setup", io_uring)] {
        assert_probe(
            &confined(&scenario, &probe, &args),
            &refused(libc::EPERM),
            what,
        );
    }
}

#[test]
fn deny_syscalls_adds_to_the_list() {
    let rule = r#"
[[allow]]
name = "uname"
command = ["/usr/bin/uname"]
"#;
    // Control: the same rule without deny_syscalls.
    let allowed = Scenario::new(&format!("log = \"{{log}}\"\n{rule}"));
    let output = allowed.run(Some("uname"));
    assert_eq!(stdout(&output), "Linux\n", "stderr: {}", stderr(&output));

    let denied = Scenario::new(&format!(
        "log = \"{{log}}\"\n[sandbox]\ndeny_syscalls = [\"uname\"]\n{rule}"
    ));
    let output = denied.run(Some("uname"));
    assert_eq!(
        stderr(&output),
        "/usr/bin/uname: cannot get system name: Operation not permitted\n"
    );
    assert_eq!(stdout(&output), "");
    assert_eq!(output.status.code(), Some(1));
}
