//! Timeline, time zones and RFC 5322 date formatting.

use crate::rng::{Rng, STREAM_META};

/// 2021-01-01T00:00:00Z, the first possible delivery time.
pub(crate) const START: i64 = 1_609_459_200;
/// About three years, in seconds.
pub(crate) const SPAN: i64 = 3 * 365 * 86_400;

/// Delivery time (IMAP INTERNALDATE) of message `index` of `messages`.
///
/// Strictly increasing in `index` (each message gets its own slot of the
/// timeline and a jitter inside that slot), so names sort in generation order.
pub(crate) fn internal_date(seed: u64, messages: usize, index: usize) -> i64 {
    let n = messages.max(1) as u128;
    // At least one second per message keeps dates strictly increasing.
    let span = (SPAN as u128).max(n);
    let slot = |i: usize| START + (span * i as u128 / n) as i64;
    let (lo, hi) = (slot(index), slot(index + 1));
    let mut rng = Rng::new(seed, index, STREAM_META ^ 0xda7e);
    lo + rng.below((hi - lo).max(1) as usize) as i64
}

/// A time zone with optional (approximate) daylight saving time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Zone {
    /// Standard offset in minutes east of UTC.
    pub(crate) minutes: i32,
    /// Whether April to October use standard + 60 minutes.
    pub(crate) dst: bool,
    /// Abbreviations (standard, summer) for the comment form.
    pub(crate) names: (&'static str, &'static str),
}

/// US Pacific.
pub(crate) const PACIFIC: Zone = Zone {
    minutes: -480,
    dst: true,
    names: ("PST", "PDT"),
};
/// US Mountain.
pub(crate) const MOUNTAIN: Zone = Zone {
    minutes: -420,
    dst: true,
    names: ("MST", "MDT"),
};
/// US Eastern.
pub(crate) const EASTERN: Zone = Zone {
    minutes: -300,
    dst: true,
    names: ("EST", "EDT"),
};
/// UTC.
pub(crate) const UTC: Zone = Zone {
    minutes: 0,
    dst: false,
    names: ("UTC", "UTC"),
};
/// UK.
pub(crate) const LONDON: Zone = Zone {
    minutes: 0,
    dst: true,
    names: ("GMT", "BST"),
};
/// Central Europe.
pub(crate) const CET: Zone = Zone {
    minutes: 60,
    dst: true,
    names: ("CET", "CEST"),
};
/// Moscow.
pub(crate) const MOSCOW: Zone = Zone {
    minutes: 180,
    dst: false,
    names: ("MSK", "MSK"),
};
/// India.
pub(crate) const INDIA: Zone = Zone {
    minutes: 330,
    dst: false,
    names: ("IST", "IST"),
};
/// China.
pub(crate) const CHINA: Zone = Zone {
    minutes: 480,
    dst: false,
    names: ("CST", "CST"),
};
/// Japan.
pub(crate) const JAPAN: Zone = Zone {
    minutes: 540,
    dst: false,
    names: ("JST", "JST"),
};

impl Zone {
    /// Offset in minutes at the UTC instant `t`, and whether DST applies.
    pub(crate) fn offset_at(self, t: i64) -> (i32, bool) {
        let month = civil(t).1;
        if self.dst && (4..=10).contains(&month) {
            (self.minutes + 60, true)
        } else {
            (self.minutes, false)
        }
    }
}

/// Broken-down time: (year, month 1-12, day, hour, minute, second, weekday 0=Sun).
pub(crate) type Civil = (i64, u32, u32, u32, u32, u32, u32);

/// Converts a Unix time to UTC civil time.
pub(crate) fn civil(t: i64) -> Civil {
    use mailfts_mailtext::civil::{civil_from_days, day_of, weekday};
    let days = day_of(t);
    let secs = t.rem_euclid(86_400) as u32;
    let (y, m, d) = civil_from_days(days);
    (
        y,
        m,
        d,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        weekday(days),
    )
}

/// English weekday abbreviations, Sunday first.
pub(crate) const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
/// English month abbreviations.
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Local civil time at UTC instant `t` with the given offset.
pub(crate) fn local(t: i64, offset_minutes: i32) -> Civil {
    civil(t + i64::from(offset_minutes) * 60)
}

/// Formats `+hhmm` / `-hhmm`.
pub(crate) fn offset_string(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("{sign}{:02}{:02}", m / 60, m % 60)
}

/// Variants of the `Date:` header value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateStyle {
    /// `Tue, 07 Mar 2023 14:05:09 +0100`.
    Standard,
    /// `Tue, 7 Mar 2023 14:05:09 +0100` (day not padded).
    Unpadded,
    /// `7 Mar 2023 14:05:09 +0100` (no weekday).
    NoWeekday,
    /// `Tue, 07 Mar 2023 14:05:09 +0100 (CET)`.
    Comment,
    /// `Tue, 07 Mar 2023 13:05:09 GMT` (obsolete zone name, always UTC).
    Gmt,
}

/// RFC 5322 date of UTC instant `t` in zone `zone`.
pub(crate) fn rfc5322(t: i64, zone: Zone, style: DateStyle) -> String {
    let (offset, summer) = if style == DateStyle::Gmt {
        (0, false)
    } else {
        zone.offset_at(t)
    };
    let (y, mo, d, h, mi, s, wd) = local(t, offset);
    let (wd, mon, off) = (
        WEEKDAYS[wd as usize],
        MONTHS[mo as usize - 1],
        offset_string(offset),
    );
    match style {
        DateStyle::Standard => format!("{wd}, {d:02} {mon} {y} {h:02}:{mi:02}:{s:02} {off}"),
        DateStyle::Unpadded => format!("{wd}, {d} {mon} {y} {h:02}:{mi:02}:{s:02} {off}"),
        DateStyle::NoWeekday => format!("{d} {mon} {y} {h:02}:{mi:02}:{s:02} {off}"),
        DateStyle::Comment => {
            let name = if summer { zone.names.1 } else { zone.names.0 };
            format!("{wd}, {d} {mon} {y} {h:02}:{mi:02}:{s:02} {off} ({name})")
        }
        DateStyle::Gmt => format!("{wd}, {d:02} {mon} {y} {h:02}:{mi:02}:{s:02} GMT"),
    }
}

/// Malformed `Date:` values seen in the wild.
pub(crate) fn malformed_date(rng: &mut Rng, t: i64) -> String {
    let (y, mo, d, h, mi, s, _) = civil(t);
    match rng.below(5) {
        0 => format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
        1 => format!("{d:02}.{mo:02}.{y} {h:02}:{mi:02}"),
        2 => "Tue, 32 Foo 2023 25:61:99 +9999".to_string(),
        3 => "yesterday afternoon".to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_known_values() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0, 4));
        assert_eq!(civil(START), (2021, 1, 1, 0, 0, 0, 5));
        assert_eq!(civil(1_709_164_800), (2024, 2, 29, 0, 0, 0, 4));
    }

    #[test]
    fn formats() {
        // 2023-03-08 06:30:00 UTC is 23:30 -0700 on the 7th.
        let t = 1_678_257_000;
        assert_eq!(
            rfc5322(t, MOUNTAIN, DateStyle::Standard),
            "Tue, 07 Mar 2023 23:30:00 -0700"
        );
        assert_eq!(
            rfc5322(t, INDIA, DateStyle::NoWeekday),
            "8 Mar 2023 12:00:00 +0530"
        );
    }

    #[test]
    fn internal_dates_increase() {
        for n in [1, 7, 1000, 200_000_000] {
            let mut prev = i64::MIN;
            for i in 0..50 {
                let t = internal_date(3, n, i);
                assert!(t > prev);
                prev = t;
            }
        }
        assert!(internal_date(3, 1000, 999) < START + SPAN);
    }
}
