//! A `write(2)` held in the middle, so that a test can look at a file while
//! another writer's append is half done, as a reader racing a concurrent
//! gate would.
//!
//! The bytes come from a buffer whose last page is registered with
//! userfaultfd and left unpopulated. The kernel copies a write into the
//! page cache chunk by chunk and moves the file's size on after each, so
//! when it faults on that last page the file already shows the first part
//! of the line, and the writer holds the inode lock (every other write to
//! the file waits) until the test supplies the page. Nothing is mocked: the
//! file, the filesystem and the copy are the kernel's own.
//!
//! userfaultfd handling faults in kernel copies needs CAP_SYS_PTRACE (or
//! `vm.unprivileged_userfaultfd = 1`).

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr;
use std::thread::{self, JoinHandle};

/// `UFFD_API` in linux/userfaultfd.h.
const UFFD_API: u64 = 0xaa;
/// `UFFDIO_REGISTER_MODE_MISSING`: report faults on pages never populated.
const UFFDIO_REGISTER_MODE_MISSING: u64 = 1;
/// `UFFD_EVENT_PAGEFAULT`.
const UFFD_EVENT_PAGEFAULT: u8 = 0x12;
/// `_IOWR(0xaa, nr, size)` of each ioctl: read-write (3 << 30), the size of
/// its argument, the userfaultfd type 0xaa and its number.
const UFFDIO_API: libc::c_ulong = 0xc018_aa3f;
const UFFDIO_REGISTER: libc::c_ulong = 0xc020_aa00;
const UFFDIO_COPY: libc::c_ulong = 0xc028_aa03;

#[repr(C)]
struct UffdioApi {
    api: u64,
    features: u64,
    ioctls: u64,
}

#[repr(C)]
struct UffdioRegister {
    start: u64,
    len: u64,
    mode: u64,
    ioctls: u64,
}

#[repr(C)]
struct UffdioCopy {
    dst: u64,
    src: u64,
    len: u64,
    mode: u64,
    copy: i64,
}

/// `struct uffd_msg`: the event, then for a page fault its flags and
/// address.
#[repr(C)]
struct UffdMsg {
    event: u8,
    reserved1: u8,
    reserved2: u16,
    reserved3: u32,
    flags: u64,
    address: u64,
    ptid: u64,
}

/// An anonymous mapping, unmapped on drop; its address is only handed to
/// the kernel.
struct Mapping {
    address: usize,
    len: usize,
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by mmap with this length, and the
        // writer that used it has been joined.
        unsafe { libc::munmap(self.address as *mut libc::c_void, self.len) };
    }
}

/// A write of one line to a file, stopped at the line's last page.
pub struct PausedWrite {
    uffd: OwnedFd,
    /// The line's last page, supplied on release. Page-sized and aligned,
    /// as UFFDIO_COPY wants its source.
    tail: Mapping,
    buffer: Mapping,
    page: usize,
    writer: Option<JoinHandle<io::Result<usize>>>,
}

impl PausedWrite {
    /// Starts writing `line` to `file` (opened with `O_APPEND`) in one
    /// `write(2)` on a thread, and returns once the kernel has copied what
    /// precedes the line's last page and waits for that page. `line` must
    /// be longer than a page.
    pub fn start(mut file: File, line: &[u8]) -> PausedWrite {
        // SAFETY: sysconf has no preconditions.
        let page =
            usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).expect("a page size");
        assert!(line.len() > page, "the line must span more than a page");
        let pages = line.len().div_ceil(page);
        let buffer = map(pages * page);
        let tail = map(page);
        let last = (pages - 1) * page;
        // SAFETY: both mappings are writable and at least this long; the
        // buffer's last page is not touched, so it stays unpopulated.
        unsafe {
            ptr::copy_nonoverlapping(line.as_ptr(), buffer.address as *mut u8, last);
            ptr::copy_nonoverlapping(
                line[last..].as_ptr(),
                tail.address as *mut u8,
                line.len() - last,
            );
        }

        // SAFETY: a plain syscall; the result is checked.
        let fd = unsafe { libc::syscall(libc::SYS_userfaultfd, libc::O_CLOEXEC) };
        assert!(
            fd >= 0,
            "userfaultfd: {} (needs CAP_SYS_PTRACE or vm.unprivileged_userfaultfd = 1)",
            io::Error::last_os_error()
        );
        // SAFETY: the kernel just returned this descriptor to us.
        let uffd = unsafe { OwnedFd::from_raw_fd(i32::try_from(fd).expect("an fd")) };
        let mut api = UffdioApi {
            api: UFFD_API,
            features: 0,
            ioctls: 0,
        };
        ioctl(&uffd, UFFDIO_API, &mut api).expect("UFFDIO_API");
        let mut register = UffdioRegister {
            start: (buffer.address + last) as u64,
            len: page as u64,
            mode: UFFDIO_REGISTER_MODE_MISSING,
            ioctls: 0,
        };
        ioctl(&uffd, UFFDIO_REGISTER, &mut register).expect("UFFDIO_REGISTER");

        let (address, len) = (buffer.address, line.len());
        let writer = thread::spawn(move || {
            // SAFETY: the mapping outlives this thread (joined before it
            // is unmapped) and holds `len` bytes once the fault is served.
            let bytes = unsafe { std::slice::from_raw_parts(address as *const u8, len) };
            file.write(bytes)
        });

        let mut message = UffdMsg {
            event: 0,
            reserved1: 0,
            reserved2: 0,
            reserved3: 0,
            flags: 0,
            address: 0,
            ptid: 0,
        };
        // SAFETY: reads at most the size of `message` into it.
        let read = unsafe {
            libc::read(
                uffd.as_raw_fd(),
                (&mut message as *mut UffdMsg).cast(),
                size_of::<UffdMsg>(),
            )
        };
        assert_eq!(
            read,
            size_of::<UffdMsg>() as isize,
            "read the userfaultfd event: {}",
            io::Error::last_os_error()
        );
        assert_eq!(message.event, UFFD_EVENT_PAGEFAULT, "a page fault");
        assert_eq!(
            message.address & !(page as u64 - 1),
            (buffer.address + last) as u64,
            "the fault is on the line's last page"
        );
        PausedWrite {
            uffd,
            tail,
            buffer,
            page,
            writer: Some(writer),
        }
    }

    /// Supplies the last page and returns what the paused `write(2)`
    /// returned.
    pub fn finish(mut self) -> io::Result<usize> {
        self.release()
    }

    fn release(&mut self) -> io::Result<usize> {
        let Some(writer) = self.writer.take() else {
            return Ok(0);
        };
        let last = self.buffer.len - self.page;
        let mut copy = UffdioCopy {
            dst: (self.buffer.address + last) as u64,
            src: self.tail.address as u64,
            len: self.page as u64,
            mode: 0,
            copy: 0,
        };
        // Should the copy fail, the writer is left detached: closing the
        // userfaultfd on drop wakes it.
        ioctl(&self.uffd, UFFDIO_COPY, &mut copy)?;
        writer
            .join()
            .map_err(|_| io::Error::other("the writer thread panicked"))?
    }
}

impl Drop for PausedWrite {
    fn drop(&mut self) {
        // A test that failed while the write was held must not leave the
        // file locked.
        let _ = self.release();
    }
}

fn map(len: usize) -> Mapping {
    // SAFETY: a fresh private anonymous mapping; the result is checked.
    let address = unsafe {
        libc::mmap(
            ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(
        address,
        libc::MAP_FAILED,
        "mmap: {}",
        io::Error::last_os_error()
    );
    Mapping {
        address: address as usize,
        len,
    }
}

fn ioctl<T>(fd: &OwnedFd, request: libc::c_ulong, argument: &mut T) -> io::Result<()> {
    // SAFETY: `argument` is the repr(C) struct this request takes.
    match unsafe { libc::ioctl(fd.as_raw_fd(), request, argument as *mut T) } {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}
