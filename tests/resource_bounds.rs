//! The largest inputs a client or a policy can bring: a 64 KiB command,
//! tens of thousands of arguments, quotes thousands deep, a 10 MiB policy,
//! a hundred thousand regex rules, patterns the regex crate would need
//! gigabytes to build. Each runs the real binary under a finite address
//! space limit, and ends either with the command really run or with the
//! reason naming the limit that refused it.
//!
//! The inputs are generated here; the worst cases, timed with a release
//! build, are in the README's Limits section.

mod common;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};

use common::gate::{
    Scenario, assert_config_denial, assert_denied, binary, forced, stderr, stdout, write_private,
};
use sshgate::policy::{AnchoredRegex, REGEX_BUDGET};

/// Generous for a gate that needs a few MiB, finite for one that would
/// not stop: an unbounded allocation fails under it instead of swapping.
const ADDRESS_SPACE: libc::rlim_t = 512 * 1024 * 1024;

/// `SSH_ORIGINAL_COMMAND`'s limit, and the longest command accepted.
const MAX_COMMAND: usize = 64 * 1024;

const DENIED: i32 = 77;

/// Runs `command` under [`ADDRESS_SPACE`].
fn capped(mut command: Command) -> Output {
    // SAFETY: setrlimit is async-signal-safe, and nothing else runs
    // between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: ADDRESS_SPACE,
                rlim_max: ADDRESS_SPACE,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.output().expect("run sshgate")
}

/// The gate in forced-command mode on `scenario`'s policy, capped.
fn run(scenario: &Scenario, command: &str) -> Output {
    capped(forced(&scenario.policy, Some(command)))
}

/// `sshgate explain` of `command` under `policy`, capped.
fn explain(policy: &Path, command: &str) -> Output {
    let mut explain = Command::new(binary());
    explain.arg("explain").arg("--policy").arg(policy).args([
        "--from",
        "192.0.2.10",
        "--",
        command,
    ]);
    capped(explain)
}

/// `sshgate lint` of `policy`, capped.
fn lint(policy: &Path) -> Output {
    let mut lint = Command::new(binary());
    lint.arg("lint").arg(policy);
    capped(lint)
}

/// Any echo, with any arguments.
const ECHO: &str = "log = \"{log}\"\n[[allow]]\nname = \"echo\"\ncommand = [\"/usr/bin/echo\"]\ntrailing_args = true\n";

/// Asserts that echo ran and printed `words`.
fn assert_echoed(output: &Output, words: &str) {
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(output));
    assert!(
        stdout(output) == format!("{words}\n"),
        "echo printed something else"
    );
}

#[test]
fn a_64_kib_command_runs_whole() {
    let scenario = Scenario::new(ECHO);
    let word = "a".repeat(MAX_COMMAND - "echo ".len());
    let output = run(&scenario, &format!("echo {word}"));
    assert_echoed(&output, &word);
}

#[test]
fn a_command_one_byte_over_64_kib_is_refused_and_recorded_cut() {
    let scenario = Scenario::new(ECHO);
    let word = "a".repeat(MAX_COMMAND + 1 - "echo ".len());
    let output = run(&scenario, &format!("echo {word}"));
    assert_denied(
        &output,
        DENIED,
        "cannot parse command: command is 65537 bytes, over the 65536-byte limit",
    );
    let records = scenario.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["command_bytes"], 65537);
    assert_eq!(records[0]["command_truncated"], true);
}

#[test]
fn ten_thousand_arguments_reach_the_command() {
    let scenario = Scenario::new(ECHO);
    let words = vec!["a"; 10_000].join(" ");
    let output = run(&scenario, &format!("echo {words}"));
    assert_echoed(&output, &words);
}

#[test]
fn as_many_arguments_as_64_kib_holds_reach_the_command() {
    let scenario = Scenario::new(ECHO);
    let count = (MAX_COMMAND - "echo".len()) / 2;
    let words = vec!["a"; count].join(" ");
    let command = format!("echo {words}");
    assert!(command.len() > MAX_COMMAND - 2, "{}", command.len());
    let output = run(&scenario, &command);
    assert_echoed(&output, &words);
}

/// `'a'"'"'a'"'"'...'a'`: the shell idiom for a quote inside single
/// quotes, repeated until the command is nearly 64 KiB.
fn nested_quotes() -> (String, String) {
    let count = (MAX_COMMAND - "echo ".len() - 3) / 6;
    let command = format!("echo {}'a'", "'a'\"'\"".repeat(count));
    let word = format!("{}a", "a'".repeat(count));
    (command, word)
}

#[test]
fn quotes_thousands_deep_are_joined_into_one_word() {
    let scenario = Scenario::new(ECHO);
    let (command, word) = nested_quotes();
    let output = run(&scenario, &command);
    assert_echoed(&output, &word);
}

#[test]
fn an_unterminated_quote_after_thousands_is_refused_where_it_opens() {
    let scenario = Scenario::new(ECHO);
    let (command, _) = nested_quotes();
    let unterminated = command.strip_suffix('\'').expect("ends with a quote");
    let output = run(&scenario, unterminated);
    assert_denied(
        &output,
        DENIED,
        &format!(
            "cannot parse command: unterminated single quote starting at byte {}",
            unterminated.len() - 2
        ),
    );
}

#[test]
fn a_policy_over_1_mib_is_refused_in_every_mode() {
    let rules: String = (0..100_000)
        .map(|i| format!("[[allow]]\nname = \"r{i}\"\ncommand = [\"/usr/bin/echo\", {{ regex = \"r{i}-[a-z0-9]{{1,16}}\" }}]\n"))
        .collect();
    let one_string = format!("description = \"{}\"\n", "x".repeat(10 * 1024 * 1024));
    for text in [rules, one_string] {
        assert!(text.len() > 9_000_000, "{}", text.len());
        let scenario = Scenario::new("");
        write_private(&scenario.policy, &text);
        let file = scenario.policy.display();
        let reason = format!("{file}: larger than the 1048576-byte limit of a policy file");

        assert_config_denial(&run(&scenario, "echo a"), &format!("policy {reason}"));
        let explained = explain(&scenario.policy, "echo a");
        assert_eq!(explained.status.code(), Some(78));
        assert_eq!(stderr(&explained), format!("sshgate explain: {reason}\n"));
        let linted = lint(&scenario.policy);
        assert_eq!(linted.status.code(), Some(1));
        assert_eq!(
            stdout(&linted),
            format!("{file}: error: larger than the 1048576-byte limit of a policy file\n")
        );
    }
}

#[test]
fn toml_nested_half_a_million_deep_is_refused_with_its_location() {
    let depth = 500_000;
    let arrays = format!("description = {}{}\n", "[".repeat(depth), "]".repeat(depth));
    let tables = format!(
        "x = {}1{}\n",
        "{ a = ".repeat(depth / 4),
        "}".repeat(depth / 4)
    );
    for (text, at) in [(arrays, "1:95"), (tables, "1:485")] {
        let scenario = Scenario::new("");
        write_private(&scenario.policy, &text);
        assert_config_denial(
            &run(&scenario, "echo a"),
            &format!(
                "policy {}:{at}: cannot recurse further; max recursion depth met",
                scenario.policy.display()
            ),
        );
    }
}

#[test]
fn a_regex_longer_than_16_kib_is_refused_before_it_is_translated() {
    // Half a million `\w`, each ~770 Unicode ranges once translated: the
    // syntax check alone once took 3.4 GB.
    let pattern = r"\w".repeat(500_000);
    let scenario = Scenario::new(&format!(
        "log = \"{{log}}\"\n[[allow]]\nname = \"w\"\ncommand = [\"/usr/bin/echo\", {{ regex = '{pattern}' }}]\n"
    ));
    assert_config_denial(
        &run(&scenario, "echo a"),
        &format!(
            "policy {}:4:29: invalid regex {:?}... (1000000 bytes): the pattern is 1000000 bytes, over the 16384-byte limit",
            scenario.policy.display(),
            r"\w".repeat(32)
        ),
    );
}

#[test]
fn a_regex_over_the_compiled_size_limit_is_a_located_load_error() {
    let scenario = Scenario::new(
        "log = \"{log}\"\n[[allow]]\nname = \"w\"\ncommand = [\"/usr/bin/echo\", { regex = '\\w{1000}{1000}' }]\n",
    );
    assert_config_denial(
        &run(&scenario, "echo a"),
        &format!(
            "policy {}:4:29: invalid regex \"\\\\w{{1000}}{{1000}}\": Compiled regex exceeds size limit of 10485760 bytes.",
            scenario.policy.display()
        ),
    );
}

/// A rule of `count` optional copies of `pattern`, so that a command of
/// `count` empty arguments reaches, and compiles, every one.
fn optional_patterns(pattern: &str, count: usize) -> (Scenario, String) {
    let args = format!(", {{ regex = '(?:{pattern})?' }}").repeat(count);
    let scenario = Scenario::new(&format!(
        "log = \"{{log}}\"\n[[allow]]\nname = \"many\"\ncommand = [\"/usr/bin/echo\"{args}]\n"
    ));
    (scenario, format!("echo{}", " ''".repeat(count)))
}

#[test]
fn patterns_up_to_the_compiled_size_budget_are_all_compiled_and_run() {
    let pattern = r"[^/]{1,255}";
    let estimate = AnchoredRegex::new(&format!("(?:{pattern})?"))
        .and_then(|mut regex| regex.check())
        .expect("a valid pattern");
    let fit = REGEX_BUDGET / estimate;
    assert!(fit > 100, "{fit}");
    let (scenario, command) = optional_patterns(pattern, fit);
    let output = run(&scenario, &command);
    assert_echoed(&output, &" ".repeat(fit - 1));
}

#[test]
fn one_pattern_over_the_compiled_size_budget_is_a_located_load_error() {
    let pattern = r"[^/]{1,255}";
    let estimate = AnchoredRegex::new(&format!("(?:{pattern})?"))
        .and_then(|mut regex| regex.check())
        .expect("a valid pattern");
    let over = REGEX_BUDGET / estimate + 1;
    let (scenario, command) = optional_patterns(pattern, over);
    let text = std::fs::read_to_string(&scenario.policy).expect("read the policy");
    let last = text.rfind("{ regex").expect("a pattern");
    let column = last - text[..last].rfind('\n').expect("a line");
    assert_config_denial(
        &run(&scenario, &command),
        &format!(
            "policy {}:4:{column}: regex \"(?:[^/]{{1,255}})?\": the profile's patterns up to this one would take about 257 MiB compiled (estimated), over the 256 MiB limit",
            scenario.policy.display()
        ),
    );
}

#[test]
fn catastrophic_backtracking_patterns_decide_64_kib_arguments() {
    // A backtracking engine would not finish these in a lifetime; the regex
    // crate's are linear in the argument.
    let scenario = Scenario::new(
        "log = \"{log}\"\n[[allow]]\nname = \"x\"\ncommand = [\"/usr/bin/echo\", { regex = '(x+x+)+y' }]\n\
         [[allow]]\nname = \"a\"\ncommand = [\"/usr/bin/echo\", { regex = '(a*)*b' }]\n",
    );
    let xs = "x".repeat(MAX_COMMAND - "echo ".len() - 1);
    let output = run(&scenario, &format!("echo {xs}y"));
    assert_echoed(&output, &format!("{xs}y"));
    let as_ = "a".repeat(MAX_COMMAND - "echo ".len());
    let output = run(&scenario, &format!("echo {as_}"));
    assert_denied(
        &output,
        DENIED,
        &format!(
            "no rule allows \"echo {}... (65536 bytes)\"",
            "a".repeat(200 - "echo ".len())
        ),
    );
}

#[test]
fn an_alternation_of_a_thousand_names_is_accepted_and_matches() {
    let names: Vec<String> = (0..1000).map(|i| format!("host-{i:04}")).collect();
    let scenario = Scenario::new(&format!(
        "log = \"{{log}}\"\n[[allow]]\nname = \"hosts\"\ncommand = [\"/usr/bin/echo\", {{ regex = '{}' }}]\n",
        names.join("|")
    ));
    let output = run(&scenario, "echo host-0999");
    assert_echoed(&output, "host-0999");
}

#[test]
fn a_tool_refusal_quoting_a_64_kib_path_is_cut_and_still_recorded() {
    let scenario = Scenario::new(
        "log = \"{log}\"\n[[allow]]\nname = \"pull\"\nrsync = { send = [\"{dir}\"] }\n",
    );
    let prefix = "rsync --server --sender -logDtpre.iLsfxCIvu . ";
    let path = format!(
        "/etc/{}",
        "a".repeat(MAX_COMMAND - prefix.len() - "/etc/".len())
    );
    let detail = format!(
        "path {path} is outside the rule's `send` paths ({})",
        scenario.dir.path().display()
    );
    let output = run(&scenario, &format!("{prefix}{path}"));
    let reason = format!(
        "rule \"pull\" (rsync): {}... ({} bytes)",
        &detail[..1024],
        detail.len()
    );
    assert_denied(&output, DENIED, &reason);
    let records = scenario.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["reason"], reason.as_str());
    // With the command and the reason capped, the record fits a syslog
    // datagram (212,992 bytes by default) many times over.
    let line = std::fs::read_to_string(&scenario.log).expect("read the log");
    assert!(line.len() < 16 * 1024, "a record of {} bytes", line.len());
}
