//! The worker process, from the fork to `_exit`: limits, silence, then one job after another
//! (read a request, run it under the job's limits, write the response) until the caller closes
//! the socket, the worker retires, or it is killed.

use std::sync::atomic::{AtomicBool, Ordering};

use super::frame::{self, REQUEST_HEAD};
use super::in_process;
use crate::error::ExtractError;

/// Jobs a worker runs before it retires (the next job gets a fresh fork).
pub(crate) const MAX_JOBS: u32 = 256;

/// Growth of a worker's address space, over its size when it started, after which it retires.
pub(crate) const MAX_GROWTH: u64 = 256 << 20;

/// Set in a worker only: its panics are reported through the socket, not printed.
static IN_WORKER: AtomicBool = AtomicBool::new(false);

/// Wraps the process's panic hook once, so that a worker skips it: the default hook takes locks
/// (output capture, backtrace) that another thread of the caller may have held at the moment of
/// the fork. Everywhere else the previous hook runs as before.
pub(super) fn quiet_panics_in_workers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_WORKER.load(Ordering::Relaxed) {
                previous(info);
            }
        }));
    });
}

/// Virtual memory size of this process in bytes (Linux); `None` elsewhere.
pub(super) fn address_space() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().next()?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * page.max(4096) as u64)
}

/// The worker: runs in the child right after `fork` (from the pool's spawner thread), with
/// `sock` its end of the socket pair and `parent` the caller's process id. Never returns.
pub(super) fn main(sock: libc::c_int, parent: libc::pid_t) -> ! {
    die_with_parent(parent);
    // SAFETY: plain system calls on this (single-threaded) child's own descriptors.
    unsafe {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if sock > 2 {
            // everything inherited but stdio and the socket: other workers' sockets, the index
            // writer lock, files being read by other threads
            libc::syscall(libc::SYS_close_range, 3u32, (sock - 1) as u32, 0u32);
            libc::syscall(libc::SYS_close_range, (sock + 1) as u32, u32::MAX, 0u32);
        }
        let devnull = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        for fd in [1, 2] {
            if devnull >= 0 && fd != sock && devnull != fd {
                libc::dup2(devnull, fd);
            }
        }
    }
    IN_WORKER.store(true, Ordering::Relaxed);
    log::set_max_level(log::LevelFilter::Off);
    let base = address_space();
    let mut jobs = 0u32;
    loop {
        let mut head = [0u8; REQUEST_HEAD];
        if !read_exact(sock, &mut head) {
            exit(0); // the caller closed the socket (pool dropped) or died
        }
        let Some(request) = frame::parse_request_head(&head) else {
            exit(2);
        };
        let mut input = vec![0u8; request.len];
        if !read_exact(sock, &mut input) {
            exit(0);
        }
        set_limits(
            base.map(|b| b.saturating_add(request.max_memory)),
            request.cpu_seconds,
        );
        let task = request.task;
        let produced = in_process(task.format(), request.max_output, |sink| {
            task.execute(&input, request.max_inflated, sink)
        });
        drop(input);
        jobs += 1;
        let grown = match (base, address_space()) {
            (Some(b), Some(now)) => now > b.saturating_add(MAX_GROWTH),
            _ => false,
        };
        let panicked = matches!(produced.error, Some(ExtractError::Panicked { .. }));
        let retire = jobs >= MAX_JOBS || grown || panicked;
        if !write_all(sock, &frame::encode_response(&produced, retire)) || retire {
            exit(0);
        }
    }
}

/// Limits for the next job: address space (soft `RLIMIT_AS`, so that it can be reset for the
/// job after) and CPU time (soft `RLIMIT_CPU` = CPU used so far + `cpu_seconds`, rounded up).
fn set_limits(memory: Option<u64>, cpu_seconds: u64) {
    // SAFETY: plain system calls on this process's own limits with valid pointers.
    unsafe {
        let set_soft = |resource, value: u64| {
            let mut rl = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(resource, &mut rl) == 0 {
                rl.rlim_cur = (value as libc::rlim_t).min(rl.rlim_max);
                libc::setrlimit(resource, &rl);
            }
        };
        if let Some(limit) = memory {
            set_soft(libc::RLIMIT_AS, limit);
        }
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        let used = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1) as u64;
        set_soft(libc::RLIMIT_CPU, used.saturating_add(cpu_seconds));
    }
}

/// Reads exactly `buf.len()` bytes; false on end of file or error.
fn read_exact(fd: libc::c_int, buf: &mut [u8]) -> bool {
    let len = buf.len();
    // SAFETY: reading into the unfilled rest of a live buffer.
    transfer(len, |off| unsafe {
        libc::read(fd, buf[off..].as_mut_ptr().cast(), len - off)
    })
}

/// Writes all of `buf` (without `SIGPIPE` if the caller is gone); false on error.
fn write_all(fd: libc::c_int, buf: &[u8]) -> bool {
    // SAFETY: sending from a live buffer.
    transfer(buf.len(), |off| unsafe {
        libc::send(
            fd,
            buf[off..].as_ptr().cast(),
            buf.len() - off,
            libc::MSG_NOSIGNAL,
        )
    })
}

/// Calls `step(off)` (one read or send of the bytes from `off` on; what it returns) until `len`
/// bytes are moved, again after `EINTR`; false on end of file (0) or another error.
fn transfer(len: usize, mut step: impl FnMut(usize) -> isize) -> bool {
    let mut off = 0;
    while off < len {
        let n = step(off);
        if n > 0 {
            off += n as usize;
        } else if n == 0
            || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
        {
            return false;
        }
    }
    true
}

/// Leaves the worker without unwinding into the caller's stack or running destructors and
/// `atexit` handlers that belong to the caller.
fn exit(code: libc::c_int) -> ! {
    // SAFETY: `_exit` ends this process immediately.
    unsafe { libc::_exit(code) }
}

/// Be killed (`SIGKILL`) when the parent dies, so that no worker outlives a killed caller (an
/// orphan would keep the caller's descriptors until it closed them, and block on a socket nobody
/// writes). The parent may have died between `fork` and `prctl`: then `getppid` is no longer
/// `parent` and the worker leaves. Linux: `PR_SET_PDEATHSIG` fires when the forking *thread*
/// ends — the pool's spawner thread, which lives as long as the pool.
fn die_with_parent(parent: libc::pid_t) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: plain system call on this (single-threaded) child's own state.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
    }
    // SAFETY: as above.
    if unsafe { libc::getppid() } != parent {
        exit(1);
    }
}
