//! `sshgate explain` on git requests: the repository a client's path
//! names, the exec, the forced environment and the grants; and for a
//! refusal, which path and why.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::gate::{Scenario, binary, stdout};

/// A profile whose `env` tries to give git a global config back.
const POLICY: &str = r#"log = "{log}"
[sandbox]
env = { GIT_CONFIG_GLOBAL = "{dir}/planted.gitconfig", LANG = "C.UTF-8" }

[[allow]]
name = "repos"
git = { read = ["{dir}/srv/git/project.git"], write = ["{dir}/srv/git/shared.git"] }
"#;

fn explain(scenario: &Scenario, command: &str) -> Output {
    Command::new(binary())
        .arg("explain")
        .arg("--policy")
        .arg(&scenario.policy)
        .arg("--")
        .arg(command)
        .output()
        .unwrap()
}

fn bare(path: &Path) {
    let output = Command::new("git")
        .args(["init", "-q", "--bare"])
        .arg(path)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
}

#[test]
fn explain_shows_the_repository_a_path_names_the_exec_and_the_forced_environment() {
    let scenario = Scenario::new(POLICY);
    let project = scenario.path("srv/git/project.git");
    bare(&project);
    let project = project.display().to_string();
    // The client leaves out `.git` and adds a slash; git would find
    // project.git, and so does the gate.
    let sent = format!("{}/", scenario.path("srv/git/project").display());
    let output = explain(&scenario, &format!("git-upload-pack '{sent}'"));
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    for expected in [
        "decision: allow (rule \"repos\")\n".to_owned(),
        format!("git:\n  action:   fetch\n  path:     {project}\n"),
        "  forced:   --exec-path=/usr/lib/git-core --strict GIT_CONFIG_NOSYSTEM=1 \
         GIT_CONFIG_GLOBAL=/dev/null GIT_ATTR_NOSYSTEM=1\n"
            .to_owned(),
        format!(
            "  argv:     [\"/usr/bin/git\", \"--exec-path=/usr/lib/git-core\", \"upload-pack\", \
             \"--strict\", \"--\", \"{project}\"]\n"
        ),
        // The profile's env does not undo the rule's.
        "    GIT_ATTR_NOSYSTEM=1\n    GIT_CONFIG_GLOBAL=/dev/null\n    GIT_CONFIG_NOSYSTEM=1\n"
            .to_owned(),
        "    LANG=C.UTF-8\n".to_owned(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in\n{text}");
    }
    for (access, path) in [("read", project.as_str()), ("execute", "/usr/lib/git-core")] {
        let grant = format!("    {access:<12}{path} ");
        assert!(
            text.lines()
                .any(|line| line.starts_with(&grant) && line.ends_with(" tool-rule")),
            "missing the grant {grant:?} in\n{text}"
        );
    }
    // Only the repository of the request: not the rule's other one.
    assert!(!text.contains("shared.git"), "{text}");
}

#[test]
fn explain_says_which_repository_a_git_refusal_is_about() {
    let scenario = Scenario::new(POLICY);
    bare(&scenario.path("srv/git/project.git"));
    let project = scenario.path("srv/git/project.git");
    let output = explain(
        &scenario,
        &format!("git-receive-pack '{}'", project.display()),
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "decision: deny\nreason:   rule \"repos\" (git): push to repository {} is refused: \
             the rule lists it in `read`, not `write`\n",
            project.display()
        )),
        "{text}"
    );
    assert!(!text.contains("plan:"), "{text}");
}
