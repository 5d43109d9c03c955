//! The caller's side of the worker pool: lending workers to jobs, forking new ones (from one
//! spawner thread), and running one job on a worker under its deadline.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use super::frame::{self, Request};
use super::{worker, Job, Produced};
use crate::error::{ExtractError, Format};
use crate::limits::Limits;

/// How long a caller sleeps between checks on a silent worker.
const POLL_SLICE: Duration = Duration::from_millis(20);

/// The most workers a pool keeps: one per core, at least 4 (callers beyond it wait for a free
/// worker), at most 64.
pub(crate) fn max_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(4, |n| n.get())
        .clamp(4, 64)
}

static GLOBAL: OnceLock<Pool> = OnceLock::new();

/// The process's pool, created on the first isolated extraction. Its idle workers are killed
/// and reaped when the process exits normally ([`reap_at_exit`]); the others die with it
/// (`PR_SET_PDEATHSIG`).
pub(crate) fn global() -> &'static Pool {
    GLOBAL.get_or_init(|| {
        // SAFETY: registering a function that only takes locks it can get without waiting.
        unsafe { libc::atexit(reap_at_exit) };
        Pool::new(max_workers())
    })
}

/// `atexit` handler: kills and reaps the global pool's idle workers, so that they neither
/// become zombies of whatever adopts them nor leave their CPU time out of the process's
/// accounting (`wait4` counts only reaped children). Skipped if the pool's lock is taken.
extern "C" fn reap_at_exit() {
    if let Some(pool) = GLOBAL.get() {
        if let Ok(mut state) = pool.state.try_lock() {
            state.live -= state.idle.len();
            state.idle.clear();
        }
    }
}

/// A request to the spawner thread: where to send the new worker.
type SpawnReply = mpsc::SyncSender<Result<Worker, String>>;

/// Long-lived worker processes, lent to one job at a time.
pub(crate) struct Pool {
    state: Mutex<State>,
    freed: Condvar,
    max: usize,
    spawner: Option<mpsc::Sender<SpawnReply>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct State {
    idle: Vec<Worker>,
    /// Workers idle or lent, and forks under way.
    live: usize,
}

impl Pool {
    /// A pool of at most `max` workers; none is forked yet.
    pub(crate) fn new(max: usize) -> Self {
        worker::quiet_panics_in_workers();
        let (tx, rx) = mpsc::channel::<SpawnReply>();
        // workers die with this thread (PR_SET_PDEATHSIG), so it lives as long as the pool
        let thread = std::thread::Builder::new()
            .name("mailfts-extract-spawner".into())
            .spawn(move || {
                for reply in rx {
                    let _ = reply.send(fork_worker());
                }
            })
            .ok();
        Pool {
            state: Mutex::new(State::default()),
            freed: Condvar::new(),
            max: max.max(1),
            spawner: thread.is_some().then_some(tx),
            thread,
        }
    }

    /// Runs `job` on a worker with at most `max_output` bytes of text, under `limits`.
    pub(crate) fn run(&self, job: Job<'_>, limits: &Limits, max_output: usize) -> Produced {
        let format = job.task.format();
        let mut lease = match self.acquire() {
            Ok(lease) => lease,
            Err(reason) => return Produced::error(ExtractError::NoWorker { format, reason }),
        };
        let worker = lease.worker.as_mut().expect("a lease holds its worker");
        match exchange(worker, job, limits, max_output) {
            Ok((produced, retire)) => {
                lease.keep = !retire;
                produced
            }
            Err(produced) => produced,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An idle live worker, or a new one while fewer than `max` exist, or the next one freed.
    fn acquire(&self) -> Result<Lease<'_>, String> {
        let mut state = self.lock();
        loop {
            while let Some(mut w) = state.idle.pop() {
                if w.running() {
                    return Ok(Lease::new(self, w));
                }
                state.live -= 1; // died while idle (killed from outside): reaped, dropped
            }
            if state.live < self.max {
                state.live += 1;
                break;
            }
            state = self.freed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        drop(state);
        match self.spawn() {
            Ok(w) => Ok(Lease::new(self, w)),
            Err(e) => {
                self.lock().live -= 1;
                self.freed.notify_one();
                Err(e)
            }
        }
    }

    /// A new worker, forked by the spawner thread.
    fn spawn(&self) -> Result<Worker, String> {
        let (tx, rx) = mpsc::sync_channel(1);
        let spawner = self.spawner.as_ref().ok_or("no spawner thread")?;
        spawner.send(tx).map_err(|_| "spawner thread gone")?;
        rx.recv().map_err(|_| "spawner thread gone")?
    }

    /// Process ids of the idle workers.
    #[cfg(test)]
    pub(crate) fn idle_pids(&self) -> Vec<libc::pid_t> {
        self.lock().idle.iter().map(|w| w.pid).collect()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // killing and reaping every idle worker (none is lent: a lease borrows the pool)
        self.lock().idle.clear();
        self.spawner = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A worker lent to one job: back to the pool afterwards if `keep`, else killed and reaped.
struct Lease<'p> {
    pool: &'p Pool,
    worker: Option<Worker>,
    keep: bool,
}

impl<'p> Lease<'p> {
    fn new(pool: &'p Pool, w: Worker) -> Self {
        Lease {
            pool,
            worker: Some(w),
            keep: false,
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let w = self.worker.take().expect("a lease holds its worker");
        if self.keep {
            self.pool.lock().idle.push(w);
        } else {
            drop(w);
            self.pool.lock().live -= 1;
        }
        self.pool.freed.notify_one();
    }
}

/// A worker process and the caller's end of its socket; killed and reaped when dropped.
struct Worker {
    pid: libc::pid_t,
    sock: OwnedFd,
    status: Option<libc::c_int>,
}

impl Worker {
    /// True while the process has not exited (reaps it if it has).
    fn running(&mut self) -> bool {
        if self.status.is_none() {
            let mut st = 0;
            // SAFETY: waitpid on our own child with a valid out pointer.
            if unsafe { libc::waitpid(self.pid, &mut st, libc::WNOHANG) } == self.pid {
                self.status = Some(st);
            }
        }
        self.status.is_none()
    }

    /// Kills and reaps the process (unless reaped already); its wait status.
    fn kill(&mut self) -> libc::c_int {
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

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Forks a worker (in the spawner thread): a socket pair, the child runs [`worker::main`].
fn fork_worker() -> Result<Worker, String> {
    let os_error = |what: &str| format!("{what}: {}", std::io::Error::last_os_error());
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: socketpair writes two descriptors into the array.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if r != 0 {
        return Err(os_error("socketpair"));
    }
    // SAFETY: both descriptors are ours and open; each is owned exactly once.
    let (ours, theirs) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the child only runs `worker::main`, which never returns (see the module docs).
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(os_error("fork"));
    }
    if pid == 0 {
        worker::main(theirs.as_raw_fd(), parent);
    }
    drop(theirs);
    // SAFETY: setting a flag on our own descriptor.
    unsafe {
        let flags = libc::fcntl(ours.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(ours.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    Ok(Worker {
        pid,
        sock: ours,
        status: None,
    })
}

/// Sends `job` to `w` and reads the response (with the worker's retire flag) before the
/// deadline. `Err` is the job's error result; the worker is then dead (killed and reaped).
fn exchange(
    w: &mut Worker,
    job: Job<'_>,
    limits: &Limits,
    max_output: usize,
) -> Result<(Produced, bool), Produced> {
    let format = job.task.format();
    let head = frame::request_head(&Request {
        task: job.task,
        max_output,
        max_inflated: job.max_inflated,
        max_memory: limits.max_worker_memory,
        cpu_seconds: limits.timeout.as_secs() + 2,
        len: job.bytes.len(),
    });
    let fd = w.sock.as_raw_fd();
    let total = head.len() + job.bytes.len();
    let mut sent = 0;
    let deadline = Instant::now() + limits.timeout;
    let mut response: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    let mut exited_polls = 0;
    loop {
        if let Some(done) = frame::decode_response(format, &response) {
            return Ok(done);
        }
        let now = Instant::now();
        if now >= deadline {
            w.kill();
            return Err(Produced::error(ExtractError::TimedOut {
                format,
                millis: limits.timeout.as_millis() as u64,
            }));
        }
        let wait = (deadline - now).min(POLL_SLICE);
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN | if sent < total { libc::POLLOUT } else { 0 },
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut pfd, 1, wait.as_millis().max(1) as libc::c_int) };
        if ready > 0 && pfd.revents & libc::POLLOUT != 0 && sent < total {
            let rest = if sent < head.len() {
                &head[sent..]
            } else {
                &job.bytes[sent - head.len()..]
            };
            // SAFETY: sending from a live buffer; no SIGPIPE if the worker is gone.
            let n = unsafe {
                libc::send(
                    fd,
                    rest.as_ptr().cast(),
                    rest.len(),
                    libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
                )
            };
            if n > 0 {
                sent += n as usize;
            } else if !retry(n) {
                return Err(died(format, w.kill()));
            }
        }
        if ready > 0 && pfd.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
            // SAFETY: reading into a buffer of the given length.
            let n = unsafe { libc::read(fd, chunk.as_mut_ptr().cast(), chunk.len()) };
            if n > 0 {
                response.extend_from_slice(&chunk[..n as usize]);
                if response.len() > max_output + (1 << 20) {
                    w.kill();
                    return Err(Produced::error(ExtractError::WorkerDied {
                        format,
                        reason: "oversized result".into(),
                    }));
                }
            } else if n == 0 || !retry(n) {
                // end of file: the worker is gone without a full response
                return Err(died(format, w.kill()));
            }
        }
        if ready == 0 && !w.running() {
            // a worker that has exited leaves nothing more to read once the socket is drained
            exited_polls += 1;
            if exited_polls > 1 {
                return Err(died(format, w.kill()));
            }
        }
    }
}

/// True when a failed `send`/`read` (returning `n`) is only to be retried.
fn retry(n: isize) -> bool {
    n < 0
        && matches!(
            std::io::Error::last_os_error().kind(),
            std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
        )
}

/// The error result of a job whose worker ended with wait status `status`.
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
    Produced::error(ExtractError::WorkerDied { format, reason })
}

#[cfg(test)]
mod tests {
    use super::super::{run, Task, TestTask};
    use super::*;

    fn limits(ms: u64) -> Limits {
        Limits {
            timeout: Duration::from_millis(ms),
            max_worker_memory: 256 << 20,
            ..Limits::default()
        }
    }

    fn job(t: TestTask, bytes: &[u8]) -> Job<'_> {
        Job {
            task: Task::Test(t),
            bytes,
            max_inflated: 0,
        }
    }

    /// The worker's process id, as it reports it.
    fn worker_pid(pool: &Pool) -> libc::pid_t {
        let p = pool.run(job(TestTask::Pid, b""), &limits(5000), 100);
        assert!(p.error.is_none(), "{:?}", p.error);
        p.text.parse().expect("a pid")
    }

    /// The state letter of a process (`R`, `S`, `Z`, …), `None` once it is gone.
    fn state(pid: libc::pid_t) -> Option<char> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat[stat.rfind(')')? + 1..].trim_start().chars().next()
    }

    /// Waits up to 5 s for `pid` to be running (`R`): a worker busy with a job, not waiting for
    /// one.
    fn wait_running(pid: libc::pid_t) -> Option<char> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while state(pid) != Some('R') && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        state(pid)
    }

    /// The processes whose parent is `parent`.
    fn children_of(parent: u32) -> Vec<libc::pid_t> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<libc::pid_t>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            let Some(close) = stat.rfind(')') else {
                continue;
            };
            let ppid = stat[close + 1..].split_whitespace().nth(1);
            if ppid.and_then(|p| p.parse::<u32>().ok()) == Some(parent) {
                out.push(pid);
            }
        }
        out
    }

    #[test]
    fn results_panics_hangs_overflows_and_allocations_stay_in_the_worker() {
        let l = limits(3000);
        let ok = run(job(TestTask::Echo, b"hello from the worker"), &l, 100);
        assert_eq!(ok.text, "hello from the worker");
        assert!(ok.error.is_none());

        let cut = run(job(TestTask::EchoThenFail, b"0123456789"), &l, 5);
        assert_eq!((cut.text.as_str(), cut.truncated), ("01234", true));
        assert_eq!(
            cut.error.unwrap().to_string(),
            "extract pdf: malformed: bad xref"
        );

        let panicked = run(job(TestTask::Panic, b""), &l, 100);
        assert_eq!(panicked.text, "partial", "{panicked:?}");
        assert!(
            matches!(panicked.error, Some(ExtractError::Panicked { ref message, .. }) if message == "boom 42")
        );

        let started = Instant::now();
        let hung = run(job(TestTask::Spin, b""), &limits(200), 100);
        assert!(matches!(
            hung.error,
            Some(ExtractError::TimedOut { millis: 200, .. })
        ));
        assert!(started.elapsed() < Duration::from_secs(2));

        let overflow = run(job(TestTask::Overflow, b""), &l, 100);
        assert!(
            matches!(overflow.error, Some(ExtractError::WorkerDied { .. })),
            "{:?}",
            overflow.error
        );

        let hog = run(job(TestTask::Hog, b""), &l, 100);
        assert!(
            matches!(hog.error, Some(ExtractError::WorkerDied { .. })),
            "{:?}",
            hog.error
        );
    }

    #[test]
    fn workers_are_reused_then_recycled_and_a_panic_retires_one() {
        let pool = Pool::new(1);
        let first = worker_pid(&pool);
        for _ in 1..worker::MAX_JOBS {
            assert_eq!(worker_pid(&pool), first, "one long-lived worker");
        }
        let second = worker_pid(&pool);
        assert_ne!(second, first, "recycled after {} jobs", worker::MAX_JOBS);
        assert_eq!(state(first), None, "the retired worker was reaped");
        let p = pool.run(job(TestTask::Panic, b""), &limits(5000), 100);
        assert!(matches!(p.error, Some(ExtractError::Panicked { .. })));
        assert_ne!(worker_pid(&pool), second, "a worker that panicked retires");
        assert_eq!(state(second), None);
    }

    #[test]
    fn a_worker_killed_mid_job_fails_that_job_only() {
        let pool = Pool::new(1);
        let pid = worker_pid(&pool);
        let killer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            assert_eq!(wait_running(pid), Some('R'), "spinning");
            // SAFETY: signalling a process we forked and have not reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        });
        let started = Instant::now();
        let p = pool.run(job(TestTask::Spin, b""), &limits(20_000), 100);
        killer.join().unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            p.error.map(|e| e.to_string()).as_deref(),
            Some("extract pdf: worker died: signal 9: killed")
        );
        assert_eq!(state(pid), None, "reaped");
        let fresh = worker_pid(&pool);
        assert_ne!(fresh, pid);
        let ok = pool.run(job(TestTask::Echo, b"after the kill"), &limits(5000), 100);
        assert_eq!((ok.text.as_str(), ok.error), ("after the kill", None));
        assert_eq!(worker_pid(&pool), fresh, "the fresh worker stays");

        // killed while idle: the next job notices and forks another
        // SAFETY: as above.
        unsafe { libc::kill(fresh, libc::SIGKILL) };
        std::thread::sleep(Duration::from_millis(100));
        let ok = pool.run(job(TestTask::Echo, b"idle kill"), &limits(5000), 100);
        assert_eq!((ok.text.as_str(), ok.error), ("idle kill", None));
    }

    #[test]
    fn a_hang_times_out_and_the_pool_still_works() {
        let pool = Pool::new(1);
        let pid = worker_pid(&pool);
        let started = Instant::now();
        let p = pool.run(job(TestTask::Spin, b""), &limits(300), 100);
        assert_eq!(
            p.error.map(|e| e.to_string()).as_deref(),
            Some("extract pdf: no result within 300 ms; worker killed")
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(state(pid), None, "killed and reaped");
        let ok = pool.run(job(TestTask::Echo, b"still here"), &limits(5000), 100);
        assert_eq!((ok.text.as_str(), ok.error), ("still here", None));
    }

    #[test]
    fn many_jobs_from_rayon_threads_get_their_own_results() {
        let pool = Pool::new(3);
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(6)
            .build()
            .unwrap();
        let big = "x".repeat(300_000); // more than a socket buffer, both ways
        let results: Vec<(usize, Produced)> = threads.install(|| {
            use rayon::prelude::*;
            (0..300usize)
                .into_par_iter()
                .map(|i| {
                    let input = format!("job {i} {}", if i % 7 == 0 { &big[..] } else { "" });
                    let task = if i % 10 == 3 {
                        TestTask::Panic
                    } else {
                        TestTask::Echo
                    };
                    (
                        i,
                        pool.run(job(task, input.as_bytes()), &limits(20_000), 1 << 20),
                    )
                })
                .collect()
        });
        for (i, p) in results {
            if i % 10 == 3 {
                assert_eq!(p.text, "partial");
                assert!(matches!(p.error, Some(ExtractError::Panicked { .. })));
            } else {
                assert!(p.error.is_none(), "{i}: {:?}", p.error);
                let want = format!("job {i} {}", if i % 7 == 0 { &big[..] } else { "" });
                assert!(p.text == want, "job {i}: {:.40}", p.text);
            }
        }
        let idle = pool.idle_pids();
        assert!(!idle.is_empty() && idle.len() <= 3, "{idle:?}");
        drop(pool);
        for pid in idle {
            assert_eq!(state(pid), None, "{pid} killed and reaped with the pool");
        }
    }

    #[test]
    fn dropping_the_pool_leaves_no_worker_process() {
        let pool = Pool::new(2);
        std::thread::scope(|s| {
            s.spawn(|| pool.run(job(TestTask::Spin, b""), &limits(400), 100));
            std::thread::sleep(Duration::from_millis(100));
            worker_pid(&pool);
        });
        let pids = pool.idle_pids();
        assert_eq!(pids.len(), 1, "the spinning one was killed: {pids:?}");
        assert!(children_of(std::process::id()).contains(&pids[0]));
        drop(pool);
        assert!(
            !children_of(std::process::id()).contains(&pids[0]),
            "reaped: no zombie"
        );
        assert_eq!(state(pids[0]), None);
    }

    /// Not a test by itself: the process that [`workers_die_with_their_parent`] starts and
    /// ends. It keeps two workers spinning, prints their ids, and when its stdin is closed exits
    /// or waits to be killed.
    #[test]
    #[ignore = "helper process of workers_die_with_their_parent"]
    fn parent_helper() {
        let Ok(mode) = std::env::var("MAILFTS_POOL_HELPER") else {
            return;
        };
        if mode == "idle" {
            // an idle worker of the global pool that has used 300 ms of CPU
            let p = run(job(TestTask::Burn, b""), &limits(10_000), 100);
            assert!(p.error.is_none(), "{:?}", p.error);
            println!("workers [{}]", p.text);
            use std::io::{Read, Write};
            std::io::stdout().flush().unwrap();
            std::io::stdin().read_to_end(&mut Vec::new()).unwrap();
            std::process::exit(0);
        }
        let pool: &'static Pool = Box::leak(Box::new(Pool::new(2)));
        for _ in 0..2 {
            std::thread::spawn(|| pool.run(job(TestTask::Spin, b""), &limits(60_000), 100));
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut workers = children_of(std::process::id());
        while workers.len() < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            workers = children_of(std::process::id());
        }
        println!("workers {workers:?}");
        use std::io::{Read, Write};
        std::io::stdout().flush().unwrap();
        // until the test has seen the workers running
        std::io::stdin().read_to_end(&mut Vec::new()).unwrap();
        if mode == "exit" {
            std::process::exit(0);
        }
        std::thread::sleep(Duration::from_secs(60));
    }

    #[test]
    fn workers_die_with_their_parent() {
        for mode in ["exit", "kill", "idle"] {
            let mut helper = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "isolate::pool::tests::parent_helper",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("MAILFTS_POOL_HELPER", mode)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::BufRead;
            // the test harness prints its own lines first
            let mut out = std::io::BufReader::new(helper.stdout.take().unwrap());
            let mut line = String::new();
            while !line.contains("workers [") && out.read_line(&mut line).unwrap() > 0 {
                if !line.contains("workers [") {
                    line.clear();
                }
            }
            let pids: Vec<libc::pid_t> = line
                .trim()
                .split_once("workers [")
                .map(|(_, l)| l)
                .and_then(|l| l.strip_suffix(']'))
                .unwrap_or_else(|| panic!("{mode}: {line:?}"))
                .split(", ")
                .map(|p| p.parse().unwrap())
                .collect();
            if mode == "idle" {
                assert_eq!(pids.len(), 1, "{line:?}");
                let alive = state(pids[0]);
                assert!(matches!(alive, Some('R' | 'S')), "{line:?}: {alive:?}");
                drop(helper.stdin.take());
                let mut status = 0;
                // SAFETY: an all-zero rusage is valid; waiting for our own child.
                let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
                let r =
                    unsafe { libc::wait4(helper.id() as libc::pid_t, &mut status, 0, &mut usage) };
                assert_eq!(r, helper.id() as libc::pid_t);
                assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
                // the helper reaped its idle worker at exit: the worker's CPU time is in its
                // own (it did nothing else that costs 250 ms)
                let cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000
                    + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
                assert!(cpu_ms >= 250, "{cpu_ms} ms: the worker was not reaped");
                assert_eq!(state(pids[0]), None, "reaped, not a zombie");
                continue;
            }
            assert_eq!(pids.len(), 2, "{mode}: {line:?}");
            for &pid in &pids {
                assert_eq!(wait_running(pid), Some('R'), "{mode}: {pid} spins");
            }
            drop(helper.stdin.take());
            if mode == "kill" {
                std::thread::sleep(Duration::from_millis(100));
                helper.kill().unwrap();
            }
            helper.wait().unwrap();
            let deadline = Instant::now() + Duration::from_secs(5);
            // gone, or a zombie until whoever adopted it reaps it: either way not running
            while pids.iter().any(|&p| !matches!(state(p), None | Some('Z')))
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            for &pid in &pids {
                assert!(
                    matches!(state(pid), None | Some('Z')),
                    "{mode}: worker {pid} outlived its parent: {:?}",
                    state(pid)
                );
            }
        }
    }
}
