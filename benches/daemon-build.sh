#!/usr/bin/env bash
# daemon-build.sh — the daemon's first build of a home: `mailfts serve` started on a hard-linked
# copy of a Maildir without an index, timed until `mailfts status` shows every mailbox indexed,
# with the daemon's peak resident size (VmHWM). What an admin sees after deploying the daemon on
# existing mail (startup check → chunked rescans), next to `mailfts rescan` (vs-mairix.sh).
#
# Usage: benches/daemon-build.sh MAILDIR [PORT]
#
#   MAILDIR  a Maildir (with or without subfolders); never written: the copy is made of hard links
#            in a private temp dir (same filesystem as MAILDIR's TMPDIR required).
#   PORT     a free loopback port for the daemon's metrics endpoint (default 19191).
#
# Environment: MAILFTS (binary, default target/release/mailfts).
# Prints one line: messages, wall seconds, messages per second, peak RSS, index % of the Maildir.
set -euo pipefail
src=${1:?usage: daemon-build.sh MAILDIR [PORT]}
port=${2:-19191}
mailfts=${MAILFTS:-$(dirname "$0")/../target/release/mailfts}
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/home"
cp -al "$src" "$work/home/Maildir"
# the copy's own store state is made afresh (deleting a hard link leaves the original alone)
find "$work/home/Maildir" -maxdepth 2 -name 'mailfts-*' -delete
echo "bench:{PLAIN}x:1000:1000::$work/home::" >"$work/passwd"

indexed() { # every mailbox row of `mailfts status`: store count == index count
    "$mailfts" status --home "$work/home" 2>/dev/null |
        awk 'NR > 1 && NF >= 3 && $2 ~ /^[0-9]+$/ { n++; if ($2 != $3) ok = 1 }
             /^index / { exit } END { exit (n > 0 && !ok) ? 0 : 1 }'
}

start=$(date +%s.%N)
"$mailfts" serve --passwd "$work/passwd" --no-watch --metrics-listen "127.0.0.1:$port" \
    >"$work/serve.log" 2>&1 &
pid=$!
# idle: no index writer open (a rescan's or the merge after its last chunk), twice in a row
idle() {
    local lock="$work/home/mailfts/tantivy/.tantivy-writer.lock"
    [ ! -e "$lock" ] || flock -n -x "$lock" true
}
until indexed && idle && sleep 0.5 && idle; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.5
done
end=$(date +%s.%N)
hwm_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
status=$("$mailfts" status --home "$work/home")
n=$(awk 'NR > 1 && $2 ~ /^[0-9]+$/ { n += $2 } /^index / { exit } END { print n }' <<<"$status")
pct=$(sed -n 's/.*index = \([0-9.]*\) %.*/\1/p' <<<"$status")
wall=$(echo "$end - $start" | bc -l)
printf '%s messages: daemon first build %.1f s = %.0f msg/s, peak RSS %d MB, index %s %% of the Maildir\n' \
    "$n" "$wall" "$(echo "$n / $wall" | bc -l)" $((hwm_kb / 1024)) "$pct"
