//! Exit codes, documented in the README and in `--help`.
//!
//! The denial codes follow `sysexits.h`, so a caller can tell a policy
//! denial from a broken installation.

/// `explain`: the request would be allowed. `lint`: no errors. `doctor`:
/// this host can enforce the default policy, and nothing was found.
/// `install-key`: the line was written (or, with `--dry-run`, printed).
pub const OK: u8 = 0;
/// `explain`: the request would be denied. `lint`: at least one error.
/// `doctor`: the default policy can be enforced, with warnings.
/// `install-key`: refused (the key is already there or malformed, the
/// profile is missing or has lint errors, the authorized_keys file is a
/// symlink, ...), and nothing was written.
pub const NEGATIVE: u8 = 1;
/// The command line of sshgate itself is malformed.
pub const USAGE: u8 = 2;
/// Forced-command mode: the policy denied the request.
pub const DENIED: u8 = 77;
/// Forced-command mode: the profile's `max_concurrent` sessions are
/// already running (`EX_TEMPFAIL`: the same request may succeed later).
pub const BUSY: u8 = 75;
/// Forced-command mode: the policy could not be loaded, so everything is denied.
pub const CONFIG: u8 = 78;
/// Forced-command mode: the sandbox could not be applied or the exec failed.
/// `doctor`: this host cannot enforce the default policy, so forced-command
/// mode would end here for every request.
pub const SANDBOX: u8 = 71;
/// Forced-command mode: the audit record could not be written.
pub const AUDIT: u8 = 74;
/// `install-key`: a file could not be read or written (`EX_IOERR`, the
/// value of [`AUDIT`]: both say the system failed, not the request).
pub const IO: u8 = 74;
