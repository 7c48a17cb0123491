//! A kernel that refuses a syscall, simulated for real: a seccomp filter
//! installed in the child before it execs the gate makes chosen syscalls
//! fail with a chosen errno, as a kernel without the feature (or an LSM
//! refusing it) would. The gate's own confinement stacks on top.

use std::os::unix::process::CommandExt;
use std::process::Command;

use super::gate::{Scenario, forced};

pub const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;

/// `BPF_LD | BPF_W | BPF_ABS`, `BPF_JMP | BPF_JEQ | BPF_K`, `BPF_RET | BPF_K`.
pub const LOAD: u16 = 0x20;
pub const JUMP_IF_EQUAL: u16 = 0x15;
pub const RETURN: u16 = 0x06;

/// Offsets in `struct seccomp_data`: `nr`, `arch`, the low half of `args[0]`.
pub const NR: u32 = 0;
pub const ARCH: u32 = 4;
pub const ARG0: u32 = 16;

/// One BPF instruction.
pub fn instruction(code: u16, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// A syscall the wrapper makes fail: number `nr` (only with first argument
/// `arg0`, when given) gets `errno`.
pub struct Hidden {
    /// The syscall number.
    pub nr: i64,
    /// Only when the first argument (low 32 bits) is this.
    pub arg0: Option<u32>,
    /// The errno it fails with.
    pub errno: i32,
}

/// The wrapper's BPF program: each hidden syscall returns its errno,
/// everything else is allowed.
pub fn wrapper_filter(hidden: &[Hidden]) -> Vec<libc::sock_filter> {
    let mut filter = vec![
        instruction(LOAD, 0, 0, ARCH),
        // x86_64: skip the allow; other architectures are not simulated.
        instruction(JUMP_IF_EQUAL, 1, 0, AUDIT_ARCH_X86_64),
        instruction(RETURN, 0, 0, SECCOMP_RET_ALLOW),
    ];
    for call in hidden {
        let fail = instruction(RETURN, 0, 0, SECCOMP_RET_ERRNO | call.errno as u32);
        filter.push(instruction(LOAD, 0, 0, NR));
        match call.arg0 {
            None => {
                filter.push(instruction(JUMP_IF_EQUAL, 0, 1, call.nr as u32));
                filter.push(fail);
            }
            Some(arg0) => {
                filter.push(instruction(JUMP_IF_EQUAL, 0, 3, call.nr as u32));
                filter.push(instruction(LOAD, 0, 0, ARG0));
                filter.push(instruction(JUMP_IF_EQUAL, 0, 1, arg0));
                filter.push(fail);
            }
        }
    }
    filter.push(instruction(RETURN, 0, 0, SECCOMP_RET_ALLOW));
    filter
}

/// Makes the `hidden` syscalls fail in `command` and everything it starts:
/// installs the wrapper's filter (and no_new_privs, which an unprivileged
/// filter needs) between fork and exec.
pub fn hide<'a>(command: &'a mut Command, hidden: &[Hidden]) -> &'a mut Command {
    let filter = wrapper_filter(hidden);
    // SAFETY: only async-signal-safe prctl calls between fork and exec;
    // the filter was built before the fork.
    unsafe {
        command.pre_exec(move || {
            let program = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr() as *mut libc::sock_filter,
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &program) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

/// Runs the gate on `policy_text` with the `hidden` syscalls failing.
pub fn run_hiding(
    hidden: &[Hidden],
    policy_text: &str,
    command: &str,
) -> (Scenario, std::process::Output) {
    let scenario = Scenario::new(policy_text);
    let output = hide(&mut forced(&scenario.policy, Some(command)), hidden)
        .output()
        .unwrap();
    (scenario, output)
}
