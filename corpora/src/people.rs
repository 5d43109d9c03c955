//! The sender pool: people with names, addresses, time zones and mail clients.

use crate::charset::Charset;
use crate::dates::{self, Zone};
use crate::names::{pick_name, PersonName};
use crate::rng::{Rng, STREAM_PERSON};
use crate::vocab::Lang;

/// Number of people in the pool.
pub(crate) const POOL: usize = 320;

/// A participant of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Party {
    /// The owner of the mail home.
    Owner,
    /// A person of the pool, by index.
    Person(usize),
    /// The development mailing list.
    List,
    /// An organisation sending newsletters and notifications, by index.
    Org(usize),
}

/// A mail client; it determines header order, encodings and boundaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mailer {
    /// Mozilla Thunderbird.
    Thunderbird,
    /// Microsoft Outlook.
    Outlook,
    /// Apple Mail.
    AppleMail,
    /// Gmail web interface.
    Gmail,
    /// Mutt.
    Mutt,
    /// git send-email.
    GitSendEmail,
    /// GNOME Evolution.
    Evolution,
    /// The Bat! (popular with Russian users).
    TheBat,
    /// Becky! Internet Mail (Japanese).
    Becky,
    /// Foxmail (Chinese).
    Foxmail,
    /// A bulk mailing service.
    Bulk,
}

impl Mailer {
    /// The `X-Mailer` or `User-Agent` header, if the client sends one.
    pub(crate) fn agent_header(self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            Mailer::Thunderbird => (
                "User-Agent",
                "Mozilla/5.0 (X11; Linux x86_64; rv:102.0) Gecko/20100101 Thunderbird/102.15.1",
            ),
            Mailer::Outlook => ("X-Mailer", "Microsoft Outlook 16.0"),
            Mailer::AppleMail => ("X-Mailer", "Apple Mail (2.3731.700.6)"),
            Mailer::Gmail => return None,
            Mailer::Mutt => ("User-Agent", "Mutt/2.2.9 (2022-11-12)"),
            Mailer::GitSendEmail => ("X-Mailer", "git-send-email 2.39.2"),
            Mailer::Evolution => ("X-Mailer", "Evolution 3.46.4-2"),
            Mailer::TheBat => ("X-Mailer", "The Bat! (v9.4.5) Professional"),
            Mailer::Becky => ("X-Mailer", "Becky! ver. 2.81.04 [ja]"),
            Mailer::Foxmail => ("X-Mailer", "Foxmail 7.2.25.228[cn]"),
            Mailer::Bulk => ("X-Mailer", "ExampleMailer Bulk Engine 4.2"),
        })
    }

    /// Whether this client usually sends HTML alternatives.
    pub(crate) fn likes_html(self) -> bool {
        matches!(
            self,
            Mailer::Outlook | Mailer::AppleMail | Mailer::Gmail | Mailer::Foxmail | Mailer::Bulk
        )
    }

    /// Whether this client writes plain text only.
    pub(crate) fn text_only(self) -> bool {
        matches!(self, Mailer::Mutt | Mailer::GitSendEmail)
    }
}

/// One person (or organisation) with everything needed to write headers.
#[derive(Clone, Debug)]
pub(crate) struct Person {
    /// Preferred language.
    pub(crate) lang: Lang,
    /// Display name (may be empty for bare addresses).
    pub(crate) display: String,
    /// Given name used in greetings and sign-offs.
    pub(crate) given: String,
    /// Full name for signatures.
    pub(crate) full: String,
    /// Address (`local@domain`).
    pub(crate) address: String,
    /// Home time zone.
    pub(crate) zone: Zone,
    /// Mail client.
    pub(crate) mailer: Mailer,
    /// Preferred body charset (before fallback to UTF-8).
    pub(crate) charset: Charset,
    /// Sends only the bare address without a display name.
    pub(crate) bare: bool,
    /// Adds a signature block.
    pub(crate) signature: bool,
}

const DOMAINS: &[&str] = &[
    "example.org",
    "example.com",
    "mail.example.net",
    "example.net",
    "corp.example.com",
    "dev.example.org",
    "post.example",
    "uni.example.edu",
];

/// Address of the development mailing list.
pub(crate) const LIST_ADDRESS: &str = "dev@lists.example.org";
/// `List-Id` of the development mailing list.
pub(crate) const LIST_ID: &str = "Developer discussion <dev.lists.example.org>";

/// Languages of the most frequent correspondents, so that every language
/// shows up even in small corpora (rotated per seed).
const TOP_LANGS: [Lang; 12] = [
    Lang::En,
    Lang::De,
    Lang::En,
    Lang::Ru,
    Lang::Fr,
    Lang::En,
    Lang::Ja,
    Lang::En,
    Lang::Zh,
    Lang::De,
    Lang::En,
    Lang::Fr,
];

fn lang_for(seed: u64, id: usize, r: &mut Rng) -> Lang {
    const LANGS: [Lang; 6] = [Lang::En, Lang::De, Lang::Fr, Lang::Ru, Lang::Zh, Lang::Ja];
    if id < TOP_LANGS.len() {
        let rotation = Rng::new(seed, usize::MAX - 1, STREAM_PERSON).below(TOP_LANGS.len());
        return TOP_LANGS[(id + rotation) % TOP_LANGS.len()];
    }
    LANGS[r.weighted(&[50, 14, 12, 10, 7, 7])]
}

fn zone_for(lang: Lang, r: &mut Rng) -> Zone {
    match lang {
        Lang::En => *r.pick(&[
            dates::PACIFIC,
            dates::PACIFIC,
            dates::EASTERN,
            dates::EASTERN,
            dates::MOUNTAIN,
            dates::LONDON,
            dates::UTC,
            dates::INDIA,
        ]),
        Lang::De | Lang::Fr => dates::CET,
        Lang::Ru => dates::MOSCOW,
        Lang::Zh => dates::CHINA,
        Lang::Ja => dates::JAPAN,
    }
}

fn mailer_for(lang: Lang, r: &mut Rng) -> Mailer {
    use Mailer::*;
    let (mailers, weights): (&[Mailer], &[u32]) = match lang {
        Lang::En => (
            &[Thunderbird, Outlook, AppleMail, Gmail, Mutt, Evolution],
            &[20, 25, 15, 25, 10, 5],
        ),
        Lang::De | Lang::Fr => (
            &[Thunderbird, Outlook, AppleMail, Gmail, Mutt],
            &[30, 30, 10, 20, 10],
        ),
        Lang::Ru => (&[Thunderbird, Outlook, Gmail, TheBat], &[25, 25, 20, 30]),
        Lang::Zh => (&[Outlook, Gmail, Foxmail], &[30, 25, 45]),
        Lang::Ja => (&[Outlook, Thunderbird, Becky, Gmail], &[40, 15, 30, 15]),
    };
    mailers[r.weighted(weights)]
}

fn charset_for(lang: Lang, mailer: Mailer, r: &mut Rng) -> Charset {
    use Charset::*;
    match (mailer, lang) {
        (Mailer::Thunderbird | Mailer::Gmail | Mailer::Evolution | Mailer::GitSendEmail, _) => Utf8,
        (Mailer::AppleMail, _) => *r.pick(&[UsAscii, Utf8]),
        (_, Lang::En) => *r.pick(&[UsAscii, UsAscii, Latin1, Utf8]),
        (_, Lang::De | Lang::Fr) => *r.pick(&[Latin1, Latin1, Utf8]),
        (Mailer::TheBat, Lang::Ru) => *r.pick(&[Koi8R, Koi8R, Win1251]),
        (_, Lang::Ru) => *r.pick(&[Koi8R, Win1251, Utf8]),
        (_, Lang::Zh) => *r.pick(&[Gb2312, Gb2312, Utf8]),
        (Mailer::Becky, Lang::Ja) => Iso2022Jp,
        (_, Lang::Ja) => *r.pick(&[Iso2022Jp, ShiftJis, ShiftJis]),
    }
}

fn local_part(name: &PersonName, r: &mut Rng) -> String {
    let (g, f) = (name.given_ascii, name.family_ascii.as_str());
    match r.weighted(&[40, 15, 15, 10, 10, 10]) {
        0 => format!("{g}.{f}"),
        1 => format!("{g}_{f}"),
        2 => format!("{}{f}", &g[..1]),
        3 => g.to_string(),
        4 => format!("{g}_user{}", r.below(100)),
        _ => format!("{g}{}", 60 + r.below(40)),
    }
}

/// Person number `id` of the pool of `seed`.
pub(crate) fn person(seed: u64, id: usize) -> Person {
    let mut r = Rng::new(seed, id, STREAM_PERSON);
    let lang = lang_for(seed, id, &mut r);
    let name = pick_name(lang, r.below(1 << 16), r.below(1 << 16), r.below(1 << 16));
    let mailer = mailer_for(lang, &mut r);
    let domain = DOMAINS[r.zipf(DOMAINS.len())];
    // Suffixing the pool number keeps addresses of namesakes distinct.
    let local = local_part(&name, &mut r);
    let address = if r.chance(0.3) {
        format!("{local}{id}@{domain}")
    } else {
        format!("{local}@{domain}")
    };
    let comma_name = lang.spaced() && r.chance(0.08);
    let display = if comma_name {
        format!("{}, {}", name.family, name.given)
    } else {
        name.display.clone()
    };
    Person {
        lang,
        display,
        given: name.given.clone(),
        full: name.display,
        address,
        zone: zone_for(lang, &mut r),
        charset: charset_for(lang, mailer, &mut r),
        mailer,
        bare: r.chance(0.05),
        signature: r.chance(0.45),
    }
}

/// The owner of the mail home of `seed`.
pub(crate) fn owner(seed: u64) -> Person {
    let mut r = Rng::new(seed, usize::MAX, STREAM_PERSON);
    let name = pick_name(Lang::En, r.below(1 << 16), r.below(1 << 16), 0);
    Person {
        lang: Lang::En,
        address: format!("{}.{}@example.org", name.given_ascii, name.family_ascii),
        display: name.display.clone(),
        given: name.given.clone(),
        full: name.display,
        zone: dates::CET,
        mailer: Mailer::Thunderbird,
        charset: Charset::Utf8,
        bare: false,
        signature: true,
    }
}

/// Newsletter and notification senders: (display, address, language).
const ORGS: &[(&str, &str, Lang)] = &[
    ("Example Store", "newsletter@shop.example.com", Lang::En),
    ("CI Bot", "ci@build.example.org", Lang::En),
    ("Beispiel Reisen", "angebote@reisen.example", Lang::De),
    ("La Boutique Exemple", "infos@boutique.example", Lang::Fr),
    ("Example Bank", "no-reply@bank.example.net", Lang::En),
];

/// Number of organisations.
pub(crate) const ORG_COUNT: usize = ORGS.len();

/// Organisation number `id`.
pub(crate) fn org(id: usize) -> Person {
    let (display, address, lang) = ORGS[id % ORGS.len()];
    Person {
        lang,
        display: display.to_string(),
        given: display.to_string(),
        full: display.to_string(),
        address: address.to_string(),
        zone: dates::UTC,
        mailer: Mailer::Bulk,
        charset: if lang == Lang::En {
            Charset::UsAscii
        } else {
            Charset::Latin1
        },
        bare: false,
        signature: false,
    }
}

/// The person behind a party.
pub(crate) fn resolve(seed: u64, party: Party) -> Person {
    match party {
        Party::Owner => owner(seed),
        Party::Person(id) => person(seed, id),
        Party::Org(id) => org(id),
        Party::List => Person {
            lang: Lang::En,
            display: "Developer discussion".to_string(),
            given: "all".to_string(),
            full: "Developer discussion".to_string(),
            address: LIST_ADDRESS.to_string(),
            zone: dates::UTC,
            mailer: Mailer::Mutt,
            charset: Charset::UsAscii,
            bare: true,
            signature: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_is_varied() {
        let people: Vec<Person> = (0..POOL).map(|i| person(7, i)).collect();
        for lang in crate::vocab::ALL_LANGS {
            assert!(people.iter().any(|p| p.lang == lang));
        }
        assert!(people.iter().any(|p| p.address.contains('_')));
        assert!(people.iter().any(|p| p.display.contains(',')));
        assert!(people.iter().all(|p| p.address.is_ascii()));
    }
}
