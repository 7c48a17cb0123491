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
//! This module puts the pieces together. Three of the rules it applies
//! are explained in full in the module that implements them:
//!
//! - **Every path is walked by descriptor** (`walk`), from `/` one
//!   component at a time, never reopened by name, so the descriptor a rule
//!   is built from is the one that was checked. The policy's `read`,
//!   `write` and `exec` paths, the program, its interpreters and the
//!   working directory (`chdir`) follow a symlink only if it is trusted;
//!   the system base follows every link.
//! - **"At or beneath" is decided on the filesystem** (`placement`, from
//!   the mount table `mounts` reads), so an alias (a symlink or a bind
//!   mount) of a directory is recognised however it is written.
//! - **Writable roots** (`writable`): the command can create, replace or
//!   remove files at or beneath the paths this plan grants ReadWrite, and
//!   other rules' commands at or beneath those they may write
//!   ([`Plan::profile_writable`]). A root is never trusted merely because
//!   a path names it, and another rule's write path that cannot be walked
//!   is replaced by the directory its walk reached rather than denying the
//!   request, so neither the command nor another local user can make every
//!   request of the profile fail through a write path.
//!
//! **The command never reaches its own policy or audit log.** No writable
//! root may hold a file of [`Plan::protected`] (the policy file and the
//! audit log), judged by place like the checks below: the command could
//! rewrite the policy that decides the next request, or erase its records.
//!
//! **Executables are trusted files.** The program, each policy `exec`
//! entry and each interpreter, as its walk ended, must be owned by root or
//! the invoking user and be neither group- nor world-writable, like the
//! policy file itself: anyone else who could change it would choose what
//! the command runs. A policy `exec` directory passes the same test, with
//! no exception for a sticky directory such as `/tmp`, since anyone who
//! may add entries to it could add an executable. The directories above
//! an executable pass the policy file's own test too (a root-owned sticky
//! directory passes, since nobody else may rename entries there), and a
//! symlink on the way must be trusted: whoever could change either could
//! choose, before the walk, what the walk ends on. (A file swapped in after
//! the walk is not executable: Landlock grants Execute on the inode the
//! walk ended on.)
//!
//! **Execute and write never overlap.** No Execute grant (the program, a
//! policy `exec` entry or an interpreter) may be at or beneath a writable
//! root: the command could replace it and then execute it. No writable root
//! may be at or beneath a policy `exec` directory: the command could upload
//! a file there and then execute it. And the program or a policy `exec`
//! file with more than one hard link may not be on a filesystem a writable
//! root reaches: another of its links could lie inside the root, where the
//! command could rewrite the file in place (package binaries really under
//! the system trees are exempt when root owns them and
//! `fs.protected_hardlinks` is on, so only root could have made another
//! link; a writable root that is a single file counts only by identity).
//! The checks are in `writable`.
//!
//! Interpreters are resolved for the program and for every policy `exec`
//! entry that is a file. An `exec` entry that is a directory is granted as
//! written (Landlock then allows executing anything beneath it) without
//! interpreter resolution: there is no single file whose interpreters could
//! be read, and the executables beneath it need their interpreters listed
//! in `exec` themselves.

use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::unistd::getuid;

use super::SandboxError;
use super::interpreter::interpreters;
use super::mounts::MountTable;
use super::placement::Located;
use super::walk::{Context, Links, walk};
use super::writable::{
    ExecDirs, WritableRoots, refuse_exec_beneath_write, refuse_hard_linked,
    refuse_writable_protected,
};
use crate::decide::plan::{Access, GrantOrigin, PathGrant, Plan};
use crate::policy::untrusted_because;

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
pub(super) enum Found {
    /// A directory: the rule covers everything beneath it.
    Directory,
    /// Anything else: a regular file, a device, a socket.
    File,
    /// A system-base path missing on this host, left out.
    Skipped,
}

/// Resolves `plan` for the invoking user (see the module documentation):
/// reads the mount table, settles the writable roots, refuses them if they
/// reach a protected file, walks every grant path, refusing untrusted
/// symlinks and executables and writable paths that overlap, adds and
/// opens an Execute grant (origin [`GrantOrigin::Interpreter`]) for each
/// interpreter of the program and of the policy's `exec` files, and last
/// opens the working directory.
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
    let context = Context::new(&mounts, invoking_uid);
    let roots = WritableRoots::of(plan, &context)?;
    refuse_writable_protected(&plan.protected, &roots, &context)?;
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

/// Refuses a relative grant path.
pub(super) fn require_absolute(path: &Path) -> Result<(), SandboxError> {
    if path.is_absolute() {
        Ok(())
    } else {
        Err(SandboxError::RelativePath {
            path: path.to_path_buf(),
        })
    }
}

/// Walks `grant`'s path, following only trusted links if the policy wrote
/// it, and refuses it if it is an executable that someone other than root
/// or the invoking user could change, at or beneath a writable root, or a
/// hard-linked executable file on a filesystem a writable directory
/// reaches. `Ok(None)` means a missing system-base path that is to be
/// skipped.
fn open_vetted(
    grant: &PathGrant,
    roots: &WritableRoots,
    context: &Context<'_>,
) -> Result<Option<Located>, SandboxError> {
    let links = match grant.origin {
        GrantOrigin::Policy
        | GrantOrigin::Tool
        | GrantOrigin::Program
        | GrantOrigin::Interpreter => Links::OwnershipAndNotWritable(roots),
        GrantOrigin::SystemBase => Links::FollowAll,
    };
    let walked = match walk(&grant.path, links, context) {
        Ok(walked) => walked,
        Err(stranded) => {
            let missing = matches!(stranded.error, SandboxError::MissingPath { .. });
            if missing && grant.origin == GrantOrigin::SystemBase {
                return Ok(None);
            }
            return Err(stranded.error);
        }
    };
    let located = walked.located;
    if grant.access == Access::Execute {
        refuse_untrusted_executable(&grant.path, &located, context.invoking_uid)?;
        refuse_exec_beneath_write(&grant.path, &located, roots)?;
        if let Some(why) = walked.untrusted_parent {
            return Err(SandboxError::UntrustedExecutable {
                path: grant.path.clone(),
                why,
            });
        }
        let checked_file = matches!(
            grant.origin,
            GrantOrigin::Program | GrantOrigin::Policy | GrantOrigin::Tool
        );
        if checked_file && !located.is_dir() {
            refuse_hard_linked(&grant.path, &located, roots)?;
        }
    }
    Ok(Some(located))
}

/// Refuses an executable (a file, or a policy `exec` directory) that
/// someone other than root or `invoking_uid` owns or may write (see
/// "Executables are trusted files" in the module documentation).
///
/// The test is the policy file's own, applied to what the walk ended on.
/// A directory is tested like a file on purpose: the policy file's test
/// lets a root-owned sticky directory such as `/tmp` pass, which is right
/// for a directory a path goes through and wrong for one whose every entry
/// would be executable.
fn refuse_untrusted_executable(
    path: &Path,
    located: &Located,
    invoking_uid: u32,
) -> Result<(), SandboxError> {
    match untrusted_because(located.stat.as_statx(), invoking_uid, false) {
        Some(why) => Err(SandboxError::UntrustedExecutable {
            path: path.to_path_buf(),
            why,
        }),
        None => Ok(()),
    }
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
            GrantOrigin::Policy | GrantOrigin::Tool => found == Found::File,
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
    let walked = walk(path, Links::OwnershipAndNotWritable(roots), context)
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

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
