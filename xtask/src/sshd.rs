//! A throwaway real sshd for the demo and the benchmark, set up like the
//! integration tests' harness (`tests/common/sshd.rs`): loopback, a free high
//! port, fresh ed25519 keys, each authorized key with its forced command.
//!
//! The two are separate copies on purpose: test helpers cannot be shared with
//! a binary crate without a library just for this, and the copy is small.

use std::fs::{self, File};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::process::{effective_uid, quote, user_name};

/// sshd must be started by absolute path; it re-executes itself.
const SSHD: &str = "/usr/sbin/sshd";
/// Privilege-separation directory sshd requires when started as root.
const PRIVSEP_DIR: &str = "/run/sshd";
/// How long sshd may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Fresh ports to try if another process takes ours before sshd binds it.
const START_ATTEMPTS: usize = 5;

/// A running sshd; dropping it kills it. Its files live in the caller's dir.
pub struct Sshd {
    child: Child,
    port: u16,
    host: String,
    keys: Vec<PathBuf>,
    known_hosts: PathBuf,
    log: PathBuf,
}

impl Sshd {
    /// Starts sshd on 127.0.0.1 with its keys, config and log in `dir`, and
    /// `forced_command` (a `sh` command line) on the one client key.
    pub fn start(dir: &Path, forced_command: &str) -> Result<Sshd, Error> {
        Sshd::start_with_keys(dir, &[forced_command])
    }

    /// Like [`Sshd::start`], with one client key per forced command, in the
    /// same order in [`Sshd::keys`].
    pub fn start_with_keys(dir: &Path, forced_commands: &[&str]) -> Result<Sshd, Error> {
        Sshd::start_with_keys_and_config(dir, forced_commands, "")
    }

    /// Like [`Sshd::start_with_keys`], with `extra_config` appended to
    /// sshd_config (such as `MaxStartups 400` for bursts of connections).
    /// sshd takes the first value it reads for a keyword, so these lines
    /// cannot change what the base config sets.
    pub fn start_with_keys_and_config(
        dir: &Path,
        forced_commands: &[&str],
        extra_config: &str,
    ) -> Result<Sshd, Error> {
        let host_key = dir.join("ssh_host_ed25519_key");
        keygen(&host_key)?;
        let mut keys = Vec::new();
        let mut authorized = String::new();
        for (index, forced_command) in forced_commands.iter().enumerate() {
            let key = dir.join(format!("client{index}_ed25519"));
            keygen(&key)?;
            let pubkey_path = dir.join(format!("client{index}_ed25519.pub"));
            let pubkey = fs::read_to_string(&pubkey_path)
                .map_err(Error::io(format!("read {}", pubkey_path.display())))?;
            // sshd's `command="..."` knows one escape, `\"`; backslashes are
            // kept as they are, so only quotes need escaping.
            if forced_command.ends_with('\\') || forced_command.contains('\n') {
                return Err(Error::Setup(format!(
                    "cannot put {forced_command:?} in authorized_keys"
                )));
            }
            authorized.push_str(&format!(
                "restrict,command=\"{}\" {}\n",
                forced_command.replace('"', "\\\""),
                pubkey.trim()
            ));
            keys.push(key);
        }
        let authorized_keys = dir.join("authorized_keys");
        write(&authorized_keys, &authorized)?;

        let is_root = effective_uid()? == 0;
        if is_root {
            ensure_privsep_dir()?;
        }
        let host = format!("{}@127.0.0.1", user_name()?);
        let config = dir.join("sshd_config");
        let log = dir.join("sshd.log");

        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            let mut text = format!(
                "ListenAddress 127.0.0.1\nPort {port}\nHostKey \"{}\"\n\
                 AuthorizedKeysFile \"{}\"\nPubkeyAuthentication yes\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 UsePAM no\nStrictModes no\nPidFile none\nPrintMotd no\n\
                 PrintLastLog no\nSubsystem sftp /usr/lib/openssh/sftp-server\n\
                 LogLevel VERBOSE\n",
                host_key.display(),
                authorized_keys.display()
            );
            if is_root {
                text.push_str("PermitRootLogin forced-commands-only\n");
            }
            text.push_str(extra_config);
            if !text.ends_with('\n') {
                text.push('\n');
            }
            write(&config, &text)?;
            // Truncated per attempt, so an old bind error is not misread.
            let log_file =
                File::create(&log).map_err(Error::io(format!("create {}", log.display())))?;
            let child = Command::new(SSHD)
                .arg("-D")
                .arg("-e")
                .arg("-f")
                .arg(&config)
                .arg("-E")
                .arg(&log)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                // Errors from before sshd opens its -E log land there too.
                .stderr(log_file)
                .spawn()
                .map_err(Error::io(format!("run {SSHD}")))?;
            if let Some(child) = wait_until_listening(child, port, &log)? {
                return Ok(Sshd {
                    child,
                    port,
                    host,
                    keys,
                    known_hosts: dir.join("known_hosts"),
                    log,
                });
            }
        }
        Err(Error::Sshd {
            reason: format!("could not bind a free port in {START_ATTEMPTS} attempts"),
            log: read_lossy(&log),
        })
    }

    /// The listener's process id: every connection's sshd is its child.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `USER@127.0.0.1`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The client keys, one per forced command, in the order given.
    pub fn keys(&self) -> &[PathBuf] {
        &self.keys
    }

    /// The client options, port and first key included, for `ssh`.
    pub fn ssh_args(&self) -> Vec<String> {
        self.keys
            .first()
            .map(|key| self.ssh_args_with_key(key))
            .unwrap_or_default()
    }

    /// The client options, port included, for `ssh` with `key`.
    pub fn ssh_args_with_key(&self, key: &Path) -> Vec<String> {
        vec![
            "-F".into(),
            "/dev/null".into(),
            "-i".into(),
            key.display().to_string(),
            "-p".into(),
            self.port.to_string(),
            "-o".into(),
            "IdentitiesOnly=yes".into(),
            "-o".into(),
            "BatchMode=yes".into(),
            "-o".into(),
            "StrictHostKeyChecking=no".into(),
            "-o".into(),
            format!("UserKnownHostsFile={}", self.known_hosts.display()),
            "-o".into(),
            "LogLevel=ERROR".into(),
            "-o".into(),
            "ConnectTimeout=10".into(),
        ]
    }

    /// `ssh ...` with the first key as one string, for `rsync -e`.
    pub fn ssh_command_line(&self) -> String {
        command_line(&self.ssh_args())
    }

    /// `ssh ...` with `key` as one string, for `rsync -e`.
    pub fn ssh_command_line_with_key(&self, key: &Path) -> String {
        command_line(&self.ssh_args_with_key(key))
    }

    /// sshd's own log, for error messages.
    pub fn log(&self) -> String {
        read_lossy(&self.log)
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for this sshd's own "listening" log line and a successful connect.
/// `Ok(None)` means it lost the port to someone else and should be retried.
fn wait_until_listening(mut child: Child, port: u16, log: &Path) -> Result<Option<Child>, Error> {
    // The log line, not just an open port: another sshd could hold the port.
    let listening = format!("Server listening on 127.0.0.1 port {port}.");
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().map_err(Error::io("wait for sshd"))? {
            let text = read_lossy(log);
            if text.contains("Address already in use") || text.contains("Cannot bind any address") {
                return Ok(None);
            }
            return Err(Error::Sshd {
                reason: format!("exited with {status} before listening"),
                log: text,
            });
        }
        if read_lossy(log).contains(&listening)
            && TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
        {
            return Ok(Some(child));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::Sshd {
                reason: format!("not listening on 127.0.0.1:{port} after {START_TIMEOUT:?}"),
                log: read_lossy(log),
            });
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// `ssh` and its arguments, quoted into one string.
fn command_line(args: &[String]) -> String {
    std::iter::once("ssh".to_string())
        .chain(args.iter().map(|a| quote(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A port the kernel just handed out; closed again before sshd binds it.
fn free_port() -> Result<u16, Error> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(Error::io("bind 127.0.0.1:0"))
}

fn keygen(path: &Path) -> Result<(), Error> {
    let output = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "sshgate-xtask", "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .map_err(Error::io("run ssh-keygen"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Error::Setup(format!(
            "ssh-keygen -f {} failed ({}): {}",
            path.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

fn ensure_privsep_dir() -> Result<(), Error> {
    match fs::DirBuilder::new().mode(0o755).create(PRIVSEP_DIR) {
        // Exactly 0755 whatever the umask: sshd checks this directory.
        Ok(()) => fs::set_permissions(PRIVSEP_DIR, fs::Permissions::from_mode(0o755))
            .map_err(Error::io(format!("chmod {PRIVSEP_DIR}"))),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::io(format!("create {PRIVSEP_DIR}"))(e)),
    }
}

fn write(path: &Path, contents: &str) -> Result<(), Error> {
    fs::write(path, contents).map_err(Error::io(format!("write {}", path.display())))
}

fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_else(|e| format!("<cannot read {}: {e}>", path.display()))
}
