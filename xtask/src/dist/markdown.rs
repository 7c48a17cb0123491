//! The README's policy reference, as sshgate-policy(5) and as the list of
//! keys it documents.
//!
//! The README section is the single source: the man page is rendered from
//! it, and a test compares the keys its tables list with those the schema
//! accepts, so neither the page nor the README can drift from the schema.
//! Only the Markdown the README uses is understood (headings, paragraphs,
//! `-` lists, fenced code, pipe tables, code spans, bold, italics, links);
//! anything else passes through as text.

#[cfg(test)]
use std::collections::BTreeMap;

/// The heading that starts the policy reference in README.md.
pub const SECTION_HEADING: &str = "## Policy reference";

/// The policy reference: the lines after [`SECTION_HEADING`] up to the next
/// second-level heading outside a code block, or `None` if the README has
/// no such section.
pub fn reference_section(readme: &str) -> Option<String> {
    let mut lines = readme.lines();
    lines.find(|line| line.trim_end() == SECTION_HEADING)?;
    let mut in_fence = false;
    let mut section = Vec::new();
    for line in lines {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        if !in_fence && line.starts_with("## ") {
            break;
        }
        section.push(line);
    }
    Some(section.join("\n"))
}

/// One block of the Markdown source.
#[derive(Debug, PartialEq)]
enum Block {
    /// `### text` (level 3) or `#### text` (level 4).
    Heading(usize, String),
    /// Lines of running text.
    Paragraph(String),
    /// One `- ` list item, continuation lines included.
    Item(String),
    /// A fenced code block's lines, verbatim.
    Code(Vec<String>),
    /// A pipe table: the header cells, then each row's cells.
    Table(Vec<String>, Vec<Vec<String>>),
}

/// Splits Markdown into blocks.
fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with("```") {
            let code = lines
                .by_ref()
                .take_while(|l| !l.trim_start().starts_with("```"))
                .map(str::to_owned)
                .collect();
            blocks.push(Block::Code(code));
        } else if let Some(level) = heading_level(trimmed) {
            blocks.push(Block::Heading(level, trimmed[level..].trim().to_owned()));
        } else if trimmed.starts_with('|') {
            let mut rows = vec![cells(trimmed)];
            while let Some(next) = lines.next_if(|l| l.trim().starts_with('|')) {
                rows.push(cells(next.trim()));
            }
            let header = rows.remove(0);
            // The `|---|---|` line under the header.
            rows.retain(|row| {
                !row.iter()
                    .all(|c| c.chars().all(|ch| ch == '-' || ch == ':'))
            });
            blocks.push(Block::Table(header, rows));
        } else {
            let item = trimmed.strip_prefix("- ");
            let mut text = item.unwrap_or(trimmed).to_owned();
            // A paragraph or item goes on until a blank line or another
            // block; an item also ends at the next item.
            while let Some(next) = lines.next_if(|l| {
                let t = l.trim();
                !t.is_empty()
                    && !t.starts_with("```")
                    && !t.starts_with('|')
                    && heading_level(t).is_none()
                    && !t.starts_with("- ")
            }) {
                text.push('\n');
                text.push_str(next.trim());
            }
            blocks.push(match item {
                Some(_) => Block::Item(text),
                None => Block::Paragraph(text),
            });
        }
    }
    blocks
}

/// 3 for `### `, 4 for `#### `, and so on; `None` for other lines.
fn heading_level(line: &str) -> Option<usize> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    (level > 0 && line[level..].starts_with(' ')).then_some(level)
}

/// The cells of a `| a | b |` table row, trimmed. A `|` inside a code span
/// does not split (the README has none, but a key's type could).
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = vec![String::new()];
    let mut in_code = false;
    for c in inner.chars() {
        match c {
            '|' if !in_code => cells.push(String::new()),
            _ => {
                in_code ^= c == '`';
                if let Some(cell) = cells.last_mut() {
                    cell.push(c);
                }
            }
        }
    }
    cells.into_iter().map(|c| c.trim().to_owned()).collect()
}

/// Escapes text for roff: backslashes, and `-` as `\-` so that options
/// stay copyable ASCII hyphen-minus.
fn escape(text: &str) -> String {
    text.replace('\\', "\\e").replace('-', "\\-")
}

/// Renders inline Markdown (code spans, bold, italics, links) as roff.
fn inline(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`')
            && let Some(end) = after.find('`')
        {
            out.push_str(&format!("\\fB{}\\fR", escape(&after[..end])));
            rest = &after[end + 1..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("**")
            && let Some(end) = after.find("**")
        {
            out.push_str(&format!("\\fB{}\\fR", inline(&after[..end])));
            rest = &after[end + 2..];
            continue;
        }
        if let Some(after) = rest.strip_prefix('*')
            && let Some(end) = after.find('*').filter(|&end| end > 0)
        {
            out.push_str(&format!("\\fI{}\\fR", inline(&after[..end])));
            rest = &after[end + 1..];
            continue;
        }
        // `[text](target)`: the text alone; targets are README anchors and
        // repository paths, which mean nothing in a man page.
        if let Some(after) = rest.strip_prefix('[')
            && let Some((label, tail)) = after.split_once("](")
            && let Some(end) = tail.find(')')
            && !label.contains(']')
        {
            out.push_str(&inline(label));
            rest = &tail[end + 1..];
            continue;
        }
        let next = rest[1..]
            .find(['`', '*', '['])
            .map_or(rest.len(), |i| i + 1);
        out.push_str(&escape(&rest[..next]));
        rest = &rest[next..];
    }
    out
}

/// Text lines as roff input lines: a line starting with `.` or `'` would be
/// a request, so it gets a zero-width `\&` first.
fn text_lines(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.trim();
            if line.starts_with('.') || line.starts_with('\'') {
                format!("\\&{line}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect()
}

/// The heading text without Markdown, as a man page section title.
fn plain(text: &str) -> String {
    text.replace(['`', '*'], "")
}

/// Renders the policy reference as the man page sshgate-policy(5).
pub fn policy_page(section: &str, version: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        ".TH SSHGATE\\-POLICY 5 \"\" \"sshgate {}\" \"File Formats\"\n",
        escape(version)
    ));
    // No hyphenation and a ragged right margin: options and paths must
    // stay whole to be copied from the terminal.
    out.push_str(".nh\n.ad l\n");
    out.push_str(".SH NAME\nsshgate\\-policy \\- the sshgate policy file format\n");
    out.push_str(".SH SYNOPSIS\n\\fB/etc/sshgate/\\fR\\fINAME\\fR\\fB.toml\\fR\n");
    out.push_str(".SH DESCRIPTION\n");
    for block in blocks(section) {
        match block {
            Block::Heading(level, text) if level <= 3 => {
                out.push_str(&format!(
                    ".SH \"{}\"\n",
                    escape(&plain(&text).to_uppercase())
                ));
            }
            Block::Heading(_, text) => {
                out.push_str(&format!(".SS \"{}\"\n", escape(&plain(&text))));
            }
            Block::Paragraph(text) => {
                out.push_str(".PP\n");
                out.push_str(&text_lines(&inline(&text)));
            }
            Block::Item(text) => {
                out.push_str(".IP \\(bu 2\n");
                out.push_str(&text_lines(&inline(&text)));
            }
            Block::Code(lines) => {
                out.push_str(".PP\n.RS 4\n.nf\n");
                for line in lines {
                    // Verbatim, indentation included; `\&` keeps a leading
                    // `.` from being a request.
                    out.push_str(&format!("\\&{}\n", escape(&line)));
                }
                out.push_str(".fi\n.RE\n");
            }
            Block::Table(header, rows) => {
                // A tagged paragraph per row reads better in a terminal than
                // a table whose last column is a paragraph: the first cell
                // is the tag, the middle cells a "Type: ...; Default: ..."
                // line, the last cell the text.
                for row in rows {
                    out.push_str(".TP\n");
                    out.push_str(&text_lines(&inline(row.first().map_or("", String::as_str))));
                    let last = row.len().saturating_sub(1);
                    let middle: Vec<String> = (1..last)
                        .filter_map(|i| {
                            let cell = row.get(i)?;
                            let name = header.get(i).map_or("", String::as_str);
                            Some(format!("{}: {}", escape(name), inline(cell)))
                        })
                        .collect();
                    if !middle.is_empty() {
                        out.push_str(&text_lines(&middle.join("; ")));
                        out.push_str(".br\n");
                    }
                    if last > 0 {
                        out.push_str(&text_lines(&inline(&row[last])));
                    }
                }
            }
        }
    }
    out.push_str(".SH FILES\n.TP\n\\fB/etc/sshgate/\\fR\\fINAME\\fR\\fB.toml\\fR\n");
    out.push_str("The profile \\fINAME\\fR, for \\fBsshgate \\-\\-profile\\fR \\fINAME\\fR.\n");
    out.push_str(".TP\n\\fB/usr/share/doc/sshgate/examples/\\fR\nThe shipped example profiles.\n");
    out.push_str(".SH \"SEE ALSO\"\n\\fBsshgate\\fR(1), \\fBsshgate\\-lint\\fR(1), \\fBsshgate\\-explain\\fR(1), \\fBsshd_config\\fR(5)\n");
    out
}

// Only the sync test reads the keys; the page renders the tables whole.
#[cfg(test)]
/// Which table of the schema a README heading documents, by the heading's
/// text: `None` for headings that document no keys.
fn table_of_heading(heading: &str) -> Option<&'static str> {
    let text = plain(heading);
    let table = match text.as_str() {
        "Top level" => "policy",
        "[sandbox] and [allow.sandbox]" => "sandbox",
        "[[allow]]" => "allow",
        _ => ["rsync", "scp", "sftp", "git", "borg"]
            .into_iter()
            .find(|tool| text.starts_with(&format!("{tool} = {{")))?,
    };
    Some(table)
}

#[cfg(test)]
/// The code spans of a cell, in order: `` `a`, `b` `` gives `a` and `b`.
fn code_spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

#[cfg(test)]
/// A key as a table lists it: `[sandbox]`, `[[allow]]` and
/// `[allow.sandbox]` name the keys `sandbox`, `allow` and `sandbox`.
fn key_name(span: &str) -> String {
    let bare = span.trim_matches(['[', ']']);
    bare.rsplit('.').next().unwrap_or(bare).to_owned()
}

#[cfg(test)]
/// The keys the policy reference documents, by table: `policy` (the top
/// level), `sandbox`, `allow`, each tool (`rsync`...), and `rlimits` and
/// `network`, whose keys are listed in the type column of their row in the
/// sandbox table (`table: nofile, ...` and `{ connect = ..., bind = ... }`).
///
/// Only tables whose first header cell is `Key` count: the borg section's
/// table of client options lists no keys.
pub fn documented_keys(section: &str) -> BTreeMap<String, Vec<String>> {
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut table = None;
    for block in blocks(section) {
        match block {
            Block::Heading(_, text) => table = table_of_heading(&text),
            Block::Table(header, rows) if header.first().is_some_and(|h| h == "Key") => {
                let Some(table) = table else { continue };
                for row in rows {
                    let (Some(key_cell), Some(type_cell)) = (row.first(), row.get(1)) else {
                        continue;
                    };
                    let names: Vec<String> =
                        code_spans(key_cell).into_iter().map(key_name).collect();
                    if table == "sandbox" && names == ["rlimits"] {
                        let listed = type_cell.split_once(':').map_or("", |(_, list)| list);
                        let limits = code_spans(listed).into_iter().map(str::to_owned);
                        keys.entry("rlimits".into()).or_default().extend(limits);
                    }
                    if table == "sandbox" && names == ["network"] {
                        let ports = code_spans(type_cell)
                            .into_iter()
                            .filter(|span| span.starts_with('{'))
                            .flat_map(|span| span.split(['{', ',', '}']))
                            .filter_map(|field| field.split_once('='))
                            .map(|(key, _)| key.trim().to_owned());
                        keys.entry("network".into()).or_default().extend(ports);
                    }
                    keys.entry(table.into()).or_default().extend(names);
                }
            }
            _ => {}
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_ends_at_the_next_second_level_heading_outside_code() {
        let readme =
            "# x\n## Policy reference\ntext\n```\n## not a heading\n```\nmore\n## Exit codes\nno";
        let section = reference_section(readme).expect("found");
        assert!(section.contains("## not a heading"));
        assert!(section.ends_with("more"));
        assert_eq!(reference_section("# x\n## Other\n"), None);
    }

    #[test]
    fn markdown_splits_into_blocks() {
        let md = "### `[[allow]]`\n\nSome *text*\ngoes on.\n- one\n  more\n- two\n\n```toml\n.x = 1\n```\n| Key | Meaning |\n|---|---|\n| `a` | b `c|d` |\n";
        assert_eq!(
            blocks(md),
            vec![
                Block::Heading(3, "`[[allow]]`".into()),
                Block::Paragraph("Some *text*\ngoes on.".into()),
                Block::Item("one\nmore".into()),
                Block::Item("two".into()),
                Block::Code(vec![".x = 1".into()]),
                Block::Table(
                    vec!["Key".into(), "Meaning".into()],
                    vec![vec!["`a`".into(), "b `c|d`".into()]]
                ),
            ]
        );
    }

    #[test]
    fn inline_markdown_becomes_roff_fonts_and_escapes() {
        assert_eq!(
            inline(r"**Bold** `--key` *it* [Tool rules](#tool-rules) a\b"),
            r"\fBBold\fR \fB\-\-key\fR \fIit\fR Tool rules a\eb"
        );
        // An unmatched marker is text.
        assert_eq!(inline("2 * 3 [x"), "2 * 3 [x");
    }

    #[test]
    fn lines_that_would_be_roff_requests_are_protected() {
        assert_eq!(text_lines(".x\n'y\nz"), "\\&.x\n\\&'y\nz\n");
        let page = policy_page("```\n.dot\n```\n", "1.0");
        assert!(page.contains("\\&.dot\n"), "{page}");
    }

    #[test]
    fn key_tables_are_read_per_heading_with_rlimits_and_network() {
        let md = "\
### Top level
| Key | Type | Default | Meaning |
|---|---|---|---|
| `log` | path | none | x |
| `[sandbox]` | table | | x |
| `[[allow]]` | tables | | x |
### `[sandbox]` and `[allow.sandbox]`
| Key | Type | Default | Meaning |
|---|---|---|---|
| `network` | `\"none\"`, `{ connect = [ports], bind = [ports] }` | | x |
| `rlimits` | table: `nofile`, `as` | | x |
### `[[allow]]`
| Key | Type | Meaning |
|---|---|---|
| `rsync`, `scp` | table | x |
#### `rsync = { ... }`
| Key | Type | Default | Meaning |
|---|---|---|---|
| `send` | paths | | x |
#### `borg = { ... }`: a server
| Client option | What happens |
|---|---|
| `--debug` | x |
";
        let keys = documented_keys(md);
        let get = |table: &str| keys.get(table).cloned().unwrap_or_default();
        assert_eq!(get("policy"), ["log", "sandbox", "allow"]);
        assert_eq!(get("sandbox"), ["network", "rlimits"]);
        assert_eq!(get("network"), ["connect", "bind"]);
        assert_eq!(get("rlimits"), ["nofile", "as"]);
        assert_eq!(get("allow"), ["rsync", "scp"]);
        assert_eq!(get("rsync"), ["send"]);
        assert_eq!(get("borg"), Vec::<String>::new());
    }
}
