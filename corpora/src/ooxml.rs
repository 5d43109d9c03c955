//! The constant parts of a DOCX package as Word 2016 writes them (abridged): content types,
//! relationships, styles with the latent-style table, settings, web settings, font table and
//! the Office theme. They make a generated DOCX look and weigh (about 11 KB) like a real one.

const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n";
const W_NS: &str = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"";
const R_NS: &str =
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"";

/// `[Content_Types].xml`.
pub(crate) fn content_types() -> String {
    let mut s = String::from(XML_DECL);
    s.push_str("<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">");
    s.push_str("<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>");
    s.push_str("<Default Extension=\"xml\" ContentType=\"application/xml\"/>");
    let wml = "application/vnd.openxmlformats-officedocument.wordprocessingml";
    for (part, ty) in [
        ("/word/document.xml", format!("{wml}.document.main+xml")),
        ("/word/styles.xml", format!("{wml}.styles+xml")),
        ("/word/settings.xml", format!("{wml}.settings+xml")),
        ("/word/webSettings.xml", format!("{wml}.webSettings+xml")),
        ("/word/fontTable.xml", format!("{wml}.fontTable+xml")),
        (
            "/word/theme/theme1.xml",
            "application/vnd.openxmlformats-officedocument.theme+xml".to_string(),
        ),
        (
            "/docProps/core.xml",
            "application/vnd.openxmlformats-package.core-properties+xml".to_string(),
        ),
        (
            "/docProps/app.xml",
            "application/vnd.openxmlformats-officedocument.extended-properties+xml".to_string(),
        ),
    ] {
        s.push_str(&format!(
            "<Override PartName=\"{part}\" ContentType=\"{ty}\"/>"
        ));
    }
    s.push_str("</Types>");
    s
}

fn relationships(rels: &[(&str, &str, &str)]) -> String {
    let mut s = String::from(XML_DECL);
    s.push_str(
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    );
    for (id, ty, target) in rels {
        s.push_str(&format!(
            "<Relationship Id=\"{id}\" Type=\"{ty}\" Target=\"{target}\"/>"
        ));
    }
    s.push_str("</Relationships>");
    s
}

const OFFICE_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// `_rels/.rels`.
pub(crate) fn package_rels() -> String {
    relationships(&[
        (
            "rId3",
            &format!("{OFFICE_REL}/extended-properties"),
            "docProps/app.xml",
        ),
        (
            "rId2",
            "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
            "docProps/core.xml",
        ),
        (
            "rId1",
            &format!("{OFFICE_REL}/officeDocument"),
            "word/document.xml",
        ),
    ])
}

/// `word/_rels/document.xml.rels`.
pub(crate) fn document_rels() -> String {
    relationships(&[
        (
            "rId3",
            &format!("{OFFICE_REL}/webSettings"),
            "webSettings.xml",
        ),
        ("rId2", &format!("{OFFICE_REL}/settings"), "settings.xml"),
        ("rId1", &format!("{OFFICE_REL}/styles"), "styles.xml"),
        ("rId5", &format!("{OFFICE_REL}/theme"), "theme/theme1.xml"),
        ("rId4", &format!("{OFFICE_REL}/fontTable"), "fontTable.xml"),
    ])
}

/// Names of Word's latent styles, in its order (the table styles are generated).
const LATENT: &[&str] = &[
    "Normal",
    "heading 1",
    "heading 2",
    "heading 3",
    "heading 4",
    "heading 5",
    "heading 6",
    "heading 7",
    "heading 8",
    "heading 9",
    "index 1",
    "index 2",
    "index 3",
    "index 4",
    "index 5",
    "index 6",
    "index 7",
    "index 8",
    "index 9",
    "toc 1",
    "toc 2",
    "toc 3",
    "toc 4",
    "toc 5",
    "toc 6",
    "toc 7",
    "toc 8",
    "toc 9",
    "Normal Indent",
    "footnote text",
    "annotation text",
    "header",
    "footer",
    "index heading",
    "caption",
    "table of figures",
    "envelope address",
    "envelope return",
    "footnote reference",
    "annotation reference",
    "line number",
    "page number",
    "endnote reference",
    "endnote text",
    "table of authorities",
    "macro",
    "toa heading",
    "List",
    "List Bullet",
    "List Number",
    "List 2",
    "List 3",
    "List 4",
    "List 5",
    "List Bullet 2",
    "List Bullet 3",
    "List Bullet 4",
    "List Bullet 5",
    "List Number 2",
    "List Number 3",
    "List Number 4",
    "List Number 5",
    "Title",
    "Closing",
    "Signature",
    "Default Paragraph Font",
    "Body Text",
    "Body Text Indent",
    "List Continue",
    "List Continue 2",
    "List Continue 3",
    "List Continue 4",
    "List Continue 5",
    "Message Header",
    "Subtitle",
    "Salutation",
    "Date",
    "Body Text First Indent",
    "Body Text First Indent 2",
    "Note Heading",
    "Body Text 2",
    "Body Text 3",
    "Body Text Indent 2",
    "Body Text Indent 3",
    "Block Text",
    "Hyperlink",
    "FollowedHyperlink",
    "Strong",
    "Emphasis",
    "Document Map",
    "Plain Text",
    "E-mail Signature",
    "HTML Top of Form",
    "HTML Bottom of Form",
    "Normal (Web)",
    "HTML Acronym",
    "HTML Address",
    "HTML Cite",
    "HTML Code",
    "HTML Definition",
    "HTML Keyboard",
    "HTML Preformatted",
    "HTML Sample",
    "HTML Typewriter",
    "HTML Variable",
    "Normal Table",
    "annotation subject",
    "No List",
    "Outline List 1",
    "Outline List 2",
    "Outline List 3",
    "Table Simple 1",
    "Table Simple 2",
    "Table Simple 3",
    "Table Classic 1",
    "Table Classic 2",
    "Table Classic 3",
    "Table Classic 4",
    "Table Colorful 1",
    "Table Colorful 2",
    "Table Colorful 3",
    "Table Columns 1",
    "Table Columns 2",
    "Table Columns 3",
    "Table Columns 4",
    "Table Columns 5",
    "Table Grid 1",
    "Table Grid 2",
    "Table Grid 3",
    "Table Grid 4",
    "Table Grid 5",
    "Table Grid 6",
    "Table Grid 7",
    "Table Grid 8",
    "Table List 1",
    "Table List 2",
    "Table List 3",
    "Table List 4",
    "Table List 5",
    "Table List 6",
    "Table List 7",
    "Table List 8",
    "Table 3D effects 1",
    "Table 3D effects 2",
    "Table 3D effects 3",
    "Table Contemporary",
    "Table Elegant",
    "Table Professional",
    "Table Subtle 1",
    "Table Subtle 2",
    "Table Web 1",
    "Table Web 2",
    "Table Web 3",
    "Balloon Text",
    "Table Grid",
    "Table Theme",
    "Placeholder Text",
    "No Spacing",
    "Revision",
    "List Paragraph",
    "Quote",
    "Intense Quote",
    "Subtle Emphasis",
    "Intense Emphasis",
    "Subtle Reference",
    "Intense Reference",
    "Book Title",
    "Bibliography",
    "TOC Heading",
    "Plain Table 1",
    "Plain Table 2",
    "Plain Table 3",
    "Plain Table 4",
    "Plain Table 5",
    "Grid Table Light",
];

/// `word/styles.xml`: defaults, about 370 latent styles, and the styles the documents use.
pub(crate) fn styles() -> String {
    let mut s = String::with_capacity(40_000);
    s.push_str(XML_DECL);
    s.push_str(&format!("<w:styles {W_NS} {R_NS} xmlns:mc=\"http://schemas.openxmlformats.org/markup-compatibility/2006\" mc:Ignorable=\"w14 w15\">"));
    s.push_str("<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:asciiTheme=\"minorHAnsi\" w:eastAsiaTheme=\"minorEastAsia\" w:hAnsiTheme=\"minorHAnsi\" w:cstheme=\"minorBidi\"/><w:sz w:val=\"22\"/><w:szCs w:val=\"22\"/><w:lang w:val=\"en-US\" w:eastAsia=\"ja-JP\" w:bidi=\"ar-SA\"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"160\" w:line=\"259\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>");
    let mut names: Vec<String> = LATENT.iter().map(|n| n.to_string()).collect();
    for kind in ["Grid Table", "List Table"] {
        for n in 1..=7 {
            let variant = match n {
                1 => " Light",
                6 => " Colorful",
                7 => " Colorful",
                _ => "",
            };
            names.push(format!("{kind} {n}{variant}"));
            for a in 1..=6 {
                names.push(format!("{kind} {n}{variant} Accent {a}"));
            }
        }
    }
    for n in [
        "Mention",
        "Smart Hyperlink",
        "Hashtag",
        "Unresolved Mention",
        "Smart Link",
    ] {
        names.push(n.to_string());
    }
    s.push_str(&format!("<w:latentStyles w:defLockedState=\"0\" w:defUIPriority=\"99\" w:defSemiHidden=\"0\" w:defUnhideWhenUsed=\"0\" w:defQFormat=\"0\" w:count=\"{}\">", names.len()));
    for (i, name) in names.iter().enumerate() {
        let priority = match name.as_str() {
            "Normal" => 0,
            "Title" => 10,
            "Subtitle" => 11,
            "Strong" => 22,
            "Emphasis" => 20,
            "Table Grid" => 39,
            n if n.starts_with("heading") => 9,
            _ => 39 + (i % 30) as u32,
        };
        let hidden = if name.starts_with("heading") && name != "heading 1"
            || name.starts_with("index")
            || name.starts_with("toc ")
        {
            " w:semiHidden=\"1\" w:unhideWhenUsed=\"1\""
        } else {
            ""
        };
        let q = if priority <= 11 || priority == 20 || priority == 22 {
            " w:qFormat=\"1\""
        } else {
            ""
        };
        s.push_str(&format!(
            "<w:lsdException w:name=\"{name}\" w:uiPriority=\"{priority}\"{hidden}{q}/>"
        ));
    }
    s.push_str("</w:latentStyles>");
    s.push_str("<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/></w:style>");
    s.push_str("<w:style w:type=\"paragraph\" w:styleId=\"Heading1\"><w:name w:val=\"heading 1\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:link w:val=\"Heading1Char\"/><w:uiPriority w:val=\"9\"/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before=\"240\" w:after=\"0\"/><w:outlineLvl w:val=\"0\"/></w:pPr><w:rPr><w:rFonts w:asciiTheme=\"majorHAnsi\" w:eastAsiaTheme=\"majorEastAsia\" w:hAnsiTheme=\"majorHAnsi\" w:cstheme=\"majorBidi\"/><w:color w:val=\"2F5496\" w:themeColor=\"accent1\" w:themeShade=\"BF\"/><w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/></w:rPr></w:style>");
    s.push_str("<w:style w:type=\"character\" w:default=\"1\" w:styleId=\"DefaultParagraphFont\"><w:name w:val=\"Default Paragraph Font\"/><w:uiPriority w:val=\"1\"/><w:semiHidden/><w:unhideWhenUsed/></w:style>");
    s.push_str("<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/><w:uiPriority w:val=\"99\"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/><w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>");
    s.push_str("<w:style w:type=\"numbering\" w:default=\"1\" w:styleId=\"NoList\"><w:name w:val=\"No List\"/><w:uiPriority w:val=\"99\"/><w:semiHidden/><w:unhideWhenUsed/></w:style>");
    s.push_str("<w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:link w:val=\"TitleChar\"/><w:uiPriority w:val=\"10\"/><w:qFormat/><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/><w:contextualSpacing/></w:pPr><w:rPr><w:rFonts w:asciiTheme=\"majorHAnsi\" w:eastAsiaTheme=\"majorEastAsia\" w:hAnsiTheme=\"majorHAnsi\" w:cstheme=\"majorBidi\"/><w:spacing w:val=\"-10\"/><w:kern w:val=\"28\"/><w:sz w:val=\"56\"/><w:szCs w:val=\"56\"/></w:rPr></w:style>");
    s.push_str("<w:style w:type=\"character\" w:customStyle=\"1\" w:styleId=\"Heading1Char\"><w:name w:val=\"Heading 1 Char\"/><w:basedOn w:val=\"DefaultParagraphFont\"/><w:link w:val=\"Heading1\"/><w:uiPriority w:val=\"9\"/><w:rPr><w:rFonts w:asciiTheme=\"majorHAnsi\" w:eastAsiaTheme=\"majorEastAsia\" w:hAnsiTheme=\"majorHAnsi\" w:cstheme=\"majorBidi\"/><w:color w:val=\"2F5496\" w:themeColor=\"accent1\" w:themeShade=\"BF\"/><w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/></w:rPr></w:style>");
    s.push_str("<w:style w:type=\"character\" w:customStyle=\"1\" w:styleId=\"TitleChar\"><w:name w:val=\"Title Char\"/><w:basedOn w:val=\"DefaultParagraphFont\"/><w:link w:val=\"Title\"/><w:uiPriority w:val=\"10\"/><w:rPr><w:rFonts w:asciiTheme=\"majorHAnsi\" w:eastAsiaTheme=\"majorEastAsia\" w:hAnsiTheme=\"majorHAnsi\" w:cstheme=\"majorBidi\"/><w:spacing w:val=\"-10\"/><w:kern w:val=\"28\"/><w:sz w:val=\"56\"/><w:szCs w:val=\"56\"/></w:rPr></w:style>");
    s.push_str("<w:style w:type=\"table\" w:styleId=\"TableGrid\"><w:name w:val=\"Table Grid\"/><w:basedOn w:val=\"TableNormal\"/><w:uiPriority w:val=\"39\"/><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr><w:tblPr><w:tblBorders><w:top w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"auto\"/><w:left w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"auto\"/><w:bottom w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"auto\"/><w:right w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"auto\"/><w:insideH w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"auto\"/><w:insideV w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"auto\"/></w:tblBorders></w:tblPr></w:style>");
    s.push_str("</w:styles>");
    s
}

/// `word/settings.xml`.
pub(crate) fn settings() -> String {
    let mut s = String::from(XML_DECL);
    s.push_str(&format!("<w:settings {W_NS} {R_NS} xmlns:m=\"http://schemas.openxmlformats.org/officeDocument/2006/math\">"));
    s.push_str("<w:zoom w:percent=\"100\"/><w:proofState w:spelling=\"clean\" w:grammar=\"clean\"/><w:defaultTabStop w:val=\"708\"/><w:hyphenationZone w:val=\"425\"/><w:characterSpacingControl w:val=\"doNotCompress\"/><w:compat><w:compatSetting w:name=\"compatibilityMode\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/><w:compatSetting w:name=\"overrideTableStyleFontSizeAndJustification\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"1\"/><w:compatSetting w:name=\"enableOpenTypeFeatures\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"1\"/><w:compatSetting w:name=\"doNotFlipMirrorIndents\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"1\"/><w:compatSetting w:name=\"differentiateMultirowTableHeaders\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"1\"/></w:compat><w:rsids>");
    // Revision session ids: a fixed pseudo-random list.
    let mut x: u32 = 0x00A1_2B3C;
    for i in 0..24 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let tag = if i == 0 { "rsidRoot" } else { "rsid" };
        s.push_str(&format!("<w:{tag} w:val=\"00{:06X}\"/>", x >> 8));
    }
    s.push_str("</w:rsids><m:mathPr><m:mathFont m:val=\"Cambria Math\"/><m:brkBin m:val=\"before\"/><m:brkBinSub m:val=\"--\"/><m:smallFrac m:val=\"0\"/><m:dispDef/><m:lMargin m:val=\"0\"/><m:rMargin m:val=\"0\"/><m:defJc m:val=\"centerGroup\"/><m:wrapIndent m:val=\"1440\"/><m:intLim m:val=\"subSup\"/><m:naryLim m:val=\"undOvr\"/></m:mathPr><w:themeFontLang w:val=\"en-US\" w:eastAsia=\"ja-JP\"/><w:clrSchemeMapping w:bg1=\"light1\" w:t1=\"dark1\" w:bg2=\"light2\" w:t2=\"dark2\" w:accent1=\"accent1\" w:accent2=\"accent2\" w:accent3=\"accent3\" w:accent4=\"accent4\" w:accent5=\"accent5\" w:accent6=\"accent6\" w:hyperlink=\"hyperlink\" w:followedHyperlink=\"followedHyperlink\"/><w:shapeDefaults><o:shapedefaults xmlns:o=\"urn:schemas-microsoft-com:office:office\" v:ext=\"edit\" xmlns:v=\"urn:schemas-microsoft-com:vml\" spidmax=\"1026\"/></w:shapeDefaults><w:decimalSymbol w:val=\".\"/><w:listSeparator w:val=\",\"/></w:settings>");
    s
}

/// `word/webSettings.xml`.
pub(crate) fn web_settings() -> String {
    format!("{XML_DECL}<w:webSettings {W_NS} {R_NS}><w:optimizeForBrowser/><w:allowPNG/></w:webSettings>")
}

/// `word/fontTable.xml`.
pub(crate) fn font_table() -> String {
    let mut s = format!("{XML_DECL}<w:fonts {W_NS} {R_NS}>");
    for (name, alt, panose, charset, family, pitch, sig) in [
        ("Calibri", "", "020F0502020204030204", "00", "swiss", "variable", "E4002EFF\" w:usb1=\"C000247B\" w:usb2=\"00000009\" w:usb3=\"00000000\" w:csb0=\"000001FF\" w:csb1=\"00000000"),
        ("Times New Roman", "", "02020603050405020304", "00", "roman", "variable", "E0002EFF\" w:usb1=\"C000785B\" w:usb2=\"00000009\" w:usb3=\"00000000\" w:csb0=\"000001FF\" w:csb1=\"00000000"),
        ("Yu Mincho", "游明朝", "02020400000000000000", "80", "roman", "variable", "800002E7\" w:usb1=\"2AC7FCFF\" w:usb2=\"00000012\" w:usb3=\"00000000\" w:csb0=\"0002009F\" w:csb1=\"00000000"),
        ("Calibri Light", "", "020F0302020204030204", "00", "swiss", "variable", "E4002EFF\" w:usb1=\"C000247B\" w:usb2=\"00000009\" w:usb3=\"00000000\" w:csb0=\"000001FF\" w:csb1=\"00000000"),
        ("Yu Gothic Light", "游ゴシック Light", "020B0300000000000000", "80", "swiss", "variable", "E00002FF\" w:usb1=\"2AC7FDFF\" w:usb2=\"00000016\" w:usb3=\"00000000\" w:csb0=\"0002009F\" w:csb1=\"00000000"),
    ] {
        s.push_str(&format!("<w:font w:name=\"{name}\">"));
        if !alt.is_empty() {
            s.push_str(&format!("<w:altName w:val=\"{alt}\"/>"));
        }
        s.push_str(&format!("<w:panose1 w:val=\"{panose}\"/><w:charset w:val=\"{charset}\"/><w:family w:val=\"{family}\"/><w:pitch w:val=\"{pitch}\"/><w:sig w:usb0=\"{sig}\"/></w:font>"));
    }
    s.push_str("</w:fonts>");
    s
}

/// `word/theme/theme1.xml`: the Office theme.
pub(crate) fn theme() -> String {
    let mut s = String::from(XML_DECL);
    s.push_str("<a:theme xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" name=\"Office Theme\"><a:themeElements><a:clrScheme name=\"Office\">");
    s.push_str("<a:dk1><a:sysClr val=\"windowText\" lastClr=\"000000\"/></a:dk1><a:lt1><a:sysClr val=\"window\" lastClr=\"FFFFFF\"/></a:lt1>");
    for (name, rgb) in [
        ("dk2", "44546A"),
        ("lt2", "E7E6E6"),
        ("accent1", "4472C4"),
        ("accent2", "ED7D31"),
        ("accent3", "A5A5A5"),
        ("accent4", "FFC000"),
        ("accent5", "5B9BD5"),
        ("accent6", "70AD47"),
        ("hlink", "0563C1"),
        ("folHlink", "954F72"),
    ] {
        s.push_str(&format!("<a:{name}><a:srgbClr val=\"{rgb}\"/></a:{name}>"));
    }
    s.push_str("</a:clrScheme><a:fontScheme name=\"Office\">");
    for (role, latin, jpan, hans) in [
        ("major", "Calibri Light", "游ゴシック Light", "等线 Light"),
        ("minor", "Calibri", "游明朝", "等线"),
    ] {
        s.push_str(&format!("<a:{role}Font><a:latin typeface=\"{latin}\" panose=\"020F0302020204030204\"/><a:ea typeface=\"\"/><a:cs typeface=\"\"/>"));
        for (script, face) in [
            ("Jpan", jpan),
            ("Hang", "맑은 고딕"),
            ("Hans", hans),
            ("Hant", "新細明體"),
            ("Arab", "Times New Roman"),
            ("Hebr", "Times New Roman"),
            ("Thai", "Angsana New"),
            ("Ethi", "Nyala"),
            ("Beng", "Vrinda"),
            ("Gujr", "Shruti"),
            ("Khmr", "MoolBoran"),
            ("Knda", "Tunga"),
            ("Guru", "Raavi"),
            ("Cans", "Euphemia"),
            ("Cher", "Plantagenet Cherokee"),
            ("Yiii", "Microsoft Yi Baiti"),
            ("Tibt", "Microsoft Himalaya"),
            ("Thaa", "MV Boli"),
            ("Deva", "Mangal"),
            ("Telu", "Gautami"),
            ("Taml", "Latha"),
            ("Syrc", "Estrangelo Edessa"),
            ("Orya", "Kalinga"),
            ("Mlym", "Kartika"),
            ("Laoo", "DokChampa"),
            ("Sinh", "Iskoola Pota"),
            ("Mong", "Mongolian Baiti"),
            ("Viet", "Times New Roman"),
            ("Uigh", "Microsoft Uighur"),
            ("Geor", "Sylfaen"),
        ] {
            s.push_str(&format!(
                "<a:font script=\"{script}\" typeface=\"{face}\"/>"
            ));
        }
        s.push_str(&format!("</a:{role}Font>"));
    }
    s.push_str("</a:fontScheme><a:fmtScheme name=\"Office\"><a:fillStyleLst><a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill>");
    for (a, b, c) in [(110, 105, 67), (103, 102, 73)] {
        s.push_str(&format!("<a:gradFill><a:gsLst><a:gs pos=\"0\"><a:schemeClr val=\"phClr\"><a:lumMod val=\"{a}000\"/><a:satMod val=\"{b}000\"/><a:tint val=\"{c}000\"/></a:schemeClr></a:gs><a:gs pos=\"50000\"><a:schemeClr val=\"phClr\"><a:satMod val=\"103000\"/><a:lumMod val=\"102000\"/><a:tint val=\"73000\"/></a:schemeClr></a:gs><a:gs pos=\"100000\"><a:schemeClr val=\"phClr\"><a:satMod val=\"109000\"/><a:lumMod val=\"102000\"/><a:tint val=\"81000\"/></a:schemeClr></a:gs></a:gsLst><a:lin ang=\"5400000\" scaled=\"0\"/></a:gradFill>"));
    }
    s.push_str("</a:fillStyleLst><a:lnStyleLst>");
    for w in [6350, 12700, 19050] {
        s.push_str(&format!("<a:ln w=\"{w}\" cap=\"flat\" cmpd=\"sng\" algn=\"ctr\"><a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill><a:prstDash val=\"solid\"/><a:miter lim=\"800000\"/></a:ln>"));
    }
    s.push_str("</a:lnStyleLst><a:effectStyleLst><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst><a:outerShdw blurRad=\"57150\" dist=\"19050\" dir=\"5400000\" algn=\"ctr\" rotWithShape=\"0\"><a:srgbClr val=\"000000\"><a:alpha val=\"63000\"/></a:srgbClr></a:outerShdw></a:effectLst></a:effectStyle></a:effectStyleLst><a:bgFillStyleLst><a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill><a:solidFill><a:schemeClr val=\"phClr\"><a:tint val=\"95000\"/><a:satMod val=\"170000\"/></a:schemeClr></a:solidFill><a:gradFill rotWithShape=\"1\"><a:gsLst><a:gs pos=\"0\"><a:schemeClr val=\"phClr\"><a:tint val=\"93000\"/><a:satMod val=\"150000\"/><a:shade val=\"98000\"/><a:lumMod val=\"102000\"/></a:schemeClr></a:gs><a:gs pos=\"50000\"><a:schemeClr val=\"phClr\"><a:tint val=\"98000\"/><a:satMod val=\"130000\"/><a:shade val=\"90000\"/><a:lumMod val=\"103000\"/></a:schemeClr></a:gs><a:gs pos=\"100000\"><a:schemeClr val=\"phClr\"><a:shade val=\"63000\"/><a:satMod val=\"120000\"/></a:schemeClr></a:gs></a:gsLst><a:lin ang=\"5400000\" scaled=\"0\"/></a:gradFill></a:bgFillStyleLst></a:fmtScheme></a:themeElements><a:objectDefaults/><a:extraClrSchemeLst/></a:theme>");
    s
}
