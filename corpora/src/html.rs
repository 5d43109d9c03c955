//! HTML rendering of text blocks, including newsletter-style markup.

use crate::encode::html_escape;
use crate::rng::Rng;
use crate::snippets;
use crate::text::Block;

/// Options for an HTML rendering.
pub(crate) struct HtmlStyle {
    /// Use named entities (`&eacute;`) for Latin letters.
    pub(crate) entities: bool,
    /// Include a `<style>` block.
    pub(crate) style: bool,
    /// Include a `<script>` block (tracking code).
    pub(crate) script: bool,
    /// Meta charset label.
    pub(crate) charset: &'static str,
    /// Newsletter layout with tables, images and an unsubscribe footer.
    pub(crate) newsletter: bool,
}

fn esc(text: &str, style: &HtmlStyle, out: &mut String) {
    html_escape(text, style.entities, out);
}

/// Renders blocks as an HTML document (one element per source line).
pub(crate) fn render_html(blocks: &[Block], style: &HtmlStyle, r: &mut Rng) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str("<!DOCTYPE html>\n<html>\n<head>\n");
    out.push_str(&format!(
        "<meta http-equiv=\"Content-Type\" content=\"text/html; charset={}\">\n",
        style.charset
    ));
    if style.style {
        out.push_str("<style type=\"text/css\">\n");
        out.push_str("body { font-family: Calibri, Arial, sans-serif; font-size: 11pt; }\n");
        out.push_str("p.MsoNormal, li.MsoNormal { margin: 0cm; margin-bottom: .0001pt; }\n");
        out.push_str(".footer a { color: #888888 !important; text-decoration: none; }\n");
        out.push_str("</style>\n");
    }
    if style.script {
        out.push_str("<script type=\"text/javascript\">\n");
        out.push_str(&format!(
            "var _trk = _trk || []; _trk.push(['campaign', '{:08x}']); if (a < b && b > 0) {{ load(); }}\n",
            r.next_u64() as u32
        ));
        out.push_str("</script>\n");
    }
    out.push_str("</head>\n<body>\n");
    if style.newsletter {
        out.push_str("<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr><td align=\"center\">\n");
        out.push_str(&format!(
            "<img src=\"{}/img/logo.png\" alt=\"Logo\" width=\"120\" height=\"40\">\n",
            snippets::url(r)
        ));
    } else {
        out.push_str("<div dir=\"ltr\">\n");
    }
    let mut depth = 0;
    for block in blocks {
        let want = if let Block::Quote(d, _) = block {
            *d
        } else {
            0
        };
        while depth < want {
            out.push_str("<blockquote type=\"cite\" style=\"margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex\">\n");
            depth += 1;
        }
        while depth > want {
            out.push_str("</blockquote>\n");
            depth -= 1;
        }
        match block {
            Block::Para(p) | Block::Quote(_, p) => {
                out.push_str("<p class=\"MsoNormal\">");
                esc(p, style, &mut out);
                out.push_str("</p>\n");
            }
            Block::Lines(lines) => {
                out.push_str("<div>");
                for (i, l) in lines.iter().enumerate() {
                    if i > 0 {
                        out.push_str("<br>");
                    }
                    esc(l, style, &mut out);
                }
                out.push_str("</div>\n<div><br></div>\n");
            }
            Block::Pre(t) => {
                out.push_str("<pre style=\"font-family: monospace\">");
                esc(t, style, &mut out);
                out.push_str("</pre>\n");
            }
            Block::Attribution(a) => {
                out.push_str("<div class=\"gmail_attr\">");
                esc(a, style, &mut out);
                out.push_str("<br></div>\n");
            }
            Block::Signature(lines) => {
                out.push_str("<div class=\"signature\">--&nbsp;<br>");
                for l in lines {
                    esc(l, style, &mut out);
                    out.push_str("<br>");
                }
                out.push_str("</div>\n");
            }
        }
    }
    while depth > 0 {
        out.push_str("</blockquote>\n");
        depth -= 1;
    }
    if style.newsletter {
        out.push_str(&format!(
            "<p class=\"footer\">&copy; 2023 Example Store &mdash; <a href=\"{}\">Unsubscribe</a> &middot; <a href=\"{}\">View in browser</a></p>\n",
            snippets::url(r),
            snippets::url(r)
        ));
        out.push_str(&format!(
            "<img src=\"https://track.example.com/open/{:016x}.gif\" width=\"1\" height=\"1\" alt=\"\">\n",
            r.next_u64()
        ));
        out.push_str("</td></tr></table>\n");
    } else {
        out.push_str("</div>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_entities_and_blocks() {
        let blocks = vec![
            Block::Para("Café & thé <ok>".into()),
            Block::Quote(1, "q".into()),
        ];
        let style = HtmlStyle {
            entities: true,
            style: true,
            script: true,
            charset: "utf-8",
            newsletter: false,
        };
        let html = render_html(&blocks, &style, &mut Rng::new(1, 1, 1));
        assert!(html.contains("Caf&eacute; &amp; th&eacute; &lt;ok&gt;"));
        assert!(
            html.contains("<blockquote") && html.contains("<script") && html.contains("<style")
        );
    }
}
