//! The last step: replace the gate with the planned command.
//!
//! The command gets exactly the plan's program (an absolute path, never a
//! `PATH` search), its argv, its environment and no file descriptors other
//! than 0, 1 and 2, and the session lock it must hold when the profile has
//! `max_concurrent` (see `sandbox::take_session_slot`). Everything that can fail on the plan's contents is
//! checked in [`PreparedCommand::from_plan`], before the sandbox is applied,
//! and descriptors are only marked close-on-exec, so a failed exec can still
//! be reported through whatever the caller holds open.

use std::convert::Infallible;
use std::ffi::{CString, NulError};
use std::fmt::{self, Display, Formatter};
use std::io;
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use nix::unistd::execve;

use crate::decide::plan::Plan;

/// The lowest descriptor closed at exec: stdin, stdout and stderr carry the
/// SSH channel and stay open.
const FIRST_INHERITED_FD: libc::c_uint = 3;

/// Why the command could not be executed.
#[derive(Debug)]
pub enum ExecError {
    /// The program path is not absolute; `execve(2)` would resolve it
    /// against the working directory.
    RelativeProgram {
        /// The offending program path.
        program: PathBuf,
    },
    /// The plan has an empty argv; programs expect `argv[0]`.
    EmptyArgv {
        /// The program.
        program: PathBuf,
    },
    /// A string bound for `execve(2)` contains a NUL byte, which would
    /// silently cut it short.
    Nul {
        /// The program.
        program: PathBuf,
        /// Which string: `"the program path"`, `"an argument"` or
        /// `"an environment variable"`.
        what: &'static str,
    },
    /// An environment variable name is empty or contains `=`, so
    /// `KEY=VALUE` would be read back as a different variable.
    InvalidEnvName {
        /// The program.
        program: PathBuf,
        /// The offending name.
        name: String,
    },
    /// A descriptor the command must inherit (the session lock) could not
    /// be kept open across the exec.
    KeepOpen {
        /// The program.
        program: PathBuf,
        /// The descriptor.
        fd: RawFd,
        /// What the kernel reported.
        source: Errno,
    },
    /// `close_range(2)` marking the inherited descriptors close-on-exec failed.
    CloseFds {
        /// The program.
        program: PathBuf,
        /// What the kernel reported.
        source: io::Error,
    },
    /// `execve(2)` itself failed.
    Execve {
        /// The program.
        program: PathBuf,
        /// What the kernel reported.
        source: Errno,
    },
}

impl Display for ExecError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::RelativeProgram { program } => {
                write!(
                    f,
                    "cannot execute {}: not an absolute path",
                    program.display()
                )
            }
            Self::EmptyArgv { program } => {
                write!(
                    f,
                    "cannot execute {}: empty argument list",
                    program.display()
                )
            }
            Self::Nul { program, what } => write!(
                f,
                "cannot execute {}: {what} contains a NUL byte",
                program.display()
            ),
            Self::InvalidEnvName { program, name } => write!(
                f,
                "cannot execute {}: invalid environment variable name {name:?}",
                program.display()
            ),
            Self::CloseFds { program, source } => write!(
                f,
                "cannot execute {}: marking inherited file descriptors close-on-exec failed: {source}",
                program.display()
            ),
            Self::KeepOpen {
                program,
                fd,
                source,
            } => write!(
                f,
                "cannot execute {}: keeping the session lock (descriptor {fd}) open across the exec failed: {source}",
                program.display()
            ),
            Self::Execve { program, source } => {
                write!(f, "cannot execute {}: {source}", program.display())
            }
        }
    }
}

impl std::error::Error for ExecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::CloseFds { source, .. } => Some(source),
            Self::KeepOpen { source, .. } => Some(source),
            Self::Execve { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Executes the plan's command in place of the gate. Returns only on error.
///
/// Shorthand for [`PreparedCommand::from_plan`] then [`PreparedCommand::exec`].
pub fn exec(plan: &Plan) -> Result<Infallible, ExecError> {
    PreparedCommand::from_plan(plan)?.exec()
}

/// The plan's command as the C strings `execve(2)` takes, checked.
///
/// Preparing it before the sandbox is applied and the allow record is
/// written means a malformed plan (a NUL in an argument, say) is a recorded
/// denial, not an allow record followed by a failed exec.
#[derive(Debug)]
pub struct PreparedCommand {
    program_path: PathBuf,
    program: CString,
    argv: Vec<CString>,
    env: Vec<CString>,
    /// The one descriptor beyond 0, 1 and 2 the command inherits: the
    /// session lock, when the profile has `max_concurrent`.
    session_lock: Option<RawFd>,
}

impl PreparedCommand {
    /// Converts and checks the plan's program, argv and environment.
    pub fn from_plan(plan: &Plan) -> Result<Self, ExecError> {
        let program_path: &Path = &plan.program;
        if !program_path.is_absolute() {
            return Err(ExecError::RelativeProgram {
                program: plan.program.clone(),
            });
        }
        if plan.argv.is_empty() {
            return Err(ExecError::EmptyArgv {
                program: plan.program.clone(),
            });
        }
        let nul = |what| {
            move |_: NulError| ExecError::Nul {
                program: plan.program.clone(),
                what,
            }
        };
        let program =
            CString::new(program_path.as_os_str().as_bytes()).map_err(nul("the program path"))?;
        let argv = plan
            .argv
            .iter()
            .map(|arg| CString::new(arg.as_bytes()).map_err(nul("an argument")))
            .collect::<Result<Vec<_>, _>>()?;
        let env = plan
            .env
            .iter()
            .map(|(name, value)| {
                if name.is_empty() || name.contains('=') {
                    return Err(ExecError::InvalidEnvName {
                        program: plan.program.clone(),
                        name: name.clone(),
                    });
                }
                CString::new(format!("{name}={value}")).map_err(nul("an environment variable"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            program_path: plan.program.clone(),
            program,
            argv,
            env,
            session_lock: None,
        })
    }

    /// Lets the command inherit the session lock `fd`, which the caller
    /// keeps open until the exec.
    pub fn inheriting(self, fd: RawFd) -> Self {
        Self {
            session_lock: Some(fd),
            ..self
        }
    }

    /// Marks every descriptor from 3 up close-on-exec but the session
    /// lock, then calls
    /// `execve(2)` with the program, argv and environment (each variable as
    /// `KEY=VALUE`, nothing inherited). Returns only on error, and then the
    /// caller's descriptors (the audit log) are still open to report it.
    pub fn exec(self) -> Result<Infallible, ExecError> {
        mark_inherited_fds_close_on_exec().map_err(|source| ExecError::CloseFds {
            program: self.program_path.clone(),
            source,
        })?;
        if let Some(fd) = self.session_lock {
            clear_close_on_exec(fd).map_err(|source| ExecError::KeepOpen {
                program: self.program_path.clone(),
                fd,
                source,
            })?;
        }
        execve(&self.program, &self.argv, &self.env).map_err(|source| ExecError::Execve {
            program: self.program_path,
            source,
        })
    }
}

/// Catches `SIGPIPE` and `SIGXFSZ` with a handler that does nothing, so
/// that until the exec a write to a closed pipe or past a file size limit
/// (one inherited from sshd or PAM, or the plan's `fsize`) fails with EPIPE
/// or EFBIG, which the gate reports, instead of killing it unrecorded. The
/// gate calls it first thing. `execve(2)` resets caught signals to their default action, so the
/// command starts with both at their defaults; an *ignored* signal would
/// stay ignored, which is why Rust's own `SIGPIPE` ignore is replaced too
/// (`yes | head` would otherwise get EPIPE instead of ending quietly).
pub fn catch_pipe_and_file_size_signals() -> Result<(), Errno> {
    let discard = SigAction::new(
        SigHandler::Handler(discard_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for signal_number in [Signal::SIGPIPE, Signal::SIGXFSZ] {
        // SAFETY: the handler does nothing, so it is async-signal-safe.
        unsafe { sigaction(signal_number, &discard) }?;
    }
    Ok(())
}

/// The handler of [`catch_pipe_and_file_size_signals`]: the failing call
/// reports the error.
extern "C" fn discard_signal(_: libc::c_int) {}

/// Marks every file descriptor from 3 up close-on-exec, so the command
/// inherits nothing the gate, sshd or a PAM module left open (log sockets,
/// policy files, Landlock path descriptors, ...), while a failed `execve`
/// can still be recorded through the audit log's descriptor.
///
/// Calls the `close_range(2)` system call directly (with
/// `CLOSE_RANGE_CLOEXEC`, Linux 5.11) rather than the glibc wrapper, which
/// only exists from glibc 2.34.
fn mark_inherited_fds_close_on_exec() -> io::Result<()> {
    // SAFETY: close_range takes only integers, and with CLOSE_RANGE_CLOEXEC
    // it closes nothing now: descriptors other code owns stay valid.
    let result = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            FIRST_INHERITED_FD,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Clears `FD_CLOEXEC` on `fd`, so the command inherits it.
fn clear_close_on_exec(fd: RawFd) -> Result<(), Errno> {
    // SAFETY: fcntl(F_SETFD) takes integers; an invalid descriptor is EBADF.
    let result = unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
    Errno::result(result).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::testing::plan_for;

    fn cat() -> Plan {
        plan_for(Path::new("/usr/bin/cat"), Vec::new())
    }

    #[test]
    fn nul_in_an_argument_is_an_error() {
        let mut plan = cat();
        plan.argv.push("a\0b".into());
        let error = exec(&plan).unwrap_err();
        assert!(matches!(error, ExecError::Nul { .. }), "{error}");
        assert_eq!(
            error.to_string(),
            "cannot execute /usr/bin/cat: an argument contains a NUL byte"
        );
    }

    #[test]
    fn nul_in_the_environment_is_an_error() {
        let mut plan = cat();
        plan.env.insert("LANG".into(), "C\0".into());
        assert!(matches!(exec(&plan), Err(ExecError::Nul { .. })));
    }

    #[test]
    fn malformed_environment_names_are_errors() {
        for name in ["", "A=B"] {
            let mut plan = cat();
            plan.env.insert(name.into(), "x".into());
            assert!(matches!(exec(&plan), Err(ExecError::InvalidEnvName { .. })));
        }
    }

    #[test]
    fn relative_program_and_empty_argv_are_errors() {
        let mut plan = cat();
        plan.program = "cat".into();
        assert!(matches!(
            exec(&plan),
            Err(ExecError::RelativeProgram { .. })
        ));
        let mut plan = cat();
        plan.argv.clear();
        assert!(matches!(exec(&plan), Err(ExecError::EmptyArgv { .. })));
    }

    #[test]
    fn environment_is_exactly_the_plans() {
        let mut plan = cat();
        plan.env.insert("LANG".into(), "C.UTF-8".into());
        let command = PreparedCommand::from_plan(&plan).unwrap();
        let env: Vec<&str> = command.env.iter().map(|v| v.to_str().unwrap()).collect();
        assert_eq!(env, ["LANG=C.UTF-8", "PATH=/usr/bin:/bin"]);
    }

    #[test]
    fn execve_failure_names_program_and_error() {
        // Runs in a child: exec marks descriptors close-on-exec first.
        let code = crate::sandbox::testing::run_in_child(|| {
            let plan = plan_for(Path::new("/nonexistent/sshgate-test"), Vec::new());
            match exec(&plan) {
                Err(e)
                    if e.to_string()
                        == "cannot execute /nonexistent/sshgate-test: ENOENT: No such file or directory" =>
                {
                    0
                }
                _ => 1,
            }
        });
        assert_eq!(code, 0);
    }
}
