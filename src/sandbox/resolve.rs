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
//! Two checks refuse a plan; the plan's own grants are checked before any
//! is opened, interpreters as they are added:
//!
//! - **Symlinks in policy paths.** The policy's `read`, `write` and `exec`
//!   paths are walked component by component, following every symlink the
//!   way the kernel will. A symlink is followed only if nobody but root or
//!   the invoking user could have put it there: its directory and every
//!   ancestor of that directory pass the policy file's own ownership check
//!   ([`untrusted_because`]), and the directory is not at or beneath a
//!   `write` grant of the same plan, which the command itself could have
//!   used to plant it on an earlier run. The system base, the program and
//!   the interpreters are not walked: they are named by the administrator
//!   or by root-owned binaries, and on a usr-merged system `/lib64` or
//!   `/bin/sh` are symlinks by design.
//! - **Executables beneath a write grant.** The command could replace a file
//!   it may write and then execute it, so no Execute grant (the program, a
//!   policy `exec` entry or an interpreter) may lie at or beneath a
//!   read-write grant, compared both as written and canonicalized.
//!
//! "Writable" means granted ReadWrite by this plan, or writable by any
//! other rule of the profile ([`Plan::profile_writable`]): a link may have
//! been planted by an earlier request under a different rule.
//!
//! Interpreters are resolved for the program and for every policy `exec`
//! entry that is a file. An `exec` entry that is a directory is granted as
//! written (Landlock then allows executing anything beneath it) without
//! interpreter resolution: there is no single file whose interpreters could
//! be read, and the executables beneath it need their interpreters listed
//! in `exec` themselves.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use landlock::{PathFd, PathFdError};
use nix::sys::stat::{SFlag, fstat};
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
    /// `O_PATH` descriptor of the granted file or directory.
    pub(crate) fd: PathFd,
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

    /// Opens `grant` and records it. Returns whether it is a directory, or
    /// `None` for a missing system-base path that was skipped.
    fn add(&mut self, grant: PathGrant) -> Result<Option<bool>, SandboxError> {
        let opened = open_grant(&grant)?;
        let is_dir = opened.as_ref().map(|opened| opened.is_dir);
        match opened {
            Some(opened) => self.opened.push(opened),
            None => self.skipped.push(grant.path.clone()),
        }
        self.grants.push(grant);
        Ok(is_dir)
    }
}

/// Resolves `plan` for the invoking user (see the module documentation):
/// refuses untrusted symlinks in policy paths and executables beneath a
/// write grant, opens every grant's path, then adds and opens an Execute
/// grant (origin [`GrantOrigin::Interpreter`]) for each interpreter of the
/// program and of the policy's `exec` files.
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
    let writable = vet_grants(&plan.filesystem, &plan.profile_writable, invoking_uid)?;
    let mut resolved = Resolved::default();
    let mut executables = Vec::new();
    for grant in &plan.filesystem {
        let is_dir = resolved.add(grant.clone())?;
        if needs_interpreters(grant, is_dir) {
            executables.push(grant.path.as_path());
        }
    }
    for grant in interpreter_grants(&plan.filesystem, &executables)? {
        refuse_exec_beneath_write(&grant.path, &writable)?;
        resolved.add(grant)?;
    }
    Ok(resolved)
}

/// Checks the plan's own grants before any is opened, and returns its
/// writable paths for checking the interpreters added later.
fn vet_grants(
    grants: &[PathGrant],
    profile_writable: &[PathBuf],
    invoking_uid: u32,
) -> Result<WritablePaths, SandboxError> {
    // Relative paths first: canonicalizing one would resolve it against
    // whatever the working directory happens to be.
    for grant in grants {
        require_absolute(&grant.path)?;
    }
    let writable = WritablePaths::of(grants, profile_writable);
    for grant in grants {
        if grant.origin == GrantOrigin::Policy {
            refuse_untrusted_symlinks(&grant.path, &writable, invoking_uid)?;
        }
        if grant.access == Access::Execute {
            refuse_exec_beneath_write(&grant.path, &writable)?;
        }
    }
    Ok(writable)
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

/// Whether the interpreters of `grant`'s file must be granted too:
/// `is_dir` is what opening it found (`None`: skipped).
///
/// The program is always looked at, so a program that is a directory fails
/// here as before rather than at `execve(2)`. A policy `exec` directory is
/// granted as written, without interpreters (see the module documentation).
fn needs_interpreters(grant: &PathGrant, is_dir: Option<bool>) -> bool {
    grant.access == Access::Execute
        && match grant.origin {
            GrantOrigin::Program => true,
            GrantOrigin::Policy => is_dir == Some(false),
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

/// The plan's read-write grants, each as written and canonicalized: where
/// the command can create, replace or remove files.
struct WritablePaths(Vec<WritablePath>);

/// One read-write grant path in both forms.
struct WritablePath {
    written: PathBuf,
    /// `None` when the path cannot be canonicalized; opening the grant
    /// reports why, and the written form is still compared.
    canonical: Option<PathBuf>,
}

impl WritablePaths {
    /// Collects the read-write grants of `grants`, whatever their origin,
    /// and the paths other rules of the profile may write.
    fn of(grants: &[PathGrant], profile_writable: &[PathBuf]) -> Self {
        Self(
            grants
                .iter()
                .filter(|grant| grant.access == Access::ReadWrite)
                .map(|grant| &grant.path)
                .chain(profile_writable)
                .map(|path| WritablePath {
                    written: path.clone(),
                    canonical: fs::canonicalize(path).ok(),
                })
                .collect(),
        )
    }

    /// The first writable path (as the plan writes it) that `path` is at or
    /// beneath, comparing `path` with both forms of each.
    fn containing(&self, path: &Path) -> Option<&Path> {
        self.0
            .iter()
            .find(|w| {
                path.starts_with(&w.written)
                    || w.canonical.as_ref().is_some_and(|c| path.starts_with(c))
            })
            .map(|w| w.written.as_path())
    }
}

/// Refuses an executable at or beneath a writable path: the command could
/// replace it and then execute what it wrote. `path` is compared as written
/// and canonicalized.
fn refuse_exec_beneath_write(path: &Path, writable: &WritablePaths) -> Result<(), SandboxError> {
    let canonical = fs::canonicalize(path).ok();
    let write = writable
        .containing(path)
        .or_else(|| canonical.as_deref().and_then(|c| writable.containing(c)));
    match write {
        Some(write) => Err(SandboxError::ExecBeneathWrite {
            exec: path.to_path_buf(),
            write: write.to_path_buf(),
        }),
        None => Ok(()),
    }
}

/// One step of a path walk.
enum Step {
    /// Start again at `/` (an absolute path or symlink target).
    Root,
    /// `..`: to the parent of the directory reached so far.
    Up,
    /// An entry of the directory reached so far.
    Entry(OsString),
}

/// A step, with the grant path as written up to and including it when the
/// step comes from the grant path itself rather than from a link's target.
struct Walked {
    step: Step,
    written: Option<PathBuf>,
}

/// The steps of a grant path, each with its written prefix.
fn written_steps(path: &Path) -> VecDeque<Walked> {
    let mut prefix = PathBuf::new();
    path.components()
        .filter_map(|component| {
            prefix.push(component);
            step_of(component).map(|step| Walked {
                step,
                written: Some(prefix.clone()),
            })
        })
        .collect()
}

/// The steps of a symlink's target, which the policy did not write.
fn target_steps(target: &Path) -> Vec<Walked> {
    target
        .components()
        .filter_map(step_of)
        .map(|step| Walked {
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

/// Walks `path` as the kernel will resolve it, and refuses it if any
/// symlink on the way (in the path as written or in a link's target) may
/// have been planted by someone other than root or the invoking user.
///
/// The directory reached so far is kept physical (free of symlinks), so a
/// `..` in a link's target goes where the kernel would take it. The walk
/// stops silently where the path does not exist: opening the grant then
/// reports the missing path.
fn refuse_untrusted_symlinks(
    path: &Path,
    writable: &WritablePaths,
    invoking_uid: u32,
) -> Result<(), SandboxError> {
    let io_error = |source| SandboxError::OpenPath {
        path: path.to_path_buf(),
        source,
    };
    let mut reached = PathBuf::from("/");
    let mut pending = written_steps(path);
    let mut followed = 0;
    while let Some(Walked { step, written }) = pending.pop_front() {
        let name = match step {
            Step::Root => {
                reached = PathBuf::from("/");
                continue;
            }
            Step::Up => {
                reached.pop();
                continue;
            }
            Step::Entry(name) => name,
        };
        let entry = reached.join(&name);
        let metadata = match fs::symlink_metadata(&entry) {
            Ok(metadata) => metadata,
            Err(error) if is_missing(&error) => return Ok(()),
            Err(error) => return Err(io_error(error)),
        };
        if !metadata.file_type().is_symlink() {
            reached = entry;
            continue;
        }
        followed += 1;
        if followed > MAX_SYMLINKS {
            return Err(io_error(io::Error::from_raw_os_error(libc::ELOOP)));
        }
        let link = Link {
            written: written.as_deref(),
            directory: &reached,
            metadata: &metadata,
        };
        if let Some(why) = link
            .untrusted_because(writable, invoking_uid)
            .map_err(io_error)?
        {
            return Err(SandboxError::UntrustedSymlink {
                path: path.to_path_buf(),
                link: written.unwrap_or(entry),
                why,
            });
        }
        let target = fs::read_link(&entry).map_err(io_error)?;
        for step in target_steps(&target).into_iter().rev() {
            pending.push_front(step);
        }
    }
    Ok(())
}

/// A symlink met while walking a grant path.
struct Link<'a> {
    /// Where it is as the policy wrote it, when the policy named it.
    written: Option<&'a Path>,
    /// The directory holding it, free of symlinks.
    directory: &'a Path,
    /// The link's own `lstat(2)`.
    metadata: &'a Metadata,
}

impl Link<'_> {
    /// Why this link may have been planted by someone other than root or
    /// `invoking_uid`, worded to follow "symlink X, which"; `None` if it is
    /// trusted.
    fn untrusted_because(
        &self,
        writable: &WritablePaths,
        invoking_uid: u32,
    ) -> io::Result<Option<String>> {
        if let Some(write) = self.writable_directory(writable) {
            return Ok(Some(format!(
                "lies beneath the writable path {}",
                write.display()
            )));
        }
        if let Some(why) = untrusted_directory(self.directory, invoking_uid)? {
            return Ok(Some(why));
        }
        self.stranger_in_sticky_directory(invoking_uid)
    }

    /// The writable path, if any, that the link's directory is at or
    /// beneath, as written or physically: the command could have created
    /// the link there on an earlier run. A link *at* a writable path is not
    /// refused, since replacing it needs write access to its parent.
    fn writable_directory<'w>(&self, writable: &'w WritablePaths) -> Option<&'w Path> {
        let written_directory = self.written.and_then(Path::parent);
        [Some(self.directory), written_directory]
            .into_iter()
            .flatten()
            .find_map(|directory| writable.containing(directory))
    }

    /// Why the link is untrusted although its directory is: a root-owned
    /// sticky directory such as `/tmp` lets anyone add entries, so the link
    /// must belong to root or the invoking user.
    fn stranger_in_sticky_directory(&self, invoking_uid: u32) -> io::Result<Option<String>> {
        let mode = fs::symlink_metadata(self.directory)?.mode();
        let owner = self.metadata.uid();
        let shared = mode & STICKY != 0 && mode & WRITABLE_BY_OTHERS != 0;
        if !shared || owner == 0 || owner == invoking_uid {
            return Ok(None);
        }
        Ok(Some(format!(
            "is owned by uid {owner}, not by root or the invoking user (uid {invoking_uid}), \
             in the sticky directory {}",
            self.directory.display()
        )))
    }
}

/// Why `directory` (free of symlinks) or one of its ancestors could be
/// changed by someone other than root or `invoking_uid`, worded to follow
/// "symlink X, which"; `None` if neither can. Same check as for the policy
/// file's own directories.
fn untrusted_directory(directory: &Path, invoking_uid: u32) -> io::Result<Option<String>> {
    for ancestor in directory.ancestors() {
        let metadata = fs::symlink_metadata(ancestor)?;
        if let Some(why) = untrusted_because(&metadata, invoking_uid, true) {
            let place = if ancestor == directory {
                format!("is in {}", directory.display())
            } else {
                format!(
                    "is in {}, beneath {}",
                    directory.display(),
                    ancestor.display()
                )
            };
            return Ok(Some(format!("{place}, which is {why}")));
        }
    }
    Ok(None)
}

/// Opens one grant's path. `Ok(None)` means a missing system-base path that
/// is to be skipped.
fn open_grant(grant: &PathGrant) -> Result<Option<OpenedGrant>, SandboxError> {
    let fd = match PathFd::new(&grant.path) {
        Ok(fd) => fd,
        Err(e) => {
            let source = open_error(e);
            return if is_missing(&source) {
                if grant.origin == GrantOrigin::SystemBase {
                    Ok(None)
                } else {
                    Err(SandboxError::MissingPath {
                        path: grant.path.clone(),
                    })
                }
            } else {
                Err(SandboxError::OpenPath {
                    path: grant.path.clone(),
                    source,
                })
            };
        }
    };
    let is_dir = is_directory(&fd).map_err(|source| SandboxError::OpenPath {
        path: grant.path.clone(),
        source: source.into(),
    })?;
    Ok(Some(OpenedGrant {
        access: grant.access,
        fd,
        is_dir,
    }))
}

/// Extracts the `open(2)` error from the crate's error type.
fn open_error(error: PathFdError) -> io::Error {
    match error {
        PathFdError::OpenCall { source, .. } => source,
        // The enum is non-exhaustive: keep any future variant's message.
        other => io::Error::other(other),
    }
}

/// Whether an `open(2)` error means the path does not exist: no entry at
/// the end (`ENOENT`) or a component on the way is not a directory
/// (`ENOTDIR`).
fn is_missing(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::NotFound || error.raw_os_error() == Some(libc::ENOTDIR)
}

/// Whether `fd` refers to a directory. `fstat(2)` works on `O_PATH`
/// descriptors.
fn is_directory(fd: &impl AsFd) -> Result<bool, nix::errno::Errno> {
    let stat = fstat(fd.as_fd())?;
    Ok(SFlag::from_bits_truncate(stat.st_mode & SFlag::S_IFMT.bits()) == SFlag::S_IFDIR)
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
}
