//! Which Landlock features the default sandbox relies on, and which the
//! running kernel lacks.
//!
//! `compat = "enforce"` means every default layer is in force, so a kernel
//! that cannot restrict TCP or scope signals is a denial there, not a
//! silently weaker sandbox. `compat = "best-effort"` runs anyway and names
//! what is missing in the audit record.

/// The Landlock ABI every default layer of this version needs.
pub const REQUIRED_LANDLOCK_ABI: u32 = 6;

/// Each feature the sandbox uses, with the ABI that brought it.
const FEATURES: &[(u32, &str)] = &[
    (1, "landlock filesystem rules"),
    (
        2,
        "landlock control of renames and links across directories (refer)",
    ),
    (3, "landlock control of truncate"),
    (4, "landlock TCP bind and connect rules"),
    (5, "landlock control of device ioctls"),
    (6, "landlock scopes for signals and abstract unix sockets"),
];

/// What `unix = true` needs: before it, a confined command may connect to
/// any pathname socket its uid can reach (for root, `docker.sock`).
const UNIX_SOCKET_CONTROL: (u32, &str) = (9, "landlock control of pathname unix sockets");

/// The features a kernel with Landlock ABI `abi` (`None`: no Landlock)
/// lacks, oldest first; with `unix_sockets` (the sandbox's `unix = true`),
/// the control of pathname unix sockets too.
pub fn missing_landlock_features(abi: Option<u32>, unix_sockets: bool) -> Vec<&'static str> {
    let abi = abi.unwrap_or(0);
    let unix = unix_sockets.then_some(&UNIX_SOCKET_CONTROL);
    FEATURES
        .iter()
        .chain(unix)
        .filter(|(needed, _)| *needed > abi)
        .map(|(_, feature)| *feature)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_missing_by_abi() {
        assert_eq!(missing_landlock_features(None, false).len(), FEATURES.len());
        assert_eq!(
            missing_landlock_features(Some(2), false),
            [
                "landlock control of truncate",
                "landlock TCP bind and connect rules",
                "landlock control of device ioctls",
                "landlock scopes for signals and abstract unix sockets",
            ]
        );
        assert_eq!(
            missing_landlock_features(Some(5), false),
            ["landlock scopes for signals and abstract unix sockets"]
        );
        assert!(missing_landlock_features(Some(REQUIRED_LANDLOCK_ABI), false).is_empty());
        assert!(missing_landlock_features(Some(9), false).is_empty());
        assert_eq!(
            missing_landlock_features(Some(7), true),
            ["landlock control of pathname unix sockets"]
        );
        assert!(missing_landlock_features(Some(9), true).is_empty());
    }
}
