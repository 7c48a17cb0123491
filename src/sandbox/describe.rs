//! What [`confine`](super::confine) and [`limit_resources`](super::limit_resources)
//! would apply for a plan, in words: the layers `sshgate explain` prints.
//!
//! The wording lives next to the code it describes, so that a change to a
//! layer (which capability sets, which socket families) is made and read
//! in one place. Pure: nothing here asks the kernel.

use super::default_deny_list;
use crate::decide::plan::{Identity, Plan};
use crate::policy::Network;

/// Every layer besides the filesystem grants, one line each, in the order
/// [`confine`](super::confine) applies them, except the rlimits: listed
/// where `confine` checks them (and sets `RLIMIT_CORE` to 0), they are set
/// last, by [`limit_resources`](super::limit_resources), just before the
/// exec.
pub fn describe(plan: &Plan) -> Vec<String> {
    vec![
        capabilities(plan),
        identity(plan.identity.as_ref()),
        rlimits(plan),
        format!("umask: {:04o}", plan.umask),
        "no_new_privs: set".to_owned(),
        landlock_network(&plan.network),
        "landlock scopes: signals and abstract unix sockets cannot leave the sandbox (ABI 6 and later)"
            .to_owned(),
        seccomp(plan),
        metadata(plan.metadata).to_owned(),
    ]
}

/// Which capabilities are kept, and in which sets: a command that is not
/// root needs them inheritable and ambient to keep them across its exec.
fn capabilities(plan: &Plan) -> String {
    if plan.capabilities.is_empty() {
        return "capabilities: none kept (every set emptied; the bounding set when the gate holds CAP_SETPCAP)"
            .to_owned();
    }
    let names: Vec<String> = plan.capabilities.iter().map(ToString::to_string).collect();
    let sets = if plan
        .identity
        .as_ref()
        .is_some_and(|identity| identity.uid != 0)
    {
        "permitted, effective, inheritable, ambient and bounding"
    } else {
        "permitted, effective and bounding"
    };
    format!(
        "capabilities: kept {} in the {sets} sets; every other one dropped",
        names.join(", ")
    )
}

/// The user switch, if any.
fn identity(identity: Option<&Identity>) -> String {
    match identity {
        None => "identity: the gate's own user (no switch)".to_owned(),
        Some(identity) => format!(
            "identity: switch to {} (uid {}, gid {}, groups {:?})",
            identity.user, identity.uid, identity.gid, identity.groups
        ),
    }
}

/// `RLIMIT_CORE`, always 0, then the plan's limits as the policy names them.
fn rlimits(plan: &Plan) -> String {
    let mut limits = vec!["core 0".to_owned()];
    limits.extend(plan.rlimits.iter().map(|limit| match limit.value {
        Some(value) => format!("{} {value}", limit.resource.key()),
        None => format!("{} unlimited", limit.resource.key()),
    }));
    format!("rlimits: {}", limits.join(", "))
}

/// The TCP ports Landlock allows.
fn landlock_network(network: &Network) -> String {
    match network {
        Network::Any => "landlock network: not restricted (network = \"any\")".to_owned(),
        Network::None => {
            "landlock network: TCP bind and connect denied on every port (ABI 4 and later)"
                .to_owned()
        }
        Network::Ports { connect, bind } => format!(
            "landlock network: TCP connect only to ports {connect:?}, bind only to ports {bind:?} (ABI 4 and later)"
        ),
    }
}

/// The socket families the seccomp filter lets the command create.
fn socket_families(plan: &Plan) -> String {
    match (&plan.network, plan.unix_sockets) {
        (Network::Any, _) => "every socket family".to_owned(),
        (Network::None, false) => "no socket at all (socketpair only)".to_owned(),
        (Network::None, true) => "AF_UNIX only".to_owned(),
        (Network::Ports { .. }, unix) => format!(
            "TCP over AF_INET and AF_INET6{}",
            if unix { ", and AF_UNIX" } else { "" }
        ),
    }
}

/// The seccomp filter: the default deny-list, the policy's additions, the
/// socket families and the x32 refusal.
fn seccomp(plan: &Plan) -> String {
    let sockets = socket_families(plan);
    let extra: Vec<&str> = plan.deny_syscalls.iter().map(|name| name.name()).collect();
    let (always, _) = default_deny_list();
    if extra.is_empty() {
        format!(
            "seccomp: the default deny-list ({} syscalls, `--json` lists them); sockets: {sockets}; x32 syscalls refused",
            always.len()
        )
    } else {
        format!(
            "seccomp: the default deny-list ({} syscalls, `--json` lists them) plus {}; sockets: {sockets}; x32 syscalls refused",
            always.len(),
            extra.join(", ")
        )
    }
}

/// Whether the seccomp filter refuses metadata changes, which Landlock
/// cannot limit to the grants.
fn metadata(allowed: bool) -> &'static str {
    if allowed {
        "metadata: changes allowed (metadata = true): mode, owner, times and extended attributes of any file DAC allows, which Landlock cannot limit; never setuid or setgid bits"
    } else {
        "metadata: changes refused (seccomp), by path and by descriptor, except touching an opened file to now; never setuid or setgid bits"
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::sandbox::testing::plan_for;

    #[test]
    fn a_default_plan_keeps_nothing_and_refuses_sockets_and_metadata() {
        let lines = describe(&plan_for(Path::new("/usr/bin/true"), Vec::new()));
        assert_eq!(lines.len(), 9);
        assert_eq!(
            lines[..5],
            [
                "capabilities: none kept (every set emptied; the bounding set when the gate holds CAP_SETPCAP)",
                "identity: the gate's own user (no switch)",
                "rlimits: core 0",
                "umask: 0077",
                "no_new_privs: set",
            ]
        );
        assert!(lines[7].contains("sockets: no socket at all (socketpair only)"));
        assert!(lines[8].starts_with("metadata: changes refused (seccomp)"));
    }

    #[test]
    fn a_non_root_identity_keeps_capabilities_in_the_ambient_set() {
        let mut plan = plan_for(Path::new("/usr/bin/true"), Vec::new());
        plan.capabilities = vec![crate::policy::CapabilityName::from(
            caps::Capability::CAP_NET_BIND_SERVICE,
        )];
        plan.identity = Some(Identity {
            user: "www".to_owned(),
            uid: 33,
            gid: 33,
            groups: vec![33],
        });
        let lines = describe(&plan);
        assert_eq!(
            lines[0],
            "capabilities: kept CAP_NET_BIND_SERVICE in the permitted, effective, inheritable, ambient and bounding sets; every other one dropped"
        );
        assert_eq!(
            lines[1],
            "identity: switch to www (uid 33, gid 33, groups [33])"
        );
    }
}
