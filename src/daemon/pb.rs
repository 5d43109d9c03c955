//! The code generated from `proto/mailfts.proto` (package `mailfts.v1`) by `build.rs`, and the
//! encoded descriptor set served by reflection.
#![allow(missing_docs, clippy::all, clippy::pedantic)]

tonic::include_proto!("mailfts.v1");

/// The encoded `FileDescriptorSet` of `mailfts.proto`, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/mailfts_descriptor.bin"));

/// `$ty { <the totals both forms of RescanStats have, from $s>, $extra }`: the one list of the
/// fields the wire form and the local form share, for the conversions both ways.
macro_rules! shared_totals {
    ($s:expr => $ty:path { $($extra:tt)* }) => {{
        let s = $s;
        $ty {
            added: s.added,
            removed: s.removed,
            failed: s.failed,
            degraded: s.degraded,
            bytes: s.bytes,
            seconds: s.seconds,
            mailboxes: s.mailboxes,
            $($extra)*
        }
    }};
}

/// The wire form of a rescan's totals. The rates and the problems by kind stay behind (a client
/// computes rates; the degraded count stands for the problems), and `mailboxes` is the caller's
/// to set where the totals of several homes are summed.
impl From<&mailfts_indexer::rescan::RescanStats> for RescanStats {
    fn from(s: &mailfts_indexer::rescan::RescanStats) -> Self {
        shared_totals!(s => RescanStats {})
    }
}

/// A daemon's rescan totals in the local form: the rates computed from them, and the degraded
/// count as the one problem kind (`degraded`) the wire form knows.
impl From<RescanStats> for mailfts_indexer::rescan::RescanStats {
    fn from(s: RescanStats) -> Self {
        let secs = s.seconds.max(1e-9);
        let mut problems = std::collections::BTreeMap::new();
        if s.degraded > 0 {
            problems.insert("degraded".to_string(), s.degraded);
        }
        shared_totals!(&s => mailfts_indexer::rescan::RescanStats {
            msg_per_sec: s.added as f64 / secs,
            mb_per_sec: s.bytes as f64 / 1e6 / secs,
            problems,
        })
    }
}
