//! Step 1 of confinement: turn the plan's grants into open file descriptors
//! before anything is restricted.
//!
//! Everything that needs the filesystem happens here, while the gate can
//! still see it: reading the program's interpreters and opening an `O_PATH`
//! descriptor for every grant. Landlock rules are built from these
//! descriptors, so what is granted is the file that was checked here, even
//! if a path is swapped afterwards.

use std::io;
use std::os::fd::AsFd;
use std::path::PathBuf;

use landlock::{PathFd, PathFdError};
use nix::sys::stat::{SFlag, fstat};

use super::SandboxError;
use super::interpreter::interpreters;
use crate::decide::plan::{Access, GrantOrigin, PathGrant, Plan};

/// The plan's grants after interpreter resolution, with a descriptor open
/// for every grant that exists.
#[derive(Debug)]
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
    /// the program, including system-base grants that were skipped. This is
    /// what `sshgate explain` prints.
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
}

/// Resolves `plan`: adds an Execute grant (origin
/// [`GrantOrigin::Interpreter`]) for each interpreter of the program, then
/// opens every grant's path.
///
/// A missing path is skipped (and listed in [`Resolved::skipped`]) only when
/// the grant comes from the system base, whose directories such as `/lib64`
/// do not exist on every distribution. Any other missing path is an error:
/// silently dropping a grant the policy asked for would hide a policy mistake.
pub fn resolve(plan: &Plan) -> Result<Resolved, SandboxError> {
    let grants = with_interpreters(plan)?;
    let mut opened = Vec::with_capacity(grants.len());
    let mut skipped = Vec::new();
    for grant in &grants {
        match open_grant(grant)? {
            Some(fd) => opened.push(fd),
            None => skipped.push(grant.path.clone()),
        }
    }
    Ok(Resolved {
        grants,
        opened,
        skipped,
    })
}

/// The plan's grants plus an Execute grant for every interpreter of the
/// program that the plan does not already make executable.
fn with_interpreters(plan: &Plan) -> Result<Vec<PathGrant>, SandboxError> {
    let mut grants = plan.filesystem.clone();
    for interpreter in interpreters(&plan.program)? {
        let already_granted = grants
            .iter()
            .any(|g| g.path == interpreter && g.access == Access::Execute);
        if !already_granted {
            grants.push(PathGrant {
                path: interpreter,
                access: Access::Execute,
                origin: GrantOrigin::Interpreter,
            });
        }
    }
    Ok(grants)
}

/// Opens one grant's path. `Ok(None)` means a missing system-base path that
/// is to be skipped.
fn open_grant(grant: &PathGrant) -> Result<Option<OpenedGrant>, SandboxError> {
    if !grant.path.is_absolute() {
        return Err(SandboxError::RelativePath {
            path: grant.path.clone(),
        });
    }
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
    use std::path::Path;

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
            "sandbox path /srv/does-not-exist/x does not exist"
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
        assert!(resolve(&plan).is_err());
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
}
