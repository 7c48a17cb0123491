//! Where a file lies in its filesystem, read from the mount table.
//!
//! "At or beneath" is a question about a filesystem, not about the way a
//! path walk came. Below a bind mount's root the walk never passes the
//! directories that really hold it: a bind mount of `w/sub` at `mnt` is
//! reached through `mnt`'s parents, never through `w`. So each walked
//! file is given a [`Place`]: the filesystem it is on (the mount's
//! `major:minor`) and its path inside that filesystem, computed from the
//! mount it was met on as `ROOT` + (where the walk met it, relative to the
//! `MOUNT POINT`). Two places are compared by that path, component-wise.
//!
//! The filesystem is named by the mount's `major:minor` rather than by the
//! file's own `st_dev`: on btrfs each subvolume has its own `st_dev` while
//! the mount table names the filesystem, and `ROOT` is a path from the
//! filesystem's top, so a subvolume nested beneath a writable directory is
//! still beneath it.
//!
//! A [`Region`] is what a grant on a directory reaches: its own subtree,
//! and the whole of every filesystem mounted somewhere inside it (Landlock
//! rules follow the mount tree, so a write grant on `w` covers a filesystem
//! mounted at `w/m`, wherever else that filesystem is also mounted).

use std::ffi::OsString;
use std::fmt::{self, Display, Formatter};
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::ffi::OsStringExt;
use std::path::{Component, Path, PathBuf};

/// Where the kernel lists the mounts this process sees.
pub(crate) const MOUNTINFO: &str = "/proc/self/mountinfo";

/// The buffer [`MountTable::read`] starts with: room for a mount table of
/// a hundred-odd lines, grown by `read_to_end` if it is longer.
const MOUNTINFO_CAPACITY: usize = 16 * 1024;

/// One mount: the fields of a `mountinfo` line the sandbox needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mount {
    /// Mount ID, as `statx(STATX_MNT_ID)` reports it.
    pub(crate) id: u64,
    /// The ID of the mount this one is mounted on.
    pub(crate) parent: u64,
    /// The filesystem: `makedev(major, minor)`.
    pub(crate) filesystem: u64,
    /// The path of the mount's root inside its filesystem (`/` unless it
    /// is a bind mount of a subdirectory).
    pub(crate) root: PathBuf,
    /// Where it is mounted, relative to this process's root.
    pub(crate) mount_point: PathBuf,
}

impl Mount {
    /// The place of what the walk met at `physical` on this mount, or
    /// `None` if `physical` is not at or beneath the mount point.
    fn place_of(&self, physical: &Path) -> Option<Place> {
        let inside = physical.strip_prefix(&self.mount_point).ok()?;
        let path = if inside.as_os_str().is_empty() {
            self.root.clone()
        } else {
            self.root.join(inside)
        };
        Some(Place {
            filesystem: self.filesystem,
            path,
        })
    }
}

/// Where a file is: its filesystem and its path inside it. The same for
/// every name, symlink and bind mount that reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    /// The filesystem, `makedev(major, minor)` of its mount.
    pub(crate) filesystem: u64,
    /// The path from the filesystem's top.
    pub(crate) path: PathBuf,
}

impl Place {
    /// Whether `self` is `other` or lies beneath it in the same filesystem.
    pub(crate) fn is_at_or_beneath(&self, other: &Place) -> bool {
        self.filesystem == other.filesystem && self.path.starts_with(&other.path)
    }
}

/// The places a grant on a directory reaches: the directory's own, and
/// the root of every filesystem mounted at or beneath it (recursively).
#[derive(Debug, Clone)]
pub(crate) struct Region(Vec<Place>);

impl Region {
    /// Whether `place` is at or beneath one of the region's places.
    pub(crate) fn contains(&self, place: &Place) -> bool {
        self.0.iter().any(|top| place.is_at_or_beneath(top))
    }

    /// Whether one of the region's places is on `filesystem`.
    pub(crate) fn reaches(&self, filesystem: u64) -> bool {
        self.0.iter().any(|top| top.filesystem == filesystem)
    }
}

/// Why a file could not be placed in its filesystem.
#[derive(Debug)]
pub enum PlaceError {
    /// The kernel did not report the mount ID (before Linux 5.8).
    NoMountId,
    /// The mount ID is not in the table read at the start.
    UnknownMount {
        /// The mount ID `statx(2)` reported.
        mount_id: u64,
    },
    /// The table mounts the file's mount elsewhere than where the walk
    /// met it: the mount table changed while it was being read or walked.
    OutsideMount {
        /// Where the table says the mount is.
        mount_point: PathBuf,
    },
}

impl std::error::Error for PlaceError {}

impl Display for PlaceError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoMountId => f.write_str("the kernel does not report mount IDs (Linux 5.8)"),
            Self::UnknownMount { mount_id } => {
                write!(f, "mount {mount_id} is not in {MOUNTINFO}")
            }
            Self::OutsideMount { mount_point } => write!(
                f,
                "{MOUNTINFO} mounts it at {}, which is not above it",
                mount_point.display()
            ),
        }
    }
}

/// The mounts of this process's mount namespace, read once.
#[derive(Debug, Clone)]
pub(crate) struct MountTable(Vec<Mount>);

impl MountTable {
    /// Reads [`MOUNTINFO`]. This must happen before Landlock applies: the
    /// sandbox grants nothing under `/proc`.
    pub(crate) fn read() -> io::Result<Self> {
        // `fs::read` sizes its buffer by `fstat(2)`, which reports 0 for a
        // `/proc` file, and then grows it from 32 bytes, one `read(2)` per
        // doubling; a buffer that fits a usual table takes one read and
        // the one that finds the end. `take` hides the `File`, whose own
        // `read_to_end` would `fstat(2)` and `lseek(2)` for the size again.
        let mut text = Vec::with_capacity(MOUNTINFO_CAPACITY);
        File::open(MOUNTINFO)?
            .take(u64::MAX)
            .read_to_end(&mut text)?;
        Self::parse(&text)
    }

    /// Parses `mountinfo` text (see `proc_pid_mountinfo(5)`).
    pub(crate) fn parse(text: &[u8]) -> io::Result<Self> {
        text.split(|&byte| byte == b'\n')
            .enumerate()
            .filter(|(_, line)| !line.is_empty())
            .map(|(index, line)| {
                parse_line(line).map_err(|what| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{MOUNTINFO} line {}: {what}", index + 1),
                    )
                })
            })
            .collect::<io::Result<Vec<Mount>>>()
            .map(Self)
    }

    /// The mount with ID `id`.
    pub(crate) fn get(&self, id: u64) -> Option<&Mount> {
        self.0.iter().find(|mount| mount.id == id)
    }

    /// The place of a file on the mount `mount_id` (as `statx(2)`
    /// reports it), which a walk met at `physical` (its path from this
    /// process's root, free of symlinks).
    pub(crate) fn place_of(&self, mount_id: u64, physical: &Path) -> Result<Place, PlaceError> {
        let mount = self
            .get(mount_id)
            .ok_or(PlaceError::UnknownMount { mount_id })?;
        mount
            .place_of(physical)
            .ok_or_else(|| PlaceError::OutsideMount {
                mount_point: mount.mount_point.clone(),
            })
    }

    /// What a grant on the directory at `place` reaches (see [`Region`]).
    pub(crate) fn region(&self, place: &Place) -> Region {
        let mut region = Region(vec![place.clone()]);
        let mut added = vec![false; self.0.len()];
        // Each pass adds the filesystems mounted inside what is reached so
        // far; a mount inside one of those is found by the next pass.
        loop {
            let mut grew = false;
            for (index, mount) in self.0.iter().enumerate() {
                if added[index] {
                    continue;
                }
                let inside = self
                    .mount_point_place(mount)
                    .is_some_and(|point| region.contains(&point));
                if inside {
                    added[index] = true;
                    grew = true;
                    region.0.push(Place {
                        filesystem: mount.filesystem,
                        path: mount.root.clone(),
                    });
                }
            }
            if !grew {
                return region;
            }
        }
    }

    /// The place of the directory `mount` is mounted on, in its parent
    /// mount's filesystem; `None` for the namespace's root mount.
    fn mount_point_place(&self, mount: &Mount) -> Option<Place> {
        if mount.parent == mount.id {
            return None;
        }
        self.get(mount.parent)?.place_of(&mount.mount_point)
    }
}

/// Parses one `mountinfo` line: `ID PARENT MAJOR:MINOR ROOT MOUNT_POINT
/// OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER_OPTIONS`; only the first five
/// fields are read.
fn parse_line(line: &[u8]) -> Result<Mount, String> {
    let mut fields = line.split(|&byte| byte == b' ');
    let mut next = |name: &str| fields.next().ok_or_else(|| format!("no {name} field"));
    let id = parse_number(next("mount ID")?, "mount ID")?;
    let parent = parse_number(next("parent ID")?, "parent ID")?;
    let filesystem = parse_device(next("major:minor")?)?;
    let root = parse_path(next("root")?, "root")?;
    let mount_point = parse_path(next("mount point")?, "mount point")?;
    Ok(Mount {
        id,
        parent,
        filesystem,
        root,
        mount_point,
    })
}

/// A decimal field.
fn parse_number<T: std::str::FromStr>(field: &[u8], name: &str) -> Result<T, String> {
    std::str::from_utf8(field)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| {
            format!(
                "{name} {:?} is not a number",
                String::from_utf8_lossy(field)
            )
        })
}

/// The `major:minor` field, as the `dev_t` the kernel would report.
fn parse_device(field: &[u8]) -> Result<u64, String> {
    let mut parts = field.splitn(2, |&byte| byte == b':');
    let major = parse_number(parts.next().unwrap_or_default(), "major")?;
    let minor = parse_number(parts.next().unwrap_or_default(), "minor")?;
    Ok(libc::makedev(major, minor))
}

/// A path field: absolute, with the kernel's octal escapes (`\040` for a
/// space, `\011` tab, `\012` newline, `\134` backslash) undone.
fn parse_path(field: &[u8], name: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(OsString::from_vec(unescape(field)));
    if path.components().next() != Some(Component::RootDir) {
        return Err(format!("{name} {} is not absolute", path.display()));
    }
    Ok(path)
}

/// Undoes `\ooo` octal escapes; any other byte, including a backslash not
/// followed by three octal digits, is kept as it is.
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(field.len());
    let mut rest = field;
    while let Some((&byte, after)) = rest.split_first() {
        match (byte, octal_escape(after)) {
            (b'\\', Some(decoded)) => {
                bytes.push(decoded);
                rest = &after[3..];
            }
            _ => {
                bytes.push(byte);
                rest = after;
            }
        }
    }
    bytes
}

/// The byte that three octal digits at the start of `bytes` stand for.
fn octal_escape(bytes: &[u8]) -> Option<u8> {
    let digits = bytes.get(..3)?;
    let mut value: u32 = 0;
    for &digit in digits {
        if !(b'0'..=b'7').contains(&digit) {
            return None;
        }
        value = value * 8 + u32::from(digit - b'0');
    }
    u8::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::placement::Stat;
    use std::os::unix::ffi::OsStrExt;

    /// `/proc/self/mountinfo` of a small system: `/` on 254:0, `/proc`,
    /// `/tmp/t1/mnt` a bind mount of `/tmp/t1/exec/sub` from the root
    /// filesystem, a tmpfs at `/w/m`, and a bind of that tmpfs's `/x` at
    /// `/srv/bin`.
    const TABLE: &str = "\
21 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
22 21 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
40 21 254:0 /tmp/t1/exec/sub /tmp/t1/mnt rw,relatime shared:1 - ext4 /dev/vda rw
41 21 0:50 / /w/m rw shared:20 - tmpfs tmpfs rw
42 21 0:50 /x /srv/bin rw shared:20 - tmpfs tmpfs rw
";

    fn table() -> MountTable {
        MountTable::parse(TABLE.as_bytes()).unwrap()
    }

    fn place(filesystem: u64, path: &str) -> Place {
        Place {
            filesystem,
            path: PathBuf::from(path),
        }
    }

    #[test]
    fn a_bind_mount_of_a_subdirectory_has_the_subdirectory_as_root() {
        let table = table();
        let mount = table.get(40).unwrap();
        assert_eq!(mount.parent, 21);
        assert_eq!(mount.filesystem, libc::makedev(254, 0));
        assert_eq!(mount.root, Path::new("/tmp/t1/exec/sub"));
        assert_eq!(mount.mount_point, Path::new("/tmp/t1/mnt"));
        let root_fs = libc::makedev(254, 0);
        assert_eq!(
            mount.place_of(Path::new("/tmp/t1/mnt/evil")),
            Some(place(root_fs, "/tmp/t1/exec/sub/evil"))
        );
        assert_eq!(
            mount.place_of(Path::new("/tmp/t1/mnt")),
            Some(place(root_fs, "/tmp/t1/exec/sub"))
        );
        assert_eq!(mount.place_of(Path::new("/tmp/t1/mntx")), None);
        assert!(
            place(root_fs, "/tmp/t1/exec/sub/evil")
                .is_at_or_beneath(&place(root_fs, "/tmp/t1/exec"))
        );
    }

    #[test]
    fn escapes_are_undone() {
        let line = "50 21 0:60 /a\\040b\\011c /mnt/new\\012line\\134x rw - tmpfs t rw\n";
        let table = MountTable::parse(line.as_bytes()).unwrap();
        let mount = table.get(50).unwrap();
        assert_eq!(mount.root, Path::new("/a b\tc"));
        assert_eq!(
            mount.mount_point.as_os_str().as_bytes(),
            b"/mnt/new\nline\\x"
        );
    }

    #[test]
    fn a_backslash_without_three_octal_digits_is_kept() {
        assert_eq!(unescape(b"a\\09x\\1"), b"a\\09x\\1");
        assert_eq!(unescape(b"\\134\\134"), b"\\\\");
    }

    #[test]
    fn a_malformed_line_is_an_error_naming_it() {
        for (text, what) in [
            (
                "21 1 254:0 / /\nx 1 2:3 / /\n",
                "line 2: mount ID \"x\" is not a number",
            ),
            ("21 1 254 / /\n", "line 1: minor \"\" is not a number"),
            ("21 1 254:0 /\n", "line 1: no mount point field"),
            (
                "21 1 254:0 relative /\n",
                "line 1: root relative is not absolute",
            ),
        ] {
            let error = MountTable::parse(text.as_bytes()).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidData);
            assert_eq!(error.to_string(), format!("{MOUNTINFO} {what}"), "{text:?}");
        }
    }

    #[test]
    fn places_compare_by_component_and_filesystem() {
        let a = place(1, "/srv/data");
        assert!(place(1, "/srv/data").is_at_or_beneath(&a));
        assert!(place(1, "/srv/data/x").is_at_or_beneath(&a));
        assert!(!place(1, "/srv/database").is_at_or_beneath(&a));
        assert!(!place(1, "/srv").is_at_or_beneath(&a));
        assert!(!place(2, "/srv/data/x").is_at_or_beneath(&a));
    }

    #[test]
    fn a_region_takes_in_filesystems_mounted_inside_it() {
        let table = table();
        let root_fs = libc::makedev(254, 0);
        let tmpfs = libc::makedev(0, 50);
        let w = table.region(&place(root_fs, "/w"));
        // The tmpfs mounted at /w/m, and so its /x wherever it is mounted.
        assert!(w.contains(&place(tmpfs, "/x/evil")));
        assert!(w.contains(&place(root_fs, "/w/other")));
        assert!(!w.contains(&place(root_fs, "/srv/bin")));
        // Only the tmpfs's /x is mounted beneath /srv.
        let srv = table.region(&place(root_fs, "/srv"));
        assert!(srv.contains(&place(tmpfs, "/x/evil")));
        assert!(!srv.contains(&place(tmpfs, "/y")));
    }

    #[test]
    fn the_running_system_places_root() {
        let table = MountTable::read().unwrap();
        let root = File::open("/").unwrap();
        let mount_id = Stat::of(&root).unwrap().mount_id().unwrap();
        let place = table.place_of(mount_id, Path::new("/")).unwrap();
        assert!(place.path.is_absolute(), "{place:?}");
    }
}
