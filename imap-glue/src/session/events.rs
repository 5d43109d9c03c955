//! NOTIFY (RFC 5465): setting what the client wants to be told, and telling it after each
//! command and while idling.

use crate::{notify, wire};

use super::*;

impl Session {
    /// `NOTIFY SET …` / `NOTIFY NONE` (RFC 5465).
    pub fn notify_command(&mut self, tag: &str, cmd: notify::Command) -> Reply {
        let mut r = Reply::new();
        let result = match (&self.user, cmd) {
            (None, _) => Err(Status::Bad("Not logged in".into())),
            (Some(_), notify::Command::None) => {
                self.notify = None;
                Ok(())
            }
            (Some((_, home)), notify::Command::Set { status, groups }) => {
                let fetch_ok = groups
                    .iter()
                    .filter_map(|(_, e)| e.fetch.as_deref())
                    .all(|atts| notify::fetch_items(atts, "1").is_some());
                if fetch_ok {
                    let home = home.clone();
                    let boxes = notify::StoreMailboxes {
                        store: &home.store,
                        subscriptions: self.subscriptions(),
                    };
                    let selected = self.view.as_ref().map(|v| v.name.clone());
                    let mut w =
                        notify::Watch::new(groups, status, &boxes, selected.as_deref(), &mut r.out);
                    if let Some(v) = &self.view {
                        w.new_in_selected(&v.name, v.uid_validity, &v.uids);
                    }
                    self.notify = Some(w);
                    Ok(())
                } else {
                    Err(Status::Bad("Invalid MessageNew fetch attributes".into()))
                }
            }
        };
        // Every failure of NOTIFY is a BAD, as in Dovecot 2.3.
        let result = result
            .map(|()| "NOTIFY completed".to_owned())
            .map_err(|e| match e {
                Status::No(text) => Status::Bad(text),
                e => e,
            });
        r.finish(tag, result);
        r
    }

    /// After a command and while IDLE: what NOTIFY asked for (STATUS and LIST of other
    /// mailboxes, FETCH of new messages in the selected one).
    pub fn notify_poll(&mut self, out: &mut Vec<u8>) {
        let Some(mut w) = self.notify.take() else {
            return;
        };
        if let (Some(atts), Some(view)) = (w.selected_fetch().map(str::to_owned), &self.view) {
            let new = w.new_in_selected(&view.name, view.uid_validity, &view.uids);
            let seqs: Vec<u32> = new
                .iter()
                .filter_map(|u| view.uids.binary_search(u).ok().map(|i| i as u32 + 1))
                .collect();
            if let Some((set, items)) =
                notify::fetch_items(&atts, &wire::sequence_set(&seqs)).filter(|_| !seqs.is_empty())
            {
                let _ = self.fetch(&set, &items, false, out);
            }
        }
        if let Some((_, home)) = &self.user {
            let home = home.clone();
            let boxes = notify::StoreMailboxes {
                store: &home.store,
                subscriptions: self.subscriptions(),
            };
            let selected = self.view.as_ref().map(|v| v.name.as_str());
            w.look(&boxes, selected, out);
        }
        self.notify = Some(w);
    }
}
