//! `sshgate install-key`, run as the real binary against authorized_keys
//! files in temp dirs: the line it writes, the modes and bytes it keeps,
//! what it refuses, and (end to end) that sshd runs the gate through the
//! line it wrote.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::gate::{NOBODY, binary, stderr, stdout, write_private};
use common::sshd::Sshd;
use tempfile::TempDir;

/// A real ed25519 public key (its blob says `ssh-ed25519`).
const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnXn9rD0VhQ8e5FzqB0mJqB1Zq0cP2TtM0bR5mJ3oQx";

/// Another one, for a file that already holds a different key.
const OTHER_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBZsGTZQbKVj+5Isd5/9RQJOXIesmCcYeOO7sgWuJdb";

const POLICY: &str = r#"log = "{log}"

[[allow]]
name = "hello"
command = ["/usr/bin/echo", "hello"]
"#;

/// A temp dir with a policy directory holding profile `backup`, a public
/// key file and a home directory without `.ssh`.
struct Setup {
    _dir: TempDir,
    /// The temp dir, symlinks resolved, as install-key writes paths.
    root: PathBuf,
    policies: PathBuf,
    pubkey: PathBuf,
    home: PathBuf,
}

impl Setup {
    fn new(policy: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("sshgate-install-key.")
            .tempdir()
            .unwrap();
        let root = dir.path().canonicalize().unwrap();
        let policies = root.join("policies");
        fs::create_dir(&policies).unwrap();
        let log = root.join("audit.log");
        write_private(
            &policies.join("backup.toml"),
            &policy.replace("{log}", &log.display().to_string()),
        );
        let pubkey = root.join("b01.pub");
        fs::write(&pubkey, format!("{KEY} b01@client\n")).unwrap();
        let home = root.join("home");
        fs::create_dir(&home).unwrap();
        fs::set_permissions(&home, fs::Permissions::from_mode(0o755)).unwrap();
        Setup {
            _dir: dir,
            root,
            policies,
            pubkey,
            home,
        }
    }

    /// `~/.ssh/authorized_keys` under the temp home.
    fn keys_file(&self) -> PathBuf {
        self.home.join(".ssh/authorized_keys")
    }

    /// Runs `sshgate install-key --policy-dir <policies> ARGS`.
    fn install(&self, args: &[&str]) -> Output {
        self.install_with_stdin(args, None)
    }

    fn install_with_stdin(&self, args: &[&str], input: Option<&[u8]>) -> Output {
        let mut command = Command::new(binary());
        command
            .arg("install-key")
            .arg("--policy-dir")
            .arg(&self.policies)
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("run sshgate install-key");
        if let (Some(input), Some(mut pipe)) = (input, child.stdin.take()) {
            pipe.write_all(input).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    /// Runs `install-key --profile backup EXTRA --authorized-keys FILE PUBKEY`.
    fn add(&self, extra: &[&str], keys_file: &Path, pubkey: &Path) -> Output {
        let mut args = vec!["--profile", "backup"];
        args.extend_from_slice(extra);
        args.extend([
            "--authorized-keys",
            keys_file.to_str().unwrap(),
            pubkey.to_str().unwrap(),
        ]);
        self.install(&args)
    }

    /// The line install-key should write for `key` with `extra` after the
    /// profile (`--policy-dir` and `--key`) and `from` options.
    fn expected_line(&self, extra: &str, from: &str, key: &str) -> String {
        format!(
            "restrict,command=\"{} --profile backup --policy-dir {}{extra}\"{from} {key}",
            sshgate_path(),
            self.policies.display()
        )
    }
}

/// The path install-key names: this binary, symlinks resolved.
fn sshgate_path() -> String {
    fs::canonicalize(binary()).unwrap().display().to_string()
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

/// The names in `dir`, sorted: no temp file may be left behind.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// Asserts a refusal (exit 1) whose stderr contains `message`, and that
/// nothing was printed on stdout.
fn assert_refused(output: &Output, message: &str) {
    assert_exit(output, 1);
    assert!(
        stderr(output).contains(message),
        "stderr lacks {message:?}:\n{}",
        stderr(output)
    );
    assert_eq!(stdout(output), "");
}

#[test]
fn a_fresh_home_gets_ssh_at_0700_and_the_file_at_0600_with_the_exact_line() {
    let setup = Setup::new(POLICY);
    let keys_file = setup.keys_file();
    let output = setup.add(
        &[
            "--key",
            "b01",
            "--from",
            "192.0.2.0/24,2001:db8::/32",
            "--from",
            "198.51.100.7",
        ],
        &keys_file,
        &setup.pubkey,
    );
    assert_exit(&output, 0);
    let line = setup.expected_line(
        " --key b01",
        ",from=\"192.0.2.0/24,2001:db8::/32,198.51.100.7\"",
        &format!("{KEY} b01@client"),
    );
    assert_eq!(fs::read_to_string(&keys_file).unwrap(), format!("{line}\n"));
    assert_eq!(mode(&setup.home.join(".ssh")), 0o700);
    assert_eq!(mode(&keys_file), 0o600);
    assert_eq!(names_in(&setup.home.join(".ssh")), ["authorized_keys"]);
    let out = stdout(&output);
    assert!(
        out.contains(&format!(
            "created {} (mode 0700",
            setup.home.join(".ssh").display()
        )),
        "{out}"
    );
    assert!(out.contains(&format!("\n{line}\n")), "{out}");
    assert!(out.contains("`restrict`"), "{out}");
    assert!(out.contains("sshgate doctor --authorized-keys"), "{out}");
}

#[test]
fn every_other_byte_of_an_existing_file_and_its_mode_are_kept() {
    let setup = Setup::new(POLICY);
    let ssh = setup.home.join(".ssh");
    fs::create_dir(&ssh).unwrap();
    let keys_file = ssh.join("authorized_keys");
    // A comment, a CRLF line, a byte that is not UTF-8, and no newline at
    // the end.
    let old: &[u8] = b"# keys\r\nfrom=\"10.0.0.1\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBZsGTZQbKVj+5Isd5/9RQJOXIesmCcYeOO7sgWuJdb caf\xe9\n\n  # last, unterminated";
    fs::write(&keys_file, old).unwrap();
    fs::set_permissions(&keys_file, fs::Permissions::from_mode(0o640)).unwrap();
    let output = setup.add(&[], &keys_file, &setup.pubkey);
    assert_exit(&output, 0);
    let line = setup.expected_line("", "", &format!("{KEY} b01@client"));
    let mut expected = old.to_vec();
    expected.extend_from_slice(format!("\n{line}\n").as_bytes());
    assert_eq!(fs::read(&keys_file).unwrap(), expected);
    assert_eq!(mode(&keys_file), 0o640);
    assert_eq!(names_in(&ssh), ["authorized_keys"]);
    assert!(
        stdout(&output).starts_with(&format!("added line 5 to {}", keys_file.display())),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_key_already_present_is_refused_naming_its_line() {
    let setup = Setup::new(POLICY);
    let keys_file = setup.root.join("authorized_keys");
    let old =
        format!("# {KEY}\n{OTHER_KEY} other\nno-pty,command=\"/bin/true\" {KEY} old comment\n");
    fs::write(&keys_file, &old).unwrap();
    let output = setup.add(&[], &keys_file, &setup.pubkey);
    assert_refused(
        &output,
        &format!(
            "{}:3: this key is already there with command=\"/bin/true\"",
            keys_file.display()
        ),
    );
    assert_eq!(fs::read_to_string(&keys_file).unwrap(), old);
}

#[test]
fn malformed_keys_are_refused_and_nothing_is_created() {
    let setup = Setup::new(POLICY);
    let keys_file = setup.keys_file();
    let cases = [
        (
            format!("{KEY} a\n{OTHER_KEY} b\n"),
            "holds 2 lines (lines 1, 2)",
        ),
        (
            "ssh-ed448 AAAA c\n".to_owned(),
            "unknown key type \"ssh-ed448\"",
        ),
        (
            format!("{}!{}\n", &KEY[..30], &KEY[31..]),
            "the key is not valid base64",
        ),
        (format!("restrict {KEY}\n"), "starts with options"),
        (
            format!("command=\"/bin/sh\" {KEY}\n"),
            "starts with options; give the bare key",
        ),
        ("\n# nothing here\n".to_owned(), "holds no key"),
    ];
    for (text, message) in cases {
        let pubkey = setup.root.join("bad.pub");
        fs::write(&pubkey, &text).unwrap();
        let output = setup.add(&[], &keys_file, &pubkey);
        assert_refused(&output, &format!("{}: {message}", pubkey.display()));
        assert!(!setup.home.join(".ssh").exists(), "{text:?}");
    }
}

#[test]
fn a_profile_that_does_not_exist_is_refused() {
    let setup = Setup::new(POLICY);
    let output = setup.install(&[
        "--profile",
        "bakup",
        "--authorized-keys",
        setup.keys_file().to_str().unwrap(),
        setup.pubkey.to_str().unwrap(),
    ]);
    assert_refused(
        &output,
        &format!(
            "profile \"bakup\" does not exist: there is no {} (profiles there: backup)",
            setup.policies.join("bakup.toml").display()
        ),
    );
    assert!(!setup.home.join(".ssh").exists());
}

#[test]
fn a_profile_with_lint_errors_is_refused_with_the_findings() {
    let setup = Setup::new(
        r#"log = "{log}"

[[allow]]
name = "relative"
command = ["echo", "hello"]
"#,
    );
    let output = setup.add(&[], &setup.keys_file(), &setup.pubkey);
    let file = setup.policies.join("backup.toml");
    assert_refused(
        &output,
        &format!("profile {} has lint errors", file.display()),
    );
    assert!(
        stderr(&output).contains(&format!("\n  {}:5:", file.display())),
        "the finding is not shown with its location:\n{}",
        stderr(&output)
    );
    assert!(!setup.home.join(".ssh").exists());
}

#[test]
fn the_key_name_must_suit_the_profile_keys() {
    let setup = Setup::new(&format!("keys = [\"b01\"]\n{POLICY}"));
    let keys_file = setup.keys_file();
    let run = |key: Option<&str>| match key {
        Some(key) => setup.add(&["--key", key], &keys_file, &setup.pubkey),
        None => setup.add(&[], &keys_file, &setup.pubkey),
    };
    assert_refused(&run(None), "restricts `keys` (b01)");
    assert_refused(
        &run(Some("b02")),
        "key \"b02\" is not in the `keys` of profile",
    );
    // A name the policy's `keys` could never hold is a usage error.
    let output = run(Some("b 01"));
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("letters, digits and - _ . @ :"),
        "{}",
        stderr(&output)
    );
    assert!(!keys_file.exists());
    assert_exit(&run(Some("b01")), 0);
}

#[test]
fn from_takes_addresses_and_networks_only() {
    let setup = Setup::new(POLICY);
    for from in ["*.example.org", "192.0.2.1/24", "192.0.2.0/33"] {
        let output = setup.add(&["--from", from], &setup.keys_file(), &setup.pubkey);
        assert_exit(&output, 2);
        assert!(stderr(&output).contains(from), "{}", stderr(&output));
    }
    assert!(!setup.home.join(".ssh").exists());
}

#[test]
fn dry_run_prints_the_line_and_writes_nothing() {
    let setup = Setup::new(POLICY);
    let keys_file = setup.keys_file();
    let output = setup.add(&["--key", "b01", "--dry-run"], &keys_file, &setup.pubkey);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        format!(
            "{}\n",
            setup.expected_line(" --key b01", "", &format!("{KEY} b01@client"))
        )
    );
    assert!(!setup.home.join(".ssh").exists());

    // An existing file is left as it is, too.
    let existing = setup.root.join("authorized_keys");
    fs::write(&existing, format!("{OTHER_KEY}\n")).unwrap();
    let output = setup.add(&["--dry-run"], &existing, &setup.pubkey);
    assert_exit(&output, 0);
    assert_eq!(
        fs::read_to_string(&existing).unwrap(),
        format!("{OTHER_KEY}\n")
    );
    assert_eq!(
        names_in(&setup.root),
        ["authorized_keys", "b01.pub", "home", "policies"]
    );
}

#[test]
fn a_symlinked_authorized_keys_is_refused() {
    let setup = Setup::new(POLICY);
    let real = setup.root.join("real_keys");
    fs::write(&real, format!("{OTHER_KEY}\n")).unwrap();
    let link = setup.root.join("authorized_keys");
    symlink(&real, &link).unwrap();
    let output = setup.add(&[], &link, &setup.pubkey);
    assert_refused(
        &output,
        &format!(
            "{} is a symbolic link (to {}); install-key does not write through a symlinked file",
            link.display(),
            real.display()
        ),
    );
    assert_eq!(fs::read_to_string(&real).unwrap(), format!("{OTHER_KEY}\n"));
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_symlinked_ssh_directory_is_refused() {
    let setup = Setup::new(POLICY);
    let elsewhere = setup.root.join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    symlink(&elsewhere, setup.home.join(".ssh")).unwrap();
    let output = setup.add(&[], &setup.keys_file(), &setup.pubkey);
    assert_refused(
        &output,
        &format!("{} is a symbolic link", setup.home.join(".ssh").display()),
    );
    assert!(names_in(&elsewhere).is_empty());
}

#[test]
fn a_dash_reads_the_key_from_standard_input() {
    let setup = Setup::new(POLICY);
    let keys_file = setup.keys_file();
    let output = setup.install_with_stdin(
        &[
            "--profile",
            "backup",
            "--authorized-keys",
            keys_file.to_str().unwrap(),
            "-",
        ],
        Some(format!("{KEY} from-stdin\n").as_bytes()),
    );
    assert_exit(&output, 0);
    assert_eq!(
        fs::read_to_string(&keys_file).unwrap(),
        format!(
            "{}\n",
            setup.expected_line("", "", &format!("{KEY} from-stdin"))
        )
    );
}

#[test]
fn the_sshgate_path_must_be_an_absolute_executable() {
    let setup = Setup::new(POLICY);
    let not_executable = setup.root.join("sshgate");
    fs::write(&not_executable, "").unwrap();
    fs::set_permissions(&not_executable, fs::Permissions::from_mode(0o644)).unwrap();
    let cases = [
        ("target/debug/sshgate", "not an absolute path"),
        (not_executable.to_str().unwrap(), "not executable"),
    ];
    for (path, message) in cases {
        let output = setup.add(&["--sshgate", path], &setup.keys_file(), &setup.pubkey);
        assert_refused(
            &output,
            &format!("cannot put {path} in command=: {message}"),
        );
    }
    assert!(!setup.home.join(".ssh").exists());
}

#[test]
fn a_key_for_another_account_is_owned_by_it_and_needs_root() {
    let setup = Setup::new(POLICY);
    let keys_file = setup.keys_file();
    if nix::unistd::geteuid().is_root() {
        let output = setup.add(&["--user", "nobody"], &keys_file, &setup.pubkey);
        assert_exit(&output, 0);
        for path in [setup.home.join(".ssh"), keys_file] {
            let metadata = fs::metadata(&path).unwrap();
            assert_eq!(
                (metadata.uid(), metadata.gid()),
                (NOBODY, NOBODY),
                "{}",
                path.display()
            );
        }
    } else {
        let output = setup.add(&["--user", "root"], &keys_file, &setup.pubkey);
        assert_refused(
            &output,
            "only root can install a key for another account (\"root\")",
        );
        assert!(!setup.home.join(".ssh").exists());
    }
}

/// End to end: install-key writes sshd's authorized_keys, and a client
/// with that key gets what the profile decides.
#[test]
fn sshd_runs_the_gate_through_the_line_install_key_wrote() {
    let setup = Setup::new(&format!("keys = [\"b01\"]\n{POLICY}"));
    let mut written = String::new();
    let sshd = Sshd::start_with_authorized_keys(|pubkey, authorized_keys| {
        let output = setup.add(
            &["--key", "b01", "--from", "127.0.0.1"],
            authorized_keys,
            pubkey,
        );
        assert_exit(&output, 0);
        written = fs::read_to_string(authorized_keys).unwrap();
    });
    assert!(
        written.starts_with(&setup.expected_line(" --key b01", ",from=\"127.0.0.1\"", "")),
        "{written}"
    );

    let output = sshd.ssh(Some("echo hello"));
    assert_eq!(stdout(&output), "hello\n", "{}", sshd.explain(&output));
    assert_exit(&output, 0);

    let output = sshd.ssh(Some("cat /etc/shadow"));
    assert_eq!(
        stderr(&output),
        "sshgate: denied: no rule allows \"cat /etc/shadow\"\n",
        "{}",
        sshd.explain(&output)
    );
    assert_exit(&output, 77);

    let log = fs::read_to_string(setup.root.join("audit.log")).unwrap();
    let records: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records.len(), 2, "{log}");
    assert_eq!(records[0]["decision"], "allow");
    assert_eq!(records[0]["key"], "b01");
    assert_eq!(records[0]["profile"], "backup");
    assert_eq!(records[1]["decision"], "deny");
}

#[test]
fn help_documents_every_option_the_exit_status_and_an_example() {
    let output = Command::new(binary())
        .args(["install-key", "--help"])
        .output()
        .unwrap();
    assert_exit(&output, 0);
    let help = stdout(&output);
    for needle in [
        "--profile <NAME>",
        "--key <NAME>",
        "--authorized-keys <FILE>",
        "[default: ~/.ssh/authorized_keys of --user",
        "--from <CIDR>",
        "--policy-dir <DIR>",
        "[default: /etc/sshgate]",
        "--user <USER>",
        "--sshgate <PATH>",
        "--dry-run",
        "<PUBKEY_FILE|->",
        "EXIT STATUS:",
        "    74  a file could not be read or written",
        "EXAMPLES:\n    sshgate install-key --profile backup --key b01 b01.pub",
    ] {
        assert!(help.contains(needle), "missing {needle:?} in:\n{help}");
    }
    let top = stdout(&Command::new(binary()).arg("--help").output().unwrap());
    assert!(
        top.contains("    install-key: 0 written (or printed, with --dry-run); 1 refused"),
        "{top}"
    );
}
