#!/usr/bin/env bash
# dovecot-naive.sh — time Dovecot's own IMAP SEARCH (no FTS plugin) on a Maildir,
# as a baseline for mailfts.
#
# Usage: benches/dovecot-naive.sh MAILDIR QUERYFILE [RUNS]
#
#   MAILDIR    a Maildir (cur/ new/ tmp/) searched as the INBOX; it is only read:
#              Dovecot's index, uidlist and control files go to a private temp dir,
#              and Dovecot accesses the mail as an unprivileged user (default
#              "nobody", override with DOVECOT_BENCH_USER), so it cannot write there.
#              The script checks afterwards that MAILDIR is unchanged.
#   QUERYFILE  one IMAP SEARCH program per line (doveadm-search-query(7) syntax,
#              which for TEXT/BODY/FROM/SUBJECT/HEADER/OR is the IMAP one);
#              '#' comments and blank lines are skipped.  Double-quoted strings
#              ("usb gadget", with \" and \\ escapes) are one argument; ( and )
#              are separate tokens.  Every query is run as
#              `doveadm search mailbox INBOX ( <query> )`.
#   RUNS       timed runs per query (default 3); the median wall time is reported.
#
# Steps: install dovecot-core + dovecot-imapd if missing (apt; the system service
# is never started), write a private dovecot.conf (no fts, no auth daemon: doveadm
# opens the mail storage directly), time the first sync (`search ALL` on an empty
# index), run one untimed warm-up pass of every query (page cache + Dovecot's
# dovecot.index.cache warm), then RUNS timed runs of each query.  Prints a
# Markdown table on stdout; progress goes to stderr.
#
# Exit status: 0 ok; 1 setup/usage failure; 3 if some query could not be run
# (it is still listed in the table, marked "unsupported", with doveadm's error).

set -Eeuo pipefail

PROG=${0##*/}
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
trap 'rc=$?; printf "%s: error: command failed (exit %s) at line %s: %s\n" "$PROG" "$rc" "$LINENO" "$BASH_COMMAND" >&2; exit 1' ERR

usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0" >&2; exit 1; }

[[ $# -ge 2 && $# -le 3 ]] || usage
MAILDIR_ARG=$1
QUERYFILE=$2
RUNS=${3:-3}
MAIL_USER=${DOVECOT_BENCH_USER:-nobody}

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"
[[ -f $QUERYFILE && -r $QUERYFILE ]] || die "query file '$QUERYFILE' not found or unreadable"
[[ -d $MAILDIR_ARG ]] || die "MAILDIR '$MAILDIR_ARG' is not a directory"
MAILDIR=$(cd "$MAILDIR_ARG" && pwd -P)
for sub in cur new tmp; do
  [[ -d $MAILDIR/$sub ]] || die "'$MAILDIR' is not a Maildir (no $sub/)"
done
case $MAILDIR in *:*) die "MAILDIR path must not contain ':' (Dovecot mail_location separator)";; esac
[[ $(id -u) -eq 0 ]] || die "must run as root (installs packages; doveadm drops privileges to '$MAIL_USER')"

SCRIPT_START=$(date +%s.%N)

# ---------------------------------------------------------------- install
# shellcheck source=benches/dovecot-conf.sh
source "$(dirname "${BASH_SOURCE[0]}")/dovecot-conf.sh"
TMPD=""
remove_on_exit

apt_install_missing dovecot-core dovecot-imapd
command -v doveadm >/dev/null 2>&1 || die "doveadm not found although dovecot-core is installed"

DOVECOT_VERSION=$(dovecot --version 2>/dev/null || doveadm -c /dev/null --version 2>/dev/null || echo unknown)
case $DOVECOT_VERSION in
  2.3.*) ;;
  *) die "this script writes a Dovecot 2.3 config; found Dovecot '$DOVECOT_VERSION'";;
esac

id -u "$MAIL_USER" >/dev/null 2>&1 || die "mail user '$MAIL_USER' does not exist (set DOVECOT_BENCH_USER)"
MAIL_GROUP=$(id -gn "$MAIL_USER")
if command -v runuser >/dev/null 2>&1; then
  runuser -u "$MAIL_USER" -- test -r "$MAILDIR/cur" -a -x "$MAILDIR/cur" \
    || die "user '$MAIL_USER' cannot read '$MAILDIR/cur' (Dovecot refuses mail access as root; set DOVECOT_BENCH_USER or fix permissions)"
fi

# ---------------------------------------------------------------- private config
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/dovecot-naive.XXXXXX")
chmod 711 "$TMPD"    # the mail user must traverse it
CONF=$TMPD/dovecot.conf
dovecot_doveadm_conf "$TMPD" "$MAILDIR" "$MAIL_USER" "$MAIL_GROUP" "$PROG" > "$CONF"
# doveadm without -u uses $USER and opens the storage directly (no auth daemon).
export USER=bench HOME=$TMPD/home

# Snapshot MAILDIR (names, sizes, mtimes, ctimes, modes) to prove it is not written.
snapshot() { find "$MAILDIR" -printf '%P\t%s\t%T@\t%C@\t%m\n' | LC_ALL=C sort; }
SNAP_BEFORE=$TMPD/snap-before
snapshot > "$SNAP_BEFORE"

# ---------------------------------------------------------------- helpers
ERRF=$TMPD/err
OUTF=$TMPD/out

# the IMAP program tokenizer and its doveadm translation (tokenize, translate)
# shellcheck source=benches/imap-query.sh
source "$(dirname "${BASH_SOURCE[0]}")/imap-query.sh"

# doveadm form of DTOKENS for display (quotes arguments with spaces).
dform() {
  local t out=""
  for t in "$@"; do
    if [[ -z $t || $t == *[[:space:]\"\\]* ]]; then t=${t//\\/\\\\}; t=\"${t//\"/\\\"}\"; fi
    out+="${out:+ }$t"
  done
  printf '%s' "$out"
}

# run_search TOKENS... -> sets ELAPSED (s) and HITS; returns doveadm's status.
ELAPSED=0 HITS=0
run_search() {
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  doveadm -c "$CONF" search mailbox INBOX '(' "$@" ')' > "$OUTF" 2> "$ERRF" || rc=$?
  t1=$(date +%s.%N)
  ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  HITS=$(wc -l < "$OUTF")
  return $rc
}

median() { printf '%s\n' "$@" | LC_ALL=C sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
md_cell() { local q=${1//|/\\|}; printf '`%s`' "$q"; }

# ---------------------------------------------------------------- read queries
QUERIES=("ALL")
read_queries "$QUERYFILE"
(( ${#QUERIES[@]} > 1 )) || die "no queries in '$QUERYFILE'"

# ---------------------------------------------------------------- first sync
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "first sync of $MAILDIR (doveadm search ALL on an empty index)"
if ! run_search ALL; then
  die "first sync failed: $(head -c 2000 "$ERRF")"
fi
FIRST_SYNC=$ELAPSED FIRST_SYNC_HITS=$HITS
log "first sync: ${FIRST_SYNC}s, $FIRST_SYNC_HITS messages"

# ---------------------------------------------------------------- warm-up pass
declare -A STATUS=()   # query -> "" (ok) or error text
declare -A DFORM=()    # query -> doveadm form actually run
log "warm-up pass (untimed)"
for q in "${QUERIES[@]}"; do
  if ! translate "$q"; then STATUS[$q]=$TERR; continue; fi
  DFORM[$q]=$(dform "${DTOKENS[@]}")
  if run_search "${DTOKENS[@]}"; then
    STATUS[$q]=""
  else
    STATUS[$q]="doveadm failed: $(tr '\n' ' ' < "$ERRF" | sed 's/[[:space:]]*$//' | head -c 300)"
  fi
done

# ---------------------------------------------------------------- timed runs
ROWS=() NOTES=()
FAILED=0
for q in "${QUERIES[@]}"; do
  if [[ -n ${STATUS[$q]} ]]; then
    ROWS+=("| $(md_cell "$q") | unsupported | n/a | 0 |"); FAILED=1
    NOTES+=("- \`$q\` NOT RUN (unsupported): ${STATUS[$q]}")
    log "$q: ${STATUS[$q]}"
    continue
  fi
  translate "$q"
  times=() hits=""
  for (( r = 0; r < RUNS; r++ )); do
    if ! run_search "${DTOKENS[@]}"; then
      die "query '$q' failed on timed run $((r + 1)): $(head -c 2000 "$ERRF")"
    fi
    times+=("$ELAPSED")
    if [[ -z $hits ]]; then hits=$HITS
    elif [[ " $hits " != *" $HITS "* ]]; then hits+=" $HITS"; fi
  done
  if [[ $hits == *" "* ]]; then
    NOTES+=("- \`$q\`: HIT COUNT VARIED between timed runs ($hits): was MAILDIR modified during the run?")
    hits=${hits// //}; FAILED=1
  fi
  med=$(median "${times[@]}")
  log "$q: $hits hits, median ${med}s (${times[*]})"
  ROWS+=("| $(md_cell "$q") | $hits | $med | $RUNS |")
  if [[ ${DFORM[$q]} != "$q" ]]; then NOTES+=("- \`$q\` was run as the doveadm query \`${DFORM[$q]}\`"); fi
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

snapshot > "$TMPD/snap-after"
if cmp -s "$SNAP_BEFORE" "$TMPD/snap-after"; then
  MAILDIR_CHECK="unchanged (names, sizes, mtimes, ctimes, modes compared before/after)"
else
  ndiff=$(diff "$SNAP_BEFORE" "$TMPD/snap-after" | grep -c '^[<>]' || true)
  ndove=$(diff "$SNAP_BEFORE" "$TMPD/snap-after" | grep -c '^>.*dovecot' || true)
  if [[ $ndove -eq 0 ]]; then who="no dovecot* entries among them, so most likely another process"
  else who="$ndove of them dovecot* entries: Dovecot wrote into MAILDIR"; fi
  MAILDIR_CHECK="CHANGED during the run ($ndiff snapshot lines differ; $who) — figures are not reliable"
  FAILED=1
fi

# ---------------------------------------------------------------- report
NMSG=$(find "$MAILDIR/cur" "$MAILDIR/new" -type f | wc -l)
MDSIZE=$(du -sh "$MAILDIR" | cut -f1)
CPU_MODEL=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM_AVAIL=$(awk '/^MemAvailable/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
TOTAL=$(awk -v a="$SCRIPT_START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

echo "## Dovecot naive search (no FTS): $MAILDIR"
echo
echo "| query | hits | median s | runs |"
echo "|---|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
echo
if (( ${#NOTES[@]} )); then printf '%s\n' "${NOTES[@]}"; fi
echo "- first sync (\`doveadm search ALL\` on an empty index, cold Dovecot index): ${FIRST_SYNC} s, ${FIRST_SYNC_HITS} messages"
echo "- corpus: $NMSG messages, $MDSIZE on disk; MAILDIR $MAILDIR_CHECK"
echo "- each query run as \`doveadm -c CONF search mailbox INBOX ( QUERY )\`, one process per run (wall time includes doveadm start-up); median of $RUNS timed runs"
echo "- page cache: warm (one untimed warm-up pass of every query before timing; MemAvailable $MEM_AVAIL vs corpus $MDSIZE)"
echo "- machine: $(nproc) CPUs, $CPU_MODEL; load average $LOAD_START at start, $LOAD_END at end"
echo "- Dovecot $DOVECOT_VERSION (mail_location maildir, no fts plugin, index/control in a temp dir, mail access as '$MAIL_USER')"
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); total script time ${TOTAL} s"

if [[ $FAILED -ne 0 ]]; then
  log "some queries could not be run, hit counts varied, or MAILDIR changed; see the notes"
  exit 3
fi
