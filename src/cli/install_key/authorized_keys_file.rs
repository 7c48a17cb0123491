//! The authorized_keys file: opened through its directory without
//! following a symlink, read to find the key if it is already there, and
//! rewritten atomically, every old byte kept: a temp file beside it with the
//! old owner and mode (or the account's, 0600, for a new file, in a `~/.ssh`
//! created at 0700), fsync, a check that nobody changed it meanwhile,
//! rename, fsync of the directory.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat, renameat};
use nix::sys::stat::{FileStat, Mode, SFlag, fchmod, fstat, fstatat, mkdirat};
use nix::unistd::{Gid, Uid, UnlinkatFlags, fchown, fsync, unlinkat};

use super::error::InstallError;
use super::public_key::PublicKey;
use crate::doctor::authorized_keys::{self, Entry};

/// Mode of a `~/.ssh` that install-key creates: sshd's StrictModes wants
/// it writable by the owner only, and nobody else needs to list it.
const SSH_DIR_MODE: u32 = 0o700;

/// Mode of an authorized_keys file that install-key creates.
const KEYS_FILE_MODE: u32 = 0o600;

/// The authorized_keys file, opened through its directory.
pub(super) struct KeysFile {
    /// The file's path, as given.
    pub(super) path: PathBuf,
    /// The directory, opened without following a symlink; `None` when it
    /// does not exist yet (and a dry run does not create it).
    pub(super) dir: Option<File>,
    /// The file's name in that directory.
    name: OsString,
    /// What the file holds now, if it exists.
    pub(super) existing: Option<Existing>,
}

/// An authorized_keys file that exists.
pub(super) struct Existing {
    /// Its contents, as read.
    pub(super) bytes: Vec<u8>,
    /// Its `fstat` when read, to tell whether it changed since.
    stat: FileStat,
}

/// Who should own a file or directory install-key creates.
#[derive(Debug, Clone, Copy)]
pub(super) struct Owner {
    /// The owning user.
    pub(super) uid: u32,
    /// The owning group.
    pub(super) gid: u32,
    /// Whether install-key runs as root and so must give it away.
    pub(super) chown: bool,
}

impl Owner {
    /// Gives the file or directory open as `fd` to this owner, if needed.
    fn apply(&self, fd: impl AsFd, path: &Path) -> Result<(), InstallError> {
        if self.chown {
            fchown(
                fd,
                Some(Uid::from_raw(self.uid)),
                Some(Gid::from_raw(self.gid)),
            )
            .map_err(|errno| InstallError::io("cannot change the owner of", path, errno))?;
        }
        Ok(())
    }
}

/// The error for a path component that is a symbolic link.
fn symlink_error(path: &Path, what: &'static str) -> InstallError {
    InstallError::Symlink {
        path: path.to_path_buf(),
        target: fs::read_link(path).ok(),
        what,
    }
}

/// Opens directory `dir` without following a symlink in its last
/// component; `Ok(None)` when it does not exist.
fn open_dir(dir: &Path) -> Result<Option<File>, InstallError> {
    match fs::symlink_metadata(dir) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(InstallError::io("cannot examine", dir, error)),
        Ok(metadata) if metadata.file_type().is_symlink() => {
            return Err(symlink_error(dir, "directory"));
        }
        Ok(_) => {}
    }
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(dir)
        .map(Some)
        .map_err(|error| match error.raw_os_error() {
            Some(libc::ELOOP) => symlink_error(dir, "directory"),
            _ => InstallError::io("cannot open the directory", dir, error),
        })
}

/// Creates directory `dir` (whose parent must exist) at mode 0700 for
/// `owner`, and opens it.
pub(super) fn create_dir(dir: &Path, owner: Owner) -> Result<File, InstallError> {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return Err(InstallError::NoFileName {
            path: dir.to_path_buf(),
        });
    };
    let parent_fd = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(parent)
        .map_err(|error| {
            let action = if error.kind() == io::ErrorKind::NotFound {
                // Creating a whole missing home would hide a wrong path.
                format!(
                    "cannot create {} (install-key creates only the last directory):",
                    dir.display()
                )
            } else {
                format!("cannot create {} in", dir.display())
            };
            InstallError::io(action, parent, error)
        })?;
    mkdirat(&parent_fd, name, Mode::from_bits_truncate(SSH_DIR_MODE))
        .map_err(|errno| InstallError::io("cannot create", dir, errno))?;
    let fd = openat(
        &parent_fd,
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|errno| InstallError::io("cannot open", dir, errno))?;
    let dir_file = File::from(fd);
    owner.apply(&dir_file, dir)?;
    // The umask may have taken bits off; the mode must be exact.
    fchmod(&dir_file, Mode::from_bits_truncate(SSH_DIR_MODE))
        .map_err(|errno| InstallError::io("cannot set the mode of", dir, errno))?;
    Ok(dir_file)
}

/// Opens the authorized_keys file at `path` through its directory and
/// reads it, refusing symlinks and anything but a regular file.
pub(super) fn open_keys_file(path: &Path) -> Result<KeysFile, InstallError> {
    let (Some(dir_path), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(InstallError::NoFileName {
            path: path.to_path_buf(),
        });
    };
    let mut file = KeysFile {
        path: path.to_path_buf(),
        dir: open_dir(dir_path)?,
        name: name.to_os_string(),
        existing: None,
    };
    let Some(dir) = &file.dir else {
        return Ok(file);
    };
    let stat = match fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Err(Errno::ENOENT) => return Ok(file),
        Err(errno) => return Err(InstallError::io("cannot examine", path, errno)),
        Ok(stat) => stat,
    };
    match SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT {
        SFlag::S_IFREG => {}
        SFlag::S_IFLNK => return Err(symlink_error(path, "file")),
        _ => return Err(InstallError::NotRegular { path: file.path }),
    }
    // O_NONBLOCK: a FIFO swapped in after the check cannot hang us; the
    // fstat below then sees it is not the file that was examined.
    let fd = openat(
        dir,
        name,
        OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|errno| match errno {
        Errno::ELOOP => symlink_error(path, "file"),
        errno => InstallError::io("cannot open", path, errno),
    })?;
    let opened = fstat(&fd).map_err(|errno| InstallError::io("cannot examine", path, errno))?;
    if (opened.st_dev, opened.st_ino) != (stat.st_dev, stat.st_ino) {
        return Err(InstallError::Changed { path: file.path });
    }
    let mut bytes = Vec::new();
    File::from(fd)
        .read_to_end(&mut bytes)
        .map_err(|error| InstallError::io("cannot read", path, error))?;
    file.existing = Some(Existing {
        bytes,
        stat: opened,
    });
    Ok(file)
}

/// The line of `text` that already holds `key`: a key line with the same
/// type and key, or a line sshd ignores that holds the same key word.
pub(super) fn find_key(
    text: &[u8],
    key: &PublicKey,
) -> Option<(usize, Option<String>, Option<String>)> {
    let text = String::from_utf8_lossy(text);
    authorized_keys::parse(&text)
        .into_iter()
        .find_map(|entry| match entry {
            Entry::Key(line) => (line.key_type == key.key_type && line.key_data == key.key_data)
                .then(|| (line.line, line.command().map(str::to_owned), None)),
            Entry::Invalid { line, reason } => text
                .lines()
                .nth(line - 1)
                .is_some_and(|raw| raw.split([' ', '\t']).any(|word| word == key.key_data))
                .then_some((line, None, Some(reason))),
        })
}

/// The new contents: `old` byte for byte, a newline if its last line has
/// none, then `line` and a newline. Also returns the new line's number.
pub(super) fn appended(old: &[u8], line: &str) -> (Vec<u8>, usize) {
    let mut bytes = old.to_vec();
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    let number = bytes.iter().filter(|&&byte| byte == b'\n').count() + 1;
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    (bytes, number)
}

/// Whether `now` is still the file `then` described.
fn same_file(then: &FileStat, now: &FileStat) -> bool {
    (
        then.st_dev,
        then.st_ino,
        then.st_size,
        then.st_mtime,
        then.st_mtime_nsec,
    ) == (
        now.st_dev,
        now.st_ino,
        now.st_size,
        now.st_mtime,
        now.st_mtime_nsec,
    )
}

/// Replaces (or creates) the file with `contents`: temp file in the same
/// directory, owner and mode of the old file (or `owner` and 0600 for a new
/// one), fsync, rename, fsync of the directory.
pub(super) fn replace(
    file: &KeysFile,
    dir: &File,
    contents: &[u8],
    owner: Owner,
) -> Result<(), InstallError> {
    let path = &file.path;
    let (temp_name, temp) = create_temp(dir, &file.name, path)?;
    let result = (|| {
        let mut temp = File::from(temp);
        temp.write_all(contents)
            .map_err(|error| InstallError::io("cannot write a temp file beside", path, error))?;
        match &file.existing {
            Some(existing) => {
                let stat = &existing.stat;
                let current = fstat(&temp).map_err(|errno| {
                    InstallError::io("cannot examine a temp file beside", path, errno)
                })?;
                if (current.st_uid, current.st_gid) != (stat.st_uid, stat.st_gid) {
                    fchown(
                        &temp,
                        Some(Uid::from_raw(stat.st_uid)),
                        Some(Gid::from_raw(stat.st_gid)),
                    )
                    .map_err(|errno| {
                        InstallError::io(
                            "cannot keep the owner (run as root or as the owner) of",
                            path,
                            errno,
                        )
                    })?;
                }
                // After the chown, which clears set-id bits.
                fchmod(&temp, Mode::from_bits_truncate(stat.st_mode & 0o7777))
                    .map_err(|errno| InstallError::io("cannot keep the mode of", path, errno))?;
            }
            None => {
                owner.apply(&temp, path)?;
                fchmod(&temp, Mode::from_bits_truncate(KEYS_FILE_MODE))
                    .map_err(|errno| InstallError::io("cannot set the mode of", path, errno))?;
            }
        }
        fsync(&temp)
            .map_err(|errno| InstallError::io("cannot sync a temp file beside", path, errno))?;
        // Someone else's edit since we read the file would be lost by the
        // rename; refuse instead.
        let now = match fstatat(dir, file.name.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(now) => Some(now),
            Err(Errno::ENOENT) => None,
            Err(errno) => return Err(InstallError::io("cannot examine", path, errno)),
        };
        let unchanged = match (&file.existing, &now) {
            (Some(existing), Some(now)) => same_file(&existing.stat, now),
            (None, None) => true,
            _ => false,
        };
        if !unchanged {
            return Err(InstallError::Changed { path: path.clone() });
        }
        renameat(dir, temp_name.as_os_str(), dir, file.name.as_os_str())
            .map_err(|errno| InstallError::io("cannot rename a temp file to", path, errno))?;
        Ok(())
    })();
    if result.is_err() {
        // The temp file is ours and useless now; failing to remove it
        // changes nothing about the error being reported.
        let _ = unlinkat(dir, temp_name.as_os_str(), UnlinkatFlags::NoRemoveDir);
        return result;
    }
    fsync(dir).map_err(|errno| InstallError::io("cannot sync the directory of", path, errno))
}

/// Creates a fresh temp file beside `name` in `dir`, mode 0600.
fn create_temp(
    dir: &File,
    name: &OsStr,
    path: &Path,
) -> Result<(OsString, std::os::fd::OwnedFd), InstallError> {
    let pid = std::process::id();
    let mut last = Errno::EEXIST;
    for attempt in 0..100u32 {
        let mut temp_name = OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".sshgate-{pid}-{attempt}"));
        match openat(
            dir,
            temp_name.as_os_str(),
            OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(KEYS_FILE_MODE),
        ) {
            Ok(fd) => return Ok((temp_name, fd)),
            Err(Errno::EEXIST) => last = Errno::EEXIST,
            Err(errno) => {
                last = errno;
                break;
            }
        }
    }
    Err(InstallError::io(
        "cannot create a temp file beside",
        path,
        last,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::install_key::testing::{ED25519, key};

    #[test]
    fn appending_keeps_every_byte_and_ends_the_last_line() {
        assert_eq!(appended(b"", "L"), (b"L\n".to_vec(), 1));
        assert_eq!(appended(b"a\n", "L"), (b"a\nL\n".to_vec(), 2));
        assert_eq!(appended(b"a\r\n\nb", "L"), (b"a\r\n\nb\nL\n".to_vec(), 4));
    }

    #[test]
    fn a_present_key_is_found_whatever_its_options() {
        let key = key(ED25519).unwrap();
        let file = format!(
            "# {ED25519}\nssh-rsa AAAAB3Nza other\nfrom=\"x\",command=\"/bin/true\" {ED25519} old\n"
        );
        assert_eq!(
            find_key(file.as_bytes(), &key),
            Some((3, Some("/bin/true".to_owned()), None))
        );
        let ignored = format!("\nbogus {ED25519}\n");
        assert_eq!(
            find_key(ignored.as_bytes(), &key),
            Some((2, None, Some("unknown option \"bogus\"".to_owned())))
        );
        assert_eq!(find_key(b"# nothing\n", &key), None);
    }
}
