//! Scratch directories and the private files the tasks write into them.

use std::env;
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Error;

/// A private temp dir (see [`private_temp_dir`]) that is removed, with
/// everything in it, when dropped: on every exit path, panics included.
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// Creates `<temp>/<prefix>.<unique>`, mode 0700.
    pub fn new(prefix: &str) -> Result<ScratchDir, Error> {
        ScratchDir::new_in(&env::temp_dir(), prefix)
    }

    /// Creates `<base>/<prefix>.<unique>`, mode 0700.
    pub fn new_in(base: &Path, prefix: &str) -> Result<ScratchDir, Error> {
        Ok(ScratchDir {
            path: private_temp_dir(base, prefix)?,
        })
    }

    /// The directory, absolute and free of symlinks.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        match fs::remove_dir_all(&self.path) {
            Ok(()) => println!("\ncleaned up {}", self.path.display()),
            Err(e) => eprintln!("warning: cannot remove {}: {e}", self.path.display()),
        }
    }
}

/// A fresh directory only we can enter, named `<base>/<prefix>.<unique>`:
/// the gate refuses a policy whose directory others could write to.
fn private_temp_dir(base: &Path, prefix: &str) -> Result<PathBuf, Error> {
    for attempt in 0..100u32 {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = base.join(format!("{prefix}.{}.{nanos:x}{attempt}", process::id()));
        match DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {
                // Exact mode whatever the umask; canonical so that sshd and
                // the policy get absolute, symlink-free paths.
                fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
                    .map_err(Error::io(format!("chmod {}", dir.display())))?;
                return dir
                    .canonicalize()
                    .map_err(Error::io(format!("resolve {}", dir.display())));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(format!("create {}", dir.display()))(e)),
        }
    }
    Err(Error::Setup(format!(
        "cannot find a free name for a temp dir in {}",
        base.display()
    )))
}

/// Creates `path`, which must not exist yet, with mode 0600 and `contents`.
pub fn write_private(path: &Path, contents: &str) -> Result<(), Error> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(Error::io(format!("create {}", path.display())))?;
    file.write_all(contents.as_bytes())
        .map_err(Error::io(format!("write {}", path.display())))
}

/// A TOML basic string.
pub fn toml_string(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::toml_string;

    #[test]
    fn toml_strings_escape_quotes_and_backslashes() {
        assert_eq!(toml_string(r#"/a "b" \c"#), r#""/a \"b\" \\c""#);
    }
}
