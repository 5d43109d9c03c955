#!/usr/bin/env bash
# mbsync-pull.sh — time a full mbsync (isync) pull from `mailfts imap` and from Dovecot 2.3
# serving the same messages, in one run (issue 14: "within 1.5× of Dovecot's time").
#
# Usage: benches/mbsync-pull.sh MAILDIR [COUNT] [RUNS]
#
#   MAILDIR  a Maildir (cur/ new/ tmp/); its first COUNT messages (by file name, cur/ then new/)
#            are copied into two private homes, one served by each server. MAILDIR is only read.
#   COUNT    messages to serve (default 2000)
#   RUNS     timed pulls per server (default 3), alternating mailfts and Dovecot; the median
#            wall time of each is reported, with the ratio mailfts / Dovecot.
#
# Every pull starts from an empty local Maildir and a fresh mbsync state (`mbsync -a`, one
# channel: Far = the server's INBOX, Near = a local Maildir, `Sync Pull New`, `Create Near`).
# Both servers run on loopback without TLS with the same plain-text password; Dovecot has no
# FTS plugin and its own indexes are built by an untimed first pull; mailfts's index is built by
# `mailfts rescan` before the runs, so both answer from warm caches.
#
# Needs: root (Dovecot drops to an unprivileged mail user, default "nobody", override with
# MBSYNC_BENCH_USER), mbsync (apt-get install isync), dovecot-imapd, and MAILFTS (default
# target/release/mailfts). Prints a Markdown table on stdout; progress goes to stderr.

set -Eeuo pipefail

PROG=${0##*/}
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }

[[ $# -ge 1 && $# -le 3 ]] || { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0" >&2; exit 1; }
SRC=$1
COUNT=${2:-2000}
RUNS=${3:-3}
MAILFTS=${MAILFTS:-target/release/mailfts}
MAIL_USER=${MBSYNC_BENCH_USER:-nobody}

[[ -d $SRC/cur ]] || die "'$SRC' is not a Maildir (no cur/)"
[[ $COUNT =~ ^[1-9][0-9]*$ && $RUNS =~ ^[1-9][0-9]*$ ]] || die "COUNT and RUNS must be positive integers"
[[ -x $MAILFTS ]] || die "no mailfts binary at '$MAILFTS' (cargo build --release, or set MAILFTS)"
[[ $(id -u) -eq 0 ]] || die "must run as root (Dovecot drops privileges to '$MAIL_USER')"
for tool in mbsync dovecot doveadm python3; do
  command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install isync dovecot-imapd python3)"
done
MAIL_UID=$(id -u "$MAIL_USER") || die "no user '$MAIL_USER' (set MBSYNC_BENCH_USER)"
MAIL_GID=$(id -g "$MAIL_USER")

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/mbsync-pull.XXXXXX")
DOVECOT_CONF=$TMPD/dovecot/dovecot.conf
MAILFTS_PID=""
cleanup() {
  [[ -n $MAILFTS_PID ]] && kill "$MAILFTS_PID" 2>/dev/null || true
  [[ -f $DOVECOT_CONF ]] && doveadm -c "$DOVECOT_CONF" stop 2>/dev/null || true
  rm -rf -- "$TMPD"
}
trap cleanup EXIT
chmod 711 "$TMPD"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  local i
  for i in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  die "nothing listens on port $1"
}

# ---------------------------------------------------------------- the two homes
log "copying the first $COUNT messages of $SRC"
for home in mailfts dovecot; do
  mkdir -p "$TMPD/$home/home/Maildir/"{cur,new,tmp}
done
n=0
while IFS= read -r f; do
  cp -p -- "$f" "$TMPD/mailfts/home/Maildir/cur/"
  cp -p -- "$f" "$TMPD/dovecot/home/Maildir/cur/"
  n=$((n + 1))
done < <( { find "$SRC/cur" -maxdepth 1 -type f; find "$SRC/new" -maxdepth 1 -type f; } | LC_ALL=C sort | head -n "$COUNT")
(( n > 0 )) || die "no messages in '$SRC'"
BYTES=$(du -sb "$TMPD/mailfts/home/Maildir" | cut -f1)
chown -R "$MAIL_UID:$MAIL_GID" "$TMPD/mailfts/home" "$TMPD/dovecot/home"

# ---------------------------------------------------------------- mailfts
"$MAILFTS" rescan --home "$TMPD/mailfts/home" >&2
chown -R "$MAIL_UID:$MAIL_GID" "$TMPD/mailfts/home"
printf 'bench:{PLAIN}secret:%s:%s::%s::\n' "$MAIL_UID" "$MAIL_GID" "$TMPD/mailfts/home" > "$TMPD/mailfts/passwd"
MAILFTS_PORT=$(free_port)
# stock settings: plain LOGIN is allowed because the client is on loopback
"$MAILFTS" imap --listen "127.0.0.1:$MAILFTS_PORT" --passwd "$TMPD/mailfts/passwd" 2>"$TMPD/mailfts/imap.log" &
MAILFTS_PID=$!
wait_port "$MAILFTS_PORT"

# ---------------------------------------------------------------- Dovecot
DOVECOT_PORT=$(free_port)
D=$TMPD/dovecot
printf 'bench:{PLAIN}secret:%s:%s::%s::\n' "$MAIL_UID" "$MAIL_GID" "$D/home" > "$D/passwd"
. "$(dirname "$0")/dovecot-conf.sh"
dovecot_imap_conf "$D" "$DOVECOT_PORT" "$D/passwd" > "$DOVECOT_CONF"
dovecot -c "$DOVECOT_CONF" </dev/null >/dev/null 2>"$D/dovecot.stderr" || die "dovecot: $(cat "$D/dovecot.stderr" "$D/dovecot.log" 2>/dev/null)"
wait_port "$DOVECOT_PORT"
DOVECOT_VERSION=$(dovecot --version)

# ---------------------------------------------------------------- pulls
# one full pull from PORT into a fresh local Maildir; prints the wall seconds
pull() {
  local port=$1 dir=$TMPD/pull
  rm -rf -- "$dir"
  mkdir -p "$dir/mail"
  cat > "$dir/mbsyncrc" <<EOF
IMAPAccount bench
Host 127.0.0.1
Port $port
User bench
Pass secret
SSLType None
AuthMechs LOGIN

IMAPStore far
Account bench

MaildirStore near
Path $dir/mail/
Inbox $dir/mail/INBOX

Channel pull
Far :far:
Near :near:
Patterns INBOX
Sync Pull New
Create Near
SyncState *
EOF
  local t0 t1
  t0=$(date +%s.%N)
  mbsync -q -c "$dir/mbsyncrc" -a >&2 || die "mbsync against port $port failed"
  t1=$(date +%s.%N)
  local got
  got=$(find "$dir/mail/INBOX" -type f -path '*/cur/*' -o -type f -path '*/new/*' | wc -l)
  [[ $got -eq $n ]] || die "mbsync pulled $got of $n messages from port $port"
  printf '%.2f\n' "$(echo "$t1 - $t0" | bc -l)"
}

log "untimed first pull from each (Dovecot builds its indexes, caches warm)"
pull "$MAILFTS_PORT" >/dev/null
pull "$DOVECOT_PORT" >/dev/null
declare -a TM TD
for r in $(seq "$RUNS"); do
  TM+=("$(pull "$MAILFTS_PORT")")
  TD+=("$(pull "$DOVECOT_PORT")")
  log "run $r: mailfts ${TM[-1]} s, Dovecot ${TD[-1]} s"
done
median() { printf '%s\n' "$@" | LC_ALL=C sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
MM=$(median "${TM[@]}")
MD=$(median "${TD[@]}")
echo "mbsync full pull of $n messages ($((BYTES / 1024 / 1024)) MB), median of $RUNS, loopback, no TLS"
echo
echo "| server | runs s | median s | msg/s |"
echo "|---|---|---:|---:|"
printf '| mailfts imap | %s | %.2f | %.0f |\n' "${TM[*]}" "$MM" "$(echo "$n / $MM" | bc -l)"
printf '| Dovecot %s | %s | %.2f | %.0f |\n' "$DOVECOT_VERSION" "${TD[*]}" "$MD" "$(echo "$n / $MD" | bc -l)"
echo
printf 'mailfts / Dovecot: %.2f\n' "$(echo "$MM / $MD" | bc -l)"
