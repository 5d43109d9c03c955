//! Server-wide limits of the listener: connections per client address and the budget of input
//! bytes buffered for literals over all connections.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Open connections per client address.
#[derive(Debug, Default)]
pub(crate) struct PerAddress {
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One connection counted against its address; uncounted when dropped.
#[derive(Debug)]
pub(crate) struct AddressSlot {
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl PerAddress {
    /// Counts a connection from `ip`, or `None` when `ip` already has `max` (an `exempt` address
    /// is counted but never refused).
    pub(crate) fn enter(&self, ip: IpAddr, max: usize, exempt: bool) -> Option<AddressSlot> {
        let ip = ip.to_canonical();
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry(ip).or_insert(0);
        if *n >= max && !exempt {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            counts: self.counts.clone(),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// The bytes that literals being read may take over all connections.
#[derive(Debug)]
pub(crate) struct InputBudget {
    used: AtomicUsize,
    max: usize,
}

impl InputBudget {
    /// A budget of `max` bytes.
    pub(crate) fn new(max: usize) -> InputBudget {
        InputBudget {
            used: AtomicUsize::new(0),
            max,
        }
    }

    fn take(&self, n: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|&total| total <= self.max)
            })
            .is_ok()
    }

    fn give_back(&self, n: usize) {
        self.used.fetch_sub(n, Ordering::AcqRel);
    }
}

/// A share of the [`InputBudget`], given back when dropped.
#[derive(Debug)]
pub(crate) struct Reservation {
    budget: Arc<InputBudget>,
    held: usize,
}

impl Reservation {
    /// Holding nothing yet.
    pub(crate) fn none(budget: &Arc<InputBudget>) -> Reservation {
        Reservation {
            budget: budget.clone(),
            held: 0,
        }
    }

    /// Takes `n` more bytes; false (nothing taken) when the budget has not that much left.
    pub(crate) fn grow(&mut self, n: usize) -> bool {
        if !self.budget.take(n) {
            return false;
        }
        self.held += n;
        true
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.give_back(self.held);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_address_counts_and_frees() {
        let p = PerAddress::default();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let a = p.enter(ip, 2, false).unwrap();
        let _b = p.enter(ip, 2, false).unwrap();
        assert!(p.enter(ip, 2, false).is_none());
        assert!(p.enter(ip, 2, true).is_some(), "exempt");
        assert!(p.enter("127.0.0.2".parse().unwrap(), 2, false).is_some());
        drop(a);
        assert!(p.enter(ip, 3, false).is_some());
    }

    #[test]
    fn budget_is_shared_and_given_back() {
        let b = Arc::new(InputBudget::new(100));
        let mut r1 = Reservation::none(&b);
        assert!(r1.grow(60));
        let mut r2 = Reservation::none(&b);
        assert!(!r2.grow(50));
        assert!(r2.grow(40));
        drop(r1);
        let mut r3 = Reservation::none(&b);
        assert!(r3.grow(60));
        assert!(!r3.grow(1));
    }
}
