#!/usr/bin/env bash
# recompress-zstd.sh — make a zstd-compressed copy of a Maildir, stored the way Dovecot's zlib
# plugin stores mail with `zlib_save = zstd`, to measure mailfts on a compressed store.
#
# Usage: benches/recompress-zstd.sh SRC_MAILDIR DST_MAILDIR
#
#   SRC_MAILDIR  a Maildir (cur/ new/ tmp/, Maildir++ folders .X/ beside them); only read.
#   DST_MAILDIR  created (it must not exist or be empty): the same folders and messages, each
#                message file compressed with the zstd CLI (one frame, content size and checksum),
#                under the same name with `,S=<uncompressed size>` added to the basename when it has
#                none (Dovecot needs it: RFC822.SIZE and quota come from it), and with the same mtime
#                (INTERNALDATE) and mode. Files that are already zstd or gzip are copied as they are
#                (`,S=` added likewise). `maildirfolder`, `dovecot-keywords` and `subscriptions` are
#                copied; UID lists and indexes are not: adding `,S=` changes basenames, so the copy is
#                a new store (its UIDs follow the natural order of the names, as in the source).
#
# Environment: ZSTD_LEVEL (default 3, Dovecot's default), JOBS (parallel workers, default nproc).
# Prints the number of messages and the Maildir's size before and after on stdout.
# Exit status: 0 ok; 1 usage or setup failure, or a message that could not be written.

set -Eeuo pipefail

PROG=${0##*/}
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }

[[ $# -eq 2 ]] || { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0" >&2; exit 1; }
SRC=$(cd "$1" 2>/dev/null && pwd -P) || die "SRC_MAILDIR '$1' is not a directory"
[[ -d $SRC/cur ]] || die "'$SRC' is not a Maildir (no cur/)"
DST_ARG=$2
if [[ -e $DST_ARG ]]; then
  [[ -d $DST_ARG && -z $(ls -A "$DST_ARG") ]] || die "DST_MAILDIR '$DST_ARG' exists and is not empty"
fi
mkdir -p "$DST_ARG"
DST=$(cd "$DST_ARG" && pwd -P)
case $DST/ in "$SRC"/*) die "DST_MAILDIR must not be inside SRC_MAILDIR";; esac
ZSTD_LEVEL=${ZSTD_LEVEL:-3}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
[[ $ZSTD_LEVEL =~ ^[0-9]+$ && $JOBS =~ ^[1-9][0-9]*$ ]] || die "ZSTD_LEVEL and JOBS must be numbers"

if ! command -v zstd >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "the zstd CLI is missing and apt-get is unavailable"
  log "installing zstd (apt-get)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zstd; } >&2 \
    || die "apt-get install zstd failed"
fi

# ---------------------------------------------------------------- folders
FOLDERS=(.)
for d in "$SRC"/.[!.]*/; do
  [[ -d ${d}cur ]] && FOLDERS+=("$(basename "$d")")
done
for f in "${FOLDERS[@]}"; do
  mkdir -p "$DST/$f"/{tmp,new,cur}
  for x in maildirfolder dovecot-keywords; do
    if [[ -f $SRC/$f/$x ]]; then cp -p -- "$SRC/$f/$x" "$DST/$f/$x"; fi
  done
done
if [[ -f $SRC/subscriptions ]]; then cp -p -- "$SRC/subscriptions" "$DST/subscriptions"; fi

# ---------------------------------------------------------------- messages
# worker FILE... : each FILE is relative to SRC (FOLDER/cur/NAME or cur/NAME).
worker() {
  local rel dir folder name base info magic size out tmp
  local -a sizes
  mapfile -t sizes < <(cd "$SRC" && stat -c %s -- "$@")
  local i=0
  for rel in "$@"; do
    size=${sizes[i]}; i=$((i + 1))
    dir=${rel%/*}; name=${rel##*/}
    case $dir in */*) folder=${dir%/*};; *) folder=.;; esac
    base=${name%%:*}; info=""
    [[ $name == *:* ]] && info=":${name#*:}"
    # The first bytes, to leave compressed files alone.
    magic=$(LC_ALL=C head -c 4 -- "$SRC/$rel" | od -An -tx1 | tr -d ' \n')
    case $magic in
      28b52ffd) [[ $base == *,S=* ]] || base+=",S=$(zstd -dc -- "$SRC/$rel" | wc -c)";;
      1f8b*)    [[ $base == *,S=* ]] || base+=",S=$(gzip -dc -- "$SRC/$rel" | wc -c)";;
      *)        [[ $base == *,S=* ]] || base+=",S=$size";;
    esac
    out=$DST/$dir/$base$info
    tmp=$DST/$folder/tmp/$base.recompress.$BASHPID
    case $magic in
      28b52ffd|1f8b*) cp -p -- "$SRC/$rel" "$tmp";;
      # The zstd CLI keeps the mtime and mode of its input.
      *) zstd -q -f "-$ZSTD_LEVEL" -o "$tmp" -- "$SRC/$rel";;
    esac
    mv -- "$tmp" "$out"
  done
}
export -f worker
export SRC DST ZSTD_LEVEL

START=$(date +%s.%N)
COUNT=$(cd "$SRC" && find . -mindepth 2 -maxdepth 3 -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l)
log "recompressing $COUNT messages of $SRC into $DST (zstd -$ZSTD_LEVEL, $JOBS jobs)"
(cd "$SRC" && find . -mindepth 2 -maxdepth 3 -type f \( -path '*/cur/*' -o -path '*/new/*' \) -printf '%P\0') \
  | xargs -0 -r -n 256 -P "$JOBS" bash -c 'set -euo pipefail; worker "$@"' _ \
  || die "some messages could not be written"
END=$(date +%s.%N)

# ---------------------------------------------------------------- check and report
DONE=$(cd "$DST" && find . -mindepth 2 -maxdepth 3 -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l)
[[ $DONE -eq $COUNT ]] || die "$DONE message files written, $COUNT expected"
LEFT=$(cd "$DST" && find . -mindepth 2 -maxdepth 3 -type f -path '*/tmp/*' | wc -l)
[[ $LEFT -eq 0 ]] || die "$LEFT temporary files left in tmp/"
bytes() { (cd "$1" && find . -mindepth 2 -maxdepth 3 -type f \( -path '*/cur/*' -o -path '*/new/*' \) -printf '%s\n') | awk '{s+=$1} END {print s+0}'; }
disk() { du -sk "$1" | cut -f1; }
B_SRC=$(bytes "$SRC"); B_DST=$(bytes "$DST")
awk -v n="$COUNT" -v a="$B_SRC" -v b="$B_DST" -v da="$(disk "$SRC")" -v db="$(disk "$DST")" \
    -v s="$START" -v e="$END" -v lvl="$ZSTD_LEVEL" 'BEGIN {
  printf "messages: %d (zstd -%s, %.1f s)\n", n, lvl, e - s
  printf "message bytes: %.1f MB -> %.1f MB (%.1f %% of the original, saving %.1f %%)\n", a/1e6, b/1e6, 100*b/a, 100*(1-b/a)
  printf "disk usage (du): %.1f MB -> %.1f MB (saving %.1f %%)\n", da*1024/1e6, db*1024/1e6, 100*(1-db/da)
}'
