//! The command's environment is built from scratch, and it inherits no
//! file descriptor but 0, 1 and 2.

mod common;

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;

use common::gate::{Scenario, forced, stderr, stdout};

const POLICY: &str = r#"
log = "{log}"
[sandbox]
read = ["/proc"]
env = { LANG = "C.UTF-8" }
chdir = "/usr"

[[allow]]
name = "env"
command = ["/usr/bin/env"]

[[allow]]
name = "fds"
command = ["/usr/bin/ls", "/proc/self/fd"]

[[allow]]
name = "pwd"
command = ["/usr/bin/pwd"]
"#;

#[test]
fn the_environment_is_built_not_inherited() {
    let scenario = Scenario::new(POLICY);
    let output = forced(&scenario.policy, Some("env"))
        .env("LD_PRELOAD", "/tmp/evil.so")
        .env("BASH_ENV", "/tmp/evil.sh")
        .env("SECRET_TOKEN", "hunter2")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let user = nix::unistd::User::from_uid(nix::unistd::getuid())
        .unwrap()
        .unwrap();
    let expected = format!(
        "HOME={}\nLANG=C.UTF-8\nLOGNAME={name}\nPATH=/usr/local/bin:/usr/bin:/bin\nSHELL={}\nSSH_CLIENT=192.0.2.10 50022 22\nSSH_CONNECTION=192.0.2.10 50022 192.0.2.1 22\nUSER={name}\n",
        user.dir.display(),
        user.shell.display(),
        name = user.name
    );
    assert_eq!(stdout(&output), expected);
}

#[test]
fn descriptors_above_two_are_closed() {
    let scenario = Scenario::new(POLICY);
    let leaked = File::open("/etc/hostname").unwrap();
    let leaked_fd = leaked.as_raw_fd();
    let mut command = forced(&scenario.policy, Some("ls /proc/self/fd"));
    // SAFETY: dup2 is async-signal-safe; this hands fd 9 to the gate
    // without O_CLOEXEC, as a careless parent might.
    unsafe {
        command.pre_exec(move || {
            if libc::dup2(leaked_fd, 9) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    // ls itself holds fd 3 open on the directory it lists.
    assert_eq!(stdout(&output), "0\n1\n2\n3\n");
}

#[test]
fn the_command_starts_in_the_policy_chdir() {
    let scenario = Scenario::new(POLICY);
    let output = scenario.run(Some("pwd"));
    assert_eq!(stdout(&output), "/usr\n", "stderr: {}", stderr(&output));
}
