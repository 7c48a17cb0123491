//! End to end: rsync pulls of a generated tree through a real sshd on
//! loopback, with sshgate, an unconfined pass-through and rrsync as the
//! forced commands, alternating.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::files::{ScratchDir, toml_string, write_private};
use crate::process::quote;
use crate::sshd::Sshd;

use super::fixtures::{KEY, header};
use super::measure::{Stats, wait_with_deadline};

/// Bumped whenever the tree's layout changes, so a cached tree of the old
/// layout is regenerated rather than reused.
const LAYOUT_VERSION: u32 = 1;
/// The share of the tree in large files, in percent.
const LARGE_SHARE_PERCENT: u64 = 60;
/// How many large files.
const LARGE_FILES: u64 = 4;
/// The mean size aimed at for small files, and their most and fewest.
const SMALL_MEAN: u64 = 48 * 1024;
const SMALL_MAX_COUNT: u64 = 8_000;
const SMALL_MIN_COUNT: u64 = 16;
/// Small files per directory.
const FILES_PER_DIR: u64 = 100;
/// The most one pull may take.
const PULL_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Where pulls land when it is a tmpfs with room: the client's disk must
/// not cap the rate (on a test VM it did, at a third of the rate into
/// memory, hiding whatever the server side costs).
const TMPFS: &str = "/dev/shm";

/// The label of the rrsync server, the one allowed to fail.
const RRSYNC: &str = "rrsync";
/// The rule the gate's e2e profile allows pulls with.
const E2E_RULE: &str = "pull-tree";

/// A generated tree of files to pull.
pub struct Tree {
    /// The tree's root.
    pub dir: PathBuf,
    /// Regular files in it.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
}

/// The tree of about `size` bytes in `cache`: reused if a complete one of
/// the same layout is there, else generated (and marked complete last).
pub fn tree(cache: &Path, size: u64) -> Result<Tree, Error> {
    fs::create_dir_all(cache).map_err(Error::io(format!("create {}", cache.display())))?;
    let name = format!("tree-{}", size_label(size));
    let dir = cache.join(&name);
    let marker = cache.join(format!("{name}.complete"));
    let plan = plan(size);
    let files = plan.len() as u64;
    let bytes: u64 = plan.iter().map(|(_, len)| len).sum();
    let expected = format!("layout {LAYOUT_VERSION} files {files} bytes {bytes}\n");
    if fs::read_to_string(&marker).is_ok_and(|text| text == expected)
        && totals(&dir) == (files, bytes)
    {
        println!(
            "e2e tree: reusing {} ({files} files, {})",
            dir.display(),
            mib(bytes)
        );
        return Ok(Tree { dir, files, bytes });
    }
    let _ = fs::remove_file(&marker);
    match fs::remove_dir_all(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(format!("remove {}", dir.display()))(e)),
    }
    println!(
        "e2e tree: generating {} ({files} files, {}) once; later runs reuse it",
        dir.display(),
        mib(bytes)
    );
    for (index, (relative, len)) in plan.iter().enumerate() {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(Error::io(format!("create {}", parent.display())))?;
        }
        write_random(&path, *len, index as u64 + 1)?;
    }
    fs::write(&marker, &expected).map_err(Error::io(format!("write {}", marker.display())))?;
    Ok(Tree { dir, files, bytes })
}

/// The files of a tree of about `size` bytes: a few large ones (60%) and
/// many small ones of varied sizes, a hundred per directory.
fn plan(size: u64) -> Vec<(PathBuf, u64)> {
    let large = size * LARGE_SHARE_PERCENT / 100 / LARGE_FILES;
    let mut files: Vec<(PathBuf, u64)> = (0..LARGE_FILES)
        .map(|i| (PathBuf::from(format!("large/big-{i}.bin")), large))
        .collect();
    let small_share = size - large * LARGE_FILES;
    let count = (small_share / SMALL_MEAN).clamp(SMALL_MIN_COUNT, SMALL_MAX_COUNT);
    let mean = (small_share / count).max(1);
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for i in 0..count {
        let len = 1 + rng.next() % (2 * mean);
        let dir = i / FILES_PER_DIR;
        files.push((PathBuf::from(format!("small/d{dir:03}/f{i:05}.dat")), len));
    }
    files
}

/// Writes `len` pseudo-random (incompressible) bytes.
pub(super) fn write_random(path: &Path, len: u64, seed: u64) -> Result<(), Error> {
    let file = File::create(path).map_err(Error::io(format!("create {}", path.display())))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut rng = XorShift(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1);
    let mut left = len;
    let mut chunk = vec![0u8; 1 << 16];
    while left > 0 {
        for word in chunk.chunks_exact_mut(8) {
            word.copy_from_slice(&rng.next().to_le_bytes());
        }
        let n = left.min(chunk.len() as u64) as usize;
        out.write_all(&chunk[..n])
            .map_err(Error::io(format!("write {}", path.display())))?;
        left -= n as u64;
    }
    out.flush()
        .map_err(Error::io(format!("write {}", path.display())))
}

/// xorshift64: fast, deterministic, good enough for filler bytes.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// Regular files under `dir` and their total size; (0, 0) if it is absent.
pub(super) fn totals(dir: &Path) -> (u64, u64) {
    let Ok(entries) = fs::read_dir(dir) else {
        return (0, 0);
    };
    entries
        .flatten()
        .fold((0, 0), |(files, bytes), entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => {
                let (f, b) = totals(&entry.path());
                (files + f, bytes + b)
            }
            Ok(kind) if kind.is_file() => {
                let len = entry.metadata().map_or(0, |m| m.len());
                (files + 1, bytes + len)
            }
            _ => (files, bytes),
        })
}

/// One way of serving the pull.
struct Server {
    label: String,
    /// The `command=` of its key.
    forced_command: String,
    /// The path the client asks for.
    remote_path: String,
}

/// Throughput (MB/s, 10^6 bytes) of each forced command, and the median
/// of its per-round ratios to the pass-through.
pub struct Results {
    /// Where the pulls landed, for the table.
    pub landed: String,
    pub passthrough: Stats,
    pub gate: Stats,
    pub gate_paired: f64,
    /// Or why rrsync was not measured.
    pub rrsync: Result<(Stats, f64), String>,
}

/// Starts sshd with one key per server and pulls the tree `runs` times
/// through each, alternating, into a fresh destination each time.
pub fn run(
    scratch: &Path,
    gate: &Path,
    tree: &Tree,
    rrsync: Option<&Path>,
    runs: usize,
) -> Result<Results, Error> {
    let dir = scratch.join("e2e");
    fs::create_dir(&dir).map_err(Error::io(format!("create {}", dir.display())))?;
    let audit_log = dir.join("audit.log");
    let policy = dir.join("e2e.toml");
    let tree_path = tree.dir.display().to_string();
    write_private(
        &policy,
        &format!(
            "{}\n[[allow]]\nname = \"{E2E_RULE}\"\nrsync = {{ send = [{}] }}\n",
            header(
                "sshgate bench: end-to-end pull",
                &[super::measure::CLIENT_ADDRESS.to_string()],
                &audit_log
            ),
            toml_string(&tree_path)
        ),
    )?;

    let mut servers = vec![
        Server {
            label: "sshgate".into(),
            forced_command: format!(
                "{} --policy {} --key {KEY}",
                quote(&gate.display().to_string()),
                quote(&policy.display().to_string())
            ),
            remote_path: format!("{tree_path}/"),
        },
        Server {
            label: "pass-through".into(),
            forced_command: "exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"".into(),
            remote_path: format!("{tree_path}/"),
        },
    ];
    if let Some(rrsync) = rrsync {
        let parent = tree.dir.parent().unwrap_or(&tree.dir);
        let name = tree.dir.file_name().map_or_else(
            || tree_path.clone(),
            |name| name.to_string_lossy().into_owned(),
        );
        servers.push(Server {
            label: RRSYNC.into(),
            forced_command: format!(
                "{} -ro {}",
                quote(&rrsync.display().to_string()),
                quote(&parent.display().to_string())
            ),
            remote_path: format!("/{name}/"),
        });
    }

    let sshd_dir = dir.join("sshd");
    fs::create_dir(&sshd_dir).map_err(Error::io(format!("create {}", sshd_dir.display())))?;
    let forced: Vec<&str> = servers.iter().map(|s| s.forced_command.as_str()).collect();
    let sshd = Sshd::start_with_keys(&sshd_dir, &forced)?;
    for (server, key) in servers.iter().zip(sshd.keys()) {
        println!(
            "  {:<13} command=\"{}\"",
            server.label, server.forced_command
        );
        println!(
            "  {:<13} $ rsync -a -e \"ssh -i {} ...\" {}:{} DEST/",
            "",
            key.display(),
            sshd.host(),
            server.remote_path
        );
    }

    let (_tmpfs_guard, dest, landed) = match tmpfs_with_room(tree.bytes) {
        Some(base) => {
            let guard = ScratchDir::new_in(&base, "sshgate-bench-dest")?;
            let dest = guard.path().join("dest");
            (
                Some(guard),
                dest,
                format!("into tmpfs ({})", base.display()),
            )
        }
        None => (
            None,
            dir.join("dest"),
            "onto disk (no tmpfs with room)".to_string(),
        ),
    };
    println!("  pulls land {landed}");
    let stderr_log = dir.join("rsync.stderr");
    let pull = |server: &Server, key: &Path| -> Result<f64, Error> {
        let seconds = pull_once(&sshd, server, key, &dest, &stderr_log, tree)?;
        Ok(tree.bytes as f64 / 1e6 / seconds)
    };

    // One unrecorded pull each: warms the page cache and checks each path.
    // A failing rrsync is left out, with the reason; the others must work.
    let mut rrsync_failure = None;
    let mut clients: Vec<(&Server, &PathBuf)> = Vec::new();
    for (server, key) in servers.iter().zip(sshd.keys()) {
        match pull(server, key) {
            Ok(rate) => {
                println!("  warm-up  {:<13} {rate:.0} MB/s", server.label);
                clients.push((server, key));
            }
            Err(e) if server.label == RRSYNC => {
                println!("  warm-up  {RRSYNC}: failed, left out: {e}");
                rrsync_failure = Some(e.to_string());
            }
            Err(e) => return Err(e),
        }
    }
    super::fixtures::check_last_record(&audit_log, E2E_RULE, "the e2e pull through sshgate")?;

    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); clients.len()];
    for round in 0..runs {
        for offset in 0..clients.len() {
            let index = (round + offset) % clients.len();
            let (server, key) = clients[index];
            let rate = pull(server, key)?;
            println!("  run {:<4} {:<13} {rate:.0} MB/s", round + 1, server.label);
            samples[index].push(rate);
        }
    }
    // Each server's rate over the pass-through's in the same round, whose
    // pulls ran back to back: slow drift in the machine cancels out.
    let paired = |index: usize| -> Option<f64> {
        let (this, pass) = (samples.get(index)?, samples.get(1)?);
        let ratios = this.iter().zip(pass).map(|(a, b)| a / b).collect();
        Some(Stats::from_samples(String::new(), ratios).median())
    };
    let (gate_paired, rrsync_paired) = (paired(0), paired(2));
    let mut stats = clients
        .iter()
        .zip(samples.iter().cloned())
        .map(|((server, _), samples)| Stats::from_samples(server.label.clone(), samples));
    let (Some(gate), Some(passthrough), Some(gate_paired)) =
        (stats.next(), stats.next(), gate_paired)
    else {
        return Err(Error::Setup("the e2e pulls lost their results".into()));
    };
    let rrsync = match (stats.next().zip(rrsync_paired), rrsync_failure) {
        (Some(measured), _) => Ok(measured),
        (None, Some(failure)) => Err(failure),
        (None, None) => Err("not found".to_string()),
    };
    Ok(Results {
        landed,
        passthrough,
        gate,
        gate_paired,
        rrsync,
    })
}

/// One timed pull into an empty `dest`, checked file by file count and
/// byte total, then removed. Returns the seconds it took.
fn pull_once(
    sshd: &Sshd,
    server: &Server,
    key: &Path,
    dest: &Path,
    stderr_log: &Path,
    tree: &Tree,
) -> Result<f64, Error> {
    remove_if_present(dest)?;
    fs::create_dir(dest).map_err(Error::io(format!("create {}", dest.display())))?;
    let source = format!("{}:{}", sshd.host(), server.remote_path);
    let shown = format!("rsync -a -e \"$SSH\" {source} {}/", dest.display());
    let stderr =
        File::create(stderr_log).map_err(Error::io(format!("create {}", stderr_log.display())))?;
    let mut cmd = Command::new("rsync");
    cmd.arg("-a")
        .arg("-e")
        .arg(sshd.ssh_command_line_with_key(key))
        .arg(&source)
        .arg(format!("{}/", dest.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(Error::io(format!("run `{shown}`")))?;
    let (status, elapsed) = wait_with_deadline(&mut child, start, PULL_TIMEOUT, &shown)?;
    if !status.success() {
        return Err(Error::Setup(format!(
            "the e2e pull through {} failed ({status}): `{shown}`\n--- rsync stderr ---\n{}\n\
             --- sshd log ---\n{}",
            server.label,
            fs::read_to_string(stderr_log).unwrap_or_default().trim(),
            sshd.log()
        )));
    }
    let got = totals(dest);
    if got != (tree.files, tree.bytes) {
        return Err(Error::Setup(format!(
            "the e2e pull through {} copied {} files, {} bytes; the tree has {} files, {} bytes",
            server.label, got.0, got.1, tree.files, tree.bytes
        )));
    }
    remove_if_present(dest)?;
    Ok(elapsed.as_secs_f64())
}

/// [`TMPFS`], if it is a tmpfs with room for the tree and a quarter more.
pub(super) fn tmpfs_with_room(bytes: u64) -> Option<PathBuf> {
    let mounts = fs::read_to_string("/proc/mounts").ok()?;
    let is_tmpfs = mounts.lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.get(1) == Some(&TMPFS) && fields.get(2) == Some(&"tmpfs")
    });
    if !is_tmpfs {
        return None;
    }
    // POSIX df: "Filesystem 1-blocks Used Available Capacity Mounted on".
    let output = Command::new("df")
        .args(["-P", "-B1", TMPFS])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let available: u64 = text
        .lines()
        .nth(1)?
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()?;
    (available >= bytes + bytes / 4).then(|| PathBuf::from(TMPFS))
}

pub(super) fn remove_if_present(dir: &Path) -> Result<(), Error> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(format!("remove {}", dir.display()))(e)),
    }
}

/// `1024MiB`, `64MiB`, `1536KiB`: for the tree's directory name.
fn size_label(size: u64) -> String {
    if size.is_multiple_of(1 << 20) {
        format!("{}MiB", size >> 20)
    } else {
        format!("{}KiB", size.div_ceil(1024))
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
}

#[cfg(test)]
mod tests {
    use super::{LARGE_FILES, plan, size_label};

    #[test]
    fn a_gibibyte_plan_mixes_large_and_small_files() {
        let plan = plan(1 << 30);
        let total: u64 = plan.iter().map(|(_, len)| len).sum();
        let large = plan.iter().filter(|(_, len)| *len >= 100 << 20).count() as u64;
        assert_eq!(large, LARGE_FILES);
        assert!(plan.len() > 1000);
        // Within 2% of the size asked for.
        assert!((total as f64 / f64::from(1u32 << 30) - 1.0).abs() < 0.02);
    }

    #[test]
    fn sizes_label_the_cache() {
        assert_eq!(size_label(1 << 30), "1024MiB");
        assert_eq!(size_label(1536 * 1024 + 1), "1537KiB");
    }
}
