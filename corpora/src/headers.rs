//! Header values: encoded words, mailboxes, folding and trace headers.

use crate::charset::Charset;
use crate::dates::{self, DateStyle};
use crate::encode::{base64_string, encoded_words, WordEncoding};
use crate::people::{Mailer, Person};
use crate::rng::Rng;
use crate::vocab::Lang;

/// Charset, label and encoding a mail client set up for `lang` uses for
/// non-ASCII header text, in order of preference.
fn word_style(mailer: Mailer, lang: Lang) -> [(Charset, &'static str, WordEncoding); 2] {
    use Charset::*;
    use WordEncoding::{B, Q};
    let utf8_b = (Utf8, "UTF-8", B);
    match mailer {
        Mailer::Thunderbird | Mailer::Gmail | Mailer::Evolution => [utf8_b, utf8_b],
        Mailer::AppleMail | Mailer::Bulk => [(Utf8, "utf-8", Q), utf8_b],
        Mailer::Mutt | Mailer::GitSendEmail => [(Latin1, "ISO-8859-1", Q), (Utf8, "UTF-8", Q)],
        Mailer::TheBat => [(Koi8R, "KOI8-R", B), (Win1251, "windows-1251", B)],
        Mailer::Becky => [(Iso2022Jp, "ISO-2022-JP", B), utf8_b],
        Mailer::Foxmail => [(Gb2312, "gb2312", B), utf8_b],
        Mailer::Outlook => match lang {
            Lang::Ru => [(Koi8R, "koi8-r", B), utf8_b],
            Lang::Ja => [(Iso2022Jp, "iso-2022-jp", B), utf8_b],
            Lang::Zh => [(Gb2312, "gb2312", B), utf8_b],
            Lang::En | Lang::De | Lang::Fr => [(Latin1, "iso-8859-1", Q), utf8_b],
        },
    }
}

/// Encodes header text as `mailer` (set up for `lang`) would: ASCII as-is,
/// otherwise encoded words separated by `sep` (`" "` or a fold).
pub(crate) fn header_text(text: &str, mailer: Mailer, lang: Lang, sep: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    for (cs, label, enc) in word_style(mailer, lang) {
        if let Some(words) = encoded_words(text, cs, label, enc) {
            return words.join(sep);
        }
    }
    encoded_words(text, Charset::Utf8, "UTF-8", WordEncoding::B)
        .expect("UTF-8 encodes everything")
        .join(sep)
}

fn needs_quotes(display: &str) -> bool {
    display.chars().any(|c| "()<>[]:;@\\,.\"'".contains(c))
}

/// `Display Name <address>` as written by `mailer` (set up for `lang`).
pub(crate) fn mailbox(p: &Person, mailer: Mailer, lang: Lang, raw_utf8: bool) -> String {
    if p.bare || p.display.is_empty() {
        return p.address.clone();
    }
    let name = if p.display.is_ascii() || raw_utf8 {
        if needs_quotes(&p.display) {
            format!("\"{}\"", p.display.replace('"', "\\\""))
        } else {
            p.display.clone()
        }
    } else {
        header_text(&p.display, mailer, lang, " ")
    };
    format!("{name} <{}>", p.address)
}

/// Joins mailboxes, folding before an item that would pass column 78.
pub(crate) fn address_list(name: &str, items: &[String]) -> String {
    let mut s = String::new();
    let mut col = name.len() + 2;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            s.push(',');
            col += 1;
            if col + 1 + item.len() > 78 {
                s.push_str("\n ");
                col = 1;
            } else {
                s.push(' ');
                col += 1;
            }
        }
        s.push_str(item);
        col += item.len();
    }
    s
}

/// Folds unstructured ASCII text at spaces before column 78.
pub(crate) fn fold_text(name: &str, text: &str) -> String {
    let mut s = String::new();
    let mut col = name.len() + 2;
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            if col + 1 + word.len() > 78 && col > name.len() + 2 {
                s.push_str("\n ");
                col = 1;
            } else {
                s.push(' ');
                col += 1;
            }
        }
        s.push_str(word);
        col += word.chars().count();
    }
    s
}

fn ip(r: &mut Rng) -> String {
    let net = ["192.0.2", "198.51.100", "203.0.113"][r.below(3)];
    format!("{net}.{}", 1 + r.below(254))
}

fn smtp_id(r: &mut Rng) -> String {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTVWXYZabcdefghijkmnopqrstvwxyz";
    (0..12)
        .map(|_| char::from(ALNUM[r.below(ALNUM.len())]))
        .collect()
}

/// `Received:` header values, outermost (latest) first.
pub(crate) fn received(
    r: &mut Rng,
    sender: &Person,
    owner: &Person,
    delivered: i64,
) -> Vec<String> {
    let sender_domain = sender.address.rsplit('@').next().unwrap_or("example.net");
    let owner_domain = owner.address.rsplit('@').next().unwrap_or("example.org");
    let hops = r.range(1, 4);
    let mut t = delivered;
    let mut out = Vec::with_capacity(hops);
    for hop in 0..hops {
        let date = dates::rfc5322(
            t,
            if hop == 0 { dates::CET } else { dates::UTC },
            DateStyle::Comment,
        );
        let value = match hop {
            0 => format!(
                "from mail.{sender_domain} (mail.{sender_domain} [{}])\n\tby mx.{owner_domain} (Postfix) with ESMTPS id {}\n\tfor <{}>; {date}",
                ip(r),
                smtp_id(r),
                owner.address
            ),
            1 => format!(
                "from localhost (localhost [127.0.0.1])\n\tby mail.{sender_domain} (Postfix) with ESMTP id {};\n\t{date}",
                smtp_id(r)
            ),
            _ => format!(
                "from [{}] (helo=[10.0.{}.{}])\n\tby smtp.{sender_domain} with esmtpsa (TLS1.3) tls TLS_AES_256_GCM_SHA384\n\t(Exim 4.96)\n\tid 1pZ{}-000{}-Ab; {date}",
                ip(r),
                r.below(255),
                r.below(255),
                smtp_id(r),
                r.below(10)
            ),
        };
        out.push(value);
        t -= r.range(1, 40) as i64;
    }
    out
}

/// A plausible, folded `DKIM-Signature` value.
pub(crate) fn dkim(r: &mut Rng, domain: &str, t: i64) -> String {
    let bh: Vec<u8> = (0..32).map(|_| r.next_u64() as u8).collect();
    let sig: Vec<u8> = (0..128).map(|_| r.next_u64() as u8).collect();
    let sig = base64_string(&sig);
    let folded: Vec<&str> = sig
        .as_bytes()
        .chunks(70)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect();
    format!(
        "v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s2023;\n\tt={t}; bh={};\n\th=From:To:Subject:Date:Message-ID:MIME-Version:Content-Type;\n\tb={}",
        base64_string(&bh),
        folded.join("\n\t ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text_per_mailer() {
        let enc = |t: &str, m: Mailer, l: Lang| header_text(t, m, l, " ");
        assert_eq!(enc("plain", Mailer::Outlook, Lang::En), "plain");
        assert!(enc("Jürgen", Mailer::Outlook, Lang::De).starts_with("=?iso-8859-1?Q?J=FC"));
        assert!(enc("Привет", Mailer::TheBat, Lang::Ru).starts_with("=?KOI8-R?B?"));
        assert!(enc("会議", Mailer::Thunderbird, Lang::Ja).starts_with("=?UTF-8?B?"));
        assert!(enc("田中", Mailer::Outlook, Lang::Ja).starts_with("=?iso-2022-jp?B?"));
        // Falls back to UTF-8 when the preferred charset cannot encode the text.
        assert!(enc("Привет", Mailer::Mutt, Lang::En).starts_with("=?UTF-8?Q?"));
        assert!(enc("王伟", Mailer::Outlook, Lang::Ru).starts_with("=?UTF-8?B?"));
    }

    #[test]
    fn folding() {
        let items: Vec<String> = (0..6)
            .map(|i| format!("Person Number{i} <p{i}@example.org>"))
            .collect();
        let v = address_list("To", &items);
        assert!(v.contains("\n "));
        assert!(v.lines().all(|l| l.len() <= 78));
    }
}
