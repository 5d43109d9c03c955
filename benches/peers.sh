#!/usr/bin/env bash
# peers.sh — time mailfts and its peers (Dovecot without FTS, Dovecot + fts-xapian,
# notmuch) on the SAME Maildir and print one Markdown table with hits, misses and ratios.
#
# Usage: benches/peers.sh MAILDIR QUERYFILE [SUBSET]
#
#   MAILDIR    a Maildir (cur/ new/ tmp/) searched as the INBOX.  It is never written:
#              every system works on a hard-linked copy of its message files in a
#              private temp dir (same filesystem required; set TMPDIR otherwise),
#              and the script checks afterwards that MAILDIR is unchanged.
#   QUERYFILE  one IMAP SEARCH program per line, '#' comments and blank lines skipped
#              (e.g. benches/queries-linux-usb.txt).
#   SUBSET     messages for Dovecot + fts-xapian (default $PEERS_SUBSET or 3000): the
#              first SUBSET message files by name order go into a separate Maildir,
#              because fts-xapian indexes at ~11 msg/s.  mailfts is run on that subset
#              too, as the reference for the fts-xapian row.
#
# Environment: MAILFTS (mailfts binary, default /tmp/mailfts-rel), RUNS (timed runs per
# query, default 3; the median is reported), DOVECOT_BENCH_USER (unprivileged user
# Dovecot accesses the mail as, default nobody), TMPDIR.
#
# Steps: install dovecot-core dovecot-imapd dovecot-fts-xapian notmuch from Debian if
# missing (apt-get; services are never started: a policy-rc.d denies it during the
# install), then, one system at a time:
#   mailfts    `mailfts rescan --home H --json` (timed), `mailfts status --home H --json`
#              (index size), per query `mailfts search --home H -- 'QUERY'` and with
#              --exact: whole process timed, one untimed warm-up + RUNS timed runs.
#   notmuch    private config (database outside the Maildir, no hooks, no flag sync),
#              `notmuch new` (timed), per query `notmuch search --output=messages`
#              (IMAP translated to notmuch syntax; "n/a" when it cannot be expressed).
#   Dovecot    private config, no FTS, doveadm opens the storage directly (no daemon):
#              first sync `doveadm search ALL` (timed), per query `doveadm search`.
#   fts-xapian private config with `mail_plugins = fts fts_xapian` on the subset:
#              `doveadm index INBOX` (timed), xapian-indexes size, per query search.
# Misses/extras of every row are counted per message file (base name without flags)
# against `mailfts search --exact` on the same Maildir (IMAP's answer), or against
# Dovecot without FTS when mailfts is unavailable.
#
# Prints Markdown on stdout; progress goes to stderr.  Exit status: 0 ok; 1 setup or
# usage failure; 3 when something was marked failed in the table (e.g. mailfts).

set -Eeuo pipefail

PROG=${0##*/}
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
log() { printf '%s: [%s] %s\n' "$PROG" "$(date +%H:%M:%S)" "$*" >&2; }
trap 'rc=$?; printf "%s: error: command failed (exit %s) at line %s: %s\n" "$PROG" "$rc" "$LINENO" "$BASH_COMMAND" >&2; exit 1' ERR
usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0" >&2; exit 1; }

[[ $# -ge 2 && $# -le 3 ]] || usage
MAILDIR_ARG=$1
QUERYFILE=$2
SUBSET=${3:-${PEERS_SUBSET:-3000}}
RUNS=${RUNS:-3}
MAILFTS=${MAILFTS:-/tmp/mailfts-rel}
MAIL_USER=${DOVECOT_BENCH_USER:-nobody}
CMDLINE="MAILFTS=$MAILFTS RUNS=$RUNS benches/peers.sh $(printf '%q ' "$@")"
CMDLINE=${CMDLINE% }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"
[[ $SUBSET =~ ^[1-9][0-9]*$ ]] || die "SUBSET must be a positive integer, got '$SUBSET'"
[[ -f $QUERYFILE && -r $QUERYFILE ]] || die "query file '$QUERYFILE' not found or unreadable"
[[ -d $MAILDIR_ARG ]] || die "MAILDIR '$MAILDIR_ARG' is not a directory"
MAILDIR=$(cd "$MAILDIR_ARG" && pwd -P)
for sub in cur new; do
  [[ -d $MAILDIR/$sub ]] || die "'$MAILDIR' is not a Maildir (no $sub/)"
done
[[ $(id -u) -eq 0 ]] || die "must run as root (installs packages; doveadm drops privileges to '$MAIL_USER')"
id -u "$MAIL_USER" >/dev/null 2>&1 || die "mail user '$MAIL_USER' does not exist (set DOVECOT_BENCH_USER)"
MAIL_GROUP=$(id -gn "$MAIL_USER")
for tool in jq awk comm find du sort; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required"
done

SCRIPT_START=$(date +%s.%N)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------ install
PKGS=(dovecot-core dovecot-imapd dovecot-fts-xapian notmuch)
# shellcheck source=benches/dovecot-conf.sh
source "$(dirname "${BASH_SOURCE[0]}")/dovecot-conf.sh"
# the IMAP program tokenizer and its doveadm translation (tokenize, translate)
# shellcheck source=benches/imap-query.sh
source "$(dirname "${BASH_SOURCE[0]}")/imap-query.sh"
TMPD=""
remove_on_exit
trap 'exit 130' INT TERM

apt_install_missing "${PKGS[@]}"
command -v doveadm >/dev/null 2>&1 || die "doveadm not found although dovecot-core is installed"
command -v notmuch >/dev/null 2>&1 || die "notmuch not found although the package is installed"
DOVECOT_VERSION=$(dovecot --version 2>/dev/null || echo unknown)
case $DOVECOT_VERSION in 2.3.*) ;; *) die "this script writes Dovecot 2.3 configs; found '$DOVECOT_VERSION'";; esac
XAPIAN_PLUGIN=$(find /usr/lib/dovecot/modules -maxdepth 1 -name '*fts_xapian_plugin.so' -print -quit 2>/dev/null || true)
[[ -n $XAPIAN_PLUGIN ]] || die "fts_xapian plugin not found in /usr/lib/dovecot/modules"
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
NOTMUCH_VERSION=$(notmuch --version 2>/dev/null | awk '{ print $2 }')
FTSX_VERSION=$(pkgver dovecot-fts-xapian)
XAPIAN_VERSION=$(dpkg-query -W -f='${Version}\n' 'libxapian[0-9]*' 2>/dev/null | head -1 || true)

# ------------------------------------------------------------------ temp dir, copies
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/mailfts-peers.XXXXXX")
chmod 711 "$TMPD"    # the Dovecot mail user must traverse it
export HOME=$TMPD/home USER=bench XDG_CONFIG_HOME=$TMPD/home/.config
mkdir -p "$HOME"

# Snapshot of MAILDIR (names, sizes, mtimes, modes; not ctimes: hard-linking changes a
# file's link count and so its ctime, never its contents).
snapshot() { find "$MAILDIR" -printf '%P\t%s\t%T@\t%m\n' | LC_ALL=C sort; }
snapshot > "$TMPD/snap-before"

# Message files of the INBOX (cur/ and new/), sorted by name.
find "$MAILDIR/cur" "$MAILDIR/new" -mindepth 1 -maxdepth 1 -type f -printf '%f\t%h\n' \
  | LC_ALL=C sort > "$TMPD/files"
NMSG=$(wc -l < "$TMPD/files")
(( NMSG > 0 )) || die "no message files in '$MAILDIR/cur' or '$MAILDIR/new'"
(( SUBSET > NMSG )) && SUBSET=$NMSG

# make_copy LISTFILE DEST: hard-links the listed files into DEST/Maildir/{cur,new}.
make_copy() {
  local list=$1 dest=$2/Maildir
  mkdir -p "$dest"/{cur,new,tmp}
  awk -F'\t' -v m="$MAILDIR" -v t="$TMPD" '{ d = substr($2, length(m) + 2); print $2 "/" $1 > (t "/ln-" d) }' "$list"
  local d
  for d in cur new; do
    if [[ -s $TMPD/ln-$d ]]; then
      tr '\n' '\0' < "$TMPD/ln-$d" | xargs -0 -r ln -t "$dest/$d" -- \
        || die "cannot hard-link '$MAILDIR/$d' files into '$dest/$d' (different filesystem? set TMPDIR to a directory on the Maildir's filesystem)"
    fi
    rm -f "$TMPD/ln-$d"
  done
}
log "hard-linking $NMSG messages into $TMPD/full/Maildir"
make_copy "$TMPD/files" "$TMPD/full"
head -n "$SUBSET" "$TMPD/files" > "$TMPD/files-subset"
log "hard-linking the first $SUBSET messages (by name) into $TMPD/subset/Maildir"
make_copy "$TMPD/files-subset" "$TMPD/subset"
SUBSET_FIRST=$(head -n 1 "$TMPD/files-subset" | cut -f1)
SUBSET_LAST=$(tail -n 1 "$TMPD/files-subset" | cut -f1)

sumbytes() { find "$1/cur" "$1/new" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }'; }
MD_BYTES=$(sumbytes "$TMPD/full/Maildir")
SUB_BYTES=$(sumbytes "$TMPD/subset/Maildir")
dirbytes() { du -sb "$@" 2>/dev/null | awk '{ s += $1 } END { printf "%d", s }'; }

if command -v runuser >/dev/null 2>&1; then
  f=$(find "$TMPD/full/Maildir/cur" "$TMPD/full/Maildir/new" -type f -print -quit)
  runuser -u "$MAIL_USER" -- test -r "$f" \
    || die "user '$MAIL_USER' cannot read the messages (Dovecot refuses mail access as root; set DOVECOT_BENCH_USER or fix permissions)"
fi

# ------------------------------------------------------------------ helpers
ms_of() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'; }
median() { printf '%s\n' "$@" | LC_ALL=C sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# timed OUT ERR CMD...: runs CMD, sets ELAPSED_MS; returns CMD's status.
ELAPSED_MS=0
timed() {
  local out=$1 err=$2 t0 t1 rc=0
  shift 2
  t0=$(date +%s%N)
  "$@" > "$out" 2> "$err" || rc=$?
  t1=$(date +%s%N)
  ELAPSED_MS=$(ms_of "$t0" "$t1")
  return $rc
}
oneline() { tr '\n' ' ' < "$1" | sed 's/[[:space:]]*$//' | head -c 300; }
fmt_ms() { awk -v v="$1" 'BEGIN { if (v < 10) printf "%.1f ms", v; else printf "%.0f ms", v }'; }
fmt_s() { awk -v v="$1" 'BEGIN { if (v < 10) printf "%.2f s", v; else printf "%.1f s", v }'; }
fmt_int() { printf '%s' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f %%", 100 * a / b }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
md_esc() { local q=${1//|/\\|}; printf '%s' "$q"; }
# strip Maildir info (":2,FLAGS") from base names on stdin, sorted unique.
basekeys() { sed 's/:2,.*$//' | LC_ALL=C sort -u; }

# ------------------------------------------------------------------ queries
QUERIES=()
read_queries "$QUERYFILE"
NQ=${#QUERIES[@]}
(( NQ > 0 )) || die "no queries in '$QUERYFILE'"


# IMAP -> notmuch query string (NMQ).  TEXT/BODY w -> w, a value that is not one
# alphanumeric word -> "phrase"; FROM/SUBJECT/TO and HEADER FROM/SUBJECT/TO ->
# from:/subject:/to:; OR a b -> ( a or b ); NOT -> not; ALL -> *; the rest -> n/a.
NMQ=""
nm_value() {  # VALUE -> quoted or bare, or return 1
  local v=$1
  [[ -n $v && $v != *'"'* ]] || { TERR="value '$v' not expressible"; return 1; }
  if [[ $v =~ ^[[:alnum:]]+$ ]]; then printf '%s' "$v"; else printf '"%s"' "$v"; fi
}
tr_nm() {
  (( POS < ${#TOKENS[@]} )) || { TERR="search key expected at end of query"; return 1; }
  local tok=${TOKENS[POS]} up v parts=() field
  up=${tok^^}
  POS=$((POS + 1))
  case $up in
    "(")
      while :; do
        (( POS < ${#TOKENS[@]} )) || { TERR="missing ')'"; return 1; }
        [[ ${TOKENS[POS]} == ")" ]] && break
        tr_nm || return 1; parts+=("$NMQ")
      done
      POS=$((POS + 1))
      NMQ="( $(printf '%s and ' "${parts[@]}")" ; NMQ="${NMQ% and } )" ;;
    OR) tr_nm || return 1; v=$NMQ; tr_nm || return 1; NMQ="( $v or $NMQ )" ;;
    NOT) tr_nm || return 1; NMQ="not $NMQ" ;;
    ALL) NMQ="*" ;;
    TEXT|BODY) need 1 "$up" || return 1; v=$(nm_value "${TOKENS[POS]}") || return 1; POS=$((POS + 1)); NMQ=$v ;;
    FROM|SUBJECT|TO) need 1 "$up" || return 1; v=$(nm_value "${TOKENS[POS]}") || return 1; POS=$((POS + 1)); NMQ="${up,,}:$v" ;;
    HEADER)
      need 2 HEADER || return 1; field=${TOKENS[POS]^^}
      case $field in FROM|SUBJECT|TO) ;; *) TERR="HEADER $field has no notmuch prefix"; return 1;; esac
      v=$(nm_value "${TOKENS[POS + 1]}") || return 1; POS=$((POS + 2)); NMQ="${field,,}:$v" ;;
    *) TERR="'$tok' has no notmuch equivalent"; return 1 ;;
  esac
}
translate_nm() {
  local parts=()
  NMQ="" TERR="" POS=0
  tokenize "$1" || { TERR="unterminated quoted string"; return 1; }
  (( ${#TOKENS[@]} > 0 )) || { TERR="empty query"; return 1; }
  while (( POS < ${#TOKENS[@]} )); do tr_nm || return 1; parts+=("$NMQ"); done
  NMQ=$(printf '%s and ' "${parts[@]}"); NMQ=${NMQ% and }
}

# ------------------------------------------------------------------ result store
# Per system S: IDX_TIME[S] (s), IDX_BYTES[S], IDX_NOTE[S]; per S,q: HITS, MS, KEYS file, ERRQ.
declare -A IDX_TIME=() IDX_BYTES=() IDX_NMSG=() SYS_ERR=() HITS=() MS=() ERRQ=() NOTE_Q=()
NOTES=()
FAILED=0
RES=$TMPD/res
mkdir -p "$RES"
OUT=$TMPD/out ERR=$TMPD/err

# measure S Q ID CMD...: untimed warm-up (its stdout kept in $RES/S.Q.raw) + RUNS timed runs.
measure() {
  local s=$1 qi=$2 times=() r
  shift 2
  if ! timed "$RES/$s.$qi.raw" "$ERR" "$@"; then
    ERRQ[$s,$qi]="failed: $(oneline "$ERR")"; log "$s q$qi: ${ERRQ[$s,$qi]}"; return 1
  fi
  for (( r = 0; r < RUNS; r++ )); do
    if ! timed "$OUT" "$ERR" "$@"; then
      ERRQ[$s,$qi]="failed on timed run $((r + 1)): $(oneline "$ERR")"; log "$s q$qi: ${ERRQ[$s,$qi]}"; return 1
    fi
    cmp -s "$OUT" "$RES/$s.$qi.raw" || NOTE_Q[$s,$qi]="output varied between runs"
    times+=("$ELAPSED_MS")
  done
  MS[$s,$qi]=$(median "${times[@]}")
}

# ------------------------------------------------------------------ mailfts
MAILFTS_VERSION="n/a"
# run_mailfts S HOME NMSG: rescan + status, then default and --exact searches (S and Sx).
run_mailfts() {
  local s=$1 home=$2 n=$3 qi q line
  if ! timed "$RES/$s.rescan" "$ERR" "$MAILFTS" rescan --home "$home" --json; then
    SYS_ERR[$s]="mailfts rescan failed: $(oneline "$ERR")"; SYS_ERR[${s}x]=${SYS_ERR[$s]}; return 1
  fi
  IDX_TIME[$s]=$(awk -v m="$ELAPSED_MS" 'BEGIN { printf "%.3f", m / 1000 }')
  IDX_NMSG[$s]=$(jq -r '.added' "$RES/$s.rescan" 2>/dev/null || echo "?")
  if ! "$MAILFTS" status --home "$home" --json > "$RES/$s.status" 2> "$ERR"; then
    SYS_ERR[$s]="mailfts status failed: $(oneline "$ERR")"; SYS_ERR[${s}x]=${SYS_ERR[$s]}; return 1
  fi
  IDX_BYTES[$s]=$(jq -r '.index_bytes' "$RES/$s.status" 2>/dev/null || true)
  [[ ${IDX_BYTES[$s]} =~ ^[0-9]+$ ]] || { SYS_ERR[$s]="no index_bytes in 'mailfts status --json'"; SYS_ERR[${s}x]=${SYS_ERR[$s]}; return 1; }
  # UID -> base name, from mailfts's own UID list in the (copied) Maildir.
  awk '$1 ~ /^[0-9]+$/ { print $1 "\t" $2 }' "$home/Maildir/mailfts-uidlist" > "$RES/$s.uidmap" \
    || { SYS_ERR[$s]="no mailfts-uidlist after rescan"; SYS_ERR[${s}x]=${SYS_ERR[$s]}; return 1; }
  for (( qi = 0; qi < NQ; qi++ )); do
    q=${QUERIES[qi]}
    for mode in "" x; do
      if [[ -z $mode ]]; then
        measure "$s" "$qi" "$MAILFTS" search --home "$home" -- "$q" || continue
      else
        measure "$s$mode" "$qi" "$MAILFTS" search --home "$home" --exact -- "$q" || continue
      fi
      tr -s ' \n' '\n\n' < "$RES/$s$mode.$qi.raw" | sed '/^$/d' > "$RES/$s$mode.$qi.uids"
      HITS[$s$mode,$qi]=$(wc -l < "$RES/$s$mode.$qi.uids")
      awk -F'\t' 'NR == FNR { m[$1] = $2; next } { print (($1 in m) ? m[$1] : "?uid" $1) }' \
        "$RES/$s.uidmap" "$RES/$s$mode.$qi.uids" | basekeys > "$RES/$s$mode.$qi.keys"
    done
    log "mailfts ($s) q$qi \`$q\`: ${HITS[$s,$qi]:-?} hits ${MS[$s,$qi]:-?} ms; --exact ${HITS[${s}x,$qi]:-?} hits ${MS[${s}x,$qi]:-?} ms"
  done
}

MF_OK=1 MFS_OK=1
if [[ ! -x $MAILFTS ]]; then
  MF_OK=0 MFS_OK=0; SYS_ERR[mf]="binary '$MAILFTS' missing or not executable"
elif ! MAILFTS_VERSION=$("$MAILFTS" --version 2>&1); then
  MF_OK=0 MFS_OK=0; SYS_ERR[mf]="'$MAILFTS --version' failed: $(head -c 300 <<< "$MAILFTS_VERSION")"; MAILFTS_VERSION="n/a"
fi
if (( MF_OK )); then
  MAILFTS_VERSION="${MAILFTS_VERSION#mailfts* } ($MAILFTS, built $(date -u -r "$MAILFTS" '+%Y-%m-%d %H:%M UTC'))"
  log "mailfts: rescan of $NMSG messages"
  run_mailfts mf "$TMPD/full" "$NMSG" || { MF_OK=0; log "${SYS_ERR[mf]}"; }
  log "mailfts: rescan of the $SUBSET-message subset"
  run_mailfts mfs "$TMPD/subset" "$SUBSET" || { MFS_OK=0; log "${SYS_ERR[mfs]}"; }
fi
if (( ! MF_OK )); then
  for s in mfx mfs mfsx; do SYS_ERR[$s]=${SYS_ERR[$s]:-${SYS_ERR[mf]}}; done
  MFS_OK=0
fi
(( MF_OK && MFS_OK )) || FAILED=1

# ------------------------------------------------------------------ notmuch
log "notmuch: private config, notmuch new on $NMSG messages"
NMD=$TMPD/notmuch
mkdir -p "$NMD/db" "$NMD/hooks"
export NOTMUCH_CONFIG=$NMD/config
cat > "$NOTMUCH_CONFIG" <<EOF
[database]
path=$NMD/db
mail_root=$TMPD/full/Maildir
hook_dir=$NMD/hooks
[user]
name=bench
primary_email=bench@example.invalid
[new]
tags=
ignore=mailfts-uidlist;mailfts-uidlist.lock;mailfts-uidvalidity;mailfts-uidvalidity.lock
[search]
exclude_tags=
[maildir]
synchronize_flags=false
EOF
if ! timed "$RES/nm.new" "$ERR" notmuch new; then
  die "notmuch new failed: $(oneline "$ERR")"
fi
IDX_TIME[nm]=$(awk -v m="$ELAPSED_MS" 'BEGIN { printf "%.3f", m / 1000 }')
IDX_BYTES[nm]=$(dirbytes "$NMD/db")
NM_MESSAGES=$(notmuch count '*')
log "notmuch new: ${IDX_TIME[nm]} s, $NM_MESSAGES messages (by Message-ID) from $NMSG files"
declare -A NMQS=()
for (( qi = 0; qi < NQ; qi++ )); do
  q=${QUERIES[qi]}
  if ! translate_nm "$q"; then ERRQ[nm,$qi]="n/a"; NMQS[$qi]="n/a ($TERR)"; log "notmuch q$qi: n/a ($TERR)"; continue; fi
  NMQS[$qi]=$NMQ
  measure nm "$qi" notmuch search --output=messages -- "$NMQ" || continue
  HITS[nm,$qi]=$(wc -l < "$RES/nm.$qi.raw")
  notmuch search --output=files -- "$NMQ" | sed 's|.*/||' | basekeys > "$RES/nm.$qi.keys"
  log "notmuch q$qi \`$NMQ\`: ${HITS[nm,$qi]} messages, ${MS[nm,$qi]} ms"
done

# ------------------------------------------------------------------ Dovecot
# dovecot_setup DIR MAILDIR PLUGINS: private config in DIR (no daemon; doveadm opens the
# storage directly and accesses the mail as MAIL_USER).
dovecot_setup() {
  local d=$1 md=$2 fts=$3 plugins="mail_plugins ="
  if [[ $fts == xapian ]]; then
    plugins='mail_plugins = fts fts_xapian
plugin {
  fts = xapian
  fts_xapian = partial=3 full=20 verbose=0
  fts_autoindex = no
  fts_enforced = yes
}'
  fi
  dovecot_doveadm_conf "$d" "$md" "$MAIL_USER" "$MAIL_GROUP" "$PROG" "$plugins" > "$d/dovecot.conf"
}
# dovecot_queries S CONF CONTROLDIR: per query doveadm search, UID -> base name keys.
declare -A DFORMS=()
dovecot_queries() {
  local s=$1 conf=$2 ctl=$3 qi q ul
  for (( qi = 0; qi < NQ; qi++ )); do
    q=${QUERIES[qi]}
    if ! translate "$q"; then ERRQ[$s,$qi]="unsupported: $TERR"; continue; fi
    DFORMS[$qi]="${DTOKENS[*]}"
    measure "$s" "$qi" doveadm -c "$conf" search mailbox INBOX '(' "${DTOKENS[@]}" ')' || continue
    HITS[$s,$qi]=$(wc -l < "$RES/$s.$qi.raw")
    log "$s q$qi \`$q\`: ${HITS[$s,$qi]} hits, ${MS[$s,$qi]} ms"
  done
  ul=$(find "$ctl" -name dovecot-uidlist -path '*INBOX*' -print -quit)
  [[ -n $ul ]] || ul=$(find "$ctl" -name dovecot-uidlist -print -quit)
  [[ -n $ul ]] || die "$s: no dovecot-uidlist under '$ctl'"
  awk 'NR > 1 { i = index($0, " :"); if (i) print $1 "\t" substr($0, i + 2) }' "$ul" > "$RES/$s.uidmap"
  for (( qi = 0; qi < NQ; qi++ )); do
    [[ -f $RES/$s.$qi.raw && -n ${HITS[$s,$qi]:-} ]] || continue
    awk -F'\t' 'NR == FNR { m[$1] = $2; next } { print (($2 in m) ? m[$2] : "?uid" $2) }' \
      "$RES/$s.uidmap" FS=' ' "$RES/$s.$qi.raw" | basekeys > "$RES/$s.$qi.keys"
  done
}

log "Dovecot without FTS: first sync of $NMSG messages (doveadm search ALL)"
DN=$TMPD/dovecot-naive
dovecot_setup "$DN" "$TMPD/full/Maildir" none
timed "$OUT" "$ERR" doveadm -c "$DN/dovecot.conf" search mailbox INBOX ALL \
  || die "Dovecot first sync failed: $(oneline "$ERR")"
IDX_TIME[dn]=$(awk -v m="$ELAPSED_MS" 'BEGIN { printf "%.3f", m / 1000 }')
[[ $(wc -l < "$OUT") -eq $NMSG ]] || NOTES+=("- Dovecot saw $(wc -l < "$OUT") messages, not $NMSG")
IDX_BYTES[dn]=$(dirbytes "$DN/index" "$DN/control")
dovecot_queries dn "$DN/dovecot.conf" "$DN/control"

if (( ! MFS_OK )); then   # reference for the subset when mailfts is unavailable
  log "Dovecot without FTS on the $SUBSET-message subset (reference, mailfts unavailable)"
  DNS=$TMPD/dovecot-naive-subset
  dovecot_setup "$DNS" "$TMPD/subset/Maildir" none
  timed "$OUT" "$ERR" doveadm -c "$DNS/dovecot.conf" search mailbox INBOX ALL \
    || die "Dovecot first sync (subset) failed: $(oneline "$ERR")"
  IDX_TIME[dns]=$(awk -v m="$ELAPSED_MS" 'BEGIN { printf "%.3f", m / 1000 }')
  IDX_BYTES[dns]=$(dirbytes "$DNS/index" "$DNS/control")
  dovecot_queries dns "$DNS/dovecot.conf" "$DNS/control"
fi

log "Dovecot + fts-xapian: doveadm index INBOX on the $SUBSET-message subset (slow: ~11 msg/s)"
DX=$TMPD/dovecot-xapian
dovecot_setup "$DX" "$TMPD/subset/Maildir" xapian
timed "$OUT" "$ERR" doveadm -c "$DX/dovecot.conf" index INBOX \
  || die "doveadm index (fts-xapian) failed: $(oneline "$ERR")"
IDX_TIME[dx]=$(awk -v m="$ELAPSED_MS" 'BEGIN { printf "%.3f", m / 1000 }')
XDIR=$(find "$DX" -type d -name xapian-indexes -print -quit)
[[ -n $XDIR ]] || die "fts-xapian wrote no xapian-indexes directory (see $DX/dovecot.log)"
IDX_BYTES[dx]=$(dirbytes "$XDIR")
log "fts-xapian index: ${IDX_TIME[dx]} s, ${IDX_BYTES[dx]} bytes"
dovecot_queries dx "$DX/dovecot.conf" "$DX/control"

# ------------------------------------------------------------------ MAILDIR check
snapshot > "$TMPD/snap-after"
if cmp -s "$TMPD/snap-before" "$TMPD/snap-after"; then
  MAILDIR_CHECK="unchanged (names, sizes, mtimes, modes compared before/after)"
else
  MAILDIR_CHECK="CHANGED during the run ($(diff "$TMPD/snap-before" "$TMPD/snap-after" | grep -c '^[<>]' || true) snapshot lines differ) — figures are not reliable"
  FAILED=1
fi

# ------------------------------------------------------------------ table
if (( MF_OK )); then REF=mfx BASE=mf; else REF=dn BASE=""; fi
if (( MFS_OK )); then REFS=mfsx BASES=mfs; else REFS=dns BASES=""; fi
# rows: id | label | reference | ratio base | messages | maildir bytes | index label
ROWS=(
  "mf|mailfts|$REF|$BASE|$NMSG|$MD_BYTES|rescan"
  "mfx|mailfts --exact (IMAP answer)|$REF|$BASE|$NMSG|$MD_BYTES|same index"
  "dn|Dovecot, no FTS|$REF|$BASE|$NMSG|$MD_BYTES|first sync"
  "nm|notmuch|$REF|$BASE|$NMSG|$MD_BYTES|notmuch new"
  "mfs|mailfts — subset $SUBSET|$REFS|$BASES|$SUBSET|$SUB_BYTES|rescan"
  "mfsx|mailfts --exact — subset $SUBSET|$REFS|$BASES|$SUBSET|$SUB_BYTES|same index"
)
(( MFS_OK )) || ROWS+=("dns|Dovecot, no FTS — subset $SUBSET (reference)|$REFS||$SUBSET|$SUB_BYTES|first sync")
ROWS+=("dx|Dovecot + fts-xapian — subset $SUBSET|$REFS|$BASES|$SUBSET|$SUB_BYTES|doveadm index")

cell() {  # S QI REF BASE
  local s=$1 qi=$2 ref=$3 base=$4 h m miss extra out
  if [[ -n ${SYS_ERR[$s]:-} ]]; then printf 'failed'; return; fi
  if [[ -n ${ERRQ[$s,$qi]:-} ]]; then
    if [[ ${ERRQ[$s,$qi]} == n/a ]]; then printf 'n/a'; else printf 'error'; fi
    return
  fi
  h=${HITS[$s,$qi]:-?} m=${MS[$s,$qi]:-}
  out=$(fmt_int "$h")
  if [[ $s != "$ref" && -f $RES/$ref.$qi.keys && -f $RES/$s.$qi.keys ]]; then
    miss=$(LC_ALL=C comm -23 "$RES/$ref.$qi.keys" "$RES/$s.$qi.keys" | wc -l)
    extra=$(LC_ALL=C comm -13 "$RES/$ref.$qi.keys" "$RES/$s.$qi.keys" | wc -l)
    if (( miss == 0 && extra == 0 )); then out+=" ✓"
    else
      out+=" ("
      (( miss )) && out+="−$(fmt_int "$miss")"
      (( miss && extra )) && out+=" "
      (( extra )) && out+="+$(fmt_int "$extra")"
      out+=")"
    fi
  fi
  out+=" · $(fmt_ms "$m")"
  if [[ -n $base && $s != "$base" && -n ${MS[$base,$qi]:-} ]]; then
    out+=" $(awk -v a="$m" -v b="${MS[$base,$qi]}" 'BEGIN { r = a / b; if (r >= 10) printf "%.0f×", r; else printf "%.1f×", r }')"
  fi
  printf '%s' "$out"
}

CPU_MODEL=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM_TOTAL=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
TOTAL=$(awk -v a="$SCRIPT_START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')

echo "## mailfts and peers on $(fmt_int "$NMSG") messages ($(awk -v b="$MD_BYTES" 'BEGIN { printf "%.0f MB", b / 1e6 }'))"
echo
hdr="| system | index time | msg/s | index % of Maildir |"
sep="|---|---:|---:|---:|"
for (( qi = 0; qi < NQ; qi++ )); do
  hdr+=" q$((qi + 1)) \`$(md_esc "${QUERIES[qi]}")\` |"; sep+="---:|"
done
echo "$hdr"
echo "$sep"
for row in "${ROWS[@]}"; do
  IFS='|' read -r s label ref base n mdb how <<< "$row"
  line="| $label |"
  if [[ -n ${SYS_ERR[$s]:-} ]]; then
    line+=" failed | | |"
  elif [[ $how == "same index" ]]; then
    line+=" (same index) | | |"
  else
    if [[ $how == "first sync" ]]; then r="—"; else r=$(fmt_int "$(rate "$n" "${IDX_TIME[$s]}")"); fi
    line+=" $(fmt_s "${IDX_TIME[$s]}") ($how) | $r | $(pct "${IDX_BYTES[$s]}" "$mdb") |"
  fi
  for (( qi = 0; qi < NQ; qi++ )); do line+=" $(md_esc "$(cell "$s" "$qi" "$ref" "$base")") |"; done
  echo "$line"
done
echo
echo "Cells: hits (message files; notmuch: messages by Message-ID) · median wall time of the whole process over $RUNS warm runs."
if (( MF_OK )); then
  echo "✓ = exactly the same messages as \`mailfts --exact\` on the same Maildir (IMAP's answer); (−m +e) = m of its messages missed, e extra; N× = time ÷ plain \`mailfts\` on the same Maildir."
else
  echo "mailfts unavailable: ✓ / (−m +e) compare with Dovecot without FTS on the same Maildir (the IMAP reference); no ratios."
fi
echo
echo "- **subset**: the fts-xapian rows (and the mailfts rows they are compared with) use the first $(fmt_int "$SUBSET") message files by name ($SUBSET_FIRST … $SUBSET_LAST, $(awk -v b="$SUB_BYTES" 'BEGIN { printf "%.1f MB", b / 1e6 }')); every other row uses all $(fmt_int "$NMSG")."
for s in mf mfs; do
  if [[ -n ${SYS_ERR[$s]:-} ]]; then echo "- **mailfts FAILED** ($s): ${SYS_ERR[$s]}"; break; fi
done
(( MF_OK && MFS_OK )) && echo "- mailfts: \`rescan --home H --json\` timed as a process (its own figures: $(jq -r '"\(.seconds*1000|round/1000) s, \(.msg_per_sec|round) msg/s"' "$RES/mf.rescan") full; $(jq -r '"\(.seconds*1000|round/1000) s"' "$RES/mfs.rescan") subset); index size from \`status --json\` index_bytes; H/Maildir is the hard-linked copy; each search is \`mailfts search --home H [--exact] -- 'QUERY'\`."
echo "- notmuch: \`notmuch new\` with a private config (database outside the Maildir, no hooks, new.tags empty, no flag sync); $NM_MESSAGES messages by Message-ID from $NMSG files; timed \`notmuch search --output=messages QUERY\`; misses compared per file (\`--output=files\`). Queries as run:"
for (( qi = 0; qi < NQ; qi++ )); do echo "  - q$((qi + 1)) \`$(md_esc "${NMQS[$qi]}")\`"; done
echo "- Dovecot: private config, no daemon (doveadm opens the Maildir directly, as '$MAIL_USER'; index and control files in a temp dir); \`doveadm search mailbox INBOX ( QUERY )\` (IMAP \`OR a b\` written as doveadm's infix \`( ( a ) OR ( b ) )\`); no-FTS \"index\" = first sync (\`search ALL\` on an empty index: the file list only, no content, hence no msg/s), its size = dovecot.index* + uidlist right after it."
echo "- fts-xapian: \`mail_plugins = fts fts_xapian\`, \`fts_xapian = partial=3 full=20\`, \`fts_enforced = yes\`; index time = \`doveadm index INBOX\`; size = the xapian-indexes directory only (Dovecot's own index not counted)."
# Where the two IMAP references disagree, name a few messages (base names in MAILDIR).
if (( MF_OK )); then
  for (( qi = 0; qi < NQ; qi++ )); do
    [[ -f $RES/dn.$qi.keys && -f $RES/mfx.$qi.keys ]] || continue
    a=$(LC_ALL=C comm -23 "$RES/dn.$qi.keys" "$RES/mfx.$qi.keys" | head -n 3 | tr '\n' ' ')
    b=$(LC_ALL=C comm -13 "$RES/dn.$qi.keys" "$RES/mfx.$qi.keys" | head -n 3 | tr '\n' ' ')
    [[ -z $a && -z $b ]] && continue
    echo "- references disagree on q$((qi + 1)): only Dovecot (first 3): ${a:-none}; only mailfts --exact (first 3): ${b:-none}"
  done
fi
for q in "${!NOTE_Q[@]}"; do NOTES+=("- ${q%,*} q$(( ${q#*,} + 1 )): ${NOTE_Q[$q]}"); done
for q in "${!ERRQ[@]}"; do [[ ${ERRQ[$q]} == n/a ]] || NOTES+=("- ${q%,*} q$(( ${q#*,} + 1 )): ${ERRQ[$q]}"); done
if (( ${#NOTES[@]} )); then printf '%s\n' "${NOTES[@]}"; FAILED=1; fi
echo "- input Maildir $MAILDIR: $MAILDIR_CHECK"
echo "- machine: $(nproc) CPUs, $CPU_MODEL, $MEM_TOTAL RAM; load average $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end; page cache warm (one untimed warm-up run per query and system)"
echo "- versions: mailfts $MAILFTS_VERSION; Dovecot $DOVECOT_VERSION; dovecot-fts-xapian $FTSX_VERSION (Xapian ${XAPIAN_VERSION:-?}); notmuch $NOTMUCH_VERSION"
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); total script time ${TOTAL} s"
echo "- command: \`$CMDLINE\`"

if (( FAILED )); then
  log "something failed or varied; see the notes"
  exit 3
fi
