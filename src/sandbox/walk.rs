//! The walk of a path by descriptor, and which symlinks it may follow.
//!
//! **Every path is walked by descriptor.** No grant path and no working
//! directory is opened by name (only `interpreters` reads executables'
//! headers by name, to find more paths to walk). The walk starts from an
//! `O_PATH` descriptor of `/` and opens one component at a time relative
//! to the directory it holds, with `O_NOFOLLOW`, so a symlink is opened as
//! itself; its target is read from the link's own
//! descriptor and walked the same way. `..` returns to the directory the
//! walk came from, which is where the kernel's `..` goes. The descriptor
//! the walk ends on is the one the rule is built from. Checking each link
//! and then opening the path again by name would leave a window in which a
//! concurrent request could swap a checked directory for a link; holding
//! descriptors leaves no such window, and a component that is missing is
//! an error rather than a gap a link could later fill.
//!
//! What differs is which symlinks a walk follows:
//!
//! - the policy's `read`, `write` and `exec` paths and the working
//!   directory (`chdir`) follow a link only if it is trusted (below);
//! - the program and its interpreters follow a link only if it is trusted,
//!   like the policy's paths: a link in a directory another user controls
//!   would let that user choose what the command runs (on a usr-merged
//!   system `/lib64` and `/bin/sh` are links too, root's, so trusted);
//! - the system base follows every link: paths named by sshgate itself;
//! - the write paths walked to settle the writable roots follow a link
//!   that passes the first two checks below, wherever it lies (see
//!   `writable`);
//! - the protected files (the policy and the audit log) follow every link:
//!   what matters is where they really are.
//!
//! A symlink met in directory D is trusted only if:
//!
//! - D and every directory above it on the walk pass the policy file's own
//!   ownership check ([`untrusted_because`]);
//! - in a root-owned sticky directory such as `/tmp`, the link belongs to
//!   root or the invoking user;
//! - D is not at or beneath a writable root (see `writable`): the command
//!   could have planted the link there on an earlier run, under this rule
//!   or another.
//!
//! Every directory and file the walk holds is placed in its filesystem, so
//! that "at or beneath" can be decided on the filesystem (see `placement`).
//!
//! The walks of one resolution share the directories they step through
//! ([`Context`] keeps them by path): a later walk reaching the same path
//! from `/` by the same names takes the descriptor already opened, checked
//! and placed rather than opening it again. The path a walk met is free of
//! symlinks and starts at the same `/`, so it names one chain of `openat`
//! calls, whose result is the node kept; every check that looks at a
//! directory reads the same metadata it would have read a moment earlier.
//! Symlinks are never kept: each is opened, checked and read by the walk
//! that meets it.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::ffi::{OsStr, OsString};
use std::io;
use std::iter;
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use nix::errno::Errno;
use nix::fcntl::{OFlag, open, openat, readlinkat};
use nix::sys::stat::Mode;

use super::SandboxError;
use super::mounts::MountTable;
use super::placement::{Lineage, Located, Position, Stat};
use super::writable::WritableRoots;
use crate::policy::untrusted_because;

/// The most symlinks followed while walking one path; the kernel's
/// `MAXSYMLINKS`, so the walk gives up exactly where `open(2)` would.
const MAX_SYMLINKS: usize = 40;

/// Mode bits that let users other than the owner add entries to a directory.
const WRITABLE_BY_OTHERS: u32 = 0o022;

/// The sticky bit: in such a directory only an entry's owner may remove or
/// rename it.
const STICKY: u32 = 0o1000;

/// What every walk of one resolution shares.
pub(super) struct Context<'a> {
    /// The mount table, read once at the start.
    pub(super) mounts: &'a MountTable,
    /// Whose links and directories are trusted like root's.
    pub(super) invoking_uid: u32,
    /// The directories walks have stepped through (and `/`), by the path
    /// the walk met them at (see the module documentation).
    directories: RefCell<HashMap<PathBuf, Rc<Node>>>,
}

impl<'a> Context<'a> {
    /// The context of one resolution, with no directory walked yet.
    pub(super) fn new(mounts: &'a MountTable, invoking_uid: u32) -> Self {
        Self {
            mounts,
            invoking_uid,
            directories: RefCell::default(),
        }
    }

    /// The directory an earlier walk stepped through at `path`, if any.
    fn walked_directory(&self, path: &Path) -> Option<Rc<Node>> {
        self.directories.borrow().get(path).cloned()
    }

    /// Keeps `node`, which a walk steps through, for later walks.
    fn keep_directory(&self, node: &Rc<Node>) {
        self.directories
            .borrow_mut()
            .entry(node.path.clone())
            .or_insert_with(|| Rc::clone(node));
    }
}

/// `fstat(2)` of a descriptor, which works on `O_PATH` descriptors too, as
/// std's `Metadata`; for tests, which compare identities with `stat(2)`'s.
#[cfg(test)]
pub(super) fn metadata_of(fd: &impl std::os::fd::AsFd) -> io::Result<std::fs::Metadata> {
    use std::fs::File;
    use std::mem::ManuallyDrop;
    use std::os::fd::{AsRawFd, FromRawFd};
    // SAFETY: the descriptor is open for as long as `fd` is borrowed, which
    // outlasts `file`, and `ManuallyDrop` never runs the `File`'s drop, so
    // the descriptor is neither closed here nor owned twice. This spares
    // the duplicate (`fcntl` and `close`) a `File` of its own would need.
    let file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd.as_fd().as_raw_fd()) });
    file.metadata()
}

/// Whether an `open(2)` error means the path does not exist: no entry at
/// the end (`ENOENT`) or a component on the way is not a directory
/// (`ENOTDIR`).
fn is_missing(errno: Errno) -> bool {
    matches!(errno, Errno::ENOENT | Errno::ENOTDIR)
}

/// One step of a path walk.
enum Step {
    /// Start again at `/` (an absolute path or symlink target).
    Root,
    /// `..`: back to the directory the walk came from.
    Up,
    /// An entry of the directory reached so far.
    Entry(OsString),
}

/// A step still to take, with the path as written up to and including it
/// when the step comes from the walked path itself rather than from a
/// link's target.
struct Pending {
    step: Step,
    written: Option<PathBuf>,
}

/// The steps of a walked path, each with its written prefix.
fn written_steps(path: &Path) -> VecDeque<Pending> {
    let mut prefix = PathBuf::new();
    path.components()
        .filter_map(|component| {
            prefix.push(component);
            step_of(component).map(|step| Pending {
                step,
                written: Some(prefix.clone()),
            })
        })
        .collect()
}

/// The steps of a symlink's target, which the policy did not write.
fn target_steps(target: &Path) -> Vec<Pending> {
    target
        .components()
        .filter_map(step_of)
        .map(|step| Pending {
            step,
            written: None,
        })
        .collect()
}

/// The walk step of one path component; `.` is no step.
fn step_of(component: Component<'_>) -> Option<Step> {
    match component {
        Component::RootDir => Some(Step::Root),
        Component::ParentDir => Some(Step::Up),
        Component::Normal(name) => Some(Step::Entry(name.to_owned())),
        Component::CurDir | Component::Prefix(_) => None,
    }
}

/// A directory or file (not a symlink) the walk holds open.
struct Node {
    /// Its `O_PATH` descriptor, opened without following it.
    fd: OwnedFd,
    /// Its `statx(2)`.
    stat: Stat,
    /// Where the walk met it, free of symlinks.
    path: PathBuf,
    /// Where it is in its filesystem.
    position: Position,
}

impl Node {
    /// The node for `fd`, which the walk met at `path`, placed in its
    /// filesystem.
    fn placed(
        fd: OwnedFd,
        stat: Stat,
        path: PathBuf,
        mounts: &MountTable,
    ) -> Result<Self, SandboxError> {
        let place = stat
            .mount_id()
            .and_then(|mount_id| mounts.place_of(mount_id, &path))
            .map_err(|reason| SandboxError::UnknownMount {
                path: path.clone(),
                reason,
            })?;
        Ok(Self {
            position: Position {
                id: stat.id(),
                place,
            },
            fd,
            stat,
            path,
        })
    }
}

/// The node of `/` where every walk of the resolution starts: opened by
/// the first walk, shared by the rest (see the module documentation).
/// Errors name `written`, the path being walked.
fn root(written: &Path, context: &Context<'_>) -> Result<Rc<Node>, SandboxError> {
    let root = Path::new("/");
    if let Some(node) = context.walked_directory(root) {
        return Ok(node);
    }
    let open_failed = |source| SandboxError::OpenPath {
        path: written.to_path_buf(),
        source,
    };
    let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let fd = open(root, flags, Mode::empty()).map_err(|errno| open_failed(errno.into()))?;
    let stat = Stat::of(&fd).map_err(open_failed)?;
    let node = Rc::new(Node::placed(fd, stat, root.to_path_buf(), context.mounts)?);
    context.keep_directory(&node);
    Ok(node)
}

/// A symlink the walk met.
struct Link {
    /// Its `O_PATH | O_NOFOLLOW` descriptor: the link itself.
    fd: OwnedFd,
    /// Its `statx(2)`, the link's own.
    stat: Stat,
    /// Where the walk met it, free of symlinks.
    path: PathBuf,
}

/// Which symlinks a walk follows (see the module documentation).
#[derive(Clone, Copy)]
pub(super) enum Links<'a> {
    /// Every one: the system base, the program, its interpreters, and the
    /// protected files (whose real location is what matters).
    FollowAll,
    /// Those that pass the ownership checks (their directories', and in a
    /// sticky directory their own), wherever they lie: the write paths
    /// that settle the writable roots, whose links are then weighed
    /// against each other.
    OwnershipOnly,
    /// Those that pass the ownership checks and lie at or beneath none of
    /// these writable roots: policy paths and the working directory.
    OwnershipAndNotWritable(&'a WritableRoots),
}

/// What a finished walk found.
pub(super) struct Walked {
    /// The file or directory it ended on.
    pub(super) located: Located,
    /// Why a directory above the end could be changed by someone other
    /// than root or the invoking user, who could then swap what the walk
    /// ended on; `None` if every one passes the policy file's ownership
    /// check. Worded to follow "X is".
    pub(super) untrusted_parent: Option<String>,
    /// Where the links it followed lie, in the order followed.
    pub(super) link_dirs: Vec<Lineage>,
    /// How many components its end is below `/`.
    pub(super) depth: usize,
}

/// Why a walk stopped, and where it stood then.
pub(super) struct Stranded {
    /// The error.
    pub(super) error: SandboxError,
    /// Where the walk was; `None` if it never started. Boxed: a walk that
    /// fails is the rare case.
    pub(super) trace: Option<Box<Trace>>,
}

/// Where a failed walk stood.
pub(super) struct Trace {
    /// The directory (or file) the walk held.
    pub(super) here: Lineage,
    /// Where the links it had followed lie.
    pub(super) link_dirs: Vec<Lineage>,
    /// Whether every step left was a name: from where it stood, the walk
    /// could only have gone deeper.
    pub(super) descends_only: bool,
    /// The deepest directory the steps left could not have climbed out of.
    pub(super) reached: Reached,
}

/// The directory a failed walk had reached: where it stood, or, if `..`
/// steps were left, the directory as many levels up on the way it came
/// (never above `/`). Whatever the path would have named had the walk gone
/// on by names and `..` from there lies at or beneath it.
pub(super) struct Reached {
    /// Where it is.
    pub(super) lineage: Lineage,
    /// Its path as the walk met it, free of symlinks.
    pub(super) path: PathBuf,
    /// Whether it is a directory (it is, unless the walk failed on a
    /// file).
    pub(super) is_dir: bool,
}

/// Walks `path` by descriptor, following the links `links` allows (see the
/// module documentation). Refuses an untrusted symlink, a missing component
/// ([`SandboxError::MissingPath`]) and more than [`MAX_SYMLINKS`] links
/// (`ELOOP`).
pub(super) fn walk(
    path: &Path,
    links: Links<'_>,
    context: &Context<'_>,
) -> Result<Walked, Stranded> {
    let mut walk =
        Walk::start(path, links, context).map_err(|error| Stranded { error, trace: None })?;
    while let Some(pending) = walk.pending.pop_front() {
        if let Err(error) = walk.take(pending) {
            return Err(walk.stranded(error));
        }
    }
    walk.finish()
}

/// The state of one walk.
struct Walk<'a> {
    /// The path as the policy (or plan) wrote it.
    written: &'a Path,
    /// Which links may be followed.
    links: Links<'a>,
    /// The mount table and the invoking user.
    context: &'a Context<'a>,
    /// Where the walk is.
    here: Rc<Node>,
    /// The directories above `here` on the way the walk came, `/` first:
    /// where `..` returns to, and what the trust checks look at.
    above: Vec<Rc<Node>>,
    /// The steps still to take.
    pending: VecDeque<Pending>,
    /// Symlinks followed so far.
    followed: usize,
    /// Where the links followed so far lie.
    link_dirs: Vec<Lineage>,
}

impl<'a> Walk<'a> {
    /// A walk of `written` standing at `/`.
    fn start(
        written: &'a Path,
        links: Links<'a>,
        context: &'a Context<'a>,
    ) -> Result<Self, SandboxError> {
        Ok(Self {
            written,
            links,
            context,
            here: root(written, context)?,
            above: Vec::new(),
            pending: written_steps(written),
            followed: 0,
            link_dirs: Vec::new(),
        })
    }

    /// Takes one step.
    fn take(&mut self, pending: Pending) -> Result<(), SandboxError> {
        match pending.step {
            Step::Root => {
                self.return_to_root();
                Ok(())
            }
            Step::Up => self.go_up(),
            Step::Entry(name) => self.enter(&name, pending.written),
        }
    }

    /// Goes back to `/`, dropping every directory held below it.
    fn return_to_root(&mut self) {
        self.above.truncate(1);
        if let Some(root) = self.above.pop() {
            self.here = root;
        }
    }

    /// `..`: back to the directory the walk came from; `/..` is `/`. Like
    /// the kernel, refuses `..` after something that is not a directory.
    fn go_up(&mut self) -> Result<(), SandboxError> {
        if !self.here.stat.is_dir() {
            return Err(self.missing());
        }
        if let Some(parent) = self.above.pop() {
            self.here = parent;
        }
        Ok(())
    }

    /// Opens `name` in the directory held, without following it; steps
    /// into it, or follows it if it is a symlink. A directory an earlier
    /// walk stepped through at the same path is stepped into as it was.
    fn enter(&mut self, name: &OsStr, written: Option<PathBuf>) -> Result<(), SandboxError> {
        let path = self.here.path.join(name);
        if let Some(node) = self.context.walked_directory(&path) {
            self.step_into(node);
            return Ok(());
        }
        let flags = OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = match openat(&self.here.fd, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(errno) if is_missing(errno) => return Err(self.missing()),
            Err(errno) => return Err(self.open_failed(errno.into())),
        };
        let stat = Stat::of(&fd).map_err(|source| self.open_failed(source))?;
        if stat.is_symlink() {
            return self.follow(Link { fd, stat, path }, written);
        }
        let node = Node::placed(fd, stat, path, self.context.mounts)?;
        self.step_into(Rc::new(node));
        Ok(())
    }

    /// Steps from the directory held into `node`, keeping that directory
    /// for later walks: it is one a walk stepped through.
    fn step_into(&mut self, node: Rc<Node>) {
        self.context.keep_directory(&self.here);
        self.above.push(std::mem::replace(&mut self.here, node));
    }

    /// Follows `link`, met in the directory held, if it is trusted: its
    /// target's steps come next.
    fn follow(&mut self, link: Link, written: Option<PathBuf>) -> Result<(), SandboxError> {
        self.followed += 1;
        if self.followed > MAX_SYMLINKS {
            return Err(self.open_failed(io::Error::from_raw_os_error(libc::ELOOP)));
        }
        if let Some(why) = self.distrust_reason(&link) {
            return Err(SandboxError::UntrustedSymlink {
                path: self.written.to_path_buf(),
                link: written.unwrap_or(link.path),
                why,
            });
        }
        self.link_dirs.push(self.lineage());
        // The empty path reads the link the descriptor holds: the one just
        // checked, whatever its name points at by now.
        let target = readlinkat(&link.fd, "").map_err(|errno| self.open_failed(errno.into()))?;
        for step in target_steps(Path::new(&target)).into_iter().rev() {
            self.pending.push_front(step);
        }
        Ok(())
    }

    /// The walk's result: the descriptor held, with its lineage. The
    /// descriptor is the walk's own; if other walks share the node (a
    /// directory one of them stepped through), it is duplicated, so that
    /// the caller owns what it holds as before.
    fn finish(mut self) -> Result<Walked, Stranded> {
        let lineage = self.lineage();
        let untrusted_parent = self.untrusted_parent();
        let depth = self.here.path.components().count();
        let node = match Rc::try_unwrap(self.here) {
            Ok(node) => node,
            Err(shared) => match shared.fd.try_clone() {
                Ok(fd) => Node {
                    fd,
                    stat: shared.stat,
                    path: shared.path.clone(),
                    position: shared.position.clone(),
                },
                Err(source) => {
                    self.here = shared;
                    let error = self.open_failed(source);
                    return Err(self.stranded(error));
                }
            },
        };
        Ok(Walked {
            untrusted_parent,
            depth,
            located: Located {
                fd: node.fd,
                stat: node.stat,
                path: node.path,
                lineage,
            },
            link_dirs: self.link_dirs,
        })
    }

    /// `error`, with where the walk stood when it happened.
    fn stranded(&self, error: SandboxError) -> Stranded {
        Stranded {
            error,
            trace: Some(Box::new(self.trace())),
        }
    }

    /// Where the walk stands, for a failure.
    fn trace(&self) -> Trace {
        Trace {
            here: self.lineage(),
            link_dirs: self.link_dirs.clone(),
            descends_only: self
                .pending
                .iter()
                .all(|pending| matches!(pending.step, Step::Entry(_))),
            reached: self.reached(),
        }
    }

    /// The directory reached so far, raised one level for each `..` still
    /// to take (see [`Reached`]). No step left starts again at `/`: a
    /// target's first step is taken as soon as its link is followed.
    fn reached(&self) -> Reached {
        let ups = self
            .pending
            .iter()
            .filter(|pending| matches!(pending.step, Step::Up))
            .count();
        let nodes: Vec<&Node> = self.directories().collect();
        let level = ups.min(nodes.len() - 1);
        Reached {
            lineage: Lineage {
                node: nodes[level].position.clone(),
                above: nodes[level + 1..]
                    .iter()
                    .map(|node| node.position.clone())
                    .collect(),
            },
            path: nodes[level].path.clone(),
            is_dir: nodes[level].stat.is_dir(),
        }
    }

    /// The node held and the directories above it.
    fn lineage(&self) -> Lineage {
        Lineage {
            node: self.here.position.clone(),
            above: self
                .above
                .iter()
                .rev()
                .map(|node| node.position.clone())
                .collect(),
        }
    }

    /// The node held, then every directory above it, nearest first.
    fn directories(&self) -> impl Iterator<Item = &Node> {
        iter::once(&*self.here).chain(self.above.iter().rev().map(|node| &**node))
    }

    /// Why `link`, met in the directory held, may not be followed, worded
    /// to follow "symlink X, which"; `None` if it may.
    fn distrust_reason(&self, link: &Link) -> Option<String> {
        let roots = match self.links {
            Links::FollowAll => return None,
            Links::OwnershipOnly => None,
            Links::OwnershipAndNotWritable(roots) => Some(roots),
        };
        roots
            .and_then(|roots| self.writable_directory(roots))
            .or_else(|| self.untrusted_directory())
            .or_else(|| self.stranger_in_sticky_directory(link))
    }

    /// Whether the link's directory is at or beneath a writable root: the
    /// command could have created the link there on an earlier run. A link
    /// *at* a writable path is not refused, since replacing it needs write
    /// access to its parent.
    fn writable_directory(&self, roots: &WritableRoots) -> Option<String> {
        roots
            .first_holding(&self.lineage())
            .map(|root| format!("lies beneath the writable path {}", root.written.display()))
    }

    /// Why the link's directory or one above it could be changed by someone
    /// other than root or the invoking user; the same check as for the
    /// policy file's own directories.
    fn untrusted_directory(&self) -> Option<String> {
        self.directories()
            .enumerate()
            .find_map(|(height, directory)| {
                let why =
                    untrusted_because(directory.stat.as_statx(), self.context.invoking_uid, true)?;
                let place = if height == 0 {
                    format!("is in {}", self.here.path.display())
                } else {
                    format!(
                        "is in {}, beneath {}",
                        self.here.path.display(),
                        directory.path.display()
                    )
                };
                Some(format!("{place}, which is {why}"))
            })
    }

    /// Why a directory above the node held (its own directory first) could
    /// be changed by someone other than root or the invoking user; the
    /// policy file's check, which lets a root-owned sticky directory such
    /// as `/tmp` pass, since nobody else may rename entries there.
    fn untrusted_parent(&self) -> Option<String> {
        self.above.iter().rev().find_map(|directory| {
            let why =
                untrusted_because(directory.stat.as_statx(), self.context.invoking_uid, true)?;
            Some(format!("in {}, which is {why}", directory.path.display()))
        })
    }

    /// Why the link is untrusted although its directory is: a root-owned
    /// sticky directory such as `/tmp` lets anyone add entries, so the link
    /// must belong to root or the invoking user.
    fn stranger_in_sticky_directory(&self, link: &Link) -> Option<String> {
        let mode = self.here.stat.mode();
        let owner = link.stat.uid();
        let invoking_uid = self.context.invoking_uid;
        let shared = mode & STICKY != 0 && mode & WRITABLE_BY_OTHERS != 0;
        if !shared || owner == 0 || owner == invoking_uid {
            return None;
        }
        Some(format!(
            "is owned by uid {owner}, not by root or the invoking user (uid {invoking_uid}), \
             in the sticky directory {}",
            self.here.path.display()
        ))
    }

    /// The walked path does not exist.
    fn missing(&self) -> SandboxError {
        SandboxError::MissingPath {
            path: self.written.to_path_buf(),
        }
    }

    /// The walked path could not be walked for another reason.
    fn open_failed(&self, source: io::Error) -> SandboxError {
        SandboxError::OpenPath {
            path: self.written.to_path_buf(),
            source,
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::sandbox::placement::FileId;
    use nix::unistd::getuid;
    use std::fs;
    use std::os::unix::fs::{PermissionsExt, symlink};

    /// Creates the directory `name` in `parent` with exactly `mode`.
    pub(in crate::sandbox) fn make_dir(parent: &Path, name: &str, mode: u32) -> PathBuf {
        let path = parent.join(name);
        fs::create_dir(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    /// The identity of what `path` names, symlinks followed, as `stat(2)`
    /// sees it.
    pub(in crate::sandbox) fn stat_id(path: &Path) -> FileId {
        FileId::of(&fs::metadata(path).unwrap())
    }

    /// The identity of the descriptor the walk of `path` ends on, with no
    /// writable roots and the test's own uid.
    pub(in crate::sandbox) fn walked_id(path: &Path) -> Result<FileId, SandboxError> {
        let roots = WritableRoots::default();
        let mounts = MountTable::read().unwrap();
        let context = Context::new(&mounts, getuid().as_raw());
        let walked =
            walk(path, Links::OwnershipAndNotWritable(&roots), &context).map_err(|s| s.error)?;
        Ok(FileId::of(&metadata_of(&walked.located.fd).unwrap()))
    }

    #[test]
    fn the_walk_ends_on_what_stat_names() {
        let dir = tempfile::tempdir().unwrap();
        let data = make_dir(dir.path(), "data", 0o755);
        let sub = make_dir(&data, "sub", 0o755);
        fs::write(data.join("file"), "x").unwrap();
        symlink(&data, dir.path().join("absolute")).unwrap();
        symlink("data", dir.path().join("relative")).unwrap();
        symlink("../file", sub.join("up")).unwrap();
        symlink("relative/sub/up", dir.path().join("chained")).unwrap();
        let paths = [
            PathBuf::from("/"),
            PathBuf::from("/../../etc"),
            PathBuf::from("/usr/./bin"),
            dir.path().to_path_buf(),
            data.join("file"),
            dir.path().join("absolute/file"),
            dir.path().join("relative/file"),
            dir.path().join("absolute/sub/up"),
            dir.path().join("chained"),
            dir.path().join("relative/sub/../file"),
        ];
        for path in paths {
            assert_eq!(
                walked_id(&path).unwrap(),
                stat_id(&path),
                "{}",
                path.display()
            );
        }
    }

    #[test]
    fn walks_sharing_directories_end_on_what_stat_names_with_their_own_descriptors() {
        let dir = tempfile::tempdir().unwrap();
        let data = make_dir(dir.path(), "data", 0o755);
        let sub = make_dir(&data, "sub", 0o755);
        symlink("sub", data.join("link")).unwrap();
        let roots = WritableRoots::default();
        let mounts = MountTable::read().unwrap();
        let context = Context::new(&mounts, getuid().as_raw());
        // Deeper first, so that the later walks end on directories kept.
        let paths = [
            sub.clone(),
            data.clone(),
            data.join("link"),
            sub.join(".."),
            PathBuf::from("/"),
        ];
        let mut ends = Vec::new();
        for path in &paths {
            let walked = walk(path, Links::OwnershipAndNotWritable(&roots), &context)
                .map_err(|s| s.error)
                .unwrap();
            ends.push((path, walked.located.fd));
        }
        drop(context);
        // Each descriptor is the caller's: it outlives the shared ones.
        for (path, fd) in &ends {
            let id = FileId::of(&metadata_of(fd).unwrap());
            assert_eq!(id, stat_id(path), "{}", path.display());
        }
    }

    #[test]
    fn dot_dot_after_a_file_is_a_missing_path() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("file"), "x").unwrap();
        let path = dir.path().join("file/..");
        assert!(matches!(
            walked_id(&path),
            Err(SandboxError::MissingPath { path: missing }) if missing == path
        ));
    }

    #[test]
    fn forty_links_are_followed_and_the_forty_first_is_a_loop() {
        // The same limit as the kernel's, checked against it.
        let dir = tempfile::tempdir().unwrap();
        make_dir(dir.path(), "data", 0o755);
        let link = |i: usize| dir.path().join(format!("l{i}"));
        symlink("data", link(MAX_SYMLINKS)).unwrap();
        for i in 0..MAX_SYMLINKS {
            symlink(format!("l{}", i + 1), link(i)).unwrap();
        }
        assert_eq!(walked_id(&link(1)).unwrap(), stat_id(&link(1)));
        assert_eq!(
            fs::metadata(link(0)).unwrap_err().raw_os_error(),
            Some(libc::ELOOP),
            "the kernel agrees"
        );
        match walked_id(&link(0)) {
            Err(SandboxError::OpenPath { path, source }) => {
                assert_eq!(path, link(0));
                assert_eq!(source.raw_os_error(), Some(libc::ELOOP));
            }
            other => panic!("expected ELOOP, got {other:?}"),
        }
    }

    #[test]
    fn a_link_to_itself_is_a_loop() {
        let dir = tempfile::tempdir().unwrap();
        let own = dir.path().join("own");
        symlink("own", &own).unwrap();
        assert!(matches!(
            walked_id(&own.join("x")),
            Err(SandboxError::OpenPath { source, .. }) if source.raw_os_error() == Some(libc::ELOOP)
        ));
    }
}
