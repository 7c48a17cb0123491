//! What a tool rule made of the request, as a record carries it.

use std::os::unix::ffi::OsStrExt;

use serde::Serialize;

use super::escape::escape_capped;
use crate::decide::tool::ToolRequest;

/// The most characters of escaped path text a record carries, all paths
/// together: with the capped command, a record stays well below a syslog
/// datagram's size.
pub const TOOL_PATHS_MAX_CHARS: usize = 4096;

/// The parsed request of a tool rule: which tool, which way, the
/// normalised absolute paths it named, and what the gate forced. The
/// options are in the record's `command` already.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolRecord {
    tool: &'static str,
    action: &'static str,
    paths: Vec<String>,
    paths_truncated: bool,
    forced: Vec<String>,
}

impl ToolRecord {
    /// Escapes `request`'s paths and keeps as many as fit in
    /// [`TOOL_PATHS_MAX_CHARS`].
    pub fn new(request: &ToolRequest) -> ToolRecord {
        let mut budget = TOOL_PATHS_MAX_CHARS;
        let mut paths = Vec::new();
        let mut paths_truncated = false;
        for path in &request.paths {
            let (text, truncated) = escape_capped(path.as_os_str().as_bytes(), budget);
            if truncated {
                paths_truncated = true;
                break;
            }
            budget -= text.chars().count();
            paths.push(text);
        }
        ToolRecord {
            tool: request.tool,
            action: request.action,
            paths,
            paths_truncated,
            forced: request.forced.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn request(paths: Vec<PathBuf>) -> ToolRequest {
        ToolRequest {
            tool: "rsync",
            action: "download",
            paths,
            options: vec!["-logDtpre.iLsfxCIvu".into()],
            forced: vec!["--munge-links".into()],
        }
    }

    #[test]
    fn paths_are_escaped() {
        let record = ToolRecord::new(&request(vec![PathBuf::from("/srv/a\u{202e}b")]));
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["paths"][0], "/srv/a\\u{202e}b");
        assert_eq!(json["forced"][0], "--munge-links");
        assert_eq!(json["paths_truncated"], false);
    }

    #[test]
    fn paths_beyond_the_cap_are_left_out_and_said_so() {
        let long = PathBuf::from(format!("/srv/{}", "x".repeat(1000)));
        let record = ToolRecord::new(&request(vec![long; 10]));
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["paths"].as_array().unwrap().len(), 4);
        assert_eq!(json["paths_truncated"], true);
    }
}
