#!/usr/bin/env bash
# decision-variants.sh — what the two open product decisions of issue 12 would buy, measured
# against mairix in one run on the SAME Maildir (whole processes, builds alternating).
#
# Usage: benches/decision-variants.sh MAILDIR [ROUNDS]
#
#   MAILDIR  a Maildir (cur/ new/ tmp/); never written: every tool indexes a hard-linked copy.
#   ROUNDS   alternating rounds (default 3); every row of every round is printed.
#
# Environment: MAILFTS (the product as it is, default target/release/mailfts); MAILFTS_X (a
# binary built with benches/experiments/issue12-decisions.patch; built here in a temporary git
# worktree with its own target dir when unset — about ten minutes on two cores).
#
# Variants (switches of the experimental binary; neither is in the product):
#   nopairs   no phrase pairs (issue 11): phrases are verified from word candidates
#   bodypairs phrase pairs of the body only, none of the header block (size and time only: the
#             query engine still trusts header pairs, so its answers would be wrong)
#   sigs      the header fields DKIM-Signature, ARC-*, X-MS-Exchange-*, X-Microsoft-Antispam*,
#             X-Forefront-Antispam* left out of the index (TEXT no longer finds text inside them)
#   both      nopairs + sigs
#   both+rx   both, and Received and every X-* field left out as well
# Prints one line per build: round, variant, wall s, user s, sys s, peak RSS KB, index bytes,
# index % of the Maildir.
set -euo pipefail
src=${1:?usage: decision-variants.sh MAILDIR [ROUNDS]}
rounds=${2:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
mailfts=${MAILFTS:-$repo/target/release/mailfts}
command -v mairix >/dev/null || { apt-get install -y -qq mairix >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq mairix; } >/dev/null; }
work=$(mktemp -d)
trap 'rm -rf "$work"; git -C "$repo" worktree remove --force "$work/x" 2>/dev/null || true' EXIT
if [ -z "${MAILFTS_X:-}" ]; then
    git -C "$repo" worktree add -q --detach "$work/x" HEAD
    git -C "$work/x" apply "$repo/benches/experiments/issue12-decisions.patch"
    (cd "$work/x" && CARGO_TARGET_DIR="$work/x-target" cargo build -q --release --bin mailfts)
    MAILFTS_X=$work/mailfts-x
    cp "$work/x-target/release/mailfts" "$MAILFTS_X"
    rm -rf "$work/x-target"
fi
mkdir -p "$work/home/Maildir"/{cur,new,tmp}
cp -al "$src/cur/." "$work/home/Maildir/cur/"
n=$(ls "$work/home/Maildir/cur" | wc -l)
maildir_bytes=$(du -sb "$work/home/Maildir" | cut -f1)
cat > "$work/mairixrc" <<RC
base=$work/home
maildir=Maildir
mfolder=$work/mfolder
database=$work/mairix.db
RC
echo "$n messages, Maildir $maildir_bytes bytes; round variant wall user sys peak-KB index-bytes index-%"
for r in $(seq "$rounds"); do
    for v in mairix mailfts nopairs bodypairs sigs both both+rx; do
        dir=$work/home/mailfts
        case $v in
            mairix) dir=$work/mairix.db; cmd=(mairix -f "$work/mairixrc" -F -Q) ;;
            mailfts) cmd=("$mailfts" rescan --home "$work/home") ;;
            nopairs) cmd=(env MAILFTS_EXP_NO_PAIRS=1 "$MAILFTS_X" rescan --home "$work/home") ;;
            bodypairs) cmd=(env MAILFTS_EXP_NO_PAIRS=headers "$MAILFTS_X" rescan --home "$work/home") ;;
            sigs) cmd=(env MAILFTS_EXP_EXCLUDE=1 "$MAILFTS_X" rescan --home "$work/home") ;;
            both) cmd=(env MAILFTS_EXP_NO_PAIRS=1 MAILFTS_EXP_EXCLUDE=1 "$MAILFTS_X" rescan --home "$work/home") ;;
            both+rx) cmd=(env MAILFTS_EXP_NO_PAIRS=1 MAILFTS_EXP_EXCLUDE=2 "$MAILFTS_X" rescan --home "$work/home") ;;
        esac
        rm -rf "$dir"
        /usr/bin/time -o "$work/time" -f "%e %U %S %M" "${cmd[@]}" >/dev/null 2>&1
        bytes=$(du -sb "$dir" | cut -f1)
        echo "$r $v $(tail -1 "$work/time") $bytes $(echo "scale=2; $bytes * 100 / $maildir_bytes" | bc)"
    done
done
