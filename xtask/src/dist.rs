//! `cargo xtask dist`: man pages, shell completions and the Debian package.
//!
//! The command pages and completions are rendered from sshgate's own clap
//! definition ([`sshgate::cli::command`]) and sshgate-policy(5) from the
//! README's policy reference, which a test keeps in step with the schema:
//! nothing here restates what sshgate accepts.

mod deb;
mod install;
mod markdown;

use std::fs;
use std::path::{Path, PathBuf};

use clap_complete::Shell;

use crate::error::Error;
use crate::sshgate::{self, Profile, target_dir};
use crate::workspace_root;

/// `dist`'s entry in `cargo xtask --help`.
pub const HELP: &str = "  \
dist   build sshgate --release and write to <target>/dist: man pages
         (sshgate(1), one per subcommand, sshgate-policy(5)), bash, zsh and
         fish completions, and the Debian package built from Cargo.toml's
         [package.metadata.deb]
    --check   then check the package: its file list (dpkg-deb -c), owners,
              modes, Depends, and that the packaged binary runs
    --install-and-test
              check, then (as root) dpkg -i the package, check the installed
              files, and run every e2e_* test against /usr/bin/sshgate; the
              package stays installed (dpkg -r sshgate removes it)";

/// `dist`'s options.
pub struct Options {
    /// Check the built package's contents.
    check: bool,
    /// Install the package and run the end-to-end tests against it.
    install_and_test: bool,
}

impl Options {
    /// `--install-and-test`: what `cargo xtask test` runs last, as root.
    pub fn install_and_test() -> Options {
        Options {
            check: true,
            install_and_test: true,
        }
    }

    /// Parses the arguments after `cargo xtask dist`.
    pub fn parse(args: &[String]) -> Result<Options, Error> {
        let mut options = Options {
            check: false,
            install_and_test: false,
        };
        for arg in args {
            match arg.as_str() {
                "--check" => options.check = true,
                // Never install a package that fails the check.
                "--install-and-test" => {
                    options.check = true;
                    options.install_and_test = true;
                }
                other => return Err(Error::Usage(format!("dist: unknown option {other:?}"))),
            }
        }
        Ok(options)
    }
}

/// A generated file: its name and contents.
type Generated = (String, Vec<u8>);

/// Generates everything, builds the package and, with `--check`, checks it.
pub fn run(options: &Options) -> Result<(), Error> {
    let root = workspace_root();
    let dist = target_dir(&root).join("dist");
    // From scratch, so that the page of a removed subcommand cannot linger
    // and end up in the package.
    if dist.exists() {
        fs::remove_dir_all(&dist).map_err(Error::io(format!("remove {}", dist.display())))?;
    }
    let pages = man_pages(&root)?;
    write_all(&dist.join("man"), &pages)?;
    write_all(&dist.join("completions"), &completions())?;
    println!(
        "generated {} man pages and 3 completion scripts in {}",
        pages.len(),
        dist.display()
    );

    sshgate::build(Profile::Release)?;
    let package = deb::build(&root, &dist)?;
    println!("built {}", package.display());
    if options.check {
        deb::check(&package, &pages)?;
        println!("checked {}: contents as expected", package.display());
    }
    if options.install_and_test {
        install::install(&package)?;
        install::run_e2e_tests(&root)?;
        println!(
            "the end-to-end tests passed against the installed /usr/bin/sshgate; \
             the package stays installed (dpkg -r sshgate removes it)"
        );
    }
    Ok(())
}

/// Writes each file into `dir`, creating it.
fn write_all(dir: &Path, files: &[Generated]) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(Error::io(format!("create {}", dir.display())))?;
    for (name, contents) in files {
        let path = dir.join(name);
        fs::write(&path, contents).map_err(Error::io(format!("write {}", path.display())))?;
    }
    Ok(())
}

/// sshgate's clap definition, built (so that subcommands know their full
/// names, `sshgate-explain`), without clap's `help` subcommand, which
/// sshgate does not document.
fn built_command() -> clap::Command {
    let mut command = ::sshgate::cli::command().disable_help_subcommand(true);
    command.build();
    command
}

/// Every man page: sshgate(1), one page per visible subcommand
/// (sshgate-NAME(1)) and sshgate-policy(5), each named by its file name
/// (`sshgate-lint.1`).
pub fn man_pages(root: &Path) -> Result<Vec<Generated>, Error> {
    let command = built_command();
    let mut commands: Vec<clap::Command> = vec![command.clone()];
    commands.extend(
        command
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .cloned(),
    );
    let names: Vec<String> = commands
        .iter()
        .map(|c| c.get_display_name().unwrap_or(c.get_name()).to_owned())
        .collect();

    let mut pages = Vec::new();
    for command in commands {
        let man = clap_mangen::Man::new(command);
        let file = man.get_filename();
        let mut page = Vec::new();
        man.render(&mut page)
            .map_err(Error::io(format!("render {file}")))?;
        let own = names
            .iter()
            .position(|n| file.strip_suffix(".1") == Some(n.as_str()));
        let others: Vec<&String> = names
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != own)
            .map(|(_, n)| n)
            .collect();
        page.extend(see_also(&others).as_bytes());
        pages.push((file, page));
    }

    let readme_path = root.join("README.md");
    let readme = fs::read_to_string(&readme_path)
        .map_err(Error::io(format!("read {}", readme_path.display())))?;
    let section = markdown::reference_section(&readme).ok_or_else(|| {
        Error::Setup(format!(
            "README.md has no `{}` section to render as sshgate-policy(5)",
            markdown::SECTION_HEADING
        ))
    })?;
    let policy = markdown::policy_page(&section, command.get_version().unwrap_or_default());
    pages.push(("sshgate-policy.5".to_owned(), policy.into_bytes()));
    Ok(pages)
}

/// A SEE ALSO section naming the other command pages (`names`), the policy
/// format and sshd_config, so that `man sshgate` leads to the rest.
fn see_also(names: &[&String]) -> String {
    let mut refs: Vec<String> = names
        .iter()
        .map(|name| format!("\\fB{}\\fR(1)", name.replace('-', "\\-")))
        .collect();
    refs.push("\\fBsshgate\\-policy\\fR(5)".to_owned());
    refs.push("\\fBsshd_config\\fR(5)".to_owned());
    // `.nh`: a page name split by hyphenation cannot be copied.
    format!(".SH \"SEE ALSO\"\n.nh\n{}\n", refs.join(", "))
}

/// The completion scripts, named as each shell's vendor directory expects
/// (bash: `sshgate`, zsh: `_sshgate`, fish: `sshgate.fish`).
pub fn completions() -> Vec<Generated> {
    [
        (Shell::Bash, "sshgate"),
        (Shell::Zsh, "_sshgate"),
        (Shell::Fish, "sshgate.fish"),
    ]
    .into_iter()
    .map(|(shell, file)| {
        let mut command = ::sshgate::cli::command();
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut command, "sshgate", &mut script);
        (file.to_owned(), script)
    })
    .collect()
}

/// The man page directory and completion paths under `/`, as the package
/// installs them; [`deb::check`] expects exactly these.
pub fn installed_paths(pages: &[Generated], policies: &[PathBuf]) -> Vec<String> {
    let mut paths: Vec<String> = pages
        .iter()
        .map(|(file, _)| {
            let section = file.rsplit('.').next().unwrap_or("1");
            format!("usr/share/man/man{section}/{file}.gz")
        })
        .collect();
    paths.extend([
        "usr/bin/sshgate".to_owned(),
        "usr/share/bash-completion/completions/sshgate".to_owned(),
        "usr/share/zsh/vendor-completions/_sshgate".to_owned(),
        "usr/share/fish/vendor_completions.d/sshgate.fish".to_owned(),
    ]);
    paths.extend(policies.iter().filter_map(|policy| {
        let name = policy.file_name()?.to_str()?;
        Some(format!("usr/share/doc/sshgate/examples/{name}"))
    }));
    paths.sort();
    paths
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::process::Command;

    use super::*;

    /// Renders a page as plain text with groff, failing on any warning
    /// (`-ww`): a page man shows garbled is a failure here.
    fn render(name: &str, page: &[u8]) -> String {
        // One directory per page: the tests run in parallel.
        let dir = std::env::temp_dir().join(format!("xtask-man.{}.{name}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        fs::write(&path, page).expect("write page");
        let output = Command::new("groff")
            .args(["-man", "-Tascii", "-P-cbou", "-ww"])
            .arg(&path)
            .output()
            .expect("groff runs (Debian: groff-base)");
        let _ = fs::remove_dir_all(&dir);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stderr.is_empty(),
            "{name}: {stderr}"
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn pages() -> BTreeMap<String, Vec<u8>> {
        man_pages(&workspace_root())
            .expect("pages render")
            .into_iter()
            .collect()
    }

    #[test]
    fn every_command_page_renders_and_names_every_subcommand_and_option() {
        let pages = pages();
        let command = built_command();
        let subcommands: Vec<&clap::Command> = command.get_subcommands().collect();
        // explain, lint and doctor at least: an empty list would pass below.
        assert!(subcommands.len() >= 3, "{subcommands:?}");
        let main = render("sshgate.1", &pages["sshgate.1"]);
        for sub in &subcommands {
            assert!(
                main.contains(&format!("sshgate-{}", sub.get_name())),
                "{main}"
            );
        }
        for command in std::iter::once(&command).chain(subcommands.iter().copied()) {
            let file = format!("{}.1", command.get_display_name().unwrap_or("sshgate"));
            let text = render(&file, &pages[&file]);
            let args: Vec<_> = command.get_arguments().collect();
            assert!(!args.is_empty(), "{file} has options");
            for arg in args {
                if let Some(long) = arg.get_long() {
                    assert!(
                        text.contains(&format!("--{long}")),
                        "{file}: --{long}\n{text}"
                    );
                }
                if let Some(short) = arg.get_short() {
                    assert!(text.contains(&format!("-{short}")), "{file}: -{short}");
                }
                if arg.is_positional() {
                    let name = arg.get_value_names().and_then(|n| n.first().cloned());
                    let name = name.map_or_else(|| arg.get_id().to_string(), |n| n.to_string());
                    assert!(text.contains(&name), "{file}: {name}");
                }
            }
            assert!(text.contains("sshgate-policy(5)"), "{file}: SEE ALSO");
        }
        // Exactly the pages of sshgate and its subcommands, and the policy.
        assert_eq!(pages.len(), subcommands.len() + 2, "{:?}", pages.keys());
    }

    #[test]
    fn the_policy_page_renders_and_documents_every_key() {
        let pages = pages();
        let text = render("sshgate-policy.5", &pages["sshgate-policy.5"]);
        let readme = fs::read_to_string(workspace_root().join("README.md")).expect("README");
        let section = markdown::reference_section(&readme).expect("policy reference");
        for (table, keys) in markdown::documented_keys(&section) {
            for key in keys {
                assert!(text.contains(&key), "sshgate-policy(5) lacks {table}.{key}");
            }
        }
        assert!(text.contains("SANDBOX"), "{text}");
        assert!(text.contains("rsync --server"), "code blocks survive");
    }

    /// The keys the schema accepts in one table, as serde lists them when
    /// refusing an unknown key in `toml` (which puts one there): taken from
    /// the schema itself, not restated here.
    fn schema_keys(toml: &str) -> Vec<String> {
        let error = toml::from_str::<::sshgate::policy::Policy>(toml)
            .expect_err("an unknown key is refused")
            .to_string();
        // "expected one of `a`, `b`, `c`", or "expected `a` or `b`".
        let (_, expected) = error
            .split_once("unknown field `no-such-key`, expected ")
            .unwrap_or_else(|| panic!("serde lists the expected keys: {error}"));
        let expected = expected.trim().trim_start_matches("one of ");
        let mut keys: Vec<String> = expected
            .split(", ")
            .flat_map(|part| part.split(" or "))
            .map(|key| key.trim().trim_matches('`').to_owned())
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn the_policy_reference_lists_exactly_the_keys_the_schema_accepts() {
        let rule = |tool: &str| format!("[[allow]]\nname = \"r\"\n{tool} = {{ no-such-key = 1 }}");
        let tables: Vec<(&str, String)> = vec![
            ("policy", "no-such-key = 1".into()),
            ("sandbox", "[sandbox]\nno-such-key = 1".into()),
            ("allow", "[[allow]]\nno-such-key = 1".into()),
            ("rlimits", "[sandbox.rlimits]\nno-such-key = 1".into()),
            ("network", "[sandbox]\nnetwork = { no-such-key = 1 }".into()),
            ("rsync", rule("rsync")),
            ("scp", rule("scp")),
            ("sftp", rule("sftp")),
            ("git", rule("git")),
            ("borg", rule("borg")),
        ];
        let readme = fs::read_to_string(workspace_root().join("README.md")).expect("README");
        let section = markdown::reference_section(&readme).expect("policy reference");
        let mut documented = markdown::documented_keys(&section);
        for (table, toml) in tables {
            let schema = schema_keys(&toml);
            // More than one, or the error message was not parsed.
            assert!(schema.len() > 1, "{table}: {schema:?}");
            let mut listed = documented.remove(table).unwrap_or_default();
            listed.sort();
            listed.dedup();
            assert_eq!(
                listed, schema,
                "README's policy reference (and so sshgate-policy(5)) vs the schema, table {table}"
            );
        }
        // A table the README documents that the schema does not have.
        assert!(documented.is_empty(), "{documented:?}");
    }

    #[test]
    fn completions_cover_every_subcommand() {
        for (file, script) in completions() {
            let script = String::from_utf8(script).expect("UTF-8");
            // Options without their dashes: fish writes `-l policy-dir`.
            for sub in [
                "explain",
                "lint",
                "doctor",
                "profile",
                "policy-dir",
                "authorized-keys",
            ] {
                assert!(script.contains(sub), "{file} lacks {sub}");
            }
        }
    }

    #[test]
    fn the_bash_completion_is_valid_bash() {
        let (_, script) = completions()
            .into_iter()
            .find(|(file, _)| file == "sshgate")
            .expect("bash completion");
        let mut bash = Command::new("bash")
            .arg("-n")
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("bash runs");
        use std::io::Write;
        bash.stdin
            .take()
            .expect("stdin")
            .write_all(&script)
            .expect("write");
        let output = bash.wait_with_output().expect("bash exits");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    #[test]
    fn installed_paths_put_pages_in_their_sections() {
        let pages = vec![
            ("sshgate.1".to_owned(), vec![]),
            ("sshgate-policy.5".to_owned(), vec![]),
        ];
        let paths = installed_paths(&pages, &[PathBuf::from("policies/demo.toml")]);
        assert!(paths.contains(&"usr/share/man/man1/sshgate.1.gz".to_owned()));
        assert!(paths.contains(&"usr/share/man/man5/sshgate-policy.5.gz".to_owned()));
        assert!(paths.contains(&"usr/share/doc/sshgate/examples/demo.toml".to_owned()));
    }

    #[test]
    fn parses_options() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(Options::parse(&args(&["--check"])).is_ok_and(|o| o.check));
        assert!(Options::parse(&args(&[])).is_ok_and(|o| !o.check));
        assert!(Options::parse(&args(&["--chek"])).is_err());
        let install = Options::parse(&args(&["--install-and-test"])).expect("valid");
        assert!(
            install.install_and_test && install.check,
            "installs only a checked package"
        );
    }
}
