//! Policies: one TOML file per profile, parsed strictly.
//!
//! [`load_trusted`] is what forced-command mode uses; it refuses files that
//! anyone but root or the invoking user could have changed. Every error
//! names `file:line:col`.

mod anchored_regex;
mod capability;
mod cidr;
mod command;
mod error;
mod limits;
pub mod lint;
mod load;
mod network;
mod path;
mod schema;
mod sessions;
mod suggest;
mod syscall;
pub mod tool;
mod umask;

pub use anchored_regex::{
    AnchoredRegex, MAX_REGEX_LEN, REGEX_BUDGET, REGEX_DFA_SIZE_LIMIT, REGEX_SIZE_LIMIT,
};
pub use capability::CapabilityName;
pub use cidr::{Cidr, normalise as normalise_address};
pub use command::{ArgPattern, CommandPattern};
pub use error::{Location, PolicyError, PolicyErrorKind};
pub use limits::{Bytes, Count};
pub use load::{
    DEFAULT_POLICY_DIR, LoadedPolicy, MAX_POLICY_BYTES, load_trusted, load_untrusted, parse,
    profile_path, untrusted_because,
};
pub use network::Network;
pub use path::AbsolutePath;
pub use schema::{
    ACTION_KEYS, Action, EnvName, EnvValue, KeyName, Mode, Policy, Rlimits, Rule, RuleName, Sandbox,
};
pub use sessions::{MaxConcurrent, WaitTime};
pub use syscall::SyscallName;
pub use umask::Umask;
