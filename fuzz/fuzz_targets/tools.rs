//! Every tool parser on arbitrary argv, under rules with every control
//! on and off: an accepted request's grants stay inside the rule.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sshgate::decide::tool::{Context, addressed, check};
use sshgate::policy::tool::{BorgRule, GitRule, RsyncRule, ScpRule, SftpRule, Tool};
use sshgate_fuzz::{assert_tool_call_inside_rule, words};

struct Rules {
    rsync: Vec<RsyncRule>,
    scp: Vec<ScpRule>,
    sftp: Vec<SftpRule>,
    git: Vec<GitRule>,
    borg: Vec<BorgRule>,
}

/// A rule table for the fuzzer; the texts are fixed and valid.
fn parse<T: serde::de::DeserializeOwned>(text: &str) -> T {
    toml::from_str(text).expect("fuzz rule")
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        Rules {
            rsync: vec![
                parse("send = [\"/srv\"]\nreceive = [\"/backup\"]"),
                parse("send = [\"/srv\"]\nreceive = [\"/backup\"]\ndelete = true\ndevices = true\nlinks = \"follow\"\nfiles_from = true\nlog_file = true\ndeltas = true"),
                parse("receive = [\"/backup\"]\nlinks = \"munge\""),
            ],
            scp: vec![
                parse("download = [\"/srv\"]\nupload = [\"/in\"]"),
                parse("download = [\"/srv\"]\nupload = [\"/in\"]\nrecursive = true\npreserve = true"),
            ],
            sftp: vec![
                parse("read = [\"/srv\"]"),
                parse("read = [\"/srv\"]\nwrite = [\"/in\"]\nstart = \"/in\"\nlog = true"),
            ],
            git: vec![
                parse("read = [\"/srv/git/a.git\"]\nwrite = [\"/srv/git/b.git\"]"),
                parse("read = [\"/srv/git/a.git\"]\narchive = true"),
            ],
            borg: vec![
                parse("repository = \"/srv/borg/r\""),
                parse("repository = \"/srv/borg/r\"\nappend_only = true"),
            ],
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let argv = words(data);
    let rules = rules();
    let tools = rules
        .rsync
        .iter()
        .map(Tool::Rsync)
        .chain(rules.scp.iter().map(Tool::Scp))
        .chain(rules.sftp.iter().map(Tool::Sftp))
        .chain(rules.git.iter().map(Tool::Git))
        .chain(rules.borg.iter().map(Tool::Borg));
    for tool in tools {
        if !addressed(tool, &argv) {
            continue;
        }
        if let Ok(call) = check(
            tool,
            &argv,
            Context {
                chdir: Path::new("/srv"),
            },
        ) {
            assert_tool_call_inside_rule(tool, &call);
        }
    }
});
