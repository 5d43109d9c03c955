#!/usr/bin/env bash
# vs-mairix.sh — mailfts and mairix side by side on the SAME Maildir, whole processes, one run.
#
# Usage: benches/vs-mairix.sh MAILDIR [RUNS] [WORD]
#
#   MAILDIR  a Maildir (cur/ new/ tmp/); never written: both tools index a hard-linked copy in a
#            private temp dir (same filesystem as MAILDIR's TMPDIR required).
#   RUNS     builds from scratch per tool (default 3; median reported), searches per tool x 10.
#   WORD     a rare word for the cold-process search (default troshchinskiy).
#
# Environment: MAILFTS (binary, default target/release/mailfts); MAILFTS_OLD (optional second
# mailfts binary, e.g. the previous release, measured in the same run).
# Prints Markdown: build wall time, msg/s, user/sys CPU, peak RSS, index size and % of the Maildir,
# and the median whole-process time of a search for WORD (`mailfts search ... BODY WORD` vs
# `mairix -r b:WORD`), with hit counts.
set -euo pipefail
src=${1:?usage: vs-mairix.sh MAILDIR [RUNS] [WORD]}
runs=${2:-3}
word=${3:-troshchinskiy}
mailfts=${MAILFTS:-$(dirname "$0")/../target/release/mailfts}
command -v mairix >/dev/null || { apt-get install -y -qq mairix >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq mairix; } >/dev/null; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home/Maildir"/{cur,new,tmp}
cp -al "$src/cur/." "$work/home/Maildir/cur/"
n=$(ls "$work/home/Maildir/cur" | wc -l)
maildir_bytes=$(du -sb "$work/home/Maildir" | cut -f1)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { /usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null | tail -1; }

row() { # name, build command (run in a function), index dir
    local name=$1 build=$2 dir=$3 walls=() last
    for _ in $(seq "$runs"); do
        rm -rf "$dir"
        last=$(timed bash -c "$build")
        walls+=("$(echo "$last" | cut -d' ' -f1)")
    done
    local wall; wall=$(printf '%s\n' "${walls[@]}" | median)
    read -r _ user sys rss <<<"$last"
    local bytes; bytes=$(du -sb "$dir" | cut -f1)
    printf '| %s | %s | %.0f | %s / %s | %.0f | %.1f | %.2f %% |\n' "$name" "$wall" \
        "$(echo "$n / $wall" | bc -l)" "$user" "$sys" "$(echo "$rss / 1024" | bc -l)" \
        "$(echo "$bytes / 1000000" | bc -l)" "$(echo "$bytes * 100 / $maildir_bytes" | bc -l)"
}

cat > "$work/mairixrc" <<RC
base=$work/home
maildir=Maildir
mfolder=$work/mfolder
database=$work/mairix.db
RC
echo "$n messages, Maildir $((maildir_bytes / 1000000)) MB; builds from scratch, median of $runs"
echo
echo "| tool | build s | msg/s | user / sys s | peak RSS MB | index MB | index / Maildir |"
echo "|---|---:|---:|---:|---:|---:|---:|"
row mairix "mairix -f $work/mairixrc -F -Q" "$work/mairix.db"
row mailfts "$mailfts rescan --home $work/home" "$work/home/mailfts"
if [ -n "${MAILFTS_OLD:-}" ]; then
    row "mailfts (old: $MAILFTS_OLD)" "$MAILFTS_OLD rescan --home $work/home" "$work/home/mailfts"
    "$mailfts" rescan --home "$work/home" >/dev/null
fi
echo
echo "| search (whole process, median of 10, warm) | hits | ms |"
echo "|---|---:|---:|"
t() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000)); }
mairix -f "$work/mairixrc" -Q >/dev/null
mh=$(mairix -f "$work/mairixrc" -r "b:$word" | wc -l)
fh=$("$mailfts" search --home "$work/home" -- "BODY $word" | wc -w)
for tool in mairix mailfts; do
    for _ in $(seq 10); do
        if [ $tool = mairix ]; then t mairix -f "$work/mairixrc" -r "b:$word"
        else t "$mailfts" search --home "$work/home" -- "BODY $word"; fi
    done | median | awk -v n="$tool" -v h="$([ $tool = mairix ] && echo "$mh" || echo "$fh")" \
        '{printf "| %s | %s | %.1f |\n", n, h, $1 / 1000}'
done
