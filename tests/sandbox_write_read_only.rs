//! Escape scenario: an allowed program writes beneath a path it may only read.

mod common;

use std::fs;

use common::gate::{Scenario, stderr};

const POLICY: &str = r#"
log = "{log}"
[sandbox]
read = ["{dir}/ro"]
write = ["{dir}/rw"]

[[allow]]
name = "touch"
command = ["/usr/bin/touch", { regex = "/.*" }]
"#;

#[test]
fn writing_under_a_read_path_is_eacces() {
    let scenario = Scenario::new(POLICY);
    fs::create_dir(scenario.path("ro")).unwrap();
    fs::create_dir(scenario.path("rw")).unwrap();
    let target = scenario.path("ro/new-file");

    let output = scenario.run(Some(&format!("touch {}", target.display())));

    assert_eq!(
        stderr(&output),
        format!(
            "/usr/bin/touch: cannot touch '{}': Permission denied\n",
            target.display()
        )
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(!target.exists(), "the file was created");
}

#[test]
fn writing_under_a_write_path_works() {
    let scenario = Scenario::new(POLICY);
    fs::create_dir(scenario.path("ro")).unwrap();
    fs::create_dir(scenario.path("rw")).unwrap();
    let target = scenario.path("rw/new-file");

    let output = scenario.run(Some(&format!("touch {}", target.display())));

    assert_eq!(stderr(&output), "");
    assert_eq!(output.status.code(), Some(0));
    assert!(target.exists(), "the allowed write did not happen");
}
