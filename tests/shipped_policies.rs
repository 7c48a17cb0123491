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
        "backup-pull.toml",
        Some("192.0.2.10"),
        Some("backup01"),
        "rsync --server --sender -logDtpre.iLsfxCIvu . /srv/",
        Some("pull-srv"),
    ),
    (
        "backup-pull.toml",
        Some("192.0.2.11"),
        Some("backup01"),
        "rsync --server --sender -logDtpre.iLsfxCIvu . /srv/",
        None,
    ),
    (
        "backup-pull.toml",
        Some("192.0.2.10"),
        Some("backup01"),
        "rsync --server -logDtpre.iLsfxCIvu . /srv/",
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
