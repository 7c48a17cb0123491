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

/// The longest stem kept whole: with `.<slot>.lock` it stays well inside
/// a file name's 255 bytes.
const STEM_MAX: usize = 200;

/// `path` as one file name: every byte but ASCII letters, digits and
/// `.`, `_`, `-`, `+`, `,`, `=`, `@`, `~` percent-encoded, which keeps
/// distinct paths distinct and the usual ones readable
/// (`/etc/sshgate/backup.toml` is `etc%2Fsshgate%2Fbackup.toml`). A longer
/// stem than [`STEM_MAX`] becomes a hash of the whole path and its tail.
pub fn lock_stem(path: &Path) -> String {
    let bytes = path.as_os_str().as_bytes();
    let relative = bytes.strip_prefix(b"/").unwrap_or(bytes);
    let mut stem = String::with_capacity(relative.len());
    for &byte in relative {
        if byte.is_ascii_alphanumeric() || b"._-+,=@~".contains(&byte) {
            stem.push(char::from(byte));
        } else {
            stem.push_str(&format!("%{byte:02X}"));
        }
    }
    if stem.len() <= STEM_MAX {
        return stem;
    }
    // ASCII only, so any byte offset is a character boundary.
    let tail = &stem[stem.len() - (STEM_MAX - 17)..];
    format!("{:016x}-{tail}", fnv1a(bytes))
}

/// FNV-1a, 64 bits: stable across builds, unlike std's hasher, so a gate
/// upgraded while sessions run still finds their slots.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
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
            ("/srv/pol icy/x.toml", "srv%2Fpol%20icy%2Fx.toml"),
        ];
        for (path, stem) in cases {
            assert_eq!(lock_stem(Path::new(path)), stem, "{path}");
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_keep_paths_apart() {
        use std::ffi::OsStr;
        let stem = |bytes: &[u8]| lock_stem(Path::new(OsStr::from_bytes(bytes)));
        assert_eq!(stem(b"/p/\xff.toml"), "p%2F%FF.toml");
        assert_ne!(stem(b"/p/\xff.toml"), stem(b"/p/\xfe.toml"));
    }

    #[test]
    fn long_paths_fit_a_file_name_and_stay_apart() {
        let long = |last: &str| format!("/{}/{last}.toml", "d".repeat(300));
        let (a, b) = (long("a"), long("b"));
        let (stem_a, stem_b) = (lock_stem(Path::new(&a)), lock_stem(Path::new(&b)));
        assert_eq!(stem_a.len(), STEM_MAX);
        assert!(stem_a.ends_with("%2Fa.toml"), "{stem_a}");
        assert_ne!(stem_a, stem_b);
        // The same path, the same stem: a new gate finds running slots.
        assert_eq!(stem_a, lock_stem(Path::new(&a)));
    }
}
