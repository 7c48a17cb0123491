//! What the microbenchmarks run: the C programs the harness compiles, a
//! small tree to serve, and the profiles it writes.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::error::Error;
use crate::files::{toml_string, write_private};
use crate::process::run_captured;

/// The physical floor: one extra `execve` and nothing else.
const FLOOR_C: &str = "#include <unistd.h>\n\
    int main(int c, char **v) { execv(v[1], v + 1); return 127; }\n";
/// A command that exits at once; static, so its own RSS is tiny.
const NOP_C: &str = "int main(void) { return 0; }\n";
/// Runs a command and prints its `ru_maxrss` (KiB) and exit code. The
/// kernel folds the pre-exec image's peak into `ru_maxrss` at `execve`, so
/// for a gate that execs a tiny program this is the gate's own peak.
const MAXRSS_C: &str = "#include <stdio.h>\n#include <sys/resource.h>\n\
    #include <sys/wait.h>\n#include <unistd.h>\n\
    int main(int c, char **v) {\n\
      if (c < 2) return 2;\n\
      pid_t pid = fork();\n\
      if (pid < 0) return 3;\n\
      if (pid == 0) { execv(v[1], v + 1); _exit(127); }\n\
      int status; struct rusage ru;\n\
      if (wait4(pid, &status, 0, &ru) < 0) return 4;\n\
      printf(\"%ld %d\\n\", ru.ru_maxrss,\n\
             WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));\n\
      return 0;\n\
    }\n";

/// The rsync server flags `rsync -a` sends for a pull.
pub const RSYNC_FLAGS: &str = "-logDtpre.iLsfxCIvu";
/// The key name every benchmarked request claims (`--key`).
pub const KEY: &str = "bench";
/// The rule that `/usr/bin/true` matches: the last one in both profiles.
pub const TRUE_RULE: &str = "true";
/// The rule that the no-op probe matches.
pub const PROBE_RULE: &str = "probe";
/// The rule that rsync pulls of the small tree match.
pub const PULL_RULE: &str = "pull-srv";
/// Rules in the large profile, and `from` entries.
pub const SCALE_RULES: usize = 1_000;
pub const SCALE_CIDRS: usize = 10_000;

/// Everything the microbenchmarks need, in the scratch dir.
pub struct Fixtures {
    /// `floor PROGRAM ARGS...`, static.
    pub floor_static: PathBuf,
    /// The same, dynamically linked.
    pub floor_dynamic: PathBuf,
    /// A static program that exits 0 at once.
    pub nop: PathBuf,
    /// `maxrss PROGRAM ARGS...`: prints `KiB exit-code`.
    pub maxrss: PathBuf,
    /// The small tree rsync requests read.
    pub srv: PathBuf,
    /// The JSON audit log both profiles write.
    pub audit_log: PathBuf,
    /// The realistic 10-rule profile.
    pub policy: PathBuf,
    /// 1,000 rules and 10,000 CIDRs.
    pub scale_policy: PathBuf,
}

impl Fixtures {
    /// Compiles the programs and writes the tree and the profiles in `dir`.
    pub fn create(dir: &Path) -> Result<Fixtures, Error> {
        let bin = dir.join("bin");
        fs::create_dir(&bin).map_err(Error::io(format!("create {}", bin.display())))?;
        let floor_static = compile(&bin, "floor", FLOOR_C, true)?;
        let floor_dynamic = compile(&bin, "floor-dynamic", FLOOR_C, false)?;
        let nop = compile(&bin, "nop", NOP_C, true)?;
        let maxrss = compile(&bin, "maxrss", MAXRSS_C, false)?;

        let srv = dir.join("srv");
        for sub in ["x", "incoming"] {
            let path = srv.join(sub);
            fs::create_dir_all(&path).map_err(Error::io(format!("create {}", path.display())))?;
        }
        for (name, text) in [
            ("status.txt", "ok\n"),
            ("daily.tar", "not really a tar\n"),
            ("weekly.tar", "not really a tar either\n"),
        ] {
            let path = srv.join("x").join(name);
            fs::write(&path, text).map_err(Error::io(format!("write {}", path.display())))?;
        }

        let audit_log = dir.join("audit.log");
        let policy = dir.join("ten-rules.toml");
        write_private(&policy, &ten_rule_profile(&srv, &nop, &audit_log))?;
        let scale_policy = dir.join("scale.toml");
        write_private(&scale_policy, &scale_profile(&srv, &nop, &audit_log))?;
        Ok(Fixtures {
            floor_static,
            floor_dynamic,
            nop,
            maxrss,
            srv,
            audit_log,
            policy,
            scale_policy,
        })
    }

    /// The rsync pull request of `srv/x/`, as the client sends it.
    pub fn rsync_request(&self) -> String {
        format!(
            "rsync --server --sender {RSYNC_FLAGS} . {}/x/",
            self.srv.display()
        )
    }
}

/// `gcc -O2 [-static]` of `source` into `dir/name`.
fn compile(dir: &Path, name: &str, source: &str, static_link: bool) -> Result<PathBuf, Error> {
    let c_file = dir.join(format!("{name}.c"));
    fs::write(&c_file, source).map_err(Error::io(format!("write {}", c_file.display())))?;
    let out = dir.join(name);
    let mut cmd = Command::new("gcc");
    cmd.arg("-O2");
    if static_link {
        cmd.arg("-static");
    }
    cmd.arg("-o").arg(&out).arg(&c_file);
    let shown = format!(
        "gcc -O2{} -o {} {}",
        if static_link { " -static" } else { "" },
        out.display(),
        c_file.display()
    );
    let output = run_captured(&mut cmd, &shown, Duration::from_secs(120))?;
    if !output.status.success() {
        return Err(Error::Setup(format!(
            "`{shown}` failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim(),
            if static_link {
                "\n(a static build needs libc.a: apt-get install libc6-dev)"
            } else {
                ""
            }
        )));
    }
    Ok(out)
}

/// The profile header both profiles share: `from`, `keys`, the JSON log and
/// the full sandbox defaults (Landlock, seccomp and the capability drop
/// are on unless switched off) plus a resource limit.
pub(super) fn header(description: &str, from: &[String], audit_log: &Path) -> String {
    let from = from
        .iter()
        .map(|entry| toml_string(entry))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "description = {}\nfrom = [{from}]\nkeys = [\"backup01\", \"monitor01\", \"{KEY}\"]\n\
         log = {}\n\n[sandbox]\ncompat = \"enforce\"\nnetwork = \"none\"\n\
         rlimits = {{ nofile = 1024 }}\n",
        toml_string(description),
        toml_string(&audit_log.display().to_string())
    )
}

/// A realistic profile: ten varied rules, the client's address last in
/// `from`, and the benchmarked `/usr/bin/true` matching the last rule.
pub fn ten_rule_profile(srv: &Path, nop: &Path, audit_log: &Path) -> String {
    let srv = srv.display().to_string();
    let q = |path: &str| toml_string(path);
    let from: Vec<String> = [
        "192.0.2.10",
        "198.51.100.0/24",
        "2001:db8::/64",
        "10.20.0.0/16",
        "127.0.0.1",
    ]
    .map(String::from)
    .to_vec();
    let mut text = header("sshgate bench: ten rules", &from, audit_log);
    let rules = [
        // An exact command line, with one extra read grant.
        "name = \"disk-free\"\ncommand = [\"/usr/bin/df\", \"-h\"]\n\
         [allow.sandbox]\nread = [\"/proc/self/mountinfo\"]"
            .to_string(),
        // A regex argument.
        format!(
            "name = \"disk-usage\"\ncommand = [\"/usr/bin/du\", \"-s\", {{ regex = {} }}]\n\
             [allow.sandbox]\nread = [{}]",
            q(&format!("{srv}/[a-z0-9_-]+")),
            q(&srv)
        ),
        // Trailing arguments.
        format!(
            "name = \"list\"\ncommand = [\"/usr/bin/ls\", \"-l\"]\ntrailing_args = true\n\
             [allow.sandbox]\nread = [{}]",
            q(&srv)
        ),
        // Two regexes.
        format!(
            "name = \"checksum\"\ncommand = [\"/usr/bin/sha256sum\", \"--tag\", {{ regex = {} }}]\n\
             [allow.sandbox]\nread = [{}]",
            q(&format!("{srv}/x/[a-z0-9_.-]+\\.(tar|tgz)")),
            q(&format!("{srv}/x"))
        ),
        // The rsync tool rule: pulls of the tree, every option checked.
        format!(
            "name = \"{PULL_RULE}\"\nrsync = {{ send = [{}] }}\n[allow.sandbox]\nchdir = {}",
            q(&srv),
            q(&srv)
        ),
        // A write grant: an rsync push into incoming/.
        format!(
            "name = \"push-incoming\"\nrsync = {{ receive = [{}] }}",
            q(&format!("{srv}/incoming"))
        ),
        format!(
            "name = \"status\"\ncommand = [\"/usr/bin/cat\", {}]\n[allow.sandbox]\nread = [{}]",
            q(&format!("{srv}/x/status.txt")),
            q(&format!("{srv}/x/status.txt"))
        ),
        format!(
            "name = \"stat\"\ncommand = [\"/usr/bin/stat\", \"--format=%s %Y\", {{ regex = {} }}]\n\
             [allow.sandbox]\nread = [{}]",
            q(&format!("{srv}/x/[a-z]+\\.txt")),
            q(&format!("{srv}/x"))
        ),
        format!(
            "name = \"{PROBE_RULE}\"\ncommand = [{}]",
            q(&nop.display().to_string())
        ),
        format!("name = \"{TRUE_RULE}\"\ncommand = [\"/usr/bin/true\"]"),
    ];
    for rule in rules {
        let _ = write!(text, "\n[[allow]]\n{rule}\n");
    }
    text
}

/// 1,000 rules and 10,000 CIDRs. The client's address is the last `from`
/// entry and `/usr/bin/true` matches only the last rule: the worst case.
/// Most rules name `/usr/bin/true` too, so that their arguments must be
/// compared rather than the program alone; one in ten has a write grant,
/// as in the ten-rule profile.
pub fn scale_profile(srv: &Path, nop: &Path, audit_log: &Path) -> String {
    let srv = srv.display().to_string();
    let q = |path: &str| toml_string(path);
    let mut from = Vec::with_capacity(SCALE_CIDRS);
    let mut v4 = 0usize;
    for index in 0..SCALE_CIDRS - 1 {
        if index % 5 == 4 {
            from.push(format!("2001:db8:{index:x}::/48"));
        } else {
            from.push(format!("10.{}.{}.0/24", v4 / 256, v4 % 256));
            v4 += 1;
        }
    }
    from.push(super::measure::CLIENT_ADDRESS.to_string());
    let mut text = header("sshgate bench: 1,000 rules", &from, audit_log);
    for index in 0..SCALE_RULES - 2 {
        let rule = match index % 10 {
            0..=3 => format!(
                "name = \"exact-{index}\"\ncommand = [\"/usr/bin/true\", \"exact-{index}\", \"--flag\"]"
            ),
            4..=6 => format!(
                "name = \"regex-{index}\"\n\
                 command = [\"/usr/bin/true\", {{ regex = \"r{index}-[a-z0-9]{{1,16}}\" }}, {{ regex = \"[0-9]+\" }}]"
            ),
            7 => format!(
                "name = \"trailing-{index}\"\ncommand = [\"/usr/bin/true\", \"trail-{index}\"]\n\
                 trailing_args = true"
            ),
            8 => format!(
                "name = \"pull-{index}\"\nrsync = {{ send = [{}] }}",
                q(&format!("{srv}/x/r{index}"))
            ),
            _ => format!(
                "name = \"write-{index}\"\ncommand = [\"/usr/bin/true\", \"write-{index}\"]\n\
                 [allow.sandbox]\nread = [{}]\nwrite = [{}]",
                q(&format!("{srv}/x")),
                q(&format!("{srv}/incoming"))
            ),
        };
        let _ = write!(text, "\n[[allow]]\n{rule}\n");
    }
    let _ = write!(
        text,
        "\n[[allow]]\nname = \"{PROBE_RULE}\"\ncommand = [{}]\n",
        q(&nop.display().to_string())
    );
    let _ = write!(
        text,
        "\n[[allow]]\nname = \"{TRUE_RULE}\"\ncommand = [\"/usr/bin/true\"]\n"
    );
    text
}

/// Fails unless the audit log's last record allowed the request by `rule`;
/// returns the record.
pub fn check_last_record(audit_log: &Path, rule: &str, what: &str) -> Result<Value, Error> {
    let text = fs::read_to_string(audit_log)
        .map_err(Error::io(format!("read {}", audit_log.display())))?;
    let line = text
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .ok_or_else(|| Error::Setup(format!("{what}: {} is empty", audit_log.display())))?;
    let record: Value = serde_json::from_str(line).map_err(|e| {
        Error::Setup(format!(
            "{what}: the last line of {} is not JSON ({e}): {line}",
            audit_log.display()
        ))
    })?;
    let decision = record.get("decision").and_then(Value::as_str);
    let matched = record.get("rule").and_then(Value::as_str);
    if decision == Some("allow") && matched == Some(rule) {
        Ok(record)
    } else {
        Err(Error::Setup(format!(
            "{what}: expected an allow by rule {rule:?}, the audit record says: {line}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{SCALE_CIDRS, SCALE_RULES, scale_profile, ten_rule_profile};

    fn count(text: &str, needle: &str) -> usize {
        text.matches(needle).count()
    }

    #[test]
    fn ten_rule_profile_has_ten_rules_ending_with_true() {
        let text = ten_rule_profile(
            Path::new("/t/srv"),
            Path::new("/t/bin/nop"),
            Path::new("/t/a.log"),
        );
        assert_eq!(count(&text, "[[allow]]"), 10);
        assert!(text.trim_end().ends_with("command = [\"/usr/bin/true\"]"));
        assert!(text.contains("rsync = { receive = [\"/t/srv/incoming\"] }"));
        assert!(text.contains("\"127.0.0.1\"]"));
    }

    #[test]
    fn scale_profile_has_the_promised_size() {
        let text = scale_profile(
            Path::new("/t/srv"),
            Path::new("/t/bin/nop"),
            Path::new("/t/a.log"),
        );
        assert_eq!(count(&text, "[[allow]]"), SCALE_RULES);
        let from = text
            .lines()
            .find(|line| line.starts_with("from = "))
            .unwrap_or_default();
        assert_eq!(count(from, "\", \"") + 1, SCALE_CIDRS);
        assert!(from.ends_with("\"127.0.0.1\"]"));
        assert!(from.contains("\"10.31.63.0/24\""));
        assert!(text.trim_end().ends_with("command = [\"/usr/bin/true\"]"));
    }
}
