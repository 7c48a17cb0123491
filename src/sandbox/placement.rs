//! Where a walked file is, for the "at or beneath" checks: its identity
//! ([`FileId`]), its place in its filesystem ([`Position`]), the
//! directories above it on its walk ([`Lineage`]) and what a grant on a
//! directory reaches ([`Subtree`]).
//!
//! **"At or beneath" is decided on the filesystem.** Every directory and
//! file a walk holds is placed in its filesystem (see `mounts`): the
//! filesystem of its mount and its path inside that filesystem, from the
//! mount table read once per resolution. A file is at or beneath a
//! directory B if the file, or a directory above it on its walk, is B
//! itself (same device and inode) or lies inside B's filesystem subtree or
//! inside a filesystem mounted somewhere beneath B. So a bind mount of a
//! subdirectory of B is beneath B wherever it is mounted, though no walk
//! through it passes B, and an alias (a symlink or a bind mount) of B is
//! recognised however it is written. If the mount table cannot be read or
//! a walked file's mount is not in it, resolution fails.

use std::io;
use std::iter;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;

use super::mounts::{MountTable, Place, PlaceError, Region};
use super::resolve::Found;

/// A file's identity: the same for every name, alias and bind mount of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The identity `metadata` describes; for tests, which compare the
    /// walk's with `stat(2)`'s.
    #[cfg(test)]
    pub(super) fn of(metadata: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            dev: metadata.dev(),
            ino: metadata.ino(),
        }
    }
}

/// One `statx(2)` of a walked file: everything the walk's checks read of
/// it (owner, mode and type, identity, link count) and the mount it is on,
/// in one call where `fstat(2)` and a `statx(STATX_MNT_ID)` took two.
#[derive(Clone, Copy)]
pub(super) struct Stat(libc::statx);

impl Stat {
    /// The `statx(2)` of what `fd` holds, which may be an `O_PATH`
    /// descriptor of a symlink (hence `AT_SYMLINK_NOFOLLOW`: the link
    /// itself).
    pub(super) fn of(fd: &impl AsFd) -> io::Result<Self> {
        // SAFETY: `statx` is plain integers, for which all zeroes is valid.
        let mut buffer: libc::statx = unsafe { std::mem::zeroed() };
        // SAFETY: the descriptor is open for the call, the path is a valid
        // C string and `buffer` is a `struct statx` the kernel may write.
        let result = unsafe {
            libc::statx(
                fd.as_fd().as_raw_fd(),
                c"".as_ptr(),
                libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
                libc::STATX_BASIC_STATS | libc::STATX_MNT_ID,
                &mut buffer,
            )
        };
        if result != 0 {
            return Err(io::Error::last_os_error());
        }
        // A field the filesystem did not fill reads as zero, and uid 0 is
        // trusted: refuse rather than judge a file by a default.
        let needed = libc::STATX_TYPE
            | libc::STATX_MODE
            | libc::STATX_UID
            | libc::STATX_NLINK
            | libc::STATX_INO;
        if buffer.stx_mask & needed != needed {
            return Err(io::Error::other(format!(
                "statx did not report the owner, mode, type, link count and inode (mask {:#x})",
                buffer.stx_mask
            )));
        }
        Ok(Self(buffer))
    }

    /// The raw result, for the policy file's ownership check, which reads
    /// its owner and mode.
    pub(super) fn as_statx(&self) -> &libc::statx {
        &self.0
    }

    /// The owner's uid.
    pub(super) fn uid(&self) -> u32 {
        self.0.stx_uid
    }

    /// The mode: type and permission bits, as `st_mode`.
    pub(super) fn mode(&self) -> u32 {
        u32::from(self.0.stx_mode)
    }

    /// The number of hard links.
    pub(super) fn nlink(&self) -> u64 {
        u64::from(self.0.stx_nlink)
    }

    /// Whether it is a directory.
    pub(super) fn is_dir(&self) -> bool {
        self.mode() & libc::S_IFMT == libc::S_IFDIR
    }

    /// Whether it is a symlink.
    pub(super) fn is_symlink(&self) -> bool {
        self.mode() & libc::S_IFMT == libc::S_IFLNK
    }

    /// Its identity, with the device as `st_dev` would report it.
    pub(super) fn id(&self) -> FileId {
        FileId {
            dev: libc::makedev(self.0.stx_dev_major, self.0.stx_dev_minor),
            ino: self.0.stx_ino,
        }
    }

    /// The ID of the mount it is on; the kernel reports it from Linux 5.8.
    pub(super) fn mount_id(&self) -> Result<u64, PlaceError> {
        if self.0.stx_mask & libc::STATX_MNT_ID == 0 {
            return Err(PlaceError::NoMountId);
        }
        Ok(self.0.stx_mnt_id)
    }
}

/// Where one walked file or directory is: its identity and its place in
/// its filesystem.
#[derive(Debug, Clone)]
pub(super) struct Position {
    pub(super) id: FileId,
    pub(super) place: Place,
}

/// A walked file's position and those of the directories above it on the
/// way the walk came.
#[derive(Debug, Clone)]
pub(super) struct Lineage {
    /// The file itself.
    pub(super) node: Position,
    /// The directories above it, nearest first.
    pub(super) above: Vec<Position>,
}

impl Lineage {
    /// The file, then every directory above it.
    fn positions(&self) -> impl Iterator<Item = &Position> {
        iter::once(&self.node).chain(&self.above)
    }
}

/// What a grant on a directory reaches, for "at or beneath" checks: the
/// directory itself and its [`Region`].
#[derive(Debug, Clone)]
pub(super) struct Subtree {
    /// The directory's identity.
    id: FileId,
    /// Its place and the filesystems mounted beneath it.
    region: Region,
}

impl Subtree {
    /// What a grant on the directory at `position` reaches.
    pub(super) fn of(position: &Position, mounts: &MountTable) -> Self {
        Self {
            id: position.id,
            region: mounts.region(&position.place),
        }
    }

    /// Whether the file `lineage` describes is at or beneath this subtree:
    /// the file or a directory above it on its walk is the subtree's top,
    /// or lies in its region. The directories above count because the
    /// region follows the filesystem while the walk may have come through
    /// a mount whose own filesystem the region does not name.
    pub(super) fn holds(&self, lineage: &Lineage) -> bool {
        lineage
            .positions()
            .any(|position| position.id == self.id || self.region.contains(&position.place))
    }

    /// Whether the file at `position` is on a filesystem this subtree
    /// reaches, by its mount's device or its own.
    pub(super) fn reaches_filesystem_of(&self, position: &Position) -> bool {
        position.id.dev == self.id.dev || self.region.reaches(position.place.filesystem)
    }
}

/// An opened path and where it sits.
pub(super) struct Located {
    /// The `O_PATH` descriptor the rule is built from.
    pub(super) fd: OwnedFd,
    /// Its `statx(2)`.
    pub(super) stat: Stat,
    /// Its path as the walk met it, free of symlinks.
    pub(super) path: PathBuf,
    /// Where it is.
    pub(super) lineage: Lineage,
}

impl Located {
    /// Whether the descriptor is a directory.
    pub(super) fn is_dir(&self) -> bool {
        self.stat.is_dir()
    }

    /// Which kind of grant this is.
    pub(super) fn kind(&self) -> Found {
        if self.is_dir() {
            Found::Directory
        } else {
            Found::File
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::fcntl::{OFlag, open};
    use nix::sys::stat::Mode;
    use std::fs;
    use std::os::unix::fs::{MetadataExt, symlink};
    use std::path::Path;

    /// The `O_PATH | O_NOFOLLOW` descriptor the walk would hold for `path`.
    fn o_path(path: &Path) -> OwnedFd {
        let flags = OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        open(path, flags, Mode::empty()).unwrap()
    }

    #[test]
    fn one_statx_reads_what_lstat_reads_and_the_mount() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs::write(&file, "x").unwrap();
        fs::hard_link(&file, dir.path().join("second")).unwrap();
        let link = dir.path().join("link");
        symlink("file", &link).unwrap();
        for path in [dir.path(), &file, &link] {
            let stat = Stat::of(&o_path(path)).unwrap();
            let lstat = fs::symlink_metadata(path).unwrap();
            let shown = path.display();
            assert_eq!(stat.uid(), lstat.uid(), "{shown}");
            assert_eq!(stat.mode(), lstat.mode(), "{shown}");
            assert_eq!(stat.nlink(), lstat.nlink(), "{shown}");
            assert_eq!(stat.id(), FileId::of(&lstat), "{shown}");
            assert_eq!(stat.is_dir(), lstat.is_dir(), "{shown}");
            assert_eq!(stat.is_symlink(), lstat.file_type().is_symlink(), "{shown}");
            assert!(stat.mount_id().is_ok(), "{shown}");
        }
    }
}
