//! The host's layers as doctor reports them: the Landlock, seccomp and
//! capability sections, and the `--json` form of what
//! [`crate::sandbox::probe_host`] found.
//!
//! Only what stops the default policy (`compat = "enforce"`) is a
//! [`Level::Fail`]; a layer the default policy can do without, or a
//! capability a rule may keep, is [`Level::Info`].

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use super::report::{Finding, Level, Section};
use crate::sandbox::{
    CapabilitySupport, HostSupport, LandlockSupport, SeccompSupport, X32Abi, X32ProbeError,
};

/// How the findings name the default policy.
const ENFORCE: &str = "the default policy (compat = \"enforce\")";

/// At most this many capability names are listed in one line; more would
/// drown the report, so beyond it only their number is given.
const CAPABILITIES_LISTED: usize = 8;

/// The Landlock, seccomp and capability sections.
pub fn host_sections(host: &HostSupport) -> Vec<Section> {
    vec![
        landlock_section(&host.landlock),
        seccomp_section(&host.seccomp, &host.x32),
        capability_section(&host.capabilities),
    ]
}

fn landlock_section(landlock: &LandlockSupport) -> Section {
    let mut findings = vec![landlock_abi_finding(landlock)];
    if landlock.error.is_none() {
        if let Some(rights) = &landlock.unhandled_rights {
            findings.push(Finding::new(
                Level::Fail,
                format!(
                    "the kernel's Landlock has {rights} that this build of sshgate cannot handle, \
                     so they would stay allowed; {ENFORCE} denies every request until sshgate is \
                     upgraded"
                ),
            ));
        }
    }
    for (feature, available) in landlock.features() {
        let name = format!("ABI {}: {}", feature.abi, feature.name);
        findings.push(match (available, feature.fallback()) {
            (true, _) => Finding::new(Level::Ok, name),
            (false, None) => Finding::new(Level::Fail, format!("{name}: not in this kernel")),
            (false, Some(fallback)) => Finding::new(
                Level::Info,
                format!("{name}: not in this kernel; {fallback}"),
            ),
        });
    }
    Section {
        title: "Landlock".to_owned(),
        findings,
    }
}

/// The running ABI against the one the default policy needs.
fn landlock_abi_finding(landlock: &LandlockSupport) -> Finding {
    let required = landlock.required_abi;
    match (&landlock.error, landlock.abi) {
        (Some(error), _) => Finding::new(
            Level::Fail,
            format!(
                "cannot ask the kernel about Landlock ({error}); the gate fails closed and denies \
                 every request"
            ),
        ),
        (None, None) => Finding::new(
            Level::Fail,
            format!(
                "no Landlock in this kernel (not built in, or missing from the lsm= boot \
                 parameter); {ENFORCE} needs ABI {required} and denies every request"
            ),
        ),
        (None, Some(abi)) if landlock.missing_for_default_policy.is_empty() => Finding::new(
            Level::Ok,
            format!("Landlock ABI {abi}; {ENFORCE} needs ABI {required}"),
        ),
        (None, Some(abi)) => Finding::new(
            Level::Fail,
            format!(
                "Landlock ABI {abi}; {ENFORCE} needs ABI {required} and denies every request \
                 (compat = \"best-effort\" runs without the missing features)"
            ),
        ),
    }
}

fn seccomp_section(seccomp: &SeccompSupport, x32: &X32Abi) -> Section {
    let filter = match &seccomp.error {
        None if seccomp.filter => Finding::new(
            Level::Ok,
            "seccomp filters can be installed (tried in a child process)",
        ),
        error => {
            let why = error
                .as_ref()
                .map_or_else(|| "no reason given".to_owned(), ToString::to_string);
            Finding::new(
                Level::Fail,
                format!(
                    "seccomp filters cannot be installed ({why}); the default policy needs them \
                     and denies every request"
                ),
            )
        }
    };
    let x32 = match x32 {
        X32Abi::Disabled => Finding::new(
            Level::Ok,
            "x32 syscall ABI: disabled in this kernel (an x32 getpid returned ENOSYS)",
        ),
        X32Abi::Enabled => Finding::new(
            Level::Info,
            "x32 syscall ABI: enabled in this kernel; sshgate's filter refuses x32 syscall \
             numbers (bit 0x40000000) whatever the kernel",
        ),
        X32Abi::Unknown(why) => {
            Finding::new(Level::Info, format!("x32 syscall ABI: unknown ({why})"))
        }
    };
    Section {
        title: "seccomp".to_owned(),
        findings: vec![filter, x32],
    }
}

fn capability_section(caps: &CapabilitySupport) -> Section {
    let uid = caps.euid;
    let bounding_set = if caps.can_clear_bounding_set() {
        Finding::new(
            Level::Ok,
            "can empty the bounding set (CAP_SETPCAP is permitted)",
        )
    } else {
        Finding::new(
            Level::Info,
            "cannot empty the bounding set (no CAP_SETPCAP); the gate leaves it, and \
             no_new_privs keeps an exec from gaining anything through it",
        )
    };
    let switch_user = if caps.can_switch_user() {
        Finding::new(
            Level::Ok,
            "can switch to a policy's user = \"...\" (root, with CAP_SETUID and CAP_SETGID)",
        )
    } else {
        Finding::new(
            Level::Info,
            format!(
                "cannot switch users (uid {uid} is not root with CAP_SETUID and CAP_SETGID); a \
                 rule with user = \"...\" is denied"
            ),
        )
    };
    Section {
        title: format!(
            "Capabilities of this process (uid {uid}; the gate has the same when sshd runs it as \
             uid {uid})"
        ),
        findings: vec![bounding_set, switch_user, kept_capabilities_finding(caps)],
    }
}

/// Which capabilities a rule may keep: those this process holds.
fn kept_capabilities_finding(caps: &CapabilitySupport) -> Finding {
    let held = match &caps.permitted {
        Err(error) => {
            return Finding::new(
                Level::Info,
                format!(
                    "cannot read the permitted set ({error}); a rule that keeps capabilities is \
                     denied"
                ),
            );
        }
        Ok(held) if held.is_empty() => {
            return Finding::new(
                Level::Info,
                "holds no capabilities; a rule that keeps any is denied",
            );
        }
        Ok(held) => held,
    };
    let (known, missing) = match (&caps.known, caps.not_permitted()) {
        (Ok(known), Ok(missing)) => (known, missing),
        (Err(error), _) | (_, Err(error)) => {
            return Finding::new(
                Level::Info,
                format!(
                    "holds {} capabilities, but cannot ask the kernel which it knows ({error}); \
                     a rule that keeps one this process does not hold is denied",
                    held.len()
                ),
            );
        }
    };
    if missing.is_empty() {
        return Finding::new(
            Level::Ok,
            format!(
                "can keep any capability a rule names (all {} are permitted)",
                held.len()
            ),
        );
    }
    let listed = if missing.len() <= CAPABILITIES_LISTED {
        missing.join(", ")
    } else {
        format!("{} of them", missing.len())
    };
    Finding::new(
        Level::Info,
        format!(
            "can keep {} of the kernel's {} capabilities; a rule that keeps one of the others is \
             denied: {listed}",
            held.len(),
            known.len()
        ),
    )
}

/// `{abi, required_abi, missing_for_default_policy, unhandled_rights,
/// error, features}`; each feature `{abi, feature, available,
/// needed_by_default_policy}`.
impl Serialize for LandlockSupport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let features: Vec<FeatureJson> = self
            .features()
            .map(|(feature, available)| FeatureJson {
                abi: feature.abi,
                feature: feature.name,
                available,
                needed_by_default_policy: feature.needed_by_default_policy(),
            })
            .collect();
        let mut json = serializer.serialize_struct("LandlockSupport", 6)?;
        json.serialize_field("abi", &self.abi)?;
        json.serialize_field("required_abi", &self.required_abi)?;
        json.serialize_field(
            "missing_for_default_policy",
            &self.missing_for_default_policy,
        )?;
        json.serialize_field("unhandled_rights", &self.unhandled_rights)?;
        json.serialize_field("error", &self.error.as_ref().map(ToString::to_string))?;
        json.serialize_field("features", &features)?;
        json.end()
    }
}

/// One Landlock feature in `--json`.
#[derive(Serialize)]
struct FeatureJson {
    abi: u32,
    feature: &'static str,
    available: bool,
    needed_by_default_policy: bool,
}

/// `{filter, error}`.
impl Serialize for SeccompSupport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut json = serializer.serialize_struct("SeccompSupport", 2)?;
        json.serialize_field("filter", &self.filter)?;
        json.serialize_field("error", &self.error.as_ref().map(ToString::to_string))?;
        json.end()
    }
}

/// `{abi, detail}`: `abi` is `enabled`, `disabled` or `unknown`, and
/// `detail` says why it is unknown.
impl Serialize for X32Abi {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (abi, detail): (&str, Option<&X32ProbeError>) = match self {
            Self::Enabled => ("enabled", None),
            Self::Disabled => ("disabled", None),
            Self::Unknown(why) => ("unknown", Some(why)),
        };
        let mut json = serializer.serialize_struct("X32Abi", 2)?;
        json.serialize_field("abi", abi)?;
        json.serialize_field("detail", &detail.map(ToString::to_string))?;
        json.end()
    }
}

/// `{euid, permitted, error, not_permitted, can_clear_bounding_set,
/// can_switch_user}`: `permitted` is `null` when it could not be read, and
/// `error` says why; `not_permitted` is `null` when the kernel could not be
/// asked which capabilities it knows.
impl Serialize for CapabilitySupport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut json = serializer.serialize_struct("CapabilitySupport", 6)?;
        json.serialize_field("euid", &self.euid)?;
        json.serialize_field("permitted", &self.permitted.as_ref().ok())?;
        json.serialize_field(
            "error",
            &self.permitted.as_ref().err().map(ToString::to_string),
        )?;
        json.serialize_field("not_permitted", &self.not_permitted().ok())?;
        json.serialize_field("can_clear_bounding_set", &self.can_clear_bounding_set())?;
        json.serialize_field("can_switch_user", &self.can_switch_user())?;
        json.end()
    }
}
