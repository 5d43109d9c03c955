//! Running an extractor where its failure cannot hurt the caller.
//!
//! **Worker processes** ([`Isolation::Worker`], unix): the caller forks; the child runs the
//! extractor on the attachment bytes it shares copy-on-write with the parent, under an
//! address-space limit (`RLIMIT_AS` = what it inherited + [`Limits::max_worker_memory`]) and a CPU
//! limit, with stdout/stderr on `/dev/null` and `log` silenced, and writes one framed result to a
//! pipe. The parent waits at most [`Limits::timeout`], then kills it with `SIGKILL`. So a panic
//! (caught in the child), a hang, a runaway allocation, and — what no in-process guard can catch
//! — a stack overflow or an abort cost the child, never the caller. The child never returns into
//! the caller's code: it leaves with `_exit`, running no destructor and no `atexit` handler.
//!
//! Why fork and not threads: a thread cannot be killed in Rust, so a hung extractor would have
//! to be abandoned (a CPU and its memory lost until it ends, so their number must be capped), and
//! a stack overflow or an allocation failure in any thread aborts the whole process; pdf-extract
//! has both (unbounded recursion through form XObjects, allocations sized by the file). Why fork
//! and not a separate worker binary: nothing to install or find at run time, no serialization of
//! the input (the child already has it), and the cost is one `fork` (about 0.1–1 ms, page tables
//! only) per isolated attachment — PDF and office documents, a few in a thousand mails.
//!
//! Fork in a multi-threaded process: only the forking thread exists in the child, so a lock held
//! by another thread at that moment stays held. The child only allocates (glibc's `fork` resets
//! the allocator's locks) and runs the extractor; `log` is switched off so a logger's lock is
//! never taken, and the process's panic hook is wrapped once (delegating to the previous hook
//! everywhere but in a worker) so that a panic in a worker takes no output or backtrace lock. If
//! the child still blocks on an inherited lock, the deadline kills it like any hang.
//!
//! A worker dies with its parent (`PR_SET_PDEATHSIG` = `SIGKILL` on Linux, set right after the
//! fork, with a `getppid` check for a parent that died before that): `kill -9` of a rescan leaves
//! no orphaned worker holding the index writer lock.
//!
//! No thread is ever abandoned, so there is no pool of hung threads to bound: at most one worker
//! per calling thread exists at a time, and each is killed and reaped before `run` returns.
//! [`Isolation::InProcess`] (non-unix, benchmarks) catches panics only.

use std::time::{Duration, Instant};

use crate::error::{ExtractError, Format};
use crate::limits::{Isolation, Limits};
use crate::sink::Sink;

/// What an extractor produced: text, whether it was cut, and the error that stopped it (with the
/// text extracted until then).
#[derive(Debug, Default)]
pub(crate) struct Produced {
    pub(crate) text: String,
    pub(crate) truncated: bool,
    pub(crate) error: Option<ExtractError>,
}

impl Produced {
    pub(crate) fn from_sink(sink: Sink, error: Option<ExtractError>) -> Self {
        Produced {
            text: sink.text,
            truncated: sink.truncated,
            error,
        }
    }
}

/// Runs `job` as `limits.isolation` says. `job` gets a sink bounded by `max_output`.
pub(crate) fn run<F>(format: Format, limits: &Limits, max_output: usize, job: F) -> Produced
where
    F: FnOnce(&mut Sink) -> Result<(), ExtractError>,
{
    match limits.isolation {
        #[cfg(unix)]
        Isolation::Worker => worker::run(format, limits, max_output, job),
        _ => in_process(format, max_output, job),
    }
}

/// Runs `job` in the calling thread; a panic is caught and reported.
pub(crate) fn in_process<F>(format: Format, max_output: usize, job: F) -> Produced
where
    F: FnOnce(&mut Sink) -> Result<(), ExtractError>,
{
    let mut sink = Sink::new(max_output);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut sink)));
    match result {
        Ok(r) => Produced::from_sink(sink, r.err()),
        Err(payload) => Produced::from_sink(
            sink,
            Some(ExtractError::Panicked {
                format,
                message: panic_message(&payload),
            }),
        ),
    }
}

pub(crate) fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// How long the parent sleeps between checks on a silent worker.
const POLL_SLICE: Duration = Duration::from_millis(20);

#[cfg(unix)]
mod worker {
    use super::*;

    /// Frame: tag (0 ok, 1 error), truncated, error kind, u64 number, u32 text length, text,
    /// u32 detail length, detail.
    fn encode(p: &Produced) -> Vec<u8> {
        let (kind, num, detail) = match &p.error {
            None => (0u8, 0u64, String::new()),
            Some(ExtractError::Malformed { reason, .. }) => (1, 0, reason.clone()),
            Some(ExtractError::Inflated { limit, .. }) => (2, *limit, String::new()),
            Some(ExtractError::Panicked { message, .. }) => (3, 0, message.clone()),
            Some(other) => (1, 0, other.to_string()),
        };
        let mut out = Vec::with_capacity(p.text.len() + detail.len() + 32);
        out.push(u8::from(p.error.is_some()));
        out.push(u8::from(p.truncated));
        out.push(kind);
        out.extend_from_slice(&num.to_le_bytes());
        out.extend_from_slice(&(p.text.len() as u32).to_le_bytes());
        out.extend_from_slice(p.text.as_bytes());
        out.extend_from_slice(&(detail.len() as u32).to_le_bytes());
        out.extend_from_slice(detail.as_bytes());
        out
    }

    /// The decoded frame, or `None` while it is incomplete.
    fn decode(format: Format, b: &[u8]) -> Option<Produced> {
        let head = b.get(..15)?;
        let text_len = u32::from_le_bytes(head[11..15].try_into().ok()?) as usize;
        let text = b.get(15..15 + text_len)?;
        let rest = &b[15 + text_len..];
        let detail_len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let detail = rest.get(4..4 + detail_len)?;
        let detail = String::from_utf8_lossy(detail).into_owned();
        let num = u64::from_le_bytes(head[3..11].try_into().ok()?);
        let error = (head[0] == 1).then(|| match head[2] {
            2 => ExtractError::Inflated { format, limit: num },
            3 => ExtractError::Panicked {
                format,
                message: detail,
            },
            _ => ExtractError::Malformed {
                format,
                reason: detail,
            },
        });
        Some(Produced {
            text: String::from_utf8_lossy(text).into_owned(),
            truncated: head[1] == 1,
            error,
        })
    }

    /// Kills and reaps the child unless it was reaped already.
    struct Child {
        pid: libc::pid_t,
        status: Option<libc::c_int>,
    }

    impl Child {
        fn try_wait(&mut self) -> Option<libc::c_int> {
            if self.status.is_none() {
                let mut st = 0;
                // SAFETY: waitpid on our own child with a valid out pointer.
                let r = unsafe { libc::waitpid(self.pid, &mut st, libc::WNOHANG) };
                if r == self.pid {
                    self.status = Some(st);
                }
            }
            self.status
        }

        fn kill_and_wait(&mut self) -> libc::c_int {
            if let Some(st) = self.status {
                return st;
            }
            let mut st = 0;
            // SAFETY: signalling and reaping our own, not yet reaped child.
            unsafe {
                libc::kill(self.pid, libc::SIGKILL);
                while libc::waitpid(self.pid, &mut st, 0) < 0
                    && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
                {
                }
            }
            self.status = Some(st);
            st
        }
    }

    impl Drop for Child {
        fn drop(&mut self) {
            self.kill_and_wait();
        }
    }

    struct Fd(libc::c_int);
    impl Drop for Fd {
        fn drop(&mut self) {
            // SAFETY: closing a descriptor we own exactly once.
            unsafe { libc::close(self.0) };
        }
    }

    /// Virtual memory size of this process in bytes (Linux); `None` elsewhere.
    fn address_space() -> Option<u64> {
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let pages: u64 = statm.split_whitespace().next()?.parse().ok()?;
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        Some(pages * page.max(4096) as u64)
    }

    fn no_worker(format: Format, what: &str) -> Produced {
        Produced {
            error: Some(ExtractError::NoWorker {
                format,
                reason: format!("{what}: {}", std::io::Error::last_os_error()),
            }),
            ..Produced::default()
        }
    }

    /// Set in a worker child only: its panics are reported through the pipe, not printed.
    static IN_WORKER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

    /// Wraps the process's panic hook once, so that a worker child skips it: the default hook
    /// takes locks (output capture, backtrace) that another thread of the parent may have held
    /// at the moment of the fork. Everywhere else the previous hook runs as before.
    fn quiet_panics_in_workers() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if !IN_WORKER.load(std::sync::atomic::Ordering::Relaxed) {
                    previous(info);
                }
            }));
        });
    }

    pub(super) fn run<F>(format: Format, limits: &Limits, max_output: usize, job: F) -> Produced
    where
        F: FnOnce(&mut Sink) -> Result<(), ExtractError>,
    {
        quiet_panics_in_workers();
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: pipe writes two descriptors into the array.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return no_worker(format, "pipe");
        }
        let (rd, wr) = (Fd(fds[0]), Fd(fds[1]));
        // SAFETY: setting FD_CLOEXEC on descriptors we own (no exec happens, but other code may).
        unsafe {
            libc::fcntl(rd.0, libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(wr.0, libc::F_SETFD, libc::FD_CLOEXEC);
        }
        let memory_limit =
            address_space().map(|base| base.saturating_add(limits.max_worker_memory));
        let cpu_seconds = limits.timeout.as_secs() + 2;
        // SAFETY: getpid has no preconditions.
        let parent = unsafe { libc::getpid() };
        // SAFETY: the child only runs `child_main`, which never returns (see the module docs).
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return no_worker(format, "fork");
        }
        if pid == 0 {
            std::mem::forget(rd);
            die_with_parent(parent);
            child_main(wr.0, memory_limit, cpu_seconds, max_output, format, job);
        }
        drop(wr);
        let mut child = Child { pid, status: None };
        let deadline = Instant::now() + limits.timeout;
        let mut frame: Vec<u8> = Vec::new();
        let mut chunk = vec![0u8; 64 << 10];
        let mut exited_polls = 0;
        loop {
            if let Some(p) = decode(format, &frame) {
                child.kill_and_wait();
                return p;
            }
            let now = Instant::now();
            if now >= deadline {
                child.kill_and_wait();
                return Produced {
                    error: Some(ExtractError::TimedOut {
                        format,
                        millis: limits.timeout.as_millis() as u64,
                    }),
                    ..Produced::default()
                };
            }
            let wait = (deadline - now).min(POLL_SLICE);
            let mut pfd = libc::pollfd {
                fd: rd.0,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let ready = unsafe { libc::poll(&mut pfd, 1, wait.as_millis().max(1) as libc::c_int) };
            if ready > 0 {
                // SAFETY: reading into a buffer of the given length.
                let n = unsafe { libc::read(rd.0, chunk.as_mut_ptr().cast(), chunk.len()) };
                if n > 0 {
                    frame.extend_from_slice(&chunk[..n as usize]);
                    if frame.len() > max_output + (1 << 20) {
                        child.kill_and_wait();
                        return Produced {
                            error: Some(ExtractError::WorkerDied {
                                format,
                                reason: "oversized result".into(),
                            }),
                            ..Produced::default()
                        };
                    }
                    continue;
                }
                if n < 0
                    && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
                {
                    continue;
                }
                // end of file: the child is gone (or closed its end) without a full frame
                let status = child.kill_and_wait();
                return died(format, status);
            }
            // silent: a child that has exited leaves nothing more to read (another worker
            // forked meanwhile may hold a copy of our pipe, so EOF is not guaranteed)
            if child.try_wait().is_some() {
                exited_polls += 1;
                if exited_polls > 1 {
                    let status = child.kill_and_wait();
                    return died(format, status);
                }
            }
        }
    }

    /// In the child right after `fork`: be killed (`SIGKILL`) when the parent dies, so that no
    /// worker outlives a killed caller (an orphan would keep the caller's descriptors — the index
    /// writer lock among them — and could block on a pipe nobody reads). The parent may have died
    /// between `fork` and `prctl`: then `getppid` is no longer `parent` and the child leaves.
    /// Linux: `PR_SET_PDEATHSIG` fires when the forking *thread* ends, which cannot happen while
    /// the worker lives, since that thread waits for it.
    fn die_with_parent(parent: libc::pid_t) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        // SAFETY: plain system calls on this (single-threaded) child's own state.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
        }
        // SAFETY: as above; `_exit` leaves without running the parent's destructors.
        unsafe {
            if libc::getppid() != parent {
                libc::_exit(1);
            }
        }
    }

    fn died(format: Format, status: libc::c_int) -> Produced {
        let reason = if libc::WIFSIGNALED(status) {
            let sig = libc::WTERMSIG(status);
            let what = match sig {
                libc::SIGSEGV | libc::SIGBUS => "stack overflow or bad memory access",
                libc::SIGABRT => "abort (out of memory, or a panic while panicking)",
                libc::SIGXCPU => "CPU time limit",
                libc::SIGKILL => "killed",
                _ => "signal",
            };
            format!("signal {sig}: {what}")
        } else {
            format!("exit status {}", libc::WEXITSTATUS(status))
        };
        Produced {
            error: Some(ExtractError::WorkerDied { format, reason }),
            ..Produced::default()
        }
    }

    /// The child: limits, silence, run, report, `_exit`.
    fn child_main<F>(
        wr: libc::c_int,
        memory_limit: Option<u64>,
        cpu_seconds: u64,
        max_output: usize,
        format: Format,
        job: F,
    ) -> !
    where
        F: FnOnce(&mut Sink) -> Result<(), ExtractError>,
    {
        // SAFETY: plain system calls on this (single-threaded) child's own state.
        unsafe {
            let devnull = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
            if devnull >= 0 {
                libc::dup2(devnull, 1);
                libc::dup2(devnull, 2);
            }
            if let Some(limit) = memory_limit {
                let rl = libc::rlimit {
                    rlim_cur: limit as libc::rlim_t,
                    rlim_max: limit as libc::rlim_t,
                };
                libc::setrlimit(libc::RLIMIT_AS, &rl);
            }
            let rl = libc::rlimit {
                rlim_cur: cpu_seconds as libc::rlim_t,
                rlim_max: cpu_seconds as libc::rlim_t,
            };
            libc::setrlimit(libc::RLIMIT_CPU, &rl);
        }
        IN_WORKER.store(true, std::sync::atomic::Ordering::Relaxed);
        log::set_max_level(log::LevelFilter::Off);
        let produced = in_process(format, max_output, job);
        let frame = encode(&produced);
        let mut off = 0;
        while off < frame.len() {
            // SAFETY: writing from a live buffer.
            let n = unsafe { libc::write(wr, frame[off..].as_ptr().cast(), frame.len() - off) };
            if n <= 0 {
                if n < 0
                    && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
                {
                    continue;
                }
                break;
            }
            off += n as usize;
        }
        // SAFETY: leaving the child without unwinding into the parent's stack or running
        // destructors and atexit handlers that belong to the parent.
        unsafe { libc::_exit(0) }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn limits(ms: u64) -> Limits {
            Limits {
                timeout: Duration::from_millis(ms),
                max_worker_memory: 256 << 20,
                ..Limits::default()
            }
        }

        #[test]
        fn results_panics_hangs_overflows_and_allocations_stay_in_the_worker() {
            let l = limits(3000);
            let ok = run(Format::Pdf, &l, 100, |s| {
                s.push_str("hello from the worker");
                Ok(())
            });
            assert_eq!(ok.text, "hello from the worker");
            assert!(ok.error.is_none());

            let cut = run(Format::Pdf, &l, 5, |s| {
                s.push_str("0123456789");
                Err(ExtractError::malformed(Format::Pdf, "bad xref"))
            });
            assert_eq!((cut.text.as_str(), cut.truncated), ("01234", true));
            assert_eq!(
                cut.error.unwrap().to_string(),
                "extract pdf: malformed: bad xref"
            );

            let panicked = run(Format::Pdf, &l, 100, |s| {
                s.push_str("partial");
                panic!("boom {}", 42)
            });
            assert_eq!(panicked.text, "partial", "{panicked:?}");
            assert!(
                matches!(panicked.error, Some(ExtractError::Panicked { ref message, .. }) if message == "boom 42")
            );

            let started = Instant::now();
            let hung = run(Format::Pdf, &limits(200), 100, |_| loop {
                std::hint::spin_loop();
            });
            assert!(matches!(
                hung.error,
                Some(ExtractError::TimedOut { millis: 200, .. })
            ));
            assert!(started.elapsed() < Duration::from_secs(2));

            #[allow(unconditional_recursion)]
            fn recurse(n: u64) -> u64 {
                let pad = [n; 64];
                std::hint::black_box(&pad);
                recurse(n + 1) + pad[3]
            }
            let overflow = run(Format::Pdf, &l, 100, |_| {
                recurse(0);
                Ok(())
            });
            assert!(
                matches!(overflow.error, Some(ExtractError::WorkerDied { .. })),
                "{:?}",
                overflow.error
            );

            let hog = run(Format::Pdf, &l, 100, |_| {
                let mut v: Vec<Vec<u8>> = Vec::new();
                loop {
                    v.push(vec![1u8; 64 << 20]);
                    std::hint::black_box(&v);
                }
            });
            assert!(
                matches!(hog.error, Some(ExtractError::WorkerDied { .. })),
                "{:?}",
                hog.error
            );
        }
    }
}
