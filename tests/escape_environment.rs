//! Escape scenario: the client sets `LD_PRELOAD` so that the allowed
//! command loads the client's library (uploaded earlier, say) and runs its
//! code instead of the command's. It arrives through SSH's environment
//! request (`ssh -o SendEnv=LD_PRELOAD` to an sshd with
//! `AcceptEnv LD_PRELOAD`), or in the gate's own environment however it got
//! there. The gate builds the command's environment from scratch (PATH,
//! HOME, USER, LOGNAME, SHELL, SSH_CONNECTION, SSH_CLIENT and the policy's
//! `env`), so the command never sees it and its loader never runs the
//! library. To show that this is the layer that holds, the policy grants
//! read on the library and write on the marker directory: Landlock would
//! let the library load and record itself.
//!
//! What this cannot cover, and the test shows as its positive control: the
//! variable does reach the gate, and the dynamic loader runs the library in
//! the gate itself (and in the login shell sshd starts it with) before any
//! of its code runs. That is why an sshd in front of sshgate must never
//! accept `LD_*` (or any loader variable) through `AcceptEnv` or
//! `PermitUserEnvironment`.

mod common;

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::gate::{Scenario, binary, forced, stderr, stdout};
use common::probe;
use common::sshd::run_client;
use nix::unistd::{User, geteuid};

const POLICY: &str = r#"
log = "{log}"
[sandbox]
read = ["{dir}/lib"]
write = ["{dir}/marks"]

[[allow]]
name = "probe"
command = ["{probe}"]
trailing_args = true
"#;

/// A library whose constructor appends its process's `argv[0]` to `MARKER`.
const PRELOAD_SOURCE: &str = r#"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

__attribute__((constructor)) static void sshgate_escape_mark(void) {
    char line[4096];
    size_t len = strlen(program_invocation_name);
    if (len > sizeof line - 1) len = sizeof line - 1;
    memcpy(line, program_invocation_name, len);
    line[len] = '\n';
    int fd = open(MARKER, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd >= 0) {
        (void) !write(fd, line, len + 1);
        close(fd);
    }
}
"#;

/// The scenario with the preload library built in `lib/` and an empty,
/// world-writable `marks/` for what it records.
struct Setup {
    scenario: Scenario,
    library: PathBuf,
    marker: PathBuf,
}

impl Setup {
    fn new() -> Self {
        let scenario = probe::scenario(POLICY);
        let lib = scenario.make_dir("lib", 0o755);
        let marks = scenario.make_dir("marks", 0o777);
        let marker = marks.join("loaded");
        let source = lib.join("preload.c");
        let library = lib.join("preload.so");
        fs::write(&source, PRELOAD_SOURCE).unwrap();
        let output = Command::new("cc")
            .args(["-shared", "-fPIC", "-Wall", "-o"])
            .arg(&library)
            .arg(format!("-DMARKER=\"{}\"", marker.display()))
            .arg(&source)
            .output()
            .expect("run cc");
        assert!(output.status.success(), "cc failed: {}", stderr(&output));
        Self {
            scenario,
            library,
            marker,
        }
    }

    /// The programs whose loader ran the library, by `argv[0]`; emptied.
    fn take_marks(&self) -> Vec<String> {
        let text = match fs::read_to_string(&self.marker) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(e) => panic!("cannot read {}: {e}", self.marker.display()),
        };
        let _ = fs::remove_file(&self.marker);
        text.lines().map(str::to_owned).collect()
    }
}

/// Whether `marks` name the probe.
fn probe_loaded(marks: &[String]) -> bool {
    marks
        .iter()
        .any(|mark| mark.ends_with("sshgate-escape-probe"))
}

/// The environment the probe printed, as NAME=VALUE lines.
fn environment(output: &std::process::Output) -> Vec<String> {
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(output));
    stdout(output).lines().map(str::to_owned).collect()
}

#[test]
fn the_library_records_the_probe_when_nothing_stops_it() {
    // Control: the library works, and the probe running it would show.
    let setup = Setup::new();
    let output = Command::new(probe::path())
        .arg("env")
        .env("LD_PRELOAD", &setup.library)
        .output()
        .unwrap();
    let env = environment(&output);
    assert!(
        env.contains(&format!("LD_PRELOAD={}", setup.library.display())),
        "{env:?}"
    );
    assert!(probe_loaded(&setup.take_marks()));
}

#[test]
fn ld_preload_in_the_gates_environment_does_not_reach_the_command() {
    let setup = Setup::new();
    let output = forced(&setup.scenario.policy, Some(&probe::command_line(&["env"])))
        .env("LD_PRELOAD", &setup.library)
        .output()
        .unwrap();
    let env = environment(&output);
    assert!(
        !env.iter().any(|line| line.starts_with("LD_")),
        "the command's environment: {env:?}"
    );
    let marks = setup.take_marks();
    // Positive control: the variable was there; the gate's own loader ran
    // the library (see the doc comment).
    assert!(marks.contains(&binary().to_owned()), "{marks:?}");
    assert!(
        !probe_loaded(&marks),
        "the command loaded the library: {marks:?}"
    );
}

/// An sshd for one connection, in inetd mode behind the client's
/// `ProxyCommand`, that accepts `LD_PRELOAD` from the client: the
/// configuration sshgate must never sit behind, to show what still holds.
struct InetdSshd {
    dir: tempfile::TempDir,
}

impl InetdSshd {
    /// Keys and a config in a temp dir; the client key's only use is
    /// `restrict,command="<forced_command>"`.
    fn new(forced_command: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("sshgate-inetd-sshd.")
            .tempdir()
            .unwrap();
        let root = dir.path();
        keygen(&root.join("host_ed25519"));
        keygen(&root.join("client_ed25519"));
        let pubkey = fs::read_to_string(root.join("client_ed25519.pub")).unwrap();
        assert!(!forced_command.contains('"'), "{forced_command}");
        fs::write(
            root.join("authorized_keys"),
            format!("restrict,command=\"{forced_command}\" {}", pubkey.trim()),
        )
        .unwrap();
        let mut config = format!(
            "HostKey {root}/host_ed25519\n\
             AuthorizedKeysFile {root}/authorized_keys\n\
             PubkeyAuthentication yes\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             UsePAM no\n\
             StrictModes no\n\
             PidFile none\n\
             LogLevel VERBOSE\n\
             AcceptEnv LD_PRELOAD\n",
            root = root.display()
        );
        if geteuid().is_root() {
            config.push_str("PermitRootLogin forced-commands-only\n");
            // sshd insists on its privilege-separation directory.
            let privsep = Path::new("/run/sshd");
            if !privsep.exists() {
                let _ = fs::create_dir_all(privsep);
                let _ = fs::set_permissions(privsep, fs::Permissions::from_mode(0o755));
            }
        }
        fs::write(root.join("sshd_config"), config).unwrap();
        Self { dir }
    }

    /// Runs `ssh` with `remote_command`, sending `LD_PRELOAD=library`.
    fn ssh_sending_ld_preload(&self, library: &Path, remote_command: &str) -> std::process::Output {
        let root = self.dir.path();
        let user = User::from_uid(geteuid()).unwrap().unwrap().name;
        // sshd reads the connection on its stdin; `env -u` so that the only
        // way LD_PRELOAD reaches the session is the protocol's env request.
        let proxy = format!(
            "/usr/bin/env -u LD_PRELOAD /usr/sbin/sshd -i -f {root}/sshd_config -E {root}/sshd.log",
            root = root.display()
        );
        let mut ssh = Command::new("ssh");
        ssh.args(["-F", "/dev/null", "-T", "-i"])
            .arg(root.join("client_ed25519"))
            .args(["-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"])
            .args(["-o", "StrictHostKeyChecking=no", "-o", "LogLevel=ERROR"])
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}/known_hosts", root.display()))
            .arg("-o")
            .arg(format!("ProxyCommand={proxy}"))
            .args(["-o", "SendEnv=LD_PRELOAD", "--"])
            .arg(format!("{user}@sshgate-escape"))
            .arg(remote_command)
            .env("LD_PRELOAD", library);
        run_client(&mut ssh, None)
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }
}

fn keygen(path: &Path) {
    let output = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "sshgate-test", "-f"])
        .arg(path)
        .output()
        .unwrap();
    assert!(output.status.success(), "ssh-keygen: {}", stderr(&output));
}

#[test]
fn ld_preload_sent_through_sshd_does_not_reach_the_command() {
    let setup = Setup::new();
    let sshd = InetdSshd::new(&format!(
        "{} --policy {}",
        binary(),
        setup.scenario.policy.display()
    ));
    let output = sshd.ssh_sending_ld_preload(&setup.library, &probe::command_line(&["env"]));
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}\nsshd log:\n{}",
        stderr(&output),
        sshd.log()
    );
    let env = environment(&output);
    assert!(
        !env.iter().any(|line| line.starts_with("LD_")),
        "the command's environment: {env:?}"
    );
    let marks = setup.take_marks();
    // Positive control: sshd accepted the variable and passed it on; the
    // gate's loader ran the library (see the doc comment).
    assert!(
        marks.contains(&binary().to_owned()),
        "{marks:?}\nsshd log:\n{}",
        sshd.log()
    );
    assert!(
        !probe_loaded(&marks),
        "the command loaded the library: {marks:?}"
    );
}
