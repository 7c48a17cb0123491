//! What the tool parsers' property tests share: the traversal and quoting
//! words any client can send, a lexical path model written independently
//! of the gate's, and a fixed-seed run that counts what was accepted, so
//! a property whose generator stopped producing accepted requests fails
//! instead of passing on nothing.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{TestCaseError, TestRunner};

/// Words aimed at every path check, whatever the tool: parents, roots,
/// doubled and trailing slashes, home expansion, quotes the tokenizer
/// would have removed, spaces, a lone dash, the empty word.
pub const TRAVERSAL: &[&str] = &[
    "..",
    "../",
    "../..",
    "./..",
    "/..",
    "/",
    "//",
    "///",
    ".",
    "./",
    ".//",
    "",
    "-",
    "~",
    "~/x",
    "~root/.ssh",
    "/etc",
    "/etc/shadow",
    "/etc/../etc/shadow",
    "/proc/self/root/etc/shadow",
    "'",
    "\"",
    "'/etc/shadow'",
    "a b",
    "x",
    "x/../..",
    ".hidden",
    "..hidden",
];

/// Spellings of `root` and of names beneath it: trailing, doubled and
/// leading slashes, `.` inside, long names.
pub fn within(root: &str) -> Vec<String> {
    let (parent, name) = parent_and_name(root);
    vec![
        root.to_owned(),
        format!("{root}/"),
        format!("{root}//"),
        format!("/{root}"),
        format!("{root}/."),
        format!("{root}/./a"),
        format!("{root}/a"),
        format!("{root}//a/b/"),
        format!("{root}/{}", "n".repeat(255)),
        format!("{root}/{}/{}", "d".repeat(200), "f".repeat(200)),
        format!("{parent}/./{name}"),
    ]
}

/// Names next to `root` that are not beneath it: siblings sharing its
/// prefix, `..` out of it, its parent, its bare name.
pub fn around(root: &str) -> Vec<String> {
    let (parent, name) = parent_and_name(root);
    vec![
        format!("{root}x"),
        format!("{root}.old"),
        format!("{root}/.."),
        format!("{root}/../x"),
        format!("{root}/a/../../x"),
        format!("{parent}/../{name}"),
        parent,
        name,
    ]
}

fn parent_and_name(root: &str) -> (String, String) {
    let path = Path::new(root);
    let parent = path
        .parent()
        .map_or("/".to_owned(), |p| p.display().to_string());
    let name = path
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    (parent, name)
}

/// `client` made absolute against `chdir` and cleaned, on strings:
/// empty and `.` segments dropped. `None` for the empty path and for any
/// `..` segment, which the gate must refuse rather than resolve.
pub fn lexical(client: &str, chdir: &str) -> Option<String> {
    if client.is_empty() || client.split('/').any(|segment| segment == "..") {
        return None;
    }
    let base = if client.starts_with('/') { "" } else { chdir };
    let segments: Vec<&str> = base
        .split('/')
        .chain(client.split('/'))
        .filter(|segment| !segment.is_empty() && *segment != ".")
        .collect();
    Some(format!("/{}", segments.join("/")))
}

/// Whether `path` is `root` or beneath it, by whole components, compared
/// as text: `/srv` holds `/srv/a` but not `/srv2`.
pub fn beneath(path: &str, root: &str) -> bool {
    root == "/"
        || path == root
        || path
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// `path` is clean (what [`lexical`] makes of itself) and beneath one of
/// `roots`; the error says which of the two it is not.
pub fn inside(path: &Path, roots: &[&str]) -> Result<(), String> {
    let text = path
        .to_str()
        .ok_or_else(|| format!("{path:?} is not UTF-8"))?;
    if lexical(text, "/").as_deref() != Some(text) {
        return Err(format!("{text:?} is not absolute and clean"));
    }
    if !roots.iter().any(|root| beneath(text, root)) {
        return Err(format!("{text:?} is outside {roots:?}"));
    }
    Ok(())
}

/// Runs `property` on `cases` values of `strategy` from a fixed seed and
/// counts what each returned: the action of an accepted request, or
/// `"refused"` for `None`. A property failure panics with the value.
pub fn tally<S: Strategy>(
    strategy: S,
    cases: usize,
    mut property: impl FnMut(&S::Value) -> Result<Option<&'static str>, TestCaseError>,
) -> BTreeMap<&'static str, usize> {
    let mut runner = TestRunner::deterministic();
    let mut counts = BTreeMap::new();
    for _ in 0..cases {
        let value = strategy
            .new_tree(&mut runner)
            .expect("the strategy generates a value")
            .current();
        let outcome = property(&value).unwrap_or_else(|error| panic!("{error}: {value:?}"));
        *counts.entry(outcome.unwrap_or("refused")).or_insert(0) += 1;
    }
    eprintln!("accepted per action over {cases} requests: {counts:?}");
    counts
}
