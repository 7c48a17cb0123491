//! Every profile shipped in `policies/` passes lint and decides as its
//! comments say.

use std::path::Path;
use std::process::Command;

fn sshgate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sshgate"))
}

fn policies_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/policies"))
}

#[test]
fn every_shipped_policy_passes_lint() {
    let output = sshgate().arg("lint").arg(policies_dir()).output().unwrap();
    let findings = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{findings}");
    assert!(
        !findings.contains(": error:"),
        "shipped policies have errors:\n{findings}"
    );
    let summary = String::from_utf8_lossy(&output.stderr);
    let count = std::fs::read_dir(policies_dir()).unwrap().count();
    assert!(
        summary.contains(&format!("{count} file(s) checked, 0 error(s)")),
        "{summary}"
    );
}

/// `(policy, --from, --key, command, expected rule or None for a denial)`.
type Case = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
);

const CASES: &[Case] = &[
    (
        "demo.toml",
        None,
        None,
        "rsync --server --sender -logDtpre.iLsfxCIvu . /usr/share/doc/rsync/",
        Some("pull-rsync-docs"),
    ),
    (
        "demo.toml",
        None,
        None,
        "rsync --server -logDtpre.iLsfxCIvu . /usr/share/doc/rsync/",
        None,
    ),
    ("demo.toml", None, None, "df -h", Some("disk-free")),
    ("demo.toml", None, None, "cat /etc/shadow", None),
    (
        "rsync-pull-backup.toml",
        Some("192.0.2.10"),
        Some("backup01"),
        "rsync --server --sender -logDtpre.iLsfxCIvu . /srv/",
        Some("pull"),
    ),
    (
        "rsync-pull-backup.toml",
        Some("192.0.2.11"),
        Some("backup01"),
        "rsync --server --sender -logDtpre.iLsfxCIvu . /srv/",
        None,
    ),
    (
        "rsync-pull-backup.toml",
        Some("192.0.2.10"),
        Some("backup01"),
        "rsync --server -logDtpre.iLsfxCIvu . /srv/",
        None,
    ),
    (
        "rsync-pull-backup.toml",
        Some("192.0.2.10"),
        Some("backup01"),
        "rsync --server --sender -logDtpre.iLsfxCIvu . /etc/ssh/",
        Some("pull"),
    ),
    (
        "rsync-pull-backup.toml",
        Some("192.0.2.10"),
        Some("backup01"),
        "rsync --server --sender -logDtpre.iLsfxCIvu . /root/",
        None,
    ),
    (
        "rsync-push-incoming.toml",
        Some("192.0.2.20"),
        Some("web01"),
        "rsync --server --sender -logDtpre.iLsfxCIvu . /srv/incoming/web01/",
        None,
    ),
    (
        "git-mirror-readonly.toml",
        None,
        Some("mirror01"),
        "git-upload-pack '/srv/git/project.git'",
        Some("mirror-fetch"),
    ),
    (
        "git-mirror-readonly.toml",
        None,
        Some("mirror01"),
        "git-upload-pack '/srv/git/website'",
        Some("mirror-fetch"),
    ),
    (
        "git-mirror-readonly.toml",
        None,
        Some("mirror01"),
        "git-receive-pack '/srv/git/project.git'",
        None,
    ),
    (
        "git-mirror-readonly.toml",
        None,
        Some("mirror01"),
        "git-upload-pack '/srv/git/other.git'",
        None,
    ),
    (
        "git-mirror-readonly.toml",
        None,
        Some("other"),
        "git-upload-pack '/srv/git/project.git'",
        None,
    ),
    (
        "monitoring.toml",
        Some("192.0.2.53"),
        Some("nagios01"),
        "df -h",
        Some("disk-free"),
    ),
    (
        "monitoring.toml",
        Some("192.0.2.53"),
        Some("nagios01"),
        "df -h /var",
        Some("disk-free-one-mount"),
    ),
    (
        "monitoring.toml",
        Some("192.0.2.53"),
        Some("nagios01"),
        "cat /proc/loadavg",
        Some("load-and-memory"),
    ),
    (
        "monitoring.toml",
        Some("192.0.2.53"),
        Some("nagios01"),
        "cat /proc/self/environ",
        None,
    ),
    (
        "monitoring.toml",
        Some("192.0.2.53"),
        Some("nagios01"),
        "uname -a",
        Some("kernel"),
    ),
    (
        "monitoring.toml",
        Some("192.0.2.53"),
        Some("other"),
        "uname -a",
        None,
    ),
    (
        "scp-download.toml",
        None,
        None,
        "scp -f /srv/export/report.pdf",
        Some("scp-download"),
    ),
    (
        "scp-download.toml",
        None,
        None,
        "scp -r -f /srv/export/reports",
        Some("scp-download"),
    ),
    ("scp-download.toml", None, None, "scp -t /srv/export", None),
    (
        "scp-download.toml",
        None,
        None,
        "scp -p -f /srv/export/report.pdf",
        None,
    ),
    ("scp-download.toml", None, None, "scp -f /etc/shadow", None),
    (
        "sftp-readonly.toml",
        None,
        None,
        "/usr/lib/openssh/sftp-server",
        Some("sftp-read"),
    ),
    (
        "sftp-readonly.toml",
        None,
        None,
        "internal-sftp",
        Some("sftp-read"),
    ),
    (
        "sftp-readonly.toml",
        None,
        None,
        "/usr/lib/openssh/sftp-server -d /",
        None,
    ),
    (
        "sftp-dropbox.toml",
        None,
        None,
        "/usr/lib/openssh/sftp-server",
        Some("sftp-dropbox"),
    ),
    (
        "sftp-dropbox.toml",
        None,
        None,
        "internal-sftp -P write",
        None,
    ),
    (
        "borg-append-only.toml",
        None,
        Some("host1"),
        "borg serve --info",
        Some("borg-host1"),
    ),
    (
        "borg-append-only.toml",
        None,
        Some("other"),
        "borg serve --info",
        None,
    ),
    (
        "borg-append-only.toml",
        None,
        Some("host1"),
        "borg serve --restrict-to-path=/",
        None,
    ),
    (
        "borg-append-only.toml",
        None,
        Some("host1"),
        "borg list /srv/borg/host1",
        None,
    ),
];

#[test]
fn every_shipped_policy_decides_as_documented() {
    let mut exercised = std::collections::BTreeSet::new();
    for (policy, from, key, command, expected) in CASES {
        let mut cmd = sshgate();
        cmd.arg("explain")
            .arg("--json")
            .arg("--policy")
            .arg(policies_dir().join(policy));
        if let Some(from) = from {
            cmd.args(["--from", from]);
        }
        if let Some(key) = key {
            cmd.args(["--key", key]);
        }
        let output = cmd.arg("--").arg(command).output().unwrap();
        let value: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("{policy}: {}", String::from_utf8_lossy(&output.stderr)));
        // The rule is what the policy decides; whether its sandbox paths
        // exist (e.g. /srv) depends on the host, and explain reports both.
        let rule = value["rule"].as_str();
        assert_eq!(rule, *expected, "{policy} {command:?}: {value}");
        exercised.insert(*policy);
    }
    let shipped: std::collections::BTreeSet<String> = std::fs::read_dir(policies_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let exercised: std::collections::BTreeSet<String> =
        exercised.into_iter().map(str::to_owned).collect();
    assert_eq!(shipped, exercised, "every shipped policy needs cases here");
}

/// Runs `command` through forced-command mode on a shipped policy, with its
/// `log` redirected into a private temp dir.
fn run_shipped(policy: &str, from: &str, key: Option<&str>, command: &str) -> std::process::Output {
    let text = std::fs::read_to_string(policies_dir().join(policy)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let text: String = text
        .lines()
        .map(|line| {
            if line.starts_with("log = ") {
                format!("log = \"{}\"\n", log.display())
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    let file = dir.path().join(policy);
    std::fs::write(&file, text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut gate = sshgate();
    gate.arg("--policy").arg(&file);
    if let Some(key) = key {
        gate.args(["--key", key]);
    }
    let output = gate
        .env_clear()
        .env("SSH_CONNECTION", format!("{from} 40000 192.0.2.1 22"))
        .env("SSH_ORIGINAL_COMMAND", command)
        .output()
        .unwrap();
    assert!(log.exists(), "{policy}: no audit record");
    output
}

#[test]
fn the_demo_policy_really_runs_its_rules() {
    let df = run_shipped("demo.toml", "127.0.0.1", None, "df -h");
    let stdout = String::from_utf8_lossy(&df.stdout);
    assert_eq!(
        df.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&df.stderr)
    );
    assert!(stdout.starts_with("Filesystem"), "{stdout}");
    let shadow = run_shipped("demo.toml", "127.0.0.1", None, "cat /etc/shadow");
    assert_eq!(shadow.status.code(), Some(77));
}

#[test]
fn the_monitoring_policy_really_runs_its_rules() {
    let run = |command| run_shipped("monitoring.toml", "192.0.2.53", Some("nagios01"), command);
    for (command, first_line_starts) in [
        ("df -h", "Filesystem"),
        ("df -h /", "Filesystem"),
        ("cat /proc/loadavg", ""),
        ("cat /proc/meminfo", "MemTotal:"),
        ("uname -a", "Linux"),
    ] {
        let output = run(command);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{command}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !stdout.is_empty() && stdout.starts_with(first_line_starts),
            "{command}: {stdout}"
        );
    }
    let environ = run("cat /proc/self/environ");
    assert_eq!(environ.status.code(), Some(77));
}
