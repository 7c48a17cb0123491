//! What the fuzz targets share: turning bytes into words, and the
//! invariants each target asserts on what it accepted.

mod tool_calls;

use std::path::Path;

use sshgate::decide::tool::ToolCall;
use sshgate::decide::{Access, GrantOrigin, Plan};
use sshgate::policy::LoadedPolicy;
use sshgate::policy::tool::Tool;

pub use tool_calls::assert_accepted_call;

/// Splits fuzz input into argv words at NUL bytes, as a client's words
/// after the tokenizer: lossy UTF-8, so every input is usable.
pub fn words(data: &[u8]) -> Vec<String> {
    data.split(|b| *b == 0)
        .map(|word| String::from_utf8_lossy(word).into_owned())
        .collect()
}

/// `word` quoted for sh with single quotes.
pub fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// Every grant of an accepted tool request lies at or beneath a path the
/// rule names (or one the tool derives: git's exec-path, sftp's log
/// socket), with write access only where the rule allows writing, and the
/// command executed is the rule's program.
pub fn assert_tool_call_inside_rule(tool: Tool<'_>, call: &ToolCall) {
    assert_eq!(Path::new(&call.argv[0]), tool.program(), "{call:?}");
    let readable: Vec<&Path> = tool.paths().iter().map(|p| p.get_ref().as_path()).collect();
    let writable: Vec<&Path> = tool
        .writable_paths()
        .iter()
        .map(|p| p.get_ref().as_path())
        .collect();
    for (path, access) in &call.grants {
        let inside = |roots: &[&Path]| roots.iter().any(|root| path.starts_with(root));
        let derived = match tool {
            Tool::Git(git) => git
                .exec_path
                .as_ref()
                .map_or(path == Path::new("/usr/lib/git-core"), |p| {
                    path == p.get_ref().as_path()
                }),
            Tool::Sftp(sftp) => sftp.log && path == Path::new("/dev/log"),
            _ => false,
        };
        match access {
            Access::ReadWrite => {
                // A download that removes its sources may write its tree.
                let removing = matches!(tool, Tool::Rsync(rule) if rule.delete);
                assert!(
                    inside(&writable) || (removing && inside(&readable)),
                    "{call:?}"
                );
            }
            Access::Read => assert!(inside(&readable) || derived, "{call:?}"),
            Access::Execute => assert!(derived, "{call:?}"),
        }
    }
    for path in &call.request.paths {
        assert!(
            !path.components().any(|c| c.as_os_str() == ".."),
            "{call:?}"
        );
    }
}

/// An allowed plan grants only the system base, the rule's program and
/// paths `loaded` names (see `assert_tool_call_inside_rule` for what tools
/// derive).
pub fn assert_plan_grants_only_named(loaded: &LoadedPolicy, plan: &Plan) {
    let policy = &loaded.policy;
    let mut named = Vec::new();
    let mut programs = Vec::new();
    for rule in &policy.allow {
        let rule = rule.get_ref();
        let sandbox = policy.sandbox_for(rule);
        for list in [&sandbox.read, &sandbox.write, &sandbox.exec] {
            named.extend(
                list.iter()
                    .flatten()
                    .map(|p| p.get_ref().as_path().to_path_buf()),
            );
        }
        if let Some((program, _)) = rule.program() {
            programs.push(program.to_path_buf());
        }
        match rule.tool() {
            Some(Tool::Git(git)) => named.push(
                git.exec_path
                    .as_ref()
                    .map_or("/usr/lib/git-core".into(), |p| {
                        p.get_ref().as_path().to_path_buf()
                    }),
            ),
            Some(Tool::Sftp(sftp)) if sftp.log => named.push("/dev/log".into()),
            _ => {}
        }
    }
    for grant in &plan.filesystem {
        match grant.origin {
            GrantOrigin::SystemBase => {}
            GrantOrigin::Program => assert!(programs.contains(&grant.path), "{grant:?}"),
            GrantOrigin::Policy | GrantOrigin::Tool => assert!(
                named.iter().any(|root| grant.path.starts_with(root)),
                "{grant:?} not named by the policy"
            ),
            GrantOrigin::Interpreter => panic!("decide added an interpreter: {grant:?}"),
        }
    }
}
