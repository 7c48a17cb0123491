//! The request: what the client asked for, from where, with which key, as whom.
//!
//! Everything sshgate learns from its environment is gathered here, once,
//! so that [`crate::decide`] can stay a pure function of policy and request.

pub mod tokenize;

mod account;
mod account_error;
mod connection;
mod program;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

pub use account::{Account, Accounts, permitted_capabilities};
pub use account_error::AccountError;
pub use connection::{Connection, Endpoint};
pub use program::{LEARN_SEARCH_PATH, UnresolvedProgram};
pub use tokenize::TokenizeError;

use crate::policy::{Mode, Policy};

/// One SSH request, as sshd handed it to the gate.
#[derive(Debug, Clone)]
pub struct Request {
    /// The client's command line.
    pub command: CommandLine,
    /// Client and server addresses, if sshd provided them.
    pub connection: Option<Connection>,
    /// The key name given with `--key` in authorized_keys.
    pub key: Option<String>,
    /// The local account the gate runs as: sshd's choice of user.
    pub user: User,
    /// The accounts the policy names with `user`: empty until the policy
    /// is known and [`Request::with_accounts_for`] looks them up.
    pub accounts: Accounts,
    /// The capabilities in the gate's permitted set: all a command can
    /// keep.
    pub gate_capabilities: Vec<crate::policy::CapabilityName>,
    /// The client's `argv[0]` as an absolute path, for a learn-mode
    /// request that no rule allows: `None` until
    /// [`Request::with_programs_for`] looks it up, and always `None` in
    /// enforce mode, where only rules name programs.
    pub program: Option<Result<PathBuf, UnresolvedProgram>>,
}

/// The client's command line, split into words or refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    /// No `SSH_ORIGINAL_COMMAND`: the client asked for an interactive login.
    Missing,
    /// The command could not be split safely.
    Refused {
        /// The bytes as sent.
        raw: Vec<u8>,
        /// Why they were refused.
        error: TokenizeError,
    },
    /// The command, split into words.
    Words {
        /// The bytes as sent.
        raw: Vec<u8>,
        /// The words; never empty.
        argv: Vec<String>,
    },
}

impl CommandLine {
    /// Splits `raw`, keeping the refusal as data rather than an error: a
    /// refused command is still a request that must be decided and recorded.
    pub fn parse(raw: Option<Vec<u8>>) -> Self {
        match raw {
            None => Self::Missing,
            Some(raw) => match tokenize::split(&raw) {
                Ok(argv) => Self::Words { raw, argv },
                Err(error) => Self::Refused { raw, error },
            },
        }
    }

    /// The bytes the client sent, if any.
    pub fn raw(&self) -> Option<&[u8]> {
        match self {
            Self::Missing => None,
            Self::Refused { raw, .. } | Self::Words { raw, .. } => Some(raw),
        }
    }
}

/// The local account, resolved from the process credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name.
    pub name: String,
    /// Real user id.
    pub uid: u32,
    /// Home directory, the default working directory.
    pub home: PathBuf,
    /// Login shell, passed on as `SHELL`.
    pub shell: PathBuf,
}

/// Why the request itself could not be established.
#[derive(Debug)]
pub enum RequestError {
    /// The real uid has no passwd entry.
    UnknownUser(u32),
    /// The passwd lookup failed.
    UserLookup(nix::Error),
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownUser(uid) => write!(f, "uid {uid} has no passwd entry"),
            Self::UserLookup(error) => write!(f, "cannot look up the invoking user: {error}"),
        }
    }
}

impl std::error::Error for RequestError {}

impl User {
    /// The account of the real uid, from NSS.
    pub fn current() -> Result<Self, RequestError> {
        let uid = nix::unistd::getuid();
        let entry = nix::unistd::User::from_uid(uid)
            .map_err(RequestError::UserLookup)?
            .ok_or(RequestError::UnknownUser(uid.as_raw()))?;
        Ok(Self {
            name: entry.name,
            uid: uid.as_raw(),
            home: entry.dir,
            shell: entry.shell,
        })
    }

    /// The account of `uid`, from NSS: for `sshgate doctor`, the owner of
    /// an authorized_keys file.
    pub fn from_uid(uid: u32) -> Result<Self, RequestError> {
        let entry = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
            .map_err(RequestError::UserLookup)?
            .ok_or(RequestError::UnknownUser(uid))?;
        Ok(Self {
            name: entry.name,
            uid,
            home: entry.dir,
            shell: entry.shell,
        })
    }
}

impl Request {
    /// The request sshd made: `SSH_ORIGINAL_COMMAND`, `SSH_CONNECTION` (or
    /// `SSH_CLIENT`), the `--key` name and the invoking user.
    pub fn from_environment(key: Option<String>) -> Result<Self, RequestError> {
        let command = std::env::var_os("SSH_ORIGINAL_COMMAND").map(OsString::into_vec);
        // Not UTF-8 is set but malformed, not unset: lossily converted, it
        // cannot parse.
        let variable = |name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
        let connection = Connection::from_env_values(
            variable("SSH_CONNECTION").as_deref(),
            variable("SSH_CLIENT").as_deref(),
        );
        Self::on_this_host(CommandLine::parse(command), connection, key)
    }

    /// A request for `command` from `connection` with `key`, made to this
    /// host: the invoking user and the gate's capabilities are read here,
    /// so forced-command mode and `explain` decide with the same facts.
    /// The policy's accounts are not known yet: complete the request with
    /// [`Request::with_accounts_for`] once the policy is loaded.
    pub fn on_this_host(
        command: CommandLine,
        connection: Option<Connection>,
        key: Option<String>,
    ) -> Result<Self, RequestError> {
        Ok(Self {
            command,
            connection,
            key,
            user: User::current()?,
            accounts: Accounts::default(),
            gate_capabilities: permitted_capabilities(),
            program: None,
        })
    }

    /// The request completed for `policy`: every account it names with
    /// `user` looked up, through NSS, so that [`crate::decide::decide`]
    /// needs no lookup of its own and stays pure.
    #[must_use]
    pub fn with_accounts_for(self, policy: &Policy) -> Self {
        Self {
            accounts: Accounts::for_policy(policy),
            ..self
        }
    }

    /// The request completed for `policy`'s mode: in learn mode, the
    /// client's program resolved (absolute as sent, or found in
    /// [`LEARN_SEARCH_PATH`]) so that
    /// [`crate::decide::decide`] can run an unmatched command without a
    /// lookup of its own. Enforce mode looks nothing up.
    #[must_use]
    pub fn with_programs_for(self, policy: &Policy) -> Self {
        let program = match (&policy.mode, &self.command) {
            (Mode::Learn, CommandLine::Words { argv, .. }) => {
                argv.first().map(|argv0| program::resolve(argv0))
            }
            _ => None,
        };
        Self { program, ..self }
    }
}
