#!/usr/bin/env bash
# daemon-build.sh — the daemon's first build of a home: `mailfts serve` started on a hard-linked
# copy of a Maildir without an index, timed until its metrics count every message added and no
# index writer is open, with the daemon's peak resident size (VmHWM). What an admin sees after deploying the daemon on
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

# the messages to index: every file in a cur/ or new/ of the copy (counted before the clock starts)
n=$(find "$work/home/Maildir" -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l)
# documents the daemon added so far, from its metrics endpoint: a cheap poll. (`mailfts status`
# stats every message file, 2 s of a core per call at 1M: polled every half second it took most of
# a core from the build it measured.)
added() {
    curl -s "http://127.0.0.1:$port/metrics" |
        awk '/^mailfts_documents_indexed_total/ { s += $NF } END { print s + 0 }'
}
# idle: no index writer open (a rescan's or the merge after its last chunk)
idle() {
    local lock="$work/home/mailfts/tantivy/.tantivy-writer.lock"
    [ ! -e "$lock" ] || flock -n -x "$lock" true
}

start=$(date +%s.%N)
"$mailfts" serve --passwd "$work/passwd" --no-watch --metrics-listen "127.0.0.1:$port" \
    >"$work/serve.log" 2>&1 &
pid=$!
# done: every message added and no writer open, twice in a row; or, when some message cannot be
# indexed (an unreadable file), no progress for 10 s with no writer open
last=-1
still=0
while :; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    got=$(added)
    if [ "$got" -ge "$n" ] && idle && sleep 0.5 && idle; then
        break
    fi
    if [ "$got" -gt 0 ] && [ "$got" = "$last" ] && idle; then
        still=$((still + 1))
        [ "$still" -lt 20 ] || { echo "warning: $got of $n messages added" >&2; break; }
    else
        still=0
    fi
    last=$got
    sleep 0.5
done
end=$(date +%s.%N)
hwm_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
status=$("$mailfts" status --home "$work/home")
indexed=$(awk 'NR > 1 && $3 ~ /^[0-9]+$/ { n += $3 } /^index / { exit } END { print n }' <<<"$status")
[ "$indexed" = "$n" ] || echo "warning: the index holds $indexed of $n messages" >&2
pct=$(sed -n 's/.*index = \([0-9.]*\) %.*/\1/p' <<<"$status")
wall=$(echo "$end - $start" | bc -l)
printf '%s messages: daemon first build %.1f s = %.0f msg/s, peak RSS %d MB, index %s %% of the Maildir\n' \
    "$n" "$wall" "$(echo "$n / $wall" | bc -l)" $((hwm_kb / 1024)) "$pct"
