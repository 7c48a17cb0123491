//! Escape scenario: a race between checking a policy path and opening it.
//! The command may write `w`; while the gate vets a read grant of `w/pub`,
//! another request swaps `w/pub` (a real directory) with `w/link -> /`. If
//! the gate checked the path and then opened it again by name, some runs
//! would open `/` and read `/etc/shadow`. The gate walks the path by
//! descriptor and builds the rule from the descriptor it checked, so every
//! run either meets the link (and is denied) or gets the directory (and
//! `cat` cannot read `/etc/shadow`).

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::gate::{SANDBOX_DENIED, Scenario, stderr, stdout};
use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};

/// Exit code of `cat` when it cannot read a file.
const CAT_FAILED: i32 = 1;

/// Gate runs per test: enough for the old check-then-open code to lose
/// dozens of times.
const RUNS: usize = 300;

/// Stop early rather than run past this, whatever `RUNS` says.
const TIME_LIMIT: Duration = Duration::from_secs(8);

const RACED: &str = r#"
log = "{log}"

[[allow]]
name = "upload"
command = ["/usr/bin/true"]
[allow.sandbox]
write = ["{dir}/w"]

[[allow]]
name = "read"
command = ["/usr/bin/cat", "/etc/shadow"]
[allow.sandbox]
read = ["{dir}/w/pub"]
"#;

/// Swaps `w/pub` and `w/link` until told to stop, as a concurrent request
/// that may write `w` could.
struct Swapper {
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<usize>>,
}

impl Swapper {
    fn start(scenario: &Scenario) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let public = scenario.path("w/pub");
        let link = scenario.path("w/link");
        let stopped = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            let mut swaps = 0;
            while !stopped.load(Ordering::Relaxed) {
                renameat2(
                    AT_FDCWD,
                    &public,
                    AT_FDCWD,
                    &link,
                    RenameFlags::RENAME_EXCHANGE,
                )
                .expect("rename-exchange");
                swaps += 1;
            }
            swaps
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the loop and returns how many swaps it made.
    fn finish(mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .map_or(0, |thread| thread.join().expect("swapper thread"))
    }
}

impl Drop for Swapper {
    fn drop(&mut self) {
        // Also stop when an assertion fails mid-loop.
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[test]
fn swapping_a_checked_directory_for_a_link_never_widens_a_read_grant() {
    let scenario = Scenario::new(RACED);
    let w = scenario.path("w");
    fs::create_dir(&w).unwrap();
    fs::set_permissions(&w, fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir(scenario.path("w/pub")).unwrap();
    symlink("/", scenario.path("w/link")).unwrap();

    let swapper = Swapper::start(&scenario);
    let started = Instant::now();
    let (mut denied, mut unreadable) = (0, 0);
    for run in 0..RUNS {
        if started.elapsed() > TIME_LIMIT {
            break;
        }
        let output = scenario.run(Some("cat /etc/shadow"));
        assert!(
            !stdout(&output).contains("root:"),
            "run {run} read /etc/shadow (exit {:?})",
            output.status.code()
        );
        match output.status.code() {
            Some(SANDBOX_DENIED) => {
                assert!(
                    stderr(&output).starts_with("sshgate: denied: sandbox: grant path "),
                    "run {run}: {}",
                    stderr(&output)
                );
                denied += 1;
            }
            Some(CAT_FAILED) => unreadable += 1,
            other => panic!("run {run}: exit {other:?}: {}", stderr(&output)),
        }
    }
    let swaps = swapper.finish();
    eprintln!("{denied} denied, {unreadable} unreadable, {swaps} swaps");
    // Both sides of the race were hit, or the test proved nothing.
    assert!(denied > 0, "the gate never met the link");
    assert!(unreadable > 0, "the gate never met the directory");
}
