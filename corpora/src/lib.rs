//! mailfts-corpora (work in progress).
