//! The distinct terms of one message for a term-list field (pairs, joined words), collected as the
//! list tantivy reads ([`crate::tokenizer::TermListTokenizer`]).

use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::tokenizer::TERM_SEPARATOR;

/// A set of terms kept as one term list: a new term is appended to the list, and found again
/// through a table of the list's ranges that hold a term. No allocation per term (a message
/// repeats most of its pairs; a set of strings allocated each new one and freed it after the
/// document was made).
#[derive(Default)]
pub struct TermSet {
    list: String,
    /// The byte range of every term of `list`, by the term's hash.
    ranges: HashTable<(u32, u32)>,
}

fn hash(term: &str) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(term)
}

impl TermSet {
    /// Adds `term` (not empty, without [`TERM_SEPARATOR`]: pair and chain terms are made of word
    /// runs and their separators) unless it is in the set; true when it was not.
    pub fn insert(&mut self, term: &str) -> bool {
        debug_assert!(
            !term.is_empty() && !term.contains(TERM_SEPARATOR),
            "{term:?}"
        );
        let TermSet { list, ranges } = self;
        let h = hash(term);
        let at = |&(from, to): &(u32, u32)| &list[from as usize..to as usize];
        if ranges.find(h, |r| at(r) == term).is_some() {
            return false;
        }
        if !list.is_empty() {
            list.push(TERM_SEPARATOR);
        }
        let from = list.len() as u32;
        list.push_str(term);
        let range = (from, list.len() as u32);
        ranges.insert_unique(h, range, |&(from, to)| {
            hash(&list[from as usize..to as usize])
        });
        true
    }

    /// True when `term` is in the set.
    pub fn contains(&self, term: &str) -> bool {
        let list = &self.list;
        self.ranges
            .find(hash(term), |&(from, to)| {
                &list[from as usize..to as usize] == term
            })
            .is_some()
    }

    /// How many terms the set holds.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// True when the set holds no term.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The terms, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.list
            .split(TERM_SEPARATOR)
            .filter(|_| !self.list.is_empty())
    }

    /// The term list (`None` when the set is empty), leaving the set empty.
    pub fn take_list(&mut self) -> Option<String> {
        self.ranges.clear();
        Some(std::mem::take(&mut self.list)).filter(|l| !l.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_kept_once_in_the_order_they_came() {
        let mut set = TermSet::default();
        assert!(set.is_empty() && set.iter().next().is_none());
        for (t, new) in [
            ("usb gadget", true),
            ("#by: greg", true),
            ("usb gadget", false),
            ("usb", true),
            ("usb gadgets", true),
            ("#by: greg", false),
        ] {
            assert_eq!(set.insert(t), new, "{t}");
        }
        assert_eq!(set.len(), 4);
        assert!(set.contains("usb") && !set.contains("gadget"));
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            ["usb gadget", "#by: greg", "usb", "usb gadgets"]
        );
        let list = set.take_list().expect("four terms");
        assert_eq!(list, "usb gadget\0#by: greg\0usb\0usb gadgets");
        assert!(set.is_empty() && set.take_list().is_none());
        // many terms: the table grows and rehashes by the list's ranges
        for i in 0..5000 {
            assert!(set.insert(&format!("t{i}")));
        }
        assert!((0..5000).all(|i| set.contains(&format!("t{i}")) && !set.insert(&format!("t{i}"))));
    }
}
