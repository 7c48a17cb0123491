//! The file sink (`log = PATH`): one JSON line per record, appended.
//!
//! The file is opened before the sandbox is applied and written after it, so
//! everything about the path is settled at open time:
//! - `RESOLVE_NO_SYMLINKS` (openat2) and `O_NOFOLLOW`: a symlink planted
//!   at any component of the path is refused (`ELOOP`) instead of
//!   redirecting records, possibly as root, elsewhere;
//! - `O_NONBLOCK`: a FIFO planted at the path makes the open fail (`ENXIO`)
//!   or is refused by the fstat check, and can never block the gate;
//! - `O_APPEND`: each record is one `write(2)` of a whole line, which the
//!   kernel appends atomically to a regular file, so concurrent gates never
//!   interleave their lines (see [`FileSink::write_line`] for a record cut
//!   short before it);
//! - `O_CLOEXEC`: the command never inherits the log;
//! - an existing file must belong to root or the invoking user, be writable
//!   by nobody else and have one link, or records could be forged, read or
//!   appended to someone else's file.

use std::fs::{File, Permissions};
use std::io::{self, Seek, Write};
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt, PermissionsExt};

use nix::fcntl::{AT_FDCWD, OFlag, OpenHow, ResolveFlag, openat2};
use nix::sys::stat::Mode;
use std::path::{Path, PathBuf};

use super::error::AuditError;

/// The mode of a log file the gate creates: records name users, clients and
/// commands, which are nobody else's business.
const LOG_MODE: u32 = 0o600;

/// How many times to go round create-or-open when the file keeps
/// disappearing between the two calls (log rotation at the wrong moment).
const OPEN_ATTEMPTS: usize = 3;

/// How many times a record is appended when each append lands right after
/// a record cut short: once more than it takes to get past one fragment,
/// since another could be cut short in between.
const APPEND_ATTEMPTS: usize = 3;

/// An opened log file.
#[derive(Debug)]
pub(crate) struct FileSink {
    path: PathBuf,
    file: File,
}

impl FileSink {
    /// Opens `path` for appending, creating it with mode 0600 if it does not
    /// exist, and refuses anything but a regular file.
    ///
    /// Creation is tried first with `O_EXCL`, so the gate knows whether it
    /// made the file: only then does it `fchmod` to exactly 0600, which the
    /// umask may have narrowed. An existing file keeps the mode its
    /// administrator gave it.
    pub(crate) fn open(path: &Path) -> Result<FileSink, AuditError> {
        let open_error = |source| AuditError::Open {
            path: path.to_path_buf(),
            source,
        };
        // Asked once: the directories and the file are judged against the
        // same invoking user.
        let uid = nix::unistd::getuid().as_raw();
        refuse_untrusted_directories(path, uid)?;
        for _ in 0..OPEN_ATTEMPTS {
            match open_append(path, true) {
                Ok(file) => {
                    file.set_permissions(Permissions::from_mode(LOG_MODE))
                        .map_err(|source| AuditError::Chmod {
                            path: path.to_path_buf(),
                            source,
                        })?;
                    return FileSink::checked(path, file, uid);
                }
                // Also the answer for a symlink: O_EXCL never follows one.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(open_error(e)),
            }
            match open_append(path, false) {
                Ok(file) => return FileSink::checked(path, file, uid),
                // Removed since the create attempt: try creating again.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(open_error(e)),
            }
        }
        Err(open_error(io::Error::from_raw_os_error(libc::ENOENT)))
    }

    /// Keeps `file` only if fstat says it is a regular file that root or
    /// `uid`, the invoking user, may trust.
    fn checked(path: &Path, file: File, uid: u32) -> Result<FileSink, AuditError> {
        let metadata = file.metadata().map_err(|source| AuditError::Stat {
            path: path.to_path_buf(),
            source,
        })?;
        let file_type = metadata.file_type();
        if !file_type.is_file() {
            let kind = if file_type.is_dir() {
                "directory"
            } else if file_type.is_fifo() {
                "FIFO"
            } else if file_type.is_socket() {
                "socket"
            } else if file_type.is_char_device() {
                "character device"
            } else if file_type.is_block_device() {
                "block device"
            } else {
                "special file"
            };
            return Err(AuditError::NotRegularFile {
                path: path.to_path_buf(),
                kind,
            });
        }
        if let Some(why) = untrusted_because(&metadata, uid) {
            return Err(AuditError::Untrusted {
                path: path.to_path_buf(),
                why,
            });
        }
        Ok(FileSink {
            path: path.to_path_buf(),
            file,
        })
    }

    /// The configured path, for error messages.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `line` (a complete record ending in `\n`) with one
    /// `write(2)`, on a line of its own.
    ///
    /// Whether the log ends mid-line, after a record cut short by a full
    /// disk or a file size limit, can only be told after the append. Before
    /// it, the end may be another gate's record still being copied in: the
    /// kernel moves the file size on chunk by chunk, so a reader sees half
    /// a line for that moment, and taking it for a fragment put a blank
    /// line in the log. After it, the byte before this line belongs to an
    /// append that has finished, since the kernel serialises appends to a
    /// file. If that byte is not a newline, this line was glued to a
    /// fragment (and is lost to a JSON-lines reader there), so it is
    /// appended once more, now after its own newline.
    pub(crate) fn write_line(&mut self, line: &[u8]) -> Result<(), AuditError> {
        for _ in 0..APPEND_ATTEMPTS {
            let start = self.append(line)?;
            if self.starts_a_line(start)? {
                return Ok(());
            }
        }
        Err(AuditError::AfterFragments {
            path: self.path.clone(),
            attempts: APPEND_ATTEMPTS,
        })
    }

    /// Appends `line` with one `write(2)` and returns the offset it landed
    /// at. A short write is an error: retrying would append the rest as a
    /// separate write that another gate's line could land before.
    fn append(&mut self, line: &[u8]) -> Result<u64, AuditError> {
        loop {
            match self.file.write(line) {
                Ok(n) if n == line.len() => break,
                Ok(written) => {
                    return Err(AuditError::ShortWrite {
                        path: self.path.clone(),
                        written,
                        expected: line.len(),
                    });
                }
                // EINTR means nothing was written, so the whole line can
                // be tried again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(AuditError::Write {
                        path: self.path.clone(),
                        source,
                    });
                }
            }
        }
        // With O_APPEND the file offset is left at the end of this write,
        // whatever others appended before or after it.
        let end = self
            .file
            .stream_position()
            .map_err(|source| self.placement_error(source))?;
        end.checked_sub(line.len() as u64).ok_or_else(|| {
            self.placement_error(io::Error::other(format!(
                "the offset after the write, {end}, is before the record's length"
            )))
        })
    }

    /// Whether the byte before `offset` is a newline (or there is none),
    /// read back with `pread(2)`, hence `O_RDWR`. A log truncated since the
    /// append (rotation by copytruncate) cannot tell, and is an error.
    fn starts_a_line(&self, offset: u64) -> Result<bool, AuditError> {
        let Some(before) = offset.checked_sub(1) else {
            return Ok(true);
        };
        let mut byte = [0u8; 1];
        self.file
            .read_exact_at(&mut byte, before)
            .map_err(|source| self.placement_error(source))?;
        Ok(byte[0] == b'\n')
    }

    fn placement_error(&self, source: io::Error) -> AuditError {
        AuditError::Placement {
            path: self.path.clone(),
            source,
        }
    }
}

/// Refuses a log whose directory, or one above it, someone other than root
/// or the invoking user may change, as for the policy file: they could
/// delete or replace the log, erasing the records in it. (A symlink on the
/// way is left to the open, which refuses it.)
fn refuse_untrusted_directories(path: &Path, uid: u32) -> Result<(), AuditError> {
    for directory in path
        .ancestors()
        .skip(1)
        .filter(|d| !d.as_os_str().is_empty())
    {
        let metadata = std::fs::symlink_metadata(directory).map_err(|source| AuditError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        // A symlink is refused by the open itself, with its own reason.
        if metadata.file_type().is_symlink() {
            continue;
        }
        if let Some(why) = crate::policy::untrusted_because(&metadata, uid, true) {
            return Err(AuditError::Untrusted {
                path: path.to_path_buf(),
                why: format!("its directory {} is {why}", directory.display()),
            });
        }
    }
    Ok(())
}

/// Why an existing log file is not ours to append to, if it is not: a file
/// someone else owns or may write could be read by them or filled with
/// forged lines, and a second hard link could be a file the gate must not
/// grow (another log, another user's file).
fn untrusted_because(metadata: &std::fs::Metadata, uid: u32) -> Option<String> {
    if metadata.uid() != 0 && metadata.uid() != uid {
        return Some(format!(
            "it is owned by uid {}, not by root or the invoking user (uid {uid})",
            metadata.uid()
        ));
    }
    if metadata.mode() & 0o022 != 0 {
        return Some(format!(
            "it is group- or world-writable (mode {:04o})",
            metadata.mode() & 0o7777
        ));
    }
    if metadata.nlink() != 1 {
        return Some(format!("it has {} hard links", metadata.nlink()));
    }
    None
}

/// Opens `path` with `O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK |
/// O_CLOEXEC`, plus `O_CREAT | O_EXCL` with mode 0600 when `create` is set.
///
/// `openat2(RESOLVE_NO_SYMLINKS)` refuses a symlink in *any* component, not
/// just the last one that `O_NOFOLLOW` covers: a symlinked directory on the
/// way could otherwise send a root gate's appends anywhere.
fn open_append(path: &Path, create: bool) -> io::Result<File> {
    let flags =
        OFlag::O_RDWR | OFlag::O_APPEND | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    let how = OpenHow::new().resolve(ResolveFlag::RESOLVE_NO_SYMLINKS);
    // openat2 insists on a zero mode unless it may create the file.
    let how = if create {
        how.flags(flags | OFlag::O_CREAT | OFlag::O_EXCL)
            .mode(Mode::from_bits_truncate(LOG_MODE))
    } else {
        how.flags(flags)
    };
    let fd = openat2(AT_FDCWD, path, how).map_err(io::Error::from)?;
    Ok(File::from(fd))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{EscapedCommand, Record, Sink, Target};
    use nix::sys::stat::{Mode, umask};
    use std::fs::{self, OpenOptions};
    use std::os::unix::fs::{OpenOptionsExt, symlink};
    use std::process::Command;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).expect("metadata").permissions().mode() & 0o7777
    }

    fn open(path: &Path) -> Result<Sink, AuditError> {
        Sink::open(&Target::File(path.to_path_buf()))
    }

    #[test]
    fn creates_0600_and_appends_json_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.log");
        let mut sink = open(&path).expect("open");
        assert_eq!(mode(&path), 0o600);

        let first = Record {
            command: EscapedCommand::new(Some(b"rm -rf /\n")),
            ..Record::deny("no rule matches")
        };
        let second = Record {
            profile: Some("backup".into()),
            ..Record::deny("key not allowed")
        };
        sink.write(&first).expect("write 1");
        sink.write(&second).expect("write 2");

        // A second sink (another gate) appends after both.
        open(&path)
            .expect("reopen")
            .write(&Record::deny("third"))
            .expect("write 3");

        let text = fs::read_to_string(&path).expect("read");
        assert!(text.ends_with('\n'));
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["reason"], "no rule matches");
        assert_eq!(lines[0]["command"], "rm -rf /\\n");
        assert_eq!(lines[1]["profile"], "backup");
        assert_eq!(lines[2]["reason"], "third");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_record_glued_to_a_fragment_is_appended_again_on_its_own_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.log");
        fs::write(&path, "{\"cut\":").expect("seed a fragment");
        fs::set_permissions(&path, Permissions::from_mode(0o600)).expect("chmod");
        let mut sink = FileSink::open(&path).expect("open");
        sink.write_line(b"{\"n\":1}\n").expect("write 1");
        sink.write_line(b"{\"n\":2}\n").expect("write 2");
        assert_eq!(
            fs::read_to_string(&path).expect("read"),
            "{\"cut\":{\"n\":1}\n{\"n\":1}\n{\"n\":2}\n"
        );
    }

    #[test]
    fn a_record_in_an_empty_or_whole_log_is_appended_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.log");
        let mut sink = FileSink::open(&path).expect("open");
        sink.write_line(b"{\"n\":1}\n").expect("write 1");
        FileSink::open(&path)
            .expect("reopen")
            .write_line(b"{\"n\":2}\n")
            .expect("write 2");
        assert_eq!(
            fs::read_to_string(&path).expect("read"),
            "{\"n\":1}\n{\"n\":2}\n"
        );
    }

    #[test]
    fn existing_file_keeps_its_mode_and_content() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.log");
        fs::write(&path, "earlier\n").expect("seed");
        fs::set_permissions(&path, Permissions::from_mode(0o640)).expect("chmod");
        open(&path)
            .expect("open")
            .write(&Record::deny("x"))
            .expect("write");
        assert_eq!(mode(&path), 0o640);
        let text = fs::read_to_string(&path).expect("read");
        assert!(text.starts_with("earlier\n{"), "{text}");
    }

    /// Run in a child process by `mode_is_0600_under_any_umask`: the umask is
    /// process-wide, and changing it here would race with every other test
    /// creating files. Without the environment variable it does nothing.
    #[test]
    fn umask_child() {
        let Some(dir) = std::env::var_os(UMASK_CHILD_ENV) else {
            return;
        };
        let dir = PathBuf::from(dir);
        for (i, mask) in [0o777, 0o277, 0o077, 0o022, 0o000].into_iter().enumerate() {
            umask(Mode::from_bits_truncate(mask));
            let path = dir.join(format!("audit-{i}.log"));
            open(&path)
                .expect("open")
                .write(&Record::deny("x"))
                .expect("write");
            assert_eq!(mode(&path), 0o600, "umask {mask:03o}");
        }
        umask(Mode::from_bits_truncate(0o022));
        fs::write(dir.join("child-ran"), "ok").expect("marker");
    }

    const UMASK_CHILD_ENV: &str = "SSHGATE_AUDIT_TEST_UMASK_CHILD_DIR";

    #[test]
    fn mode_is_0600_under_any_umask() {
        let dir = tempfile::tempdir().expect("tempdir");
        // module_path!() starts with the crate name, which the test harness
        // leaves out of test names.
        let module = module_path!()
            .split_once("::")
            .map_or(module_path!(), |(_, rest)| rest);
        let name = format!("{module}::umask_child");
        let output = Command::new(std::env::current_exe().expect("current_exe"))
            .args([name.as_str(), "--exact", "--test-threads=1"])
            .env(UMASK_CHILD_ENV, dir.path())
            .output()
            .expect("spawn test binary");
        assert!(
            output.status.success(),
            "child {name} failed: {}\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        // A filter that matched nothing would also exit 0.
        assert!(
            dir.path().join("child-ran").exists(),
            "child {name} did not run"
        );
    }

    #[test]
    fn log_fd_is_close_on_exec() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sink = FileSink::open(&dir.path().join("audit.log")).expect("open");
        let flags = nix::fcntl::fcntl(&sink.file, nix::fcntl::F_GETFD).expect("F_GETFD");
        assert_ne!(flags & libc::FD_CLOEXEC, 0);
    }

    #[test]
    fn refuses_dangling_symlink_without_creating_target() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("elsewhere");
        let path = dir.path().join("audit.log");
        symlink(&target, &path).expect("symlink");
        let err = open(&path).expect_err("symlink must be refused");
        let text = err.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("os error 40"), "{text}");
        assert!(text.contains("symlink"), "{text}");
        assert!(!target.exists(), "symlink target was created");
    }

    #[test]
    fn refuses_symlink_to_existing_file_without_touching_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("shadow");
        fs::write(&target, "secret\n").expect("seed");
        fs::set_permissions(&target, Permissions::from_mode(0o644)).expect("chmod");
        let path = dir.path().join("audit.log");
        symlink(&target, &path).expect("symlink");
        let err = open(&path).expect_err("symlink must be refused");
        assert!(matches!(err, AuditError::Open { .. }), "{err:?}");
        assert_eq!(fs::read_to_string(&target).expect("read"), "secret\n");
        assert_eq!(mode(&target), 0o644);
    }

    #[test]
    fn refuses_fifo_without_reader() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.log");
        nix::unistd::mkfifo(&path, Mode::from_bits_truncate(0o600)).expect("mkfifo");
        // Would block forever without O_NONBLOCK; with it, ENXIO.
        let err = open(&path).expect_err("FIFO must be refused");
        let text = err.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("FIFO"), "{text}");
    }

    #[test]
    fn refuses_fifo_with_reader() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.log");
        nix::unistd::mkfifo(&path, Mode::from_bits_truncate(0o600)).expect("mkfifo");
        // With a reader the open succeeds; the fstat check must refuse it.
        let _reader = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .expect("open reader");
        let err = open(&path).expect_err("FIFO must be refused");
        assert!(
            matches!(err, AuditError::NotRegularFile { kind: "FIFO", .. }),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "cannot use audit log {}: it is a FIFO, not a regular file",
                path.display()
            )
        );
    }

    #[test]
    fn refuses_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.log");
        fs::create_dir(&path).expect("mkdir");
        let err = open(&path).expect_err("directory must be refused");
        let text = err.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("Is a directory"), "{text}");
    }

    #[test]
    fn refuses_character_device() {
        // /dev/null is writable by everyone but would swallow every record.
        let err = open(Path::new("/dev/null")).expect_err("device must be refused");
        assert_eq!(
            err.to_string(),
            "cannot use audit log /dev/null: it is a character device, not a regular file"
        );
    }

    #[test]
    fn missing_directory_names_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("no-such-dir").join("audit.log");
        let err = open(&path).expect_err("must fail");
        assert_eq!(
            err.to_string(),
            format!(
                "cannot open audit log {}: No such file or directory (os error 2)",
                path.display()
            )
        );
    }
}
