//! Properties of the rsync rule over generated server command lines:
//! whatever it accepts stays inside the rule's paths, and no option the
//! rule refuses survives into the command it executes.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use sshgate::decide::Access;
use sshgate::decide::tool::{Context, addressed, check};
use sshgate::policy::tool::{RsyncRule, Tool};

/// Words a client could send: real options, refused ones, values, paths
/// inside and outside the rule, and traversal attempts.
const WORDS: &[&str] = &[
    "--sender",
    "-logDtpre.iLsfxCIvu",
    "-re.iLsfxCIvu",
    "-se.LsfxCIvu",
    "-Lre.iLs",
    "-kr",
    "-Kr",
    "-Dr",
    "-logDtpre",
    "-rT/tmp",
    "-B1",
    "-@-1",
    "--delete",
    "--del",
    "--remove-source-files",
    "--force",
    "--log-file=/tmp/log",
    "--log-file=/backup/log",
    "--log-file",
    "--files-from=-",
    "--files-from",
    "--files-from=/srv/list",
    "--exclude-from=/etc/passwd",
    "--temp-dir",
    "--temp-dir=/tmp",
    "--partial-dir=.p",
    "--link-dest",
    "--link-dest=/backup/old",
    "--copy-unsafe-links",
    "--munge-links",
    "--no-munge-links",
    "--specials",
    "--devices",
    "--write-devices",
    "--daemon",
    "--config=/x",
    "--protect-args",
    "--inplace",
    "--bwlimit=10",
    "--",
    ".",
    ".",
    ".",
    "/srv",
    "/srv/a",
    "/srv/a/b/",
    "/srv/../etc",
    "/srv2",
    "/backup",
    "/backup/x",
    "/etc/shadow",
    "rel",
    "rel/sub",
    "../x",
    "./x",
    "-weird",
    "/tmp",
    "",
];

fn rule(delete: bool, devices: bool, links: &str, files_from: bool, log_file: bool) -> RsyncRule {
    toml::from_str(&format!(
        "send = [\"/srv\"]\nreceive = [\"/backup\"]\ndelete = {delete}\ndevices = {devices}\n\
         links = \"{links}\"\nfiles_from = {files_from}\nlog_file = {log_file}"
    ))
    .expect("the generated rule parses")
}

/// The letters of a short-option cluster before its capability blob.
fn cluster_letters(word: &str) -> &str {
    let letters = word.trim_start_matches('-');
    letters.split('e').next().unwrap_or(letters)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn an_accepted_request_stays_inside_the_rule_and_drops_nothing_refused(
        picks in prop::collection::vec(0..WORDS.len(), 0..9),
        delete in any::<bool>(),
        devices in any::<bool>(),
        links in prop::sample::select(vec!["keep", "munge", "follow"]),
        files_from in any::<bool>(),
        log_file in any::<bool>(),
    ) {
        let rule = rule(delete, devices, links, files_from, log_file);
        let mut argv = vec!["rsync".to_owned(), "--server".to_owned()];
        argv.extend(picks.iter().map(|&i| WORDS[i].to_owned()));
        let tool = Tool::Rsync(&rule);
        prop_assert!(addressed(tool, &argv));
        let Ok(call) = check(tool, &argv, Context { chdir: Path::new("/srv") }) else {
            return Ok(());
        };
        let download = call.request.action == "download";
        let root = Path::new(if download { "/srv" } else { "/backup" });
        // Paths: normalised, inside the direction's tree, one for an upload.
        for path in &call.request.paths {
            prop_assert!(path.starts_with(root), "{path:?} outside {root:?}: {argv:?}");
            prop_assert!(!path.components().any(|c| c.as_os_str() == ".."), "{path:?}");
        }
        prop_assert!(download || call.request.paths.len() == 1, "{argv:?}");
        // Grants: only the direction's tree; write on /srv only to remove
        // what a download sent, which `delete` allows.
        for (path, access) in &call.grants {
            prop_assert_eq!(path.as_path(), root, "{:?}", argv);
            if download && *access == Access::ReadWrite {
                prop_assert!(delete, "{argv:?}");
            }
        }
        // The command executed: --server, [--sender], options, then -- . PATHS.
        let exec = &call.argv;
        prop_assert_eq!(exec[0].as_str(), "/usr/bin/rsync");
        prop_assert_eq!(exec[1].as_str(), "--server");
        let dashdash = exec.iter().position(|w| w == "--").expect("-- before the paths");
        prop_assert_eq!(exec[dashdash + 1].as_str(), ".");
        let options = &exec[2..dashdash];
        for word in options {
            prop_assert!(word.starts_with('-'), "{word} before --: {exec:?}");
            if !word.starts_with("--") && !word.starts_with("-B") && !word.starts_with("-@") {
                let letters = cluster_letters(word);
                prop_assert!(!letters.contains('s'), "{word}");
                prop_assert!(!letters.contains('T'), "{word}");
                if links != "follow" {
                    prop_assert!(!letters.contains(['L', 'k', 'K']), "{word}");
                }
            }
            for refused in ["--daemon", "--config", "--protect-args", "--write-devices", "--rsh"] {
                prop_assert!(!word.starts_with(refused), "{word}");
            }
            if !delete {
                prop_assert!(
                    !word.starts_with("--del") && !word.starts_with("--remove") && word != "--force",
                    "{word}"
                );
            }
            if !log_file {
                prop_assert!(!word.starts_with("--log-file"), "{word}");
            }
            if !files_from {
                prop_assert!(!word.starts_with("--files-from"), "{word}");
            }
            if links == "munge" {
                prop_assert!(word != "--no-munge-links", "{word}");
            }
        }
        if links == "munge" {
            prop_assert!(options.iter().any(|w| w == "--munge-links"), "{exec:?}");
        }
        // What follows `.` is exactly the paths the parser checked.
        let after: Vec<PathBuf> = exec[dashdash + 2..].iter().map(PathBuf::from).collect();
        prop_assert!(after.len() <= call.request.paths.len().max(1), "{exec:?}");
    }
}
