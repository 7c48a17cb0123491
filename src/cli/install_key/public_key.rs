//! The public key to install: read from a file or standard input, and
//! checked to be one key line `TYPE BASE64 [COMMENT]` that sshd can read,
//! without options, whose base64 decodes to a key of the type it names.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::error::InstallError;
use crate::audit::escape_control;
use crate::doctor::authorized_keys::{self, Entry, KEY_TYPES};

/// The largest public key file read. An RSA key of 16384 bits is under
/// 3 KiB; anything much larger is not a public key.
const MAX_PUBKEY_BYTES: u64 = 64 * 1024;

/// A public key as authorized_keys holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PublicKey {
    /// The key type, e.g. `ssh-ed25519`.
    pub(super) key_type: String,
    /// The base64 word, checked to decode to a key of `key_type`.
    pub(super) key_data: String,
    /// The comment after the key, if any (without control characters).
    pub(super) comment: String,
}

/// Reads the one key line in `bytes`, from `origin`.
pub(super) fn parse_public_key(bytes: &[u8], origin: &str) -> Result<PublicKey, InstallError> {
    let bad = |problem: String| InstallError::BadKey {
        origin: origin.to_owned(),
        problem,
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|_| bad("is not text; give the *.pub file that ssh-keygen wrote".to_owned()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let line = match lines.as_slice() {
        [] => return Err(bad("holds no key".to_owned())),
        [(_, line)] => *line,
        [(_, first), ..] if first.starts_with("---- BEGIN SSH2 PUBLIC KEY") => {
            return Err(bad(
                "is an RFC 4716 (SSH2) public key; convert it with `ssh-keygen -i -f FILE`"
                    .to_owned(),
            ));
        }
        [(_, first), ..] if first.starts_with("-----BEGIN") && first.contains("PRIVATE KEY") => {
            return Err(bad(
                "is a PRIVATE key; give the public key (the *.pub file), and keep this one secret"
                    .to_owned(),
            ));
        }
        [(_, first), ..] if first.starts_with("-----BEGIN") => {
            return Err(bad(
                "is a PEM key; convert it with `ssh-keygen -i -m PKCS8 -f FILE`".to_owned(),
            ));
        }
        several => {
            let numbers: Vec<String> = several.iter().map(|(n, _)| n.to_string()).collect();
            return Err(bad(format!(
                "holds {} lines (lines {}); install one key at a time",
                several.len(),
                numbers.join(", ")
            )));
        }
    };
    let key = match authorized_keys::parse(line).pop() {
        Some(Entry::Key(key)) => key,
        Some(Entry::Invalid { reason, .. }) => {
            let first = line.split([' ', '\t']).next().unwrap_or_default();
            return Err(bad(if KEY_TYPES.contains(&first) {
                escape_control(reason.as_bytes())
            } else if reason.starts_with("unknown key type") || reason.starts_with("no key") {
                format!(
                    "unknown key type {:?}; sshd reads {}",
                    escape_control(first.as_bytes()),
                    KEY_TYPES.join(", ")
                )
            } else {
                format!(
                    "starts with options ({}); give the bare key: install-key writes the \
                     options itself",
                    escape_control(reason.as_bytes())
                )
            }));
        }
        None => return Err(bad("holds no key".to_owned())),
    };
    if !key.options.is_empty() {
        return Err(bad(
            "starts with options; give the bare key `TYPE BASE64 [COMMENT]`: install-key writes \
             the options itself"
                .to_owned(),
        ));
    }
    if key.key_data.is_empty() {
        return Err(bad(format!(
            "has the key type {} but no key after it",
            key.key_type
        )));
    }
    let blob = decode_base64(&key.key_data).ok_or_else(|| {
        bad("the key is not valid base64; copy the whole *.pub line again".to_owned())
    })?;
    match blob_type(&blob) {
        Some(inner) if inner == key.key_type.as_bytes() => {}
        Some(inner) => {
            return Err(bad(format!(
                "the line says {} but the key inside is {}; copy the whole *.pub line again",
                key.key_type,
                escape_control(inner)
            )));
        }
        None => {
            return Err(bad(
                "the key is truncated or not an SSH key; copy the whole *.pub line again"
                    .to_owned(),
            ));
        }
    }
    if key.comment.chars().any(char::is_control) {
        return Err(bad(
            "the comment holds control characters; remove them from the *.pub line".to_owned(),
        ));
    }
    Ok(PublicKey {
        key_type: key.key_type,
        key_data: key.key_data,
        comment: key.comment,
    })
}

/// The key type an SSH key blob starts with (an RFC 4251 `string`), if it
/// is followed by key material.
fn blob_type(blob: &[u8]) -> Option<&[u8]> {
    let length: [u8; 4] = blob.get(..4)?.try_into().ok()?;
    let length = usize::try_from(u32::from_be_bytes(length)).ok()?;
    let end = length.checked_add(4)?;
    (blob.len() > end).then(|| &blob[4..end])
}

/// Decodes standard base64 with padding (RFC 4648, section 4), the form
/// sshd reads keys in; `None` for anything else.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn value(byte: u8) -> Option<u32> {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        Some(u32::from(value))
    }
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() % 4 != 0 {
        return None;
    }
    let last = bytes.len() / 4 - 1;
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (index, chunk) in bytes.chunks_exact(4).enumerate() {
        let padding = chunk.iter().rev().take_while(|&&byte| byte == b'=').count();
        if padding > 2 || (padding > 0 && index != last) {
            return None;
        }
        let mut group = 0u32;
        for &byte in &chunk[..4 - padding] {
            group = (group << 6) | value(byte)?;
        }
        group <<= 6 * padding;
        let [_, a, b, c] = group.to_be_bytes();
        out.extend_from_slice(&[a, b, c][..3 - padding]);
    }
    Some(out)
}

/// Reads the public key from `path`, or standard input for `-`.
pub(super) fn read_public_key(path: &Path) -> Result<PublicKey, InstallError> {
    let (origin, reader): (String, Box<dyn Read>) = if path == Path::new("-") {
        ("standard input".to_owned(), Box::new(io::stdin()))
    } else {
        let origin = path.display().to_string();
        let file = File::open(path).map_err(|source| InstallError::ReadKey {
            origin: origin.clone(),
            source,
        })?;
        (origin, Box::new(file))
    };
    let mut bytes = Vec::new();
    reader
        .take(MAX_PUBKEY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| InstallError::ReadKey {
            origin: origin.clone(),
            source,
        })?;
    if bytes.len() as u64 > MAX_PUBKEY_BYTES {
        return Err(InstallError::BadKey {
            origin,
            problem: format!("is larger than {MAX_PUBKEY_BYTES} bytes, too large for a public key"),
        });
    }
    parse_public_key(&bytes, &origin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::install_key::testing::{ED25519, key};

    #[test]
    fn base64_decodes_as_rfc_4648_says() {
        assert_eq!(decode_base64("Zm9vYmFy").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(decode_base64("Zm9vYg==").as_deref(), Some(&b"foob"[..]));
        assert_eq!(decode_base64("Zm9vYmE=").as_deref(), Some(&b"fooba"[..]));
        for bad in ["", "Zm9", "Zm9v!mFy", "Zg==Zm9v", "Z===", "Zm=v"] {
            assert_eq!(decode_base64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_public_key_line_is_read_with_its_comment() {
        let key = key(&format!("{ED25519}  backup01@host  \n")).unwrap();
        assert_eq!(key.key_type, "ssh-ed25519");
        assert_eq!(key.comment, "backup01@host");
        let bare = self::key(ED25519).unwrap();
        assert_eq!(bare.comment, "");
    }

    #[test]
    fn malformed_public_keys_say_what_is_wrong() {
        let cases = [
            ("", "k.pub: holds no key"),
            (
                &format!("{ED25519} a\n{ED25519} b\n"),
                "k.pub: holds 2 lines (lines 1, 2); install one key at a time",
            ),
            (
                "ssh-ed448 AAAA c",
                "k.pub: unknown key type \"ssh-ed448\"; sshd reads ssh-ed25519",
            ),
            (
                &format!("restrict {ED25519}"),
                "k.pub: starts with options; give the bare key",
            ),
            (
                &format!("bogus-option {ED25519}"),
                "k.pub: starts with options (unknown option \"bogus-option\")",
            ),
            (
                "ssh-ed25519",
                "k.pub: has the key type ssh-ed25519 but no key after it",
            ),
            ("ssh-ed25519 AAAA!AAA", "k.pub: the key is not valid base64"),
            (
                // A valid ed25519 blob under another type name.
                &ED25519.replace("ssh-ed25519", "ssh-rsa"),
                "k.pub: the line says ssh-rsa but the key inside is ssh-ed25519",
            ),
            (
                "ssh-ed25519 AAAAC3Nz",
                "k.pub: the key is truncated or not an SSH key",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n",
                "k.pub: is a PRIVATE key",
            ),
            (
                "---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----\n",
                "k.pub: is an RFC 4716 (SSH2) public key",
            ),
        ];
        for (text, expected) in cases {
            let error = key(text).unwrap_err();
            assert!(error.starts_with(expected), "{text:?}: {error}");
        }
    }
}
