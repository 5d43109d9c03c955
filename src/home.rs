//! Resolving a home's paths and opening its store and index.

use std::path::PathBuf;

use anyhow::Context;
use mailfts_indexer::home::HomeIndex;
use mailfts_indexer::layout::HomeLayout;
use mailfts_store::Store;

use crate::cli::HomeArgs;

/// The resolved paths of a home.
pub struct Home {
    /// Maildir root.
    pub maildir: PathBuf,
    /// Index directory.
    pub index: PathBuf,
}

impl Home {
    /// Resolves `--home`, `--maildir`, `--index`.
    pub fn from_args(a: &HomeArgs) -> Home {
        let layout = HomeLayout::default();
        Home {
            maildir: a
                .maildir
                .clone()
                .unwrap_or_else(|| layout.maildir_of(&a.home)),
            index: a.index.clone().unwrap_or_else(|| layout.index_of(&a.home)),
        }
    }

    /// Opens the mail store.
    pub fn store(&self) -> anyhow::Result<Store> {
        Store::open(&self.maildir)
            .with_context(|| format!("opening Maildir {}", self.maildir.display()))
    }

    /// Opens (creating or rebuilding) the index for writing.
    pub fn index_for_writing(&self) -> anyhow::Result<HomeIndex> {
        Ok(HomeIndex::open_or_create(&self.index)?)
    }
}
