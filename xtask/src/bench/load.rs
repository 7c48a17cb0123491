//! Load: bursts of ssh sessions released at once through one real sshd on
//! loopback, with sshgate and an unconfined pass-through as the forced
//! commands, alternating: how many sessions a second each serves, and so
//! the gate's share of a burst (issue 6).
//!
//! A burst is a third rsync pulls of a small tree, a third `echo`, a third
//! `touch` of a marker that the gate denies (and the pass-through runs).
//! Every session is checked, so a burst that lost sessions cannot look
//! fast: pulls by file count and bytes, `echo` by its output, denials by
//! exit code and reason, and after a gate burst the audit log must have
//! grown by exactly one JSON line per session.
//!
//! Besides the wall time, each burst's CPU time is counted: on a machine
//! shared with other work the wall time carries everyone's load, while the
//! CPU time the burst's own processes used does not. sshd's listener reaps
//! every connection's sshd, which reaps the session's shell, which reaps
//! the forced command, so the listener's children's times
//! (`/proc/PID/stat`) grow by the whole server side of each finished
//! session; ours grow by the clients'.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::error::Error;
use crate::files::{ScratchDir, toml_string, write_private};
use crate::process::{quote, run_captured};
use crate::sshd::Sshd;

use super::e2e::{remove_if_present, tmpfs_with_room, totals, write_random};
use super::fixtures::{KEY, header};
use super::measure::{CLIENT_ADDRESS, Stats};

/// sshd's settings for a burst. MaxStartups: every session is an
/// unauthenticated connection at once, and the default (10:30:100) drops
/// them at random from the tenth on. LoginGraceTime: the last of a burst
/// authenticates behind all the others' key exchanges. `SetEnv SHLVL=1`:
/// Debian's bash reads `~/.bashrc` when sshd starts it at shell level 1,
/// and a build host's root may have slow things there (pyenv's init: a
/// quarter second per session), which would swamp both forced commands;
/// README tells deployments to give the account a shell that reads no rc
/// files.
pub const SSHD_CONFIG: &str = "MaxStartups 1000\nLoginGraceTime 600\nSetEnv SHLVL=1\n";
/// The clients' limit on the TCP connect and the key exchange: sshd's
/// listen backlog of 128 drops SYNs of a burst, which the kernel retries
/// after 1, 3, 7 s.
const CONNECT_TIMEOUT: &str = "ConnectTimeout=300";
/// The most one session may take.
const SESSION_TIMEOUT: Duration = Duration::from_secs(600);
/// How long sshd may take to reap its connections after the last client
/// has exited.
const REAP_TIMEOUT: Duration = Duration::from_secs(120);
/// The tree each pull copies: a few files of pseudo-random contents.
const TREE_FILES: [(&str, u64); 5] = [
    ("a.bin", 1),
    ("b.bin", 777),
    ("sub/c.bin", 4096),
    ("sub/d.bin", 65_537),
    ("sub/deeper/e.bin", 300_001),
];
/// The gate profile's rules.
const PULL_RULE: &str = "pull";
const ECHO_RULE: &str = "greet";
/// The label of the gate's server.
const GATE: &str = "sshgate";
/// The denial the `touch` sessions get from the gate.
const DENIAL: &str = "sshgate: denied: no rule allows \"touch ";

/// One way of serving the sessions.
struct Server {
    label: &'static str,
    /// The `command=` of its key.
    forced_command: String,
}

/// What a session asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pull,
    Echo,
    Touch,
}

impl Kind {
    fn of(session: usize) -> Kind {
        match session % 3 {
            0 => Kind::Pull,
            1 => Kind::Echo,
            _ => Kind::Touch,
        }
    }
}

/// What one forced command measured, a sample per burst.
pub struct Measured {
    /// Sessions a second.
    pub rate: Stats,
    /// CPU milliseconds per session, server side and clients.
    pub cpu: Stats,
    /// CPU milliseconds per session, server side only.
    pub server_cpu: Stats,
}

/// Each forced command's figures, and the median of the per-round ratios
/// of the gate's rate to the pass-through's.
pub struct Results {
    /// Where the pulls landed, for the table.
    pub landed: String,
    /// Bytes each pull copies.
    pub tree_bytes: u64,
    pub passthrough: Measured,
    pub gate: Measured,
    pub gate_paired: f64,
}

/// One burst's wall time and the CPU time its processes used, in seconds.
struct BurstTimes {
    wall: f64,
    server_cpu: f64,
    client_cpu: f64,
}

/// Everything a burst needs, shared by its session threads.
struct Burst {
    sshd: Sshd,
    tree: PathBuf,
    tree_totals: (u64, u64),
    markers: PathBuf,
    dest: PathBuf,
    audit_log: PathBuf,
    /// Clock ticks a second, the unit of `/proc/PID/stat`'s times.
    ticks: f64,
}

/// Starts sshd with one key per server and runs `rounds` bursts of
/// `sessions` through each, alternating, after one unrecorded burst each.
pub fn run(scratch: &Path, gate: &Path, sessions: usize, rounds: usize) -> Result<Results, Error> {
    let dir = scratch.join("load");
    let tree = dir.join("srv").join("tree");
    let markers = dir.join("markers");
    for path in [&dir, &markers] {
        fs::create_dir_all(path).map_err(Error::io(format!("create {}", path.display())))?;
    }
    for (index, (name, len)) in TREE_FILES.iter().enumerate() {
        let path = tree.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(Error::io(format!("create {}", parent.display())))?;
        }
        write_random(&path, *len, index as u64 + 101)?;
    }
    let tree_totals = totals(&tree);
    let audit_log = dir.join("audit.log");
    let policy = dir.join("load.toml");
    write_private(
        &policy,
        &format!(
            "{}\n[[allow]]\nname = \"{PULL_RULE}\"\nrsync = {{ send = [{}] }}\n\n\
             [[allow]]\nname = \"{ECHO_RULE}\"\ncommand = [\"/usr/bin/echo\", \
             {{ regex = \"token-[0-9]+\" }}]\n",
            header(
                "sshgate bench: load",
                &[CLIENT_ADDRESS.to_string()],
                &audit_log
            ),
            toml_string(&dir.join("srv").display().to_string())
        ),
    )?;

    let servers = [
        Server {
            label: GATE,
            forced_command: format!(
                "{} --policy {} --key {KEY}",
                quote(&gate.display().to_string()),
                quote(&policy.display().to_string())
            ),
        },
        Server {
            label: "pass-through",
            forced_command: "exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"".into(),
        },
    ];
    let sshd_dir = dir.join("sshd");
    fs::create_dir(&sshd_dir).map_err(Error::io(format!("create {}", sshd_dir.display())))?;
    let forced: Vec<&str> = servers.iter().map(|s| s.forced_command.as_str()).collect();
    let sshd = Sshd::start_with_keys_and_config(&sshd_dir, &forced, SSHD_CONFIG)?;
    for (server, key) in servers.iter().zip(sshd.keys()) {
        println!(
            "  {:<13} command=\"{}\" (key {})",
            server.label,
            server.forced_command,
            key.display()
        );
    }

    let pulls = (0..sessions).filter(|&s| Kind::of(s) == Kind::Pull).count() as u64;
    let (_tmpfs_guard, dest, landed) = match tmpfs_with_room(pulls * tree_totals.1) {
        Some(base) => {
            let guard = ScratchDir::new_in(&base, "sshgate-bench-load")?;
            let dest = guard.path().join("dest");
            (
                Some(guard),
                dest,
                format!("into tmpfs ({})", base.display()),
            )
        }
        None => (
            None,
            dir.join("dest"),
            "onto disk (no tmpfs with room)".to_string(),
        ),
    };
    println!(
        "  {sessions} sessions a burst: {pulls} rsync pulls of {} files ({} bytes) {landed}, \
         the rest `echo` and `touch` (denied by the gate)",
        tree_totals.0, tree_totals.1
    );
    let burst = Arc::new(Burst {
        sshd,
        tree,
        tree_totals,
        markers,
        dest,
        audit_log,
        ticks: clock_ticks()?,
    });
    let keys: Vec<PathBuf> = burst.sshd.keys().to_vec();

    let per_session = |times: &BurstTimes| {
        (
            sessions as f64 / times.wall,
            (times.server_cpu + times.client_cpu) * 1000.0 / sessions as f64,
            times.server_cpu * 1000.0 / sessions as f64,
        )
    };
    for (server, key) in servers.iter().zip(&keys) {
        let (rate, cpu, server_cpu) = per_session(&burst_once(&burst, server, key, sessions)?);
        println!(
            "  warm-up  {:<13} {rate:.1} sessions/s, {cpu:.1} ms CPU a session \
             ({server_cpu:.1} ms server side)",
            server.label
        );
    }
    // Per server: sessions/s, CPU ms a session, server CPU ms a session.
    let mut samples: Vec<[Vec<f64>; 3]> = vec![Default::default(); servers.len()];
    for round in 0..rounds {
        for offset in 0..servers.len() {
            let index = (round + offset) % servers.len();
            let times = burst_once(&burst, &servers[index], &keys[index], sessions)?;
            let (rate, cpu, server_cpu) = per_session(&times);
            println!(
                "  run {:<4} {:<13} {rate:.1} sessions/s, {cpu:.1} ms CPU a session \
                 ({server_cpu:.1} ms server side)",
                round + 1,
                servers[index].label
            );
            for (list, value) in samples[index].iter_mut().zip([rate, cpu, server_cpu]) {
                list.push(value);
            }
        }
    }
    // Each gate burst over the pass-through's of the same round, which ran
    // right beside it: slow drift in the machine's load cancels out.
    let ratios = samples[0][0]
        .iter()
        .zip(&samples[1][0])
        .map(|(gate, pass)| gate / pass)
        .collect();
    let gate_paired = Stats::from_samples(String::new(), ratios).median();
    let mut measured = servers
        .iter()
        .zip(samples)
        .map(|(server, [rate, cpu, server_cpu])| {
            let label = server.label.to_string();
            Measured {
                rate: Stats::from_samples(label.clone(), rate),
                cpu: Stats::from_samples(label.clone(), cpu),
                server_cpu: Stats::from_samples(label, server_cpu),
            }
        });
    let (Some(gate), Some(passthrough)) = (measured.next(), measured.next()) else {
        return Err(Error::Setup("the load bursts lost their results".into()));
    };
    Ok(Results {
        landed,
        tree_bytes: tree_totals.1,
        passthrough,
        gate,
        gate_paired,
    })
}

/// One burst of `sessions` through `server`, every session checked.
/// Returns the seconds from the release of the sessions to the end of the
/// last, and the CPU time the server side and the clients used.
fn burst_once(
    burst: &Arc<Burst>,
    server: &Server,
    key: &Path,
    sessions: usize,
) -> Result<BurstTimes, Error> {
    for dir in [&burst.dest, &burst.markers] {
        remove_if_present(dir)?;
        fs::create_dir(dir).map_err(Error::io(format!("create {}", dir.display())))?;
    }
    let records_before = record_count(&burst.audit_log)?;
    let sshd_pid = burst.sshd.pid().to_string();
    let server_before = children_cpu(&sshd_pid, burst.ticks)?;
    let client_before = children_cpu("self", burst.ticks)?;
    let is_gate = server.label == GATE;
    let barrier = Arc::new(Barrier::new(sessions));
    let threads: Vec<_> = (0..sessions)
        .map(|session| {
            let burst = Arc::clone(burst);
            let barrier = Arc::clone(&barrier);
            let key = key.to_path_buf();
            thread::spawn(move || -> Result<(Instant, Instant), String> {
                let (mut client, shown) = client(&burst, &key, session);
                barrier.wait();
                let started = Instant::now();
                let output = run_captured(&mut client, &shown, SESSION_TIMEOUT)
                    .map_err(|e| e.to_string())?;
                let ended = Instant::now();
                check_session(&burst, session, is_gate, &output)
                    .map_err(|why| format!("`{shown}`: {why}"))?;
                Ok((started, ended))
            })
        })
        .collect();
    let mut spans = Vec::new();
    let mut failures = Vec::new();
    for thread in threads {
        match thread.join() {
            Ok(Ok(span)) => spans.push(span),
            Ok(Err(why)) => failures.push(why),
            Err(_) => failures.push("a session thread panicked".to_string()),
        }
    }
    if let Some(first) = failures.first() {
        return Err(Error::Sshd {
            reason: format!(
                "{} of {sessions} sessions through {} failed; the first: {first}",
                failures.len(),
                server.label
            ),
            log: burst.sshd.log(),
        });
    }
    // Timed by the sessions' own threads, from the first start to the last
    // end: this thread may not run for a while after the release, with all
    // the others starting clients.
    let first = spans.iter().map(|(started, _)| *started).min();
    let last = spans.iter().map(|(_, ended)| *ended).max();
    let (Some(first), Some(last)) = (first, last) else {
        return Err(Error::Setup("a burst of no sessions".into()));
    };
    let wall = (last - first).as_secs_f64();
    wait_until_reaped(&sshd_pid, &burst.sshd)?;
    let times = BurstTimes {
        wall,
        server_cpu: children_cpu(&sshd_pid, burst.ticks)? - server_before,
        client_cpu: children_cpu("self", burst.ticks)? - client_before,
    };
    if is_gate {
        check_records(&burst.audit_log, records_before, sessions)?;
    }
    Ok(times)
}

/// `getconf CLK_TCK`: the unit of the times in `/proc/PID/stat`.
fn clock_ticks() -> Result<f64, Error> {
    let output = run_captured(
        Command::new("getconf").arg("CLK_TCK"),
        "getconf CLK_TCK",
        Duration::from_secs(10),
    )?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|ticks| *ticks > 0.0)
        .ok_or_else(|| Error::Setup("getconf CLK_TCK printed no clock tick rate".into()))
}

/// The CPU time (user and system) of the reaped children of `pid` and
/// theirs, in seconds: fields 16 and 17 (cutime, cstime) of
/// `/proc/PID/stat`, counted after the `)` that ends the command name.
fn children_cpu(pid: &str, ticks: f64) -> Result<f64, Error> {
    let path = format!("/proc/{pid}/stat");
    let text = fs::read_to_string(&path).map_err(Error::io(format!("read {path}")))?;
    let fields: Vec<&str> = text
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // Field 3 (the state) is the first after the name.
    let field = |number: usize| fields.get(number - 3).and_then(|f| f.parse::<f64>().ok());
    match (field(16), field(17)) {
        (Some(user), Some(system)) => Ok((user + system) / ticks),
        _ => Err(Error::Setup(format!(
            "{path} has no cutime and cstime: {text}"
        ))),
    }
}

/// Waits until sshd's listener has no children left, so that every
/// session's times have reached its own.
fn wait_until_reaped(pid: &str, sshd: &Sshd) -> Result<(), Error> {
    let path = format!("/proc/{pid}/task/{pid}/children");
    let deadline = Instant::now() + REAP_TIMEOUT;
    loop {
        let children = fs::read_to_string(&path).map_err(Error::io(format!("read {path}")))?;
        if children.trim().is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::Sshd {
                reason: format!(
                    "sshd still had children {} after {REAP_TIMEOUT:?}",
                    children.trim()
                ),
                log: sshd.log(),
            });
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// The client of one session, and how to show it.
fn client(burst: &Burst, key: &Path, session: usize) -> (Command, String) {
    let mut ssh_args = vec!["-o".to_string(), CONNECT_TIMEOUT.to_string()];
    ssh_args.extend(burst.sshd.ssh_args_with_key(key));
    let host = burst.sshd.host();
    match Kind::of(session) {
        Kind::Pull => {
            let ssh_line = std::iter::once("ssh".to_string())
                .chain(ssh_args.iter().map(|a| quote(a)))
                .collect::<Vec<_>>()
                .join(" ");
            let source = format!("{host}:{}/", burst.tree.display());
            let dest = format!("{}/", destination(burst, session).display());
            let mut rsync = Command::new("rsync");
            rsync
                .arg("-a")
                .arg("-e")
                .arg(ssh_line)
                .arg(&source)
                .arg(&dest);
            (rsync, format!("rsync -a -e \"$SSH\" {source} {dest}"))
        }
        kind => {
            let remote = remote_command(burst, session, kind);
            let mut ssh = Command::new("ssh");
            ssh.args(&ssh_args)
                .arg("-T")
                .arg("--")
                .arg(host)
                .arg(&remote);
            (ssh, format!("ssh {host} {remote}"))
        }
    }
}

fn destination(burst: &Burst, session: usize) -> PathBuf {
    burst.dest.join(format!("pull-{session}"))
}

fn remote_command(burst: &Burst, session: usize, kind: Kind) -> String {
    match kind {
        Kind::Pull => String::new(),
        Kind::Echo => format!("echo token-{session}"),
        Kind::Touch => format!(
            "touch {}",
            burst.markers.join(format!("marker-{session}")).display()
        ),
    }
}

/// What each kind of session must have got.
fn check_session(
    burst: &Burst,
    session: usize,
    is_gate: bool,
    output: &Output,
) -> Result<(), String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let failed = |what: &str| {
        format!(
            "{what} (exit {:?}; stderr: {})",
            output.status.code(),
            stderr.trim()
        )
    };
    match Kind::of(session) {
        Kind::Pull => {
            let got = totals(&destination(burst, session));
            if output.status.code() != Some(0) || got != burst.tree_totals {
                return Err(failed(&format!(
                    "pulled {} files, {} bytes of {} files, {} bytes",
                    got.0, got.1, burst.tree_totals.0, burst.tree_totals.1
                )));
            }
        }
        Kind::Echo => {
            let expected = format!("token-{session}\n");
            if output.status.code() != Some(0) || output.stdout != expected.as_bytes() {
                return Err(failed(&format!(
                    "printed {:?}, not {expected:?}",
                    String::from_utf8_lossy(&output.stdout)
                )));
            }
        }
        Kind::Touch => {
            let marker = burst.markers.join(format!("marker-{session}"));
            let (code, ran) = if is_gate { (77, false) } else { (0, true) };
            if output.status.code() != Some(code)
                || marker.exists() != ran
                || (is_gate && !stderr.starts_with(DENIAL))
            {
                return Err(failed(&format!(
                    "expected exit {code}{}, marker {}",
                    if is_gate {
                        " and the gate's denial"
                    } else {
                        ""
                    },
                    if marker.exists() { "created" } else { "absent" }
                )));
            }
        }
    }
    Ok(())
}

/// Lines in the audit log; 0 before the first burst.
fn record_count(audit_log: &Path) -> Result<usize, Error> {
    match fs::read_to_string(audit_log) {
        Ok(text) => Ok(text.lines().count()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(Error::io(format!("read {}", audit_log.display()))(e)),
    }
}

/// Fails unless the log grew by exactly one JSON line per session, with
/// two allowed in three.
fn check_records(audit_log: &Path, before: usize, sessions: usize) -> Result<(), Error> {
    let text = fs::read_to_string(audit_log)
        .map_err(Error::io(format!("read {}", audit_log.display())))?;
    let new: Vec<&str> = text.lines().skip(before).collect();
    let mut allowed = 0;
    for line in &new {
        let record: Value = serde_json::from_str(line).map_err(|e| {
            Error::Setup(format!(
                "a burst left a line in {} that is not one record ({e}): {line:?}",
                audit_log.display()
            ))
        })?;
        if record.get("decision").and_then(Value::as_str) == Some("allow") {
            allowed += 1;
        }
    }
    let expected_allowed = (0..sessions)
        .filter(|&s| Kind::of(s) != Kind::Touch)
        .count();
    if new.len() != sessions || allowed != expected_allowed || !text.ends_with('\n') {
        return Err(Error::Setup(format!(
            "a burst of {sessions} sessions left {} records ({allowed} allowed, {expected_allowed} \
             expected) in {}",
            new.len(),
            audit_log.display()
        )));
    }
    Ok(())
}
