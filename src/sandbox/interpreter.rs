//! What else the kernel opens for execution when a program starts.
//!
//! Landlock checks the Execute right on every file `execve(2)` opens with
//! `open_exec()`: the program itself, the ELF interpreter named by its
//! `PT_INTERP` program header (normally the dynamic loader), and for a `#!`
//! script the interpreter on its first line, whose own ELF interpreter is
//! opened in turn. A plan that grants Execute on the program alone therefore
//! cannot start a dynamic binary or a script; this module finds the rest.
//!
//! The parsing mirrors what the kernel does (`fs/binfmt_elf.c`,
//! `fs/binfmt_script.c`) closely enough to name the same files, and reads a
//! bounded number of bytes from each file so a hostile or corrupt file cannot
//! make the gate allocate without limit.

use std::fmt::{self, Display, Formatter};
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::SandboxError;

/// How many `#!` scripts may be chained (a script whose interpreter is a
/// script, ...) before the lookup gives up.
///
/// The kernel allows a handful of binfmt rewrites per `execve(2)` and then
/// fails with `ELOOP`; four is its historical `BINPRM_MAX_RECURSION`. The
/// limit also stops a script that names itself as its interpreter.
pub const MAX_SCRIPT_DEPTH: usize = 4;

/// Size of the buffer the kernel reads to recognise a `#!` line
/// (`BINPRM_BUF_SIZE`); an interpreter name must end within it.
const SHEBANG_BUFFER: usize = 256;

/// Largest program header table the kernel accepts (`load_elf_phdrs`).
const MAX_PROGRAM_HEADERS_SIZE: usize = 64 * 1024;

/// Largest `PT_INTERP` segment the kernel accepts: a path of at most
/// `PATH_MAX` bytes including its terminating NUL.
const MAX_INTERP_SIZE: u64 = 4096;

/// `PT_INTERP`, the program header naming the ELF interpreter.
const PT_INTERP: u32 = 3;

/// `ET_EXEC` and `ET_DYN`, the only ELF types `execve(2)` runs.
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;

/// Why the interpreters of a program could not be determined.
#[derive(Debug)]
pub enum InterpreterError {
    /// The file could not be opened.
    Open {
        /// The file that was opened.
        path: PathBuf,
        /// What `open(2)` reported.
        source: io::Error,
    },
    /// The path names something other than a regular file (a directory, a
    /// FIFO, a device), which `execve(2)` would refuse.
    NotRegularFile {
        /// The offending path.
        path: PathBuf,
    },
    /// Reading the file failed for a reason other than its end.
    Read {
        /// The file that was read.
        path: PathBuf,
        /// What `pread(2)` reported.
        source: io::Error,
    },
    /// The file starts with the ELF magic but its headers are inconsistent
    /// or truncated.
    MalformedElf {
        /// The offending file.
        path: PathBuf,
        /// What is wrong, for the log.
        reason: &'static str,
    },
    /// The `#!` line has no usable interpreter name.
    MalformedScript {
        /// The offending script.
        path: PathBuf,
        /// What is wrong, for the log.
        reason: &'static str,
    },
    /// A `#!` line or `PT_INTERP` names a relative path. The kernel would
    /// resolve it against the working directory at exec time, so no grant
    /// made now could be trusted to cover it.
    RelativeInterpreter {
        /// The file naming the interpreter.
        path: PathBuf,
        /// The relative interpreter it names.
        interpreter: PathBuf,
    },
    /// More than `MAX_SCRIPT_DEPTH` `#!` scripts are chained.
    TooDeep {
        /// The program whose lookup was abandoned.
        program: PathBuf,
    },
    /// The file is neither an ELF binary nor a `#!` script, so `execve(2)`
    /// would fail (or hand it to a `binfmt_misc` handler the plan does not
    /// know about).
    UnknownFormat {
        /// The offending file.
        path: PathBuf,
    },
}

impl Display for InterpreterError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Open { path, source } => write!(f, "cannot open {}: {source}", path.display()),
            Self::NotRegularFile { path } => {
                write!(f, "{} is not a regular file", path.display())
            }
            Self::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::MalformedElf { path, reason } => {
                write!(f, "{} is a malformed ELF file: {reason}", path.display())
            }
            Self::MalformedScript { path, reason } => {
                write!(f, "{} has a malformed #! line: {reason}", path.display())
            }
            Self::RelativeInterpreter { path, interpreter } => write!(
                f,
                "{} names the relative interpreter {}; only absolute interpreters can be granted",
                path.display(),
                interpreter.display()
            ),
            Self::TooDeep { program } => write!(
                f,
                "{} chains more than {MAX_SCRIPT_DEPTH} #! interpreters",
                program.display()
            ),
            Self::UnknownFormat { path } => write!(
                f,
                "{} is neither an ELF binary nor a #! script",
                path.display()
            ),
        }
    }
}

impl std::error::Error for InterpreterError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Open { source, .. } | Self::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Returns every file, besides `program` itself, that the kernel opens for
/// execution to start `program`, in the order it opens them.
///
/// - An ELF binary yields its `PT_INTERP` path (a static binary: nothing).
/// - A `#!` script yields its interpreter, then that interpreter's own
///   interpreters, up to [`MAX_SCRIPT_DEPTH`] scripts deep.
///
/// Paths are returned as written in the files, without resolving symbolic
/// links: Landlock rules are built from file descriptors, which follow them.
pub fn interpreters(program: &Path) -> Result<Vec<PathBuf>, SandboxError> {
    let mut found = Vec::new();
    let mut current = program.to_path_buf();
    let mut scripts = 0;
    loop {
        match executable_format(&current)? {
            Format::Elf { interpreter } => {
                // The kernel maps the ELF interpreter directly and ignores any
                // PT_INTERP it may have, so the chain ends here.
                found.extend(interpreter);
                return Ok(found);
            }
            Format::Script { interpreter } => {
                scripts += 1;
                if scripts > MAX_SCRIPT_DEPTH {
                    return Err(InterpreterError::TooDeep {
                        program: program.to_path_buf(),
                    }
                    .into());
                }
                found.push(interpreter.clone());
                current = interpreter;
            }
        }
    }
}

/// The two executable formats the gate understands.
enum Format {
    /// An ELF binary, with the interpreter named by its `PT_INTERP`, if any.
    Elf { interpreter: Option<PathBuf> },
    /// A `#!` script and its (absolute) interpreter.
    Script { interpreter: PathBuf },
}

/// Opens `path` and tells which format it is, reading only what the kernel
/// would read to decide.
fn executable_format(path: &Path) -> Result<Format, InterpreterError> {
    let file = open_regular_file(path)?;
    let mut head = [0u8; SHEBANG_BUFFER];
    let len = read_prefix(&file, &mut head).map_err(|source| InterpreterError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let head = &head[..len];
    if head.starts_with(b"\x7fELF") {
        elf_interpreter(path, &file).map(|interpreter| Format::Elf { interpreter })
    } else if head.starts_with(b"#!") {
        script_interpreter(path, head).map(|interpreter| Format::Script { interpreter })
    } else {
        Err(InterpreterError::UnknownFormat {
            path: path.to_path_buf(),
        })
    }
}

/// Opens `path` for reading and checks it is a regular file.
///
/// `O_NONBLOCK` keeps a FIFO planted at the path from blocking the gate in
/// `open(2)`; `O_NOCTTY` keeps a terminal from becoming the controlling one.
fn open_regular_file(path: &Path) -> Result<File, InterpreterError> {
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|source| InterpreterError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    let file_type = file
        .metadata()
        .map_err(|source| InterpreterError::Read {
            path: path.to_path_buf(),
            source,
        })?
        .file_type();
    if !file_type.is_file() {
        return Err(InterpreterError::NotRegularFile {
            path: path.to_path_buf(),
        });
    }
    Ok(file)
}

/// Fills as much of `buf` as the file allows; returns how many bytes were read.
fn read_prefix(mut file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Extracts the interpreter from the first line of a `#!` script, following
/// `fs/binfmt_script.c`: the name starts after `#!` and any spaces or tabs,
/// and ends at a space, tab, NUL or the end of the line.
fn script_interpreter(path: &Path, head: &[u8]) -> Result<PathBuf, InterpreterError> {
    let malformed = |reason| InterpreterError::MalformedScript {
        path: path.to_path_buf(),
        reason,
    };
    let after_magic = head.get(2..).unwrap_or_default();
    let (line, complete) = match after_magic.iter().position(|&b| b == b'\n') {
        Some(end) => (&after_magic[..end], true),
        // A short file is read whole, so its end ends the line. A long one
        // without a newline in the buffer is cut: like the kernel, accept
        // it only if the name ends inside the buffer (its last byte excluded).
        None if head.len() < SHEBANG_BUFFER => (after_magic, true),
        None => (
            after_magic.get(..SHEBANG_BUFFER - 3).unwrap_or(after_magic),
            false,
        ),
    };
    let start = line
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .ok_or_else(|| malformed("no interpreter after #!"))?;
    let rest = &line[start..];
    let name = match rest.iter().position(|&b| matches!(b, b' ' | b'\t' | 0)) {
        Some(end) => &rest[..end],
        None if complete => rest,
        None => return Err(malformed("interpreter name longer than the #! buffer")),
    };
    if name.is_empty() {
        return Err(malformed("no interpreter after #!"));
    }
    absolute_interpreter(path, name)
}

/// Accepts an interpreter path only if it is absolute.
fn absolute_interpreter(path: &Path, name: &[u8]) -> Result<PathBuf, InterpreterError> {
    let interpreter = PathBuf::from(std::ffi::OsStr::from_bytes(name));
    if interpreter.is_absolute() {
        Ok(interpreter)
    } else {
        Err(InterpreterError::RelativeInterpreter {
            path: path.to_path_buf(),
            interpreter,
        })
    }
}

/// The layout facts that differ between ELF classes and byte orders.
struct ElfLayout {
    /// `ELFCLASS64` rather than `ELFCLASS32`.
    is_64: bool,
    /// `ELFDATA2MSB` rather than `ELFDATA2LSB`.
    big_endian: bool,
}

impl ElfLayout {
    /// Size of the ELF header.
    fn header_size(&self) -> usize {
        if self.is_64 { 64 } else { 52 }
    }

    /// Size of one program header, which `e_phentsize` must equal.
    fn program_header_size(&self) -> usize {
        if self.is_64 { 56 } else { 32 }
    }

    fn u16_at(&self, bytes: &[u8], offset: usize) -> Option<u16> {
        let raw: [u8; 2] = bytes.get(offset..offset + 2)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(raw)
        } else {
            u16::from_le_bytes(raw)
        })
    }

    fn u32_at(&self, bytes: &[u8], offset: usize) -> Option<u32> {
        let raw: [u8; 4] = bytes.get(offset..offset + 4)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(raw)
        } else {
            u32::from_le_bytes(raw)
        })
    }

    fn u64_at(&self, bytes: &[u8], offset: usize) -> Option<u64> {
        let raw: [u8; 8] = bytes.get(offset..offset + 8)?.try_into().ok()?;
        Some(if self.big_endian {
            u64::from_be_bytes(raw)
        } else {
            u64::from_le_bytes(raw)
        })
    }

    /// Reads an address-sized field (`Elf32_Off`/`Elf64_Off` and friends).
    fn word_at(&self, bytes: &[u8], offset: usize) -> Option<u64> {
        if self.is_64 {
            self.u64_at(bytes, offset)
        } else {
            self.u32_at(bytes, offset).map(u64::from)
        }
    }
}

/// The program header fields the lookup needs.
struct ProgramHeader {
    p_type: u32,
    p_offset: u64,
    p_filesz: u64,
}

/// Reads the ELF header and program headers of `file` and returns the path
/// in its first `PT_INTERP` segment (the one the kernel uses), if any.
fn elf_interpreter(path: &Path, file: &File) -> Result<Option<PathBuf>, InterpreterError> {
    let malformed = |reason| InterpreterError::MalformedElf {
        path: path.to_path_buf(),
        reason,
    };
    let mut header = [0u8; 64];
    read_exact_at(path, file, &mut header[..16], 0, "file ends inside e_ident")?;
    let layout = ElfLayout {
        is_64: match header[4] {
            1 => false,
            2 => true,
            _ => return Err(malformed("unknown ELF class")),
        },
        big_endian: match header[5] {
            1 => false,
            2 => true,
            _ => return Err(malformed("unknown byte order")),
        },
    };
    if header[6] != 1 {
        return Err(malformed("unknown ELF version"));
    }
    let header = &mut header[..layout.header_size()];
    read_exact_at(path, file, header, 0, "file ends inside the ELF header")?;
    let header = &*header;

    let field = |value: Option<u64>| value.ok_or_else(|| malformed("ELF header too short"));
    let e_type = field(layout.u16_at(header, 16).map(u64::from))?;
    if e_type != u64::from(ET_EXEC) && e_type != u64::from(ET_DYN) {
        return Err(malformed("not an executable or shared object"));
    }
    let (phoff_at, phentsize_at) = if layout.is_64 { (32, 54) } else { (28, 42) };
    let e_phoff = field(layout.word_at(header, phoff_at))?;
    let e_phentsize = field(layout.u16_at(header, phentsize_at).map(u64::from))?;
    let e_phnum = field(layout.u16_at(header, phentsize_at + 2).map(u64::from))?;
    if usize::try_from(e_phentsize).ok() != Some(layout.program_header_size()) {
        return Err(malformed("unexpected program header size"));
    }
    let table_size = usize::try_from(e_phentsize * e_phnum)
        .ok()
        .filter(|&size| (1..=MAX_PROGRAM_HEADERS_SIZE).contains(&size))
        .ok_or_else(|| malformed("program header table empty or too large"))?;

    let mut table = vec![0u8; table_size];
    read_exact_at(
        path,
        file,
        &mut table,
        e_phoff,
        "file ends inside the program header table",
    )?;
    let Some(interp) = table
        .chunks_exact(layout.program_header_size())
        .map(|entry| program_header(&layout, entry))
        .find(|header| header.as_ref().is_none_or(|h| h.p_type == PT_INTERP))
    else {
        return Ok(None);
    };
    let interp = interp.ok_or_else(|| malformed("program header too short"))?;
    if !(2..=MAX_INTERP_SIZE).contains(&interp.p_filesz) {
        return Err(malformed("PT_INTERP size out of range"));
    }
    let mut name = vec![0u8; usize::try_from(interp.p_filesz).unwrap_or_default()];
    read_exact_at(
        path,
        file,
        &mut name,
        interp.p_offset,
        "file ends inside the PT_INTERP segment",
    )?;
    if name.last() != Some(&0) {
        return Err(malformed("PT_INTERP is not NUL-terminated"));
    }
    // The kernel passes the segment to open_exec() as a C string, so the
    // name it opens ends at the first NUL.
    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    if end == 0 {
        return Err(malformed("PT_INTERP is empty"));
    }
    absolute_interpreter(path, &name[..end]).map(Some)
}

/// Decodes one program header of the given layout.
fn program_header(layout: &ElfLayout, entry: &[u8]) -> Option<ProgramHeader> {
    let (offset_at, filesz_at) = if layout.is_64 { (8, 32) } else { (4, 16) };
    Some(ProgramHeader {
        p_type: layout.u32_at(entry, 0)?,
        p_offset: layout.word_at(entry, offset_at)?,
        p_filesz: layout.word_at(entry, filesz_at)?,
    })
}

/// Reads exactly `buf.len()` bytes at `offset`; a file that ends first is a
/// malformed ELF file described by `truncated`.
fn read_exact_at(
    path: &Path,
    file: &File,
    buf: &mut [u8],
    offset: u64,
    truncated: &'static str,
) -> Result<(), InterpreterError> {
    file.read_exact_at(buf, offset).map_err(|source| {
        if source.kind() == io::ErrorKind::UnexpectedEof {
            InterpreterError::MalformedElf {
                path: path.to_path_buf(),
                reason: truncated,
            }
        } else {
            InterpreterError::Read {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    /// Writes `contents` to a fresh file in `dir` and returns its path.
    fn write_file(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        let mut file = File::create(&path).unwrap();
        file.write_all(contents).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn interpreter_error(program: &Path) -> InterpreterError {
        match interpreters(program) {
            Err(SandboxError::Interpreter(e)) => e,
            other => panic!("expected an interpreter error, got {other:?}"),
        }
    }

    /// The loader path of dynamic binaries on this host, as `cat` names it.
    const X86_64_LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

    #[test]
    #[cfg(all(target_arch = "x86_64", target_env = "gnu"))]
    fn dynamic_elf_names_its_loader() {
        assert_eq!(
            interpreters(Path::new("/usr/bin/cat")).unwrap(),
            vec![PathBuf::from(X86_64_LOADER)]
        );
    }

    #[test]
    fn static_elf_has_no_interpreter() {
        // Debian's ldconfig is a static PIE (ET_DYN without PT_INTERP); the
        // loader itself has no PT_INTERP either. Skip if neither exists.
        let candidates = ["/usr/sbin/ldconfig", "/sbin/ldconfig", X86_64_LOADER];
        let Some(program) = candidates.iter().map(Path::new).find(|p| p.exists()) else {
            eprintln!("skipped: no static binary on this host");
            return;
        };
        assert_eq!(interpreters(program).unwrap(), Vec::<PathBuf>::new());
    }

    #[test]
    #[cfg(all(target_arch = "x86_64", target_env = "gnu"))]
    fn script_names_its_interpreter_and_its_loader() {
        let dir = tempfile::tempdir().unwrap();
        let script = write_file(&dir, "s", b"#!/bin/sh -e\necho hi\n");
        assert_eq!(
            interpreters(&script).unwrap(),
            vec![PathBuf::from("/bin/sh"), PathBuf::from(X86_64_LOADER)]
        );
    }

    #[test]
    fn shebang_spacing_and_missing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let elf = write_file(&dir, "static", &synthetic_elf(true, false, None));
        let name = elf.to_str().unwrap();
        let spaced = write_file(&dir, "a", format!("#! \t{name}\targ x\n").as_bytes());
        assert_eq!(interpreters(&spaced).unwrap(), vec![elf.clone()]);
        let no_newline = write_file(&dir, "b", format!("#!{name}").as_bytes());
        assert_eq!(interpreters(&no_newline).unwrap(), vec![elf.clone()]);
    }

    #[test]
    fn nested_scripts_are_followed_then_limited() {
        let dir = tempfile::tempdir().unwrap();
        let elf = write_file(&dir, "static", &synthetic_elf(true, false, None));
        let inner = write_file(&dir, "inner", format!("#!{}\n", elf.display()).as_bytes());
        let outer = write_file(&dir, "outer", format!("#!{}\n", inner.display()).as_bytes());
        assert_eq!(interpreters(&outer).unwrap(), vec![inner, elf]);

        let looping = dir.path().join("loop");
        write_file(
            &dir,
            "loop",
            format!("#!{}\n", looping.display()).as_bytes(),
        );
        assert!(matches!(
            interpreter_error(&looping),
            InterpreterError::TooDeep { .. }
        ));
    }

    #[test]
    fn relative_shebang_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let script = write_file(&dir, "s", b"#!bin/sh\n");
        let error = interpreter_error(&script);
        assert!(
            matches!(&error, InterpreterError::RelativeInterpreter { interpreter, .. }
                if interpreter == Path::new("bin/sh")),
            "{error}"
        );
        assert!(error.to_string().contains("relative interpreter bin/sh"));
    }

    #[test]
    fn empty_or_overlong_shebang_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        for (name, contents) in [
            ("empty", b"#!\n".to_vec()),
            ("blank", b"#!  \t \nx".to_vec()),
            ("long", [b"#!/".as_slice(), &[b'a'; 400]].concat()),
        ] {
            let script = write_file(&dir, name, &contents);
            assert!(
                matches!(
                    interpreter_error(&script),
                    InterpreterError::MalformedScript { .. }
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn truncated_elf_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let cat = std::fs::read("/usr/bin/cat").unwrap();
        for len in [4, 20, 40, 100] {
            let path = write_file(&dir, &format!("t{len}"), &cat[..len]);
            let error = interpreter_error(&path);
            assert!(
                matches!(error, InterpreterError::MalformedElf { .. }),
                "{len}: {error}"
            );
        }
    }

    #[test]
    fn malformed_headers_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let good = synthetic_elf(true, false, Some("/lib/ld.so"));
        let corrupt = |name: &str, at: usize, value: u8| {
            let mut bytes = good.clone();
            bytes[at] = value;
            write_file(&dir, name, &bytes)
        };
        for path in [
            corrupt("class", 4, 7),
            corrupt("data", 5, 0),
            corrupt("version", 6, 2),
            corrupt("type", 16, 1),      // ET_REL
            corrupt("phentsize", 54, 1), // wrong program header size
            corrupt("phoff", 39, 0x7f),  // table far beyond the end
        ] {
            let error = interpreter_error(&path);
            assert!(
                matches!(error, InterpreterError::MalformedElf { .. }),
                "{}: {error}",
                path.display()
            );
        }
        // The PT_INTERP string must be NUL-terminated.
        let mut bytes = good.clone();
        let last = bytes.len() - 1;
        bytes[last] = b'x';
        let path = write_file(&dir, "nonul", &bytes);
        assert!(matches!(
            interpreter_error(&path),
            InterpreterError::MalformedElf { .. }
        ));
    }

    #[test]
    fn all_classes_and_byte_orders_parse() {
        let dir = tempfile::tempdir().unwrap();
        for is_64 in [false, true] {
            for big_endian in [false, true] {
                let name = format!("elf-{is_64}-{big_endian}");
                let path = write_file(
                    &dir,
                    &name,
                    &synthetic_elf(is_64, big_endian, Some("/lib/ld-test.so.1")),
                );
                assert_eq!(
                    interpreters(&path).unwrap(),
                    vec![PathBuf::from("/lib/ld-test.so.1")],
                    "{name}"
                );
                let path = write_file(
                    &dir,
                    &format!("{name}-static"),
                    &synthetic_elf(is_64, big_endian, None),
                );
                assert!(interpreters(&path).unwrap().is_empty(), "{name}");
            }
        }
    }

    #[test]
    fn relative_pt_interp_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "rel", &synthetic_elf(true, false, Some("ld.so")));
        assert!(matches!(
            interpreter_error(&path),
            InterpreterError::RelativeInterpreter { .. }
        ));
    }

    #[test]
    fn other_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let text = write_file(&dir, "text", b"echo hi\n");
        assert!(matches!(
            interpreter_error(&text),
            InterpreterError::UnknownFormat { .. }
        ));
        assert!(matches!(
            interpreter_error(dir.path()),
            InterpreterError::NotRegularFile { .. }
        ));
        assert!(matches!(
            interpreter_error(&dir.path().join("missing")),
            InterpreterError::Open { .. }
        ));
    }

    /// Builds a minimal ELF executable: header, one `PT_LOAD`, and a
    /// `PT_INTERP` naming `interpreter` when given, its string last.
    fn synthetic_elf(is_64: bool, big_endian: bool, interpreter: Option<&str>) -> Vec<u8> {
        let layout = ElfLayout { is_64, big_endian };
        let mut out = Vec::new();
        let push = |out: &mut Vec<u8>, value: u64, size: usize| {
            let bytes = value.to_be_bytes();
            let field = &bytes[8 - size..];
            if big_endian {
                out.extend_from_slice(field);
            } else {
                out.extend(field.iter().rev());
            }
        };
        let word = if is_64 { 8 } else { 4 };
        let phnum = if interpreter.is_some() { 2 } else { 1 };
        let phoff = layout.header_size() as u64;
        let interp_at = phoff + (phnum * layout.program_header_size()) as u64;

        out.extend_from_slice(b"\x7fELF");
        out.extend_from_slice(&[if is_64 { 2 } else { 1 }, if big_endian { 2 } else { 1 }, 1]);
        out.resize(16, 0);
        push(&mut out, u64::from(ET_EXEC), 2); // e_type
        push(&mut out, 62, 2); // e_machine
        push(&mut out, 1, 4); // e_version
        push(&mut out, 0, word); // e_entry
        push(&mut out, phoff, word); // e_phoff
        push(&mut out, 0, word); // e_shoff
        push(&mut out, 0, 4); // e_flags
        push(&mut out, phoff, 2); // e_ehsize
        push(&mut out, layout.program_header_size() as u64, 2); // e_phentsize
        push(&mut out, phnum as u64, 2); // e_phnum
        push(&mut out, 0, 2); // e_shentsize
        push(&mut out, 0, 2); // e_shnum
        push(&mut out, 0, 2); // e_shstrndx
        assert_eq!(out.len() as u64, phoff);

        let add_program_header = |out: &mut Vec<u8>, p_type: u64, offset: u64, size: u64| {
            push(out, p_type, 4);
            if is_64 {
                push(out, 4, 4); // p_flags
            }
            push(out, offset, word); // p_offset
            push(out, 0, word); // p_vaddr
            push(out, 0, word); // p_paddr
            push(out, size, word); // p_filesz
            push(out, size, word); // p_memsz
            if !is_64 {
                push(out, 4, 4); // p_flags
            }
            push(out, 1, word); // p_align
        };
        add_program_header(&mut out, 1, 0, interp_at);
        if let Some(name) = interpreter {
            add_program_header(
                &mut out,
                u64::from(PT_INTERP),
                interp_at,
                name.len() as u64 + 1,
            );
        }
        assert_eq!(out.len() as u64, interp_at);
        if let Some(name) = interpreter {
            out.extend_from_slice(name.as_bytes());
            out.push(0);
        }
        out
    }
}
