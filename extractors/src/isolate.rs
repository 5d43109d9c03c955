//! Running an extractor where its failure cannot hurt the caller.
//!
//! **Worker processes** ([`Isolation::Worker`], unix): a small pool of long-lived worker
//! processes, forked lazily on the first isolated extraction (at most one per calling thread
//! that needs one at the same moment, bounded by [`pool::max_workers`]). A job is "run the
//! extractor of this [`Format`] on these bytes": the caller sends the format, the bytes and the
//! job's limits over a socket pair, the worker runs the same in-process extractor as
//! [`Isolation::InProcess`] and answers with one framed result ([`frame`]). Each job runs under
//! an address-space limit (`RLIMIT_AS` = the worker's size when it started +
//! [`Limits::max_worker_memory`]) and a CPU limit (`RLIMIT_CPU` set before every job to the CPU
//! the worker has used so far + the job's timeout + 2 s: a backstop, the wall-clock deadline
//! fires first), with stdout/stderr on `/dev/null` and `log` silenced. The caller waits at most
//! [`Limits::timeout`], then kills the worker with `SIGKILL` and reaps it; the next job gets a
//! fresh one. So a panic (caught in the worker, which then retires), a hang, a runaway
//! allocation, and — what no in-process guard can catch — a stack overflow or an abort cost that
//! job, never the caller. A worker is recycled after [`worker::MAX_JOBS`] jobs, or when it has
//! grown by more than [`worker::MAX_GROWTH`] bytes, so a leak in a parser does not accumulate
//! (an idle worker is not recycled: it waits for the next job). A worker never returns into the
//! caller's code: it leaves with `_exit`, running no destructor and no `atexit` handler.
//!
//! Why processes and not threads: a thread cannot be killed in Rust, so a hung extractor would
//! have to be abandoned (a CPU and its memory lost until it ends, so their number must be
//! capped), and a stack overflow or an allocation failure in any thread aborts the whole
//! process; pdf-extract has both (unbounded recursion through form XObjects, allocations sized
//! by the file). Why fork and not a separate worker binary: nothing to install or find at run
//! time. Why a pool and not a fork per attachment (the design until issue 12): every `fork` of
//! the indexer copies its page tables and makes the indexer fault on each page it writes while
//! the child lives, and every exit tears the copy down again; on the generated demo home (20,000
//! messages, about 690 PDF/DOCX extractions) that cost the rescan 4.1 s of system time against
//! 7.8 s of user time (11.7 s wall). With the pool, two workers were forked (and each recycled
//! once) and the attachment bytes went through a socket instead: 0.46 s system against 6.1 s
//! user (5.9 s wall), the same index. See docs/BENCHMARKS.md, "Pre-forked extraction workers
//! (issue 12)". The price: a worker shares the pages the caller had when it was forked, so the
//! memory the caller frees afterwards stays in use until the worker is recycled.
//!
//! Fork in a multi-threaded process: only the forking thread exists in the child, so a lock held
//! by another thread at that moment stays held. Workers are forked by one dedicated spawner
//! thread of the pool; the child closes every descriptor but its socket and stdio, only
//! allocates (glibc's `fork` resets the allocator's locks) and runs extractors; `log` is
//! switched off so a logger's lock is never taken, and the process's panic hook is wrapped once
//! (delegating to the previous hook everywhere but in a worker) so that a panic in a worker
//! takes no output or backtrace lock. If a worker still blocks on an inherited lock, the
//! deadline kills it like any hang: the one seen in the tests is std's report of an allocation
//! failure, which takes the backtrace lock, held at the fork by another thread that was printing
//! a panic — the job then ends as a timeout instead of "worker died".
//!
//! A worker dies with its parent: `PR_SET_PDEATHSIG` = `SIGKILL` (Linux), set right after the
//! fork, with a `getppid` check for a parent that died before that. The signal fires when the
//! forking *thread* ends, which is why the long-lived spawner thread forks: it ends only when
//! the pool is dropped or the process exits, so `kill -9` of a rescan leaves no orphaned worker
//! holding the index writer lock. Dropping a pool kills and reaps its idle workers (a busy one
//! is killed and reaped by the job that holds it), and so does an `atexit` handler for the
//! process's pool, so that a normal exit leaves no zombie and the workers' CPU time is counted
//! in the process's own (`wait4`, `time`).
//!
//! [`Isolation::InProcess`] (non-unix, benchmarks) runs the same extractors in the calling
//! thread and catches panics only.

#[cfg(unix)]
mod frame;
#[cfg(unix)]
pub(crate) mod pool;
#[cfg(unix)]
mod worker;

use crate::error::{ExtractError, Format};
use crate::limits::{Isolation, Limits};
use crate::sink::Sink;
use crate::{office, pdf};

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

    fn error(error: ExtractError) -> Self {
        Produced {
            error: Some(error),
            ..Produced::default()
        }
    }
}

/// What an isolated job runs: the extractor of an isolated format, or (in unit tests only) a
/// misbehaviour to contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Task {
    /// The extractor of a format with [`Format::is_isolated`].
    Extract(Format),
    /// A hostile job for the tests of the pool.
    #[cfg(test)]
    Test(TestTask),
}

/// Hostile jobs for the tests: what a broken extractor does.
#[cfg(test)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TestTask {
    /// Writes the input as text.
    Echo,
    /// Writes the input, then fails with "bad xref".
    EchoThenFail,
    /// Writes "partial", then panics with "boom 42".
    Panic,
    /// Spins forever.
    Spin,
    /// Recurses until the stack overflows.
    Overflow,
    /// Allocates 64 MiB blocks until it fails.
    Hog,
    /// Writes the worker's process id.
    Pid,
    /// Spins for 300 ms of CPU time, then writes the worker's process id.
    Burn,
}

/// The formats a worker runs, in wire order.
const ISOLATED: [Format; 7] = [
    Format::Pdf,
    Format::Docx,
    Format::Xlsx,
    Format::Pptx,
    Format::Odt,
    Format::Ods,
    Format::Odp,
];

#[cfg(test)]
const TEST_TASKS: [TestTask; 8] = [
    TestTask::Echo,
    TestTask::EchoThenFail,
    TestTask::Panic,
    TestTask::Spin,
    TestTask::Overflow,
    TestTask::Hog,
    TestTask::Pid,
    TestTask::Burn,
];

impl Task {
    /// The format errors are reported under.
    pub(crate) fn format(self) -> Format {
        match self {
            Task::Extract(f) => f,
            #[cfg(test)]
            Task::Test(_) => Format::Pdf,
        }
    }

    /// The task's byte on the wire.
    #[cfg_attr(not(unix), allow(dead_code))]
    fn code(self) -> u8 {
        match self {
            Task::Extract(f) => ISOLATED.iter().position(|&i| i == f).unwrap_or(0) as u8,
            #[cfg(test)]
            Task::Test(t) => 100 + TEST_TASKS.iter().position(|&i| i == t).unwrap_or(0) as u8,
        }
    }

    /// The task of a byte on the wire.
    #[cfg_attr(not(unix), allow(dead_code))]
    fn from_code(code: u8) -> Option<Task> {
        #[cfg(test)]
        if code >= 100 {
            return TEST_TASKS
                .get(usize::from(code - 100))
                .map(|&t| Task::Test(t));
        }
        ISOLATED.get(usize::from(code)).map(|&f| Task::Extract(f))
    }

    /// Runs the task on `bytes` into `sink` (in whatever process this is).
    fn execute(self, bytes: &[u8], max_inflated: u64, sink: &mut Sink) -> Result<(), ExtractError> {
        match self {
            Task::Extract(Format::Pdf) => pdf::extract(bytes, sink).map(drop),
            Task::Extract(format) => office::extract(format, bytes, max_inflated, sink),
            #[cfg(test)]
            Task::Test(t) => test_task(t, bytes, sink),
        }
    }
}

#[cfg(test)]
fn test_task(t: TestTask, bytes: &[u8], sink: &mut Sink) -> Result<(), ExtractError> {
    #[allow(unconditional_recursion)]
    fn recurse(n: u64) -> u64 {
        let pad = [n; 64];
        std::hint::black_box(&pad);
        recurse(n + 1) + pad[3]
    }
    match t {
        TestTask::Echo => sink.push_str(&String::from_utf8_lossy(bytes)),
        TestTask::EchoThenFail => {
            sink.push_str(&String::from_utf8_lossy(bytes));
            return Err(ExtractError::malformed(Format::Pdf, "bad xref"));
        }
        TestTask::Panic => {
            sink.push_str("partial");
            panic!("boom {}", 42)
        }
        TestTask::Spin => loop {
            std::hint::spin_loop();
        },
        TestTask::Overflow => {
            recurse(0);
        }
        TestTask::Hog => {
            let mut v: Vec<Vec<u8>> = Vec::new();
            loop {
                v.push(vec![1u8; 64 << 20]);
                std::hint::black_box(&v);
            }
        }
        TestTask::Pid => sink.push_str(&std::process::id().to_string()),
        TestTask::Burn => {
            let cpu_ms = || {
                let mut t = libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                };
                // SAFETY: a valid out pointer.
                unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
                t.tv_sec * 1000 + t.tv_nsec / 1_000_000
            };
            let start = cpu_ms();
            while cpu_ms() < start + 300 {
                std::hint::spin_loop();
            }
            sink.push_str(&std::process::id().to_string());
        }
    }
    Ok(())
}

/// One isolated extraction: a task, its input, and the inflate budget of archives.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Job<'a> {
    pub(crate) task: Task,
    pub(crate) bytes: &'a [u8],
    pub(crate) max_inflated: u64,
}

impl<'a> Job<'a> {
    /// Extraction of `bytes` as the isolated `format` under `limits`.
    pub(crate) fn extract(format: Format, bytes: &'a [u8], limits: &Limits) -> Self {
        debug_assert!(format.is_isolated(), "{format} runs in-process");
        Job {
            task: Task::Extract(format),
            bytes,
            max_inflated: limits.max_inflated_bytes,
        }
    }
}

/// Runs `job` as `limits.isolation` says, with at most `max_output` bytes of text.
pub(crate) fn run(job: Job<'_>, limits: &Limits, max_output: usize) -> Produced {
    match limits.isolation {
        #[cfg(unix)]
        Isolation::Worker => pool::global().run(job, limits, max_output),
        _ => in_process(job.task.format(), max_output, |sink| {
            job.task.execute(job.bytes, job.max_inflated, sink)
        }),
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
