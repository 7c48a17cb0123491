//! Wall time of whole processes, measured side by side.
//!
//! Every command of a comparison runs in the same loop, one after the other
//! (A B C, B C A, C A B, ...), so drift in the machine's load or clock speed
//! hits all of them alike. Each run is one spawn (std uses `posix_spawn`
//! where it can, otherwise fork and exec) and one wait, timed from just
//! before the spawn to just after the wait, with stdio on /dev/null; or, for
//! servers, from the spawn to their first bytes of output.

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::process::kill_group;

/// `PATH` as sshd (without PAM) sets it for root on Debian.
pub const SSHD_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// The client address every benchmarked request comes from.
pub const CLIENT_ADDRESS: &str = "127.0.0.1";
/// `SSH_CONNECTION` as sshd would set it for a client on loopback.
pub const SSH_CONNECTION: &str = "127.0.0.1 50022 127.0.0.1 22";
/// `SSH_CLIENT`, the older form of the same.
pub const SSH_CLIENT: &str = "127.0.0.1 50022 22";

/// A command with the environment sshd gives a forced command: nothing
/// inherited from us, the client's command in `SSH_ORIGINAL_COMMAND`.
///
/// Every variant of a comparison gets the same environment, so none is
/// favoured by a shorter one; `PATH` matters too, since scripts such as
/// rrsync find their interpreter with `/usr/bin/env`.
pub fn sshd_like(program: impl AsRef<OsStr>, original_command: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", SSHD_PATH)
        .env("HOME", home())
        .env("USER", "root")
        .env("LOGNAME", "root")
        .env("SHELL", "/bin/sh")
        .env("SSH_CONNECTION", SSH_CONNECTION)
        .env("SSH_CLIENT", SSH_CLIENT)
        .env("SSH_ORIGINAL_COMMAND", original_command);
    cmd
}

/// Our home directory, for the commands' `HOME`.
fn home() -> String {
    std::env::var("HOME").unwrap_or_else(|_| "/".into())
}

/// When a run is over.
enum Until {
    /// The command exits with this code; any other fails the comparison (a
    /// command that fails early would look fast).
    Exit(i32),
    /// The command writes these bytes first on stdout (stdin stays open
    /// until then); it is killed, with its process group, afterwards.
    Output(Vec<u8>),
}

/// One command a comparison runs over and over.
pub struct Variant {
    /// How it is named in the output.
    pub label: String,
    command: Command,
    until: Until,
}

impl Variant {
    /// A variant that must exit with `expect` on every run; timed to its
    /// exit.
    pub fn new(label: impl Into<String>, mut command: Command, expect: i32) -> Variant {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        Variant {
            label: label.into(),
            command,
            until: Until::Exit(expect),
        }
    }

    /// A variant timed to the moment `first` has arrived on its stdout,
    /// which it must be the start of on every run: a server's greeting.
    pub fn until_output(label: impl Into<String>, mut command: Command, first: &[u8]) -> Variant {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0);
        Variant {
            label: label.into(),
            command,
            until: Until::Output(first.to_vec()),
        }
    }
}

/// Samples of one variant, sorted: wall times in microseconds, or any
/// other measure (throughput, KiB) a section collects.
pub struct Stats {
    /// The variant's label.
    pub label: String,
    sorted: Vec<f64>,
}

impl Stats {
    /// Sorts `samples` for the statistics below.
    pub fn from_samples(label: String, mut samples: Vec<f64>) -> Stats {
        samples.sort_by(f64::total_cmp);
        Stats {
            label,
            sorted: samples,
        }
    }

    /// The median.
    pub fn median(&self) -> f64 {
        let n = self.sorted.len();
        match n {
            0 => f64::NAN,
            _ if n % 2 == 1 => self.sorted[n / 2],
            _ => (self.sorted[n / 2 - 1] + self.sorted[n / 2]) / 2.0,
        }
    }

    /// The `p`th percentile (0 to 100), nearest rank.
    pub fn percentile(&self, p: f64) -> f64 {
        let n = self.sorted.len();
        if n == 0 {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        self.sorted[rank.clamp(1, n) - 1]
    }

    /// The smallest sample.
    pub fn min(&self) -> f64 {
        self.sorted.first().copied().unwrap_or(f64::NAN)
    }

    /// The largest sample.
    pub fn max(&self) -> f64 {
        self.sorted.last().copied().unwrap_or(f64::NAN)
    }

    /// How many samples there are.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }
}

/// Runs every variant `warmup` times unrecorded, then `runs` times
/// recorded, alternating; returns their wall times in the given order.
pub fn alternate(variants: Vec<Variant>, warmup: usize, runs: usize) -> Result<Vec<Stats>, Error> {
    let mut variants = variants;
    let count = variants.len();
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); count];
    for round in 0..warmup + runs {
        // Rotate who goes first, so no variant always follows the same one.
        for offset in 0..count {
            let index = (round + offset) % count;
            let elapsed = run_once(&mut variants[index], round)?;
            if round >= warmup {
                samples[index].push(elapsed.as_secs_f64() * 1e6);
            }
        }
    }
    Ok(variants
        .into_iter()
        .zip(samples)
        .map(|(variant, samples)| Stats::from_samples(variant.label, samples))
        .collect())
}

/// Spawns one run and times it to its end (see [`Until`]), checking it.
fn run_once(variant: &mut Variant, round: usize) -> Result<Duration, Error> {
    let label = &variant.label;
    let start = Instant::now();
    let mut child = variant
        .command
        .spawn()
        .map_err(Error::io(format!("run {label}")))?;
    match &variant.until {
        Until::Exit(expect) => {
            let status = child
                .wait()
                .map_err(Error::io(format!("wait for {label}")))?;
            let elapsed = start.elapsed();
            if status.code() != Some(*expect) {
                return Err(Error::Setup(format!(
                    "{label} (round {round}) ended with {status}, not exit code {expect}: \
                     the comparison would be meaningless"
                )));
            }
            Ok(elapsed)
        }
        Until::Output(first) => {
            let mut got = vec![0u8; first.len()];
            let read = match child.stdout.as_mut() {
                Some(stdout) => stdout.read_exact(&mut got),
                None => Ok(()),
            };
            let elapsed = start.elapsed();
            // Its group: a wrapper's own children (rrsync's rsync) go too.
            kill_group(child.id());
            let _ = child.wait();
            match read {
                Ok(()) if got == *first => Ok(elapsed),
                Ok(()) => Err(Error::Setup(format!(
                    "{label} (round {round}) began its output with {got:?}, not {first:?}"
                ))),
                Err(e) => Err(Error::Setup(format!(
                    "{label} (round {round}) did not write {first:?} first: {e}"
                ))),
            }
        }
    }
}

/// Runs `command` once as [`Variant::until_output`] would and returns the
/// first `len` bytes of its stdout, or why there were none (with its
/// stderr). For the check before a comparison, and to learn a greeting.
pub fn first_output(mut command: Command, len: usize, what: &str) -> Result<Vec<u8>, String> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    let mut got = vec![0u8; len];
    let read = match child.stdout.as_mut() {
        Some(stdout) => stdout.read_exact(&mut got),
        None => Ok(()),
    };
    kill_group(child.id());
    let status = child.wait();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    match read {
        Ok(()) => Ok(got),
        Err(e) => Err(format!(
            "{what} wrote no {len} bytes ({e}; {}): {}",
            status.map_or_else(|e| e.to_string(), |s| s.to_string()),
            stderr.trim()
        )),
    }
}

/// Waits for `child` up to `timeout`, polling every millisecond (fine for
/// runs of seconds), and kills it if it outlives that. Returns its status
/// and the time from `start`.
pub fn wait_with_deadline(
    child: &mut Child,
    start: Instant,
    timeout: Duration,
    shown: &str,
) -> Result<(ExitStatus, Duration), Error> {
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(Error::io(format!("wait for `{shown}`")))?
        {
            return Ok((status, start.elapsed()));
        }
        if start.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::TimedOut {
                command: shown.to_string(),
            });
        }
        thread::sleep(Duration::from_millis(1));
    }
}

#[cfg(test)]
mod tests {
    use super::Stats;

    #[test]
    fn median_and_percentiles() {
        let stats = Stats::from_samples("x".into(), vec![5.0, 1.0, 4.0, 2.0, 3.0]);
        assert_eq!(stats.median(), 3.0);
        assert_eq!(stats.percentile(10.0), 1.0);
        assert_eq!(stats.percentile(90.0), 5.0);
        assert_eq!(stats.min(), 1.0);
        assert_eq!(stats.max(), 5.0);
        let even = Stats::from_samples("y".into(), vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(even.median(), 2.5);
        assert_eq!(even.percentile(50.0), 2.0);
    }
}
