//! The profile's `max_concurrent`: one of its lock slots, held by the
//! command.
//!
//! A slot is an exclusive `flock(2)` on one of `max` lock files in the
//! invoking account's directory under `/run/sshgate`. The lock belongs to
//! the open file description, which the command inherits across the exec
//! (and its children after it), so the slot is free again exactly when the
//! last of them exits, however it ends; nothing has to clean up.
//!
//! It is taken before confinement: Landlock would refuse the lock files
//! afterwards.

use std::fmt::{self, Display, Formatter};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{OFlag, open, openat};
use nix::sys::stat::{FileStat, Mode, fchmod, fstat, mkdirat};
use nix::unistd::getuid;

use crate::decide::SessionLimit;

/// How often a queued session (`wait`) looks for a free slot again.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A held slot. Dropping it before the exec frees the slot.
#[derive(Debug)]
pub struct SessionSlot {
    lock: OwnedFd,
    /// Which slot, from 0.
    pub slot: u32,
    /// How long the session queued for it: zero when a slot was free.
    pub waited: Duration,
}

impl SessionSlot {
    /// The lock's descriptor, which the command must inherit.
    pub fn descriptor(&self) -> RawFd {
        self.lock.as_raw_fd()
    }
}

/// Why no slot is held.
#[derive(Debug)]
pub enum SessionError {
    /// Every slot is held by a running session.
    Busy {
        /// `max_concurrent`.
        max: u32,
        /// How long the session queued before giving up; zero without
        /// `wait`.
        waited: Duration,
    },
    /// A lock directory could not be made or opened.
    Directory {
        /// The directory.
        path: PathBuf,
        /// What the kernel reported.
        source: Errno,
        /// The account the directory is for.
        uid: u32,
    },
    /// A lock directory exists but another account could change it, so
    /// it could take or plant our slots.
    UntrustedDirectory {
        /// The directory.
        path: PathBuf,
        /// Who may change it.
        why: String,
    },
    /// The client went away while the session queued: sshd closed the
    /// gate's standard output.
    ClientGone {
        /// How long the session had queued.
        waited: Duration,
    },
    /// A lock file could not be opened or locked.
    LockFile {
        /// The lock file.
        path: PathBuf,
        /// What the kernel reported.
        source: Errno,
    },
    /// Something other than a regular file sits where a lock file belongs.
    NotALockFile {
        /// The path.
        path: PathBuf,
    },
}

impl SessionError {
    /// Whether the limit itself refused the session (the others are
    /// faults of the host).
    pub fn is_busy(&self) -> bool {
        matches!(self, Self::Busy { .. })
    }
}

impl Display for SessionError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Busy { max, waited } => {
                let sessions = if *max == 1 { "session" } else { "sessions" };
                write!(
                    f,
                    "the profile's limit of {max} {sessions} at once (max_concurrent) is reached"
                )?;
                if !waited.is_zero() {
                    write!(f, "; waited {:.1}s for a slot", waited.as_secs_f64())?;
                }
                Ok(())
            }
            Self::Directory { path, source, uid } => {
                write!(
                    f,
                    "cannot make or open the session lock directory {}: {source}",
                    path.display()
                )?;
                if *source == Errno::EACCES {
                    write!(
                        f,
                        "; as root: install -d -m 0755 {} && install -d -m 0700 -o {uid} {}/{uid}",
                        crate::decide::SESSION_LOCK_ROOT,
                        crate::decide::SESSION_LOCK_ROOT,
                    )?;
                }
                Ok(())
            }
            Self::UntrustedDirectory { path, why } => write!(
                f,
                "the session lock directory {} is {why}: another account could hold or free the slots",
                path.display()
            ),
            Self::ClientGone { waited } => write!(
                f,
                "the client went away after {:.1}s queued for a slot",
                waited.as_secs_f64()
            ),
            Self::LockFile { path, source } => write!(
                f,
                "cannot take the session lock {}: {source}",
                path.display()
            ),
            Self::NotALockFile { path } => write!(
                f,
                "the session lock {} is not a regular file",
                path.display()
            ),
        }
    }
}

impl std::error::Error for SessionError {}

/// Takes a free slot of `limit`, queueing up to its `wait` while
/// `still_wanted` says the session is (its client has not gone away).
pub fn take_session_slot(
    limit: &SessionLimit,
    mut still_wanted: impl FnMut() -> bool,
) -> Result<SessionSlot, SessionError> {
    let uid = getuid().as_raw();
    let directory = open_lock_directory(&limit.directory, uid)?;
    let wait = Duration::from_millis(limit.wait_ms);
    let started = Instant::now();
    let mut queued = false;
    loop {
        if let Some((slot, lock)) = lock_a_free_slot(&directory, limit)? {
            let waited = if queued {
                started.elapsed()
            } else {
                Duration::ZERO
            };
            return Ok(SessionSlot { lock, slot, waited });
        }
        if wait.is_zero() {
            return Err(SessionError::Busy {
                max: limit.max,
                waited: Duration::ZERO,
            });
        }
        let waited = started.elapsed();
        if client_has_gone() {
            return Err(SessionError::ClientGone { waited });
        }
        if waited >= wait || !still_wanted() {
            return Err(SessionError::Busy {
                max: limit.max,
                waited,
            });
        }
        queued = true;
        sleep(POLL_INTERVAL.min(wait - waited));
    }
}

/// Whether sshd has closed the other end of the gate's standard output,
/// which is how a client that went away without a terminal (no SIGHUP)
/// shows: a pipe's write end then polls `POLLERR`, a socket `POLLHUP`.
/// Standard input is not asked: a client may close it on purpose
/// (`ssh host cmd < /dev/null`) and still wait for the output.
fn client_has_gone() -> bool {
    let mut output = libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no wait.
    let ready = unsafe { libc::poll(&mut output, 1, 0) };
    ready > 0 && output.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
}

/// Opens `/run/sshgate/<uid>`, making both levels when missing: the first
/// owned by root, the second by the account, neither writable by others.
fn open_lock_directory(directory: &Path, uid: u32) -> Result<OwnedFd, SessionError> {
    let shared = directory.parent().unwrap_or(Path::new("/"));
    let base = shared.parent().unwrap_or(Path::new("/"));
    let base_fd = open(
        base,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|source| SessionError::Directory {
        path: base.to_path_buf(),
        source,
        uid,
    })?;
    let shared_fd = make_and_open_directory(&base_fd, shared, 0o755, 0, uid)?;
    make_and_open_directory(&shared_fd, directory, 0o700, uid, uid)
}

/// Opens the last component of `path` beneath `parent` without following
/// a symlink, making it with `mode` first when it is missing, and checks
/// that `owner` owns it and nobody else may write to it.
fn make_and_open_directory(
    parent: &OwnedFd,
    path: &Path,
    mode: u32,
    owner: u32,
    uid: u32,
) -> Result<OwnedFd, SessionError> {
    let failed = |source| SessionError::Directory {
        path: path.to_path_buf(),
        source,
        uid,
    };
    let name = path.file_name().ok_or_else(|| failed(Errno::EINVAL))?;
    let mode = Mode::from_bits_truncate(mode);
    let open_it = || {
        openat(
            parent,
            name,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
    };
    // Opened first: an account may use a directory it could not make.
    let directory = match open_it() {
        Ok(directory) => directory,
        Err(Errno::ENOENT) => {
            let made = match mkdirat(parent, name, mode) {
                Ok(()) => true,
                // Another session made it meanwhile.
                Err(Errno::EEXIST) => false,
                Err(source) => return Err(failed(source)),
            };
            let directory = open_it().map_err(failed)?;
            if made {
                // The gate's umask (sshd's) narrowed the mode given to mkdir.
                fchmod(&directory, mode).map_err(failed)?;
            }
            directory
        }
        Err(source) => return Err(failed(source)),
    };
    let status = fstat(&directory).map_err(failed)?;
    if let Some(why) = not_kept_by(&status, owner) {
        return Err(SessionError::UntrustedDirectory {
            path: path.to_path_buf(),
            why,
        });
    }
    Ok(directory)
}

/// Why a lock directory described by `status` is not `owner`'s alone.
fn not_kept_by(status: &FileStat, owner: u32) -> Option<String> {
    if status.st_uid != owner {
        return Some(format!("owned by uid {}, not uid {owner}", status.st_uid));
    }
    let mode = status.st_mode & 0o7777;
    (mode & 0o022 != 0).then(|| format!("writable by others (mode {mode:04o})"))
}

/// Tries each slot once; the first one locked is the session's.
fn lock_a_free_slot(
    directory: &OwnedFd,
    limit: &SessionLimit,
) -> Result<Option<(u32, OwnedFd)>, SessionError> {
    for slot in 0..limit.max {
        let name = limit.lock_file_name(slot);
        let path = limit.directory.join(&name);
        // Read-only is enough for flock, and all the command gets. The
        // directory is the account's own, but a FIFO planted there must
        // still not hang the gate.
        let lock = openat(
            directory,
            name.as_str(),
            OFlag::O_RDONLY
                | OFlag::O_CREAT
                | OFlag::O_NOFOLLOW
                | OFlag::O_NONBLOCK
                | OFlag::O_NOCTTY
                | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(0o600),
        )
        .map_err(|source| SessionError::LockFile {
            path: path.clone(),
            source,
        })?;
        let status = fstat(&lock).map_err(|source| SessionError::LockFile {
            path: path.clone(),
            source,
        })?;
        if status.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Err(SessionError::NotALockFile { path });
        }
        match lock_exclusively_without_waiting(&lock) {
            Ok(()) => return Ok(Some((slot, lock))),
            Err(Errno::EWOULDBLOCK) => continue,
            Err(source) => return Err(SessionError::LockFile { path, source }),
        }
    }
    Ok(None)
}

/// `flock(LOCK_EX | LOCK_NB)`: `EWOULDBLOCK` when another session holds it.
fn lock_exclusively_without_waiting(lock: &impl AsFd) -> Result<(), Errno> {
    // SAFETY: flock takes a descriptor we own and integer flags.
    let result = unsafe { libc::flock(lock.as_fd().as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    Errno::result(result).map(drop)
}
