//! sshgate decides whether an SSH forced command may run, then confines it
//! and executes it.
//!
//! The modules follow the pipeline:
//! [`request`] → [`policy`] → [`decide`] (pure) → [`sandbox`] (the only
//! kernel-touching code) → [`exec`], with [`audit`] recording every request
//! and [`cli`] as the thin command-line shell around them; [`signals`] keeps
//! SIGHUP and the like from ending forced-command mode between its record and
//! the exec.
//! [`doctor`] is a side tool beside the pipeline: what a host offers the gate;
//! [`import`] another: converting other gates' configurations into profiles.

#![warn(missing_docs)]

pub mod audit;
pub mod cli;
pub mod decide;
pub mod doctor;
pub mod exec;
pub mod exit;
pub mod gate;
pub mod import;
pub mod policy;
pub mod request;
pub mod sandbox;
pub mod signals;
pub mod suggest;
