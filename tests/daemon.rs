//! End-to-end tests of `mailfts serve`: real daemons on loopback, real Maildirs in temporary
//! directories, deliveries the way an MDA makes them (write to `tmp/`, rename into `new/`), and
//! clients over gRPC (Rust, generated from the same proto; Python grpcio when installed), the
//! local socket (`mailfts hook saved`) and the metrics endpoint. Every wait is a poll with a deadline.
//! A test whose tool (python3 with grpcio, haproxy, openssl) is missing is skipped, unless `CI` is
//! set: then it fails.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mailfts_corpora::tools::{output_ok, require, require_tool};
use mailfts_corpora::{write_maildir, CorpusSpec};
use support::{open_files_limits, write_passwd, Imap, Served, DEADLINE, TEST_SOFT_NOFILE, TOKEN};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

mod pb {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("mailfts.v1");
}

use pb::mailfts_client::MailftsClient;

/// The gRPC side of [`Served`] (the daemon's start and stop are in `support`).
impl Served {
    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.grpc))
            .unwrap()
            .connect()
            .await
            .expect("connect to the daemon")
    }

    async fn client(&self) -> MailftsClient<InterceptedService<Channel, Bearer>> {
        MailftsClient::with_interceptor(self.channel().await, Bearer(TOKEN))
    }
}

/// Adds the bearer token to every call.
#[derive(Clone)]
struct Bearer(&'static str);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        req.metadata_mut().insert(
            "authorization",
            format!("Bearer {}", self.0).parse().unwrap(),
        );
        Ok(req)
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Polls `f` until it gives `Some`, failing after [`DEADLINE`] with `what`.
async fn poll<T>(what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(started.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Delivers like an MDA: write into `tmp/`, then rename into `new/`. Returns the final path.
fn deliver(folder: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let tmp = folder.join("tmp").join(name);
    std::fs::write(&tmp, bytes).unwrap();
    let new = folder.join("new").join(name);
    std::fs::rename(&tmp, &new).unwrap();
    new
}

fn message(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Carol <carol@example.net>\r\nTo: alice@example.org\r\nSubject: {subject}\r\n\
         Date: Mon, 3 Jun 2024 10:00:00 +0000\r\nMessage-ID: <{}@test>\r\n\r\n{body}\r\n",
        subject.replace(' ', ".")
    )
    .into_bytes()
}

fn search_req(user: &str, query: &str) -> pb::SearchRequest {
    pb::SearchRequest {
        user: user.into(),
        mailbox: "INBOX".into(),
        query: query.into(),
        ..Default::default()
    }
}

async fn user_status(
    c: &mut MailftsClient<InterceptedService<Channel, Bearer>>,
    user: &str,
) -> pb::UserStatus {
    c.status(pb::StatusRequest { user: user.into() })
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap()
}

/// Rescans `user` and waits for the end: the last progress message.
async fn rescan_to_end(
    c: &mut MailftsClient<InterceptedService<Channel, Bearer>>,
    user: &str,
) -> pb::RescanProgress {
    let mut stream = c
        .rescan(pb::RescanRequest {
            user: user.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut last = None;
    while let Some(p) = stream.message().await.unwrap() {
        last = Some(p);
    }
    last.expect("progress messages")
}

/// Every mailbox: all messages indexed, each once, and the high-water mark at the last UID.
fn caught_up(st: &pb::UserStatus) -> bool {
    st.has_index
        && st.mailboxes.iter().all(|m| {
            m.in_index == m.in_store && m.documents == m.in_index && m.high_water + 1 >= m.uid_next
        })
}

/// A generated home for `alice` in `dir` (`seed`, `messages`) and the passwd-file that serves it.
fn alice_home(dir: &Path, seed: u64, messages: usize) -> (PathBuf, PathBuf) {
    let home = dir.join("alice");
    write_maildir(
        &CorpusSpec::new(seed, messages),
        &home.join("Maildir"),
        &mut |_| {},
    )
    .unwrap();
    let passwd = write_passwd(dir, &[("alice", &home)]);
    (home, passwd)
}

/// Waits until the daemon's startup check has indexed all of `user`'s mail.
async fn wait_indexed(c: &mut MailftsClient<InterceptedService<Channel, Bearer>>, user: &str) {
    poll("the startup check to index the home", async || {
        caught_up(&user_status(c, user).await).then_some(())
    })
    .await;
}

fn code<T>(r: Result<T, Status>) -> Code {
    match r {
        Ok(_) => Code::Ok,
        Err(s) => s.code(),
    }
}

#[test]
fn a_delivery_becomes_findable_over_grpc_and_the_service_guards_itself() {
    let dir = tempfile::tempdir().unwrap();
    let (home, passwd) = alice_home(dir.path(), 7, 60);
    let served = Served::start(dir.path(), &passwd, "a");
    // started with the customary soft limit of open files, the daemon raised it (each open index
    // holds a descriptor per segment for its posting lists)
    let (soft, hard) = open_files_limits(served.child.id());
    let wanted = hard.parse::<u64>().unwrap_or(u64::MAX).min(1 << 20);
    if wanted > TEST_SOFT_NOFILE {
        assert_eq!(soft, wanted.to_string(), "hard limit {hard}");
    }
    let rt = runtime();
    rt.block_on(async {
        let mut c = served.client().await;
        // the startup check builds the index
        wait_indexed(&mut c, "alice").await;

        // an MDA delivery is found, and soon from the index rather than the tail scan
        let inbox = home.join("Maildir");
        deliver(
            &inbox,
            "1717400000.M1P1.mda",
            &message("zebra crossing 4711", "the quokkaword appears here"),
        );
        let uid = poll("the delivery to be indexed", async || {
            let r = c
                .search(search_req("alice", "BODY quokkaword"))
                .await
                .unwrap()
                .into_inner();
            let mb = &r.mailboxes[0];
            let plan = mb.plan.as_ref().unwrap();
            (mb.uids.len() == 1 && plan.tail_scanned == 0 && plan.source == "index")
                .then(|| mb.uids[0])
        })
        .await;
        let all = c
            .search(pb::SearchRequest {
                user: "alice".into(),
                all_mailboxes: true,
                query: "SUBJECT \"zebra crossing\"".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let found: Vec<(&str, &[u32])> = all
            .mailboxes
            .iter()
            .filter(|m| !m.uids.is_empty())
            .map(|m| (m.mailbox.as_str(), m.uids.as_slice()))
            .collect();
        assert_eq!(found, [("INBOX", &[uid][..])]);
        for mode in [pb::SearchMode::Exact, pb::SearchMode::Scan] {
            let mut q = search_req("alice", "BODY quokkaword");
            q.mode = mode as i32;
            let r = c.search(q).await.unwrap().into_inner();
            assert_eq!(r.mailboxes[0].uids, [uid], "{mode:?}");
        }

        // errors: unknown user, bad program with its position, unknown mailbox
        let e = c.search(search_req("mallory", "ALL")).await.unwrap_err();
        assert_eq!(e.code(), Code::NotFound, "{e:?}");
        let e = c
            .search(search_req("alice", "SINCE 31-Feb-2024"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
        assert!(e.message().contains("at byte 6"), "{}", e.message());
        let mut q = search_req("alice", "ALL");
        q.mailbox = "No.Such.Box".into();
        assert_eq!(c.search(q).await.unwrap_err().code(), Code::NotFound);

        // no token, a wrong token: refused; health needs none
        let mut bare = MailftsClient::new(served.channel().await);
        assert_eq!(
            code(bare.search(search_req("alice", "ALL")).await),
            Code::Unauthenticated
        );
        assert_eq!(
            code(bare.status(pb::StatusRequest::default()).await),
            Code::Unauthenticated
        );
        let mut wrong = MailftsClient::with_interceptor(served.channel().await, Bearer("nope"));
        assert_eq!(
            code(wrong.search(search_req("alice", "ALL")).await),
            Code::Unauthenticated
        );
        let mut health = tonic_health::pb::health_client::HealthClient::new(served.channel().await);
        let h = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            h.status,
            tonic_health::pb::health_check_response::ServingStatus::Serving as i32
        );

        // reflection lists the service (with the token; without it, refused)
        let services = list_services(&served, Some(TOKEN)).await.unwrap();
        assert!(
            services.contains(&"mailfts.v1.Mailfts".to_string()),
            "{services:?}"
        );
        assert!(
            services.contains(&"grpc.health.v1.Health".to_string()),
            "{services:?}"
        );
        assert_eq!(
            list_services(&served, None).await.unwrap_err().code(),
            Code::Unauthenticated
        );

        // the delivery hook over the local socket: returns once the message is committed
        let file = deliver(
            &inbox,
            "1717400001.M2P1.mda",
            &message("hook test", "narwhalword"),
        );
        let out = output_ok(
            Command::new(env!("CARGO_BIN_EXE_mailfts"))
                .args([
                    "hook",
                    "saved",
                    "--user",
                    "alice",
                    "--mailbox",
                    "INBOX",
                    "--strict",
                    "--socket",
                ])
                .arg(&served.socket)
                .arg(&file),
        );
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("indexed"));
        let r = c
            .search(search_req("alice", "BODY narwhalword"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.mailboxes[0].uids.len(), 1);
        assert_eq!(
            r.mailboxes[0].plan.as_ref().unwrap().tail_scanned,
            0,
            "committed before the hook returned"
        );
        let out = Command::new(env!("CARGO_BIN_EXE_mailfts"))
            .args(["hook", "saved", "--user", "nobody", "--strict", "--socket"])
            .arg(&served.socket)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(75),
            "unknown user: EX_TEMPFAIL with --strict"
        );

        // IndexMessages over TCP, a streamed rescan, an optimize
        let r = c
            .index_messages(pb::IndexMessagesRequest {
                user: "alice".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(r.committed && r.high_water >= uid);
        let last = rescan_to_end(&mut c, "alice").await;
        assert_eq!(last.state, pb::rescan_progress::State::Done as i32);
        assert_eq!(last.users_done, 1);
        let o = c
            .optimize(pb::OptimizeRequest {
                user: "alice".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(o.results[0].error, "");
        assert!(o.results[0].segments_after <= 1, "{o:?}");
        let r = c
            .search(search_req("alice", "BODY quokkaword"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.mailboxes[0].uids, [uid], "same answer after the merge");
    });

    python_client(&served, &home);

    let metrics = served.metrics_text();
    for needle in [
        "mailfts_documents_indexed_total ",
        "mailfts_grpc_calls_total{method=\"Search\",code=\"Ok\"}",
        "mailfts_grpc_calls_total{method=\"Search\",code=\"Unauthenticated\"}",
        "mailfts_search_duration_seconds_bucket{plan=\"index\",le=\"+Inf\"}",
        "mailfts_imap_sessions_total ",
        "mailfts_rescan_messages_done ",
    ] {
        assert!(
            metrics.contains(needle),
            "{needle} missing from:\n{metrics}"
        );
    }

    let log = served.log();
    let status = served.terminate();
    assert!(status.success(), "SIGTERM: exit 0, got {status:?}\n{log}");
}

/// Lists the services through server reflection (v1).
async fn list_services(
    served: &Served,
    token: Option<&'static str>,
) -> Result<Vec<String>, Status> {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    let mut client = ServerReflectionClient::new(served.channel().await);
    let mut req = Request::new(tokio_stream::iter(vec![ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    }]));
    if let Some(t) = token {
        req.metadata_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    let mut stream = client.server_reflection_info(req).await?.into_inner();
    let mut names = Vec::new();
    while let Some(r) = stream.message().await? {
        if let Some(MessageResponse::ListServicesResponse(l)) = r.message_response {
            names.extend(l.service.into_iter().map(|s| s.name));
        }
    }
    Ok(names)
}

/// Whether python3 can import `modules` (Python grpcio's packages), through [`require`]: `false`
/// (the check is skipped) when it cannot, a failed test when it cannot and `CI` is set.
#[track_caller]
fn python_with(modules: &str) -> bool {
    let Some(python) = require_tool("python3") else {
        return false;
    };
    let have = Command::new(python)
        .args(["-c", &format!("import {modules}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    require(
        have,
        &format!(
            "python3 cannot import {modules} (pip install grpcio grpcio-tools grpcio-reflection)"
        ),
    )
}

/// The Python grpcio client (tests/py/check_daemon.py), when python3 with grpcio, grpcio-tools and
/// grpcio-reflection is installed (`.ci/run` installs them).
fn python_client(served: &Served, _home: &Path) {
    if !python_with("grpc, grpc_tools, grpc_reflection") {
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/check_daemon.py");
    let out = Command::new("python3")
        .arg(script)
        .args([
            "--addr",
            &served.grpc,
            "--token",
            TOKEN,
            "--user",
            "alice",
            "--word",
            "quokkaword",
        ])
        .arg("--proto")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/proto"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python client failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn kill_9_in_a_burst_of_2000_deliveries_loses_nothing_and_duplicates_nothing() {
    const N: usize = 2000;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("bob");
    let maildir = home.join("Maildir");
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let passwd = write_passwd(dir.path(), &[("bob", &home)]);
    let served = Served::start(dir.path(), &passwd, "first");
    let delivered = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    // Deliveries go on before, during and after the kill; halfway the burst waits for the kill,
    // so that it always lands in the middle however fast this machine is.
    let burst = {
        let (maildir, delivered, killed) = (maildir.clone(), delivered.clone(), killed.clone());
        std::thread::spawn(move || {
            for i in 0..N {
                if i == N / 2 {
                    while !killed.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
                let name = format!("1717500000.M{i}P42.burst");
                let body = format!("burstmarker number {i}");
                deliver(
                    &maildir,
                    &name,
                    &message(&format!("burst {i:04} end"), &body),
                );
                delivered.store(i + 1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let rt = runtime();
    // kill once the daemon has committed part of the burst while deliveries go on
    rt.block_on(async {
        let mut c = served.client().await;
        poll("part of the burst to be indexed", async || {
            let st = user_status(&mut c, "bob").await;
            let indexed = st.mailboxes.first().map_or(0, |m| m.in_index);
            (indexed > 0 && delivered.load(Ordering::SeqCst) >= 300).then_some(())
        })
        .await;
    });
    let at_kill = delivered.load(Ordering::SeqCst);
    let log = served.log();
    served.kill_9();
    eprintln!(
        "killed after {at_kill} deliveries, {} commits logged",
        log.matches("committed").count()
    );
    killed.store(true, Ordering::SeqCst);
    assert!(at_kill <= N / 2);

    // restarted while the second half of the burst is being delivered
    let served = Served::start(dir.path(), &passwd, "second");
    burst.join().unwrap();
    rt.block_on(async {
        let mut c = served.client().await;
        let st = poll("the restarted daemon to catch up", async || {
            let st = user_status(&mut c, "bob").await;
            (caught_up(&st) && st.mailboxes[0].in_store == N as u64).then_some(st)
        })
        .await;
        let inbox = &st.mailboxes[0];
        assert_eq!(
            (inbox.in_index, inbox.documents),
            (N as u64, N as u64),
            "{inbox:?}"
        );

        // every delivered file is one message, found from the index, each once
        let files = ["new", "cur"]
            .iter()
            .map(|s| std::fs::read_dir(maildir.join(s)).unwrap().count())
            .sum::<usize>();
        assert_eq!(files, N);
        let r = c
            .search(search_req("bob", "BODY burstmarker"))
            .await
            .unwrap()
            .into_inner();
        let mb = &r.mailboxes[0];
        assert_eq!(mb.plan.as_ref().unwrap().tail_scanned, 0, "{:?}", mb.plan);
        let mut uids = mb.uids.clone();
        uids.dedup();
        assert_eq!(uids.len(), N);
        let all = c
            .search(search_req("bob", "ALL"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(all.mailboxes[0].uids, mb.uids);
        for i in [0, 1, at_kill - 1, at_kill, at_kill + 1, N - 1] {
            let r = c
                .search(search_req("bob", &format!("SUBJECT \"burst {i:04} end\"")))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(r.mailboxes[0].uids.len(), 1, "message {i}");
        }
    });
    let status = served.terminate();
    assert!(status.success());
}

#[test]
fn serve_explains_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_mailfts"))
            .arg("serve")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("passwd"), "{err}");
    let passwd = write_passwd(dir.path(), &[("alice", &dir.path().join("alice"))]);
    let p = passwd.to_str().unwrap();
    let (code, err) = run(&["--passwd", p, "--grpc-listen", "127.0.0.1:0"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("token"), "{err}");
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[indexing]\nworkerz = 3\n").unwrap();
    let (code, err) = run(&["--config", cfg.to_str().unwrap(), "--passwd", p]);
    assert_eq!(code, Some(2));
    assert!(err.contains("workerz"), "{err}");
}

fn exists_of(lines: &[String]) -> Option<u32> {
    lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("* ")?.strip_suffix(" EXISTS")?.parse().ok())
}

#[test]
fn an_imap_idle_client_is_told_exists_and_imap_search_finds_the_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let (home, passwd) = alice_home(dir.path(), 11, 20);
    let served = Served::start_with(
        dir.path(),
        &passwd,
        "imap",
        &["--imap-listen", "127.0.0.1:0", "--imap-allow-plaintext"],
    );
    let mut imap = Imap::connect(served.imap.as_deref().expect("imap address printed"));
    imap.command("a1", "LOGIN alice pw-alice");
    let before = exists_of(&imap.command("a2", "SELECT INBOX")).expect("EXISTS after SELECT");
    imap.send("a3 IDLE");
    let cont = imap.line_until(Instant::now() + DEADLINE).unwrap();
    assert!(cont.starts_with('+'), "{cont}");
    deliver(
        &home.join("Maildir"),
        "1717600000.M9P9.mda",
        &message("idle news", "wombatword inside"),
    );
    let deadline = Instant::now() + DEADLINE;
    let now = loop {
        let line = imap.line_until(deadline).expect("EXISTS while idling");
        if let Some(n) = exists_of(std::slice::from_ref(&line)) {
            break n;
        }
    };
    assert_eq!(now, before + 1);
    imap.send("DONE");
    loop {
        let line = imap.line_until(Instant::now() + DEADLINE).unwrap();
        if line.starts_with("a3 ") {
            assert!(line.starts_with("a3 OK"), "{line}");
            break;
        }
    }
    let found = imap.command("a4", "UID SEARCH BODY wombatword");
    let uids: Vec<&String> = found
        .iter()
        .filter(|l| l.starts_with("* SEARCH "))
        .collect();
    assert_eq!(uids.len(), 1, "{found:?}");
    assert_eq!(uids[0].split(' ').count(), 3, "one UID: {found:?}");
    // and the daemon indexes it: gRPC finds it from the index
    let rt = runtime();
    rt.block_on(async {
        let mut c = served.client().await;
        poll("the delivery to be indexed", async || {
            let r = c
                .search(search_req("alice", "BODY wombatword"))
                .await
                .unwrap()
                .into_inner();
            let mb = &r.mailboxes[0];
            (mb.uids.len() == 1 && mb.plan.as_ref().unwrap().tail_scanned == 0).then_some(())
        })
        .await;
    });
    imap.command("a5", "LOGOUT");
    // the IMAP server reported its session and commands to the metrics
    let metrics = served.metrics_text();
    for needle in [
        "mailfts_imap_sessions_total 1\n",
        "mailfts_imap_commands_total{command=\"UID SEARCH\",status=\"OK\"} 1\n",
        "mailfts_imap_commands_total{command=\"IDLE\",status=\"OK\"} 1\n",
        "mailfts_imap_logins_total{result=\"ok\"} 1\n",
        "mailfts_imap_command_duration_seconds_count{command=\"SELECT\"} 1\n",
    ] {
        assert!(
            metrics.contains(needle),
            "{needle} missing from:\n{metrics}"
        );
    }
    assert!(served.terminate().success());
}

/// A daemon serving one user's generated home in `dir`, with rescans committing every `batch`
/// messages and nothing indexed until asked (no startup check, no watcher).
fn serve_one_home(dir: &Path, user: &str, spec: &CorpusSpec, batch: usize) -> Served {
    let home = dir.join(user);
    write_maildir(spec, &home.join("Maildir"), &mut |_| {}).unwrap();
    let passwd = write_passwd(dir, &[(user, &home)]);
    let config = dir.join("mailfts.toml");
    std::fs::write(
        &config,
        format!("[indexing]\nbatch_messages = {batch}\nstartup_check = false\nwatch = false\n"),
    )
    .unwrap();
    Served::start_with(dir, &passwd, user, &["--config", config.to_str().unwrap()])
}

/// Starts a rescan of every user, goes away (drops the progress stream) once it reports `done`
/// messages, and waits until the daemon has stopped it.
async fn rescan_and_go_away(
    served: &Served,
    c: &mut MailftsClient<InterceptedService<Channel, Bearer>>,
    done: u64,
) {
    let mut stream = c
        .rescan(pb::RescanRequest {
            all_users: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    while let Some(p) = stream.message().await.unwrap() {
        assert_ne!(
            p.state,
            pb::rescan_progress::State::Done as i32,
            "finished before the cancel"
        );
        if p.done >= done {
            break;
        }
    }
    drop(stream); // the client goes away
    poll("the rescan to stop", async || {
        served
            .metrics_text()
            .contains("\nmailfts_rescan_running 0\n")
            .then_some(())
    })
    .await;
}

#[test]
fn a_rescan_stops_when_its_client_goes_away_and_the_next_one_resumes() {
    const N: usize = 3000;
    let dir = tempfile::tempdir().unwrap();
    let served = serve_one_home(dir.path(), "carol", &CorpusSpec::new(5, N), 100);
    let rt = runtime();
    rt.block_on(async {
        let mut c = served.client().await;
        rescan_and_go_away(&served, &mut c, 200).await;
        let st = user_status(&mut c, "carol").await;
        let (indexed, docs): (u64, u64) = st
            .mailboxes
            .iter()
            .map(|m| (m.in_index, m.documents))
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        assert!(
            indexed >= 100 && indexed < N as u64,
            "stopped early with its commits kept: {indexed}"
        );
        assert_eq!(docs, indexed, "no duplicates");

        // the next rescan resumes: it adds only what is missing
        let stats = rescan_to_end(&mut c, "carol").await.stats.unwrap();
        assert_eq!(stats.added, N as u64 - indexed);
        let st = user_status(&mut c, "carol").await;
        assert!(caught_up(&st), "{st:?}");
    });
    assert!(served.terminate().success());
}

/// A rescan's cancellation does not wait for its commit's worth of messages: the first build of a
/// small mailbox is one call and one commit of every message, and a client that goes away stops
/// it within a few hundred messages, with what was added committed (it ran to the end before).
#[test]
fn a_cancelled_first_build_stops_within_a_few_hundred_messages() {
    const N: usize = 8000;
    let dir = tempfile::tempdir().unwrap();
    let spec = CorpusSpec {
        folders: vec!["INBOX".into()],
        ..CorpusSpec::new(6, N)
    };
    // the default batch: the first build of these 8,000 messages is one commit
    let served = serve_one_home(dir.path(), "erin", &spec, 10_000);
    let rt = runtime();
    rt.block_on(async {
        let mut c = served.client().await;
        rescan_and_go_away(&served, &mut c, 256).await;
        let st = user_status(&mut c, "erin").await;
        let indexed: u64 = st.mailboxes.iter().map(|m| m.in_index).sum();
        assert!(
            indexed >= 256 && indexed < N as u64 / 2,
            "stopped early with what it added committed: {indexed} of {N}"
        );
        let stats = rescan_to_end(&mut c, "erin").await.stats.unwrap();
        assert_eq!(stats.added, N as u64 - indexed);
    });
    assert!(served.terminate().success());
}

/// A rescan in chunks (`batch_messages`, each chunk a commit under the write lock) merges the
/// index into one segment once, after its last chunk: not after every chunk (which rewrote the
/// whole index each time), and not never (chunks that each add fewer than
/// `MERGE_AFTER_ADDED` messages left one segment per chunk).
#[test]
fn a_rescan_in_chunks_merges_the_index_once_after_its_last_chunk() {
    const N: usize = 1600;
    let dir = tempfile::tempdir().unwrap();
    let spec = CorpusSpec {
        folders: vec!["INBOX".into()],
        ..CorpusSpec::new(8, N)
    };
    let served = serve_one_home(dir.path(), "dave", &spec, 300);
    let rt = runtime();
    rt.block_on(async {
        let mut c = served.client().await;
        let stats = rescan_to_end(&mut c, "dave").await.stats.unwrap();
        assert_eq!(stats.added, N as u64);
        let st = user_status(&mut c, "dave").await;
        assert!(caught_up(&st), "{st:?}");
        assert_eq!(st.segments, 1, "{st:?}");
    });
    let log = served.log();
    let commits = log.matches(" committed ").count();
    let merges = log.matches("merged the index into one segment").count();
    assert!(commits >= 3, "a rescan in chunks: {commits} commits\n{log}");
    assert_eq!(merges, 1, "one merge, after the last chunk\n{log}");
    assert!(served.terminate().success());
}

/// docs/scale-out/run-haproxy-demo.sh: two daemons behind HAProxy, routed by user. Runs when
/// haproxy and Python grpcio are installed (always under CI).
#[test]
fn two_daemons_behind_haproxy_answer_their_own_users() {
    if require_tool("haproxy").is_none() || !python_with("grpc, grpc_tools") {
        return;
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/scale-out/run-haproxy-demo.sh"
    );
    let out = Command::new("bash")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_mailfts"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("scale-out demo: ok"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes a CA, a server certificate for localhost/127.0.0.1 and a client certificate with openssl.
fn make_certs(dir: &Path) {
    let sh = |script: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let made = sh("set -e
            ec='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'
            openssl req -x509 $ec -keyout ca.key -out ca.pem -days 2 -subj /CN=mailfts-test-ca
            openssl req $ec -keyout server.key -out server.csr -subj /CN=localhost
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' > server.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext
            openssl req $ec -keyout client.key -out client.csr -subj /CN=portal
            printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' > client.ext
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 -extfile client.ext");
    assert!(made, "openssl could not make the test certificates");
}

#[test]
fn grpc_over_tls_accepts_a_client_certificate_or_the_token() {
    use tonic::transport::{Certificate, ClientTlsConfig, Identity};
    let dir = tempfile::tempdir().unwrap();
    if require_tool("openssl").is_none() {
        return;
    }
    make_certs(dir.path());
    let (_, passwd) = alice_home(dir.path(), 3, 10);
    let config = dir.path().join("mailfts.toml");
    std::fs::write(
        &config,
        "[tls]\ngrpc = true\ncert = \"server.pem\"\nkey = \"server.key\"\nclient_ca = \"ca.pem\"\n",
    )
    .unwrap();
    let served = Served::start_with(
        dir.path(),
        &passwd,
        "tls",
        &["--config", config.to_str().unwrap()],
    );
    let read = |f: &str| std::fs::read(dir.path().join(f)).unwrap();
    let rt = runtime();
    rt.block_on(async {
        let connect = |identity: Option<Identity>| {
            let mut tls = ClientTlsConfig::new()
                .domain_name("localhost")
                .ca_certificate(Certificate::from_pem(read("ca.pem")));
            if let Some(id) = identity {
                tls = tls.identity(id);
            }
            let endpoint = Channel::from_shared(format!("https://{}", served.grpc))
                .unwrap()
                .tls_config(tls)
                .unwrap();
            async move { endpoint.connect().await.expect("TLS connect") }
        };
        let status = pb::StatusRequest {
            user: "alice".into(),
        };
        // the token over TLS
        let mut c = MailftsClient::with_interceptor(connect(None).await, Bearer(TOKEN));
        c.status(status.clone()).await.unwrap();
        // a client certificate and no token
        let id = Identity::from_pem(read("client.pem"), read("client.key"));
        let mut c = MailftsClient::new(connect(Some(id)).await);
        let st = c.status(status.clone()).await.unwrap().into_inner();
        assert_eq!(st.user.unwrap().user, "alice");
        // neither
        let mut c = MailftsClient::new(connect(None).await);
        assert_eq!(code(c.status(status.clone()).await), Code::Unauthenticated);
        // plaintext is not spoken
        let plain = Channel::from_shared(format!("http://{}", served.grpc)).unwrap();
        if let Ok(ch) = plain.connect().await {
            let mut c = MailftsClient::with_interceptor(ch, Bearer(TOKEN));
            assert!(c.status(status).await.is_err());
        }
    });
    assert!(served.terminate().success());
}

/// A damaged index (flipped bytes in the largest postings file) is found by the daemon's startup
/// integrity check, counted in `mailfts_index_damage_detected_total` and rebuilt in the
/// background; searches answer as the scan does throughout, and `mailfts check` is clean after.
#[test]
fn the_daemon_finds_a_damaged_index_at_startup_and_rebuilds_it() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("dora");
    write_maildir(&CorpusSpec::new(9, 300), &home.join("Maildir"), &mut |_| {}).unwrap();
    let bin = env!("CARGO_BIN_EXE_mailfts");
    let h = home.to_str().unwrap();
    assert!(Command::new(bin)
        .args(["rescan", "--home", h])
        .status()
        .unwrap()
        .success());
    let idx = std::fs::read_dir(home.join("mailfts/tantivy"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "idx"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("a postings file");
    let mut bytes = std::fs::read(&idx).unwrap();
    let n = bytes.len();
    for b in &mut bytes[n / 3..n / 3 + 16] {
        *b ^= 0xA5;
    }
    std::fs::write(&idx, bytes).unwrap();
    let passwd = write_passwd(dir.path(), &[("dora", &home)]);
    let served = Served::start(dir.path(), &passwd, "damage");
    let rt = runtime();
    rt.block_on(async {
        let mut c = served.client().await;
        poll("the damage to be counted", async || {
            served
                .metrics_text()
                .contains("\nmailfts_index_damage_detected_total 1\n")
                .then_some(())
        })
        .await;
        for query in ["TEXT meeting", "BODY budget", "FROM a"] {
            let mut answers = Vec::new();
            for mode in [pb::SearchMode::Index, pb::SearchMode::Scan] {
                let mut q = search_req("dora", query);
                q.mode = mode as i32;
                answers.push(
                    c.search(q).await.unwrap().into_inner().mailboxes[0]
                        .uids
                        .clone(),
                );
            }
            assert_eq!(answers[0], answers[1], "{query} answered as the scan does");
        }
        poll("the rebuild", async || {
            caught_up(&user_status(&mut c, "dora").await).then_some(())
        })
        .await;
        let mut q = search_req("dora", "TEXT meeting");
        q.mode = pb::SearchMode::Scan as i32;
        let scan = c.search(q).await.unwrap().into_inner().mailboxes[0]
            .uids
            .clone();
        let r = c
            .search(search_req("dora", "TEXT meeting"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.mailboxes[0].uids, scan);
    });
    assert!(served.terminate().success());
    let out = Command::new(bin)
        .args(["check", "--home", h])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "clean after the daemon's rebuild: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_per_user_grpc_token_reaches_only_its_user() {
    let dir = tempfile::tempdir().unwrap();
    let (alice, bob) = (dir.path().join("alice"), dir.path().join("bob"));
    for h in [&alice, &bob] {
        for d in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(h.join("Maildir").join(d)).unwrap();
        }
    }
    let passwd = write_passwd(dir.path(), &[("alice", &alice), ("bob", &bob)]);
    let tokens = dir.path().join("user-tokens");
    std::fs::write(&tokens, "alice:alice-token-0123456789\n").unwrap();
    let served = Served::start_with(
        dir.path(),
        &passwd,
        "scoped",
        &["--grpc-user-tokens-file", tokens.to_str().unwrap()],
    );
    runtime().block_on(async {
        let mut a = MailftsClient::with_interceptor(
            served.channel().await,
            Bearer("alice-token-0123456789"),
        );
        assert_eq!(code(a.search(search_req("alice", "ALL")).await), Code::Ok);
        assert_eq!(
            code(a.search(search_req("bob", "ALL")).await),
            Code::PermissionDenied
        );
        assert_eq!(
            code(a.status(pb::StatusRequest { user: "bob".into() }).await),
            Code::PermissionDenied
        );
        assert_eq!(
            code(
                a.optimize(pb::OptimizeRequest {
                    all_users: true,
                    ..Default::default()
                })
                .await
            ),
            Code::PermissionDenied
        );
        assert_eq!(
            code(
                a.delete_index(pb::DeleteIndexRequest {
                    user: "bob".into(),
                    ..Default::default()
                })
                .await
            ),
            Code::PermissionDenied
        );
        // The admin token still reaches everyone.
        let mut admin = served.client().await;
        assert_eq!(code(admin.search(search_req("bob", "ALL")).await), Code::Ok);
    });
}

/// `mailfts_mailbox_checks_total` of the daemon's metrics.
fn mailbox_checks(served: &Served) -> u64 {
    let text = served.metrics_text();
    text.lines()
        .find_map(|l| l.strip_prefix("mailfts_mailbox_checks_total "))
        .unwrap_or_else(|| panic!("no mailfts_mailbox_checks_total in:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_flag_rename_by_another_agent_queues_no_indexing_and_a_delivery_does() {
    let dir = tempfile::tempdir().unwrap();
    let (home, passwd) = alice_home(dir.path(), 5, 40);
    let served = Served::start(dir.path(), &passwd, "f");
    let rt = runtime();
    rt.block_on(async {
        let mut c = served.client().await;
        wait_indexed(&mut c, "alice").await;
        // settled: no check running or queued
        let before = poll("the checks to settle", async || {
            let a = mailbox_checks(&served);
            tokio::time::sleep(Duration::from_millis(500)).await;
            (a == mailbox_checks(&served)).then_some(a)
        })
        .await;

        // a mail client flags messages (renames in cur/), another one reads new mail (new/ → cur/)
        let maildir = home.join("Maildir");
        let files = |sub: &str| -> Vec<PathBuf> {
            let mut v: Vec<PathBuf> = std::fs::read_dir(maildir.join(sub))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            v.sort();
            v
        };
        for f in files("cur").iter().take(5) {
            let name = f.file_name().unwrap().to_str().unwrap();
            let flagged = match name.split_once(":2,") {
                Some((base, flags)) if !flags.contains('F') => format!("{base}:2,F{flags}"),
                Some((base, _)) => format!("{base}:2,"),
                None => format!("{name}:2,F"),
            };
            std::fs::rename(f, f.with_file_name(flagged)).unwrap();
        }
        let moved_from_new = files("new").into_iter().take(2).collect::<Vec<_>>();
        for f in &moved_from_new {
            let name = f.file_name().unwrap().to_str().unwrap().to_owned();
            std::fs::rename(f, maildir.join("cur").join(format!("{name}:2,S"))).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            mailbox_checks(&served),
            before,
            "flag renames and new/ → cur/ moves queued indexing work"
        );
        assert!(caught_up(&user_status(&mut c, "alice").await));

        // a delivery is checked and indexed
        deliver(
            &maildir,
            "1717400001.M2P2.mda",
            &message("after the renames", "the flamingoword appears here"),
        );
        poll("the delivery to be checked and indexed", async || {
            let st = user_status(&mut c, "alice").await;
            (mailbox_checks(&served) > before && caught_up(&st)).then_some(())
        })
        .await;
        let r = c
            .search(search_req("alice", "BODY flamingoword"))
            .await
            .unwrap()
            .into_inner();
        let plan = r.mailboxes[0].plan.as_ref().unwrap();
        assert_eq!((r.mailboxes[0].uids.len(), plan.tail_scanned), (1, 0));

        // a message moved to another mailbox by another agent: both are checked
        let checked = mailbox_checks(&served);
        let sent = maildir.join(".Sent/cur");
        assert!(sent.is_dir(), "the generated home has a Sent folder");
        let f = files("cur").into_iter().next().unwrap();
        std::fs::rename(&f, sent.join(f.file_name().unwrap())).unwrap();
        poll("the move to be checked", async || {
            let st = user_status(&mut c, "alice").await;
            (mailbox_checks(&served) >= checked + 2 && caught_up(&st)).then_some(())
        })
        .await;
    });
}
