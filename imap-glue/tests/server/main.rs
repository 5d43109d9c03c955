//! Integration tests of the IMAP server: real TCP on loopback, C:/S: transcripts, real clients
//! (Python imaplib, curl, Roundcube's rcube_imap_generic), search answers against the linear scan,
//! and the security limits.

mod binary;
mod clients;
mod condstore;
mod context;
mod homes;
mod notify;
mod observer;
mod search;
mod security;
mod support;
mod transcripts;
mod views;
