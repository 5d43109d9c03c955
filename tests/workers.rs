//! `kill -9` of a `mailfts rescan` while extraction workers run (issue 14 item 5): no worker
//! outlives it, and the next rescan gets the index writer lock.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mailfts_corpora::samples::{self as fixtures, Part};
use mailfts_corpora::tools::output_ok;

/// (pid, parent pid, state) of every process.
fn processes() -> Vec<(u32, u32, char)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let state = f.next().and_then(|s| s.chars().next()).unwrap_or('?');
        let ppid = f.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        out.push((pid, ppid, state));
    }
    out
}

fn children_of(pid: u32) -> Vec<u32> {
    processes()
        .into_iter()
        .filter(|p| p.1 == pid && p.2 != 'Z')
        .map(|p| p.0)
        .collect()
}

/// Alive: exists and is not a zombie (a killed orphan may wait for a reaper that never comes).
fn alive(pid: u32) -> bool {
    processes().iter().any(|p| p.0 == pid && p.2 != 'Z')
}

fn write_home(home: &Path, slow: usize) {
    let md = home.join("Maildir");
    for d in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(d)).unwrap();
    }
    // A crafted slow PDF keeps its worker busy for the whole extraction timeout.
    let pdf = fixtures::pdf_slow(4_000, 50_000);
    for i in 0..slow {
        let mail = fixtures::mail(
            &format!("slow {i}"),
            "plain body",
            &[Part {
                content_type: "application/pdf",
                file_name: Some("slow.pdf"),
                bytes: &pdf,
            }],
        );
        std::fs::write(
            md.join(format!("cur/{}.M{i}P1.slow:2,S", 1_700_000_000 + i)),
            mail,
        )
        .unwrap();
    }
    std::fs::write(
        md.join("cur/1600000000.M1P1.plain:2,S"),
        "Subject: plain\r\n\r\nplainword\r\n",
    )
    .unwrap();
}

#[test]
fn killing_rescan_kills_its_extraction_workers_and_frees_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    write_home(&home, 4);
    let mut rescan = Command::new(env!("CARGO_BIN_EXE_mailfts"))
        .args(["rescan", "--home", home.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = rescan.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    let workers = loop {
        let w = children_of(pid);
        if !w.is_empty() {
            break w;
        }
        assert!(Instant::now() < deadline, "no extraction worker appeared");
        assert!(
            rescan.try_wait().unwrap().is_none(),
            "rescan ended before a worker was seen"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    rescan.kill().unwrap(); // SIGKILL
    rescan.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    while workers.iter().any(|&w| alive(w)) {
        assert!(
            Instant::now() < deadline,
            "workers {workers:?} outlived their killed parent {pid}: {:?}",
            processes()
                .into_iter()
                .filter(|p| workers.contains(&p.0))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The next rescan gets the writer lock (the slow mail removed, so it is quick).
    for e in std::fs::read_dir(home.join("Maildir/cur"))
        .unwrap()
        .flatten()
    {
        if e.file_name().to_string_lossy().contains(".slow") {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    output_ok(Command::new(env!("CARGO_BIN_EXE_mailfts")).args([
        "rescan",
        "--home",
        home.to_str().unwrap(),
    ]));
}
