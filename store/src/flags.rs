//! IMAP system flags as stored in a Maildir file name (`:2,DFPRST` plus keyword letters).

/// The IMAP system flags of one message, as a bit set.
///
/// Maildir letters: `D` \Draft, `F` \Flagged, `P` passed ($Forwarded), `R` \Answered, `S` \Seen, `T` \Deleted.
/// `\Recent` is not a flag of the file: a message is recent while it sits in `new/` (see
/// [`crate::MessageEntry::recent`]).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Debug)]
pub struct Flags(u8);

impl Flags {
    /// `\Seen` (`S`).
    pub const SEEN: Flags = Flags(1);
    /// `\Answered` (`R`).
    pub const ANSWERED: Flags = Flags(2);
    /// `\Flagged` (`F`).
    pub const FLAGGED: Flags = Flags(4);
    /// `\Deleted` (`T`, trashed).
    pub const DELETED: Flags = Flags(8);
    /// `\Draft` (`D`).
    pub const DRAFT: Flags = Flags(16);
    /// Passed / `$Forwarded` (`P`).
    pub const PASSED: Flags = Flags(32);

    /// No flag set.
    pub const fn empty() -> Flags {
        Flags(0)
    }

    /// True when every flag of `other` is set in `self`.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Sets or clears the flags of `other`.
    pub fn set(&mut self, other: Flags, on: bool) {
        if on {
            self.0 |= other.0
        } else {
            self.0 &= !other.0
        }
    }

    /// The union of two sets.
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// The raw bits (stable: usable in an index).
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Builds a set from raw bits; unknown bits are dropped.
    pub const fn from_bits(bits: u8) -> Flags {
        Flags(bits & 63)
    }

    /// Parses the system-flag letters of a Maildir `:2,` info suffix; other characters are ignored.
    pub fn from_maildir_info(info: &str) -> Flags {
        let mut f = Flags::empty();
        for c in info.chars() {
            match c {
                'D' => f.set(Flags::DRAFT, true),
                'F' => f.set(Flags::FLAGGED, true),
                'P' => f.set(Flags::PASSED, true),
                'R' => f.set(Flags::ANSWERED, true),
                'S' => f.set(Flags::SEEN, true),
                'T' => f.set(Flags::DELETED, true),
                _ => {}
            }
        }
        f
    }

    /// The system-flag letters in the order Maildir requires (ASCII order).
    pub fn to_maildir_letters(self) -> String {
        let mut s = String::new();
        for (flag, c) in [
            (Flags::DRAFT, 'D'),
            (Flags::FLAGGED, 'F'),
            (Flags::PASSED, 'P'),
            (Flags::ANSWERED, 'R'),
            (Flags::SEEN, 'S'),
            (Flags::DELETED, 'T'),
        ] {
            if self.contains(flag) {
                s.push(c);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maildir_letters_round_trip() {
        let f = Flags::from_maildir_info("STRa");
        assert!(
            f.contains(Flags::SEEN) && f.contains(Flags::DELETED) && f.contains(Flags::ANSWERED)
        );
        assert!(!f.contains(Flags::DRAFT));
        assert_eq!(f.to_maildir_letters(), "RST");
        assert_eq!(Flags::from_bits(f.bits()), f);
    }
}
