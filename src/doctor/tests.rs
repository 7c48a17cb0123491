//! Tests of the judging and assembling parts of doctor, on made-up hosts,
//! sshd configurations and key files.

use std::io;
use std::path::{Path, PathBuf};

use super::sshd_config::{SshdConfig, SshdContext};
use super::*;
use crate::policy::CapabilityName;
use crate::sandbox::{
    CapabilitySupport, HostSupport, LandlockSupport, SeccompProbeError, SeccompSupport, X32Abi,
};

fn host(abi: Option<u32>) -> HostSupport {
    let mut landlock = LandlockSupport {
        abi,
        required_abi: 6,
        missing_for_default_policy: Vec::new(),
        unhandled_rights: None,
        error: None,
    };
    landlock.missing_for_default_policy = landlock
        .features()
        .filter(|(feature, available)| feature.needed_by_default_policy() && !available)
        .map(|(feature, _)| feature.qualified_name)
        .collect();
    let names = |names: &[&str]| -> Vec<CapabilityName> {
        names
            .iter()
            .map(|name| CapabilityName::parse(name).expect("a capability name"))
            .collect()
    };
    HostSupport {
        landlock,
        seccomp: SeccompSupport {
            filter: true,
            error: None,
        },
        x32: X32Abi::Disabled,
        capabilities: CapabilitySupport {
            euid: 0,
            permitted: Ok(names(&["CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID"])),
            known: Ok([
                "CAP_SETGID",
                "CAP_SETPCAP",
                "CAP_SETUID",
                "CAP_SYS_RESOURCE",
            ]
            .map(str::to_owned)
            .to_vec()),
        },
    }
}

fn lines(section: &Section) -> Vec<String> {
    section.findings.iter().map(ToString::to_string).collect()
}

fn report(host: HostSupport, sections: Vec<Section>) -> Report {
    Report {
        host,
        sshd: SshdOutcome::Skipped {
            binary: PathBuf::from(DEFAULT_SSHD),
            reason: SshdSkip::NotRoot { euid: 1000 },
        },
        key_files: Vec::new(),
        sections,
    }
}

#[test]
fn a_kernel_with_abi_7() {
    let host = host(Some(7));
    let sections = host_sections(&host);
    assert_eq!(
        lines(&sections[0]),
        [
            "OK: Landlock ABI 7; the default policy (compat = \"enforce\") needs ABI 6",
            "OK: ABI 1: filesystem rules",
            "OK: ABI 2: control of renames and links across directories (refer)",
            "OK: ABI 3: control of truncate",
            "OK: ABI 4: TCP bind and connect rules",
            "OK: ABI 5: control of device ioctls",
            "OK: ABI 6: scopes for signals and abstract unix sockets",
            "INFO: ABI 9: control of pathname unix sockets: not in this kernel; seccomp's socket \
             rules and file permissions decide which sockets a command reaches",
            "INFO: ABI 10: UDP rules: not in this kernel; seccomp's socket rules decide whether \
             a command may use UDP",
        ]
    );
    assert_eq!(
        lines(&sections[1]),
        [
            "OK: seccomp filters can be installed (tried in a child process)",
            "OK: x32 syscall ABI: disabled in this kernel (an x32 getpid returned ENOSYS)",
        ]
    );
    assert_eq!(
        lines(&sections[2]),
        [
            "OK: can empty the bounding set (CAP_SETPCAP is permitted)",
            "OK: can switch to a policy's user = \"...\" (root, with CAP_SETUID and CAP_SETGID)",
            "INFO: can keep 3 of the kernel's 4 capabilities; a rule that keeps one of the \
             others is denied: CAP_SYS_RESOURCE",
        ]
    );
    assert_eq!(report(host, sections).verdict(), Verdict::Ok);
}

#[test]
fn a_kernel_too_old_for_the_default_policy() {
    let host = host(Some(5));
    let sections = host_sections(&host);
    let landlock = lines(&sections[0]);
    assert_eq!(
        landlock[0],
        "FAIL: Landlock ABI 5; the default policy (compat = \"enforce\") needs ABI 6 and denies \
         every request (compat = \"best-effort\" runs without the missing features)"
    );
    assert!(landlock.contains(
        &"FAIL: ABI 6: scopes for signals and abstract unix sockets: not in this kernel".to_owned()
    ));
    assert_eq!(report(host, sections).verdict(), Verdict::CannotEnforce);
}

#[test]
fn no_landlock_or_no_seccomp() {
    let mut none = host(None);
    assert!(lines(&host_sections(&none)[0])[0].starts_with("FAIL: no Landlock in this kernel"));
    none.landlock = host(Some(7)).landlock;
    none.seccomp = SeccompSupport {
        filter: false,
        error: Some(SeccompProbeError::SetModeFilter(nix::errno::Errno::EINVAL)),
    };
    let sections = host_sections(&none);
    assert_eq!(
        lines(&sections[1])[0],
        "FAIL: seccomp filters cannot be installed (seccomp(SECCOMP_SET_MODE_FILTER) failed: \
         Invalid argument (os error 22)); the default policy needs them and denies every request"
    );
    assert_eq!(report(none, sections).verdict(), Verdict::CannotEnforce);
}

#[test]
fn an_unprivileged_doctor() {
    let mut host = host(Some(7));
    host.capabilities.euid = 1000;
    host.capabilities.permitted = Ok(Vec::new());
    assert_eq!(
        lines(&host_sections(&host)[2]),
        [
            "INFO: cannot empty the bounding set (no CAP_SETPCAP); the gate leaves it, and \
             no_new_privs keeps an exec from gaining anything through it",
            "INFO: cannot switch users (uid 1000 is not root with CAP_SETUID and CAP_SETGID); a \
             rule with user = \"...\" is denied",
            "INFO: holds no capabilities; a rule that keeps any is denied",
        ]
    );
    assert!(matches!(
        run_sshd(Path::new(DEFAULT_SSHD), 1000),
        SshdOutcome::Skipped { reason, .. } if reason.to_string().starts_with("not root (uid 1000)")
    ));
}

#[test]
fn warnings_make_the_verdict() {
    let host = host(Some(7));
    let mut sections = host_sections(&host);
    sections.push(Section {
        title: "x".to_owned(),
        findings: vec![Finding::new(Level::Warn, "w")],
    });
    let report = report(host, sections);
    assert_eq!(report.warnings(), 1);
    assert_eq!(report.verdict(), Verdict::Warnings);
}

const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey";

#[test]
fn keys_are_judged_with_file_and_line() {
    let text = format!(
        "# sshgate keys\n\
         restrict,command=\"/usr/local/bin/sshgate --profile backup --key b01\" {KEY} b01\n\
         command=\"/usr/local/bin/sshgate --profile backup\" {KEY} b02\n\
         from=\"192.0.2.10,198.51.100.0/24\",command=\"/usr/local/bin/sshgate --profile pg --key a,b\",no-pty {KEY}\n\
         restrict,pty,command=\"sshgate\" {KEY}\n\
         no-port-forwarding,no-agent-forwarding,no-x11-forwarding,no-pty,no-user-rc,command=\"sshgate\" {KEY}\n\
         {KEY} admin\n\
         restrict,command=\"/usr/bin/rrsync /srv\" {KEY}\n\
         restirct,command=\"sshgate\" {KEY}\n"
    );
    let (reports, findings) = key_findings("/k", &authorized_keys::parse(&text), false);
    let found: Vec<String> = findings.iter().map(ToString::to_string).collect();
    assert_eq!(
        found,
        [
            "OK: /k:2: runs sshgate with restrict",
            "WARN: /k:3: runs sshgate without restrict: sshd still allows port forwarding, agent \
             forwarding, X11 forwarding, a pty, ~/.ssh/rc for this key; add restrict to its options",
            "WARN: /k:4: runs sshgate without restrict: sshd still allows port forwarding, agent \
             forwarding, X11 forwarding, ~/.ssh/rc for this key; add restrict to its options",
            "WARN: /k:5: runs sshgate with restrict, but turns a pty back on; remove pty",
            "OK: /k:6: runs sshgate with no-port-forwarding, no-agent-forwarding, \
             no-X11-forwarding, no-pty, no-user-rc (what restrict turns off today)",
            "INFO: /k:7: does not run sshgate (no command=); not checked",
            "INFO: /k:8: does not run sshgate (command=\"/usr/bin/rrsync /srv\"); not checked",
            "WARN: /k:9: sshd ignores this line: unknown option \"restirct\"",
        ]
    );
    assert_eq!(
        reports[2].command.as_deref(),
        Some("/usr/local/bin/sshgate --profile pg --key a,b")
    );
    assert!(reports[0].restrict && reports[0].runs_sshgate);
    assert_eq!(reports[3].still_allowed, ["a pty"]);
}

#[test]
fn force_command_gates_every_key() {
    let entries = authorized_keys::parse(&format!("{KEY}\n"));
    let (reports, findings) = key_findings("/k", &entries, true);
    assert!(reports[0].runs_sshgate);
    assert!(
        findings[0]
            .to_string()
            .starts_with("WARN: /k:1: runs sshgate through ForceCommand without restrict")
    );
}

#[test]
fn sshd_sections() {
    let skipped = SshdOutcome::Skipped {
        binary: PathBuf::from("/nowhere/sshd"),
        reason: SshdSkip::CannotRun {
            binary: PathBuf::from("/nowhere/sshd"),
            source: io::Error::from_raw_os_error(libc::ENOENT),
        },
    };
    let section = sshd_section(&skipped, SshdContext::default(), || {
        unreachable!("PAM is not read when sshd was not")
    });
    assert_eq!(section.title, "sshd (/nowhere/sshd -T)");
    assert_eq!(
        lines(&section),
        ["SKIP: skipped: cannot run /nowhere/sshd: No such file or directory (os error 2)"]
    );

    let checked = SshdOutcome::Checked {
        binary: PathBuf::from(DEFAULT_SSHD),
        config: SshdConfig::parse("port 22\nusepam yes\npermituserenvironment yes\n"),
    };
    let section = sshd_section(&checked, SshdContext::default(), || {
        Ok("session required pam_env.so user_readenv=1\n".to_owned())
    });
    let found = lines(&section);
    assert!(found[0].starts_with("WARN: PermitUserEnvironment yes: "));
    assert!(found.last().is_some_and(|line| {
        line.starts_with("WARN: /etc/pam.d/sshd:1: pam_env.so user_readenv=1")
    }));
}
