//! Strict POSIX-shell word splitting, with no shell.
//!
//! The client's command line arrives as one string, but the program we run
//! needs an argv. We split it the way POSIX `sh` would, so clients such as
//! `scp`, `rsync` and `git` keep working unchanged, and we refuse anything a
//! shell would treat as more than plain words: operators, expansions, globs,
//! comments and multi-line input. Because nothing is ever expanded, the argv
//! we produce is exactly the text the client sent, minus quoting.
//!
//! Only space and tab separate words, as in the shell's own grammar; `IFS`
//! plays no part because no expansion ever happens.

use std::fmt;
use std::iter::Peekable;
use std::str::CharIndices;

/// Longest command accepted, in bytes.
pub const MAX_COMMAND_LEN: usize = 64 * 1024;

/// Why a command line was refused.
///
/// Every `at` is a byte offset into the command as received, so the audit
/// log can point at the exact byte even in non-ASCII input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenizeError {
    /// The command is longer than [`MAX_COMMAND_LEN`] bytes.
    TooLong {
        /// Length of the command, in bytes.
        len: usize,
    },
    /// The command is empty or contains only spaces and tabs.
    Empty,
    /// The command is not valid UTF-8.
    InvalidUtf8 {
        /// Offset of the first byte that is not part of valid UTF-8.
        at: usize,
    },
    /// The command contains a NUL byte, which no argv entry can hold.
    Nul {
        /// Offset of the NUL byte.
        at: usize,
    },
    /// The command contains a line feed, quoted or not.
    Newline {
        /// Offset of the line feed.
        at: usize,
    },
    /// The command contains a carriage return, quoted or not.
    CarriageReturn {
        /// Offset of the carriage return.
        at: usize,
    },
    /// The command contains an ASCII control character other than tab,
    /// line feed, carriage return and NUL (which have their own variants).
    ControlCharacter {
        /// The control byte (0x01..=0x1F or 0x7F).
        byte: u8,
        /// Offset of the control byte.
        at: usize,
    },
    /// An unquoted `;`, `&`, `|`, `<`, `>`, `(` or `)`.
    ShellOperator {
        /// The operator character.
        operator: char,
        /// Offset of the operator.
        at: usize,
    },
    /// An unquoted `$` or backtick, which would start an expansion.
    Expansion {
        /// `$` or a backtick.
        trigger: char,
        /// Offset of the character.
        at: usize,
    },
    /// A `$` or backtick inside double quotes, where sh still expands it.
    ExpansionInDoubleQuotes {
        /// `$` or a backtick.
        trigger: char,
        /// Offset of the character.
        at: usize,
    },
    /// An unquoted `*`, `?` or `[`, which would make a glob pattern.
    Glob {
        /// The glob character.
        wildcard: char,
        /// Offset of the character.
        at: usize,
    },
    /// An unquoted `~` at the start of a word, which sh replaces with a home
    /// directory.
    Tilde {
        /// Offset of the tilde.
        at: usize,
    },
    /// An unquoted `{` or `}`: a reserved word in sh, brace expansion in bash.
    Brace {
        /// `{` or `}`.
        brace: char,
        /// Offset of the brace.
        at: usize,
    },
    /// An unquoted `#` at the start of a word, which sh would treat as the
    /// start of a comment, silently dropping the rest of the line.
    Comment {
        /// Offset of the `#`.
        at: usize,
    },
    /// A `'` that is never closed.
    UnterminatedSingleQuote {
        /// Offset of the opening quote.
        at: usize,
    },
    /// A `"` that is never closed.
    UnterminatedDoubleQuote {
        /// Offset of the opening quote.
        at: usize,
    },
    /// An unquoted `\` as the very last byte, with nothing to escape.
    TrailingBackslash {
        /// Offset of the backslash.
        at: usize,
    },
}

impl fmt::Display for TokenizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TokenizeError::*;
        // The offending characters are all printable ASCII by construction
        // (control bytes are shown in hex), so quoting them cannot smuggle
        // terminal escapes into the client's stderr or the audit log.
        match self {
            TooLong { len } => write!(
                f,
                "command is {len} bytes, over the {MAX_COMMAND_LEN}-byte limit"
            ),
            Empty => write!(f, "command is empty"),
            InvalidUtf8 { at } => write!(f, "invalid UTF-8 at byte {at}"),
            Nul { at } => write!(f, "NUL byte at byte {at}"),
            Newline { at } => write!(
                f,
                "newline at byte {at}: multi-line commands are not allowed"
            ),
            CarriageReturn { at } => write!(
                f,
                "carriage return at byte {at}: multi-line commands are not allowed"
            ),
            ControlCharacter { byte, at } => write!(
                f,
                "control character 0x{byte:02X} at byte {at}: control characters are not allowed"
            ),
            ShellOperator { operator, at } => write!(
                f,
                "unquoted '{operator}' at byte {at}: shell operators are not allowed"
            ),
            Expansion { trigger, at } => write!(
                f,
                "unquoted '{trigger}' at byte {at}: expansions are not allowed"
            ),
            ExpansionInDoubleQuotes { trigger, at } => write!(
                f,
                "'{trigger}' inside double quotes at byte {at}: expansions are not allowed"
            ),
            Glob { wildcard, at } => write!(
                f,
                "unquoted '{wildcard}' at byte {at}: glob patterns are not allowed"
            ),
            Tilde { at } => write!(
                f,
                "unquoted '~' starting the word at byte {at}: tilde expansion is not allowed"
            ),
            Brace { brace, at } => {
                write!(f, "unquoted '{brace}' at byte {at}: braces are not allowed")
            }
            Comment { at } => write!(
                f,
                "unquoted '#' starting the word at byte {at}: comments are not allowed"
            ),
            UnterminatedSingleQuote { at } => {
                write!(f, "unterminated single quote starting at byte {at}")
            }
            UnterminatedDoubleQuote { at } => {
                write!(f, "unterminated double quote starting at byte {at}")
            }
            TrailingBackslash { at } => {
                write!(f, "trailing backslash at byte {at}: nothing to escape")
            }
        }
    }
}

impl std::error::Error for TokenizeError {}

/// Splits a command line into words exactly as POSIX `sh` would, or refuses it.
///
/// Accepted: words separated by spaces and tabs, single quotes, double
/// quotes, and backslash escapes, with adjacent parts joined into one word.
/// Refused: anything that would make sh do more than split words. See
/// [`TokenizeError`] for the full list.
pub fn split(command: &[u8]) -> Result<Vec<String>, TokenizeError> {
    // Cheapest checks first, so a hostile client cannot make us scan
    // megabytes or reason about malformed text.
    refuse_oversized(command)?;
    let text = decode_utf8(command)?;
    refuse_forbidden_bytes(text)?;
    if text.chars().all(is_blank) {
        return Err(TokenizeError::Empty);
    }
    split_words(text)
}

fn refuse_oversized(command: &[u8]) -> Result<(), TokenizeError> {
    if command.len() > MAX_COMMAND_LEN {
        return Err(TokenizeError::TooLong { len: command.len() });
    }
    Ok(())
}

fn decode_utf8(command: &[u8]) -> Result<&str, TokenizeError> {
    std::str::from_utf8(command).map_err(|e| TokenizeError::InvalidUtf8 {
        at: e.valid_up_to(),
    })
}

/// Refuses bytes that are wrong wherever they appear, quoted or not.
///
/// Checking them up front keeps the quoting logic below free of special
/// cases. Scanning bytes rather than chars is exact here: in valid UTF-8,
/// bytes below 0x80 only ever encode themselves.
fn refuse_forbidden_bytes(text: &str) -> Result<(), TokenizeError> {
    for (at, byte) in text.bytes().enumerate() {
        match byte {
            0 => return Err(TokenizeError::Nul { at }),
            b'\n' => return Err(TokenizeError::Newline { at }),
            b'\r' => return Err(TokenizeError::CarriageReturn { at }),
            b'\t' => {}
            0x01..=0x1F | 0x7F => return Err(TokenizeError::ControlCharacter { byte, at }),
            _ => {}
        }
    }
    Ok(())
}

/// The shell grammar's word separators. Other Unicode spaces are ordinary
/// word characters to sh, so they are to us too.
fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

type Cursor<'a> = Peekable<CharIndices<'a>>;

fn split_words(text: &str) -> Result<Vec<String>, TokenizeError> {
    let mut cursor = text.char_indices().peekable();
    let mut words = Vec::new();
    loop {
        while cursor.next_if(|&(_, c)| is_blank(c)).is_some() {}
        if cursor.peek().is_none() {
            return Ok(words);
        }
        words.push(read_word(&mut cursor)?);
    }
}

/// Reads one word, joining its quoted and unquoted parts, up to the next
/// blank or the end of input.
fn read_word(cursor: &mut Cursor<'_>) -> Result<String, TokenizeError> {
    let mut word = String::new();
    // Tilde and comment rules only apply when the very first character of
    // the word is unquoted, so `''~` and `\#` stay literal, as in sh.
    let mut at_word_start = true;
    while let Some((at, c)) = cursor.next_if(|&(_, c)| !is_blank(c)) {
        match c {
            '\'' => read_single_quoted(cursor, at, &mut word)?,
            '"' => read_double_quoted(cursor, at, &mut word)?,
            '\\' => word.push(read_escaped(cursor, at)?),
            _ => {
                refuse_unquoted_syntax(c, at, at_word_start)?;
                word.push(c);
            }
        }
        at_word_start = false;
    }
    Ok(word)
}

/// Appends everything up to the closing `'`: sh gives no character a special
/// meaning inside single quotes.
fn read_single_quoted(
    cursor: &mut Cursor<'_>,
    opened_at: usize,
    word: &mut String,
) -> Result<(), TokenizeError> {
    for (_, c) in cursor.by_ref() {
        if c == '\'' {
            return Ok(());
        }
        word.push(c);
    }
    Err(TokenizeError::UnterminatedSingleQuote { at: opened_at })
}

/// Appends everything up to the closing `"`, applying sh's double-quote
/// backslash rule and refusing the expansions sh would still perform there.
fn read_double_quoted(
    cursor: &mut Cursor<'_>,
    opened_at: usize,
    word: &mut String,
) -> Result<(), TokenizeError> {
    while let Some((at, c)) = cursor.next() {
        match c {
            '"' => return Ok(()),
            '$' | '`' => return Err(TokenizeError::ExpansionInDoubleQuotes { trigger: c, at }),
            '\\' => match cursor.next_if(|&(_, next)| escapable_in_double_quotes(next)) {
                Some((_, escaped)) => word.push(escaped),
                // sh keeps the backslash when it escapes nothing special.
                None => word.push('\\'),
            },
            _ => word.push(c),
        }
    }
    Err(TokenizeError::UnterminatedDoubleQuote { at: opened_at })
}

/// The characters a backslash escapes inside double quotes.
///
/// POSIX also lists newline, but there a backslash-newline pair is deleted
/// rather than kept; newlines are refused before we get here, so leaving it
/// out cannot make us disagree with sh.
fn escapable_in_double_quotes(c: char) -> bool {
    matches!(c, '$' | '`' | '"' | '\\')
}

/// Returns the character after an unquoted backslash, which sh takes
/// literally whatever it is.
fn read_escaped(cursor: &mut Cursor<'_>, backslash_at: usize) -> Result<char, TokenizeError> {
    match cursor.next() {
        Some((_, escaped)) => Ok(escaped),
        None => Err(TokenizeError::TrailingBackslash { at: backslash_at }),
    }
}

/// Refuses an unquoted character that would make sh do anything other than
/// take it literally as part of the word.
fn refuse_unquoted_syntax(c: char, at: usize, at_word_start: bool) -> Result<(), TokenizeError> {
    match c {
        ';' | '&' | '|' | '<' | '>' | '(' | ')' => {
            Err(TokenizeError::ShellOperator { operator: c, at })
        }
        '$' | '`' => Err(TokenizeError::Expansion { trigger: c, at }),
        '*' | '?' | '[' => Err(TokenizeError::Glob { wildcard: c, at }),
        '{' | '}' => Err(TokenizeError::Brace { brace: c, at }),
        '~' if at_word_start => Err(TokenizeError::Tilde { at }),
        '#' if at_word_start => Err(TokenizeError::Comment { at }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::TokenizeError::*;
    use super::*;
    use std::io::Write;
    use std::process::Command;

    /// One table row: the raw command and what `split` must return.
    struct Case {
        input: Vec<u8>,
        want: Result<Vec<String>, TokenizeError>,
    }

    fn ok(input: &str, words: &[&str]) -> Case {
        Case {
            input: input.as_bytes().to_vec(),
            want: Ok(words.iter().map(|w| w.to_string()).collect()),
        }
    }

    fn refused(input: &str, error: TokenizeError) -> Case {
        refused_bytes(input.as_bytes(), error)
    }

    fn refused_bytes(input: &[u8], error: TokenizeError) -> Case {
        Case {
            input: input.to_vec(),
            want: Err(error),
        }
    }

    // One row per line reads as a table; rustfmt would explode each
    // struct-variant row over five lines.
    #[rustfmt::skip]
    fn cases() -> Vec<Case> {
        let longest = "a".repeat(MAX_COMMAND_LEN);
        let too_long = "a".repeat(MAX_COMMAND_LEN + 1);
        vec![
            // What real clients send.
            ok("rsync --server --sender -logDtpre.iLsfxCIvu . /srv/",
               &["rsync", "--server", "--sender", "-logDtpre.iLsfxCIvu", ".", "/srv/"]),
            ok("scp -t /incoming", &["scp", "-t", "/incoming"]),
            ok("scp -f -- /srv/a", &["scp", "-f", "--", "/srv/a"]),
            ok("git-upload-pack 'repo.git'", &["git-upload-pack", "repo.git"]),
            ok("git-receive-pack '/srv/git/p.git'", &["git-receive-pack", "/srv/git/p.git"]),
            ok("/usr/lib/openssh/sftp-server", &["/usr/lib/openssh/sftp-server"]),
            ok("internal-sftp", &["internal-sftp"]),
            ok("git upload-pack '~/x.git'", &["git", "upload-pack", "~/x.git"]),
            // Blanks.
            ok("  ls   -l  ", &["ls", "-l"]),
            ok("ls\t-l\t\t/tmp", &["ls", "-l", "/tmp"]),
            ok(" \t ls \t", &["ls"]),
            // Quoting and joining.
            ok("ls 'a b*'", &["ls", "a b*"]),
            ok("a'b'\"c\"", &["abc"]),
            ok("echo ''", &["echo", ""]),
            ok("''", &[""]),
            ok("echo '' \"\" x", &["echo", "", "", "x"]),
            ok("echo 'a\"b'", &["echo", "a\"b"]),
            ok("echo \"a'b\"", &["echo", "a'b"]),
            ok("echo 'a\\b'", &["echo", "a\\b"]),
            ok("echo '$HOME' '`id`'", &["echo", "$HOME", "`id`"]),
            ok("echo \";|&<>(){}*?[~#\"", &["echo", ";|&<>(){}*?[~#"]),
            // Backslashes outside quotes.
            ok("echo \\;", &["echo", ";"]),
            ok("echo a\\ b", &["echo", "a b"]),
            ok("echo \\$HOME \\`id\\`", &["echo", "$HOME", "`id`"]),
            ok("echo \\\\ \\' \\\"", &["echo", "\\", "'", "\""]),
            ok("echo \\x\\y", &["echo", "xy"]),
            ok("echo \\~ \\# \\*", &["echo", "~", "#", "*"]),
            // Backslashes inside double quotes.
            ok("echo \"\\$ \\` \\\" \\\\\"", &["echo", "$ ` \" \\"]),
            ok("echo \"\\n\\q\"", &["echo", "\\n\\q"]),
            // Characters special only at the start of a word.
            ok("echo a~b a#b", &["echo", "a~b", "a#b"]),
            ok("echo ''~ \"\"#", &["echo", "~", "#"]),
            ok("echo --dir=~/x", &["echo", "--dir=~/x"]),
            // Harmless punctuation.
            ok("echo a] ! % ^ , = + @ :", &["echo", "a]", "!", "%", "^", ",", "=", "+", "@", ":"]),
            // Unicode passes through untouched, including non-ASCII spaces.
            ok("echo héllo 'wörld' \"日本\"", &["echo", "héllo", "wörld", "日本"]),
            ok("echo a\u{a0}b", &["echo", "a\u{a0}b"]),
            // Length limit: exactly at the limit, and one over.
            ok(&longest, &[longest.as_str()]),
            refused(&too_long, TooLong { len: MAX_COMMAND_LEN + 1 }),
            // Empty.
            refused("", Empty),
            refused("   ", Empty),
            refused(" \t ", Empty),
            // Encoding and forbidden bytes, quoted or not.
            refused_bytes(b"ls \xff", InvalidUtf8 { at: 3 }),
            refused_bytes(b"echo \xc3", InvalidUtf8 { at: 5 }),
            refused_bytes(b"ls\0x", Nul { at: 2 }),
            refused_bytes(b"ls '\0'", Nul { at: 4 }),
            refused("ls\nid", Newline { at: 2 }),
            refused("echo 'a\nb'", Newline { at: 7 }),
            refused("ls\r", CarriageReturn { at: 2 }),
            refused("echo \"a\rb\"", CarriageReturn { at: 7 }),
            refused("echo \x1b[31m", ControlCharacter { byte: 0x1B, at: 5 }),
            refused("echo '\x01'", ControlCharacter { byte: 0x01, at: 6 }),
            refused("echo \x7f", ControlCharacter { byte: 0x7F, at: 5 }),
            // Shell operators.
            refused("ls;id", ShellOperator { operator: ';', at: 2 }),
            refused("ls & id", ShellOperator { operator: '&', at: 3 }),
            refused("ls | id", ShellOperator { operator: '|', at: 3 }),
            refused("cat < /etc/shadow", ShellOperator { operator: '<', at: 4 }),
            refused("echo > /x", ShellOperator { operator: '>', at: 5 }),
            refused("(id)", ShellOperator { operator: '(', at: 0 }),
            refused("echo a)", ShellOperator { operator: ')', at: 6 }),
            // Expansions.
            refused("echo $HOME", Expansion { trigger: '$', at: 5 }),
            refused("echo `id`", Expansion { trigger: '`', at: 5 }),
            refused("echo \"$HOME\"", ExpansionInDoubleQuotes { trigger: '$', at: 6 }),
            refused("echo \"a`id`\"", ExpansionInDoubleQuotes { trigger: '`', at: 7 }),
            // Globs.
            refused("ls *", Glob { wildcard: '*', at: 3 }),
            refused("ls a?", Glob { wildcard: '?', at: 4 }),
            refused("ls [ab]", Glob { wildcard: '[', at: 3 }),
            // Tilde, braces, comments.
            refused("ls ~/x", Tilde { at: 3 }),
            refused("ls ~root", Tilde { at: 3 }),
            refused("echo {a,b}", Brace { brace: '{', at: 5 }),
            refused("echo a}", Brace { brace: '}', at: 6 }),
            refused("ls #secret", Comment { at: 3 }),
            refused("#ls", Comment { at: 0 }),
            // Unterminated constructs.
            refused("echo 'abc", UnterminatedSingleQuote { at: 5 }),
            refused("echo \"abc", UnterminatedDoubleQuote { at: 5 }),
            refused("echo \"abc\\\"", UnterminatedDoubleQuote { at: 5 }),
            refused("echo \\", TrailingBackslash { at: 5 }),
            refused("echo a\\", TrailingBackslash { at: 6 }),
            // Offsets count bytes, not characters.
            refused("echo é;", ShellOperator { operator: ';', at: 7 }),
        ]
    }

    #[test]
    fn table() {
        for case in cases() {
            assert_eq!(
                split(&case.input),
                case.want,
                "input: {:?}",
                String::from_utf8_lossy(&case.input)
            );
        }
    }

    #[test]
    fn table_is_large_enough() {
        assert!(cases().len() >= 45);
    }

    #[test]
    fn display_is_one_specific_line() {
        let examples = [
            (
                ShellOperator {
                    operator: ';',
                    at: 6,
                },
                "unquoted ';' at byte 6: shell operators are not allowed",
            ),
            (
                ExpansionInDoubleQuotes {
                    trigger: '$',
                    at: 9,
                },
                "'$' inside double quotes at byte 9: expansions are not allowed",
            ),
            (
                UnterminatedSingleQuote { at: 4 },
                "unterminated single quote starting at byte 4",
            ),
            (
                TooLong { len: 70000 },
                "command is 70000 bytes, over the 65536-byte limit",
            ),
            (Empty, "command is empty"),
            (
                Newline { at: 3 },
                "newline at byte 3: multi-line commands are not allowed",
            ),
            (InvalidUtf8 { at: 5 }, "invalid UTF-8 at byte 5"),
            (Nul { at: 2 }, "NUL byte at byte 2"),
            (
                ControlCharacter { byte: 0x1B, at: 5 },
                "control character 0x1B at byte 5: control characters are not allowed",
            ),
        ];
        for (error, text) in examples {
            assert_eq!(error.to_string(), text);
        }
    }

    #[test]
    fn every_refusal_displays_as_one_printable_line() {
        for case in cases() {
            if let Err(error) = case.want {
                let text = error.to_string();
                assert!(!text.ends_with('.'), "{text}");
                assert!(!text.chars().any(char::is_control), "{text:?}");
            }
        }
    }

    /// A home directory for sh, so a tilde we wrongly let through would be
    /// visibly expanded: with `HOME` unset, dash leaves `~` as it is.
    const SH_HOME: &str = "/sshgate-test-home";

    /// Splits `command` with the real shell: `printf '%s\0'` prints each word
    /// it receives followed by a NUL, which no word can contain.
    fn sh_split(command: &str) -> Vec<String> {
        let output = Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("printf '%s\\0' {command}"))
            .env_clear()
            .env("HOME", SH_HOME)
            .output()
            .expect("run /bin/sh");
        assert!(output.status.success(), "sh failed on {command:?}");
        words_from_nul_terminated(&output.stdout)
    }

    fn words_from_nul_terminated(bytes: &[u8]) -> Vec<String> {
        let body = bytes.strip_suffix(b"\0").expect("NUL-terminated output");
        body.split(|&b| b == 0)
            .map(|w| String::from_utf8(w.to_vec()).expect("UTF-8 word"))
            .collect()
    }

    #[test]
    fn accepted_table_cases_split_exactly_as_sh_does() {
        let mut compared = 0;
        for case in cases() {
            let Ok(words) = split(&case.input) else {
                continue;
            };
            let command = String::from_utf8(case.input).expect("accepted input is UTF-8");
            assert_eq!(sh_split(&command), words, "input: {command:?}");
            compared += 1;
        }
        assert!(compared >= 30, "only {compared} cases compared");
    }

    /// Every command of up to four characters over an alphabet of quoting
    /// and word-start characters, so the quoting rules are checked against
    /// sh in combinations nobody would think to write down.
    fn short_commands() -> Vec<String> {
        const ALPHABET: [char; 10] = ['a', ' ', '\t', '\'', '"', '\\', '~', '#', '$', 'é'];
        let mut all = vec![String::new()];
        let mut previous = vec![String::new()];
        for _ in 0..4 {
            let next: Vec<String> = previous
                .iter()
                .flat_map(|prefix| ALPHABET.iter().map(move |&c| format!("{prefix}{c}")))
                .collect();
            all.extend(next.iter().cloned());
            previous = next;
        }
        all
    }

    #[test]
    fn every_accepted_short_command_splits_exactly_as_sh_does() {
        let accepted: Vec<(String, Vec<String>)> = short_commands()
            .into_iter()
            .filter_map(|command| split(command.as_bytes()).ok().map(|w| (command, w)))
            .collect();
        assert!(accepted.len() > 1000, "only {} accepted", accepted.len());

        // One sh run for all of them; `echo` ends each command's output with
        // a newline, which no accepted word can contain.
        let mut script = tempfile::NamedTempFile::new().expect("temp file");
        for (command, _) in &accepted {
            writeln!(script, "printf '%s\\0' {command}; echo").expect("write script");
        }
        let output = Command::new("/bin/sh")
            .arg(script.path())
            .env_clear()
            .env("HOME", SH_HOME)
            .output()
            .expect("run /bin/sh");
        assert!(output.status.success(), "sh failed");

        let sh_outputs: Vec<&[u8]> = output.stdout.split(|&b| b == b'\n').collect();
        // The final newline leaves one empty piece after the last command.
        assert_eq!(sh_outputs.len(), accepted.len() + 1);
        for ((command, words), sh_output) in accepted.iter().zip(sh_outputs) {
            assert_eq!(
                &words_from_nul_terminated(sh_output),
                words,
                "input: {command:?}"
            );
        }
    }
}
