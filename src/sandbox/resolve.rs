//! Step 1 of confinement: vet the plan's grants and its working directory
//! and turn them into open file descriptors before anything is restricted.
//!
//! Everything that needs the filesystem happens here, while the gate can
//! still see it: checking that no grant can be widened by a symlink someone
//! else planted, reading the executables' interpreters, reading the mount
//! table, and opening an `O_PATH` descriptor for every grant and for the
//! working directory. Landlock rules are built from these descriptors and
//! the gate changes into the directory's descriptor, so what is granted is
//! what was checked here, even if a path is swapped afterwards.
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
//! - the system base, the program and the interpreters follow every link:
//!   they are root-owned system paths named by the administrator or by
//!   root-owned binaries, `execve(2)` follows the same links anyway, and on
//!   a usr-merged system `/lib64` and `/bin/sh` are symlinks by design.
//!
//! A symlink met in directory D is trusted only if:
//!
//! - D and every directory above it on the walk pass the policy file's own
//!   ownership check ([`untrusted_because`]);
//! - in a root-owned sticky directory such as `/tmp`, the link belongs to
//!   root or the invoking user;
//! - D is not at or beneath a writable root (below): the command could
//!   have planted the link there on an earlier run, under this rule or
//!   another.
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
//!
//! **Writable roots.** The command can create, replace or remove files at
//! or beneath the paths this plan grants ReadWrite and those any rule of
//! the profile may write ([`Plan::profile_writable`]). Those paths are
//! themselves walked by descriptor, and since one rule's command could
//! have replaced another rule's write path with a link (to `/`, or a
//! loop), a root is never trusted merely because a path names it:
//!
//! 1. A write path written as another write path followed by more names
//!    (no `..`) is no root of its own: every walk of it passes through the
//!    other one and then either stays inside it or meets a link beneath
//!    it, which its own grant walk then refuses.
//! 2. Each other write path is walked, checking links for ownership only.
//!    A missing path is no root: there is nothing beneath it yet.
//! 3. Of the paths found, a root is kept if none of the links its walk
//!    followed lies at or beneath another path still in the running, and
//!    dropped if one of them lies at or beneath a kept root: the link is
//!    then the command's to change, and the rule that writes that path is
//!    refused by its own walk, so nothing is writable there that a kept
//!    root does not already cover. This repeats until every path is
//!    decided; if the remaining paths each follow a link beneath another,
//!    the one whose walk ends deepest is kept first, so a link planted to
//!    point at a shallow directory such as `/` loses to the root it was
//!    planted in.
//! 4. A write path whose walk failed for any other reason (a link that
//!    fails the ownership checks, a loop, no permission) is dropped if,
//!    before it failed, the walk followed a link at or beneath a kept root
//!    (the path is then the command's to point anywhere, and its own grant
//!    walk refuses it, as in 3), or if it failed at or beneath a kept root
//!    with only names left to walk (wherever it would have led is beneath
//!    that root). The command may have caused such a failure, and a kept
//!    root covers the place. Any other failure is the administrator's to
//!    fix, and resolution fails.
//!
//! So a path the command controls can cost at most the rules whose own
//! paths go through it; it can never make every request of the profile
//! fail.
//!
//! **Execute and write never overlap.** No Execute grant (the program, a
//! policy `exec` entry or an interpreter) may be at or beneath a writable
//! root: the command could replace it and then execute it. No writable root
//! may be at or beneath a policy `exec` directory: the command could upload
//! a file there and then execute it. And the program or a policy `exec`
//! file with more than one hard link may not be on a filesystem a writable
//! root reaches: another of its links could lie inside the root, where the
//! command could rewrite the file in place (package binaries under the
//! system trees are exempt when root owns them and `fs.protected_hardlinks`
//! is on, so only root could have made another link).
//!
//! Interpreters are resolved for the program and for every policy `exec`
//! entry that is a file. An `exec` entry that is a directory is granted as
//! written (Landlock then allows executing anything beneath it) without
//! interpreter resolution: there is no single file whose interpreters could
//! be read, and the executables beneath it need their interpreters listed
//! in `exec` themselves.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata};
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
use super::mounts::{MountTable, Place, Region};
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
/// for every grant that exists and for the working directory.
#[derive(Debug)]
pub struct Resolved {
    grants: Vec<PathGrant>,
    opened: Vec<OpenedGrant>,
    skipped: Vec<PathBuf>,
    working_directory: OwnedFd,
}

/// A grant whose path was opened: what Landlock needs to build one rule.
#[derive(Debug)]
pub(crate) struct OpenedGrant {
    /// The rights class the plan grants.
    pub(crate) access: Access,
    /// `O_PATH` descriptor of the granted file or directory: the one the
    /// walk of its path ended on.
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

    /// The `O_PATH` descriptor of the plan's working directory, as its
    /// walk ended on it; `confine` changes into it with `fchdir(2)`.
    pub(crate) fn working_directory(&self) -> &OwnedFd {
        &self.working_directory
    }
}

/// The grants resolved so far.
#[derive(Default)]
struct Collected {
    grants: Vec<PathGrant>,
    opened: Vec<OpenedGrant>,
    skipped: Vec<PathBuf>,
}

impl Collected {
    /// Records `grant` with what opening it found (`None`: a missing
    /// system-base path, skipped).
    fn add(&mut self, grant: PathGrant, located: Option<Located>) -> Found {
        let found = match located {
            Some(located) => {
                let found = located.kind();
                self.opened.push(OpenedGrant {
                    access: grant.access,
                    is_dir: located.is_dir(),
                    fd: located.fd,
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

    /// The resolution, with the working directory's descriptor.
    fn finish(self, working_directory: OwnedFd) -> Resolved {
        Resolved {
            grants: self.grants,
            opened: self.opened,
            skipped: self.skipped,
            working_directory,
        }
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
/// reads the mount table, settles the writable roots, walks every grant
/// path, refusing untrusted symlinks and executables and writable paths
/// that overlap, adds and opens an Execute grant (origin
/// [`GrantOrigin::Interpreter`]) for each interpreter of the program and of
/// the policy's `exec` files, and last opens the working directory.
///
/// A missing path is skipped (and listed in [`Resolved::skipped`]) only when
/// the grant comes from the system base, whose directories such as `/lib64`
/// do not exist on every distribution. Any other missing path is an error:
/// silently dropping a grant the policy asked for would hide a policy mistake.
/// So is a missing working directory.
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
    let mounts = MountTable::read().map_err(|source| SandboxError::MountTable { source })?;
    let context = Context {
        mounts: &mounts,
        invoking_uid,
    };
    let roots = WritableRoots::of(plan, &context)?;
    let mut collected = Collected::default();
    let mut exec_dirs = ExecDirs::default();
    let mut executables = Vec::new();
    for grant in &plan.filesystem {
        let located = open_vetted(grant, &roots, &context)?;
        exec_dirs.note(grant, located.as_ref(), &mounts);
        let found = collected.add(grant.clone(), located);
        if needs_interpreters(grant, found) {
            executables.push(grant.path.as_path());
        }
    }
    exec_dirs.refuse_writable_beneath(&roots)?;
    for grant in interpreter_grants(&plan.filesystem, &executables)? {
        let located = open_vetted(&grant, &roots, &context)?;
        collected.add(grant, located);
    }
    let working_directory = open_working_directory(&plan.chdir, &roots, &context)?;
    Ok(collected.finish(working_directory))
}

/// What every walk of one resolution shares.
struct Context<'a> {
    /// The mount table, read once at the start.
    mounts: &'a MountTable,
    /// Whose links and directories are trusted like root's.
    invoking_uid: u32,
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

/// Walks `grant`'s path, following only trusted links if the policy wrote
/// it, and refuses it if it is an executable at or beneath a writable root
/// or a hard-linked executable file on a filesystem a writable root reaches.
/// `Ok(None)` means a missing system-base path that is to be skipped.
fn open_vetted(
    grant: &PathGrant,
    roots: &WritableRoots,
    context: &Context<'_>,
) -> Result<Option<Located>, SandboxError> {
    let links = match grant.origin {
        GrantOrigin::Policy => Links::Vetted(roots),
        GrantOrigin::SystemBase | GrantOrigin::Program | GrantOrigin::Interpreter => {
            Links::FollowAll
        }
    };
    let located = match walk(&grant.path, links, context) {
        Ok(walked) => walked.located,
        Err(stranded) => {
            let missing = matches!(stranded.error, SandboxError::MissingPath { .. });
            if missing && grant.origin == GrantOrigin::SystemBase {
                return Ok(None);
            }
            return Err(stranded.error);
        }
    };
    if grant.access == Access::Execute {
        refuse_exec_beneath_write(&grant.path, &located, roots)?;
        let checked_file = matches!(grant.origin, GrantOrigin::Program | GrantOrigin::Policy);
        if checked_file && !located.is_dir() {
            refuse_hard_linked(&grant.path, &located, roots)?;
        }
    }
    Ok(Some(located))
}

/// Whether the interpreters of `grant`'s file must be granted too, given
/// what opening it found.
///
/// The program is always looked at, so a program that is a directory fails
/// here as before rather than at `execve(2)`. A policy `exec` directory is
/// granted as written (see the module documentation).
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

/// Walks the plan's working directory like a policy path and returns the
/// directory's descriptor, for `fchdir(2)` in `confine`.
fn open_working_directory(
    path: &Path,
    roots: &WritableRoots,
    context: &Context<'_>,
) -> Result<OwnedFd, SandboxError> {
    let open_failed = |source| SandboxError::OpenChdir {
        path: path.to_path_buf(),
        source,
    };
    if !path.is_absolute() {
        return Err(open_failed(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not an absolute path",
        )));
    }
    let walked = walk(path, Links::Vetted(roots), context)
        .map_err(|stranded| as_chdir_error(stranded.error))?;
    if !walked.located.is_dir() {
        return Err(open_failed(io::Error::from_raw_os_error(libc::ENOTDIR)));
    }
    Ok(walked.located.fd)
}

/// A walk error, worded for the working directory rather than a grant.
fn as_chdir_error(error: SandboxError) -> SandboxError {
    match error {
        SandboxError::MissingPath { path } => SandboxError::MissingChdir { path },
        SandboxError::UntrustedSymlink { path, link, why } => {
            SandboxError::UntrustedChdir { path, link, why }
        }
        SandboxError::OpenPath { path, source } => SandboxError::OpenChdir { path, source },
        other => other,
    }
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

/// Where one walked file or directory is: its identity and its place in
/// its filesystem.
#[derive(Debug, Clone)]
struct Position {
    id: FileId,
    place: Place,
}

/// A walked file's position and those of the directories above it on the
/// way the walk came.
#[derive(Debug, Clone)]
struct Lineage {
    /// The file itself.
    node: Position,
    /// The directories above it, nearest first.
    above: Vec<Position>,
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
struct Subtree {
    /// The directory's identity.
    id: FileId,
    /// Its place and the filesystems mounted beneath it.
    region: Region,
}

impl Subtree {
    /// What a grant on the directory at `position` reaches.
    fn of(position: &Position, mounts: &MountTable) -> Self {
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
    fn holds(&self, lineage: &Lineage) -> bool {
        lineage
            .positions()
            .any(|position| position.id == self.id || self.region.contains(&position.place))
    }

    /// Whether the file at `position` is on a filesystem this subtree
    /// reaches, by its mount's device or its own.
    fn reaches_filesystem_of(&self, position: &Position) -> bool {
        position.id.dev == self.id.dev || self.region.reaches(position.place.filesystem)
    }
}

/// An opened path and where it sits.
struct Located {
    /// The `O_PATH` descriptor the rule is built from.
    fd: OwnedFd,
    /// Its `fstat(2)`.
    metadata: Metadata,
    /// Where it is.
    lineage: Lineage,
}

impl Located {
    /// Whether the descriptor is a directory.
    fn is_dir(&self) -> bool {
        self.metadata.is_dir()
    }

    /// Which kind of grant this is.
    fn kind(&self) -> Found {
        if self.is_dir() {
            Found::Directory
        } else {
            Found::File
        }
    }
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

/// Where the command can create, replace or remove files (see "Writable
/// roots" in the module documentation), each once by identity.
#[derive(Default)]
struct WritableRoots(Vec<WritableRoot>);

/// One writable path.
struct WritableRoot {
    /// The path as the policy wrote it, for messages.
    written: PathBuf,
    /// Where its walk ended.
    lineage: Lineage,
    /// What writing it reaches.
    subtree: Subtree,
}

impl WritableRoots {
    /// Settles the writable roots of `plan`.
    fn of(plan: &Plan, context: &Context<'_>) -> Result<Self, SandboxError> {
        let written = writable_paths(plan);
        for path in &written {
            require_absolute(path)?;
        }
        let mut candidates = Vec::new();
        let mut failures = Vec::new();
        for path in own_roots(&written) {
            match walk(path, Links::Owned, context) {
                Ok(walked) => candidates.push(Candidate::new(path, walked, context.mounts)),
                Err(stranded) if matches!(stranded.error, SandboxError::MissingPath { .. }) => {}
                Err(stranded) => failures.push(stranded),
            }
        }
        let roots = Self(keep_grounded(candidates));
        if let Some(failure) = failures.into_iter().find(|f| !f.covered_by(&roots)) {
            return Err(failure.error);
        }
        Ok(roots.without_aliases())
    }

    /// The first root that holds the file `lineage` describes.
    fn first_holding(&self, lineage: &Lineage) -> Option<&WritableRoot> {
        self.0.iter().find(|root| root.subtree.holds(lineage))
    }

    /// The roots with a later alias of an earlier one left out, so messages
    /// name the path written first.
    fn without_aliases(self) -> Self {
        let mut kept: Vec<WritableRoot> = Vec::new();
        for root in self.0 {
            if kept
                .iter()
                .all(|known| known.lineage.node.id != root.lineage.node.id)
            {
                kept.push(root);
            }
        }
        Self(kept)
    }
}

/// The paths this plan grants ReadWrite (except the system base's
/// `/dev/null`), then those any rule of the profile may write, each once.
fn writable_paths(plan: &Plan) -> Vec<&Path> {
    let granted = plan
        .filesystem
        .iter()
        .filter(|grant| grant.access == Access::ReadWrite)
        .filter(|grant| grant.origin != GrantOrigin::SystemBase)
        .map(|grant| grant.path.as_path());
    let mut paths: Vec<&Path> = Vec::new();
    for path in granted.chain(plan.profile_writable.iter().map(PathBuf::as_path)) {
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

/// The paths of `written` that are not written beneath another of them
/// (step 1 of "Writable roots" in the module documentation).
fn own_roots<'a>(written: &[&'a Path]) -> Vec<&'a Path> {
    written
        .iter()
        .filter(|path| !written.iter().any(|other| written_beneath(path, other)))
        .copied()
        .collect()
}

/// Whether `path` is written as `other` followed by more names and no
/// `..`: every walk of `path` walks `other` first, then steps down.
fn written_beneath(path: &Path, other: &Path) -> bool {
    let Ok(rest) = path.strip_prefix(other) else {
        return false;
    };
    let mut names = rest.components().filter(|c| *c != Component::CurDir);
    let first = names.next();
    matches!(first, Some(Component::Normal(_))) && names.all(|c| matches!(c, Component::Normal(_)))
}

/// A write path whose walk found something: a root unless the links it
/// followed make it the command's to point elsewhere.
struct Candidate {
    /// The root it would be.
    root: WritableRoot,
    /// Where the links its walk followed lie.
    link_dirs: Vec<Lineage>,
    /// How many components its walk's end is below `/`: the tie-break.
    depth: usize,
}

impl Candidate {
    /// The candidate `path`'s walk found.
    fn new(path: &Path, walked: Walked, mounts: &MountTable) -> Self {
        let lineage = walked.located.lineage;
        Self {
            root: WritableRoot {
                written: path.to_path_buf(),
                subtree: Subtree::of(&lineage.node, mounts),
                lineage,
            },
            link_dirs: walked.link_dirs,
            depth: walked.depth,
        }
    }

    /// Whether one of the links this candidate's walk followed lies at or
    /// beneath `other`.
    fn follows_a_link_in(&self, other: &Candidate) -> bool {
        self.link_dirs
            .iter()
            .any(|dir| other.root.subtree.holds(dir))
    }
}

/// Where a candidate stands in [`keep_grounded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    /// Not decided yet.
    Open,
    /// A root.
    Kept,
    /// Not a root: it follows a link beneath a kept root.
    Dropped,
}

/// Step 3 of "Writable roots" in the module documentation: the candidates
/// kept as roots, in the order given.
fn keep_grounded(candidates: Vec<Candidate>) -> Vec<WritableRoot> {
    let mut selection = Selection {
        choices: vec![Choice::Open; candidates.len()],
        candidates,
    };
    loop {
        selection.drop_dominated();
        if selection.keep_clean() {
            continue;
        }
        // Every open candidate follows a link beneath another.
        if !selection.keep_deepest() {
            return selection.kept();
        }
    }
}

/// The candidates and what has been decided about each.
struct Selection {
    candidates: Vec<Candidate>,
    choices: Vec<Choice>,
}

impl Selection {
    /// The indexes of the candidates not decided yet.
    fn open(&self) -> Vec<usize> {
        (0..self.choices.len())
            .filter(|&i| self.choices[i] == Choice::Open)
            .collect()
    }

    /// Whether candidate `i` follows a link at or beneath a candidate
    /// (other than itself) whose choice `counts`.
    fn follows_a_link_in_any(&self, i: usize, counts: impl Fn(Choice) -> bool) -> bool {
        (0..self.candidates.len()).any(|j| {
            j != i
                && counts(self.choices[j])
                && self.candidates[i].follows_a_link_in(&self.candidates[j])
        })
    }

    /// Drops every open candidate that follows a link beneath a kept root.
    fn drop_dominated(&mut self) {
        for i in self.open() {
            if self.follows_a_link_in_any(i, |choice| choice == Choice::Kept) {
                self.choices[i] = Choice::Dropped;
            }
        }
    }

    /// Keeps every open candidate that follows no link beneath another
    /// candidate still in the running; whether there was one.
    fn keep_clean(&mut self) -> bool {
        let clean: Vec<usize> = self
            .open()
            .into_iter()
            .filter(|&i| !self.follows_a_link_in_any(i, |choice| choice != Choice::Dropped))
            .collect();
        for &i in &clean {
            self.choices[i] = Choice::Kept;
        }
        !clean.is_empty()
    }

    /// Keeps the open candidate whose walk ends deepest (the first of
    /// equals); whether there was one.
    fn keep_deepest(&mut self) -> bool {
        let deepest = self
            .open()
            .into_iter()
            .rev()
            .max_by_key(|&i| self.candidates[i].depth);
        if let Some(i) = deepest {
            self.choices[i] = Choice::Kept;
        }
        deepest.is_some()
    }

    /// The kept candidates' roots, in the order given.
    fn kept(self) -> Vec<WritableRoot> {
        self.candidates
            .into_iter()
            .zip(self.choices)
            .filter(|(_, choice)| *choice == Choice::Kept)
            .map(|(candidate, _)| candidate.root)
            .collect()
    }
}

/// Refuses an executable at or beneath a writable root: the command could
/// replace it and then execute what it wrote.
fn refuse_exec_beneath_write(
    exec: &Path,
    located: &Located,
    roots: &WritableRoots,
) -> Result<(), SandboxError> {
    match roots.first_holding(&located.lineage) {
        Some(root) => Err(SandboxError::ExecBeneathWrite {
            exec: exec.to_path_buf(),
            write: root.written.clone(),
        }),
        None => Ok(()),
    }
}

/// Refuses an executable file with more than one hard link on a filesystem
/// a writable root reaches: finding its other names would mean searching
/// the filesystem, and one of them could be inside the root, where the
/// command could rewrite the file in place and then execute it.
fn refuse_hard_linked(
    exec: &Path,
    located: &Located,
    roots: &WritableRoots,
) -> Result<(), SandboxError> {
    let links = located.metadata.nlink();
    if links <= 1 || is_package_binary_with_protected_links(exec, &located.metadata) {
        return Ok(());
    }
    let node = &located.lineage.node;
    match roots
        .0
        .iter()
        .find(|root| root.subtree.reaches_filesystem_of(node))
    {
        Some(root) => Err(SandboxError::ExecHardLinked {
            exec: exec.to_path_buf(),
            links,
            write: root.written.clone(),
        }),
        None => Ok(()),
    }
}

/// Whether `exec` is a package binary whose other names can only have been
/// made by root outside any sandbox: root's file, under the system trees,
/// with `fs.protected_hardlinks = 1` (nobody may link a file they do not
/// own), and a confined command cannot link a file from outside its grants
/// into a writable tree (Landlock refuses it). This keeps binaries shipped
/// under several names (perl, gunzip) usable; a multi-linked file anywhere
/// else is still refused. Unreadable settings count as unprotected.
fn is_package_binary_with_protected_links(exec: &Path, metadata: &Metadata) -> bool {
    const SYSTEM_TREES: [&str; 5] = ["/usr", "/bin", "/sbin", "/lib", "/lib64"];
    metadata.uid() == 0
        && SYSTEM_TREES.iter().any(|tree| exec.starts_with(tree))
        && std::fs::read_to_string("/proc/sys/fs/protected_hardlinks")
            .is_ok_and(|value| value.trim() == "1")
}

/// The policy's `exec` entries that are directories: Landlock lets the
/// command execute anything beneath them.
#[derive(Default)]
struct ExecDirs(Vec<(PathBuf, Subtree)>);

impl ExecDirs {
    /// Remembers `grant` if it is a policy `exec` entry that opened as a
    /// directory. An `exec` file has nothing beneath it.
    fn note(&mut self, grant: &PathGrant, located: Option<&Located>, mounts: &MountTable) {
        let Some(located) = located else { return };
        let is_policy_exec = grant.origin == GrantOrigin::Policy && grant.access == Access::Execute;
        if is_policy_exec && located.is_dir() {
            let subtree = Subtree::of(&located.lineage.node, mounts);
            self.0.push((grant.path.clone(), subtree));
        }
    }

    /// Refuses a writable root at or beneath one of these directories: the
    /// command could upload a file there and then execute it.
    fn refuse_writable_beneath(&self, roots: &WritableRoots) -> Result<(), SandboxError> {
        for root in &roots.0 {
            let exec = self.0.iter().find(|(_, dir)| dir.holds(&root.lineage));
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
    /// Its `fstat(2)`.
    metadata: Metadata,
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
        metadata: Metadata,
        path: PathBuf,
        mounts: &MountTable,
    ) -> Result<Self, SandboxError> {
        let place = mounts
            .place_of(&fd, &path)
            .map_err(|reason| SandboxError::UnknownMount {
                path: path.clone(),
                reason,
            })?;
        Ok(Self {
            position: Position {
                id: FileId::of(&metadata),
                place,
            },
            fd,
            metadata,
            path,
        })
    }
}

/// A symlink the walk met.
struct Link {
    /// Its `O_PATH | O_NOFOLLOW` descriptor: the link itself.
    fd: OwnedFd,
    /// Its `lstat(2)`.
    metadata: Metadata,
    /// Where the walk met it, free of symlinks.
    path: PathBuf,
}

/// Which symlinks a walk follows (see the module documentation).
#[derive(Clone, Copy)]
enum Links<'a> {
    /// Every one: the system base, the program and its interpreters.
    FollowAll,
    /// Those that pass the ownership checks: writable roots, whose links
    /// are then weighed against each other.
    Owned,
    /// Those that pass the ownership checks and lie beneath none of these
    /// roots: policy paths and the working directory.
    Vetted(&'a WritableRoots),
}

/// What a finished walk found.
struct Walked {
    /// The file or directory it ended on.
    located: Located,
    /// Where the links it followed lie, in the order followed.
    link_dirs: Vec<Lineage>,
    /// How many components its end is below `/`.
    depth: usize,
}

/// Why a walk stopped, and where it stood then.
struct Stranded {
    /// The error.
    error: SandboxError,
    /// Where the walk was; `None` if it never started. Boxed: a walk that
    /// fails is the rare case.
    trace: Option<Box<Trace>>,
}

/// Where a failed walk stood.
struct Trace {
    /// The directory (or file) the walk held.
    here: Lineage,
    /// Where the links it had followed lie.
    link_dirs: Vec<Lineage>,
    /// Whether every step left was a name: from where it stood, the walk
    /// could only have gone deeper.
    descends_only: bool,
}

impl Stranded {
    /// Step 4 of "Writable roots" in the module documentation: whether a
    /// write path whose walk failed like this is no root of its own,
    /// given the roots kept.
    fn covered_by(&self, roots: &WritableRoots) -> bool {
        let Some(trace) = &self.trace else {
            return false;
        };
        let followed_the_commands_link = trace
            .link_dirs
            .iter()
            .any(|dir| roots.first_holding(dir).is_some());
        let stuck_inside = trace.descends_only && roots.first_holding(&trace.here).is_some();
        followed_the_commands_link || stuck_inside
    }
}

/// Walks `path` by descriptor, following the links `links` allows (see the
/// module documentation). Refuses an untrusted symlink, a missing component
/// ([`SandboxError::MissingPath`]) and more than [`MAX_SYMLINKS`] links
/// (`ELOOP`).
fn walk(path: &Path, links: Links<'_>, context: &Context<'_>) -> Result<Walked, Stranded> {
    let mut walk =
        Walk::start(path, links, context).map_err(|error| Stranded { error, trace: None })?;
    while let Some(pending) = walk.pending.pop_front() {
        if let Err(error) = walk.take(pending) {
            return Err(Stranded {
                error,
                trace: Some(Box::new(walk.trace())),
            });
        }
    }
    Ok(walk.finish())
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
    here: Node,
    /// The directories above `here` on the way the walk came, `/` first:
    /// where `..` returns to, and what the trust checks look at.
    above: Vec<Node>,
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
        let open_failed = |source| SandboxError::OpenPath {
            path: written.to_path_buf(),
            source,
        };
        let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let fd = open("/", flags, Mode::empty()).map_err(|errno| open_failed(errno.into()))?;
        let metadata = metadata_of(&fd).map_err(open_failed)?;
        Ok(Self {
            written,
            links,
            context,
            here: Node::placed(fd, metadata, PathBuf::from("/"), context.mounts)?,
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
        let path = self.here.path.join(name);
        if metadata.file_type().is_symlink() {
            return self.follow(Link { fd, metadata, path }, written);
        }
        let node = Node::placed(fd, metadata, path, self.context.mounts)?;
        self.above.push(std::mem::replace(&mut self.here, node));
        Ok(())
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

    /// The walk's result: the descriptor held, with its lineage.
    fn finish(self) -> Walked {
        let lineage = self.lineage();
        Walked {
            depth: self.here.path.components().count(),
            located: Located {
                fd: self.here.fd,
                metadata: self.here.metadata,
                lineage,
            },
            link_dirs: self.link_dirs,
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
        iter::once(&self.here).chain(self.above.iter().rev())
    }

    /// Why `link`, met in the directory held, may not be followed, worded
    /// to follow "symlink X, which"; `None` if it may.
    fn distrust_reason(&self, link: &Link) -> Option<String> {
        let roots = match self.links {
            Links::FollowAll => return None,
            Links::Owned => None,
            Links::Vetted(roots) => Some(roots),
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
                let why = untrusted_because(&directory.metadata, self.context.invoking_uid, true)?;
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
    fn stranger_in_sticky_directory(&self, link: &Link) -> Option<String> {
        let mode = self.here.metadata.mode();
        let owner = link.metadata.uid();
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
mod tests {
    use super::*;
    use crate::sandbox::testing::{grant, plan_for};
    use std::fs;
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
    fn system_base_and_program_paths_follow_every_link() {
        // /lib64 and /bin are symlinks on usr-merged systems; only policy
        // paths get the trust checks.
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
        let roots = WritableRoots::default();
        let mounts = MountTable::read().unwrap();
        let context = Context {
            mounts: &mounts,
            invoking_uid: getuid().as_raw(),
        };
        let walked = walk(path, Links::Vetted(&roots), &context).map_err(|s| s.error)?;
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

    #[test]
    fn a_nested_write_path_pointed_at_root_is_no_root() {
        // The review's repro: the command that may write w makes w/x -> /,
        // and w/x is another rule's write path. Before, every plan of the
        // profile then had "/" as a writable root.
        let dir = tempfile::tempdir().unwrap();
        let w = make_dir(dir.path(), "w", 0o755);
        symlink("/", w.join("x")).unwrap();
        let mut plan = cat_with(Vec::new());
        plan.profile_writable = vec![w.clone(), w.join("x")];
        assert!(resolve(&plan).is_ok());

        // The rule that writes w/x is refused by its own walk.
        let mut own = cat_with(vec![policy(&w.join("x"), Access::ReadWrite)]);
        own.profile_writable = plan.profile_writable.clone();
        let (link, why) = untrusted_link(resolve(&own), &w.join("x"));
        assert_eq!(link, w.join("x"));
        assert_eq!(
            why,
            format!("lies beneath the writable path {}", w.display())
        );
    }

    #[test]
    fn a_write_path_through_a_link_planted_in_another_is_no_root() {
        // Not written beneath w, so step 1 does not drop it: b -> w/x is a
        // trusted link, but w/x -> / lies in w.
        let dir = tempfile::tempdir().unwrap();
        let w = make_dir(dir.path(), "w", 0o755);
        symlink("/", w.join("x")).unwrap();
        symlink("w/x", dir.path().join("b")).unwrap();
        let mut plan = cat_with(Vec::new());
        plan.profile_writable = vec![dir.path().join("b"), w.clone()];
        assert!(resolve(&plan).is_ok());
    }

    #[test]
    fn a_write_path_that_loops_inside_another_is_no_root() {
        let dir = tempfile::tempdir().unwrap();
        let w = make_dir(dir.path(), "w", 0o755);
        symlink("../w/x", w.join("x")).unwrap();
        symlink("w/x", dir.path().join("b")).unwrap();
        let mut plan = cat_with(Vec::new());
        plan.profile_writable = vec![w.clone(), w.join("x"), dir.path().join("b")];
        assert!(resolve(&plan).is_ok());
    }

    #[test]
    fn a_link_to_an_ancestor_loses_to_the_root_it_was_planted_in() {
        // alias -> data (a trusted link in dir); A = alias/w ends in data/w.
        // C = data/w/x -> dir. A's link lies in dir, which C would make
        // writable; C's link lies in data/w, which is A: each follows a link
        // beneath the other. The deeper end, A, is kept, so dir is not
        // writable and reading through alias still works.
        let dir = tempfile::tempdir().unwrap();
        let data = make_dir(dir.path(), "data", 0o755);
        let w = make_dir(&data, "w", 0o755);
        symlink(dir.path(), w.join("x")).unwrap();
        let alias = dir.path().join("alias");
        symlink("data", &alias).unwrap();
        let mut plan = cat_with(vec![policy(&alias.join("w"), Access::Read)]);
        plan.profile_writable = vec![w.join("x"), alias.join("w")];
        assert!(resolve(&plan).is_ok(), "{:?}", resolve(&plan).err());
    }

    #[test]
    fn a_write_path_failing_outside_every_root_is_an_error() {
        // Nobody's command controls shared/link; the administrator must fix it.
        let dir = tempfile::tempdir().unwrap();
        let shared = make_dir(dir.path(), "shared", 0o775);
        let link = shared.join("link");
        symlink("/srv", &link).unwrap();
        let mut plan = cat_with(Vec::new());
        plan.profile_writable = vec![link.clone()];
        let (refused, why) = untrusted_link(resolve(&plan), &link);
        assert_eq!(refused, link);
        assert_eq!(
            why,
            format!(
                "is in {}, which is group-writable (mode 0775)",
                shared.display()
            )
        );
    }

    #[test]
    fn written_beneath_needs_more_names_and_no_dot_dot() {
        let cases = [
            ("/w/x", "/w", true),
            ("/w/x/y", "/w", true),
            ("/w/./x", "/w", true),
            ("/w", "/w", false),
            ("/w/", "/w", false),
            ("/wx", "/w", false),
            ("/w/..", "/w", false),
            ("/w/x/../..", "/w", false),
            ("/v/x", "/w", false),
        ];
        for (path, other, expected) in cases {
            assert_eq!(
                written_beneath(Path::new(path), Path::new(other)),
                expected,
                "{path} beneath {other}"
            );
        }
    }

    #[test]
    fn a_hard_linked_exec_file_on_a_writable_filesystem_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bin = make_dir(dir.path(), "bin", 0o755);
        let w = make_dir(dir.path(), "w", 0o755);
        let tool = bin.join("cat");
        fs::copy("/usr/bin/cat", &tool).unwrap();
        fs::hard_link(&tool, w.join("cat")).unwrap();
        let plan = cat_with(vec![
            policy(&tool, Access::Execute),
            policy(&w, Access::ReadWrite),
        ]);
        let error = resolve(&plan).unwrap_err();
        assert!(
            matches!(error, SandboxError::ExecHardLinked { links: 2, .. }),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "executable {} has 2 hard links and is on the same filesystem as writable {}: \
                 the command could rewrite it through another link",
                tool.display(),
                w.display()
            )
        );

        // The program too.
        let plan = plan_for(
            &tool,
            vec![
                grant(
                    tool.to_str().unwrap(),
                    Access::Execute,
                    GrantOrigin::Program,
                ),
                policy(&w, Access::ReadWrite),
            ],
        );
        assert!(matches!(
            resolve(&plan),
            Err(SandboxError::ExecHardLinked { exec, .. }) if exec == tool
        ));

        // Without a writable path, a hard link is nobody's to rewrite.
        let plan = cat_with(vec![policy(&tool, Access::Execute)]);
        assert!(resolve(&plan).is_ok());
    }

    /// A plan running cat from `chdir`.
    fn cat_in(chdir: &Path) -> Plan {
        let mut plan = cat_with(Vec::new());
        plan.chdir = chdir.to_path_buf();
        plan
    }

    #[test]
    fn the_working_directory_is_walked_and_opened() {
        let dir = tempfile::tempdir().unwrap();
        let data = make_dir(dir.path(), "data", 0o755);
        let alias = dir.path().join("alias");
        symlink("data", &alias).unwrap();
        let resolved = resolve(&cat_in(&alias)).unwrap();
        assert_eq!(
            FileId::of(&metadata_of(resolved.working_directory()).unwrap()),
            stat_id(&data)
        );
    }

    #[test]
    fn a_missing_working_directory_says_to_set_chdir() {
        let dir = tempfile::tempdir().unwrap();
        let nowhere = dir.path().join("nowhere");
        let error = resolve(&cat_in(&nowhere)).unwrap_err();
        assert!(
            matches!(error, SandboxError::MissingChdir { .. }),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "chdir {} does not exist; set `chdir` in the policy",
                nowhere.display()
            )
        );
    }

    #[test]
    fn a_working_directory_through_a_planted_link_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let w = make_dir(dir.path(), "w", 0o755);
        let start = w.join("start");
        symlink("/etc", &start).unwrap();
        let mut plan = cat_in(&start);
        plan.profile_writable = vec![w.clone()];
        let error = resolve(&plan).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "chdir {s} goes through symlink {s}, which lies beneath the writable path {w}; \
                 write the real path",
                s = start.display(),
                w = w.display()
            )
        );
    }

    #[test]
    fn a_working_directory_that_is_no_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs::write(&file, "x").unwrap();
        for (chdir, why) in [
            (file.clone(), "Not a directory (os error 20)"),
            (PathBuf::from("relative"), "not an absolute path"),
        ] {
            let error = resolve(&cat_in(&chdir)).unwrap_err();
            assert!(matches!(error, SandboxError::OpenChdir { .. }), "{error}");
            assert_eq!(
                error.to_string(),
                format!("cannot open chdir {}: {why}", chdir.display())
            );
        }
    }

    #[test]
    fn the_command_starts_where_the_walk_ended_even_if_the_path_changes() {
        let dir = tempfile::tempdir().unwrap();
        let data = make_dir(dir.path(), "data", 0o755);
        let resolved = resolve(&cat_in(&data)).unwrap();
        let moved = dir.path().join("moved");
        fs::rename(&data, &moved).unwrap();
        symlink("/etc", &data).unwrap();
        let moved_id = stat_id(&moved);
        // The working directory is per process: change it in a child.
        let code = crate::sandbox::testing::run_in_child(|| {
            if crate::sandbox::change_directory(resolved.working_directory(), &data).is_err() {
                return 1;
            }
            match fs::metadata(".") {
                Ok(metadata) if FileId::of(&metadata) == moved_id => 0,
                _ => 2,
            }
        });
        assert_eq!(code, 0);
    }
}
