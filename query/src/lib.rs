//! mailfts-query (work in progress).
