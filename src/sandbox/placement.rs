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

use std::fs::Metadata;
use std::iter;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use super::mounts::{MountTable, Place, Region};
use super::resolve::Found;

/// A file's identity: the same for every name, alias and bind mount of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The identity `metadata` describes.
    pub(super) fn of(metadata: &Metadata) -> Self {
        Self {
            dev: metadata.dev(),
            ino: metadata.ino(),
        }
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
    /// Its `fstat(2)`.
    pub(super) metadata: Metadata,
    /// Its path as the walk met it, free of symlinks.
    pub(super) path: PathBuf,
    /// Where it is.
    pub(super) lineage: Lineage,
}

impl Located {
    /// Whether the descriptor is a directory.
    pub(super) fn is_dir(&self) -> bool {
        self.metadata.is_dir()
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
