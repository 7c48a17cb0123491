//! Escape scenario: an allowed command reads or controls another process's
//! memory: `ptrace(2)` attach to its parent (sshd's session process, or
//! here the test), or `process_vm_readv(2)` of the parent's memory, where
//! keys and other sessions' data live.
//!
//! Three layers refuse the parent, each with EPERM: seccomp denies both
//! syscalls outright; Landlock denies ptrace access to a process outside
//! the sandbox; and with every capability dropped the command may not
//! trace a process that has more (commoncap). To show that seccomp alone
//! holds, the probe also targets what only seccomp refuses: its own child
//! (same credentials, same sandbox) for `ptrace`, and itself for
//! `process_vm_readv`.

mod common;

use std::hint::black_box;

use common::probe::{self, attempt, unconfined};

/// Something in the test's memory for the probe to read: the probe's
/// parent is this test process, confined or not.
static SECRET: [u8; 8] = *b"secret!\n";

/// The address of [`SECRET`], in hex for the probe.
fn secret_address() -> String {
    format!("{:x}", black_box(SECRET.as_ptr()) as usize)
}

#[test]
fn the_unconfined_probe_reads_and_traces() {
    // Control: the kernel lets the probe read its parent's memory and
    // trace its child, so each refusal below is the gate's.
    assert_eq!(unconfined(&["vm-read", "parent", &secret_address()]), "ok");
    assert_eq!(unconfined(&["vm-read", "self"]), "ok");
    assert_eq!(unconfined(&["ptrace", "child"]), "ok");
}

#[test]
fn the_parent_cannot_be_traced() {
    let scenario = probe::scenario(probe::POLICY);
    assert_eq!(
        attempt(&scenario, &["ptrace", "parent"]),
        "err ptrace EPERM"
    );
}

#[test]
fn the_parents_memory_cannot_be_read() {
    let scenario = probe::scenario(probe::POLICY);
    assert_eq!(
        attempt(&scenario, &["vm-read", "parent", &secret_address()]),
        "err process_vm_readv EPERM"
    );
}

#[test]
fn seccomp_refuses_ptrace_even_of_its_own_child() {
    let scenario = probe::scenario(probe::POLICY);
    // fork itself works (see escape_namespaces); the attach does not.
    assert_eq!(attempt(&scenario, &["ptrace", "child"]), "err ptrace EPERM");
}

#[test]
fn seccomp_refuses_process_vm_readv_even_of_itself() {
    let scenario = probe::scenario(probe::POLICY);
    assert_eq!(
        attempt(&scenario, &["vm-read", "self"]),
        "err process_vm_readv EPERM"
    );
}
