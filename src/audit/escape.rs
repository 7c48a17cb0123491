//! Escaping of client-supplied bytes before they reach a log.
//!
//! The original command comes straight from the SSH client. Written raw, an
//! ESC sequence could rewrite an administrator's terminal, a newline could
//! forge a second record in a line-oriented viewer, and invalid UTF-8 could
//! not be put into JSON at all. The escaped form is plain, printable text that
//! still shows exactly which bytes were sent.

/// Escapes control characters and invalid UTF-8 in `raw`.
///
/// - valid, printable UTF-8 is kept as it is;
/// - `\` becomes `\\`, so an escape in the output can never be forged by the
///   client;
/// - newline, carriage return and tab become `\n`, `\r` and `\t`;
/// - every other C0 control and DEL becomes `\xNN` (two lowercase hex digits);
/// - C1 controls (U+0080 to U+009F) become `\u{NN}`, and so do, as
///   `\u{NNNN}`, the bidirectional formatting characters (U+061C, U+200E,
///   U+200F, U+202A to U+202E, U+2066 to U+2069), which can make a log
///   line read backwards in a terminal, the line and paragraph separators
///   (U+2028, U+2029), which break a line in some viewers, and the
///   zero-width characters (U+200B to U+200D, U+2060, U+FEFF), which hide
///   text;
/// - each byte that is not part of valid UTF-8 becomes `\xNN`.
///
/// A C1 control is shown as `\u{80}` and the lone byte 0x80 as `\x80`, so the
/// two stay distinguishable.
pub fn escape_control(raw: &[u8]) -> String {
    escape_capped(raw, usize::MAX).0
}

/// Escapes like [`escape_control`], but stops before the output would exceed
/// `max_chars` characters. Returns the text and whether anything was cut.
///
/// The cut never falls inside an escape sequence: a half-written `\x1` would
/// misstate what the client sent.
pub(crate) fn escape_capped(raw: &[u8], max_chars: usize) -> (String, bool) {
    let mut out = String::with_capacity(raw.len().min(max_chars));
    let mut chars = 0usize;
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            if !push(&mut out, &mut chars, max_chars, Unit::from_char(c)) {
                return (out, true);
            }
        }
        for &b in chunk.invalid() {
            if !push(&mut out, &mut chars, max_chars, Unit::Byte(b)) {
                return (out, true);
            }
        }
    }
    (out, false)
}

/// One piece of output: a kept character or one complete escape.
enum Unit {
    /// A printable character, kept.
    Plain(char),
    /// A two-character escape such as `\n`.
    Short(&'static str),
    /// `\xNN`, for ASCII controls and for bytes that are not valid UTF-8.
    Byte(u8),
    /// `\u{...}`, for C1 controls and bidirectional formatting characters.
    CodePoint(char),
}

impl Unit {
    fn from_char(c: char) -> Unit {
        match c {
            '\\' => Unit::Short("\\\\"),
            '\n' => Unit::Short("\\n"),
            '\r' => Unit::Short("\\r"),
            '\t' => Unit::Short("\\t"),
            // C0 controls and DEL are single ASCII bytes, so the byte form
            // is exact.
            '\0'..='\x1f' | '\x7f' => Unit::Byte(c as u8),
            '\u{80}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}' => Unit::CodePoint(c),
            _ => Unit::Plain(c),
        }
    }

    /// Output length in characters (escapes are ASCII).
    fn width(&self) -> usize {
        match self {
            Unit::Plain(_) => 1,
            Unit::Short(s) => s.len(),
            Unit::Byte(_) => 4,
            Unit::CodePoint(c) => 4 + hex_digits(*c).len(),
        }
    }
}

/// The code point of `c` in lowercase hex, at least two digits.
fn hex_digits(c: char) -> String {
    format!("{:02x}", u32::from(c))
}

/// Appends `unit` unless it would take the output past `max_chars`.
/// Returns false when the unit did not fit.
fn push(out: &mut String, chars: &mut usize, max_chars: usize, unit: Unit) -> bool {
    let width = unit.width();
    if max_chars.saturating_sub(*chars) < width {
        return false;
    }
    *chars += width;
    match unit {
        Unit::Plain(c) => out.push(c),
        Unit::Short(s) => out.push_str(s),
        Unit::Byte(b) => {
            out.push_str("\\x");
            push_hex(out, b);
        }
        Unit::CodePoint(c) => {
            out.push_str("\\u{");
            out.push_str(&hex_digits(c));
            out.push('}');
        }
    }
    true
}

fn push_hex(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0x0f)]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_table() {
        let cases: &[(&[u8], &str)] = &[
            (b"", ""),
            (
                b"rsync --server -e.LsfxCIvu . /srv",
                "rsync --server -e.LsfxCIvu . /srv",
            ),
            ("héllo wörld €𝄞".as_bytes(), "héllo wörld €𝄞"),
            (b"a\\b", "a\\\\b"),
            (b"a\\nb", "a\\\\nb"),
            (b"line1\nline2", "line1\\nline2"),
            (b"cr\rlf\n", "cr\\rlf\\n"),
            (b"tab\there", "tab\\there"),
            (b"\x00", "\\x00"),
            (b"\x07bell", "\\x07bell"),
            (b"\x1b[2J", "\\x1b[2J"),
            (b"\x1f", "\\x1f"),
            (b"del\x7f", "del\\x7f"),
            ("\u{80}".as_bytes(), "\\u{80}"),
            ("c1\u{9b}31m".as_bytes(), "c1\\u{9b}31m"),
            ("\u{9f}".as_bytes(), "\\u{9f}"),
            // U+00A0 (no-break space) is the first character after C1: kept.
            ("\u{a0}".as_bytes(), "\u{a0}"),
            // Bidirectional overrides would reorder the rest of the line.
            ("ls \u{202e}gpj.exe".as_bytes(), "ls \\u{202e}gpj.exe"),
            (
                "\u{2066}\u{2069}\u{200f}\u{61c}".as_bytes(),
                "\\u{2066}\\u{2069}\\u{200f}\\u{61c}",
            ),
            (
                // Line and paragraph separators break lines in viewers;
                // zero-width characters hide text.
                "a\u{2028}b\u{2029}c\u{200b}d\u{feff}e\u{2060}".as_bytes(),
                "a\\u{2028}b\\u{2029}c\\u{200b}d\\u{feff}e\\u{2060}",
            ),
            (b"\x80", "\\x80"),
            (b"\xff\xfe", "\\xff\\xfe"),
            (b"bad\xc3(", "bad\\xc3("),
            // A truncated 3-byte sequence is reported byte by byte.
            (b"\xe2\x82", "\\xe2\\x82"),
            // Overlong encoding of '/' is invalid UTF-8, not a slash.
            (b"\xc0\xaf", "\\xc0\\xaf"),
            (b"ok\xffok\x1bok\n", "ok\\xffok\\x1bok\\n"),
        ];
        for (raw, want) in cases {
            assert_eq!(escape_control(raw), *want, "input {raw:?}");
        }
    }

    #[test]
    fn capped_never_splits_an_escape() {
        // 3 plain chars fit in 5, the 4-character "\x1b" does not.
        assert_eq!(escape_capped(b"abc\x1b", 5), ("abc".to_string(), true));
        assert_eq!(
            escape_capped(b"abc\x1b", 7),
            ("abc\\x1b".to_string(), false)
        );
        assert_eq!(escape_capped(b"ab\n", 3), ("ab".to_string(), true));
        assert_eq!(escape_capped(b"ab\n", 4), ("ab\\n".to_string(), false));
        assert_eq!(escape_capped("\u{85}".as_bytes(), 5), (String::new(), true));
        // The cap counts characters, not bytes.
        assert_eq!(
            escape_capped("ééé".as_bytes(), 3),
            ("ééé".to_string(), false)
        );
        assert_eq!(
            escape_capped("éééé".as_bytes(), 3),
            ("ééé".to_string(), true)
        );
        assert_eq!(escape_capped(b"", 0), (String::new(), false));
    }
}
