//! Integration tests of the IMAP server: real TCP on loopback, C:/S: transcripts, real clients
//! (Python imaplib, curl, Roundcube's rcube_imap_generic), search answers against the linear scan,
//! and the security limits.

mod clients;
mod homes;
mod observer;
mod search;
mod security;
mod support;
mod transcripts;
