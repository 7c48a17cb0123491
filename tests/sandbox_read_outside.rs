//! Escape scenario: an allowed program reads files it was not granted.
//! Landlock must answer EACCES from inside the confined child, even for
//! root, for whom plain DAC would allow everything.

mod common;

use std::fs;

use common::gate::{Scenario, stderr, stdout};

const POLICY: &str = r#"
log = "{log}"
[sandbox]
read = ["{dir}/granted"]

[[allow]]
name = "cat"
command = ["/usr/bin/cat"]
trailing_args = true
"#;

#[test]
fn reading_outside_the_granted_paths_is_eacces() {
    let scenario = Scenario::new(POLICY);
    fs::create_dir(scenario.path("granted")).unwrap();
    fs::write(scenario.path("granted/inside.txt"), "inside\n").unwrap();
    fs::write(scenario.path("outside.txt"), "outside\n").unwrap();
    let inside = scenario.path("granted/inside.txt");
    let outside = scenario.path("outside.txt");

    let output = scenario.run(Some(&format!(
        "cat {} {}",
        inside.display(),
        outside.display()
    )));

    assert_eq!(stdout(&output), "inside\n", "the granted file is readable");
    assert_eq!(
        stderr(&output),
        format!("/usr/bin/cat: {}: Permission denied\n", outside.display())
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn etc_shadow_and_home_are_not_in_the_system_base() {
    let scenario = Scenario::new(POLICY);
    fs::create_dir(scenario.path("granted")).unwrap();
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".to_owned());
    // Opening $HOME itself: without Landlock cat would say "Is a directory".
    for target in ["/etc/shadow".to_owned(), "/etc/hostname".to_owned(), home] {
        let output = scenario.run(Some(&format!("cat {target}")));
        let err = stderr(&output);
        assert!(
            err.contains(&format!("{target}: Permission denied")),
            "cat {target}: expected a Landlock denial, got {err:?}"
        );
        assert!(output.stdout.is_empty());
    }
}
