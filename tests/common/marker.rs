//! A command that leaves a trace: the rule `touch` creates `out/marker` in
//! the scenario's directory, so that "nothing ran" is the marker's absence
//! and "it ran" its presence, whatever the gate printed or recorded.

use std::fs;

use super::gate::Scenario;

/// The rule, to append to a policy's top-level keys.
pub const RULE: &str = r#"
[[allow]]
name = "touch"
command = ["/usr/bin/touch", "{dir}/out/marker"]
[allow.sandbox]
write = ["{dir}/out"]
"#;

/// A scenario whose policy is `top` (top-level keys, `{dir}` and `{log}`
/// replaced as in [`Scenario::new`]) followed by [`RULE`], with `out/`
/// created.
pub fn scenario(top: &str) -> Scenario {
    let scenario = Scenario::new(&format!("{top}\n{RULE}"));
    fs::create_dir(scenario.path("out")).expect("create out/");
    scenario
}

/// The client's command that the rule allows.
pub fn command(scenario: &Scenario) -> String {
    format!("touch {}", scenario.path("out/marker").display())
}

/// Whether the command ran.
pub fn ran(scenario: &Scenario) -> bool {
    scenario.path("out/marker").exists()
}
