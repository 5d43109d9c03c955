//! mailfts-benches (work in progress).
