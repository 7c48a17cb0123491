//! Running the built sshgate binary the way sshd would.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use tempfile::TempDir;

/// Exit status of a denial at the sandbox stage (documented as 71).
pub const SANDBOX_DENIED: i32 = 71;

/// Exit status of a policy that could not be loaded (documented as 78).
pub const CONFIG_DENIED: i32 = 78;

/// A temp dir holding one policy file and its audit log.
pub struct Scenario {
    /// The temp dir; removed on drop.
    pub dir: TempDir,
    /// The policy file.
    pub policy: PathBuf,
    /// The audit log that `log = ...` in the policy points at.
    pub log: PathBuf,
}

impl Scenario {
    /// Writes `policy` (with `{dir}` replaced by the temp dir and `{log}`
    /// by the audit log path) as a 0600 file in a fresh 0700 temp dir.
    pub fn new(policy: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("sshgate-test-")
            .tempdir()
            .expect("temp dir");
        let log = dir.path().join("audit.log");
        let text = policy
            .replace("{dir}", &dir.path().display().to_string())
            .replace("{log}", &log.display().to_string());
        let policy = dir.path().join("policy.toml");
        write_private(&policy, &text);
        Self { dir, policy, log }
    }

    /// Creates the directory `name` in the temp dir with exactly `mode`
    /// (whatever the umask) and returns its path.
    pub fn make_dir(&self, name: &str, mode: u32) -> PathBuf {
        let path = self.path(name);
        fs::create_dir(&path).expect("create dir");
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }

    /// A path inside the temp dir.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs sshgate in forced-command mode on this policy with `command` as
    /// `SSH_ORIGINAL_COMMAND`.
    pub fn run(&self, command: Option<&str>) -> Output {
        forced(&self.policy, command).output().expect("run sshgate")
    }

    /// The audit log's records, parsed.
    pub fn records(&self) -> Vec<serde_json::Value> {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .map(|line| serde_json::from_str(line).expect("audit line is JSON"))
            .collect()
    }
}

/// Writes `text` to `path` with mode 0600, as the gate requires of policies.
pub fn write_private(path: &Path, text: &str) {
    fs::write(path, text).expect("write file");
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).expect("chmod");
}

/// The sshgate binary under test: the one cargo built, unless
/// `SSHGATE_TEST_BINARY` names another (`cargo xtask dist
/// --install-and-test` runs the end-to-end tests this way against the
/// packaged `/usr/bin/sshgate`).
pub fn binary() -> &'static str {
    static BINARY: OnceLock<String> = OnceLock::new();
    BINARY.get_or_init(|| match std::env::var("SSHGATE_TEST_BINARY") {
        Ok(path) => {
            // Relative, it would be looked up in PATH by sshd's shell.
            assert!(
                Path::new(&path).is_absolute(),
                "SSHGATE_TEST_BINARY must be an absolute path, not {path:?}"
            );
            path
        }
        Err(_) => env!("CARGO_BIN_EXE_sshgate").to_owned(),
    })
}

/// sshgate in forced-command mode, with the environment sshd would give it
/// (and nothing from the test runner's).
pub fn forced(policy: &Path, command: Option<&str>) -> Command {
    let mut cmd = Command::new(binary());
    cmd.arg("--policy").arg(policy);
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("SSH_CONNECTION", "192.0.2.10 50022 192.0.2.1 22")
        .env("SSH_CLIENT", "192.0.2.10 50022 22");
    if let Some(command) = command {
        cmd.env("SSH_ORIGINAL_COMMAND", command);
    }
    cmd
}

/// stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The value of `field` (e.g. `CapEff`, `Uid`, `Umask`) in a
/// `/proc/<pid>/status` text: what follows `field:` and its tab.
pub fn status_field<'a>(status: &'a str, field: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(":\t"))
}

/// Asserts that `output` is a denial with exit `code` and exactly the
/// stderr line `sshgate: denied: <reason>`.
pub fn assert_denied(output: &Output, code: i32, reason: &str) {
    assert_eq!(
        stderr(output),
        format!("sshgate: denied: {reason}\n"),
        "stderr of a denial (exit {:?})",
        output.status.code()
    );
    assert_eq!(output.status.code(), Some(code), "exit code of a denial");
    assert!(
        output.stdout.is_empty(),
        "a denial printed on stdout: {}",
        stdout(output)
    );
}

/// Asserts that `output` is a denial for a policy that could not be
/// loaded: exit 78, nothing on stdout, and a stderr line starting
/// `sshgate: denied: <reason_start>`. A prefix, because such a denial goes
/// to the system log, and where none is reachable the line says so too.
pub fn assert_config_denial(output: &Output, reason_start: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(CONFIG_DENIED), "{err}");
    assert!(
        err.starts_with(&format!("sshgate: denied: {reason_start}")),
        "expected {reason_start:?}, got {err:?}"
    );
    assert!(output.stdout.is_empty());
}

/// Copies the program `from` to `to` with `cp`, so that this process never
/// holds `to` open for writing: a child another test thread forks meanwhile
/// would inherit that descriptor until its exec, and executing `to` in that
/// window fails with ETXTBSY.
pub fn copy_executable(from: &Path, to: &Path) {
    let output = Command::new("/usr/bin/cp")
        .arg("--")
        .arg(from)
        .arg(to)
        .output()
        .expect("run cp");
    assert!(
        output.status.success(),
        "cp {} {} failed: {}",
        from.display(),
        to.display(),
        stderr(&output)
    );
}

/// nobody's uid and gid on Debian.
pub const NOBODY: u32 = 65534;

/// An account that is not root for a rule's `user`: nobody when the tests
/// run as root, the tests' own user otherwise (a switch to oneself).
pub fn unprivileged_account() -> String {
    if nix::unistd::geteuid().is_root() {
        return "nobody".to_owned();
    }
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .expect("look up the test user")
        .expect("the test user exists")
        .name
}

/// When the tests run as root, hands `dir` to nobody and opens its parent
/// to others, so that a command switched to [`unprivileged_account`] can
/// write into it.
pub fn hand_to_unprivileged_account(dir: &Path) {
    if !nix::unistd::geteuid().is_root() {
        return;
    }
    let nobody = (
        Some(nix::unistd::Uid::from_raw(NOBODY)),
        Some(nix::unistd::Gid::from_raw(NOBODY)),
    );
    nix::unistd::chown(dir, nobody.0, nobody.1).expect("chown to nobody");
    let parent = dir.parent().expect("a directory below the scenario");
    fs::set_permissions(parent, fs::Permissions::from_mode(0o755)).expect("open the parent");
}
