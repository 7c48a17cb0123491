//! The decision: a pure function of policy and request.
//!
//! [`decide`] performs no syscalls and reads no files, so every outcome can
//! be table-tested, and `sshgate explain` prints exactly what forced-command
//! mode would do.

mod learn;
mod matching;
pub mod plan;
mod reason;
mod sessions;
mod system_base;
pub mod tool;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::policy::{Action, LoadedPolicy, Mode, Policy, Rule, Sandbox, Umask};
use crate::request::{CommandLine, Request, User};

pub use learn::parse as parse_tool_request;
pub use matching::{RuleMatch, match_rule, names_program};
pub use plan::{
    Access, Compat, GrantOrigin, Identity, Learning, LimitKind, PathGrant, Plan, ResourceLimit,
    SessionLimit,
};
pub use reason::DenyReason;
pub use sessions::{SESSION_LOCK_ROOT, lock_stem};

/// `PATH` of the confined command. Only the matched program is executable,
/// so this is a courtesy for programs that look themselves up, not a grant.
/// The same directories learn mode looks a bare name up in
/// ([`crate::request::LEARN_SEARCH_PATH`]; a test keeps them equal), so a
/// learned command finds what it would find confined.
const CONFINED_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The rule name of a learn-mode request that no rule allowed, as
/// `explain` shows it. It cannot be a policy's rule name, and the audit
/// record carries `"rule": null` instead.
pub const LEARNING_RULE: &str = "(learn mode: no rule matched)";

/// The umask of the command unless the policy sets one: what it creates is
/// private to its user. Backups and uploads should not become readable by
/// every account on the host by accident.
pub const DEFAULT_UMASK: u32 = 0o077;

/// The outcome for one request.
// One decision exists per process; boxing the plan would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Decision {
    /// Run `plan`, as allowed by `rule`.
    Allow {
        /// Name of the matched rule.
        rule: String,
        /// What to execute and how to confine it.
        plan: Plan,
    },
    /// Run nothing.
    Deny {
        /// Why.
        reason: DenyReason,
        /// The rule that came closest, for `explain`.
        closest: Option<NearMiss>,
    },
}

/// A rule that runs the requested program but did not match its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NearMiss {
    /// The rule's name.
    pub rule: String,
    /// What the rule expected instead.
    pub detail: String,
}

impl Decision {
    fn deny(reason: DenyReason) -> Self {
        Self::Deny {
            reason,
            closest: None,
        }
    }
}

/// Decides `request` under `policy`: the profile's `from` and `keys` first,
/// then the command line, then the first matching rule.
pub fn decide(loaded: &LoadedPolicy, request: &Request) -> Decision {
    let policy = &loaded.policy;
    // Who is asking comes first: a client the profile does not know learns
    // nothing about how its command would have been parsed.
    if let Some(reason) = check_origin(policy, request) {
        return Decision::deny(reason);
    }
    let (raw, argv) = match &request.command {
        CommandLine::Missing => return Decision::deny(DenyReason::NoCommand),
        CommandLine::Refused { error, .. } => {
            return Decision::deny(DenyReason::Unparsable(error.clone()));
        }
        CommandLine::Words { raw, argv } => (raw, argv),
    };
    let mut closest: Option<(usize, NearMiss)> = None;
    let mut refused: Option<DenyReason> = None;
    for rule in &policy.allow {
        let rule = rule.get_ref();
        // A loaded policy holds only rules with exactly one action.
        let Ok(action) = rule.action() else { continue };
        match action {
            Action::Command(pattern) => {
                match match_rule(pattern.get_ref(), rule.trailing_args, argv) {
                    RuleMatch::Matched => {
                        let sandbox = policy.sandbox_for(rule);
                        return allow(loaded, rule, sandbox, request, Runs::Argv(argv));
                    }
                    RuleMatch::OtherProgram => {}
                    // Failing closed: treated as no match, a later rule
                    // with another sandbox could run what this one was
                    // written for.
                    RuleMatch::Unusable { detail } => {
                        return Decision::deny(DenyReason::RuleUnusable {
                            rule: rule.name.as_str().to_owned(),
                            detail,
                        });
                    }
                    RuleMatch::NearMiss { agreed, detail } => {
                        if closest.as_ref().is_none_or(|(best, _)| agreed > *best) {
                            let miss = NearMiss {
                                rule: rule.name.as_str().to_owned(),
                                detail,
                            };
                            closest = Some((agreed, miss));
                        }
                    }
                }
            }
            Action::Tool(tool_rule, _) => {
                if !tool::addressed(tool_rule, argv) {
                    continue;
                }
                let sandbox = policy.sandbox_for(rule);
                let runs_as = match target_account(&sandbox, request, rule.name.as_str()) {
                    Ok((user, _)) => user,
                    Err(reason) => return Decision::deny(reason),
                };
                let chdir = working_directory(&sandbox, runs_as);
                match tool::check(tool_rule, argv, tool::Context { chdir: &chdir }) {
                    Ok(call) => return allow(loaded, rule, sandbox, request, Runs::Tool(call)),
                    Err(detail) => {
                        // The first refusal is the one the client most
                        // likely meant; later rules may still allow.
                        refused.get_or_insert(DenyReason::ToolRefused {
                            rule: rule.name.as_str().to_owned(),
                            tool: tool_rule.name(),
                            detail,
                        });
                    }
                }
            }
        }
    }
    if policy.mode == Mode::Learn {
        // Learning overrides refusals too: a tool rule too narrow for
        // the request is exactly what suggest should widen.
        return learn(loaded, request, argv);
    }
    if let Some(reason) = refused {
        return Decision::deny(reason);
    }
    Decision::Deny {
        reason: DenyReason::no_matching_rule(raw),
        closest: closest.map(|(_, miss)| miss),
    }
}

/// What an allowed rule runs: the client's arguments under a `command`
/// rule's program, or what a tool rule made of the request.
enum Runs<'a> {
    Argv(&'a [String]),
    Tool(tool::ToolCall),
    /// A learn-mode request no rule allows: the client's arguments, and
    /// what a tool parser made of them, for the record only.
    Learn(&'a [String], Option<tool::ToolRequest>),
}

/// Runs a request no rule allows under the profile's own `[sandbox]`:
/// the client's program, resolved before deciding, with its arguments.
fn learn(loaded: &LoadedPolicy, request: &Request, argv: &[String]) -> Decision {
    let program = match &request.program {
        Some(Ok(program)) => program.clone(),
        Some(Err(why)) => return Decision::deny(DenyReason::LearnProgram(why.clone())),
        None => {
            return Decision::deny(DenyReason::LearnProgram(
                crate::request::UnresolvedProgram::NotLookedUp,
            ));
        }
    };
    let sandbox = loaded.policy.sandbox.clone();
    if let Some(why) = learn::program_refusal(&program, &sandbox) {
        return Decision::deny(DenyReason::LearnProgramRefused(why));
    }
    let chdir = match target_account(&sandbox, request, LEARNING_RULE) {
        Ok((user, _)) => working_directory(&sandbox, user),
        Err(reason) => return Decision::deny(reason),
    };
    let parsed = learn::parse(argv, &chdir);
    let target = Target {
        name: LEARNING_RULE.to_owned(),
        sandbox,
        program,
        learning: Learning::Unmatched,
    };
    build(loaded, target, request, Runs::Learn(argv, parsed))
}

/// What an allowed request runs as, and under which sandbox.
struct Target {
    /// The matched rule, or [`LEARNING_RULE`].
    name: String,
    sandbox: Sandbox,
    program: PathBuf,
    learning: Learning,
}

fn check_origin(policy: &Policy, request: &Request) -> Option<DenyReason> {
    if let Some(networks) = &policy.from {
        let Some(connection) = &request.connection else {
            return Some(DenyReason::AddressUnknown);
        };
        let address = connection.client.address;
        if !networks.iter().any(|network| network.contains(address)) {
            return Some(DenyReason::AddressNotAllowed(address));
        }
    }
    if let Some(keys) = &policy.keys {
        let Some(key) = &request.key else {
            return Some(DenyReason::KeyMissing);
        };
        if !keys.iter().any(|allowed| allowed.as_str() == key) {
            return Some(DenyReason::KeyNotAllowed(key.clone()));
        }
    }
    None
}

/// `rule` allows the request; `sandbox` is its effective sandbox, which
/// the caller has already built (a tool rule needed it for its chdir).
fn allow(
    loaded: &LoadedPolicy,
    rule: &Rule,
    sandbox: Sandbox,
    request: &Request,
    runs: Runs<'_>,
) -> Decision {
    let Some((program, _)) = rule.program() else {
        return Decision::deny(DenyReason::no_matching_rule(
            request.command.raw().unwrap_or_default(),
        ));
    };
    let target = Target {
        name: rule.name.as_str().to_owned(),
        sandbox,
        program: program.to_path_buf(),
        learning: match loaded.policy.mode {
            Mode::Enforce => Learning::Off,
            Mode::Learn => Learning::Matched,
        },
    };
    build(loaded, target, request, runs)
}

/// The plan for `target`, or the denial when its account or
/// capabilities cannot be had.
fn build(loaded: &LoadedPolicy, target: Target, request: &Request, runs: Runs<'_>) -> Decision {
    let policy = &loaded.policy;
    let Target {
        name,
        sandbox,
        program,
        learning,
    } = target;
    let (runs_as, identity) = match target_account(&sandbox, request, &name) {
        Ok(target) => target,
        Err(reason) => return Decision::deny(reason),
    };
    let capabilities = sandbox
        .capabilities
        .as_ref()
        .map(|kept| kept.get_ref().clone())
        .unwrap_or_default();
    if let Some(missing) = capabilities
        .iter()
        .find(|kept| !request.gate_capabilities.contains(kept))
    {
        return Decision::deny(DenyReason::CannotKeepCapability {
            rule: name,
            capability: missing.to_string(),
            gate_uid: request.user.uid,
        });
    }
    let default_chdir = working_directory(&sandbox, runs_as);
    let metadata = sandbox
        .metadata
        .as_ref()
        .is_some_and(|allowed| *allowed.get_ref());
    let mut env = environment(&sandbox, request, runs_as);
    let (argv, filesystem, chdir, tool) = match runs {
        Runs::Argv(argv) => {
            let mut full_argv = vec![program.display().to_string()];
            full_argv.extend(argv.iter().skip(1).cloned());
            let grants = filesystem_grants(&sandbox, &program);
            (full_argv, grants, default_chdir, None)
        }
        Runs::Tool(call) => {
            if metadata && runs_as.uid == 0 {
                return Decision::deny(DenyReason::ToolMetadataAsRoot {
                    rule: name,
                    tool: call.request.tool,
                });
            }
            let grants = tool_grants(&call, &program);
            let chdir = call.chdir.unwrap_or(default_chdir);
            env.extend(call.env);
            (call.argv, grants, chdir, Some(call.request))
        }
        Runs::Learn(argv, parsed) => {
            // The client chooses the program and its paths: a chmod as
            // root through any path is the escape metadata allows.
            if metadata && runs_as.uid == 0 {
                return Decision::deny(DenyReason::LearningMetadataAsRoot);
            }
            let mut full_argv = vec![program.display().to_string()];
            full_argv.extend(argv.iter().skip(1).cloned());
            let grants = filesystem_grants(&sandbox, &program);
            (full_argv, grants, default_chdir, parsed)
        }
    };
    let plan = Plan {
        filesystem,
        env,
        chdir,
        compat: sandbox.compat.unwrap_or_default(),
        profile_writable: profile_writable(policy),
        protected: protected_files(loaded),
        network: sandbox
            .network
            .as_ref()
            .map(|network| network.get_ref().clone())
            .unwrap_or_default(),
        unix_sockets: sandbox.unix.unwrap_or(false),
        metadata,
        capabilities,
        identity,
        rlimits: sandbox
            .rlimits
            .as_ref()
            .map(|limits| limits.get_ref().limits())
            .unwrap_or_default(),
        umask: sandbox.umask.map_or(DEFAULT_UMASK, |Umask(mask)| mask),
        deny_syscalls: sandbox
            .deny_syscalls
            .as_ref()
            .map(|names| names.get_ref().clone())
            .unwrap_or_default(),
        program,
        argv,
        tool,
        learning,
        sessions: sessions::session_limit(loaded, request.user.uid),
    };
    Decision::Allow { rule: name, plan }
}

/// What every plan grants: the system base, and execute on the program.
fn base_and_program(program: &std::path::Path) -> Vec<PathGrant> {
    let mut grants = system_base::grants();
    grants.push(PathGrant {
        path: program.to_path_buf(),
        access: Access::Execute,
        origin: GrantOrigin::Program,
    });
    grants
}

fn filesystem_grants(sandbox: &Sandbox, program: &std::path::Path) -> Vec<PathGrant> {
    let mut grants = base_and_program(program);
    let policy_lists = [
        (&sandbox.exec, Access::Execute),
        (&sandbox.read, Access::Read),
        (&sandbox.write, Access::ReadWrite),
    ];
    for (list, access) in policy_lists {
        for path in list.iter().flatten() {
            grants.push(PathGrant {
                path: path.get_ref().as_path().to_path_buf(),
                access,
                origin: GrantOrigin::Policy,
            });
        }
    }
    grants
}

/// The working directory: the sandbox's `chdir`, or the home of the
/// account the command runs as.
fn working_directory(sandbox: &Sandbox, runs_as: &User) -> PathBuf {
    sandbox.chdir.as_ref().map_or_else(
        || runs_as.home.clone(),
        |dir| dir.get_ref().as_path().to_path_buf(),
    )
}

/// The grants of a tool request: the system base, the program, and what
/// the tool derived from the rule's paths for this request.
fn tool_grants(call: &tool::ToolCall, program: &std::path::Path) -> Vec<PathGrant> {
    let mut grants = base_and_program(program);
    grants.extend(call.grants.iter().map(|(path, access)| PathGrant {
        path: path.clone(),
        access: *access,
        origin: GrantOrigin::Tool,
    }));
    grants
}

/// The account the command runs as, and the switch to it if one is needed.
///
/// Without `user`, the command runs as the gate's user. With it, a root
/// gate switches (even to root, which sets root's groups); a gate that is
/// not root can only "switch" to itself, a no-op.
fn target_account<'a>(
    sandbox: &Sandbox,
    request: &'a Request,
    rule: &str,
) -> Result<(&'a User, Option<Identity>), DenyReason> {
    let Some(wanted) = &sandbox.user else {
        return Ok((&request.user, None));
    };
    let wanted = wanted.get_ref();
    let account = request
        .accounts
        .get(wanted)
        .map_err(|why| DenyReason::UnknownUser {
            rule: rule.to_owned(),
            why,
        })?;
    if request.user.uid != 0 {
        if account.user.uid == request.user.uid {
            return Ok((&account.user, None));
        }
        return Err(DenyReason::CannotSwitchUser {
            rule: rule.to_owned(),
            user: wanted.clone(),
            gate_uid: request.user.uid,
        });
    }
    let identity = Identity {
        user: account.user.name.clone(),
        uid: account.user.uid,
        gid: account.gid,
        groups: account.groups.clone(),
    };
    Ok((&account.user, Some(identity)))
}

/// The policy file and its audit log: the sandbox refuses any writable path
/// that reaches them, or the command could rewrite what decides its next
/// request, or erase its records.
fn protected_files(loaded: &LoadedPolicy) -> Vec<PathBuf> {
    let log = loaded.policy.log.as_ref();
    loaded
        .location
        .iter()
        .cloned()
        .chain(log.map(|log| log.get_ref().as_path().to_path_buf()))
        .collect()
}

/// Every path some rule of the profile may write, each once.
fn profile_writable(policy: &Policy) -> Vec<PathBuf> {
    policy
        .writable_paths()
        .into_iter()
        .map(|(path, _rule)| path)
        .collect()
}

/// The environment built from scratch: nothing is inherited from sshd, so
/// no `LD_PRELOAD` or `BASH_ENV` can ride along.
fn environment(sandbox: &Sandbox, request: &Request, user: &User) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert("PATH".to_owned(), CONFINED_PATH.to_owned());
    env.insert("HOME".to_owned(), user.home.display().to_string());
    env.insert("USER".to_owned(), user.name.clone());
    env.insert("LOGNAME".to_owned(), user.name.clone());
    env.insert("SHELL".to_owned(), user.shell.display().to_string());
    if let Some(connection) = &request.connection {
        if let Some(value) = &connection.ssh_connection {
            env.insert("SSH_CONNECTION".to_owned(), value.clone());
        }
        if let Some(value) = &connection.ssh_client {
            env.insert("SSH_CLIENT".to_owned(), value.clone());
        }
    }
    for (name, value) in sandbox.env.iter().flatten() {
        env.insert(name.as_str().to_owned(), value.as_str().to_owned());
    }
    env
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_confined_path_is_where_learn_mode_looks_programs_up() {
        assert_eq!(
            super::CONFINED_PATH,
            crate::request::LEARN_SEARCH_PATH.join(":")
        );
    }
}
