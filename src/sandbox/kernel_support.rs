//! The Landlock features the sandbox uses, which of them a policy needs,
//! and which the running kernel lacks.
//!
//! `compat = "enforce"` means every default layer is in force, so a kernel
//! that cannot restrict TCP or scope signals is a denial there, not a
//! silently weaker sandbox. `compat = "best-effort"` runs anyway and names
//! what is missing in the audit record. `sshgate doctor` lists the same
//! table, so the gate and doctor cannot disagree about a kernel.

/// The Landlock ABI every default layer of this version needs.
pub const REQUIRED_LANDLOCK_ABI: u32 = 6;

/// A Landlock feature the sandbox uses, and the ABI that brought it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LandlockFeature {
    /// The ABI version that brought it.
    pub abi: u32,
    /// What it controls, e.g. `"filesystem rules"`.
    pub name: &'static str,
    /// The name as a denial or an audit record lists a missing feature,
    /// e.g. `"landlock filesystem rules"`.
    pub qualified_name: &'static str,
    /// Which sandboxes need it.
    pub needed_by: NeededBy,
}

/// Which sandboxes need a Landlock feature, and what stands in for it where
/// it is not needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeededBy {
    /// Every sandbox: `compat = "enforce"` denies every request without it.
    EverySandbox,
    /// A sandbox with `unix = true`: without the feature, a confined command
    /// may connect to any pathname socket its uid can reach (for root,
    /// `docker.sock`).
    UnixSockets {
        /// What keeps the other sandboxes safe without it.
        fallback: &'static str,
    },
    /// No sandbox yet; the sandbox uses it when the kernel has it.
    NoSandbox {
        /// What does its work without it.
        fallback: &'static str,
    },
}

impl LandlockFeature {
    /// Whether a sandbox needs it; `unix_sockets`: the sandbox's
    /// `unix = true`.
    pub fn needed(&self, unix_sockets: bool) -> bool {
        match self.needed_by {
            NeededBy::EverySandbox => true,
            NeededBy::UnixSockets { .. } => unix_sockets,
            NeededBy::NoSandbox { .. } => false,
        }
    }

    /// Whether the default policy (no `unix = true`) needs it.
    pub fn needed_by_default_policy(&self) -> bool {
        self.needed(false)
    }

    /// What stands in for it on an older kernel, for a feature the default
    /// policy can do without; `None` for a feature it needs.
    pub fn fallback(&self) -> Option<&'static str> {
        match self.needed_by {
            NeededBy::EverySandbox => None,
            NeededBy::UnixSockets { fallback } | NeededBy::NoSandbox { fallback } => Some(fallback),
        }
    }
}

/// One row of [`LANDLOCK_FEATURES`]: the qualified name is derived from the
/// name at compile time, so the two cannot drift apart.
macro_rules! feature {
    ($abi:literal, $name:literal, $needed_by:expr) => {
        LandlockFeature {
            abi: $abi,
            name: $name,
            qualified_name: concat!("landlock ", $name),
            needed_by: $needed_by,
        }
    };
}

/// Every Landlock feature the sandbox uses, oldest first.
pub const LANDLOCK_FEATURES: &[LandlockFeature] = &[
    feature!(1, "filesystem rules", NeededBy::EverySandbox),
    feature!(
        2,
        "control of renames and links across directories (refer)",
        NeededBy::EverySandbox
    ),
    feature!(3, "control of truncate", NeededBy::EverySandbox),
    feature!(4, "TCP bind and connect rules", NeededBy::EverySandbox),
    feature!(5, "control of device ioctls", NeededBy::EverySandbox),
    feature!(
        6,
        "scopes for signals and abstract unix sockets",
        NeededBy::EverySandbox
    ),
    feature!(
        9,
        "control of pathname unix sockets",
        NeededBy::UnixSockets {
            fallback: "seccomp's socket rules and file permissions decide which sockets a \
                       command reaches",
        }
    ),
    feature!(
        10,
        "UDP rules",
        NeededBy::NoSandbox {
            fallback: "seccomp's socket rules decide whether a command may use UDP",
        }
    ),
];

/// The features a kernel with Landlock ABI `abi` (`None`: no Landlock)
/// lacks, oldest first, by qualified name; with `unix_sockets` (the
/// sandbox's `unix = true`), the control of pathname unix sockets too.
pub fn missing_landlock_features(abi: Option<u32>, unix_sockets: bool) -> Vec<&'static str> {
    let abi = abi.unwrap_or(0);
    LANDLOCK_FEATURES
        .iter()
        .filter(|feature| feature.needed(unix_sockets) && feature.abi > abi)
        .map(|feature| feature.qualified_name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_missing_by_abi() {
        assert_eq!(
            missing_landlock_features(None, false),
            [
                "landlock filesystem rules",
                "landlock control of renames and links across directories (refer)",
                "landlock control of truncate",
                "landlock TCP bind and connect rules",
                "landlock control of device ioctls",
                "landlock scopes for signals and abstract unix sockets",
            ]
        );
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
        // Nothing needs UDP rules (ABI 10) yet.
        assert!(missing_landlock_features(Some(9), true).is_empty());
    }

    #[test]
    fn the_required_abi_is_the_newest_every_sandbox_needs() {
        let newest = LANDLOCK_FEATURES
            .iter()
            .filter(|feature| feature.needed_by_default_policy())
            .map(|feature| feature.abi)
            .max();
        assert_eq!(newest, Some(REQUIRED_LANDLOCK_ABI));
        assert!(LANDLOCK_FEATURES.is_sorted_by_key(|feature| feature.abi));
        for feature in LANDLOCK_FEATURES {
            assert_eq!(
                feature.fallback().is_none(),
                feature.needed_by_default_policy(),
                "{feature:?}"
            );
        }
    }
}
