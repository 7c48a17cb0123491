//! Where a profile's `max_concurrent` slots live.
//!
//! The lock files are named after the policy file, so two names for one
//! profile (`--profile backup` and `--policy /etc/sshgate/backup.toml`)
//! share the slots, and kept in a directory per invoking account, so no
//! account can sit on another's slots.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::plan::SessionLimit;
use crate::policy::LoadedPolicy;

/// The directory under which every account's lock directory is made.
/// `/run` is emptied at boot, so a slot can never outlive its holder
/// across a reboot.
pub const SESSION_LOCK_ROOT: &str = "/run/sshgate";

/// The profile's session limit for a gate run by `invoking_uid`, if it
/// has one.
pub fn session_limit(loaded: &LoadedPolicy, invoking_uid: u32) -> Option<SessionLimit> {
    let policy = &loaded.policy;
    let max = policy.max_concurrent.as_ref()?.get_ref().get();
    let wait = policy.wait.as_ref().map(|wait| wait.get_ref().get());
    let wait_ms = wait.map_or(0, |wait| {
        u64::try_from(wait.as_millis()).unwrap_or(u64::MAX)
    });
    let policy_file = loaded.location.as_deref().unwrap_or(&loaded.path);
    Some(SessionLimit {
        max,
        wait_ms,
        directory: Path::new(SESSION_LOCK_ROOT).join(invoking_uid.to_string()),
        stem: lock_stem(policy_file),
    })
}

/// `path` as one file name: `%` and `/` are percent-encoded, which keeps
/// distinct paths distinct and the usual ones readable
/// (`/etc/sshgate/backup.toml` is `etc%2Fsshgate%2Fbackup.toml`).
pub fn lock_stem(path: &Path) -> String {
    let text = String::from_utf8_lossy(path.as_os_str().as_bytes());
    let relative = text.strip_prefix('/').unwrap_or(&text);
    let mut stem = String::with_capacity(relative.len());
    for c in relative.chars() {
        match c {
            '%' => stem.push_str("%25"),
            '/' => stem.push_str("%2F"),
            _ => stem.push(c),
        }
    }
    stem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_stems_are_one_readable_file_name_per_path() {
        let cases = [
            ("/etc/sshgate/backup.toml", "etc%2Fsshgate%2Fbackup.toml"),
            ("/etc/sshgate/a%2Fb.toml", "etc%2Fsshgate%2Fa%252Fb.toml"),
            ("/etc/sshgate/a/b.toml", "etc%2Fsshgate%2Fa%2Fb.toml"),
            ("/srv/pol icy/x.toml", "srv%2Fpol icy%2Fx.toml"),
        ];
        for (path, stem) in cases {
            assert_eq!(lock_stem(Path::new(path)), stem, "{path}");
        }
    }
}
