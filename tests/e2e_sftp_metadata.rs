//! End to end, the escape a hostile review found: a root key allowed only
//! the stock `sftp-server`, with one writable directory. Through a real
//! sshd and the real sftp client, `chmod 4755` of a root-owned file
//! outside every grant made it a setuid-root program before seccomp
//! refused metadata changes by path. Now each such request fails, the
//! file keeps its mode, and uploading into the grant still works.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use common::gate::Scenario;
use common::sshd::{SFTP_SERVER, Sshd, run_client};

const POLICY: &str = r#"log = "{log}"
[sandbox]
write = ["{dir}/incoming"]
chdir = "{dir}/incoming"

[[allow]]
name = "sftp"
command = ["/usr/lib/openssh/sftp-server"]
"#;

fn sftp(sshd: &Sshd, batch: &str) -> Output {
    let mut sftp = Command::new("sftp");
    sftp.arg("-P")
        .arg(sshd.port().to_string())
        .args(sshd.ssh_options())
        .args(["-b", "-"])
        .arg(sshd.host());
    run_client(&mut sftp, Some(batch.as_bytes()))
}

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn sftp_cannot_change_the_mode_of_a_file_outside_its_grant() {
    assert_eq!(SFTP_SERVER, "/usr/lib/openssh/sftp-server");
    let scenario = Scenario::new(POLICY);
    fs::create_dir(scenario.path("incoming")).unwrap();
    let outside = scenario.path("outside-tool");
    fs::copy("/usr/bin/true", &outside).unwrap();
    fs::set_permissions(&outside, fs::Permissions::from_mode(0o755)).unwrap();
    let upload = scenario.path("upload.txt");
    fs::write(&upload, "uploaded\n").unwrap();
    let sshd = Sshd::start_gate(&scenario.policy);

    let output = sftp(
        &sshd,
        &format!(
            "-chmod 4755 {outside}\n-chmod 0777 {outside}\nput {upload} {incoming}/upload.txt\n",
            outside = outside.display(),
            upload = upload.display(),
            incoming = scenario.path("incoming").display(),
        ),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stderr}\n{}",
        sshd.sshd_log()
    );
    // sftp-server reports seccomp's EPERM as "Permission denied".
    let refused = format!(
        "remote setstat \"{}\": Permission denied\r\n",
        outside.display()
    );
    assert_eq!(stderr, refused.repeat(2), "both chmods refused");
    assert_eq!(mode(&outside), 0o755, "the mode changed");
    assert_eq!(
        fs::read_to_string(scenario.path("incoming/upload.txt")).unwrap(),
        "uploaded\n"
    );
    let records = scenario.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["rule"], "sftp");
    assert_eq!(records[0]["applied"]["seccomp"], "installed");
}
