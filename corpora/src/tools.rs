//! External tools that tests run (Dovecot, pdftotext, haproxy, php, ...): a test that needs one
//! skips with a note when it is missing, except under CI, where a missing tool is a broken setup
//! (`.ci/run` installs them all) and the test fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `true` when the environment variable `CI` is set: a test must then run, never skip.
fn under_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// Where the executable `name` is on `PATH`, if anywhere.
pub fn which(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// Whether a test can run, given whether what it needs (a tool, a library, a privilege) is
/// `present`; `why_not` says what is missing, as a clause ("`php` is not on PATH").
///
/// When it is not present: with `CI` set the calling test fails (panics) with `why_not`;
/// otherwise a `SKIPPED: …` note is printed and `false` returned, and the test should return.
///
/// ```
/// # std::env::remove_var("CI");
/// assert!(mailfts_corpora::tools::require(true, "nothing is missing"));
/// assert!(!mailfts_corpora::tools::require(false, "the pretend tool is not installed"));
/// ```
#[track_caller]
pub fn require(present: bool, why_not: &str) -> bool {
    if !present {
        if under_ci() {
            panic!("CI is set, so this test must run, but {why_not} (.ci/run installs what the tests need)");
        }
        eprintln!("SKIPPED: {why_not} (with CI set this is a failure)");
    }
    present
}

/// The path of the executable `name` on `PATH`, through [`require`]: `None` (the test skips)
/// when it is missing, a failed test when it is missing and `CI` is set.
///
/// ```
/// # std::env::remove_var("CI");
/// assert!(mailfts_corpora::tools::require_tool("sh").is_some());
/// assert!(mailfts_corpora::tools::require_tool("no-such-tool-mailfts").is_none());
/// ```
#[track_caller]
pub fn require_tool(name: &str) -> Option<PathBuf> {
    let path = which(name);
    require(path.is_some(), &format!("`{name}` is not on PATH"));
    path
}

/// Runs `cmd` to its end and returns what it wrote; the calling test fails, naming the command
/// and showing its standard error, unless it exits with status 0.
#[track_caller]
pub fn output_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A self-signed certificate for `host` (a DNS name or an IP address, also its subjectAltName) and
/// its key, made by `openssl` in `dir`: `(cert.pem, key.pem)`.
#[track_caller]
pub fn self_signed_cert(openssl: &Path, dir: &Path, host: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let san = match host.parse::<std::net::IpAddr>() {
        Ok(_) => format!("subjectAltName=IP:{host}"),
        Err(_) => format!("subjectAltName=DNS:{host}"),
    };
    output_ok(
        Command::new(openssl)
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", &format!("/CN={host}"), "-addext", &san])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert),
    );
    (cert, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_skips_or_fails_by_ci() {
        // One test touches CI, so no other test of this binary sees it change.
        std::env::remove_var("CI");
        assert_eq!(require_tool("no-such-tool-mailfts"), None);
        std::env::set_var("CI", "true");
        let failed = std::panic::catch_unwind(|| require_tool("no-such-tool-mailfts"));
        assert!(require_tool("sh").is_some());
        std::env::remove_var("CI");
        let message = failed.expect_err("fails under CI");
        let message = message.downcast_ref::<String>().unwrap();
        assert!(message.contains(
            "CI is set, so this test must run, but `no-such-tool-mailfts` is not on PATH"
        ));
    }
}
