//! The Debian package, assembled from Cargo.toml's `[package.metadata.deb]`
//! and built with `dpkg-deb`.
//!
//! The metadata is cargo-deb's format, so `cargo deb` reads the same table;
//! this builder understands the subset sshgate uses (listed in
//! [`Metadata::read`]) and refuses anything else rather than ignore it.
//! It exists because cargo-deb cannot ship an empty directory
//! (`/etc/sshgate`), and because building cargo-deb itself takes minutes
//! while dpkg-deb and dpkg-shlibdeps are on every Debian machine. Like
//! cargo-deb, it gzips man pages and resolves `$auto` in `depends` with
//! dpkg-shlibdeps.

use std::fs::{self, DirBuilder};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{Generated, installed_paths};
use crate::error::Error;
use crate::files::ScratchDir;
use crate::process::{run_captured, run_inherited};
use crate::sshgate::target_dir;

/// How long one dpkg tool may take; they take well under a second.
const TOOL_TIMEOUT: Duration = Duration::from_secs(120);

/// One file of the package: cargo-deb's `[source, dest, mode]`.
#[derive(Debug, PartialEq)]
struct Asset {
    /// Relative to the workspace root; `target/` means cargo's target
    /// directory, wherever `CARGO_TARGET_DIR` puts it (as for cargo-deb).
    /// The file name may hold one `*`.
    source: String,
    /// Relative to `/`; ending in `/`, a directory the file goes into.
    dest: String,
    /// Octal permissions.
    mode: u32,
}

/// What `[package]` and `[package.metadata.deb]` say about the package.
#[derive(Debug)]
struct Metadata {
    name: String,
    version: String,
    description: String,
    extended_description: String,
    maintainer: String,
    section: String,
    priority: String,
    depends: String,
    assets: Vec<Asset>,
    /// `xtask-empty-directories`: `[dest, mode]` pairs. cargo-deb has no
    /// way to ship an empty directory and ignores this key.
    directories: Vec<(String, u32)>,
}

impl Metadata {
    /// Reads the metadata from the manifest text. Understood:
    /// `[package]` name, version, description; `[package.metadata.deb]`
    /// maintainer, section, priority, depends, revision,
    /// extended-description, assets (arrays only) and
    /// xtask-empty-directories. Any other key in the deb table is an error.
    fn read(manifest: &str) -> Result<Metadata, Error> {
        let bad = |what: String| Error::Setup(format!("Cargo.toml: {what}"));
        let manifest: toml::Table = toml::from_str(manifest).map_err(|e| bad(e.to_string()))?;
        let package = manifest
            .get("package")
            .and_then(toml::Value::as_table)
            .ok_or_else(|| bad("no [package]".into()))?;
        let deb = package
            .get("metadata")
            .and_then(|m| m.get("deb"))
            .and_then(toml::Value::as_table)
            .ok_or_else(|| bad("no [package.metadata.deb]".into()))?;
        const KNOWN: &[&str] = &[
            "maintainer",
            "section",
            "priority",
            "depends",
            "revision",
            "extended-description",
            "assets",
            "xtask-empty-directories",
        ];
        if let Some(key) = deb.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(bad(format!(
                "[package.metadata.deb] key `{key}` is not understood by `cargo xtask dist`"
            )));
        }
        let string = |table: &toml::Table, key: &str| -> Result<String, Error> {
            table
                .get(key)
                .and_then(toml::Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| bad(format!("`{key}` must be a string")))
        };
        let mode = |text: &str| {
            u32::from_str_radix(text, 8).map_err(|_| bad(format!("mode {text:?} is not octal")))
        };
        let rows = |key: &str, width: usize| -> Result<Vec<Vec<String>>, Error> {
            let Some(value) = deb.get(key) else {
                return Ok(Vec::new());
            };
            let shape = || bad(format!("`{key}` must be an array of {width}-string arrays"));
            value
                .as_array()
                .ok_or_else(shape)?
                .iter()
                .map(|row| {
                    let row: Option<Vec<String>> = row.as_array().and_then(|cells| {
                        cells
                            .iter()
                            .map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    });
                    row.filter(|r| r.len() == width).ok_or_else(shape)
                })
                .collect()
        };
        let assets = rows("assets", 3)?
            .into_iter()
            .map(|row| {
                Ok(Asset {
                    source: row[0].clone(),
                    dest: row[1].clone(),
                    mode: mode(&row[2])?,
                })
            })
            .collect::<Result<_, Error>>()?;
        let directories = rows("xtask-empty-directories", 2)?
            .into_iter()
            .map(|row| Ok((row[0].clone(), mode(&row[1])?)))
            .collect::<Result<_, Error>>()?;
        let revision = deb
            .get("revision")
            .and_then(toml::Value::as_str)
            .unwrap_or("1");
        Ok(Metadata {
            name: string(package, "name")?,
            version: format!("{}-{revision}", string(package, "version")?),
            description: string(package, "description")?,
            extended_description: string(deb, "extended-description").unwrap_or_default(),
            maintainer: string(deb, "maintainer")?,
            section: string(deb, "section")?,
            priority: string(deb, "priority")?,
            depends: string(deb, "depends").unwrap_or_else(|_| "$auto".into()),
            assets,
            directories,
        })
    }

    /// The control file, with `depends` already resolved.
    fn control(&self, architecture: &str, depends: &str, installed_kib: u64) -> String {
        let mut control = format!(
            "Package: {}\nVersion: {}\nArchitecture: {architecture}\nMaintainer: {}\n\
             Installed-Size: {installed_kib}\nDepends: {depends}\nSection: {}\nPriority: {}\n\
             Description: {}\n",
            self.name, self.version, self.maintainer, self.section, self.priority, self.description
        );
        // Extended description lines start with a space; an empty line is
        // " ." (deb-control(5)).
        for line in self.extended_description.trim().lines() {
            if line.trim().is_empty() {
                control.push_str(" .\n");
            } else {
                control.push_str(&format!(" {}\n", line.trim()));
            }
        }
        control
    }
}

/// The files an asset's source names: itself, or those its `*` matches,
/// sorted. Matching nothing is an error: a package quietly missing its man
/// pages is worse than no package.
fn resolve(root: &Path, target: &Path, source: &str) -> Result<Vec<PathBuf>, Error> {
    let path = match source.strip_prefix("target/") {
        Some(rest) => target.join(rest),
        None => root.join(source),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let found = match name.split_once('*') {
        None => vec![path.clone()]
            .into_iter()
            .filter(|p| p.is_file())
            .collect(),
        Some((prefix, suffix)) => {
            let dir = path.parent().unwrap_or(root);
            let mut found: Vec<PathBuf> = fs::read_dir(dir)
                .map_err(Error::io(format!("list {}", dir.display())))?
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|p| {
                    p.is_file()
                        && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                            n.len() >= prefix.len() + suffix.len()
                                && n.starts_with(prefix)
                                && n.ends_with(suffix)
                        })
                })
                .collect();
            found.sort();
            found
        }
    };
    if found.is_empty() {
        return Err(Error::Setup(format!(
            "package asset {source:?} matches no file ({})",
            path.display()
        )));
    }
    Ok(found)
}

/// Creates `dir` and its missing parents at mode 0755, whatever the umask.
fn make_dirs(stage: &Path, dir: &Path) -> Result<(), Error> {
    let mut path = stage.to_path_buf();
    for part in dir.strip_prefix(stage).unwrap_or(dir).components() {
        path.push(part);
        if !path.is_dir() {
            DirBuilder::new()
                .mode(0o755)
                .create(&path)
                .map_err(Error::io(format!("create {}", path.display())))?;
        }
        set_mode(&path, 0o755)?;
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> Result<(), Error> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(Error::io(format!("chmod {}", path.display())))
}

/// Runs a command that prints one answer, and returns it trimmed.
fn output_of(command: &mut Command, shown: &str) -> Result<String, Error> {
    let output = run_captured(command, shown, TOOL_TIMEOUT)?;
    if !output.status.success() {
        return Err(Error::Setup(format!(
            "`{shown}` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `$auto`: the shared-library dependencies of `binaries`, as dpkg-shlibdeps
/// computes them (it wants a `debian/control`, so it runs in `scratch`).
fn shlib_depends(scratch: &Path, binaries: &[PathBuf]) -> Result<String, Error> {
    let debian = scratch.join("debian");
    fs::create_dir_all(&debian).map_err(Error::io(format!("create {}", debian.display())))?;
    fs::write(
        debian.join("control"),
        "Source: sshgate\n\nPackage: sshgate\nArchitecture: any\n",
    )
    .map_err(Error::io("write debian/control"))?;
    let shown = "dpkg-shlibdeps -O (Debian: dpkg-dev)";
    let answer = output_of(
        Command::new("dpkg-shlibdeps")
            .arg("-O")
            .args(binaries)
            .current_dir(scratch),
        shown,
    )?;
    // "shlibs:Depends=libc6 (>= 2.34), libgcc-s1 (>= 4.2)"
    answer
        .lines()
        .find_map(|line| line.strip_prefix("shlibs:Depends="))
        .map(str::to_owned)
        .ok_or_else(|| Error::Setup(format!("`{shown}` printed no shlibs:Depends: {answer}")))
}

/// Builds the package into `dist` and returns its path. sshgate must have
/// been built with `--release` and the man pages and completions generated
/// into `dist`.
pub fn build(root: &Path, dist: &Path) -> Result<PathBuf, Error> {
    let manifest_path = root.join("Cargo.toml");
    let manifest = fs::read_to_string(&manifest_path)
        .map_err(Error::io(format!("read {}", manifest_path.display())))?;
    let metadata = Metadata::read(&manifest)?;
    let target = target_dir(root);
    let scratch = ScratchDir::new("sshgate-deb")?;
    let stage = scratch.path().join("root");
    make_dirs(scratch.path(), &stage)?;

    let mut binaries = Vec::new();
    let mut installed_bytes = 0;
    for asset in &metadata.assets {
        let sources = resolve(root, &target, &asset.source)?;
        if sources.len() > 1 && !asset.dest.ends_with('/') {
            return Err(Error::Setup(format!(
                "package asset {:?} matches several files but {:?} is not a directory",
                asset.source, asset.dest
            )));
        }
        for source in sources {
            let mut dest = stage.join(&asset.dest);
            if asset.dest.ends_with('/') {
                dest.push(source.file_name().unwrap_or_default());
            }
            let parent = dest.parent().unwrap_or(&stage).to_path_buf();
            make_dirs(&stage, &parent)?;
            // Man pages are installed gzipped (Debian policy 12.1), as
            // cargo-deb does; -n keeps the name and time out of the
            // archive, so the same page gives the same bytes.
            if asset.dest.starts_with("usr/share/man/") && !dest.to_string_lossy().ends_with(".gz")
            {
                let mut gz = dest.into_os_string();
                gz.push(".gz");
                dest = PathBuf::from(gz);
                let shown = format!("gzip -9n {}", source.display());
                let output = run_captured(
                    Command::new("gzip").args(["-9n", "-c"]).arg(&source),
                    &shown,
                    TOOL_TIMEOUT,
                )?;
                if !output.status.success() {
                    return Err(Error::CommandFailed {
                        command: shown,
                        status: output.status,
                    });
                }
                fs::write(&dest, &output.stdout)
                    .map_err(Error::io(format!("write {}", dest.display())))?;
            } else {
                fs::copy(&source, &dest).map_err(Error::io(format!(
                    "copy {} to {}",
                    source.display(),
                    dest.display()
                )))?;
            }
            if asset.source.starts_with("target/release/") {
                // As cargo-deb does: symbols are a third of the binary and
                // no use without the build tree.
                let shown = format!("strip --strip-unneeded {}", dest.display());
                let output = run_captured(
                    Command::new("strip").arg("--strip-unneeded").arg(&dest),
                    &shown,
                    TOOL_TIMEOUT,
                )?;
                if !output.status.success() {
                    return Err(Error::CommandFailed {
                        command: shown,
                        status: output.status,
                    });
                }
                binaries.push(dest.clone());
            }
            set_mode(&dest, asset.mode)?;
            installed_bytes += fs::metadata(&dest).map_or(0, |m| m.len()).div_ceil(1024) * 1024;
        }
    }
    for (dir, mode) in &metadata.directories {
        let path = stage.join(dir);
        make_dirs(&stage, &path)?;
        set_mode(&path, *mode)?;
    }

    let depends = if metadata.depends.contains("$auto") {
        metadata
            .depends
            .replace("$auto", &shlib_depends(scratch.path(), &binaries)?)
    } else {
        metadata.depends.clone()
    };
    let architecture = output_of(
        Command::new("dpkg").arg("--print-architecture"),
        "dpkg --print-architecture",
    )?;
    let control_dir = stage.join("DEBIAN");
    make_dirs(&stage, &control_dir)?;
    let control = metadata.control(&architecture, &depends, installed_bytes.div_ceil(1024));
    fs::write(control_dir.join("control"), control).map_err(Error::io("write DEBIAN/control"))?;
    let md5sums = output_of(
        Command::new("sh")
            .args(["-c", "find . -path ./DEBIAN -prune -o -type f -printf '%P\\0' | sort -z | xargs -0r md5sum"])
            .current_dir(&stage),
        "md5sum of every file",
    )?;
    fs::write(control_dir.join("md5sums"), format!("{md5sums}\n"))
        .map_err(Error::io("write DEBIAN/md5sums"))?;

    let package = dist.join(format!(
        "{}_{}_{architecture}.deb",
        metadata.name, metadata.version
    ));
    let shown = format!(
        "dpkg-deb --root-owner-group --build {} {}",
        stage.display(),
        package.display()
    );
    println!("$ {shown}");
    run_inherited(
        Command::new("dpkg-deb")
            .args(["--root-owner-group", "--build"])
            .arg(&stage)
            .arg(&package),
        &shown,
    )?;
    Ok(package)
}

/// Checks the built package: exactly the expected files (the binary, one
/// gzipped page per generated man page, the three completions, the
/// shipped policies) and the empty `/etc/sshgate`, all owned by root with
/// the right modes; Depends naming libc6; and the packaged binary running.
pub fn check(package: &Path, pages: &[Generated]) -> Result<(), Error> {
    let root = crate::workspace_root();
    let mut policies: Vec<PathBuf> = fs::read_dir(root.join("policies"))
        .map_err(Error::io("list policies/"))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    policies.sort();
    let expected_files = installed_paths(pages, &policies);

    let listing = output_of(
        Command::new("dpkg-deb").arg("-c").arg(package),
        &format!("dpkg-deb -c {}", package.display()),
    )?;
    let mut failures = Vec::new();
    let mut files = Vec::new();
    let mut etc_sshgate = None;
    for line in listing.lines() {
        // "-rw-r--r-- root/root  1234 2026-11-26 18:00 ./usr/bin/sshgate"
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(mode), Some(owner), Some(path)) = (fields.first(), fields.get(1), fields.last())
        else {
            failures.push(format!("unreadable listing line {line:?}"));
            continue;
        };
        let path = path.trim_start_matches("./");
        if *owner != "root/root" {
            failures.push(format!("{path} is owned by {owner}, not root/root"));
        }
        if path.starts_with("etc/sshgate/") && path != "etc/sshgate/" {
            failures.push(format!("{path}: /etc/sshgate must be empty"));
        }
        if path == "etc/sshgate/" {
            etc_sshgate = Some(mode.to_string());
        }
        if mode.starts_with('d') {
            if *mode != "drwxr-xr-x" {
                failures.push(format!("directory {path} has mode {mode}, not drwxr-xr-x"));
            }
            continue;
        }
        let want = if path == "usr/bin/sshgate" {
            "-rwxr-xr-x"
        } else {
            "-rw-r--r--"
        };
        if mode != &want {
            failures.push(format!("{path} has mode {mode}, not {want}"));
        }
        files.push(path.to_owned());
    }
    files.sort();
    if etc_sshgate.is_none() {
        failures.push("no /etc/sshgate directory".into());
    }
    for missing in expected_files.iter().filter(|f| !files.contains(f)) {
        failures.push(format!("missing {missing}"));
    }
    for extra in files.iter().filter(|f| !expected_files.contains(f)) {
        failures.push(format!("unexpected {extra}"));
    }

    let depends = output_of(
        Command::new("dpkg-deb")
            .arg("-f")
            .arg(package)
            .arg("Depends"),
        "dpkg-deb -f Depends",
    )?;
    if !depends.contains("libc6") {
        failures.push(format!("Depends {depends:?} does not name libc6"));
    }

    // The packaged binary runs, and is this version.
    let scratch = ScratchDir::new("sshgate-deb-check")?;
    run_captured(
        Command::new("dpkg-deb")
            .arg("-x")
            .arg(package)
            .arg(scratch.path()),
        "dpkg-deb -x",
        TOOL_TIMEOUT,
    )?;
    // A missing file is already a failure above; these look inside.
    let binary = scratch.path().join("usr/bin/sshgate");
    if binary.is_file() {
        let version = output_of(Command::new(&binary).arg("--version"), "sshgate --version")?;
        let command = ::sshgate::cli::command();
        let want = format!("sshgate {}", command.get_version().unwrap_or_default());
        if version != want {
            failures.push(format!(
                "packaged `sshgate --version` printed {version:?}, not {want:?}"
            ));
        }
    }
    let page = scratch
        .path()
        .join("usr/share/man/man5/sshgate-policy.5.gz");
    if page.is_file() {
        let text = output_of(Command::new("zcat").arg(&page), "zcat sshgate-policy.5.gz")?;
        if !text.contains("SSHGATE\\-POLICY") {
            failures.push("sshgate-policy.5.gz is not the policy page".into());
        }
    }

    if failures.is_empty() {
        Ok(())
    } else {
        Err(Error::CheckFailed {
            what: package.display().to_string(),
            failures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
[package]
name = "x"
version = "1.2.3"
description = "short"

[package.metadata.deb]
maintainer = "M <m@example.invalid>"
section = "admin"
priority = "optional"
extended-description = """one
two

three"""
assets = [["target/release/x", "usr/bin/", "755"]]
xtask-empty-directories = [["etc/x/", "755"]]
"#;

    #[test]
    fn reads_the_metadata_and_writes_a_control_file() {
        let metadata = Metadata::read(MANIFEST).expect("valid");
        assert_eq!(metadata.version, "1.2.3-1");
        assert_eq!(metadata.depends, "$auto");
        assert_eq!(
            metadata.assets,
            [Asset {
                source: "target/release/x".into(),
                dest: "usr/bin/".into(),
                mode: 0o755
            }]
        );
        assert_eq!(metadata.directories, [("etc/x/".to_owned(), 0o755)]);
        let control = metadata.control("amd64", "libc6", 12);
        assert!(control.starts_with("Package: x\nVersion: 1.2.3-1\nArchitecture: amd64\n"));
        assert!(
            control.ends_with("Description: short\n one\n two\n .\n three\n"),
            "{control}"
        );
    }

    #[test]
    fn refuses_metadata_it_does_not_understand() {
        let unknown = MANIFEST.replace("section =", "conf-files = []\nsection =");
        assert!(Metadata::read(&unknown).is_err());
        let bad_mode = MANIFEST.replace("\"755\"]]\nxtask", "\"rwx\"]]\nxtask");
        assert!(Metadata::read(&bad_mode).is_err());
        let table_asset = MANIFEST.replace(
            r#"[["target/release/x", "usr/bin/", "755"]]"#,
            r#"[{ source = "a", dest = "b" }]"#,
        );
        assert!(Metadata::read(&table_asset).is_err());
    }

    #[test]
    fn resolves_targets_and_wildcards() {
        let root = crate::workspace_root();
        let policies = resolve(&root, Path::new("/nonexistent"), "policies/*.toml").expect("found");
        assert!(
            policies.len() > 1
                && policies
                    .iter()
                    .all(|p| p.extension().is_some_and(|e| e == "toml"))
        );
        assert!(resolve(&root, Path::new("/nonexistent"), "target/release/x").is_err());
        assert!(resolve(&root, &root, "target/README.md").is_ok());
    }
}
