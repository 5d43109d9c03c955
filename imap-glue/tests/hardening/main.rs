//! Issue 14: the server against hostile users and clients — symbolic links and special files in a
//! Maildir, memory before login, failed-login floods, privilege drop, loopback logins, rate limits.
//! A test binary of its own so that memory measurements see no other test's allocations.

#[allow(dead_code)]
#[path = "../server/support.rs"]
mod support;

mod logins;
mod preauth;
mod privileges;
mod special_files;
