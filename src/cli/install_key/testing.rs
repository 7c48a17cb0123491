//! Helpers shared by the unit tests of install-key's modules: a real
//! public key line, and the parser run on test input.

use super::public_key::{PublicKey, parse_public_key};

/// A well-formed ed25519 public key line, without a comment.
pub(super) const ED25519: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnXn9rD0VhQ8e5FzqB0mJqB1Zq0cP2TtM0bR5mJ3oQx";

/// `text` read as a public key file named `k.pub`, or the error as shown.
pub(super) fn key(text: &str) -> Result<PublicKey, String> {
    parse_public_key(text.as_bytes(), "k.pub").map_err(|error| error.to_string())
}
