//! Technical fragments: identifiers, URLs, code, patches and logs.

use crate::rng::Rng;

/// Kernel- and project-style identifiers, most frequent first.
pub(crate) const IDENTS: &[&str] = &[
    "usb_gadget_probe",
    "usb_ep_queue",
    "mutex_lock",
    "kmalloc",
    "dev_err",
    "spin_lock_irqsave",
    "usb_gadget_unregister_driver",
    "dwc3_gadget_ep_queue",
    "of_property_read_u32",
    "platform_get_irq",
    "devm_request_irq",
    "list_for_each_entry",
    "container_of",
    "copy_from_user",
    "schedule_work",
    "wait_event_interruptible",
    "ext4_file_write_iter",
    "tcp_sendmsg",
    "btrfs_search_slot",
    "mailfts_index_open",
    "parse_header_value",
    "decode_quoted_printable",
    "IndexWriter::commit",
    "HashMap::with_capacity",
    "std::fs::read_dir",
    "maildir_scan_cur",
    "imap_search_text",
    "tokenize_cjk_bigrams",
];

const PATHS: &[&str] = &[
    "drivers/usb/gadget/udc/core.c",
    "drivers/usb/dwc3/gadget.c",
    "drivers/usb/gadget/composite.c",
    "fs/ext4/file.c",
    "net/ipv4/tcp.c",
    "store/src/maildir.rs",
    "indexer/src/tokenize.rs",
    "query/src/imap.rs",
    "docs/ARCHITECTURE.md",
];

const URL_HOSTS: &[&str] = &[
    "https://www.example.org",
    "https://wiki.example.com",
    "https://git.example.net",
    "http://bugs.example.org",
    "https://docs.example.com",
    "https://lists.example.org",
    "https://meet.example.net",
];

const URL_PATHS: &[&str] = &[
    "/Team/Onboarding#setup",
    "/show_bug.cgi?id=",
    "/pipermail/dev/2023-March/",
    "/cgit/linux.git/commit/?id=",
    "/docs/search/query-syntax.html",
    "/j/",
    "/d/1aB2cD3eF4gH5iJ6kL7mN8oP9qR/edit?usp=sharing",
    "/releases/tag/v",
];

/// A random URL.
pub(crate) fn url(r: &mut Rng) -> String {
    let host = URL_HOSTS[r.zipf(URL_HOSTS.len())];
    let path = *r.pick(URL_PATHS);
    if path.ends_with('=') || path.ends_with('/') || path.ends_with('v') {
        format!("{host}{path}{}", 1000 + r.below(90_000))
    } else {
        format!("{host}{path}")
    }
}

/// A random "technical token": number, version, ticket, date, hash or identifier.
pub(crate) fn token(r: &mut Rng) -> String {
    match r.below(9) {
        0 => format!("{}", r.below(500)),
        1 => format!("v{}.{}.{}", r.below(6), r.below(20), r.below(10)),
        2 => format!("#{}", 100 + r.below(20_000)),
        3 => format!("BUG-{}", 1000 + r.below(9000)),
        4 => format!("2023-{:02}-{:02}", 1 + r.below(12), 1 + r.below(28)),
        5 => format!("{:07x}", r.next_u64() & 0xfff_ffff),
        6 => format!("{}%", r.below(100)),
        7 => format!("{}:{:02}", 8 + r.below(10), 15 * r.below(4)),
        _ => IDENTS[r.zipf(IDENTS.len())].to_string(),
    }
}

fn c_function(r: &mut Rng) -> String {
    let f = IDENTS[r.zipf(IDENTS.len())].replace("::", "_");
    let g = IDENTS[r.zipf(IDENTS.len())].replace("::", "_");
    let lines = [
        format!("static int {f}(struct usb_gadget *gadget, unsigned int flags)"),
        "{".to_string(),
        "\tstruct dwc3_ep *dep = gadget_to_dep(gadget);".to_string(),
        "\tunsigned long irqflags;".to_string(),
        "\tint ret;".to_string(),
        String::new(),
        "\tspin_lock_irqsave(&dep->lock, irqflags);".to_string(),
        format!("\tret = {g}(dep, flags & USB_GADGET_MASK);"),
        "\tif (ret < 0) {".to_string(),
        format!("\t\tdev_err(dep->dev, \"{f} failed: %d\\n\", ret);"),
        "\t\tgoto out_unlock;".to_string(),
        "\t}".to_string(),
        format!("\tdep->flags |= 0x{:02x};", r.below(256)),
        "out_unlock:".to_string(),
        "\tspin_unlock_irqrestore(&dep->lock, irqflags);".to_string(),
        "\treturn ret;".to_string(),
        "}".to_string(),
    ];
    lines.join("\n")
}

fn rust_function(r: &mut Rng) -> String {
    let n = 2 + r.below(60);
    [
        "fn open_index(path: &Path) -> anyhow::Result<Index> {".to_string(),
        "    let dir = MmapDirectory::open(path)?;".to_string(),
        "    let index = Index::open_or_create(dir, schema())?;".to_string(),
        format!("    index.set_default_multithread_executor({n})?; // was 1"),
        "    Ok(index)".to_string(),
        "}".to_string(),
    ]
    .join("\n")
}

fn traceback(r: &mut Rng) -> String {
    let line = 10 + r.below(400);
    [
        "Traceback (most recent call last):".to_string(),
        "  File \"/srv/app/sync.py\", line 88, in <module>".to_string(),
        "    main()".to_string(),
        format!("  File \"/srv/app/sync.py\", line {line}, in main"),
        "    folder = imap.select(\"INBOX\")".to_string(),
        "KeyError: 'UIDVALIDITY'".to_string(),
    ]
    .join("\n")
}

fn shell(r: &mut Rng) -> String {
    let n = 1 + r.below(9);
    [
        "$ git log --oneline -3".to_string(),
        format!(
            "{:07x} usb: gadget: fix probe ordering",
            r.next_u64() & 0xfff_ffff
        ),
        format!("{:07x} Merge branch 'for-next'", r.next_u64() & 0xfff_ffff),
        format!("$ make -j{n} && sudo make modules_install"),
        format!("$ curl -s {} | jq .status", url(r)),
    ]
    .join("\n")
}

/// A unified diff touching a driver or project file.
pub(crate) fn patch(r: &mut Rng) -> String {
    let path = PATHS[r.zipf(PATHS.len())];
    let f = IDENTS[r.zipf(IDENTS.len())].replace("::", "_");
    let g = IDENTS[r.zipf(IDENTS.len())].replace("::", "_");
    let start = 20 + r.below(900);
    let lines = [
        format!("diff --git a/{path} b/{path}"),
        format!(
            "index {:07x}..{:07x} 100644",
            r.next_u64() & 0xfff_ffff,
            r.next_u64() & 0xfff_ffff
        ),
        format!("--- a/{path}"),
        format!("+++ b/{path}"),
        format!("@@ -{start},7 +{start},9 @@ static int {f}(struct usb_gadget *gadget)"),
        "\tint ret;".to_string(),
        String::new(),
        format!("-\tret = {g}(gadget, 0);"),
        format!("+\tret = {g}(gadget, USB_GADGET_DELAYED_STATUS);"),
        "+\tif (ret)".to_string(),
        "+\t\treturn ret;".to_string(),
        "\tmutex_lock(&udc_lock);".to_string(),
        "\tlist_add_tail(&gadget->list, &udc_list);".to_string(),
        "\tmutex_unlock(&udc_lock);".to_string(),
    ];
    lines.join("\n")
}

/// A random code-like block (function, diff, traceback or shell session).
pub(crate) fn code_block(r: &mut Rng) -> String {
    match r.weighted(&[30, 30, 15, 10, 15]) {
        0 => c_function(r),
        1 => patch(r),
        2 => rust_function(r),
        3 => traceback(r),
        _ => shell(r),
    }
}

/// Log lines totalling about `target` bytes.
pub(crate) fn log_text(r: &mut Rng, target: usize) -> String {
    const LEVELS: &[&str] = &["INFO ", "INFO ", "DEBUG", "WARN ", "ERROR"];
    let mut out = String::with_capacity(target + 200);
    let mut t = r.below(86_400);
    while out.len() < target {
        t += r.below(5);
        let ident = IDENTS[r.zipf(IDENTS.len())];
        let level = *r.pick(LEVELS);
        let worker = r.below(8);
        out.push_str(&format!(
            "2023-03-07 {:02}:{:02}:{:02}.{:03} {level} [worker-{worker}] {ident}: ",
            t / 3600 % 24,
            t / 60 % 60,
            t % 60,
            r.below(1000)
        ));
        match r.below(4) {
            0 => out.push_str(&format!("bound driver g_ether (id={})", r.below(10_000))),
            1 => out.push_str(&format!(
                "queued {} requests in {} ms",
                r.below(512),
                r.below(90)
            )),
            2 => out.push_str(&format!("retrying after timeout ({}/5)", 1 + r.below(5))),
            _ => out.push_str(&format!(
                "GET {} -> {}",
                url(r),
                [200, 200, 304, 404, 500][r.below(5)]
            )),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_mention_identifiers() {
        let mut r = Rng::new(1, 1, 1);
        let all: String = (0..50).map(|_| code_block(&mut r) + "\n").collect();
        assert!(all.contains("usb_gadget_probe"));
        assert!(all.contains("diff --git"));
        assert!(log_text(&mut r, 5000).len() >= 5000);
    }
}
