//! `cargo xtask bench`: what sshgate costs per request, measured side by
//! side with bare exec, the exec-only floor and the peers (issue 5).
//!
//! Sections, numbered as in the table:
//! 1. gate cost: sshgate with a realistic ten-rule profile, against
//!    `/usr/bin/true` run directly and against a static C exec-only floor;
//! 2. peers on the same request: authprogs from PyPI, rrsync;
//! 3. end to end: an rsync pull through a real sshd on loopback;
//! 4. scale: 1,000 rules and 10,000 CIDRs against ten rules;
//! 5. memory: the gate's peak RSS before exec;
//! 6. load: bursts of 200 ssh sessions at once through a real sshd, with
//!    the gate and with a pass-through forced command.
//!
//! Every comparison runs its commands alternating in one loop and reports
//! ratios of medians; absolute times appear only beside them.

mod e2e;
mod fixtures;
mod load;
mod measure;
mod peers;
mod report;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::files::ScratchDir;
use crate::process::{effective_uid, run_captured};
use crate::sshgate::{self, Profile, target_dir};
use crate::{deps, workspace_root};

use fixtures::{Fixtures, KEY, PROBE_RULE, PULL_RULE, RSYNC_FLAGS, TRUE_RULE};
use measure::{CLIENT_ADDRESS, SSHD_PATH, Stats, Variant, alternate, sshd_like};
use report::{Report, Row, Section, time};

/// Runs per command in each comparison, by default and with `--quick`.
const DEFAULT_RUNS: usize = 500;
const QUICK_RUNS: usize = 40;
/// The end-to-end tree, by default and with `--quick`.
const DEFAULT_E2E_SIZE: u64 = 1 << 30;
const QUICK_E2E_SIZE: u64 = 64 << 20;
/// Pulls per forced command, by default and with `--quick`.
const DEFAULT_E2E_RUNS: usize = 9;
const QUICK_E2E_RUNS: usize = 3;
/// Sessions in each burst of the load section, and bursts per forced
/// command, by default and with `--quick`.
const DEFAULT_LOAD_SESSIONS: usize = 200;
const DEFAULT_LOAD_ROUNDS: usize = 5;
const QUICK_LOAD_ROUNDS: usize = 2;
/// Runs per command of the memory section, by default and with `--quick`.
const MEMORY_RUNS: usize = 21;
const QUICK_MEMORY_RUNS: usize = 5;
/// How long a single checked run may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(60);
/// The issue's targets.
const TARGET_FLOOR_RATIO: f64 = 1.15;
const TARGET_AUTHPROGS_RATIO: f64 = 30.0;
const TARGET_E2E_RATIO: f64 = 0.98;
const TARGET_SCALE_ADDED_US: f64 = 2000.0;
const TARGET_RSS_KIB: f64 = 8192.0;

/// The options' help, for `cargo xtask --help`.
pub const HELP: &str =
    "  bench  build sshgate in release mode and measure it side by side with bare
         exec, a static exec-only C floor, authprogs and rrsync, end to end
         through sshd, at scale (1,000 rules, 10,000 CIDRs), its memory and
         under load (bursts of concurrent ssh sessions); prints a table of
         medians and ratios and writes it as Markdown to
         <target>/bench/report.md
           --runs N        runs per command in each comparison (default 500)
           --quick         fewer runs, a 64 MiB end-to-end tree, 2 load bursts
           --e2e-size SIZE end-to-end tree size, such as 256M or 1G (default 1G)
           --e2e-runs N    pulls per forced command (default 9)
           --load-sessions N  sessions released at once in a burst (default 200)
           --load-rounds N bursts per forced command (default 5)
           --skip-peers    leave out authprogs and rrsync
           --skip-e2e      leave out the end-to-end pulls
           --skip-load     leave out the load bursts";

/// What `cargo xtask bench` was asked to do.
#[derive(Debug)]
pub struct Options {
    runs: usize,
    memory_runs: usize,
    e2e_size: u64,
    e2e_runs: usize,
    load_sessions: usize,
    load_rounds: usize,
    skip_peers: bool,
    skip_e2e: bool,
    skip_load: bool,
    /// The options as given, for the report.
    shown: String,
}

impl Options {
    /// Parses the arguments after `bench`.
    pub fn parse(args: &[String]) -> Result<Options, Error> {
        let mut quick = false;
        let mut skip_peers = false;
        let mut skip_e2e = false;
        let mut skip_load = false;
        let (mut runs, mut e2e_size, mut e2e_runs) = (None, None, None);
        let (mut load_sessions, mut load_rounds) = (None, None);
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name, Some(value)),
                _ => (arg.as_str(), None),
            };
            let mut value = || {
                inline
                    .or_else(|| rest.next().map(String::as_str))
                    .ok_or_else(|| Error::Usage(format!("bench: {name} needs a value")))
            };
            match name {
                "--quick" | "--skip-peers" | "--skip-e2e" | "--skip-load" if inline.is_some() => {
                    return Err(Error::Usage(format!("bench: {name} takes no value")));
                }
                "--quick" => quick = true,
                "--skip-peers" => skip_peers = true,
                "--skip-e2e" => skip_e2e = true,
                "--skip-load" => skip_load = true,
                "--runs" => runs = Some(parse_count(name, value()?)?),
                "--e2e-runs" => e2e_runs = Some(parse_count(name, value()?)?),
                "--e2e-size" => e2e_size = Some(parse_size(value()?)?),
                "--load-sessions" => load_sessions = Some(parse_count(name, value()?)?),
                "--load-rounds" => load_rounds = Some(parse_count(name, value()?)?),
                other => return Err(Error::Usage(format!("bench: unknown option {other:?}"))),
            }
        }
        let pick =
            |given: Option<usize>, full, fast| given.unwrap_or(if quick { fast } else { full });
        Ok(Options {
            runs: pick(runs, DEFAULT_RUNS, QUICK_RUNS),
            memory_runs: if quick {
                QUICK_MEMORY_RUNS
            } else {
                MEMORY_RUNS
            },
            e2e_size: e2e_size.unwrap_or(if quick {
                QUICK_E2E_SIZE
            } else {
                DEFAULT_E2E_SIZE
            }),
            e2e_runs: pick(e2e_runs, DEFAULT_E2E_RUNS, QUICK_E2E_RUNS),
            load_sessions: load_sessions.unwrap_or(DEFAULT_LOAD_SESSIONS),
            load_rounds: pick(load_rounds, DEFAULT_LOAD_ROUNDS, QUICK_LOAD_ROUNDS),
            skip_peers,
            skip_e2e,
            skip_load,
            shown: std::iter::once("cargo xtask bench".to_string())
                .chain(args.iter().cloned())
                .collect::<Vec<_>>()
                .join(" "),
        })
    }

    /// Unrecorded runs before the recorded ones.
    fn warmup(&self) -> usize {
        (self.runs / 10).clamp(3, 50)
    }
}

fn parse_count(name: &str, text: &str) -> Result<usize, Error> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Error::Usage(format!(
            "bench: {name} wants a positive whole number, not {text:?}"
        ))),
    }
}

/// `1G`, `256M`, `512MiB`, `1048576`: powers of 1024, at least 1 MiB.
fn parse_size(text: &str) -> Result<u64, Error> {
    let bad = || {
        Error::Usage(format!(
            "bench: --e2e-size wants a size such as 256M or 1G (at least 1M), not {text:?}"
        ))
    };
    let lower = text.trim().to_ascii_lowercase();
    let unit_part = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let digits_end = unit_part
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(unit_part.len());
    let (digits, unit) = unit_part.split_at(digits_end);
    let shift = match unit {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        _ => return Err(bad()),
    };
    let size = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(bad)?;
    if size < 1 << 20 {
        return Err(bad());
    }
    Ok(size)
}

/// Builds sshgate, runs every section and writes the report.
pub fn run(options: &Options) -> Result<(), Error> {
    let started = Instant::now();
    deps::ensure()?;
    let root = workspace_root();
    let out_dir = target_dir(&root).join("bench");
    fs::create_dir_all(&out_dir).map_err(Error::io(format!("create {}", out_dir.display())))?;
    let gate = sshgate::build(Profile::Release)?;
    let scratch = ScratchDir::new("sshgate-bench")?;
    let dir = scratch.path();
    let fixtures = Fixtures::create(dir)?;
    let mut report = Report::new(context(&root, &gate, options));

    section("1. gate cost: sshgate against bare exec and the static exec-only floor");
    gate_cost(&gate, &fixtures, options, &mut report)?;

    section("2. peers on the same request: authprogs and rrsync");
    let rrsync = peers::find_rrsync(dir);
    let rrsync = rrsync.as_deref().map_err(String::as_str);
    if options.skip_peers {
        for name in ["authprogs", "rrsync"] {
            report.row(Row::missing(Section::Peers, name, "skipped (--skip-peers)"));
        }
        println!("skipped (--skip-peers)");
    } else {
        authprogs(&gate, &fixtures, dir, options, &mut report)?;
        rsync_startup(&gate, &fixtures, rrsync, options, &mut report)?;
    }

    section("4. scale: 1,000 rules and 10,000 CIDRs against ten rules");
    scale(&gate, &fixtures, options, &mut report)?;

    section("5. memory: the gate's peak RSS before exec");
    memory(&gate, &fixtures, options, &mut report)?;

    section("6. load: bursts of ssh sessions at once through sshd on 127.0.0.1");
    if options.skip_load {
        report.row(Row::missing(
            Section::Load,
            "bursts of ssh sessions through sshd",
            "skipped (--skip-load)",
        ));
        println!("skipped (--skip-load)");
    } else {
        load(&gate, dir, options, &mut report)?;
    }

    // Last: writing a gigabyte per pull disturbs what runs after it.
    section("3. end to end: rsync pulls through sshd on 127.0.0.1");
    if options.skip_e2e {
        report.row(Row::missing(
            Section::EndToEnd,
            "rsync pull through sshd",
            "skipped (--skip-e2e)",
        ));
        println!("skipped (--skip-e2e)");
    } else {
        end_to_end(&gate, &out_dir, dir, rrsync, options, &mut report)?;
    }

    notes(&mut report, options);
    report.context(
        "the whole run took",
        format!(
            "{:.0} s, sshgate build included",
            started.elapsed().as_secs_f64()
        ),
    );
    let text = report.render();
    let path = out_dir.join("report.md");
    fs::write(&path, &text).map_err(Error::io(format!("write {}", path.display())))?;
    println!("\n{text}\nwritten to {}", path.display());
    Ok(())
}

/// A banner for a section's progress output.
fn section(title: &str) {
    println!("\n==> {title}");
}

/// The machine, the versions and the settings, for the report's top.
fn context(root: &Path, gate: &Path, options: &Options) -> Vec<(String, String)> {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|kib| kib.trim().trim_end_matches(" kB").parse::<u64>().ok())
        })
        .map_or_else(String::new, |kib| {
            format!(", {:.0} GiB RAM", kib as f64 / 1048576.0)
        });
    let kernel = first_line(Command::new("uname").arg("-r")).unwrap_or_default();
    let os = fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|name| name.trim_matches('"').to_string())
        })
        .unwrap_or_default();
    let commit = first_line(
        Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .current_dir(root),
    )
    .unwrap_or_else(|| "unknown commit".into());
    let dirty = first_line(
        Command::new("git")
            .args([
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "src",
                "Cargo.toml",
                "Cargo.lock",
            ])
            .current_dir(root),
    )
    .is_some();
    let size = fs::metadata(gate).map_or(0, |m| m.len());
    let user = if effective_uid().is_ok_and(|uid| uid == 0) {
        "root"
    } else {
        "not root"
    };
    let load = fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let date =
        first_line(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])).unwrap_or_default();
    vec![
        ("command".into(), format!("`{}`", options.shown)),
        ("date".into(), date),
        (
            "machine".into(),
            format!("{cpu}, {cores} cores{memory}; {os}, Linux {kernel}; as {user}"),
        ),
        ("load average before the run".into(), load),
        (
            "sshgate".into(),
            format!(
                "commit {commit}{}, release build, {:.1} MiB binary",
                if dirty {
                    " with uncommitted changes in src/"
                } else {
                    ""
                },
                size as f64 / 1048576.0
            ),
        ),
        (
            "tools".into(),
            [
                first_line(Command::new("rsync").arg("--version")),
                first_line(Command::new("/usr/bin/python3").arg("--version")),
                ssh_version(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; "),
        ),
        (
            "runs".into(),
            format!(
                "{} per command in each comparison after {} warm-up runs, commands alternating; \
                 memory {} runs; end to end {} pulls per forced command after one warm-up; \
                 load {} bursts of {} sessions per forced command after one warm-up",
                options.runs,
                options.warmup(),
                options.memory_runs,
                options.e2e_runs,
                options.load_rounds,
                options.load_sessions
            ),
        ),
    ]
}

/// `ssh -V` prints its version on stderr.
fn ssh_version() -> Option<String> {
    let output = Command::new("ssh").arg("-V").output().ok()?;
    let text = String::from_utf8_lossy(&output.stderr);
    text.lines().next().map(str::to_string)
}

/// The first line a command prints, if it succeeds and prints one.
fn first_line(cmd: &mut Command) -> Option<String> {
    let output = cmd.output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .map(|line| line.trim().to_string())
        .filter(|line| !line.is_empty())
}

/// `sshgate --policy P --key bench`, started as sshd would start it.
fn gate_command(gate: &Path, policy: &Path, request: &str) -> Command {
    let mut cmd = sshd_like(gate, request);
    cmd.arg("--policy").arg(policy).args(["--key", KEY]);
    cmd
}

/// `PROGRAM ARG`, started as sshd would start a forced command.
fn with_arg(program: &Path, arg: &str, request: &str) -> Command {
    let mut cmd = sshd_like(program, request);
    cmd.arg(arg);
    cmd
}

/// Runs a command once with its output captured and fails unless it exits
/// with `expect`. The check before each comparison: a command that fails
/// early would look fast.
fn check_run(mut cmd: Command, expect: i32, what: &str) -> Result<(String, String), Error> {
    let output = run_captured(&mut cmd, what, CHECK_TIMEOUT)?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.code() != Some(expect) {
        return Err(Error::Setup(format!(
            "{what}: ended with {}, not exit code {expect}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            output.status,
            stdout.trim(),
            stderr.trim()
        )));
    }
    Ok((stdout, stderr))
}

/// Prints a comparison's medians as it finishes.
fn print_stats(stats: &[Stats]) {
    for s in stats {
        println!(
            "  {:<58} median {:>9}   p10 {:>9}   p90 {:>9}   ({} runs)",
            s.label,
            time(s.median()),
            time(s.percentile(10.0)),
            time(s.percentile(90.0)),
            s.len()
        );
    }
}

/// Section 1.
fn gate_cost(
    gate: &Path,
    fx: &Fixtures,
    options: &Options,
    report: &mut Report,
) -> Result<(), Error> {
    let request = "/usr/bin/true";
    check_run(
        gate_command(gate, &fx.policy, request),
        0,
        "sshgate, ten-rule profile",
    )?;
    fixtures::check_last_record(&fx.audit_log, TRUE_RULE, "sshgate, ten-rule profile")?;
    println!("checked: sshgate allowed {request} by rule {TRUE_RULE:?} and it exited 0");
    let stats = alternate(
        vec![
            Variant::new("/usr/bin/true, bare", sshd_like(request, request), 0),
            Variant::new(
                "static floor /usr/bin/true",
                with_arg(&fx.floor_static, request, request),
                0,
            ),
            Variant::new(
                "dynamic floor /usr/bin/true",
                with_arg(&fx.floor_dynamic, request, request),
                0,
            ),
            Variant::new(
                "sshgate --policy ten-rules.toml",
                gate_command(gate, &fx.policy, request),
                0,
            ),
        ],
        options.warmup(),
        options.runs,
    )?;
    print_stats(&stats);
    let [bare, floor, dynamic, sshgate] = &stats[..] else {
        return Err(Error::Setup("section 1 lost its results".into()));
    };
    let section = Section::GateCost;
    let floor_ratio = sshgate.median() / floor.median();
    report.row(Row::time(
        section,
        "`/usr/bin/true` run directly (bare)",
        bare,
    ));
    report.row(
        Row::time(
            section,
            "static C exec-only floor: `floor /usr/bin/true`",
            floor,
        )
        .against_time("bare", floor, bare),
    );
    report.row(
        Row::time(section, "the same floor, dynamically linked", dynamic)
            .against_time("bare", dynamic, bare),
    );
    report.row(
        Row::time(
            section,
            "sshgate, ten-rule profile, full sandbox, JSON log",
            sshgate,
        )
        .against_time("static floor", sshgate, floor)
        .target(
            &format!("≤ {TARGET_FLOOR_RATIO} × floor"),
            floor_ratio <= TARGET_FLOOR_RATIO,
        ),
    );
    report.row(
        Row::time(section, "sshgate, the same runs", sshgate).against_time("bare", sshgate, bare),
    );
    Ok(())
}

/// Section 2a: authprogs, on the request of section 1.
fn authprogs(
    gate: &Path,
    fx: &Fixtures,
    dir: &Path,
    options: &Options,
    report: &mut Report,
) -> Result<(), Error> {
    let name = "authprogs 0.7 (PyPI), same request";
    println!("installing authprogs from PyPI into a throwaway virtualenv");
    let ap_dir = dir.join("authprogs");
    fs::create_dir(&ap_dir).map_err(Error::io(format!("create {}", ap_dir.display())))?;
    let installed = match peers::install_authprogs(&ap_dir, &fx.srv) {
        Ok(installed) => installed,
        Err(reason) => {
            println!("authprogs: not measured: {reason}");
            report.row(Row::missing(Section::Peers, name, &reason));
            return Ok(());
        }
    };
    let request = "/usr/bin/true";
    let command = || {
        let mut cmd = sshd_like(&installed.program, request);
        cmd.args(&installed.args);
        cmd
    };
    // authprogs exits 126 when it refuses, and logs every run's outcome.
    if let Err(reason) = check_authprogs(command(), &installed) {
        println!("authprogs: not measured: {reason}");
        report.row(Row::missing(Section::Peers, name, &reason));
        return Ok(());
    }
    println!(
        "checked: {} ran {request} (exit 0, logged)",
        installed.version
    );
    let stats = alternate(
        vec![
            Variant::new(
                "sshgate --policy ten-rules.toml",
                gate_command(gate, &fx.policy, request),
                0,
            ),
            Variant::new(installed.version.clone(), command(), 0),
        ],
        options.warmup(),
        options.runs,
    )?;
    print_stats(&stats);
    let [sshgate, peer] = &stats[..] else {
        return Err(Error::Setup("section 2 lost its authprogs results".into()));
    };
    let ratio = peer.median() / sshgate.median();
    report.row(
        Row::time(
            Section::Peers,
            format!("{}, same request (`/usr/bin/true`)", installed.version),
            peer,
        )
        .against_time("sshgate, ten-rule profile", peer, sshgate)
        .target(
            &format!("≥ {TARGET_AUTHPROGS_RATIO:.0} × sshgate"),
            ratio >= TARGET_AUTHPROGS_RATIO,
        ),
    );
    Ok(())
}

/// Checks that authprogs ran `/usr/bin/true`: exit 0 and its log says so.
fn check_authprogs(command: Command, installed: &peers::Authprogs) -> Result<(), String> {
    check_run(command, 0, &installed.version).map_err(|e| e.to_string())?;
    let log = fs::read_to_string(&installed.log).unwrap_or_default();
    let ran = log.lines().any(|l| {
        l.starts_with("result:")
            && l.contains("'command': ['/usr/bin/true']")
            && l.contains("'code': 0")
    });
    if ran {
        Ok(())
    } else {
        Err(format!(
            "{} exited 0, but its log shows no run of /usr/bin/true: {}",
            installed.version,
            log.trim()
        ))
    }
}

/// Section 2b: rrsync against sshgate and rsync alone, on the same rsync
/// pull request.
///
/// Each run is timed from the spawn to rsync's first protocol bytes (the
/// server's version greeting), which is the forced command's whole cost up
/// to a talking rsync; the server is then killed. Timing to its exit would
/// not do: an rsync server without a client sleeps 100 ms before its error
/// exit, and a real client adds a 20 ms polling sleep of its own.
fn rsync_startup(
    gate: &Path,
    fx: &Fixtures,
    rrsync: Result<&Path, &str>,
    options: &Options,
    report: &mut Report,
) -> Result<(), Error> {
    let rrsync_name = "the same request through rrsync -ro";
    let request = fx.rsync_request();
    let direct = || {
        let mut cmd = sshd_like("/usr/bin/rsync", &request);
        cmd.args(["--server", "--sender", RSYNC_FLAGS, "."])
            .arg(fx.srv.join("x").display().to_string() + "/");
        cmd
    };
    // rrsync maps absolute paths into its directory: `/x/` is `SRV/x/`.
    let rrsync_request = format!("rsync --server --sender {RSYNC_FLAGS} . /x/");
    let rrsync_command = |rrsync: &Path| {
        let mut cmd = sshd_like(rrsync, &rrsync_request);
        cmd.arg("-ro").arg(&fx.srv);
        cmd
    };

    // The greeting is a 32-bit protocol version, little-endian.
    let what = "rsync --server --sender, run directly";
    let greeting = measure::first_output(direct(), 4, what).map_err(Error::Setup)?;
    let version = u32::from_le_bytes([greeting[0], greeting[1], greeting[2], greeting[3]]);
    if !(20..100).contains(&version) {
        return Err(Error::Setup(format!(
            "{what}: greeted with {greeting:?}, not an rsync protocol version"
        )));
    }
    let what = "sshgate on the rsync request";
    let got = measure::first_output(gate_command(gate, &fx.policy, &request), 4, what)
        .map_err(Error::Setup)?;
    if got != greeting {
        return Err(Error::Setup(format!(
            "{what}: began with {got:?}, not rsync's greeting {greeting:?}"
        )));
    }
    fixtures::check_last_record(&fx.audit_log, PULL_RULE, what)?;
    println!(
        "checked: rsync greets with protocol {version}; sshgate allowed `{request}` by rule \
         {PULL_RULE:?} and rsync greeted"
    );
    let through_rrsync = rrsync.map_err(str::to_string).and_then(|rrsync| {
        let got = measure::first_output(rrsync_command(rrsync), 4, "rrsync -ro")?;
        if got == greeting {
            println!("checked: rrsync -ro passed `{rrsync_request}` on and rsync greeted");
            Ok(rrsync_command(rrsync))
        } else {
            Err(format!(
                "rrsync -ro began with {got:?}, not rsync's greeting {greeting:?}"
            ))
        }
    });

    let mut variants = vec![
        Variant::until_output("rsync --server --sender, run directly", direct(), &greeting),
        Variant::until_output(
            "sshgate, rsync request",
            gate_command(gate, &fx.policy, &request),
            &greeting,
        ),
    ];
    match through_rrsync {
        Ok(cmd) => variants.push(Variant::until_output(
            "rrsync -ro, rsync request",
            cmd,
            &greeting,
        )),
        Err(reason) => {
            println!("rrsync: not measured: {reason}");
            report.row(Row::missing(Section::Peers, rrsync_name, &reason));
        }
    }
    let stats = alternate(variants, options.warmup(), options.runs)?;
    print_stats(&stats);
    let (Some(direct), Some(sshgate)) = (stats.first(), stats.get(1)) else {
        return Err(Error::Setup("section 2 lost its rsync results".into()));
    };
    let section = Section::Peers;
    report.row(Row::time(
        section,
        format!(
            "`rsync --server --sender {RSYNC_FLAGS} . DIR/x/` run directly, \
             to its first protocol bytes"
        ),
        direct,
    ));
    report.row(
        Row::time(
            section,
            "the same request through sshgate (rsync server rule)",
            sshgate,
        )
        .against_time("rsync directly", sshgate, direct),
    );
    if let Some(peer) = stats.get(2) {
        report.row(Row::time(section, rrsync_name, peer).against_time(
            "through sshgate",
            peer,
            sshgate,
        ));
        // What each adds to the same request, without rsync's own start.
        let gate_added = sshgate.median() - direct.median();
        let peer_added = peer.median() - direct.median();
        report.row(
            Row::new(
                section,
                "rrsync's added time over rsync run directly",
                report::signed_time(peer_added),
            )
            .against(
                format!("sshgate's ({})", report::signed_time(gate_added)),
                peer_added / gate_added,
            ),
        );
    }
    Ok(())
}

/// `sshgate explain` of `/usr/bin/true`: the decision-time proxy.
fn explain_command(gate: &Path, policy: &Path) -> Command {
    let mut cmd = Command::new(gate);
    cmd.env_clear()
        .env("PATH", SSHD_PATH)
        .env(
            "HOME",
            std::env::var_os("HOME").unwrap_or_else(|| "/".into()),
        )
        .arg("explain")
        .arg("--policy")
        .arg(policy)
        .args([
            "--from",
            CLIENT_ADDRESS,
            "--key",
            KEY,
            "--",
            "/usr/bin/true",
        ]);
    cmd
}

/// Section 4.
fn scale(gate: &Path, fx: &Fixtures, options: &Options, report: &mut Report) -> Result<(), Error> {
    let request = "/usr/bin/true";
    check_run(
        gate_command(gate, &fx.scale_policy, request),
        0,
        "sshgate, 1,000-rule profile",
    )?;
    fixtures::check_last_record(&fx.audit_log, TRUE_RULE, "sshgate, 1,000-rule profile")?;
    let allowed = format!("decision: allow (rule \"{TRUE_RULE}\")");
    for policy in [&fx.policy, &fx.scale_policy] {
        let (stdout, _) = check_run(explain_command(gate, policy), 0, "sshgate explain")?;
        if !stdout.contains(&allowed) {
            return Err(Error::Setup(format!(
                "sshgate explain --policy {}: no {allowed:?} in:\n{stdout}",
                policy.display()
            )));
        }
    }
    println!("checked: both profiles allow {request} by their last rule, {TRUE_RULE:?}");
    let whole = alternate(
        vec![
            Variant::new(
                "sshgate, ten rules",
                gate_command(gate, &fx.policy, request),
                0,
            ),
            Variant::new(
                "sshgate, 1,000 rules + 10,000 CIDRs",
                gate_command(gate, &fx.scale_policy, request),
                0,
            ),
        ],
        options.warmup(),
        options.runs,
    )?;
    print_stats(&whole);
    let explain = alternate(
        vec![
            Variant::new(
                "sshgate explain, ten rules",
                explain_command(gate, &fx.policy),
                0,
            ),
            Variant::new(
                "sshgate explain, 1,000 rules + 10,000 CIDRs",
                explain_command(gate, &fx.scale_policy),
                0,
            ),
        ],
        options.warmup(),
        options.runs,
    )?;
    print_stats(&explain);
    let ([ten, big], [explain_ten, explain_big]) = (&whole[..], &explain[..]) else {
        return Err(Error::Setup("section 4 lost its results".into()));
    };
    let section = Section::Scale;
    let added = big.median() - ten.median();
    report.row(Row::time(
        section,
        "sshgate, ten-rule profile (whole process)",
        ten,
    ));
    report.row(
        Row::time(
            section,
            "sshgate, 1,000 rules + 10,000 CIDRs, the last rule matches (whole process)",
            big,
        )
        .against_time("ten rules", big, ten)
        .target("≤ +2 ms", added <= TARGET_SCALE_ADDED_US),
    );
    report.row(Row::time(
        section,
        "decision proxy: `sshgate explain`, ten rules",
        explain_ten,
    ));
    report.row(
        Row::time(
            section,
            "decision proxy: `sshgate explain`, 1,000 rules + 10,000 CIDRs",
            explain_big,
        )
        .against_time("explain, ten rules", explain_big, explain_ten),
    );
    Ok(())
}

/// Section 5: `ru_maxrss` of the gate running a static no-op, with the
/// floor and the no-op alone for scale.
fn memory(gate: &Path, fx: &Fixtures, options: &Options, report: &mut Report) -> Result<(), Error> {
    let nop = fx.nop.display().to_string();
    check_run(
        gate_command(gate, &fx.policy, &nop),
        0,
        "sshgate running the static no-op",
    )?;
    fixtures::check_last_record(
        &fx.audit_log,
        PROBE_RULE,
        "sshgate running the static no-op",
    )?;
    println!("checked: sshgate allowed the static no-op by rule {PROBE_RULE:?}");
    let cases: Vec<(&str, Vec<String>, bool)> = vec![
        (
            "sshgate → static no-op, ten-rule profile",
            gate_args(gate, &fx.policy),
            true,
        ),
        (
            "sshgate → static no-op, 1,000 rules + 10,000 CIDRs",
            gate_args(gate, &fx.scale_policy),
            true,
        ),
        (
            "static floor → static no-op (reference)",
            vec![fx.floor_static.display().to_string(), nop.clone()],
            false,
        ),
        ("static no-op alone (reference)", vec![nop.clone()], false),
    ];
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for _ in 0..options.memory_runs {
        for (index, (label, args, _)) in cases.iter().enumerate() {
            samples[index].push(max_rss(&fx.maxrss, args, &nop, label)?);
        }
    }
    for ((label, _, is_gate), samples) in cases.iter().zip(samples) {
        let stats = Stats::from_samples(label.to_string(), samples);
        println!(
            "  {label:<58} median {:>6.0} KiB   max {:>6.0} KiB",
            stats.median(),
            stats.max()
        );
        let mut row = Row::new(
            Section::Memory,
            *label,
            format!("{:.0} KiB (max {:.0})", stats.median(), stats.max()),
        );
        if *is_gate {
            row = row.target("≤ 8 MiB", stats.max() <= TARGET_RSS_KIB);
        }
        report.row(row);
    }
    Ok(())
}

fn gate_args(gate: &Path, policy: &Path) -> Vec<String> {
    vec![
        gate.display().to_string(),
        "--policy".into(),
        policy.display().to_string(),
        "--key".into(),
        KEY.into(),
    ]
}

/// One `maxrss ARGS...` run: the peak RSS in KiB of a command that must
/// exit 0.
fn max_rss(helper: &Path, args: &[String], request: &str, label: &str) -> Result<f64, Error> {
    let mut cmd = sshd_like(helper, request);
    cmd.args(args);
    let (stdout, _) = check_run(cmd, 0, label)?;
    match stdout.split_whitespace().collect::<Vec<_>>()[..] {
        [kib, "0"] => kib
            .parse::<f64>()
            .map_err(|_| Error::Setup(format!("{label}: maxrss printed {stdout:?}"))),
        _ => Err(Error::Setup(format!(
            "{label}: expected `KiB 0` from maxrss (the command must exit 0), got {stdout:?}"
        ))),
    }
}

/// Section 3.
fn end_to_end(
    gate: &Path,
    out_dir: &Path,
    dir: &Path,
    rrsync: Result<&Path, &str>,
    options: &Options,
    report: &mut Report,
) -> Result<(), Error> {
    let tree = e2e::tree(&out_dir.join("e2e"), options.e2e_size)?;
    let results = e2e::run(dir, gate, &tree, rrsync.ok(), options.e2e_runs)?;
    let section = Section::EndToEnd;
    let rate = |stats: &Stats| {
        format!(
            "{:.0} MB/s (range {:.0}–{:.0})",
            stats.median(),
            stats.min(),
            stats.max()
        )
    };
    let paired = |ratio: f64| format!("paired: {}", report::ratio(ratio));
    let pass = &results.passthrough;
    let against = format!("pass-through ({:.0} MB/s)", pass.median());
    println!(
        "  {:<13} median {:.0} MB/s\n  {:<13} median {:.0} MB/s",
        "pass-through",
        pass.median(),
        "sshgate",
        results.gate.median()
    );
    report.row(Row::new(
        section,
        format!(
            "rsync pull, {:.0} MiB in {} files, {}; pass-through: \
             `sh -c \"$SSH_ORIGINAL_COMMAND\"`",
            tree.bytes as f64 / 1048576.0,
            tree.files,
            results.landed
        ),
        rate(pass),
    ));
    let gate_ratio = results.gate.median() / pass.median();
    report.row(
        Row::new(
            section,
            "sshgate forced command, rsync rule, full sandbox",
            rate(&results.gate),
        )
        .against(against.clone(), gate_ratio)
        .difference(paired(results.gate_paired))
        .target(
            &format!("≥ {TARGET_E2E_RATIO} ×"),
            gate_ratio >= TARGET_E2E_RATIO,
        ),
    );
    match (&results.rrsync, rrsync) {
        (Ok((stats, ratio)), _) => {
            println!("  {:<13} median {:.0} MB/s", "rrsync", stats.median());
            report.row(
                Row::new(section, "rrsync -ro on the tree's parent", rate(stats))
                    .against(against, stats.median() / pass.median())
                    .difference(paired(*ratio)),
            );
        }
        (Err(_), Err(reason)) => report.row(Row::missing(section, "rrsync -ro", reason)),
        (Err(reason), Ok(_)) => report.row(Row::missing(section, "rrsync -ro", reason)),
    }
    Ok(())
}

/// Section 6.
fn load(gate: &Path, dir: &Path, options: &Options, report: &mut Report) -> Result<(), Error> {
    let results = load::run(dir, gate, options.load_sessions, options.load_rounds)?;
    let section = Section::Load;
    let rate = |stats: &Stats| {
        format!(
            "{:.1} sessions/s (range {:.1}–{:.1})",
            stats.median(),
            stats.min(),
            stats.max()
        )
    };
    let cpu = |measured: &load::Measured| {
        format!(
            "{:.1} ms (range {:.1}–{:.1}; server side {:.1} ms)",
            measured.cpu.median(),
            measured.cpu.min(),
            measured.cpu.max(),
            measured.server_cpu.median()
        )
    };
    let (pass, gate) = (&results.passthrough, &results.gate);
    let share = 1.0 - pass.cpu.median() / gate.cpu.median();
    println!(
        "  {:<13} median {:.1} sessions/s, {:.1} ms CPU a session\n  \
         {:<13} median {:.1} sessions/s, {:.1} ms CPU a session\n  \
         sessions/s, gate / pass-through, paired: {:.3}; the gate's share of the CPU: {:.1} %",
        "pass-through",
        pass.rate.median(),
        pass.cpu.median(),
        "sshgate",
        gate.rate.median(),
        gate.cpu.median(),
        results.gate_paired,
        share * 100.0
    );
    report.row(Row::new(
        section,
        format!(
            "{} ssh sessions released at once, a third each: rsync pulls ({} bytes, {}), \
             `echo`, `touch` (denied by the gate); pass-through: `sh -c \"$SSH_ORIGINAL_COMMAND\"`",
            options.load_sessions, results.tree_bytes, results.landed
        ),
        rate(&pass.rate),
    ));
    report.row(
        Row::new(
            section,
            "sshgate forced command, the same bursts",
            rate(&gate.rate),
        )
        .against(
            format!("pass-through ({:.1} sessions/s)", pass.rate.median()),
            gate.rate.median() / pass.rate.median(),
        )
        .difference(format!("paired: {}", report::ratio(results.gate_paired))),
    );
    report.row(Row::new(
        section,
        "CPU time a session, pass-through: sshd and all it ran, and the clients (ssh, rsync)",
        cpu(pass),
    ));
    report.row(
        Row::new(section, "CPU time a session, sshgate", cpu(gate))
            .against(
                format!("pass-through ({:.1} ms)", pass.cpu.median()),
                gate.cpu.median() / pass.cpu.median(),
            )
            .difference(format!("{:+.1} ms", gate.cpu.median() - pass.cpu.median())),
    );
    report.row(Row::new(
        section,
        "the gate's share of a session's CPU time: (sshgate − pass-through) / sshgate",
        format!("{:.1} %", share * 100.0),
    ));
    Ok(())
}

/// How each number was obtained, below the table.
fn notes(report: &mut Report, options: &Options) {
    let notes = [
        "Wall time of each run: from just before the spawn (Rust `std::process::Command`, \
         posix_spawn or fork+exec) to just after `wait`, stdio on /dev/null. The commands of a \
         comparison alternate in one loop, in rotated order (A B C, B C A, ...), after warm-up \
         runs. Ratio = ratio of the medians; Difference = difference of the medians, or for \
         the pulls the median of the per-round ratios (\"paired\"), where slow drift cancels. \
         Spread: p10–p90 for wall times, range for pulls, max for memory."
            .to_string(),
        "Every command gets the environment sshd gives a forced command and nothing else: PATH \
         (sshd's for root), HOME, USER, LOGNAME, SHELL, SSH_CONNECTION and SSH_CLIENT \
         (127.0.0.1), SSH_ORIGINAL_COMMAND."
            .to_string(),
        "Floor: `int main(int c, char **v) { execv(v[1], v + 1); return 127; }`, `gcc -O2 -static` \
         (and without -static), built by the harness."
            .to_string(),
        "Ten-rule profile: exact argv, regex arguments, trailing_args, an rsync tool rule for \
         pulls and one for pushes (a write grant); a five-entry `from` list with the client last, `keys`; \
         the default sandbox (Landlock, seccomp, every capability dropped, no_new_privs) with \
         `rlimits = { nofile = 1024 }`; `log` to a JSON file. `/usr/bin/true` matches the last \
         rule. Each comparison first checks once that the gate allowed and ran the command \
         (exit code and audit record), and every timed run must end with the expected exit \
         code."
            .to_string(),
        "authprogs: `pip install 'authprogs==0.7.*'` into a throwaway virtualenv of Debian's \
         python3, run as `authprogs --run --configfile=... --logfile=... --keyname=bench` with \
         the ten-rule profile's matching rewritten in its YAML (same `from` list and key, \
         `/usr/bin/true` last), checked in its log. It runs the command as a child \
         (`subprocess.call`), not by exec."
            .to_string(),
        format!(
            "rrsync: the rsync package's script, `rrsync -ro DIR`, run by /usr/bin/python3 \
             through its `#!/usr/bin/env python3` and sshd's PATH; it runs rsync as a child \
             (`subprocess.run`) even with -ro. The rsync rows time the request \
             `rsync --server --sender {RSYNC_FLAGS} . DIR/x/` (`/x/` for rrsync, which maps it \
             into DIR) from the spawn to the rsync server's first protocol bytes, its version \
             greeting (checked in every run); the server is then killed with its process group. \
             Timing to the exit would measure sleeps: an rsync server without a client sleeps \
             100 ms before its error exit, and a real client polls its child every 20 ms."
        ),
        format!(
            "End to end: `rsync -a` (no compression) pulls through one sshd on 127.0.0.1 with one \
             client key per forced command, {} pulls each after one warm-up each, alternating, \
             into a fresh empty directory (on tmpfs when there is room, so that the client's \
             disk does not cap the rate) that is checked (file count and bytes) and removed \
             after each pull. The tree has four large files holding 60% of it and small files \
             of up to ~96 KiB, a hundred per directory, generated once into \
             <target>/bench/e2e and reused. MB/s = 10^6 bytes per second of the whole rsync \
             client run, ssh connection set-up included. Pass-through: \
             `exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"`, unconfined. rrsync: `rrsync -ro` on \
             the tree's parent.",
            options.e2e_runs
        ),
        "Scale: 1,000 rules, most naming `/usr/bin/true` with exact, regex and trailing-args \
         patterns so that their arguments must be compared, one in ten with a write grant and \
         one in ten an rsync tool rule; 10,000 `from` entries (8,000 IPv4 /24s, 1,999 IPv6 /48s, the \
         client last). The request matches only the last rule. `decide` cannot be timed alone \
         from outside the binary, so `sshgate explain` (policy load, decision and the sandbox \
         plan, which also walks the grant paths and reads the mount table; no audit record, no \
         sandbox, no exec) stands in as a proxy for the decision time."
            .to_string(),
        "Memory: `ru_maxrss` from `wait4` in a small C helper, of a gate whose command is a \
         static no-op. At `execve` the kernel folds the old image's peak RSS into `ru_maxrss`; \
         the no-op's own peak is far smaller (its row), so the figure is the gate's peak before \
         exec."
            .to_string(),
        format!(
            "Load: one sshd on 127.0.0.1 (`{}`) with one client key per forced \
             command; a burst is {} client processes (a third `rsync -a` pulls of a five-file \
             tree into their own directories, a third `ssh ... echo token-N`, a third \
             `ssh ... touch MARKER`, which the gate denies and the pass-through runs) started on \
             their own threads and released together by a barrier, timed from the release to the \
             end of the last. {} bursts per forced command after one warm-up each, alternating. \
             Every session is checked (pulls by file count and bytes, `echo` by its output, \
             `touch` by exit code, denial and marker) and after each gate burst the JSON audit \
             log must have grown by one parseable line per session. sessions/s = sessions / \
             wall time of the burst; the clients (ssh, rsync) run on the same cores, and on a \
             shared machine so does everyone else's work, which the wall time carries and the \
             CPU time does not. CPU time: the growth of the children's user and system times \
             (`/proc/PID/stat` cutime and cstime) of sshd's listener (every finished \
             connection: its sshd, the shell, the forced command and what it ran, each reaped \
             by its parent; read once the listener has no children left) and of the harness \
             (the clients, and the `kill(1)` of each client's process group that the harness \
             runs after it, in both variants alike), over the burst, per session.",
            load::SSHD_CONFIG.trim_end().replace('\n', "; "),
            options.load_sessions,
            options.load_rounds
        ),
    ];
    for note in notes {
        report.note(note);
    }
}

#[cfg(test)]
mod tests {
    use super::{
        DEFAULT_LOAD_ROUNDS, DEFAULT_LOAD_SESSIONS, DEFAULT_RUNS, Options, QUICK_E2E_SIZE,
        QUICK_LOAD_ROUNDS, QUICK_RUNS, parse_size,
    };

    fn parse(list: &[&str]) -> Result<Options, crate::error::Error> {
        Options::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options_default_quick_and_explicit() {
        let default = parse(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(default.runs, DEFAULT_RUNS);
        assert!(!default.skip_e2e && !default.skip_peers);
        let quick = parse(&["--quick", "--skip-peers"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((quick.runs, quick.e2e_size), (QUICK_RUNS, QUICK_E2E_SIZE));
        assert!(quick.skip_peers);
        let explicit = parse(&["--runs", "7", "--quick", "--e2e-size=2M", "--skip-e2e"])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((explicit.runs, explicit.e2e_size), (7, 2 << 20));
        assert!(explicit.skip_e2e);
        let load = parse(&["--load-sessions=60", "--load-rounds", "3", "--skip-load"])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((load.load_sessions, load.load_rounds), (60, 3));
        assert!(load.skip_load && !default.skip_load);
        assert_eq!(
            (default.load_sessions, default.load_rounds),
            (DEFAULT_LOAD_SESSIONS, DEFAULT_LOAD_ROUNDS)
        );
        assert_eq!(quick.load_rounds, QUICK_LOAD_ROUNDS);
    }

    #[test]
    fn options_refuse_nonsense() {
        assert!(parse(&["--runs"]).is_err());
        assert!(parse(&["--runs", "0"]).is_err());
        assert!(parse(&["--quick=yes"]).is_err());
        assert!(parse(&["--skip-load=1"]).is_err());
        assert!(parse(&["--load-sessions", "0"]).is_err());
        assert!(parse(&["--fast"]).is_err());
        assert!(parse(&["--e2e-size", "12X"]).is_err());
    }

    #[test]
    fn sizes_are_powers_of_1024() {
        assert_eq!(parse_size("1G").ok(), Some(1 << 30));
        assert_eq!(parse_size("256MiB").ok(), Some(256 << 20));
        assert_eq!(parse_size("1048576").ok(), Some(1 << 20));
        assert_eq!(parse_size("64mb").ok(), Some(64 << 20));
        assert!(parse_size("512K").is_err());
        assert!(parse_size("").is_err());
    }
}
