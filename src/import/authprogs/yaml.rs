//! A small YAML tree with line numbers, built from saphyr-parser's events.
//!
//! authprogs reads its configuration with PyYAML, which speaks YAML 1.1:
//! `yes`, `on` and `off` are booleans there. The tree keeps every scalar as
//! written, with whether it was quoted, so that [`Node::as_bool`] can
//! resolve booleans the way PyYAML did rather than the way a YAML 1.2
//! library would; and every node keeps its line, so that each finding can
//! name `file:line`.

use std::borrow::Cow;

use saphyr_parser::{Event, Parser, ScalarStyle};

/// One YAML node and the line (1-based) it starts on.
#[derive(Debug, Clone)]
pub enum Node {
    /// A scalar, as written; `plain` when unquoted (only plain scalars
    /// resolve to null or a boolean).
    Scalar {
        /// The scalar's text, after YAML unescaping and folding.
        text: String,
        /// Unquoted, not a block scalar.
        plain: bool,
        /// Where it starts.
        line: usize,
    },
    /// A sequence.
    Seq {
        /// The items, in order.
        items: Vec<Node>,
        /// Where it starts.
        line: usize,
    },
    /// A mapping, in the order written (duplicates are refused at parse).
    Map {
        /// Key and value pairs.
        entries: Vec<(Node, Node)>,
        /// Where it starts.
        line: usize,
    },
}

/// PyYAML's YAML 1.1 booleans (its `bool` resolver's words).
const TRUE_WORDS: &[&str] = &[
    "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
];
const FALSE_WORDS: &[&str] = &[
    "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
];
/// PyYAML's nulls.
const NULL_WORDS: &[&str] = &["", "~", "null", "Null", "NULL"];

impl Node {
    /// The line the node starts on.
    pub fn line(&self) -> usize {
        match self {
            Node::Scalar { line, .. } | Node::Seq { line, .. } | Node::Map { line, .. } => *line,
        }
    }

    /// The boolean PyYAML would read, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Node::Scalar {
                text, plain: true, ..
            } if TRUE_WORDS.contains(&text.as_str()) => Some(true),
            Node::Scalar {
                text, plain: true, ..
            } if FALSE_WORDS.contains(&text.as_str()) => Some(false),
            _ => None,
        }
    }

    /// Whether PyYAML would read `None` (an empty value, `~`, `null`).
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Scalar { text, plain: true, .. } if NULL_WORDS.contains(&text.as_str()))
    }

    /// The text of a scalar that is not null; numbers stay as written
    /// (authprogs turns every `from` entry into a string too).
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Node::Scalar { text, .. } if !self.is_null() => Some(text),
            _ => None,
        }
    }

    /// A value authprogs reads as "one value or a list of them": the
    /// items, or the one node itself. Null is the empty list.
    pub fn one_or_many(&self) -> Vec<&Node> {
        match self {
            Node::Seq { items, .. } => items.iter().collect(),
            _ if self.is_null() => Vec::new(),
            _ => vec![self],
        }
    }

    /// A short name of the node's kind, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Scalar { .. } if self.is_null() => "nothing",
            Node::Scalar { .. } => "a scalar",
            Node::Seq { .. } => "a list",
            Node::Map { .. } => "a mapping",
        }
    }
}

/// A YAML syntax problem, with the line it was found on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses one YAML document; an empty text is `None`.
pub fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut builder = Builder {
        parser: Parser::new_from_str(text),
        last_line: 1,
    };
    let mut root = None;
    let mut documents = 0;
    while let Some((event, line)) = builder.next()? {
        match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError {
                        line,
                        message: "a second YAML document (`---`); authprogs reads one \
                                  document per file: put the groups in one list"
                            .into(),
                    });
                }
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
            other => root = Some(builder.node(other, line)?),
        }
    }
    Ok(root)
}

struct Builder<'input> {
    parser: Parser<'input, saphyr_parser::StrInput<'input>>,
    last_line: usize,
}

impl<'input> Builder<'input> {
    fn next(&mut self) -> Result<Option<(Event<'input>, usize)>, SyntaxError> {
        match self.parser.next_event() {
            None => Ok(None),
            Some(Ok((event, span))) => {
                self.last_line = span.start.line();
                Ok(Some((event, span.start.line())))
            }
            Some(Err(error)) => Err(SyntaxError {
                line: error.marker().line(),
                message: format!("YAML syntax: {}", error.info()),
            }),
        }
    }

    fn next_required(&mut self) -> Result<(Event<'input>, usize), SyntaxError> {
        self.next()?.ok_or_else(|| SyntaxError {
            line: self.last_line,
            message: "YAML syntax: the file ends inside a list or mapping".into(),
        })
    }

    fn node(&mut self, event: Event<'input>, line: usize) -> Result<Node, SyntaxError> {
        match event {
            Event::Scalar(text, style, _, tag) => {
                refuse_tag(tag.as_deref(), line)?;
                Ok(Node::Scalar {
                    text: Cow::into_owned(text),
                    plain: style == ScalarStyle::Plain,
                    line,
                })
            }
            Event::SequenceStart(_, tag) => {
                refuse_tag(tag.as_deref(), line)?;
                let mut items = Vec::new();
                loop {
                    match self.next_required()? {
                        (Event::SequenceEnd, _) => return Ok(Node::Seq { items, line }),
                        (event, item_line) => items.push(self.node(event, item_line)?),
                    }
                }
            }
            Event::MappingStart(_, tag) => {
                refuse_tag(tag.as_deref(), line)?;
                let mut entries: Vec<(Node, Node)> = Vec::new();
                loop {
                    let (event, key_line) = self.next_required()?;
                    if matches!(event, Event::MappingEnd) {
                        return Ok(Node::Map { entries, line });
                    }
                    let key = self.node(event, key_line)?;
                    let (event, value_line) = self.next_required()?;
                    let value = self.node(event, value_line)?;
                    // PyYAML keeps the last of two equal keys; a silent
                    // override is exactly what an import must not carry on.
                    if let Some(text) = key.as_text() {
                        if let Some((first, _)) =
                            entries.iter().find(|(k, _)| k.as_text() == Some(text))
                        {
                            return Err(SyntaxError {
                                line: key_line,
                                message: format!(
                                    "key `{text}` appears twice in one mapping (first on line {}); \
                                     authprogs keeps only the last: delete one",
                                    first.line()
                                ),
                            });
                        }
                    }
                    entries.push((key, value));
                }
            }
            Event::Alias(_) => Err(SyntaxError {
                line,
                message: "YAML aliases (`*name`) are not supported by the import: \
                          write the value out"
                    .into(),
            }),
            _ => Err(SyntaxError {
                line,
                message: "YAML syntax: unexpected structure".into(),
            }),
        }
    }
}

/// Tags change how PyYAML reads a value (`!!str yes`); rather than mimic
/// each, the import refuses them.
fn refuse_tag(tag: Option<&saphyr_parser::Tag>, line: usize) -> Result<(), SyntaxError> {
    match tag {
        None => Ok(()),
        Some(tag) => Err(SyntaxError {
            line,
            message: format!(
                "YAML tag `{}{}` is not supported by the import: remove it (quote a string instead)",
                tag.handle, tag.suffix
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_resolve_as_pyyaml_does() {
        let Some(Node::Map { entries, .. }) = parse("a: yes\nb: 'yes'\nc: off\nd:\n").unwrap()
        else {
            panic!("not a mapping");
        };
        let values: Vec<_> = entries
            .iter()
            .map(|(_, v)| (v.as_bool(), v.is_null()))
            .collect();
        assert_eq!(
            values,
            [
                (Some(true), false),
                (None, false),
                (Some(false), false),
                (None, true)
            ]
        );
    }

    #[test]
    fn lines_are_kept_and_duplicates_refused() {
        let Some(Node::Seq { items, .. }) = parse("- a\n-\n  b: 1\n").unwrap() else {
            panic!("not a list");
        };
        assert_eq!(items[1].line(), 3);
        let error = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(
            error.message.contains("first on line 1"),
            "{}",
            error.message
        );
    }
}
