//! Every tool parser on arbitrary argv, under rules with every control
//! on and off: an accepted request's grants stay inside the rule, and
//! for scp, sftp, git and borg its paths, options and command hold to
//! the tool's own invariants (`sshgate_fuzz::assert_accepted_call`).
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sshgate::decide::tool::{Context, addressed, check};
use sshgate::policy::tool::{BorgRule, GitRule, RsyncRule, ScpRule, SftpRule, Tool};
use sshgate_fuzz::{assert_accepted_call, words};

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

/// One table per combination of `controls`, each a TOML line with its
/// `{}` replaced by `true` or `false`, after `base`.
fn every_combination<T: serde::de::DeserializeOwned>(base: &str, controls: &[&str]) -> Vec<T> {
    (0..1u32 << controls.len())
        .map(|bits| {
            let mut text = base.to_owned();
            for (index, control) in controls.iter().enumerate() {
                let on = bits & (1 << index) != 0;
                text.push('\n');
                text.push_str(&control.replace("{}", &on.to_string()));
            }
            parse(&text)
        })
        .collect()
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut scp: Vec<ScpRule> = every_combination(
            "download = [\"/srv\"]\nupload = [\"/in\"]",
            &["recursive = {}", "preserve = {}"],
        );
        scp.push(parse("download = [\"/srv/export\", \"/srv/pub\"]"));
        let mut sftp: Vec<SftpRule> = every_combination(
            "read = [\"/srv\"]\nstart = \"/srv/100%/%u\"",
            &["log = {}"],
        );
        sftp.extend(every_combination::<SftpRule>(
            "read = [\"/srv\"]\nwrite = [\"/in\"]\nstart = \"/in\"\n\
             allow_requests = [\"open\", \"read\", \"close\"]\ndeny_requests = [\"remove\"]",
            &["log = {}"],
        ));
        sftp.push(parse("write = [\"/in\"]\naccept = [\"internal-sftp\"]"));
        Rules {
            rsync: vec![
                parse("send = [\"/srv\"]\nreceive = [\"/backup\"]"),
                parse("send = [\"/srv\"]\nreceive = [\"/backup\"]\ndelete = true\ndevices = true\nlinks = \"follow\"\nfiles_from = true\nlog_file = true\ndeltas = true"),
                parse("receive = [\"/backup\"]\nlinks = \"munge\""),
            ],
            scp,
            sftp,
            git: ["", "write = [\"/srv/git/b.git\"]"]
                .iter()
                .flat_map(|write| {
                    every_combination::<GitRule>(
                        &format!(
                            "read = [\"/srv/git/a.git\", \"/srv/git/c\", \"/srv/git/c.git\", \
                             \"/srv/git/w/.git\"]\n{write}"
                        ),
                        &["archive = {}"],
                    )
                })
                .collect(),
            borg: every_combination(
                "repository = \"/srv/borg/r\"",
                &["append_only = {}"],
            )
            .into_iter()
            .chain(every_combination::<BorgRule>(
                "repository = \"/srv/borg/r\"\nprogram = \"/opt/borg/bin/borg-1.2\"",
                &["append_only = {}"],
            ))
            .collect(),
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
    let chdir = Path::new("/srv");
    for tool in tools {
        if !addressed(tool, &argv) {
            continue;
        }
        if let Ok(call) = check(tool, &argv, Context { chdir }) {
            assert_accepted_call(tool, &argv, chdir, &call);
        }
    }
});
