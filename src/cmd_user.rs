//! `mailfts user`: manage the passwd file of the IMAP server.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use mailfts_imap_glue::auth::{hash_password, upsert_user, Scheme};

/// `mailfts user …`.
#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user (or replace its line); the password is read from the first line of stdin.
    Add(UserAddArgs),
}

/// `mailfts user add`.
#[derive(Args, Debug)]
pub struct UserAddArgs {
    /// The passwd file (created with mode 0600 if missing).
    #[arg(long)]
    pub passwd: PathBuf,
    /// Login name.
    #[arg(long)]
    pub user: String,
    /// Home directory (mail in HOME/Maildir, index in HOME/mailfts); made absolute.
    #[arg(long)]
    pub home: PathBuf,
    /// Password scheme: ARGON2ID, SHA512-CRYPT, BLF-CRYPT or PLAIN (tests only).
    #[arg(long, default_value = "ARGON2ID")]
    pub scheme: String,
}

/// Runs a `user` subcommand.
pub fn run(c: &UserCommand) -> anyhow::Result<ExitCode> {
    match c {
        UserCommand::Add(a) => add(a),
    }
}

fn add(a: &UserAddArgs) -> anyhow::Result<ExitCode> {
    let Some(scheme) = Scheme::parse(&a.scheme) else {
        bail!(
            "unknown scheme {:?} (ARGON2ID, SHA512-CRYPT, BLF-CRYPT, PLAIN)",
            a.scheme
        );
    };
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password from stdin")?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        bail!("empty password on stdin");
    }
    let home = std::path::absolute(&a.home).context("resolving --home")?;
    let hashed = hash_password(scheme, password).map_err(anyhow::Error::msg)?;
    upsert_user(&a.passwd, &a.user, &hashed, &home)?;
    eprintln!(
        "user {} ({}) written to {}",
        a.user,
        scheme.name(),
        a.passwd.display()
    );
    Ok(ExitCode::SUCCESS)
}
