//! Process limits of the long-running commands (`serve`, `imap`).
//!
//! Every open index keeps one file descriptor per segment for its posting lists, which are read
//! with `pread` rather than mapped (`mailfts_indexer::directory`): a daemon with hundreds of
//! homes open needs more descriptors than the customary soft limit of 1,024. The systemd unit
//! sets `LimitNOFILE=65536` (docs/mailfts.service); started any other way, the soft limit is
//! raised to the hard limit here.

/// Raises the soft limit of open files to the hard limit (at most 1,048,576); logs what it did.
pub fn raise_open_files() {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed by pointer.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                return;
            }
            let wanted = lim.rlim_max.min(1 << 20);
            if lim.rlim_cur >= wanted {
                return;
            }
            let before = lim.rlim_cur;
            lim.rlim_cur = wanted;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) == 0 {
                tracing::debug!(from = before, to = wanted, "raised the open-files limit");
            } else {
                tracing::warn!(
                    limit = before,
                    "could not raise the open-files limit; many open indexes may run out of descriptors"
                );
            }
        }
    }
}
