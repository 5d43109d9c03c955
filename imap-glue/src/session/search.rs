//! SEARCH, SORT and THREAD through the query engine, and the searches kept alive by
//! `RETURN (UPDATE)` (CONTEXT=SEARCH/SORT, RFC 5267) with CANCELUPDATE.

use std::collections::HashMap;
use std::sync::Arc;

use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::extensions::sort::SortCriterion;
use imap_codec::imap_types::extensions::thread::ThreadingAlgorithm;
use imap_codec::imap_types::search::SearchKey as WireKey;
use mailfts_query::exec::Engine;

use crate::convert::ConvertError;
use crate::esearch::ReturnOptions;
use crate::sort::SortKeys;
use crate::{context, convert, esearch, respond, sort};

use super::*;

/// Matching messages for SORT and THREAD: (UID or sequence number, sequence number, sort keys).
pub(super) type SortItems = Vec<(u32, u32, Arc<SortKeys>)>;

impl Session {
    /// SEARCH (`ret`: the ESEARCH options of a `RETURN (…)`).
    pub(super) fn search_command(
        &mut self,
        tag: &str,
        charset: Option<&str>,
        criteria: &Vec1<WireKey<'_>>,
        uid: bool,
        ret: Option<ReturnOptions>,
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        let modseq = self.modseq_criteria(criteria, uid, out)?;
        let criteria = modseq.as_ref().unwrap_or(criteria);
        let (program, results) = self.search(charset, criteria, uid, out)?;
        self.answer(tag, uid, ret, program, None, &results, out)?;
        Ok("SEARCH completed".into())
    }

    /// Re-runs the searches kept alive by `RETURN (UPDATE)` and reports their changes.
    pub(super) fn context_updates(&mut self, out: &mut Vec<u8>) {
        let Some(view) = self.view.as_mut() else {
            return;
        };
        if view.updates.is_empty() {
            return;
        }
        let updates = std::mem::take(&mut view.updates);
        let fresh: Vec<Option<Vec<u32>>> = updates
            .iter()
            .map(|u| self.evaluate(&u.program, u.sort.as_deref()).ok())
            .collect();
        if let Some(view) = self.view.as_mut() {
            view.updates = updates;
            view.updates.changed(out, fresh, &view.uids);
        }
    }

    /// The UIDs of the view's messages that match `program`: ascending, or in the order of `sort`.
    pub(super) fn evaluate(
        &mut self,
        program: &mailfts_query::SearchProgram,
        sort: Option<&[SortCriterion]>,
    ) -> Result<Vec<u32>, Status> {
        let found = if matches!(program.key, mailfts_query::SearchKey::All) {
            self.selected()?.uids.clone()
        } else {
            self.run_search(program)?
        };
        let home = self.home()?.clone();
        let view = self.selected()?;
        let mut uids: Vec<u32> = found
            .into_iter()
            .filter(|u| view.uids.binary_search(u).is_ok())
            .collect();
        uids.sort_unstable();
        let Some(criteria) = sort else {
            return Ok(uids);
        };
        let keys = home.sort.keys(&view.name, &view.snapshot, &uids);
        let mut items: Vec<(u32, u32, Arc<SortKeys>)> = keys
            .into_iter()
            .filter_map(|(u, k)| {
                let seq = view.uids.binary_search(&u).ok()? as u32 + 1;
                Some((u, seq, k))
            })
            .collect();
        sort::sort(&mut items, criteria);
        let sorted = items.into_iter().map(|(u, _, _)| u).collect();
        crate::sortcache::give_back_dropped_keys();
        Ok(sorted)
    }

    /// `CANCELUPDATE "t" …` (RFC 5267 §4.2): stops the searches with these tags.
    pub fn cancel_update(&mut self, tag: &str, tags: &[String]) -> Reply {
        let mut r = Reply::new();
        let logged_in = self.user.is_some();
        let result = match self.selected() {
            Err(_) if !logged_in => Err(Status::Bad("Not logged in".into())),
            // As Dovecot 2.3: the searches ended with the selection.
            Err(_) => Err(Status::No("Unknown tag".into())),
            Ok(view) => {
                if view.updates.cancel(tags) {
                    Ok("Updates cancelled".to_owned())
                } else {
                    Err(Status::No("Unknown tag".into()))
                }
            }
        };
        if self.view.is_some() {
            self.refresh_or_bye(&mut r, true);
        }
        let result = result.map_err(|e| match e {
            Status::Pending => Status::Bad("Invalid state".into()),
            e => e,
        });
        r.finish(tag, result);
        r
    }

    pub(super) fn program(
        &mut self,
        charset: Option<&str>,
        criteria: &[WireKey<'_>],
        uid: bool,
        out: &mut Vec<u8>,
    ) -> Result<mailfts_query::SearchProgram, Status> {
        // New mail becomes part of the view first, so the answer can name it.
        self.refresh(out, uid).map_err(Status::No)?;
        let deep = self.deep_criteria.take();
        let view = self.selected()?;
        let mut recent: Vec<u32> = view.recent.iter().copied().collect();
        recent.sort_unstable();
        let v = convert::View {
            uids: &view.uids,
            recent: Some(&recent),
        };
        if let Some(program) = deep {
            return Ok(mailfts_query::SearchProgram {
                charset: program.charset,
                key: convert::rebase(program.key, v),
            });
        }
        convert::program(charset, criteria, v).map_err(|e| match e {
            ConvertError::BadCharset(_) => {
                Status::No("[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset".into())
            }
            ConvertError::Unsupported(what) => Status::Bad(format!("Unsupported {what}")),
        })
    }

    /// Runs the search; returns UIDs (uid) or sequence numbers, ascending.
    pub(super) fn search(
        &mut self,
        charset: Option<&str>,
        criteria: &Vec1<WireKey<'_>>,
        uid: bool,
        out: &mut Vec<u8>,
    ) -> Result<(mailfts_query::SearchProgram, Vec<u32>), Status> {
        let program = self.program(charset, criteria.as_ref(), uid, out)?;
        let uids = self.run_search(&program)?;
        let view = self.selected()?;
        // the view's UIDs ascend: a binary search per hit, not a map of the whole mailbox
        let position = |u: &u32| view.uids.binary_search(u).ok();
        if uid {
            let v = uids.into_iter().filter(|u| position(u).is_some()).collect();
            Ok((program, v))
        } else {
            let mut v: Vec<u32> = uids
                .iter()
                .filter_map(|u| position(u).map(|i| i as u32 + 1))
                .collect();
            v.sort_unstable();
            Ok((program, v))
        }
    }

    /// `RETURN (UPDATE)`: keeps the search alive, starting from its result now (`ids`: UIDs or
    /// sequence numbers as `uid` says, ascending or in sort order).
    pub(super) fn keep_updating(
        &mut self,
        tag: &str,
        uid: bool,
        program: mailfts_query::SearchProgram,
        sort: Option<Vec<SortCriterion>>,
        ids: &[u32],
    ) -> Result<(), Status> {
        let view = self.selected()?;
        let results = if uid {
            ids.to_vec()
        } else {
            ids.iter()
                .filter_map(|&s| view.uids.get((s as usize).checked_sub(1)?).copied())
                .collect()
        };
        view.updates.add(context::Update {
            tag: tag.to_owned(),
            uid,
            program,
            sort,
            results,
        });
        Ok(())
    }

    pub(super) fn run_search(
        &mut self,
        program: &mailfts_query::SearchProgram,
    ) -> Result<Vec<u32>, Status> {
        let home = self.home()?.clone();
        let name = self.selected()?.name.clone();
        let index = home.index();
        let engine = Engine::new(&home.store, index.as_deref());
        let t = std::time::Instant::now();
        let mode = self.shared.config.search_mode;
        // The parallel scan runs on rayon threads: those of a pool acting as the user when the
        // session has credentials, never the global pool's (root's) threads.
        let answer = match self.creds {
            Some(c) => match c.pool() {
                Some(pool) => pool.install(|| engine.search(&name, program, mode)),
                None => return Err(Status::No("[UNAVAILABLE] Search unavailable".into())),
            },
            None => engine.search(&name, program, mode),
        };
        let answer = answer.map_err(|e| {
            tracing::warn!(mailbox = name, error = %e, "search failed");
            Status::No("[SERVERBUG] Search failed (logged)".into())
        })?;
        tracing::debug!(mailbox = name, program = %program, hits = answer.uids.len(),
            ms = t.elapsed().as_secs_f64() * 1e3, source = answer.explain.source,
            store_ms = answer.explain.store_ms, index_ms = answer.explain.index_ms,
            scan_ms = answer.explain.scan_ms, "search");
        Ok(answer.uids)
    }

    /// (id, seq, keys) of the matching messages.
    pub(super) fn sorted_items(
        &mut self,
        charset: &str,
        criteria: &Vec1<WireKey<'_>>,
        uid: bool,
        out: &mut Vec<u8>,
    ) -> Result<(mailfts_query::SearchProgram, SortItems), Status> {
        let program = self.program(Some(charset), criteria.as_ref(), uid, out)?;
        let all = matches!(program.key, mailfts_query::SearchKey::All);
        let view = self.selected()?;
        let uids = if all {
            view.uids.clone()
        } else {
            self.run_search(&program)?
        };
        let home = self.home()?.clone();
        let view = self.selected()?;
        let keys = home.sort.keys(&view.name, &view.snapshot, &uids);
        let seq: HashMap<u32, u32> = view
            .uids
            .iter()
            .enumerate()
            .map(|(i, &u)| (u, i as u32 + 1))
            .collect();
        let items = keys
            .into_iter()
            .filter_map(|(u, k)| seq.get(&u).map(|&s| (if uid { u } else { s }, s, k)))
            .collect();
        Ok((program, items))
    }

    /// SORT; with `ret` (ESORT, RFC 5267 §3) the answer is an `* ESEARCH` in sort order.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn sort(
        &mut self,
        criteria: &Vec1<SortCriterion>,
        charset: &str,
        search: &Vec1<WireKey<'_>>,
        uid: bool,
        ret: Option<ReturnOptions>,
        tag: &str,
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        let modseq = self.modseq_criteria(search, uid, out)?;
        let search = modseq.as_ref().unwrap_or(search);
        let (program, mut items) = self.sorted_items(charset, search, uid, out)?;
        sort::sort(&mut items, criteria.as_ref());
        let ids: Vec<u32> = items.iter().map(|(id, _, _)| *id).collect();
        drop(items);
        crate::sortcache::give_back_dropped_keys();
        self.answer(tag, uid, ret, program, Some(criteria), &ids, out)?;
        Ok("SORT completed".into())
    }

    /// Writes the result of a SEARCH or, with `sort`, a SORT: `* SEARCH`/`* SORT`, or an
    /// `* ESEARCH` when the command had `RETURN (…)` (kept updating with `UPDATE`), then the
    /// highest MODSEQ when the criteria had a MODSEQ key.
    #[allow(clippy::too_many_arguments)]
    fn answer(
        &mut self,
        tag: &str,
        uid: bool,
        ret: Option<ReturnOptions>,
        program: mailfts_query::SearchProgram,
        sort: Option<&Vec1<SortCriterion>>,
        ids: &[u32],
        out: &mut Vec<u8>,
    ) -> Result<(), Status> {
        match ret {
            Some(opts) => {
                esearch::sort_response(out, tag, uid, opts, ids);
                if opts.update {
                    let sort = sort.map(|c| c.as_ref().to_vec());
                    self.keep_updating(tag, uid, program, sort, ids)?;
                }
            }
            None => {
                respond::ids(out, sort.is_some(), ids);
            }
        }
        if self.cond.modseq_search {
            self.search_modseq(ids, uid, ret, out);
        }
        Ok(())
    }

    pub(super) fn thread(
        &mut self,
        algorithm: &ThreadingAlgorithm<'_>,
        charset: &str,
        search: &Vec1<WireKey<'_>>,
        uid: bool,
        out: &mut Vec<u8>,
    ) -> Result<String, Status> {
        type Threader = fn(&[(u32, u32, Arc<SortKeys>)]) -> Vec<sort::ThreadNode>;
        let threader: Threader = match algorithm {
            ThreadingAlgorithm::OrderedSubject => sort::ordered_subject,
            ThreadingAlgorithm::References => sort::references,
            ThreadingAlgorithm::Other(other) if other.as_ref().eq_ignore_ascii_case("REFS") => {
                sort::refs
            }
            _ => return Err(Status::Bad("Unknown thread algorithm".into())),
        };
        let (_, items) = self.sorted_items(charset, search, uid, out)?;
        let threads = threader(&items);
        drop(items);
        crate::sortcache::give_back_dropped_keys();
        out.extend_from_slice(
            format!("* THREAD {}\r\n", sort::format_threads(&threads)).as_bytes(),
        );
        Ok("THREAD completed".into())
    }
}
