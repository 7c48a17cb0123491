//! `sshgate explain`: the decision and the sandbox plan, with nothing run.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::json;

use super::PolicyArgs;
use crate::audit::escape_control;
use crate::decide::{Decision, Learning, NearMiss, PathGrant, Plan, SessionLimit, decide};
use crate::exit;
use crate::gate::load_policy;
use crate::request::{CommandLine, Connection, Request};
use crate::sandbox;

/// Arguments of `sshgate explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    policy: PolicyArgs,

    /// Client address to decide for, as if sshd reported it. Without it the
    /// address is unknown, and a profile with `from` denies.
    #[arg(long, value_name = "IP")]
    from: Option<IpAddr>,

    /// Key name to decide for, as if given with --key. Without it, a
    /// profile with `keys` denies.
    #[arg(long, value_name = "NAME")]
    key: Option<String>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,

    /// The command string exactly as the client would send it; quote it as
    /// one argument, after `--`.
    #[arg(value_name = "COMMAND", required = true)]
    command: String,
}

/// The plan's grants after interpreter resolution.
struct ResolvedGrants {
    grants: Vec<PathGrant>,
    /// System-base paths missing on this host, left out of the ruleset.
    skipped: Vec<PathBuf>,
}

/// Everything explain reports, gathered before printing.
struct Explanation {
    profile: String,
    request: Request,
    decision: Decision,
    /// The plan's grants after interpreter resolution, or why resolution
    /// would stop the exec.
    grants: Option<Result<ResolvedGrants, String>>,
}

/// Runs `explain` and prints the result.
pub fn run(args: &ExplainArgs) -> ExitCode {
    let Some(source) = args.policy.source() else {
        eprintln!("sshgate explain: one of --profile or --policy is required");
        return ExitCode::from(exit::USAGE);
    };
    let command = CommandLine::parse(Some(args.command.clone().into_bytes()));
    let connection = args.from.map(Connection::from_client_address);
    let request = match Request::on_this_host(command, connection, args.key.clone()) {
        Ok(request) => request,
        Err(error) => {
            eprintln!("sshgate explain: {error}");
            return ExitCode::from(exit::CONFIG);
        }
    };
    let loaded = match load_policy(&source, request.user.uid) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("sshgate explain: {error}");
            return ExitCode::from(exit::CONFIG);
        }
    };
    let request = request
        .with_accounts_for(&loaded.policy)
        .with_programs_for(&loaded.policy);
    let decision = decide(&loaded, &request);
    let grants = match &decision {
        Decision::Allow { plan, .. } => Some(
            sandbox::resolve(plan)
                .map(|resolved| ResolvedGrants {
                    grants: resolved.grants().to_vec(),
                    skipped: resolved.skipped().to_vec(),
                })
                .map_err(|error| error.to_string()),
        ),
        Decision::Deny { .. } => None,
    };
    let explanation = Explanation {
        profile: source.display_name(),
        request,
        decision,
        grants,
    };
    if args.json {
        println!("{}", explanation.to_json());
    } else {
        print!("{}", explanation.to_text());
    }
    ExitCode::from(if explanation.allowed() {
        exit::OK
    } else {
        exit::NEGATIVE
    })
}

impl Explanation {
    /// Allowed only if the rule matched and the sandbox could be built.
    fn allowed(&self) -> bool {
        matches!(self.decision, Decision::Allow { .. }) && matches!(self.grants, Some(Ok(_)))
    }

    fn command_text(&self) -> String {
        self.request
            .command
            .raw()
            .map(escape_control)
            .unwrap_or_default()
    }

    fn to_json(&self) -> serde_json::Value {
        let from = self
            .request
            .connection
            .as_ref()
            .map(|c| c.client.address.to_string());
        let mut value = json!({
            "profile": self.profile,
            "command": self.command_text(),
            "from": from,
            "key": self.request.key,
            "user": self.request.user.name,
            "decision": if self.allowed() { "allow" } else { "deny" },
        });
        match &self.decision {
            Decision::Deny { reason, closest } => {
                value["reason"] = json!(reason.to_string());
                value["closest_rule"] = json!(closest);
            }
            Decision::Allow { rule, plan } => {
                value["rule"] = json!(rule);
                value["plan"] = json!(plan);
                match &self.grants {
                    Some(Ok(resolved)) => {
                        value["plan"]["filesystem"] = json!(resolved.grants);
                        value["plan"]["skipped"] = json!(resolved.skipped);
                    }
                    Some(Err(error)) => value["reason"] = json!(format!("sandbox: {error}")),
                    None => {}
                }
                value["layers"] = json!(sandbox::describe(plan));
                let (always, by_argument) = sandbox::default_deny_list();
                value["seccomp"] = json!({
                    "always_denied": always,
                    "denied_by_argument": by_argument,
                    "policy_denied": plan.deny_syscalls,
                });
            }
        }
        value
    }

    fn to_text(&self) -> String {
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        line(format!("profile:  {}", self.profile));
        line(format!("command:  \"{}\"", self.command_text()));
        let from = self
            .request
            .connection
            .as_ref()
            .map_or_else(|| "(unknown)".to_owned(), |c| c.client.address.to_string());
        line(format!("from:     {from}"));
        line(format!(
            "key:      {}",
            self.request.key.as_deref().unwrap_or("(none)")
        ));
        line(format!("user:     {}", self.request.user.name));
        match &self.decision {
            Decision::Deny { reason, closest } => {
                line("decision: deny".to_owned());
                line(format!("reason:   {reason}"));
                if let Some(NearMiss { rule, detail }) = closest {
                    line(format!("closest:  rule {rule:?} {detail}"));
                }
            }
            Decision::Allow { rule, plan } => {
                match &self.grants {
                    Some(Err(error)) => {
                        line(format!(
                            "decision: deny (rule {rule:?} matched, but the sandbox cannot be built)"
                        ));
                        line(format!("reason:   sandbox: {error}"));
                    }
                    _ => line(format!("decision: allow (rule {rule:?})")),
                }
                describe_plan(
                    plan,
                    self.grants.as_ref().and_then(|g| g.as_ref().ok()),
                    &mut line,
                );
            }
        }
        out
    }
}

/// `max_concurrent` and `wait` in words, with the lock files.
fn describe_session_limit(limit: &SessionLimit) -> String {
    let queue = if limit.wait_ms == 0 {
        "a session over it is denied (exit 75)".to_owned()
    } else {
        format!(
            "a session over it waits up to {}s, then is denied (exit 75)",
            Duration::from_millis(limit.wait_ms).as_secs_f64()
        )
    };
    format!(
        "at most {} at once (max_concurrent); {queue}; locks {}",
        limit.max,
        limit
            .directory
            .join(format!("{}.*.lock", limit.stem))
            .display()
    )
}

fn describe_plan(plan: &Plan, resolved: Option<&ResolvedGrants>, line: &mut impl FnMut(String)) {
    match plan.learning {
        Learning::Off => {}
        Learning::Matched => line("learning: mode = \"learn\"; a rule matched, it runs as usual".into()),
        // Said first: what follows is the client's own command, and any
        // tool section below is a parse for the record, not a grant.
        Learning::Unmatched => line(
            "learning: mode = \"learn\" and no rule matched: the client's program runs under the profile's [sandbox]; a tool section below is recorded, not granted"
                .into(),
        ),
    }
    if let Some(request) = &plan.tool {
        line(format!("{}:", request.tool));
        line(format!("  action:   {}", request.action));
        for path in &request.paths {
            line(format!("  path:     {}", path.display()));
        }
        line(format!("  options:  {}", request.options.join(" ")));
        if !request.forced.is_empty() {
            line(format!("  forced:   {}", request.forced.join(" ")));
        }
    }
    line("plan:".to_owned());
    line(format!("  program:  {}", plan.program.display()));
    line(format!("  argv:     {:?}", plan.argv));
    line(format!("  chdir:    {}", plan.chdir.display()));
    line(format!("  compat:   {}", plan.compat));
    if let Some(limit) = &plan.sessions {
        line(format!("  sessions: {}", describe_session_limit(limit)));
    }
    line("  environment:".to_owned());
    for (name, value) in &plan.env {
        line(format!("    {name}={value}"));
    }
    line("  landlock filesystem (everything else is denied):".to_owned());
    let (grants, skipped) = match resolved {
        Some(resolved) => (&resolved.grants, resolved.skipped.as_slice()),
        None => (&plan.filesystem, &[][..]),
    };
    for grant in grants {
        let access = grant.access.to_string();
        let path = grant.path.display().to_string();
        let note = if skipped.contains(&grant.path) {
            " (missing on this host: skipped)"
        } else {
            ""
        };
        line(format!(
            "    {access:<10}  {path:<40}  {}{note}",
            grant.origin
        ));
    }
    for layer in sandbox::describe(plan) {
        line(format!("  {layer}"));
    }
}
