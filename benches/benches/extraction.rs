//! Extraction throughput: HTML (MB/s), PDF (pages/s), DOCX (MB/s), each in-process and in the
//! worker process that isolates it, and whole-message decoding with and without attachments.
//!
//! Run: `cargo bench -p mailfts-benches --bench extraction`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mailfts_corpora::samples::{self as fixtures, Part};
use mailfts_extractors::{extract, Isolation, Limits, MessageContent};

/// About 1 MB of newsletter-style HTML: styles, scripts, tables, entities, images with alt text.
fn html_doc() -> Vec<u8> {
    let mut s = String::from(
        "<!DOCTYPE html><html><head><title>Weekly &amp; news</title><style>td{padding:2px}.a{color:#333}</style>\
         <script>window.track=function(){return 1};</script></head><body>",
    );
    let mut i = 0;
    while s.len() < 1_000_000 {
        s.push_str(&format!(
            "<div class=\"a\"><h2>Item {i} &ndash; caf&eacute; news</h2><p>Lorem ipsum dolor sit amet, \
             consectetur adipiscing elit &mdash; sed do eiusmod tempor &#8220;incididunt&#8221; ut labore. \
             <a href=\"https://example.org/{i}\">Read&nbsp;more</a></p><img src=\"x{i}.png\" alt=\"picture {i}\">\
             <table><tr><td>price</td><td>&euro;{i}.99</td></tr></table><!-- tracking {i} --></div>\n"
        ));
        i += 1;
    }
    s.push_str("</body></html>");
    s.into_bytes()
}

fn extraction(c: &mut Criterion) {
    let worker = Limits::default();
    let in_process = Limits {
        isolation: Isolation::InProcess,
        ..Limits::default()
    };

    let html = html_doc();
    let mut g = c.benchmark_group("html");
    g.throughput(Throughput::Bytes(html.len() as u64));
    g.bench_function("1MB", |b| {
        b.iter(|| extract("text/html", None, &html, &worker).text.len())
    });
    g.finish();

    let lines: Vec<String> = (0..40)
        .map(|l| format!("Line {l} of the invoice: item, quantity, price and total due"))
        .collect();
    let page = lines.join("\n");
    let pages: Vec<&str> = (0..50).map(|_| page.as_str()).collect();
    let pdf = fixtures::pdf(&pages);
    let mut g = c.benchmark_group("pdf");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(pages.len() as u64));
    g.bench_function("50_pages_in_process", |b| {
        b.iter(|| {
            extract("application/pdf", None, &pdf, &in_process)
                .text
                .len()
        })
    });
    g.bench_function("50_pages_worker", |b| {
        b.iter(|| extract("application/pdf", None, &pdf, &worker).text.len())
    });
    g.finish();

    let paragraphs: Vec<String> = (0..5_000)
        .map(|p| {
            format!("Paragraph {p}: the parties agree that the contractor shall deliver the goods.")
        })
        .collect();
    let refs: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
    let docx = fixtures::docx(&refs);
    let mut g = c.benchmark_group("docx");
    g.throughput(Throughput::Bytes(docx.len() as u64));
    g.bench_function("in_process", |b| {
        b.iter(|| {
            extract(
                "application/octet-stream",
                Some("a.docx"),
                &docx,
                &in_process,
            )
            .text
            .len()
        })
    });
    g.bench_function("worker", |b| {
        b.iter(|| {
            extract("application/octet-stream", Some("a.docx"), &docx, &worker)
                .text
                .len()
        })
    });
    g.finish();

    // what one message costs the indexer: plain text, HTML body, and with PDF + DOCX attachments
    let plain = fixtures::mail(
        "plain",
        &"A line of plain text in a reply.\r\n".repeat(60),
        &[],
    );
    let small_pdf = fixtures::pdf(&["Invoice 4711", "Total due: 99.50 EUR"]);
    let small_docx = fixtures::docx(&["Contract", "Termination: 3 months"]);
    let with_attachments = fixtures::mail(
        "attachments",
        "See attached.",
        &[
            Part {
                content_type: "application/pdf",
                file_name: Some("invoice.pdf"),
                bytes: &small_pdf,
            },
            Part {
                content_type: "application/octet-stream",
                file_name: Some("contract.docx"),
                bytes: &small_docx,
            },
        ],
    );
    let html_mail = [
        &b"Subject: html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"[..],
        &html[..20_000],
    ]
    .concat();
    let mut g = c.benchmark_group("message");
    g.throughput(Throughput::Elements(1));
    g.bench_function("plain", |b| {
        b.iter(|| MessageContent::parse(&plain).body.len())
    });
    g.bench_function("html_20KB", |b| {
        b.iter(|| MessageContent::parse(&html_mail).body.len())
    });
    g.bench_function("pdf_docx_worker", |b| {
        b.iter(|| MessageContent::parse(&with_attachments).attachments.len())
    });
    g.bench_function("pdf_docx_in_process", |b| {
        b.iter(|| {
            MessageContent::parse_with(&with_attachments, &in_process)
                .attachments
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, extraction);
criterion_main!(benches);
