//! Every TOML example in the README is a valid policy: the README is the
//! reference administrators copy from.

use std::path::Path;

use sshgate::policy::parse;

fn toml_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, line) in markdown.lines().enumerate() {
        match (&mut current, line.trim()) {
            (None, "```toml") => current = Some((index + 2, String::new())),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some((_, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn every_toml_example_in_the_readme_parses() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let blocks = toml_blocks(&readme);
    assert!(!blocks.is_empty(), "the README has no ```toml examples");
    for (line, text) in blocks {
        if let Err(error) = parse(Path::new("README.md"), text) {
            panic!("the README example starting at line {line} does not parse: {error}");
        }
    }
}
