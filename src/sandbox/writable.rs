//! Writable roots, and the checks that keep execute and write apart and
//! keep the command away from its own policy and audit log.
//!
//! **Writable roots.** The command can create, replace or remove files at
//! or beneath the paths this plan grants ReadWrite, and the commands of
//! other rules at or beneath the paths they may write
//! ([`Plan::profile_writable`]), on earlier requests or at the same time.
//! Those paths are themselves walked by descriptor, and since one rule's
//! command could have replaced another rule's write path with a link (to
//! `/`, or a loop), and a local user could have done the same in a
//! directory they own, a root is never trusted merely because a path names
//! it:
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
//!    that root). Otherwise:
//!    - if this plan grants it, resolution fails: a path must be walkable
//!      to be granted;
//!    - if only another rule writes it, the directory its walk had reached
//!      (see `walk`'s `Reached`: where it stood, raised by any `..` left)
//!      becomes a root in its place, and this request goes on. Whoever
//!      made the walk fail there (another rule's command, or a local user
//!      who owns that directory) controls that directory, and whatever the
//!      other rule could write lies beneath it.
//!
//! So neither the command nor another local user can make every request
//! of the profile fail through a write path: a path the command controls
//! costs at most the rules whose own paths go through it, and a directory
//! a local user controls on the way to another rule's write path costs
//! only that rule, and the rules whose own paths lie beneath that
//! directory, which is then writable for them. A write path that cannot
//! be walked denies only the requests whose plans grant it.
//!
//! The roots settled here are what the checks of "Execute and write never
//! overlap" (in `resolve`'s module documentation) compare against:
//! [`refuse_exec_beneath_write`], [`refuse_hard_linked`] and
//! [`ExecDirs::refuse_writable_beneath`]; and so does
//! [`refuse_writable_protected`], which keeps the policy file and the audit
//! log ([`Plan::protected`]) out of every writable root.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use super::SandboxError;
use super::mounts::MountTable;
use super::placement::{Lineage, Located, Subtree};
use super::resolve::require_absolute;
use super::walk::{Context, Links, Reached, Stranded, Walked, walk};
use crate::decide::plan::{Access, GrantOrigin, PathGrant, Plan};

/// Where the command can create, replace or remove files (see "Writable
/// roots" in the module documentation), each once by identity.
#[derive(Default)]
pub(super) struct WritableRoots(Vec<WritableRoot>);

/// One writable path.
pub(super) struct WritableRoot {
    /// The path as the policy wrote it, for messages; for a root standing
    /// in for a write path whose walk failed, the directory it had reached.
    pub(super) written: PathBuf,
    /// Whether this plan grants it ReadWrite; otherwise only another rule
    /// of the profile may write it.
    granted: bool,
    /// Whether it is a directory: a file has nothing beneath it.
    is_dir: bool,
    /// Where its walk ended.
    lineage: Lineage,
    /// What writing it reaches.
    subtree: Subtree,
}

impl WritableRoot {
    /// The root standing in for another rule's write path whose walk
    /// failed, having reached `reached` (step 4 of "Writable roots").
    fn stand_in(reached: Reached, mounts: &MountTable) -> Self {
        Self {
            written: reached.path,
            granted: false,
            is_dir: reached.is_dir,
            subtree: Subtree::of(&reached.lineage.node, mounts),
            lineage: reached.lineage,
        }
    }
}

impl WritableRoots {
    /// Settles the writable roots of `plan`.
    pub(super) fn of(plan: &Plan, context: &Context<'_>) -> Result<Self, SandboxError> {
        let written = writable_paths(plan);
        for path in &written {
            require_absolute(path.path)?;
        }
        let mut candidates = Vec::new();
        let mut failures = Vec::new();
        for path in own_roots(&written) {
            match walk(path.path, Links::OwnershipOnly, context) {
                Ok(walked) => candidates.push(Candidate::new(path, walked, context.mounts)),
                Err(stranded) if matches!(stranded.error, SandboxError::MissingPath { .. }) => {}
                Err(stranded) => failures.push((path, stranded)),
            }
        }
        let mut roots = Self(keep_grounded(candidates));
        let mut stand_ins = Vec::new();
        for (path, failure) in failures {
            if failure.covered_by(&roots) {
                continue;
            }
            match failure.trace {
                Some(trace) if !path.granted => {
                    stand_ins.push(WritableRoot::stand_in(trace.reached, context.mounts));
                }
                // This plan's own grant, or a walk that could not even
                // start at `/` (which every other walk would fail too).
                _ => return Err(failure.error),
            }
        }
        roots.0.extend(stand_ins);
        Ok(roots.without_aliases())
    }

    /// The first root that holds the file `lineage` describes.
    pub(super) fn first_holding(&self, lineage: &Lineage) -> Option<&WritableRoot> {
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

/// A path some rule of the profile may write.
#[derive(Clone, Copy)]
struct WritablePath<'a> {
    /// The path as written.
    path: &'a Path,
    /// Whether this plan grants it ReadWrite.
    granted: bool,
}

/// The paths this plan grants ReadWrite (except the system base's
/// `/dev/null`), then those any rule of the profile may write, each once.
fn writable_paths(plan: &Plan) -> Vec<WritablePath<'_>> {
    let granted = plan
        .filesystem
        .iter()
        .filter(|grant| grant.access == Access::ReadWrite)
        .filter(|grant| grant.origin != GrantOrigin::SystemBase)
        .map(|grant| WritablePath {
            path: grant.path.as_path(),
            granted: true,
        });
    let others = plan.profile_writable.iter().map(|path| WritablePath {
        path: path.as_path(),
        granted: false,
    });
    let mut paths: Vec<WritablePath<'_>> = Vec::new();
    for path in granted.chain(others) {
        if !paths.iter().any(|known| known.path == path.path) {
            paths.push(path);
        }
    }
    paths
}

/// The paths of `written` that are not written beneath another of them
/// (step 1 of "Writable roots" in the module documentation).
fn own_roots<'a>(written: &[WritablePath<'a>]) -> Vec<WritablePath<'a>> {
    written
        .iter()
        .filter(|path| {
            !written
                .iter()
                .any(|other| written_beneath(path.path, other.path))
        })
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
    fn new(path: WritablePath<'_>, walked: Walked, mounts: &MountTable) -> Self {
        let is_dir = walked.located.is_dir();
        let lineage = walked.located.lineage;
        Self {
            root: WritableRoot {
                written: path.path.to_path_buf(),
                granted: path.granted,
                is_dir,
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

/// Refuses an executable at or beneath a writable root: the command could
/// replace it and then execute what it wrote.
pub(super) fn refuse_exec_beneath_write(
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
/// a writable directory reaches: finding its other names would mean
/// searching the filesystem, and one of them could be inside the
/// directory, where a command could rewrite the file in place and then
/// execute it. A writable root that is a file reaches only its own inode,
/// which [`refuse_exec_beneath_write`] already compares by identity.
pub(super) fn refuse_hard_linked(
    exec: &Path,
    located: &Located,
    roots: &WritableRoots,
) -> Result<(), SandboxError> {
    let links = located.stat.nlink();
    if links <= 1 || is_package_binary_with_protected_links(located) {
        return Ok(());
    }
    let node = &located.lineage.node;
    match roots
        .0
        .iter()
        .filter(|root| root.is_dir)
        .find(|root| root.subtree.reaches_filesystem_of(node))
    {
        Some(root) => Err(SandboxError::ExecHardLinked {
            exec: exec.to_path_buf(),
            links,
            write: root.written.clone(),
            by_another_rule: !root.granted,
        }),
        None => Ok(()),
    }
}

/// Whether the walked file is a package binary whose other names can only
/// have been made by root outside any sandbox: root's file, really under
/// the system trees (where its walk ended, free of symlinks, not where the
/// plan names it: `/usr/local/bin/tool -> /srv/tool` is a file in `/srv`),
/// with `fs.protected_hardlinks = 1` (nobody may link a file they do not
/// own), and a confined command cannot link a file from outside its grants
/// into a writable tree (Landlock refuses it). This keeps binaries shipped
/// under several names (perl, gunzip) usable; a multi-linked file anywhere
/// else is still refused. Unreadable settings count as unprotected. (Only
/// root can bind-mount another tree into a system tree.)
fn is_package_binary_with_protected_links(located: &Located) -> bool {
    const SYSTEM_TREES: [&str; 5] = ["/usr", "/bin", "/sbin", "/lib", "/lib64"];
    located.stat.uid() == 0
        && SYSTEM_TREES
            .iter()
            .any(|tree| located.path.starts_with(tree))
        && hard_links_are_protected()
}

/// Whether `fs.protected_hardlinks` is 1; unreadable counts as no.
fn hard_links_are_protected() -> bool {
    // `take` hides the `File`, whose own `read_to_string` would `fstat(2)`
    // it for a size hint, which a `/proc` file reports as 0 anyway.
    let mut value = String::new();
    std::fs::File::open("/proc/sys/fs/protected_hardlinks")
        .and_then(|file| file.take(u64::MAX).read_to_string(&mut value))
        .is_ok_and(|_| value.trim() == "1")
}

/// Refuses a plan whose writable roots reach one of the `protected` files
/// (the policy file and the audit log): the command could rewrite the
/// policy that decides its next request, or erase the record of this one.
///
/// Each file is walked following every link, since what matters is where
/// it really is, and refused if it, a directory above it on its walk, or a
/// link the walk followed lies at or beneath a writable root (the command
/// could then point the name elsewhere). A file whose walk fails (a log
/// that does not exist yet) is judged by the directory its walk had
/// reached, which for a missing log is its parent directory: the log
/// would be created there. A file whose walk cannot even start is
/// skipped: the policy was just read, and a log that cannot be opened
/// denies the request by itself.
pub(super) fn refuse_writable_protected(
    protected: &[PathBuf],
    roots: &WritableRoots,
    context: &Context<'_>,
) -> Result<(), SandboxError> {
    for file in protected {
        require_absolute(file)?;
        let (lineage, link_dirs) = match walk(file, Links::FollowAll, context) {
            Ok(walked) => {
                refuse_hard_linked_protected(file, &walked.located, roots)?;
                (walked.located.lineage, walked.link_dirs)
            }
            Err(Stranded {
                trace: Some(trace), ..
            }) => (trace.reached.lineage, trace.link_dirs),
            Err(Stranded { trace: None, .. }) => continue,
        };
        let root = roots
            .first_holding(&lineage)
            .or_else(|| link_dirs.iter().find_map(|dir| roots.first_holding(dir)));
        if let Some(root) = root {
            return Err(SandboxError::ProtectedBeneathWrite {
                file: file.clone(),
                write: root.written.clone(),
            });
        }
    }
    Ok(())
}

/// Refuses a protected file with another name on a filesystem a writable
/// directory reaches: that name could be inside the writable tree (an admin
/// or a backup tool made it; the command cannot), and writing through it
/// changes the policy or the log. Same rule as for executables.
fn refuse_hard_linked_protected(
    file: &Path,
    located: &Located,
    roots: &WritableRoots,
) -> Result<(), SandboxError> {
    let links = located.stat.nlink();
    if links <= 1 {
        return Ok(());
    }
    let node = &located.lineage.node;
    match roots
        .0
        .iter()
        .filter(|root| root.is_dir)
        .find(|root| root.subtree.reaches_filesystem_of(node))
    {
        Some(root) => Err(SandboxError::ProtectedHardLinked {
            file: file.to_path_buf(),
            links,
            write: root.written.clone(),
        }),
        None => Ok(()),
    }
}

/// The policy's `exec` entries that are directories: Landlock lets the
/// command execute anything beneath them.
#[derive(Default)]
pub(super) struct ExecDirs(Vec<(PathBuf, Subtree)>);

impl ExecDirs {
    /// Remembers `grant` if it is a policy `exec` entry that opened as a
    /// directory. An `exec` file has nothing beneath it.
    pub(super) fn note(
        &mut self,
        grant: &PathGrant,
        located: Option<&Located>,
        mounts: &MountTable,
    ) {
        let Some(located) = located else { return };
        let is_policy_exec = grant.origin == GrantOrigin::Policy && grant.access == Access::Execute;
        if is_policy_exec && located.is_dir() {
            let subtree = Subtree::of(&located.lineage.node, mounts);
            self.0.push((grant.path.clone(), subtree));
        }
    }

    /// Refuses a writable root at or beneath one of these directories: the
    /// command could upload a file there and then execute it.
    pub(super) fn refuse_writable_beneath(
        &self,
        roots: &WritableRoots,
    ) -> Result<(), SandboxError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
