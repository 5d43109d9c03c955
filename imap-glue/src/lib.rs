//! mailfts-imap-glue (work in progress).
