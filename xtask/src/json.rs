//! Re-indents one line of compact JSON for reading, without a JSON crate.
//!
//! It only moves whitespace outside strings, so it never changes what the
//! record says; input that is not an object or array is returned as is.

/// Pretty-prints `line` with two-space indentation, each line prefixed by
/// `margin`.
pub fn pretty(line: &str, margin: &str) -> String {
    let line = line.trim();
    if !(line.starts_with('{') || line.starts_with('[')) {
        return format!("{margin}{line}");
    }
    let mut out = String::from(margin);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = line.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(margin);
        out.push_str(&"  ".repeat(depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // Keep `{}` and `[]` on one line.
                let close = if c == '{' { '}' } else { ']' };
                while chars.next_if(|n| n.is_whitespace()).is_some() {}
                if chars.next_if_eq(&close).is_some() {
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::pretty;

    #[test]
    fn indents_nested_values_and_keeps_strings() {
        let got = pretty(r#"{"a":[1,{}],"b":"x, {y}: \"z\"","c":[]}"#, "| ");
        let want = "| {\n|   \"a\": [\n|     1,\n|     {}\n|   ],\n|   \"b\": \"x, {y}: \\\"z\\\"\",\n|   \"c\": []\n| }";
        assert_eq!(got, want);
    }

    #[test]
    fn leaves_non_json_alone() {
        assert_eq!(pretty("not json", "  "), "  not json");
    }
}
