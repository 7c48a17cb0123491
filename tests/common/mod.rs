//! Helpers shared by the integration tests.
//!
//! Each file under `tests/` is its own crate and pulls this module in with
//! `mod common;`, so any one test binary uses only part of it.
#![allow(dead_code)]

pub mod gate;
pub mod marker;
pub mod mount;
#[cfg(target_arch = "x86_64")]
pub mod pause;
pub mod paused_write;
pub mod probe;
pub mod process;
pub mod property;
#[cfg(target_arch = "x86_64")]
pub mod refuse;
pub mod sshd;
pub mod syslog;
