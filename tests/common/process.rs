//! Processes the tests start beside the gate, as targets for a confined
//! command to reach.

use std::process::{Child, Command};

/// A same-user process outside the sandbox (a `sleep`); killed and reaped
/// when dropped.
pub struct Sleeper(Child);

impl Sleeper {
    /// Starts `sleep 30` as this test's user.
    pub fn start() -> Self {
        Self::spawn(Command::new("/usr/bin/sleep").arg("30"))
    }

    /// Spawns `command`, which is to sleep until killed (say `sleep` behind
    /// a wrapper that sets it up).
    pub fn spawn(command: &mut Command) -> Self {
        Self(command.spawn().expect("start the sleeper"))
    }

    /// Its pid, as the probe takes it.
    pub fn pid(&self) -> String {
        self.0.id().to_string()
    }

    /// `/proc/PID/name` for it.
    pub fn proc_file(&self, name: &str) -> String {
        format!("/proc/{}/{name}", self.0.id())
    }

    /// Whether it is still running.
    pub fn is_alive(&mut self) -> bool {
        self.0.try_wait().unwrap().is_none()
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
