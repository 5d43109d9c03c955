//! Shared fixtures of the criterion benches: generated homes written to temporary directories.
//!
//! The benches live in `benches/benches/` (`harness = false`); run them with
//! `cargo bench -p mailfts-benches`. CI only compiles them.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

use mailfts_corpora::{write_maildir, CorpusSpec};
use mailfts_indexer::home::HomeIndex;
use mailfts_indexer::rescan::{rescan, NoProgress, RescanOptions};
use mailfts_store::Store;

/// A generated home on disk.
pub struct BenchHome {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// The Maildir root.
    pub maildir: PathBuf,
    /// The index directory.
    pub index: PathBuf,
}

impl BenchHome {
    /// Writes `messages` generated messages (seed `seed`); indexes them when `indexed`.
    pub fn generate(messages: usize, seed: u64, indexed: bool) -> BenchHome {
        let dir = tempfile::tempdir().expect("tempdir");
        let maildir = dir.path().join("Maildir");
        let index = dir.path().join("mailfts");
        write_maildir(&CorpusSpec::new(seed, messages), &maildir, &mut |_| {})
            .expect("write corpus");
        let home = BenchHome {
            dir,
            maildir,
            index,
        };
        if indexed {
            home.rescan();
        }
        home
    }

    /// Opens the store.
    pub fn store(&self) -> Store {
        Store::open(&self.maildir).expect("store")
    }

    /// Indexes everything missing.
    pub fn rescan(&self) -> u64 {
        let index = HomeIndex::open_or_create(&self.index).expect("index");
        rescan(
            &index,
            &self.store(),
            &RescanOptions::default(),
            &NoProgress,
        )
        .expect("rescan")
        .added
    }

    /// The home directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}
