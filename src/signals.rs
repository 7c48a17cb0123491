//! Signals that would end the gate half-way, held off until the exec.
//!
//! sshd sends SIGHUP when the client goes away, and SIGTERM or SIGINT come
//! with a session being torn down. Their default action kills the process
//! wherever it is: after the allow record and before `execve(2)`, that left
//! an "allow" in the audit log for a command that never ran. So forced-
//! command mode blocks them first thing ([`HeldSignals::hold`]); one that
//! arrives stays pending while the gate decides, confines and records, and
//! the gate looks for it before the allow record ([`HeldSignals::check`])
//! and as the last step before the exec ([`HeldSignals::release`]). Either
//! way it becomes a recorded denial naming the signal.
//!
//! Only signals at their default action and not already blocked when the
//! gate starts are held: an ignored one cannot end the gate, and one sshd
//! blocked stays blocked (and pending, if it came) for the command, as sshd
//! left it. The command starts with the mask and dispositions the gate
//! started with.
//!
//! SIGPIPE is not among them: the Rust runtime ignores it before `main`, so
//! it cannot end the gate (a write to a closed pipe fails with EPIPE), and
//! `exec::catch_pipe_and_file_size_signals` hands the command its default.

use std::fmt::{self, Display, Formatter};
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU64, Ordering};

use nix::errno::Errno;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal};

// The mask is changed with sigprocmask(2), not nix's pthread_sigmask: the
// latter takes pthread_sigmask's error number for success (it checks for
// -1), so a refusal would pass unseen. The gate is single-threaded.

/// The signals held off, in the order a denial names them when several
/// arrived.
const HOLDABLE: [Signal; 3] = [Signal::SIGHUP, Signal::SIGTERM, Signal::SIGINT];

/// Held signals delivered by [`HeldSignals::release`], one bit per signal
/// number: what the handler can do safely is set a bit.
static NOTED: AtomicU64 = AtomicU64::new(0);

/// Why the gate stops short of the exec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalStop {
    /// A held signal arrived: nobody wants the command any more.
    Arrived(Signal),
    /// A signal call failed, so the gate cannot tell, or cannot give the
    /// command its signal mask back.
    Failed {
        /// What the gate was doing.
        step: &'static str,
        /// What the kernel reported.
        source: Errno,
    },
}

impl Display for SignalStop {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Arrived(Signal::SIGHUP) => {
                write!(
                    f,
                    "the client went away (SIGHUP) before the command started"
                )
            }
            Self::Arrived(signal) => write!(
                f,
                "sshgate was told to stop ({}) before the command started",
                signal.as_str()
            ),
            Self::Failed { step, source } => write!(f, "cannot {step}: {source}"),
        }
    }
}

impl std::error::Error for SignalStop {}

/// The held signals and the mask to give back, from [`HeldSignals::hold`].
#[derive(Debug)]
pub struct HeldSignals {
    /// The signal mask the gate started with, for the command.
    original: SigSet,
    /// The signals this blocked; never one that was already blocked.
    held: Vec<Signal>,
}

impl HeldSignals {
    /// Blocks SIGHUP, SIGTERM and SIGINT where they are at their default
    /// action and not blocked already. Call it first in forced-command mode:
    /// before it, such a signal still ends the gate before it has written
    /// anything.
    pub fn hold() -> Result<Self, SignalStop> {
        let mut candidates = Vec::new();
        for signal in HOLDABLE {
            if at_default_action(signal)? {
                candidates.push(signal);
            }
        }
        let mut original = SigSet::empty();
        nix::sys::signal::sigprocmask(
            SigmaskHow::SIG_BLOCK,
            Some(&candidates.iter().copied().collect()),
            Some(&mut original),
        )
        .map_err(|source| SignalStop::Failed {
            step: "block SIGHUP, SIGTERM and SIGINT",
            source,
        })?;
        let held = candidates
            .into_iter()
            .filter(|signal| !original.contains(*signal))
            .collect();
        Ok(Self { original, held })
    }

    /// Fails with the first held signal that has arrived, if any.
    pub fn check(&self) -> Result<(), SignalStop> {
        let pending = pending()?;
        match self.held.iter().find(|signal| pending.contains(**signal)) {
            Some(signal) => Err(SignalStop::Arrived(*signal)),
            None => Ok(()),
        }
    }

    /// The last step before `execve(2)`: catches the held signals with a
    /// handler that notes them, gives back the original mask (which
    /// delivers any that is pending, to that handler), and fails if one
    /// was noted. One that comes later is noted and dropped: the command
    /// starts anyway, which its allow record says. `execve(2)` resets the
    /// caught signals to their default action, as they were.
    pub fn release(self) -> Result<(), SignalStop> {
        let mut blocked_in_handler = SigSet::empty();
        for signal in &self.held {
            blocked_in_handler.add(*signal);
        }
        let note = SigAction::new(
            SigHandler::Handler(note_signal),
            SaFlags::SA_RESTART,
            blocked_in_handler,
        );
        for signal in &self.held {
            // SAFETY: the handler only sets a bit in an atomic, which is
            // async-signal-safe.
            unsafe { nix::sys::signal::sigaction(*signal, &note) }.map_err(|source| {
                SignalStop::Failed {
                    step: "catch SIGHUP, SIGTERM and SIGINT before the exec",
                    source,
                }
            })?;
        }
        nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.original), None)
            .map_err(|source| SignalStop::Failed {
                step: "give the command its signal mask back",
                source,
            })?;
        let noted = NOTED.load(Ordering::SeqCst);
        match self.held.iter().find(|signal| noted & bit(**signal) != 0) {
            Some(signal) => Err(SignalStop::Arrived(*signal)),
            None => Ok(()),
        }
    }
}

/// The handler of [`HeldSignals::release`].
extern "C" fn note_signal(number: libc::c_int) {
    if let Ok(signal) = Signal::try_from(number) {
        NOTED.fetch_or(bit(signal), Ordering::SeqCst);
    }
}

fn bit(signal: Signal) -> u64 {
    1u64 << (signal as i32)
}

/// Whether `signal` is at its default action (neither ignored nor caught).
fn at_default_action(signal: Signal) -> Result<bool, SignalStop> {
    let mut current = MaybeUninit::<libc::sigaction>::uninit();
    // SAFETY: a null new action only reads the current one into `current`.
    let result = unsafe {
        libc::sigaction(
            signal as libc::c_int,
            std::ptr::null(),
            current.as_mut_ptr(),
        )
    };
    Errno::result(result).map_err(|source| SignalStop::Failed {
        step: "read the action of SIGHUP, SIGTERM and SIGINT",
        source,
    })?;
    // SAFETY: sigaction(2) succeeded, so it filled `current` in.
    let current = unsafe { current.assume_init() };
    Ok(current.sa_sigaction == libc::SIG_DFL)
}

/// The signals pending for this thread or the process.
fn pending() -> Result<SigSet, SignalStop> {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigpending(2) fills in the one sigset_t it is given.
    let result = unsafe { libc::sigpending(set.as_mut_ptr()) };
    Errno::result(result).map_err(|source| SignalStop::Failed {
        step: "read the pending signals",
        source,
    })?;
    // SAFETY: sigpending(2) succeeded, so the set is initialised, and the
    // kernel's sets hold only valid signal numbers.
    Ok(unsafe { SigSet::from_sigset_t_unchecked(set.assume_init()) })
}
