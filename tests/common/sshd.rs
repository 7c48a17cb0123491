//! A throwaway real sshd for integration tests.
//!
//! sshgate only makes sense behind sshd: the string it parses is whatever sshd
//! put in `SSH_ORIGINAL_COMMAND`, and its stdio is sshd's channel. A mock would
//! test our idea of sshd rather than sshd, so the tests run the system's
//! `/usr/sbin/sshd` on a loopback port, with keys and config in a temp dir, and
//! drive the real clients (ssh, scp, sftp, rsync, git) at it.
//!
//! Everything here panics with a readable message on failure: it is test
//! scaffolding, and a panic is how a test reports.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::{Pid, User, geteuid};
use tempfile::TempDir;

use super::gate::binary;

/// sshd refuses to start unless invoked by absolute path (it re-executes
/// itself for every connection).
const SSHD: &str = "/usr/sbin/sshd";

/// The sftp subsystem command configured in the test sshd; it is also what
/// `SSH_ORIGINAL_COMMAND` holds for an sftp (or modern scp) session.
pub const SFTP_SERVER: &str = "/usr/lib/openssh/sftp-server";

/// Privilege-separation directory sshd insists on when started as root.
const PRIVSEP_DIR: &str = "/run/sshd";

/// How long sshd may take to listen before the test gives up.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How many fresh ports to try when sshd loses the race for the one we picked.
const START_ATTEMPTS: usize = 5;

/// Upper bound for one client run, so a protocol hang fails the test instead
/// of hanging CI.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// A running sshd on 127.0.0.1 that accepts exactly one client key, with a
/// forced command. Dropping it kills sshd and removes its temp dir.
pub struct Sshd {
    child: Child,
    port: u16,
    user: String,
    key: PathBuf,
    known_hosts: PathBuf,
    log: PathBuf,
    // Declared last so it is removed after `Drop::drop` has stopped sshd.
    dir: TempDir,
}

impl Sshd {
    /// Starts sshd on 127.0.0.1 on a free high port with a fresh ed25519 host
    /// key and client key in a temp dir.
    ///
    /// authorized_keys holds `restrict,command="<forced_command>" <client
    /// pubkey>`; sshd runs the forced command with the login user's shell
    /// (`$SHELL -c`), so quote paths in it as for `sh`.
    pub fn start(forced_command: &str) -> Sshd {
        Sshd::launch(forced_key(forced_command), "")
    }

    /// Starts sshd as [`Sshd::start`] does, but lets `install` write the
    /// authorized_keys file: it is called with the client's public key file
    /// and the authorized_keys path sshd reads (which does not exist yet),
    /// e.g. to run `sshgate install-key`.
    pub fn start_with_authorized_keys(install: impl FnOnce(&Path, &Path)) -> Sshd {
        Sshd::launch(install, "")
    }

    /// Starts sshd (as [`Sshd::start_gate`]) with `extra_config` appended
    /// to its sshd_config, such as `MaxStartups 400` for a test that opens
    /// many connections at once. sshd takes the first value it reads for a
    /// keyword, so these lines cannot change what the base config sets.
    pub fn start_gate_with_config(policy: &Path, extra_config: &str) -> Sshd {
        let forced_command = format!("{} --policy {}", binary(), policy.display());
        Sshd::launch(forced_key(&forced_command), extra_config)
    }

    /// Writes the keys and the config, starts sshd and waits until it
    /// listens.
    fn launch(install: impl FnOnce(&Path, &Path), extra_config: &str) -> Sshd {
        let dir = tempfile::Builder::new()
            .prefix("sshgate-sshd.")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temp dir for sshd: {e}"));
        // sshd wants absolute paths, and a relative TMPDIR would give us none.
        let root = dir
            .path()
            .canonicalize()
            .unwrap_or_else(|e| panic!("cannot resolve {}: {e}", dir.path().display()));

        let host_key = root.join("host_ed25519");
        keygen(&host_key);
        let key = root.join("client_ed25519");
        keygen(&key);
        let authorized_keys = root.join("authorized_keys");
        install(&root.join("client_ed25519.pub"), &authorized_keys);

        let is_root = geteuid().is_root();
        if is_root {
            ensure_privsep_dir();
        }
        let user = current_user();
        let config = root.join("sshd_config");
        let log = root.join("sshd.log");

        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            let mut text = sshd_config(port, &host_key, &authorized_keys, is_root);
            text.push_str(extra_config);
            if !text.ends_with('\n') {
                text.push('\n');
            }
            write_file(&config, &text);
            // Truncated per attempt so a stale bind error cannot be misread.
            let log_file = File::create(&log)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
            let child = Command::new(SSHD)
                .arg("-D")
                .arg("-e")
                .arg("-f")
                .arg(&config)
                .arg("-E")
                .arg(&log)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                // Errors sshd prints before it opens its -E log (a bad config
                // line, say) still end up in the same file.
                .stderr(log_file)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {SSHD}: {e}"));
            if let Some(child) = wait_until_listening(child, port, &log) {
                return Sshd {
                    child,
                    port,
                    user,
                    key,
                    known_hosts: root.join("known_hosts"),
                    log,
                    dir,
                };
            }
        }
        panic!(
            "sshd could not bind a free port in {START_ATTEMPTS} attempts; last log:\n{}",
            read_lossy(&log)
        );
    }

    /// Starts sshd (as [`Sshd::start`]) with the built sshgate on `policy`
    /// as the forced command.
    pub fn start_gate(policy: &Path) -> Sshd {
        Sshd::start(&format!("{} --policy {}", binary(), policy.display()))
    }

    /// The temp dir holding sshd's keys, config and log; tests may put their
    /// own files here too.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The login user: the user running the tests, since an unprivileged
    /// sshd can only log in as itself.
    pub fn user(&self) -> String {
        self.user.clone()
    }

    /// The TCP port sshd listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `USER@127.0.0.1`, the destination for every client.
    pub fn host(&self) -> String {
        format!("{}@127.0.0.1", self.user)
    }

    /// Runs `ssh -T` with `remote_command` (`None` is a bare login) and stdin
    /// null, and returns its output.
    pub fn ssh(&self, remote_command: Option<&str>) -> Output {
        let mut cmd = Command::new("ssh");
        cmd.args(self.ssh_options())
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-T")
            // `--` so a remote command starting with `-` is not an option.
            .arg("--")
            .arg(self.host());
        if let Some(remote) = remote_command {
            cmd.arg(remote);
        }
        run_client(&mut cmd, None)
    }

    /// The client options without the port: for scp and sftp, which spell
    /// the port `-P`.
    pub fn ssh_options(&self) -> Vec<String> {
        vec![
            "-F".into(),
            "/dev/null".into(),
            "-i".into(),
            self.key.display().to_string(),
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

    /// A full `ssh ...` command line for `rsync -e` and `GIT_SSH_COMMAND`.
    ///
    /// Words are single-quoted where needed; both rsync's own splitter and
    /// the shell git uses understand that.
    pub fn ssh_command_line(&self) -> String {
        let mut words = vec!["ssh".to_string()];
        words.extend(self.ssh_options());
        words.push("-p".into());
        words.push(self.port.to_string());
        words
            .iter()
            .map(|w| quote_word(w))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// sshd's own log (`-E`), for assertion messages.
    pub fn sshd_log(&self) -> String {
        read_lossy(&self.log)
    }

    /// An assertion message for a client's `output`: its exit status,
    /// stdout and stderr, and sshd's log.
    pub fn explain(&self, output: &Output) -> String {
        format!(
            "exit {:?}\nstdout: {}\nstderr: {}\nsshd log:\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.sshd_log()
        )
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        // Only the listener is ours; per-connection children end with their
        // connections, and the temp dir goes right after this.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a client to completion with [`CLIENT_TIMEOUT`], feeding it `stdin`
/// (or `/dev/null` for `None`), and returns its output.
///
/// The client gets its own process group so that on timeout, and after it
/// exits, helpers it spawned (rsync's and git's ssh) are killed too; otherwise
/// a straggler holding stdout would block the readers forever.
pub fn run_client(cmd: &mut Command, stdin: Option<&[u8]>) -> Output {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .process_group(0);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let group = Pid::from_raw(i32::try_from(child.id()).expect("pid fits in i32"));

    let writer = match (stdin, child.stdin.take()) {
        (Some(data), Some(mut pipe)) => {
            let data = data.to_vec();
            // A client that exits early closes the pipe; that is its answer,
            // not a harness error.
            Some(thread::spawn(move || drop(pipe.write_all(&data))))
        }
        _ => None,
    };
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());

    let deadline = Instant::now() + CLIENT_TIMEOUT;
    let (status, timed_out) = loop {
        match child.try_wait() {
            Ok(Some(status)) => break (status, false),
            Ok(None) if Instant::now() >= deadline => {
                let _ = killpg(group, Signal::SIGKILL);
                let status = child
                    .wait()
                    .unwrap_or_else(|e| panic!("cannot wait for {cmd:?}: {e}"));
                break (status, true);
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("cannot wait for {cmd:?}: {e}"),
        }
    };
    // The group id stays reserved while any member lives, so this cannot hit
    // an unrelated process; ESRCH (nobody left) is the normal case.
    let _ = killpg(group, Signal::SIGKILL);
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    let output = Output {
        status,
        stdout: stdout.join().expect("stdout reader panicked"),
        stderr: stderr.join().expect("stderr reader panicked"),
    };
    if timed_out {
        panic!(
            "{cmd:?} did not finish within {CLIENT_TIMEOUT:?}\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output
}

/// Reads a pipe to the end on its own thread, so stdout and stderr cannot
/// deadlock each other.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    })
}

/// Waits until this sshd logs that it listens on `port` and accepts a TCP
/// connection. Returns `None` if it exited because the port was taken (the
/// caller retries with another), and panics on any other failure.
fn wait_until_listening(mut child: Child, port: u16, log: &Path) -> Option<Child> {
    // Our own "listening" line, not just an open port: another test's sshd
    // could have grabbed the same port between our probe and sshd's bind.
    let listening = format!("Server listening on 127.0.0.1 port {port}.");
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let text = read_lossy(log);
                if text.contains("Address already in use")
                    || text.contains("Cannot bind any address")
                {
                    return None;
                }
                panic!("sshd exited with {status} before listening; its log:\n{text}");
            }
            Ok(None) => {}
            Err(e) => panic!("cannot wait for sshd: {e}"),
        }
        if read_lossy(log).contains(&listening)
            && TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
        {
            return Some(child);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "sshd did not listen on 127.0.0.1:{port} within {START_TIMEOUT:?}; its log:\n{}",
                read_lossy(log)
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Asks the kernel for a free loopback port. The listener is closed before
/// sshd binds, hence the retry in [`Sshd::start`].
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("cannot read the probe socket's address: {e}"))
        .port()
}

fn sshd_config(port: u16, host_key: &Path, authorized_keys: &Path, is_root: bool) -> String {
    let mut config = format!(
        "ListenAddress 127.0.0.1\n\
         Port {port}\n\
         HostKey \"{}\"\n\
         AuthorizedKeysFile \"{}\"\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         UsePAM no\n\
         StrictModes no\n\
         PidFile none\n\
         PrintMotd no\n\
         PrintLastLog no\n\
         Subsystem sftp {SFTP_SERVER}\n\
         LogLevel VERBOSE\n",
        host_key.display(),
        authorized_keys.display()
    );
    if is_root {
        // Root may log in only through a forced command, which is exactly
        // what sshgate deployments look like.
        config.push_str("PermitRootLogin forced-commands-only\n");
    }
    config
}

/// Writes authorized_keys with the client key behind
/// `restrict,command="<forced_command>"`.
fn forced_key(forced_command: &str) -> impl FnOnce(&Path, &Path) + '_ {
    move |pubkey_path, authorized_keys| {
        let pubkey = fs::read_to_string(pubkey_path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", pubkey_path.display()));
        let line = format!(
            "restrict,command=\"{}\" {}\n",
            authorized_keys_quote(forced_command),
            pubkey.trim()
        );
        write_file(authorized_keys, &line);
    }
}

/// Quotes a forced command for `command="..."` in authorized_keys.
///
/// sshd's dequoting (`opt_dequote` in auth-options.c) knows exactly one
/// escape, `\"`; every other backslash is kept as is. So `"` becomes `\"` and
/// `\` needs no escaping, except that a trailing `\` would swallow the closing
/// quote and cannot be expressed at all.
fn authorized_keys_quote(command: &str) -> String {
    assert!(
        !command.ends_with('\\'),
        "a forced command ending in a backslash cannot be written to authorized_keys: {command:?}"
    );
    assert!(
        !command.contains(['\n', '\r', '\0']),
        "a forced command must be one line: {command:?}"
    );
    command.replace('"', "\\\"")
}

/// Single-quotes a word for `sh` and for rsync's `-e` splitter, unless it is
/// plainly safe. rsync honours quotes but not backslashes, so a word holding a
/// `'` cannot be passed at all.
pub fn quote_word(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@,+%".contains(&b));
    if safe {
        return word.to_string();
    }
    assert!(
        !word.contains('\''),
        "cannot quote {word:?} for rsync -e (it has no escape for ')"
    );
    format!("'{word}'")
}

fn keygen(path: &Path) {
    let output = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "sshgate-test", "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run ssh-keygen: {e}"));
    assert!(
        output.status.success(),
        "ssh-keygen -f {} failed ({}): {}",
        path.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Creates sshd's privilege-separation dir if missing; parallel tests may
/// race to do so, which is fine.
fn ensure_privsep_dir() {
    match fs::DirBuilder::new().mode(0o755).create(PRIVSEP_DIR) {
        Ok(()) => {
            // The umask may have narrowed the mode; sshd only needs it to be
            // root-owned and not group/world-writable, but be exact.
            fs::set_permissions(PRIVSEP_DIR, fs::Permissions::from_mode(0o755))
                .unwrap_or_else(|e| panic!("cannot chmod {PRIVSEP_DIR}: {e}"));
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => panic!("cannot create {PRIVSEP_DIR}: {e}"),
    }
}

fn current_user() -> String {
    let uid = geteuid();
    match User::from_uid(uid) {
        Ok(Some(user)) => user.name,
        Ok(None) => panic!("uid {uid} has no passwd entry; sshd cannot log it in"),
        Err(e) => panic!("cannot look up uid {uid}: {e}"),
    }
}

fn write_file(path: &Path, contents: &str) {
    fs::write(path, contents).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

fn read_lossy(path: &Path) -> String {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => format!("<cannot read {}: {e}>", path.display()),
    }
}
