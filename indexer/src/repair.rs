//! Opening an index for a rescan: check it, and rebuild it from scratch when it is damaged.
//!
//! The cheap checks always run; the full checks (checksums of every file, columns, counts,
//! samples) run when the index is marked damaged or the last rescan did not end cleanly
//! (see [`crate::marker`]). A damaged index is rebuilt with a log line, and the caller reports
//! the reason (the `problems` of `rescan --json`).

use std::path::Path;

use mailfts_store::Store;

use crate::check::{check, CheckOptions, CheckReport};
use crate::home::HomeIndex;
use crate::{marker, Result};

/// An index opened for writing, and the check that made it rebuild it, if it did.
pub struct Opened {
    /// The index, ready for a rescan.
    pub index: HomeIndex,
    /// The failed check when the index was damaged and rebuilt (empty now).
    pub rebuilt: Option<CheckReport>,
}

/// Opens (creating when absent) the index in `dir` for a rescan of `store`, rebuilding it when
/// it is damaged.
pub fn open_for_rescan(dir: &Path, store: &Store) -> Result<Opened> {
    let full = marker::damaged_reason(dir).is_some() || marker::last_rescan_crashed(dir);
    let opts = if full {
        CheckOptions::default()
    } else {
        CheckOptions::cheap()
    };
    let report = check(dir, Some(store), &opts);
    if !report.is_clean() {
        let index = HomeIndex::rebuild(dir, &report.summary())?;
        return Ok(Opened {
            index,
            rebuilt: Some(report),
        });
    }
    Ok(Opened {
        index: HomeIndex::open_or_create(dir)?,
        rebuilt: None,
    })
}
