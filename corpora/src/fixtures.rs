//! Small hand-written messages covering parser and search edge cases.

const HEAD: &str = "From: Alice Example <alice@example.org>\n\
To: Bob Example <bob@example.com>\n\
Message-ID: <{id}@fixtures.example.org>\n\
MIME-Version: 1.0\n";

const DATE: &str = "Date: Tue, 07 Mar 2023 14:05:09 +0100\n";

/// Standard From/To/Message-ID/MIME-Version headers plus `Date` and `rest`.
fn simple(id: &str, rest: &str) -> Vec<u8> {
    let mut s = HEAD.replace("{id}", id);
    s.push_str(DATE);
    s.push_str(rest);
    s.into_bytes()
}

/// Hand-written named edge-case messages for tests.
///
/// Each entry is `(name, raw message)`; lines end in `\n`. The names and
/// what each message exercises:
///
/// - `encoded_words`: RFC 2047 in `From` (UTF-8 B), `To` (ISO-8859-1 Q) and
///   a `Subject` made of two adjacent Q words ("Grüße aus München").
/// - `koi8r`: KOI8-R encoded subject and 8-bit KOI8-R body.
/// - `folded_headers`: `Subject` and `To` folded over several lines.
/// - `qp_soft_break`: quoted-printable soft breaks inside `usb_gadget_probe`
///   and inside the UTF-8 bytes of `Straße`.
/// - `html_only`: `text/html` with entities, `<style>` and `<script>` blocks.
/// - `cjk_body`: Chinese and Japanese text without spaces (UTF-8).
/// - `iso2022jp`: Japanese in ISO-2022-JP, subject and body.
/// - `german_strasse`: ISO-8859-1 `Straße` and upper-case `STRASSE`.
/// - `greek_cyrillic_case`: Greek (final sigma) and Cyrillic case pairs.
/// - `two_subjects`: two `Subject` headers.
/// - `no_date`: no `Date` header.
/// - `late_night_date`: `Date` 23:30 -0700, i.e. the next day in UTC.
/// - `empty_body`: header block and separator, no body.
/// - `header_only`: header block without the separating blank line.
/// - `usb_gadget_in_word`: `usb_gadget` embedded in longer identifiers.
/// - `phrase_line_break`: the phrase "quarterly report" split by a line break.
/// - `identifiers`: a DKIM signature, a long numeric Message-ID and a SHA-256 hash in the body
///   (opaque runs: found through the gram fields).
/// - `html_alternative`: multipart/alternative whose word `zanzibarite` is only in the HTML part.
pub fn fixture_messages() -> Vec<(&'static str, Vec<u8>)> {
    let mut v: Vec<(&'static str, Vec<u8>)> = Vec::new();
    v.push((
        "encoded_words",
        b"From: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <juergen.mueller@example.org>\n\
To: =?ISO-8859-1?Q?Fran=E7ois_L=E9gar=E9?= <francois@example.com>\n\
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus?= =?UTF-8?Q?_M=C3=BCnchen?=\n\
Date: Tue, 07 Mar 2023 14:05:09 +0100\n\
Message-ID: <encoded-words@fixtures.example.org>\n\
MIME-Version: 1.0\n\
Content-Type: text/plain; charset=us-ascii\n\
\n\
Greetings from Munich.\n"
            .to_vec(),
    ));
    let mut koi8 = simple(
        "koi8r",
        "Subject: =?KOI8-R?B?79Teo9Qg2sEgy9fB0tTBzA==?=\n\
Content-Type: text/plain; charset=koi8-r\n\
Content-Transfer-Encoding: 8bit\n\n",
    );
    // "Тестовое сообщение: привет." in KOI8-R.
    koi8.extend_from_slice(
        b"\xf4\xc5\xd3\xd4\xcf\xd7\xcf\xc5 \xd3\xcf\xcf\xc2\xdd\xc5\xce\xc9\xc5: \xd0\xd2\xc9\xd7\xc5\xd4.\n",
    );
    v.push(("koi8r", koi8));
    v.push((
        "folded_headers",
        simple(
            "folded",
            "Subject: This is a rather long subject line that the sending client\n\
 has folded across\n\tthree lines\n\
Cc: Carol Example <carol@example.org>,\n\
\tDave Example <dave@example.net>,\n  Eve Example <eve@example.com>\n\
Content-Type: text/plain; charset=us-ascii\n\n\
Folded headers unfold to a single line.\n",
        ),
    ));
    v.push((
        "qp_soft_break",
        simple(
            "qp-soft-break",
            "Subject: Soft line breaks\n\
Content-Type: text/plain; charset=utf-8\n\
Content-Transfer-Encoding: quoted-printable\n\n\
The function usb_gad=\nget_probe is called from the Stra=\n=C3=9Fe handler=\n \
with a soft break after a space.\n",
        ),
    ));
    v.push((
        "html_only",
        simple(
            "html-only",
            "Subject: HTML only\n\
Content-Type: text/html; charset=utf-8\n\
Content-Transfer-Encoding: 7bit\n\n\
<!DOCTYPE html>\n<html><head>\n\
<style type=\"text/css\">p { color: red; } .stylehidden { display: none; }</style>\n\
<script type=\"text/javascript\">var scriptonly = \"scripthidden\";</script>\n\
</head><body>\n\
<p>Caf&eacute; &amp; cr&egrave;me br&ucirc;l&eacute;e &lt;tag&gt; &#x4E2D;&#25991; &nbsp;visible</p>\n\
</body></html>\n",
        ),
    ));
    v.push((
        "cjk_body",
        simple(
            "cjk",
            "Subject: =?UTF-8?B?5YWo5paH5qOA57Si?=\n\
Content-Type: text/plain; charset=utf-8\n\
Content-Transfer-Encoding: 8bit\n\n\
全文检索是一个很重要的功能。我们下周讨论索引的设计。\n\
東京で会議を行いました。資料を確認してください。\n",
        ),
    ));
    let mut jis = simple(
        "iso2022jp",
        "Subject: =?ISO-2022-JP?B?GyRCMnE1RCRONUQ7dk8/GyhC?=\n\
Content-Type: text/plain; charset=iso-2022-jp\n\
Content-Transfer-Encoding: 7bit\n\n",
    );
    // "会議の議事録です。" in ISO-2022-JP.
    jis.extend_from_slice(b"\x1b$B2q5D$N5D;vO?$G$9!#\x1b(B\n");
    v.push(("iso2022jp", jis));
    v.push((
        "german_strasse",
        simple(
            "strasse",
            "Subject: =?ISO-8859-1?Q?Stra=DFensperrung?=\n\
Content-Type: text/plain; charset=iso-8859-1\n\
Content-Transfer-Encoding: quoted-printable\n\n\
Die Stra=DFe ist gesperrt.\nDIE STRASSE IST GESPERRT.\n",
        ),
    ));
    v.push((
        "greek_cyrillic_case",
        simple(
            "case-pairs",
            "Subject: Case pairs\n\
Content-Type: text/plain; charset=utf-8\n\
Content-Transfer-Encoding: 8bit\n\n\
ΟΔΟΣ οδός ΣΟΦΙΑ σοφία\nПРИВЕТ привет ЁЛКА ёлка\n",
        ),
    ));
    v.push((
        "two_subjects",
        simple(
            "two-subjects",
            "Subject: First subject\n\
Subject: Second subject\n\
Content-Type: text/plain; charset=us-ascii\n\n\
A message with two Subject headers.\n",
        ),
    ));
    v.push((
        "no_date",
        HEAD.replace("{id}", "no-date")
            .replace("MIME-Version: 1.0\n", "")
            .into_bytes()
            .into_iter()
            .chain(
                b"Subject: No date header\n\nThis message has no Date header.\n"
                    .iter()
                    .copied(),
            )
            .collect(),
    ));
    v.push((
        "late_night_date",
        HEAD.replace("{id}", "late-night")
            .into_bytes()
            .into_iter()
            .chain(
                b"Date: Tue, 07 Mar 2023 23:30:00 -0700\n\
Subject: Late night\n\
Content-Type: text/plain; charset=us-ascii\n\n\
Sent on March 7 local time, which is March 8 in UTC.\n"
                    .iter()
                    .copied(),
            )
            .collect(),
    ));
    v.push((
        "empty_body",
        simple("empty-body", "Subject: Empty body\n\n"),
    ));
    v.push((
        "header_only",
        simple("header-only", "Subject: Header only\n"),
    ));
    v.push((
        "usb_gadget_in_word",
        simple(
            "usb-gadget",
            "Subject: Identifiers\n\
Content-Type: text/plain; charset=us-ascii\n\n\
See dwc3_usb_gadget_init() and nousb_gadgetx, but not the bare word.\n",
        ),
    ));
    v.push((
        "phrase_line_break",
        simple(
            "phrase-break",
            "Subject: Line break inside a phrase\n\
Content-Type: text/plain; charset=us-ascii\n\n\
Please send me the quarterly\n\
report before Friday.\n",
        ),
    ));
    v.push((
        "identifiers",
        b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=sel;\n\
\tbh=Qx7mK2pQz9LwT4vR8nB3cY6hJ1sD5fG0aE2uI9oP7kM=;\n\
\tb=mK2pQz9LwT4vR8nB3cY6hJ1sD5fG0aE2uI9oP7kMQx7Zr4Yt8Wq1Ls6Nd3Hf0Gj5Ka2Pb9Xc7Vm4Bn1\n\
From: Alice Example <alice@example.org>\n\
To: Bob Example <bob@example.com>\n\
Message-ID: <20190401123456.31337-1-alice@example.org>\n\
Date: Mon, 01 Apr 2019 12:34:56 +0000\n\
Subject: Checksums\n\
MIME-Version: 1.0\n\
Content-Type: text/plain; charset=us-ascii\n\n\
sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 of the image.\n"
            .to_vec(),
    ));
    v.push((
        "html_alternative",
        simple(
            "html-alternative",
            "Subject: See attachment\n\
Content-Type: multipart/alternative; boundary=\"alt\"\n\n\
--alt\n\
Content-Type: text/plain; charset=us-ascii\n\n\
Please see the attached file.\n\
--alt\n\
Content-Type: text/html; charset=us-ascii\n\n\
<html><body><p>Please see the attached <b>zanzibarite</b> file.</p>\
<script>var hiddenscriptword = 1;</script></body></html>\n\
--alt--\n",
        ),
    ));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lines_end_in_lf() {
        let all = fixture_messages();
        assert!(all.len() >= 15);
        let mut names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
        for (name, bytes) in &all {
            assert!(!bytes.contains(&b'\r'), "{name}");
            assert!(bytes.ends_with(b"\n"), "{name}");
        }
    }
}
