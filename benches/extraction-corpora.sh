#!/usr/bin/env bash
# extraction-corpora.sh — the must-show runs of issue 4 (attachment extractors): rescans over
# real corpora that must finish with zero panics and zero aborted runs, with extraction failures
# counted per format, and the effect of attachments on rescan throughput.
#
# Usage: benches/extraction-corpora.sh [BIN] [CORPORA] [LINUX_USB_MAILDIR]
#
#   BIN                a release mailfts binary (default /tmp/mailfts-extr; build it with
#                      `cargo build --release` and copy target/release/mailfts there)
#   CORPORA            ../shared/corpora seen from the repository root (default)
#   LINUX_USB_MAILDIR  the unpacked linux-usb Maildir (default /tmp/lu/Maildir; see
#                      CORPORA/README.md for unpacking)
#
# Runs, each into a fresh home under /tmp/extr-*:
#   1. mime-testsuites: every file of mime-testsuites/ (mbox files split at "From " lines,
#      a leading "From " line stripped) as one Maildir
#   2. spamassassin-public.tar.zst: the same
#   3. linux-usb: the Maildir as it is, with the index in a separate directory
#   4. a generated home of 20,000 messages, then the same home plus 2,000 messages with PDF,
#      DOCX, XLSX, PPTX, ODT/ODS/ODP attachments (copies of extractors/tests/golden/generated)
# and prints, per run, `rescan --json` (messages, msg/s, problems by kind) and the extraction
# failures per format from `status --json`. A run whose rescan exits non-zero (a panic, an
# abort) is reported as ABORTED and makes the script exit 2.

set -Eeuo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-/tmp/mailfts-extr}
CORPORA=${2:-$ROOT/../shared/corpora}
LU=${3:-/tmp/lu/Maildir}
aborted=0

# split mbox-style files into Maildir/cur files: $1 = source dir, $2 = home
to_maildir() {
    python3 - "$1" "$2" <<'PY'
import os, sys
src, home = sys.argv[1], sys.argv[2]
cur = os.path.join(home, "Maildir", "cur")
for d in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(home, "Maildir", d), exist_ok=True)
n = 0
for dirpath, _, files in os.walk(src):
    for f in sorted(files):
        data = open(os.path.join(dirpath, f), "rb").read()
        if data.startswith(b"From "):
            chunks, cur_msg = [], []
            for line in data.splitlines(keepends=True):
                if line.startswith(b"From ") and (not cur_msg or cur_msg[-1].strip() == b""):
                    if cur_msg:
                        chunks.append(b"".join(cur_msg))
                    cur_msg = []
                    continue
                cur_msg.append(line)
            if cur_msg:
                chunks.append(b"".join(cur_msg))
        else:
            chunks = [data]
        for c in chunks:
            if c.strip():
                n += 1
                open(os.path.join(cur, f"{n}.M{n}.corpus:2,S"), "wb").write(c)
print(n, "messages", file=sys.stderr)
PY
}

rescan() { # $1 = label, then extra args
    local label=$1; shift
    local out
    if out=$("$BIN" rescan --json "$@" 2>/tmp/extr-rescan-stderr.txt); then
        python3 -c '
import json, sys
r = json.loads(sys.argv[2])
print("{}: added {}, failed {}, degraded {}, {:.2f} s, {:.0f} msg/s, {:.1f} MB/s".format(
    sys.argv[1], r["added"], r["failed"], r["degraded"], r["seconds"], r["msg_per_sec"], r["mb_per_sec"]))
print("  problems by kind:", json.dumps(r["problems"], sort_keys=True))
' "$label" "$out"
    else
        echo "$label: ABORTED (exit $?)"; tail -5 /tmp/extr-rescan-stderr.txt
        aborted=1
    fi
    if grep -qi "panicked" /tmp/extr-rescan-stderr.txt; then
        echo "  PANIC on stderr:"; grep -i panicked /tmp/extr-rescan-stderr.txt | head -5
        aborted=1
    fi
}

failures() { # status --json args
    "$BIN" status --json "$@" | python3 -c 'import json,sys; print("  extraction failures by format:", json.dumps(json.load(sys.stdin)["failures"], sort_keys=True))'
}

rm -rf /tmp/extr-mime /tmp/extr-sa /tmp/extr-lu-index /tmp/extr-gen /tmp/extr-gen-att
echo "== 1. mime-testsuites"
to_maildir "$CORPORA/mime-testsuites" /tmp/extr-mime
rescan mime-testsuites --home /tmp/extr-mime
failures --home /tmp/extr-mime

echo "== 2. spamassassin-public"
mkdir -p /tmp/extr-sa-src && rm -rf /tmp/extr-sa-src/*
zstd -q -d --long=30 -c "$CORPORA/spamassassin-public.tar.zst" | tar -x -C /tmp/extr-sa-src
to_maildir /tmp/extr-sa-src /tmp/extr-sa
rescan spamassassin --home /tmp/extr-sa
failures --home /tmp/extr-sa

if [ -d "$LU/cur" ]; then
    echo "== 3. linux-usb ($(ls "$LU/cur" | wc -l) messages)"
    mkdir -p "$LU/new" "$LU/tmp"
    rescan linux-usb --home /tmp/extr-lu-home --maildir "$LU" --index /tmp/extr-lu-index
    failures --home /tmp/extr-lu-home --maildir "$LU" --index /tmp/extr-lu-index
else
    echo "== 3. linux-usb: $LU/cur missing, skipped"
fi

echo "== 4. effect of attachments (generated home, 20,000 messages, then + 2,000 with attachments)"
"$BIN" corpus generate --messages 20000 --seed 42 --out /tmp/extr-gen >/dev/null
rescan generated-20000 --home /tmp/extr-gen
cp -r /tmp/extr-gen/Maildir /tmp/extr-gen-att-maildir.tmp && mkdir -p /tmp/extr-gen-att && mv /tmp/extr-gen-att-maildir.tmp /tmp/extr-gen-att/Maildir
rm -rf /tmp/extr-gen-att/Maildir/dovecot-uidlist /tmp/extr-gen-att/Maildir/mailfts* 2>/dev/null || true
python3 - "$ROOT/extractors/tests/golden/generated" /tmp/extr-gen-att/Maildir/cur <<'PY'
import os, sys
src, cur = sys.argv[1], sys.argv[2]
emls = sorted(f for f in os.listdir(src) if f.endswith(".eml") and f[0] == "0")
for i in range(2000):
    data = open(os.path.join(src, emls[i % len(emls)]), "rb").read()
    data = data.replace(b"Message-ID: <fixture@example.org>", f"Message-ID: <att{i}@example.org>".encode())
    open(os.path.join(cur, f"1800000000.A{i}.gen:2,S"), "wb").write(data)
PY
rescan generated-20000+2000-attachments --home /tmp/extr-gen-att
failures --home /tmp/extr-gen-att

exit $((aborted * 2))
