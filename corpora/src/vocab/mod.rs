//! Word lists, subjects and stock phrases for the six corpus languages.
//!
//! Word lists are ordered roughly by frequency; [`crate::rng::Rng::zipf`]
//! turns the order into a Zipf-like distribution.

mod de;
mod en;
mod fr;
mod ja;
mod ru;
mod zh;

use std::sync::OnceLock;

/// A language used for display names, subjects and bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    /// English.
    En,
    /// German.
    De,
    /// French.
    Fr,
    /// Russian.
    Ru,
    /// Simplified Chinese.
    Zh,
    /// Japanese.
    Ja,
}

/// All languages, in a fixed order.
pub(crate) const ALL_LANGS: [Lang; 6] =
    [Lang::En, Lang::De, Lang::Fr, Lang::Ru, Lang::Zh, Lang::Ja];

/// Static text resources of one language.
pub(crate) struct LangData {
    /// Whitespace separated words, most frequent first.
    pub(crate) words: &'static str,
    /// Thread subjects, most frequent first.
    pub(crate) subjects: &'static [&'static str],
    /// Greetings; `{}` is replaced by the recipient's first name.
    pub(crate) greetings: &'static [&'static str],
    /// Closing lines before the sender's name.
    pub(crate) closings: &'static [&'static str],
    /// Separator line of an inline forward.
    pub(crate) forwarded: &'static str,
    /// Outlook-style separator of a top-posted reply.
    pub(crate) original: &'static str,
    /// Job titles for signatures.
    pub(crate) titles: &'static [&'static str],
    /// Company names for signatures.
    pub(crate) companies: &'static [&'static str],
    /// File names (without extension) of text attachments.
    pub(crate) file_stems: &'static [&'static str],
}

impl Lang {
    /// The static resources of this language.
    pub(crate) fn data(self) -> &'static LangData {
        match self {
            Lang::En => &en::DATA,
            Lang::De => &de::DATA,
            Lang::Fr => &fr::DATA,
            Lang::Ru => &ru::DATA,
            Lang::Zh => &zh::DATA,
            Lang::Ja => &ja::DATA,
        }
    }

    /// Whether words are separated by spaces (false for Chinese and Japanese).
    pub(crate) fn spaced(self) -> bool {
        !matches!(self, Lang::Zh | Lang::Ja)
    }

    /// The word list, most frequent first.
    pub(crate) fn words(self) -> &'static [&'static str] {
        static WORDS: OnceLock<Vec<Vec<&'static str>>> = OnceLock::new();
        let all = WORDS.get_or_init(|| {
            ALL_LANGS
                .iter()
                .map(|l| l.data().words.split_whitespace().collect())
                .collect()
        });
        &all[self as usize]
    }

    /// BCP 47 tag for `Content-Language`.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Lang::En => "en-US",
            Lang::De => "de-DE",
            Lang::Fr => "fr-FR",
            Lang::Ru => "ru-RU",
            Lang::Zh => "zh-CN",
            Lang::Ja => "ja-JP",
        }
    }

    /// Sentence terminators (weighted towards the first).
    pub(crate) fn terminators(self) -> &'static [&'static str] {
        match self {
            Lang::Zh => &["。", "。", "。", "！", "？"],
            Lang::Ja => &["。", "。", "。", "。", "か？"],
            _ => &[".", ".", ".", ".", ".", "?", "!"],
        }
    }

    /// Clause separator inside a sentence.
    pub(crate) fn comma(self) -> &'static str {
        match self {
            Lang::Zh => "，",
            Lang::Ja => "、",
            _ => ",",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_are_large_enough() {
        for lang in ALL_LANGS {
            let n = lang.words().len();
            assert!(n >= 200, "{lang:?} has only {n} words");
            assert!(lang.data().subjects.len() >= 20);
        }
    }
}
