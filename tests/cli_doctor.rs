//! `sshgate doctor`: the host's layers, sshd's configuration and
//! authorized_keys files, judged by the real binary.
//!
//! What the kernel offers is asked of the kernel here too, independently of
//! sshgate, so the expectations hold on any test host; on the reference
//! machine (Linux 6.18, Landlock ABI 7, x32 off) they are the values the
//! report shows.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::gate::{binary, stderr, stdout};
#[cfg(target_arch = "x86_64")]
use common::refuse::{Hidden, hide};
use tempfile::TempDir;

/// An sshd that does not exist, so that the sshd section is skipped and the
/// outcome depends only on what the test sets up.
const NO_SSHD: &str = "/nonexistent/sshd";

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnXn9rD0VhQ8e5FzqB0mJqB1Zq0cP2TtM0bR5mJ3oQx";

fn doctor(args: &[&str]) -> Output {
    Command::new(binary())
        .arg("doctor")
        .args(args)
        .output()
        .expect("run sshgate doctor")
}

fn doctor_json(args: &[&str]) -> (serde_json::Value, Output) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let output = doctor(&all);
    let value =
        serde_json::from_str(&stdout(&output)).expect("doctor --json prints one JSON object");
    (value, output)
}

/// The kernel's Landlock ABI, asked directly; `None` without Landlock.
fn kernel_landlock_abi() -> Option<i64> {
    // SAFETY: with a NULL attribute, size 0 and LANDLOCK_CREATE_RULESET_VERSION
    // (1), the kernel reads no memory and returns the ABI version.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            1u32,
        )
    };
    (abi > 0).then_some(abi)
}

/// Whether the kernel runs x32 syscalls, asked directly with an x32 getpid.
#[cfg(target_arch = "x86_64")]
fn kernel_runs_x32() -> bool {
    // SAFETY: getpid takes no arguments and touches no memory.
    unsafe { libc::syscall(0x4000_0000 | libc::SYS_getpid) > 0 }
}

fn euid() -> u32 {
    // SAFETY: geteuid cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

/// The lines of `output` (stdout) that start with `prefix`.
fn lines_starting(output: &Output, prefix: &str) -> Vec<String> {
    stdout(output)
        .lines()
        .filter(|line| line.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// A fresh 0700 directory under the target dir: not under /tmp, whose
/// mode 1777 sshd's StrictModes (and so doctor) rejects.
fn private_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("sshgate-doctor-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir")
}

fn write_keys(path: &Path, text: &str) {
    fs::write(path, text).expect("write authorized_keys");
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).expect("chmod");
}

#[test]
fn reports_this_hosts_layers_and_can_enforce() {
    let abi = kernel_landlock_abi().expect("the test host has Landlock");
    assert!(
        abi >= 6,
        "the test host must be able to enforce the default policy"
    );
    let output = doctor(&["--sshd", NO_SSHD]);
    let text = stdout(&output);
    assert!(
        text.contains(&format!(
            "\n  OK    Landlock ABI {abi}; the default policy (compat = \"enforce\") needs ABI 6\n"
        )),
        "{text}"
    );
    assert!(text.contains("\n  OK    ABI 6: scopes for signals and abstract unix sockets\n"));
    assert!(
        text.contains("\n  OK    seccomp filters can be installed (tried in a child process)\n")
    );
    #[cfg(target_arch = "x86_64")]
    assert!(
        text.contains(if kernel_runs_x32() {
            "\n  INFO  x32 syscall ABI: enabled in this kernel;"
        } else {
            "\n  OK    x32 syscall ABI: disabled in this kernel (an x32 getpid returned ENOSYS)\n"
        }),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "\n  SKIP  skipped: cannot run {NO_SSHD}: No such file or directory (os error 2)\n"
        )),
        "{text}"
    );
    assert!(text.contains(
        "\nauthorized_keys\n  SKIP  skipped: no file given (name each with --authorized-keys FILE)\n"
    ));
    assert!(
        text.ends_with(
            "\nresult: this host can enforce the default policy; 0 warning(s); exit status 0\n"
        ),
        "{text}"
    );
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
}

#[test]
fn json_has_the_layers() {
    let abi = kernel_landlock_abi().expect("the test host has Landlock");
    let (json, output) = doctor_json(&["--sshd", NO_SSHD]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(json["landlock"]["abi"], abi);
    assert_eq!(json["landlock"]["required_abi"], 6);
    assert_eq!(
        json["landlock"]["missing_for_default_policy"],
        serde_json::json!([])
    );
    assert_eq!(
        json["landlock"]["features"][0]["feature"],
        "filesystem rules"
    );
    assert_eq!(json["landlock"]["features"][0]["available"], true);
    assert_eq!(json["seccomp"]["filter"], true);
    assert_eq!(json["seccomp"]["error"], serde_json::Value::Null);
    #[cfg(target_arch = "x86_64")]
    assert_eq!(
        json["x32"]["abi"],
        if kernel_runs_x32() {
            "enabled"
        } else {
            "disabled"
        }
    );
    assert_eq!(json["capabilities"]["euid"], euid());
    assert_eq!(json["can_enforce_default_policy"], true);
    assert_eq!(json["warnings"], 0);
    assert_eq!(json["exit_status"], 0);
    assert_eq!(json["sshd"]["checked"], false);
    assert_eq!(
        json["sshd"]["skipped"],
        format!("cannot run {NO_SSHD}: No such file or directory (os error 2)")
    );
    assert_eq!(json["sections"][0]["title"], "Landlock");
    assert_eq!(json["sections"][0]["findings"][0]["level"], "ok");
}

/// The keys of the JSON object `value`, as serde_json orders them.
fn keys(value: &serde_json::Value) -> Vec<&str> {
    value
        .as_object()
        .map(|object| object.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The whole shape of `--json`: every object's keys, printed sorted, so
/// that how the report is serialised cannot change it unnoticed.
#[test]
fn json_shape_is_stable() {
    let dir = private_dir();
    let keys_file = dir.path().join("authorized_keys");
    write_keys(
        &keys_file,
        &format!("restrict,command=\"/usr/local/bin/sshgate --profile p\" {KEY}\n"),
    );
    let file = keys_file.display().to_string();
    let missing = dir.path().join("missing").display().to_string();
    let (json, output) = doctor_json(&[
        "--sshd",
        NO_SSHD,
        "--authorized-keys",
        &file,
        "--authorized-keys",
        &missing,
    ]);
    let printed = stdout(&output);
    assert!(
        printed.starts_with("{\"authorized_keys\":[{\"error\":null,\"file\":"),
        "{printed}"
    );
    assert_eq!(
        keys(&json),
        [
            "authorized_keys",
            "can_enforce_default_policy",
            "capabilities",
            "exit_status",
            "landlock",
            "seccomp",
            "sections",
            "sshd",
            "warnings",
            "x32",
        ]
    );
    assert_eq!(
        keys(&json["landlock"]),
        [
            "abi",
            "error",
            "features",
            "missing_for_default_policy",
            "required_abi",
            "unhandled_rights",
        ]
    );
    let features = json["landlock"]["features"]
        .as_array()
        .expect("a list of features");
    assert_eq!(
        keys(&features[0]),
        ["abi", "available", "feature", "needed_by_default_policy"]
    );
    let needed: Vec<(i64, bool)> = features
        .iter()
        .map(|feature| {
            (
                feature["abi"].as_i64().unwrap_or_default(),
                feature["needed_by_default_policy"] == true,
            )
        })
        .collect();
    assert_eq!(
        needed,
        [
            (1, true),
            (2, true),
            (3, true),
            (4, true),
            (5, true),
            (6, true),
            (9, false),
            (10, false),
        ]
    );
    assert_eq!(keys(&json["seccomp"]), ["error", "filter"]);
    assert_eq!(keys(&json["x32"]), ["abi", "detail"]);
    assert_eq!(
        keys(&json["capabilities"]),
        [
            "can_clear_bounding_set",
            "can_switch_user",
            "error",
            "euid",
            "not_permitted",
            "permitted",
        ]
    );
    assert_eq!(
        keys(&json["sshd"]),
        ["binary", "checked", "settings", "skipped"]
    );
    assert_eq!(json["sshd"]["binary"], NO_SSHD);
    assert_eq!(json["sshd"]["settings"], serde_json::json!({}));
    let found = &json["authorized_keys"][0];
    assert_eq!(keys(found), ["error", "file", "keys", "owner"]);
    assert_eq!(keys(&found["owner"]), ["home", "name", "shell", "uid"]);
    assert_eq!(
        keys(&found["keys"][0]),
        [
            "command",
            "invalid",
            "line",
            "restrict",
            "runs_sshgate",
            "still_allowed",
        ]
    );
    let unread = &json["authorized_keys"][1];
    assert_eq!(unread["file"], missing);
    assert_eq!(unread["owner"], serde_json::Value::Null);
    assert_eq!(
        unread["error"],
        "cannot read: No such file or directory (os error 2)"
    );
    assert_eq!(unread["keys"], serde_json::json!([]));
    assert_eq!(keys(&json["sections"][0]), ["findings", "title"]);
    assert_eq!(
        keys(&json["sections"][0]["findings"][0]),
        ["level", "location", "message"]
    );
}

/// (a) sshgate with restrict, (b) without, (c) from= and a command with
/// quoted commas, plus a key that is not sshgate's and one sshd ignores.
fn fixture() -> String {
    format!(
        "# keys of the backup user\n\
         restrict,command=\"/usr/local/bin/sshgate --profile backup --key b01\" {KEY} b01@example\n\
         command=\"/usr/local/bin/sshgate --profile backup --key b02\" {KEY} b02@example\n\
         \n\
         from=\"192.0.2.10,198.51.100.0/24\",command=\"/usr/local/bin/sshgate --profile pg --key a,b\",no-pty {KEY}\n\
         {KEY} admin@example\n\
         restrict,comand=\"/usr/local/bin/sshgate\" {KEY}\n"
    )
}

#[test]
fn authorized_keys_findings_name_file_and_line() {
    let dir = private_dir();
    let ssh = dir.path().join("ssh");
    fs::create_dir(&ssh).expect("mkdir");
    fs::set_permissions(&ssh, fs::Permissions::from_mode(0o700)).expect("chmod");
    let keys = ssh.join("authorized_keys");
    write_keys(&keys, &fixture());
    let file = keys.display().to_string();

    let output = doctor(&["--sshd", NO_SSHD, "--authorized-keys", &file]);
    let key_lines: Vec<String> = stdout(&output)
        .lines()
        .filter(|line| {
            line.split_once(&format!("{file}:"))
                .is_some_and(|(_, rest)| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .map(str::to_owned)
        .collect();
    assert_eq!(
        key_lines,
        [
            format!("  OK    {file}:2: runs sshgate with restrict"),
            format!(
                "  WARN  {file}:3: runs sshgate without restrict: sshd still allows port \
                 forwarding, agent forwarding, X11 forwarding, a pty, ~/.ssh/rc for this key; add \
                 restrict to its options"
            ),
            format!(
                "  WARN  {file}:5: runs sshgate without restrict: sshd still allows port \
                 forwarding, agent forwarding, X11 forwarding, ~/.ssh/rc for this key; add \
                 restrict to its options"
            ),
            format!("  INFO  {file}:6: does not run sshgate (no command=); not checked"),
            format!("  WARN  {file}:7: sshd ignores this line: unknown option \"comand\""),
        ]
    );
    assert!(stdout(&output).contains(&format!("\nauthorized_keys {file}\n")));
    // The file and its directory are private: nothing about them.
    assert!(lines_starting(&output, &format!("  WARN  {}:", ssh.display())).is_empty());
    assert_eq!(output.status.code(), Some(1), "warnings only: exit 1");

    let (json, _) = doctor_json(&["--sshd", NO_SSHD, "--authorized-keys", &file]);
    let file_json = &json["authorized_keys"][0];
    assert_eq!(file_json["file"], file);
    assert_eq!(file_json["owner"]["uid"], euid());
    let keys = &file_json["keys"];
    assert_eq!(keys[0]["line"], 2);
    assert_eq!(keys[0]["restrict"], true);
    assert_eq!(keys[0]["runs_sshgate"], true);
    assert_eq!(keys[0]["still_allowed"], serde_json::json!([]));
    assert_eq!(keys[1]["restrict"], false);
    assert_eq!(
        keys[2]["command"],
        "/usr/local/bin/sshgate --profile pg --key a,b"
    );
    assert_eq!(
        keys[2]["still_allowed"],
        serde_json::json!([
            "port forwarding",
            "agent forwarding",
            "X11 forwarding",
            "~/.ssh/rc"
        ])
    );
    assert_eq!(keys[3]["runs_sshgate"], false);
    assert_eq!(keys[4]["invalid"], "unknown option \"comand\"");
    assert_eq!(json["exit_status"], 1);
}

#[test]
fn a_world_writable_ssh_directory_is_a_warning() {
    let dir = private_dir();
    let ssh = dir.path().join("ssh");
    fs::create_dir(&ssh).expect("mkdir");
    fs::set_permissions(&ssh, fs::Permissions::from_mode(0o777)).expect("chmod");
    let keys = ssh.join("authorized_keys");
    write_keys(
        &keys,
        &format!("restrict,command=\"/usr/local/bin/sshgate --profile p\" {KEY}\n"),
    );
    let real: PathBuf = fs::canonicalize(&ssh).expect("canonical path");

    let output = doctor(&[
        "--sshd",
        NO_SSHD,
        "--authorized-keys",
        &keys.display().to_string(),
    ]);
    assert_eq!(
        lines_starting(&output, &format!("  WARN  {}:", real.display())),
        [format!(
            "  WARN  {}: directory is group- and world-writable (mode 0777): other users can \
             change what sshd reads before the gate runs; sshd's StrictModes refuses the keys",
            real.display()
        )]
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_missing_file_is_a_warning() {
    let dir = private_dir();
    let missing = dir.path().join("authorized_keys");
    let file = missing.display().to_string();
    let output = doctor(&["--sshd", NO_SSHD, "--authorized-keys", &file]);
    assert_eq!(
        lines_starting(&output, &format!("  WARN  {file}")),
        [format!(
            "  WARN  {file}: cannot read: No such file or directory (os error 2)"
        )]
    );
    assert_eq!(output.status.code(), Some(1));
}

/// The real `sshd -T`. Which outcome is right depends on the host, and each
/// is asserted exactly: not root means skipped; root with host keys means
/// the configuration is checked; root without host keys means sshd refuses
/// and the skip says so.
#[test]
fn real_sshd_configuration() {
    let sshd = "/usr/sbin/sshd";
    let (json, output) = doctor_json(&[]);
    let text_output = doctor(&[]);
    let text = stdout(&text_output);
    let host_keys = fs::read_dir("/etc/ssh")
        .map(|entries| {
            entries.filter_map(Result::ok).any(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.starts_with("ssh_host_") && name.ends_with("_key")
            })
        })
        .unwrap_or(false);
    let skipped = &json["sshd"]["skipped"];
    if euid() != 0 {
        assert_eq!(json["sshd"]["checked"], false);
        assert!(
            skipped
                .as_str()
                .is_some_and(|reason| reason.starts_with("not root (uid ")),
            "{skipped}"
        );
    } else if !Path::new(sshd).exists() {
        assert_eq!(
            skipped,
            &format!("cannot run {sshd}: No such file or directory (os error 2)")
        );
    } else if host_keys {
        assert_eq!(json["sshd"]["checked"], true, "sshd -T failed: {skipped}");
        let setting = json["sshd"]["settings"]["permituserenvironment"]
            .as_str()
            .expect("sshd -T prints permituserenvironment");
        let expected = if setting == "no" {
            "\n  OK    PermitUserEnvironment no\n".to_owned()
        } else {
            format!("\n  WARN  PermitUserEnvironment {setting}")
        };
        assert!(text.contains(&expected), "{text}");
        assert!(text.contains(&format!("\nsshd ({sshd} -T; Match blocks not evaluated)\n")));
    } else {
        assert_eq!(json["sshd"]["checked"], false);
        assert!(
            skipped.as_str().is_some_and(|reason| reason
                .starts_with(&format!("`{sshd} -T` failed (exit status: 1): "))
                && reason.ends_with("no hostkeys available -- exiting.")),
            "{skipped}"
        );
    }
    // Either way, sshd's settings never make the host unable to enforce.
    assert_eq!(json["can_enforce_default_policy"], true);
    assert_eq!(
        output.status.code(),
        json["exit_status"].as_i64().map(|c| c as i32)
    );
}

/// Runs doctor with syscall `nr` failing with ENOSYS, as on a kernel built
/// without it: a seccomp filter installed between fork and exec, which the
/// probes' children inherit too.
#[cfg(target_arch = "x86_64")]
fn doctor_without(nr: libc::c_long) -> Output {
    let hidden = Hidden {
        nr,
        arg0: None,
        errno: libc::ENOSYS,
    };
    let mut command = Command::new(binary());
    command.args(["doctor", "--sshd", NO_SSHD]);
    hide(&mut command, &[hidden])
        .output()
        .expect("run sshgate doctor")
}

#[cfg(target_arch = "x86_64")]
#[test]
fn a_kernel_without_landlock_cannot_enforce() {
    let output = doctor_without(libc::SYS_landlock_create_ruleset);
    let text = stdout(&output);
    assert!(
        text.contains(
            "\n  FAIL  no Landlock in this kernel (not built in, or missing from the lsm= boot \
             parameter); the default policy (compat = \"enforce\") needs ABI 6 and denies every \
             request\n"
        ),
        "{text}"
    );
    assert!(text.contains("\n  FAIL  ABI 1: filesystem rules: not in this kernel\n"));
    assert!(text.ends_with(
        "\nresult: this host CANNOT enforce the default policy; 0 warning(s); exit status 71\n"
    ));
    assert_eq!(output.status.code(), Some(71));
}

#[cfg(target_arch = "x86_64")]
#[test]
fn a_kernel_without_seccomp_cannot_enforce() {
    let output = doctor_without(libc::SYS_seccomp);
    let text = stdout(&output);
    assert!(
        text.contains(
            "\n  FAIL  seccomp filters cannot be installed (seccomp(SECCOMP_SET_MODE_FILTER) \
             failed: Function not implemented (os error 38)); the default policy needs them and \
             denies every request\n"
        ),
        "{text}"
    );
    assert_eq!(output.status.code(), Some(71));
}

#[test]
fn help_documents_the_exit_status() {
    let output = doctor(&["--help"]);
    let help = stdout(&output);
    assert_eq!(output.status.code(), Some(0));
    for needle in [
        "--authorized-keys <FILE>",
        "--sshd <PATH>",
        "--json",
        "EXIT STATUS:",
        "    71  this host cannot enforce the default policy",
        "    1   it can be enforced, with warnings",
        "Shells    sshd runs every command as `SHELL -c COMMAND`.",
    ] {
        assert!(help.contains(needle), "missing {needle:?} in:\n{help}");
    }
    let top = stdout(
        &Command::new(binary())
            .arg("--help")
            .output()
            .expect("run sshgate"),
    );
    assert!(
        top.contains("    doctor:  0 can enforce the default policy, no warnings; 1 warnings;")
    );
}

#[test]
fn unknown_options_are_usage_errors() {
    let output = doctor(&["--authorised-keys", "/x"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--authorised-keys"));
}
