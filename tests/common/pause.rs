//! A gate stopped at a chosen syscall, for as long as the test needs: a
//! seccomp filter installed before the gate starts turns that syscall into
//! a user notification, so the kernel parks the gate at its entry until the
//! test lets it go on. The test can then act (send a signal, look at the
//! log) at exactly that point of the gate's work, on every run.
//!
//! The filter asks nothing of other syscalls; the gate's own confinement
//! stacks on top, as with `common::refuse`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};

use super::refuse::{
    ARCH, ARG0, AUDIT_ARCH_X86_64, JUMP_IF_EQUAL, LOAD, NR, RETURN, SECCOMP_RET_ALLOW, instruction,
};

/// Where the child puts the filter's listener, for the test to take with
/// `pidfd_getfd(2)`: high enough that nothing else the gate opens lands
/// there (the gate marks it close-on-exec with every other inherited
/// descriptor, so the command never holds it).
const LISTENER_FD: RawFd = 200;

/// A syscall to stop at: number `nr`, with first argument `arg0` (low 32
/// bits) when given.
pub struct StopAt {
    /// The syscall number.
    pub nr: i64,
    /// Only when the first argument is this.
    pub arg0: Option<u32>,
}

fn filter(stop: &StopAt) -> Vec<libc::sock_filter> {
    let allow = instruction(RETURN, 0, 0, SECCOMP_RET_ALLOW);
    let notify = instruction(RETURN, 0, 0, libc::SECCOMP_RET_USER_NOTIF);
    let mut program = vec![
        instruction(LOAD, 0, 0, ARCH),
        instruction(JUMP_IF_EQUAL, 1, 0, AUDIT_ARCH_X86_64),
        allow,
        instruction(LOAD, 0, 0, NR),
    ];
    match stop.arg0 {
        None => program.push(instruction(JUMP_IF_EQUAL, 1, 0, stop.nr as u32)),
        Some(arg0) => {
            program.push(instruction(JUMP_IF_EQUAL, 0, 2, stop.nr as u32));
            program.push(instruction(LOAD, 0, 0, ARG0));
            program.push(instruction(JUMP_IF_EQUAL, 1, 0, arg0));
        }
    }
    program.push(allow);
    program.push(notify);
    program
}

/// Makes `command` stop at `stop`: installs the filter (and no_new_privs,
/// which an unprivileged filter needs) between fork and exec, with its
/// listener at [`LISTENER_FD`].
pub fn stop_at<'a>(command: &'a mut Command, stop: &StopAt) -> &'a mut Command {
    let filter = filter(stop);
    // SAFETY: only async-signal-safe calls (prctl, syscall, dup2, close)
    // between fork and exec; the filter was built before the fork.
    unsafe {
        command.pre_exec(move || {
            let program = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr() as *mut libc::sock_filter,
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            let listener = libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
                &program,
            );
            if listener < 0 {
                return Err(io::Error::last_os_error());
            }
            // dup2 leaves the copy without close-on-exec, so it survives
            // into the gate for the test to take.
            if libc::dup2(listener as RawFd, LISTENER_FD) < 0 {
                return Err(io::Error::last_os_error());
            }
            libc::close(listener as RawFd);
            Ok(())
        })
    }
}

/// The test's end of a child started with [`stop_at`].
pub struct Stops {
    listener: OwnedFd,
    pidfd: OwnedFd,
}

/// The child parked at the syscall.
pub struct Stopped {
    id: u64,
    /// The syscall number it stopped at.
    pub nr: i64,
    /// The syscall's first argument.
    pub arg0: u64,
}

fn check(result: libc::c_long, what: &str) -> libc::c_long {
    assert!(result >= 0, "{what}: {}", io::Error::last_os_error());
    result
}

impl Stops {
    /// Takes the filter's listener from `child` (a test running as root, or
    /// as the child's user, may).
    pub fn of(child: &Child) -> Self {
        // SAFETY: pidfd_open and pidfd_getfd take integers and return a
        // new descriptor, owned here.
        unsafe {
            let pidfd = check(
                libc::syscall(libc::SYS_pidfd_open, child.id(), 0),
                "pidfd_open",
            ) as RawFd;
            let pidfd = OwnedFd::from_raw_fd(pidfd);
            let listener = check(
                libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), LISTENER_FD, 0),
                "pidfd_getfd of the seccomp listener",
            ) as RawFd;
            Self {
                listener: OwnedFd::from_raw_fd(listener),
                pidfd,
            }
        }
    }

    /// Waits until the child stops at the syscall, or `None` if it ended
    /// first (it never got there).
    pub fn next(&self) -> Option<Stopped> {
        let mut fds = [
            libc::pollfd {
                fd: self.listener.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            // Readable once the child has exited.
            libc::pollfd {
                fd: self.pidfd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        loop {
            // SAFETY: two pollfd structs, as the count says.
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
            if ready >= 0 {
                break;
            }
            let error = io::Error::last_os_error();
            assert_eq!(error.kind(), io::ErrorKind::Interrupted, "poll: {error}");
        }
        if fds[0].revents & libc::POLLIN == 0 {
            return None;
        }
        // SAFETY: an all-zero seccomp_notif is what the ioctl expects.
        let mut notification: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        // SAFETY: the ioctl fills in the one struct it is given.
        let received = unsafe {
            libc::ioctl(
                self.listener.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_RECV,
                &mut notification,
            )
        };
        assert_eq!(
            received,
            0,
            "SECCOMP_IOCTL_NOTIF_RECV: {}",
            io::Error::last_os_error()
        );
        Some(Stopped {
            id: notification.id,
            nr: i64::from(notification.data.nr),
            arg0: notification.data.args[0],
        })
    }

    /// Lets the child make the syscall it stopped at. If a signal ended
    /// the wait meanwhile (the child died, or the syscall is being
    /// restarted), there is nothing left to resume, which is no error.
    pub fn resume(&self, stopped: Stopped) {
        let response = libc::seccomp_notif_resp {
            id: stopped.id,
            val: 0,
            error: 0,
            flags: libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32,
        };
        // SAFETY: the ioctl reads the one struct it is given.
        let sent = unsafe {
            libc::ioctl(
                self.listener.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_SEND,
                &response,
            )
        };
        if sent != 0 {
            let error = io::Error::last_os_error();
            assert_eq!(
                error.raw_os_error(),
                Some(libc::ENOENT),
                "SECCOMP_IOCTL_NOTIF_SEND: {error}"
            );
        }
    }
}
