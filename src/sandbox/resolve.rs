//! Step 1 of confinement: vet the plan's grants and turn them into open file
//! descriptors before anything is restricted.
//!
//! Everything that needs the filesystem happens here, while the gate can
//! still see it: checking that no grant can be widened by a symlink someone
//! else planted, reading the executables' interpreters, and opening an
//! `O_PATH` descriptor for every grant. Landlock rules are built from these
//! descriptors, so what is granted is the file that was checked here, even
//! if a path is swapped afterwards.
//!
//! **Policy paths are walked by descriptor.** The policy's `read`, `write`
//! and `exec` paths are never opened by name. The walk starts from an
//! `O_PATH` descriptor of `/` and opens one component at a time relative to
//! the directory it holds, with `O_NOFOLLOW`, so a symlink is opened as
//! itself. A symlink is followed only if nobody but root or the invoking
//! user could have put it there (below); its target is then read from the
//! link's own descriptor and walked the same way. `..` returns to the
//! directory the walk came from, which is where the kernel's `..` goes.
//! The descriptor the walk ends on is the one the Landlock rule is built
//! from. Checking each link and then opening the path again by name would
//! leave a window in which a concurrent request could swap a checked
//! directory for a link; holding descriptors leaves no such window, and a
//! component that is missing is an error rather than a gap a link could
//! later fill.
//!
//! A symlink met in directory D is trusted only if:
//!
//! - D and every directory above it on the walk pass the policy file's own
//!   ownership check ([`untrusted_because`]);
//! - in a root-owned sticky directory such as `/tmp`, the link belongs to
//!   root or the invoking user;
//! - neither D nor any directory above it is a writable root: a path the
//!   plan grants ReadWrite or that any rule of the profile may write
//!   ([`Plan::profile_writable`]). The command could have planted the link
//!   there on an earlier run, under this rule or another.
//!
//! **Identity, not spelling.** Writable roots, and the directories the
//! checks compare with them, are identified by `(st_dev, st_ino)`, so an
//! alias (a symlink or a bind mount) of a writable directory is recognised
//! wherever it is mounted or however it is written.
//!
//! **Execute and write never overlap.** No Execute grant (the program, a
//! policy `exec` entry or an interpreter) may be at or beneath a writable
//! root: the command could replace it and then execute it. No writable root
//! may be at or beneath a policy `exec` directory: the command could upload
//! a file there and then execute it.
//!
//! The system base, the program and the interpreters are opened by name,
//! following symlinks: they are root-owned system paths named by the
//! administrator or by root-owned binaries, `execve(2)` follows the same
//! links anyway, and on a usr-merged system `/lib64` and `/bin/sh` are
//! symlinks by design.
//!
//! Interpreters are resolved for the program and for every policy `exec`
//! entry that is a file. An `exec` entry that is a directory is granted as
//! written (Landlock then allows executing anything beneath it) without
//! interpreter resolution: there is no single file whose interpreters could
//! be read, and the executables beneath it need their interpreters listed
//! in `exec` themselves.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, Metadata};
use std::io;
use std::iter;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{OFlag, open, openat, readlinkat};
use nix::sys::stat::Mode;
use nix::unistd::getuid;

use super::SandboxError;
use super::interpreter::interpreters;
use crate::decide::plan::{Access, GrantOrigin, PathGrant, Plan};
use crate::policy::untrusted_because;

/// The most symlinks followed while walking one path; the kernel's
/// `MAXSYMLINKS`, so the walk gives up exactly where `open(2)` would.
const MAX_SYMLINKS: usize = 40;

/// Mode bits that let users other than the owner add entries to a directory.
const WRITABLE_BY_OTHERS: u32 = 0o022;

/// The sticky bit: in such a directory only an entry's owner may remove or
/// rename it.
const STICKY: u32 = 0o1000;

/// The plan's grants after interpreter resolution, with a descriptor open
/// for every grant that exists.
#[derive(Debug, Default)]
pub struct Resolved {
    grants: Vec<PathGrant>,
    opened: Vec<OpenedGrant>,
    skipped: Vec<PathBuf>,
}

/// A grant whose path was opened: what Landlock needs to build one rule.
#[derive(Debug)]
pub(crate) struct OpenedGrant {
    /// The rights class the plan grants.
    pub(crate) access: Access,
    /// `O_PATH` descriptor of the granted file or directory: for a policy
    /// path, the one the walk ended on.
    pub(crate) fd: OwnedFd,
    /// Whether the descriptor is a directory; a rule on anything else may
    /// only carry rights that apply to files.
    pub(crate) is_dir: bool,
}

impl Resolved {
    /// Every grant of the plan followed by the interpreter grants added for
    /// its executables, including system-base grants that were skipped.
    /// This is what `sshgate explain` prints.
    pub fn grants(&self) -> &[PathGrant] {
        &self.grants
    }

    /// System-base paths that do not exist on this host and were left out
    /// of the ruleset.
    pub fn skipped(&self) -> &[PathBuf] {
        &self.skipped
    }

    /// The grants that were opened, for building the Landlock rules.
    pub(crate) fn opened(&self) -> &[OpenedGrant] {
        &self.opened
    }

    /// Records `grant` with what opening it found (`None`: a missing
    /// system-base path, skipped).
    fn add(&mut self, grant: PathGrant, located: Option<Located>) -> Found {
        let found = match located {
            Some(located) => {
                let found = located.kind();
                self.opened.push(OpenedGrant {
                    access: grant.access,
                    fd: located.fd,
                    is_dir: located.is_dir,
                });
                found
            }
            None => {
                self.skipped.push(grant.path.clone());
                Found::Skipped
            }
        };
        self.grants.push(grant);
        found
    }
}

/// What opening one grant's path found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// A directory: the rule covers everything beneath it.
    Directory,
    /// Anything else: a regular file, a device, a socket.
    File,
    /// A system-base path missing on this host, left out.
    Skipped,
}

/// Resolves `plan` for the invoking user (see the module documentation):
/// walks the policy's paths, refusing untrusted symlinks, opens the other
/// grants by name, refuses executables and writable paths that overlap,
/// then adds and opens an Execute grant (origin
/// [`GrantOrigin::Interpreter`]) for each interpreter of the program and of
/// the policy's `exec` files.
///
/// A missing path is skipped (and listed in [`Resolved::skipped`]) only when
/// the grant comes from the system base, whose directories such as `/lib64`
/// do not exist on every distribution. Any other missing path is an error:
/// silently dropping a grant the policy asked for would hide a policy mistake.
pub fn resolve(plan: &Plan) -> Result<Resolved, SandboxError> {
    resolve_for(plan, getuid().as_raw())
}

/// [`resolve`] on behalf of `invoking_uid`, whose symlinks and directories
/// are trusted like root's.
fn resolve_for(plan: &Plan, invoking_uid: u32) -> Result<Resolved, SandboxError> {
    // Relative paths first: any of them would be resolved against whatever
    // the working directory happens to be.
    for grant in &plan.filesystem {
        require_absolute(&grant.path)?;
    }
    let roots = WritableRoots::of(plan)?;
    let mut resolved = Resolved::default();
    let mut exec_dirs = ExecDirs::default();
    let mut executables = Vec::new();
    for grant in &plan.filesystem {
        let located = open_vetted(grant, &roots, invoking_uid)?;
        exec_dirs.note(grant, located.as_ref());
        let found = resolved.add(grant.clone(), located);
        if needs_interpreters(grant, found) {
            executables.push(grant.path.as_path());
        }
    }
    exec_dirs.refuse_writable_beneath(&roots)?;
    for grant in interpreter_grants(&plan.filesystem, &executables)? {
        let located = open_vetted(&grant, &roots, invoking_uid)?;
        resolved.add(grant, located);
    }
    Ok(resolved)
}

/// Refuses a relative grant path.
fn require_absolute(path: &Path) -> Result<(), SandboxError> {
    if path.is_absolute() {
        Ok(())
    } else {
        Err(SandboxError::RelativePath {
            path: path.to_path_buf(),
        })
    }
}

/// Opens `grant`'s path (walking it by descriptor when the policy wrote
/// it) and refuses it if it is an executable at or beneath a writable root.
/// `Ok(None)` means a missing system-base path that is to be skipped.
fn open_vetted(
    grant: &PathGrant,
    roots: &WritableRoots,
    invoking_uid: u32,
) -> Result<Option<Located>, SandboxError> {
    let located = match grant.origin {
        GrantOrigin::Policy => Some(walk_policy_path(&grant.path, roots, invoking_uid)?),
        GrantOrigin::SystemBase | GrantOrigin::Program | GrantOrigin::Interpreter => {
            open_by_name(grant)?
        }
    };
    if grant.access == Access::Execute {
        if let Some(located) = &located {
            refuse_exec_beneath_write(&grant.path, located, roots)?;
        }
    }
    Ok(located)
}

/// Whether the interpreters of `grant`'s file must be granted too, given
/// what opening it found.
///
/// The program is always looked at, so a program that is a directory fails
/// here as before rather than at `execve(2)`. A policy `exec` directory is
/// granted as written, without interpreters (see the module documentation).
fn needs_interpreters(grant: &PathGrant, found: Found) -> bool {
    grant.access == Access::Execute
        && match grant.origin {
            GrantOrigin::Program => true,
            GrantOrigin::Policy => found == Found::File,
            // Interpreters' own interpreters are already part of the chain
            // that `interpreters` returns; the system base grants no Execute.
            GrantOrigin::Interpreter | GrantOrigin::SystemBase => false,
        }
}

/// An Execute grant for every interpreter of `executables` that neither the
/// plan nor an earlier executable already makes executable, in the order
/// found. Interpreter paths are absolute: `interpreters` refuses others.
fn interpreter_grants(
    plan: &[PathGrant],
    executables: &[&Path],
) -> Result<Vec<PathGrant>, SandboxError> {
    let mut added: Vec<PathGrant> = Vec::new();
    for executable in executables {
        for interpreter in interpreters(executable)? {
            let already_granted = plan
                .iter()
                .chain(&added)
                .any(|g| g.path == interpreter && g.access == Access::Execute);
            if !already_granted {
                added.push(PathGrant {
                    path: interpreter,
                    access: Access::Execute,
                    origin: GrantOrigin::Interpreter,
                });
            }
        }
    }
    Ok(added)
}

/// A file's identity: the same for every name, alias and bind mount of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The identity `metadata` describes.
    fn of(metadata: &Metadata) -> Self {
        Self {
            dev: metadata.dev(),
            ino: metadata.ino(),
        }
    }
}

/// A file's identity and those of the directories above it: what "at or
/// beneath" is decided by.
struct Lineage {
    /// The file itself.
    id: FileId,
    /// The directories above it, nearest first.
    above: Vec<FileId>,
}

impl Lineage {
    /// Whether `id` is the file or one of the directories above it.
    fn contains(&self, id: FileId) -> bool {
        self.id == id || self.above.contains(&id)
    }
}

/// An opened grant path and where it sits.
struct Located {
    /// The `O_PATH` descriptor the Landlock rule is built from.
    fd: OwnedFd,
    /// Whether `fd` is a directory.
    is_dir: bool,
    /// Where the opened file sits. No directories above it for a
    /// non-executable grant opened by name: no check needs them.
    lineage: Lineage,
}

impl Located {
    /// Which kind of grant this is.
    fn kind(&self) -> Found {
        if self.is_dir {
            Found::Directory
        } else {
            Found::File
        }
    }
}

/// Opens a system-base, program or interpreter path by name, following
/// symlinks; these are not walked (see the module documentation). `Ok(None)`
/// means a missing system-base path that is to be skipped.
fn open_by_name(grant: &PathGrant) -> Result<Option<Located>, SandboxError> {
    let open_failed = |source| SandboxError::OpenPath {
        path: grant.path.clone(),
        source,
    };
    let fd = match open(&grant.path, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty()) {
        Ok(fd) => fd,
        Err(errno) if is_missing(errno) && grant.origin == GrantOrigin::SystemBase => {
            return Ok(None);
        }
        Err(errno) if is_missing(errno) => {
            return Err(SandboxError::MissingPath {
                path: grant.path.clone(),
            });
        }
        Err(errno) => return Err(open_failed(errno.into())),
    };
    let metadata = metadata_of(&fd).map_err(open_failed)?;
    let above = if grant.access == Access::Execute {
        directories_above(&grant.path).map_err(open_failed)?
    } else {
        Vec::new()
    };
    Ok(Some(Located {
        fd,
        is_dir: metadata.is_dir(),
        lineage: Lineage {
            id: FileId::of(&metadata),
            above,
        },
    }))
}

/// The identities of the directories above `path`'s canonical form,
/// nearest first.
fn directories_above(path: &Path) -> io::Result<Vec<FileId>> {
    let canonical = fs::canonicalize(path)?;
    canonical
        .ancestors()
        .skip(1)
        .map(|directory| fs::metadata(directory).map(|metadata| FileId::of(&metadata)))
        .collect()
}

/// `fstat(2)` of a descriptor, which works on `O_PATH` descriptors too, as
/// the [`Metadata`] that [`untrusted_because`] takes. The descriptor is
/// duplicated because [`File`] closes what it owns.
fn metadata_of(fd: &OwnedFd) -> io::Result<Metadata> {
    File::from(fd.try_clone()?).metadata()
}

/// Whether an `open(2)` error means the path does not exist: no entry at
/// the end (`ENOENT`) or a component on the way is not a directory
/// (`ENOTDIR`).
fn is_missing(errno: Errno) -> bool {
    matches!(errno, Errno::ENOENT | Errno::ENOTDIR)
}

/// Where the command can create, replace or remove files: the existing
/// paths the plan grants ReadWrite (except the system base's `/dev/null`)
/// and those any rule of the profile may write, each once by identity.
struct WritableRoots(Vec<WritableRoot>);

/// One writable path.
struct WritableRoot {
    /// The path as the policy wrote it, for messages.
    written: PathBuf,
    /// What it is (symlinks followed) and where it sits.
    lineage: Lineage,
}

impl WritableRoots {
    /// Collects the writable roots of `plan`. A path that does not exist is
    /// no root: there is nothing beneath it yet.
    fn of(plan: &Plan) -> Result<Self, SandboxError> {
        let granted = plan
            .filesystem
            .iter()
            .filter(|grant| grant.access == Access::ReadWrite)
            .filter(|grant| grant.origin != GrantOrigin::SystemBase)
            .map(|grant| &grant.path);
        let mut roots: Vec<WritableRoot> = Vec::new();
        for path in granted.chain(&plan.profile_writable) {
            if let Some(root) = WritableRoot::find(path)? {
                if roots.iter().all(|known| known.id() != root.id()) {
                    roots.push(root);
                }
            }
        }
        Ok(Self(roots))
    }

    /// The first root that is `lineage`'s file or one of the directories
    /// above it.
    fn first_in(&self, lineage: &Lineage) -> Option<&WritableRoot> {
        self.0.iter().find(|root| lineage.contains(root.id()))
    }
}

impl WritableRoot {
    /// The root at `path`, or `None` if nothing is there.
    fn find(path: &Path) -> Result<Option<Self>, SandboxError> {
        require_absolute(path)?;
        let stat_failed = |source| SandboxError::OpenPath {
            path: path.to_path_buf(),
            source,
        };
        let metadata = match fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) if error.raw_os_error() == Some(libc::ENOTDIR) => return Ok(None),
            Err(error) => return Err(stat_failed(error)),
        };
        Ok(Some(Self {
            written: path.to_path_buf(),
            lineage: Lineage {
                id: FileId::of(&metadata),
                above: directories_above(path).map_err(stat_failed)?,
            },
        }))
    }

    /// What the root is.
    fn id(&self) -> FileId {
        self.lineage.id
    }
}

/// Refuses an executable at or beneath a writable root: the command could
/// replace it and then execute what it wrote.
fn refuse_exec_beneath_write(
    exec: &Path,
    located: &Located,
    roots: &WritableRoots,
) -> Result<(), SandboxError> {
    match roots.first_in(&located.lineage) {
        Some(root) => Err(SandboxError::ExecBeneathWrite {
            exec: exec.to_path_buf(),
            write: root.written.clone(),
        }),
        None => Ok(()),
    }
}

/// The policy's `exec` entries that are directories: Landlock lets the
/// command execute anything beneath them.
#[derive(Default)]
struct ExecDirs(Vec<(PathBuf, FileId)>);

impl ExecDirs {
    /// Remembers `grant` if it is a policy `exec` entry that opened as a
    /// directory. An `exec` file has nothing beneath it.
    fn note(&mut self, grant: &PathGrant, located: Option<&Located>) {
        let Some(located) = located else { return };
        let is_policy_exec = grant.origin == GrantOrigin::Policy && grant.access == Access::Execute;
        if is_policy_exec && located.is_dir {
            self.0.push((grant.path.clone(), located.lineage.id));
        }
    }

    /// Refuses a writable root at or beneath one of these directories: the
    /// command could upload a file there and then execute it.
    fn refuse_writable_beneath(&self, roots: &WritableRoots) -> Result<(), SandboxError> {
        for root in &roots.0 {
            let exec = self.0.iter().find(|(_, id)| root.lineage.contains(*id));
            if let Some((exec, _)) = exec {
                return Err(SandboxError::WriteBeneathExec {
                    write: root.written.clone(),
                    exec: exec.clone(),
                });
            }
        }
        Ok(())
    }
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

/// A step still to take, with the grant path as written up to and
/// including it when the step comes from the grant path itself rather than
/// from a link's target.
struct Pending {
    step: Step,
    written: Option<PathBuf>,
}

/// The steps of a grant path, each with its written prefix.
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

/// A file, directory or symlink the walk holds open.
struct Node {
    /// Its `O_PATH` descriptor, opened without following it.
    fd: OwnedFd,
    /// Its `fstat(2)`.
    metadata: Metadata,
    /// Where it is, free of symlinks; for messages only.
    path: PathBuf,
}

impl Node {
    /// The process's root directory, where every walk starts.
    fn root() -> io::Result<Self> {
        let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let fd = open("/", flags, Mode::empty())?;
        Ok(Self {
            metadata: metadata_of(&fd)?,
            fd,
            path: PathBuf::from("/"),
        })
    }

    /// Its identity.
    fn id(&self) -> FileId {
        FileId::of(&self.metadata)
    }
}

/// Walks a policy grant path by descriptor and returns the descriptor it
/// ends on (see the module documentation). Refuses an untrusted symlink,
/// a missing component ([`SandboxError::MissingPath`]) and more than
/// [`MAX_SYMLINKS`] links (`ELOOP`).
fn walk_policy_path(
    path: &Path,
    roots: &WritableRoots,
    invoking_uid: u32,
) -> Result<Located, SandboxError> {
    let mut walk = PolicyWalk::start(path, roots, invoking_uid)?;
    while let Some(pending) = walk.pending.pop_front() {
        walk.take(pending)?;
    }
    Ok(walk.finish())
}

/// The state of one walk.
struct PolicyWalk<'a> {
    /// The grant path as the policy wrote it.
    grant: &'a Path,
    /// Where no link may be followed from.
    roots: &'a WritableRoots,
    /// Whose links and directories are trusted like root's.
    invoking_uid: u32,
    /// Where the walk is.
    here: Node,
    /// The directories above `here` on the way the walk came, `/` first:
    /// where `..` returns to, and what the trust checks look at.
    above: Vec<Node>,
    /// The steps still to take.
    pending: VecDeque<Pending>,
    /// Symlinks followed so far.
    followed: usize,
}

impl<'a> PolicyWalk<'a> {
    /// A walk of `grant` standing at `/`.
    fn start(
        grant: &'a Path,
        roots: &'a WritableRoots,
        invoking_uid: u32,
    ) -> Result<Self, SandboxError> {
        let root = Node::root().map_err(|source| SandboxError::OpenPath {
            path: grant.to_path_buf(),
            source,
        })?;
        Ok(Self {
            grant,
            roots,
            invoking_uid,
            here: root,
            above: Vec::new(),
            pending: written_steps(grant),
            followed: 0,
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
        if !self.here.metadata.is_dir() {
            return Err(self.missing());
        }
        if let Some(parent) = self.above.pop() {
            self.here = parent;
        }
        Ok(())
    }

    /// Opens `name` in the directory held, without following it; steps
    /// into it, or follows it if it is a symlink.
    fn enter(&mut self, name: &OsStr, written: Option<PathBuf>) -> Result<(), SandboxError> {
        let flags = OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = match openat(&self.here.fd, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(errno) if is_missing(errno) => return Err(self.missing()),
            Err(errno) => return Err(self.open_failed(errno.into())),
        };
        let metadata = metadata_of(&fd).map_err(|source| self.open_failed(source))?;
        let node = Node {
            fd,
            metadata,
            path: self.here.path.join(name),
        };
        if node.metadata.file_type().is_symlink() {
            self.follow(node, written)
        } else {
            self.above.push(std::mem::replace(&mut self.here, node));
            Ok(())
        }
    }

    /// Follows `link`, met in the directory held, if it is trusted: its
    /// target's steps come next.
    fn follow(&mut self, link: Node, written: Option<PathBuf>) -> Result<(), SandboxError> {
        self.followed += 1;
        if self.followed > MAX_SYMLINKS {
            return Err(self.open_failed(io::Error::from_raw_os_error(libc::ELOOP)));
        }
        if let Some(why) = self.distrust_reason(&link) {
            return Err(SandboxError::UntrustedSymlink {
                path: self.grant.to_path_buf(),
                link: written.unwrap_or(link.path),
                why,
            });
        }
        // The empty path reads the link the descriptor holds: the one just
        // checked, whatever its name points at by now.
        let target = readlinkat(&link.fd, "").map_err(|errno| self.open_failed(errno.into()))?;
        for step in target_steps(Path::new(&target)).into_iter().rev() {
            self.pending.push_front(step);
        }
        Ok(())
    }

    /// The walk's result: the descriptor held, with its lineage.
    fn finish(self) -> Located {
        let lineage = self.lineage();
        Located {
            is_dir: self.here.metadata.is_dir(),
            fd: self.here.fd,
            lineage,
        }
    }

    /// The node held and the directories above it.
    fn lineage(&self) -> Lineage {
        Lineage {
            id: self.here.id(),
            above: self.above.iter().rev().map(Node::id).collect(),
        }
    }

    /// The node held, then every directory above it, nearest first.
    fn directories(&self) -> impl Iterator<Item = &Node> {
        iter::once(&self.here).chain(self.above.iter().rev())
    }

    /// Why `link`, met in the directory held, may have been planted by
    /// someone other than root or the invoking user, worded to follow
    /// "symlink X, which"; `None` if it is trusted.
    fn distrust_reason(&self, link: &Node) -> Option<String> {
        self.writable_directory()
            .or_else(|| self.untrusted_directory())
            .or_else(|| self.stranger_in_sticky_directory(link))
    }

    /// Whether the link's directory or one above it is a writable root: the
    /// command could have created the link there on an earlier run. A link
    /// *at* a writable path is not refused, since replacing it needs write
    /// access to its parent.
    fn writable_directory(&self) -> Option<String> {
        self.roots
            .first_in(&self.lineage())
            .map(|root| format!("lies beneath the writable path {}", root.written.display()))
    }

    /// Why the link's directory or one above it could be changed by someone
    /// other than root or the invoking user; the same check as for the
    /// policy file's own directories.
    fn untrusted_directory(&self) -> Option<String> {
        self.directories()
            .enumerate()
            .find_map(|(height, directory)| {
                let why = untrusted_because(&directory.metadata, self.invoking_uid, true)?;
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

    /// Why the link is untrusted although its directory is: a root-owned
    /// sticky directory such as `/tmp` lets anyone add entries, so the link
    /// must belong to root or the invoking user.
    fn stranger_in_sticky_directory(&self, link: &Node) -> Option<String> {
        let mode = self.here.metadata.mode();
        let owner = link.metadata.uid();
        let shared = mode & STICKY != 0 && mode & WRITABLE_BY_OTHERS != 0;
        if !shared || owner == 0 || owner == self.invoking_uid {
            return None;
        }
        Some(format!(
            "is owned by uid {owner}, not by root or the invoking user (uid {}), \
             in the sticky directory {}",
            self.invoking_uid,
            self.here.path.display()
        ))
    }

    /// The grant path does not exist.
    fn missing(&self) -> SandboxError {
        SandboxError::MissingPath {
            path: self.grant.to_path_buf(),
        }
    }

    /// The grant path could not be walked for another reason.
    fn open_failed(&self, source: io::Error) -> SandboxError {
        SandboxError::OpenPath {
            path: self.grant.to_path_buf(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::testing::{grant, plan_for};
    use std::os::unix::fs::{PermissionsExt, symlink};

    #[test]
    fn missing_policy_path_is_an_error_naming_it() {
        let plan = plan_for(
            Path::new("/usr/sbin/ldconfig"),
            vec![grant(
                "/srv/does-not-exist/x",
                Access::Read,
                GrantOrigin::Policy,
            )],
        );
        if !plan.program.exists() {
            eprintln!("skipped: /usr/sbin/ldconfig missing");
            return;
        }
        let error = resolve(&plan).unwrap_err();
        assert!(matches!(error, SandboxError::MissingPath { .. }), "{error}");
        assert_eq!(
            error.to_string(),
            "grant path /srv/does-not-exist/x does not exist"
        );
    }

    #[test]
    fn missing_program_is_an_error() {
        let plan = plan_for(
            Path::new("/usr/bin/sshgate-no-such-program"),
            vec![grant(
                "/usr/bin/sshgate-no-such-program",
                Access::Execute,
                GrantOrigin::Program,
            )],
        );
        assert!(matches!(
            resolve(&plan),
            Err(SandboxError::MissingPath { .. })
        ));
    }

    #[test]
    fn missing_base_path_is_skipped_and_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("lib64");
        let missing = missing.to_str().unwrap();
        let through_file = "/etc/passwd/not-a-dir"; // ENOTDIR counts as missing
        let plan = plan_for(
            Path::new("/usr/bin/cat"),
            vec![
                grant("/usr", Access::Read, GrantOrigin::SystemBase),
                grant(missing, Access::Read, GrantOrigin::SystemBase),
                grant(through_file, Access::Read, GrantOrigin::SystemBase),
                grant("/usr/bin/cat", Access::Execute, GrantOrigin::Program),
            ],
        );
        let resolved = resolve(&plan).unwrap();
        assert_eq!(
            resolved.skipped(),
            [PathBuf::from(missing), PathBuf::from(through_file)]
        );
        // Skipped grants stay visible to `explain`; only opened ones become rules.
        assert!(
            resolved
                .grants()
                .iter()
                .any(|g| g.path == Path::new(missing))
        );
        assert_eq!(resolved.opened().len(), resolved.grants().len() - 2);
    }

    #[test]
    #[cfg(all(target_arch = "x86_64", target_env = "gnu"))]
    fn interpreter_grants_are_added_once() {
        let plan = plan_for(
            Path::new("/usr/bin/cat"),
            vec![grant("/usr/bin/cat", Access::Execute, GrantOrigin::Program)],
        );
        let resolved = resolve(&plan).unwrap();
        assert_eq!(
            resolved.grants().last(),
            Some(&grant(
                "/lib64/ld-linux-x86-64.so.2",
                Access::Execute,
                GrantOrigin::Interpreter
            ))
        );
        assert!(resolved.opened().iter().all(|g| !g.is_dir));

        // A plan that already makes the loader executable gets no duplicate.
        let mut plan = plan;
        plan.filesystem.push(grant(
            "/lib64/ld-linux-x86-64.so.2",
            Access::Execute,
            GrantOrigin::Policy,
        ));
        assert_eq!(resolve(&plan).unwrap().grants(), plan.filesystem.as_slice());
    }

    #[test]
    fn relative_grant_is_an_error() {
        let plan = plan_for(
            Path::new("/usr/bin/cat"),
            vec![grant("usr", Access::Read, GrantOrigin::SystemBase)],
        );
        assert!(matches!(
            resolve(&plan),
            Err(SandboxError::RelativePath { .. })
        ));
    }

    #[test]
    fn directories_are_told_apart_from_files() {
        let plan = plan_for(
            Path::new("/usr/bin/cat"),
            vec![
                grant("/usr", Access::Read, GrantOrigin::SystemBase),
                grant("/dev/null", Access::ReadWrite, GrantOrigin::SystemBase),
            ],
        );
        let resolved = resolve(&plan).unwrap();
        let kinds: Vec<bool> = resolved.opened().iter().map(|g| g.is_dir).collect();
        assert_eq!(&kinds[..2], [true, false]);
    }

    /// A grant of `path` from the policy.
    fn policy(path: &Path, access: Access) -> PathGrant {
        PathGrant {
            path: path.to_path_buf(),
            access,
            origin: GrantOrigin::Policy,
        }
    }

    /// A plan running `/usr/bin/cat` with `grants` after the program's own.
    fn cat_with(grants: Vec<PathGrant>) -> Plan {
        let mut all = vec![grant("/usr/bin/cat", Access::Execute, GrantOrigin::Program)];
        all.extend(grants);
        plan_for(Path::new("/usr/bin/cat"), all)
    }

    /// Creates the directory `name` in `parent` with exactly `mode`.
    fn make_dir(parent: &Path, name: &str, mode: u32) -> PathBuf {
        let path = parent.join(name);
        fs::create_dir(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    /// Writes an executable file `name` in `parent`.
    fn make_executable(parent: &Path, name: &str, contents: &str) -> PathBuf {
        let path = parent.join(name);
        fs::write(&path, contents).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// The `(link, why)` of an untrusted-symlink error for `path`.
    fn untrusted_link(result: Result<Resolved, SandboxError>, path: &Path) -> (PathBuf, String) {
        match result {
            Err(SandboxError::UntrustedSymlink {
                path: refused,
                link,
                why,
            }) if refused == path => (link, why),
            other => panic!(
                "expected an untrusted symlink in {}, got {other:?}",
                path.display()
            ),
        }
    }

    /// Whether the tests may change owners; otherwise they are skipped.
    fn running_as_root() -> bool {
        let root = getuid().is_root();
        if !root {
            eprintln!("skipped: needs root to change owners");
        }
        root
    }

    #[test]
    fn symlink_planted_beneath_a_write_grant_is_refused() {
        // The review's repro: the command may write w, so on an earlier run
        // it could have made w/pub -> /, widening a read grant of w/pub.
        let dir = tempfile::tempdir().unwrap();
        let w = make_dir(dir.path(), "w", 0o755);
        let public = w.join("pub");
        symlink("/", &public).unwrap();
        let plan = cat_with(vec![
            policy(&w, Access::ReadWrite),
            policy(&public, Access::Read),
        ]);
        let error = resolve(&plan).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "grant path {p} goes through symlink {p}, which lies beneath the \
                 writable path {w}; write the real path",
                p = public.display(),
                w = w.display()
            )
        );
    }

    #[test]
    fn planted_symlink_is_found_through_aliases_of_either_path() {
        let dir = tempfile::tempdir().unwrap();
        let w = make_dir(dir.path(), "w", 0o755);
        symlink("/", w.join("pub")).unwrap();
        symlink("w", dir.path().join("alias")).unwrap();

        // Read through a trusted alias of the writable directory.
        let through_alias = dir.path().join("alias/pub");
        let plan = cat_with(vec![
            policy(&w, Access::ReadWrite),
            policy(&through_alias, Access::Read),
        ]);
        let (link, why) = untrusted_link(resolve(&plan), &through_alias);
        assert_eq!(link, through_alias, "the link is named as written");
        assert_eq!(
            why,
            format!("lies beneath the writable path {}", w.display())
        );

        // Write granted through the alias, read written physically.
        let alias = dir.path().join("alias");
        let physical = w.join("pub");
        let plan = cat_with(vec![
            policy(&alias, Access::ReadWrite),
            policy(&physical, Access::Read),
        ]);
        let (_, why) = untrusted_link(resolve(&plan), &physical);
        assert_eq!(
            why,
            format!("lies beneath the writable path {}", alias.display())
        );
    }

    #[test]
    fn symlink_at_a_write_path_or_outside_it_is_followed() {
        // Replacing a link at the writable path itself needs write access to
        // its parent, which the grant does not give.
        let dir = tempfile::tempdir().unwrap();
        make_dir(dir.path(), "real", 0o755);
        let data = make_dir(dir.path(), "data", 0o755);
        fs::write(data.join("file"), "x").unwrap();
        let writable = dir.path().join("writable");
        symlink("real", &writable).unwrap();
        let readable = dir.path().join("readable");
        symlink(&data, &readable).unwrap();
        let plan = cat_with(vec![
            policy(&writable, Access::ReadWrite),
            policy(&readable.join("file"), Access::Read),
        ]);
        let resolved = resolve(&plan).unwrap();
        assert_eq!(resolved.opened().len(), plan.filesystem.len() + 1); // + loader
    }

    #[test]
    fn symlink_in_a_group_writable_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let shared = make_dir(dir.path(), "shared", 0o775);
        let link = shared.join("link");
        symlink("/etc", &link).unwrap();
        let plan = cat_with(vec![policy(&link, Access::Read)]);
        let error = resolve(&plan).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "grant path {l} goes through symlink {l}, which is in {s}, which is \
                 group-writable (mode 0775); write the real path",
                l = link.display(),
                s = shared.display()
            )
        );
    }

    #[test]
    fn symlink_beneath_a_world_writable_ancestor_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let open = make_dir(dir.path(), "open", 0o757);
        let inner = make_dir(&open, "inner", 0o755);
        let link = inner.join("link");
        symlink("/etc", &link).unwrap();
        let plan = cat_with(vec![policy(&link, Access::Read)]);
        let (_, why) = untrusted_link(resolve(&plan), &link);
        assert_eq!(
            why,
            format!(
                "is in {}, beneath {}, which is world-writable (mode 0757)",
                inner.display(),
                open.display()
            )
        );
    }

    #[test]
    fn symlink_in_another_users_directory_is_refused_unless_invoked_by_them() {
        if !running_as_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let theirs = make_dir(dir.path(), "theirs", 0o755);
        std::os::unix::fs::chown(&theirs, Some(12345), None).unwrap();
        let link = theirs.join("link");
        symlink("/etc", &link).unwrap();
        let plan = cat_with(vec![policy(&link, Access::Read)]);
        let (_, why) = untrusted_link(resolve_for(&plan, 0), &link);
        assert_eq!(
            why,
            format!(
                "is in {}, which is owned by uid 12345, not by root or the invoking user (uid 0)",
                theirs.display()
            )
        );
        assert!(resolve_for(&plan, 12345).is_ok());
    }

    #[test]
    fn symlink_in_a_sticky_directory_must_belong_to_root_or_the_invoker() {
        if !running_as_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let sticky = make_dir(dir.path(), "sticky", 0o1777);
        let link = sticky.join("link");
        symlink("/etc", &link).unwrap();
        let plan = cat_with(vec![policy(&link, Access::Read)]);
        assert!(resolve_for(&plan, 0).is_ok(), "root's own link is trusted");

        std::os::unix::fs::lchown(&link, Some(12345), None).unwrap();
        let (_, why) = untrusted_link(resolve_for(&plan, 0), &link);
        assert_eq!(
            why,
            format!(
                "is owned by uid 12345, not by root or the invoking user (uid 0), \
                 in the sticky directory {}",
                sticky.display()
            )
        );
        assert!(resolve_for(&plan, 12345).is_ok(), "the invoker's link");
    }

    #[test]
    fn links_inside_a_links_target_are_checked_too() {
        let dir = tempfile::tempdir().unwrap();
        let shared = make_dir(dir.path(), "shared", 0o775);
        let inner = shared.join("inner");
        symlink("/etc", &inner).unwrap();
        let outer = dir.path().join("outer");
        symlink(&inner, &outer).unwrap();
        let plan = cat_with(vec![policy(&outer, Access::Read)]);
        let (link, _) = untrusted_link(resolve(&plan), &outer);
        assert_eq!(
            link, inner,
            "a link the policy did not write is named physically"
        );
    }

    #[test]
    fn dot_dot_in_a_target_is_resolved_physically() {
        // alias -> real/a; real/a/up -> ../g. The kernel reaches real/g (group-
        // writable), not the trusted dir/g a textual `..` would suggest.
        let dir = tempfile::tempdir().unwrap();
        let real = make_dir(dir.path(), "real", 0o755);
        make_dir(&real, "a", 0o755);
        let untrusted = make_dir(&real, "g", 0o775);
        let trusted = make_dir(dir.path(), "g", 0o755);
        symlink("/", untrusted.join("x")).unwrap();
        symlink("/", trusted.join("x")).unwrap();
        symlink("real/a", dir.path().join("alias")).unwrap();
        symlink("../g", real.join("a/up")).unwrap();

        let path = dir.path().join("alias/up/x");
        let plan = cat_with(vec![policy(&path, Access::Read)]);
        let (link, why) = untrusted_link(resolve(&plan), &path);
        assert_eq!(link, path, "named as written");
        assert!(
            why.starts_with(&format!("is in {},", untrusted.display())),
            "{why}"
        );
    }

    #[test]
    fn symlink_loop_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let one = dir.path().join("one");
        symlink("two", &one).unwrap();
        symlink("one", dir.path().join("two")).unwrap();
        let plan = cat_with(vec![policy(&one, Access::Read)]);
        match resolve(&plan) {
            Err(SandboxError::OpenPath { path, source }) => {
                assert_eq!(path, one);
                assert_eq!(source.raw_os_error(), Some(libc::ELOOP));
            }
            other => panic!("expected ELOOP, got {other:?}"),
        }
    }

    #[test]
    fn proc_self_in_root_owned_proc_is_followed() {
        let plan = cat_with(vec![grant(
            "/proc/self/mountinfo",
            Access::Read,
            GrantOrigin::Policy,
        )]);
        assert!(resolve(&plan).is_ok());
    }

    #[test]
    fn system_base_and_program_paths_are_not_walked() {
        // /lib64 and /bin are symlinks on usr-merged systems; only policy
        // paths get the trust walk.
        let dir = tempfile::tempdir().unwrap();
        let shared = make_dir(dir.path(), "shared", 0o775);
        let bin = shared.join("bin");
        symlink("/usr/bin", &bin).unwrap();
        let program = bin.join("cat");
        let plan = plan_for(
            &program,
            vec![
                PathGrant {
                    path: shared.join("bin"),
                    access: Access::Read,
                    origin: GrantOrigin::SystemBase,
                },
                PathGrant {
                    path: program.clone(),
                    access: Access::Execute,
                    origin: GrantOrigin::Program,
                },
            ],
        );
        assert!(resolve(&plan).is_ok());
    }

    #[test]
    fn exec_at_or_beneath_a_write_grant_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let w = make_dir(dir.path(), "w", 0o755);
        let tool = make_executable(&w, "tool", "#!/bin/sh\n");
        let alias = dir.path().join("alias");
        symlink("w", &alias).unwrap();
        let cases = [
            (&tool, &w, "beneath, as written"),
            (&w, &w, "at"),
            (&tool, &alias, "beneath the canonical write path"),
            (&alias.join("tool"), &w, "canonically beneath"),
        ];
        for (exec, write, case) in cases {
            let plan = cat_with(vec![
                policy(write, Access::ReadWrite),
                policy(exec, Access::Execute),
            ]);
            let error = resolve(&plan).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "executable {} is beneath writable {}: the command could replace \
                     what it may execute",
                    exec.display(),
                    write.display()
                ),
                "{case}"
            );
        }
    }

    #[test]
    fn program_beneath_a_write_grant_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let w = make_dir(dir.path(), "w", 0o755);
        let tool = make_executable(&w, "tool", "#!/bin/sh\n");
        let plan = plan_for(
            &tool,
            vec![
                PathGrant {
                    path: tool.clone(),
                    access: Access::Execute,
                    origin: GrantOrigin::Program,
                },
                policy(&w, Access::ReadWrite),
            ],
        );
        assert!(matches!(
            resolve(&plan),
            Err(SandboxError::ExecBeneathWrite { exec, write }) if exec == tool && write == w
        ));
    }

    #[test]
    fn interpreter_beneath_a_write_grant_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let w = make_dir(dir.path(), "w", 0o755);
        let bin = make_dir(dir.path(), "bin", 0o755);
        let interpreter = make_executable(&w, "interp", "#!/bin/sh\n");
        let script = make_executable(&bin, "script", &format!("#!{}\n", interpreter.display()));
        let plan = cat_with(vec![
            policy(&w, Access::ReadWrite),
            policy(&script, Access::Execute),
        ]);
        assert!(matches!(
            resolve(&plan),
            Err(SandboxError::ExecBeneathWrite { exec, write })
                if exec == interpreter && write == w
        ));
    }

    #[test]
    #[cfg(all(target_arch = "x86_64", target_env = "gnu"))]
    fn exec_script_gets_its_interpreters_once() {
        let dir = tempfile::tempdir().unwrap();
        let bin = make_dir(dir.path(), "bin", 0o755);
        let script = make_executable(&bin, "script", "#!/bin/sh\necho hi\n");
        let plan = cat_with(vec![policy(&script, Access::Execute)]);
        let resolved = resolve(&plan).unwrap();
        // cat's loader, then the script's shell; the shell's loader is the same.
        assert_eq!(
            &resolved.grants()[plan.filesystem.len()..],
            [
                grant(
                    "/lib64/ld-linux-x86-64.so.2",
                    Access::Execute,
                    GrantOrigin::Interpreter
                ),
                grant("/bin/sh", Access::Execute, GrantOrigin::Interpreter),
            ]
        );
        assert_eq!(resolved.opened().len(), resolved.grants().len());
    }

    #[test]
    fn exec_directory_is_granted_without_interpreters() {
        let dir = tempfile::tempdir().unwrap();
        let bin = make_dir(dir.path(), "bin", 0o755);
        make_executable(&bin, "script", "#!/bin/sh\necho hi\n");
        let plan = cat_with(vec![policy(&bin, Access::Execute)]);
        let resolved = resolve(&plan).unwrap();
        let added = &resolved.grants()[plan.filesystem.len()..];
        assert!(
            added.iter().all(|g| g.path != Path::new("/bin/sh")),
            "{added:?}"
        );
        assert!(resolved.opened()[1].is_dir);
    }

    #[test]
    fn exec_entry_that_cannot_be_executed_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let bin = make_dir(dir.path(), "bin", 0o755);
        let text = make_executable(&bin, "notes", "not a program\n");
        let plan = cat_with(vec![policy(&text, Access::Execute)]);
        assert!(matches!(
            resolve(&plan),
            Err(SandboxError::Interpreter(
                crate::sandbox::InterpreterError::UnknownFormat { .. }
            ))
        ));
    }

    #[test]
    fn missing_exec_entry_is_a_missing_path() {
        let plan = cat_with(vec![grant(
            "/usr/bin/sshgate-no-such-tool",
            Access::Execute,
            GrantOrigin::Policy,
        )]);
        assert!(matches!(
            resolve(&plan),
            Err(SandboxError::MissingPath { path }) if path == Path::new("/usr/bin/sshgate-no-such-tool")
        ));
    }

    /// The identity of what `path` names, symlinks followed, as `stat(2)`
    /// sees it.
    fn stat_id(path: &Path) -> FileId {
        FileId::of(&fs::metadata(path).unwrap())
    }

    /// The identity of the descriptor the walk of `path` ends on, with no
    /// writable roots and the test's own uid.
    fn walked_id(path: &Path) -> Result<FileId, SandboxError> {
        let roots = WritableRoots(Vec::new());
        let located = walk_policy_path(path, &roots, getuid().as_raw())?;
        Ok(FileId::of(&metadata_of(&located.fd).unwrap()))
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
    fn dot_dot_in_the_written_path_leaves_a_link_physically() {
        // alias -> real/a, so alias/.. is real, not dir: the kernel reaches
        // real/g (group-writable), not the trusted dir/g.
        let dir = tempfile::tempdir().unwrap();
        let real = make_dir(dir.path(), "real", 0o755);
        make_dir(&real, "a", 0o755);
        let untrusted = make_dir(&real, "g", 0o775);
        let trusted = make_dir(dir.path(), "g", 0o755);
        symlink("/", untrusted.join("x")).unwrap();
        symlink("/", trusted.join("x")).unwrap();
        symlink("real/a", dir.path().join("alias")).unwrap();

        let path = dir.path().join("alias/../g/x");
        let plan = cat_with(vec![policy(&path, Access::Read)]);
        let (link, why) = untrusted_link(resolve(&plan), &path);
        assert_eq!(link, path);
        assert!(
            why.starts_with(&format!("is in {},", untrusted.display())),
            "{why}"
        );
        let through = dir.path().join("alias/../g");
        assert_eq!(walked_id(&through).unwrap(), stat_id(&untrusted));
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
    fn a_missing_component_is_a_missing_path_wherever_it_is() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("file"), "x").unwrap();
        symlink("nothing-here", dir.path().join("dangling")).unwrap();
        symlink("file/below", dir.path().join("through-file")).unwrap();
        let cases = [
            dir.path().join("nothing-here/x"),
            dir.path().join("nothing-here"),
            dir.path().join("dangling"),
            dir.path().join("dangling/x"),
            dir.path().join("file/x"),
            dir.path().join("through-file"),
        ];
        for path in cases {
            let plan = cat_with(vec![policy(&path, Access::Read)]);
            match resolve(&plan) {
                Err(SandboxError::MissingPath { path: missing }) => assert_eq!(missing, path),
                other => panic!("{}: expected a missing path, got {other:?}", path.display()),
            }
        }
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

    #[test]
    fn the_descriptor_is_what_was_walked_even_if_the_path_changes() {
        // The Landlock rule is built from the walked descriptor: swapping
        // the path for a link afterwards changes nothing.
        let dir = tempfile::tempdir().unwrap();
        let data = make_dir(dir.path(), "data", 0o755);
        let plan = cat_with(vec![policy(&data, Access::Read)]);
        let resolved = resolve(&plan).unwrap();
        let walked = data.clone();
        let moved = dir.path().join("moved");
        fs::rename(&data, &moved).unwrap();
        symlink("/", &walked).unwrap();
        let opened = &resolved.opened()[1];
        assert!(opened.is_dir);
        assert_eq!(
            FileId::of(&metadata_of(&opened.fd).unwrap()),
            stat_id(&moved)
        );
    }

    #[test]
    fn a_missing_writable_path_is_no_root() {
        let dir = tempfile::tempdir().unwrap();
        let data = make_dir(dir.path(), "data", 0o755);
        symlink("/etc", data.join("link")).unwrap();
        let mut plan = cat_with(vec![policy(&data.join("link"), Access::Read)]);
        plan.profile_writable = vec![dir.path().join("not-yet"), data.join("link/not-yet")];
        assert!(resolve(&plan).is_ok());
    }

    #[test]
    fn write_beneath_an_exec_directory_is_refused() {
        // The review's repro: exec = [t1], write = [t1/up] let the command
        // upload t1/up/evil and run it.
        let dir = tempfile::tempdir().unwrap();
        let t1 = make_dir(dir.path(), "t1", 0o755);
        let up = make_dir(&t1, "up", 0o755);
        let deeper = make_dir(&up, "deeper", 0o755);
        let alias = dir.path().join("alias");
        symlink("t1/up", &alias).unwrap();
        let expected = |write: &Path| {
            format!(
                "writable {} is beneath executable {}: the command could execute what \
                 it uploads",
                write.display(),
                t1.display()
            )
        };
        for write in [&up, &deeper, &alias] {
            let plan = cat_with(vec![
                policy(&t1, Access::Execute),
                policy(write, Access::ReadWrite),
            ]);
            let error = resolve(&plan).unwrap_err();
            assert!(
                matches!(error, SandboxError::WriteBeneathExec { .. }),
                "{error}"
            );
            assert_eq!(error.to_string(), expected(write));
        }

        // Another rule's write path counts too.
        let mut plan = cat_with(vec![policy(&t1, Access::Execute)]);
        plan.profile_writable = vec![up.clone()];
        assert_eq!(resolve(&plan).unwrap_err().to_string(), expected(&up));
    }

    #[test]
    fn an_exec_directory_at_or_beneath_a_write_path_is_exec_beneath_write() {
        let dir = tempfile::tempdir().unwrap();
        let w = make_dir(dir.path(), "w", 0o755);
        let bin = make_dir(&w, "bin", 0o755);
        for exec in [&w, &bin] {
            let mut plan = cat_with(vec![policy(exec, Access::Execute)]);
            plan.profile_writable = vec![w.clone()];
            assert!(matches!(
                resolve(&plan),
                Err(SandboxError::ExecBeneathWrite { exec: e, write }) if e == *exec && write == w
            ));
        }
    }

    #[test]
    fn exec_file_beside_a_write_path_is_allowed() {
        // Only a directory has anything beneath it; a write path next to an
        // exec file, or above nothing executable, is fine.
        let dir = tempfile::tempdir().unwrap();
        let bin = make_dir(dir.path(), "bin", 0o755);
        let out = make_dir(dir.path(), "out", 0o755);
        let cat = bin.join("cat");
        fs::copy("/usr/bin/cat", &cat).unwrap();
        let plan = cat_with(vec![
            policy(&cat, Access::Execute),
            policy(&out, Access::ReadWrite),
        ]);
        assert!(resolve(&plan).is_ok());
    }
}
