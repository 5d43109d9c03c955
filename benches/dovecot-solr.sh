#!/usr/bin/env bash
# dovecot-solr.sh — Dovecot 2.3 with fts_solr pointed at `mailfts serve --solr-listen`, against
# Dovecot without FTS, on the same Maildir (issue 15).
#
# Usage: benches/dovecot-solr.sh MAILDIR QUERYFILE [RUNS]
#
# Copies MAILDIR into a scratch home, starts a release mailfts (Solr endpoint only) and a private
# Dovecot on loopback with two users on that home: `bob` (fts fts_solr, fts_enforced) and `ref`
# (no FTS). Prints the time of `doveadm index -u bob '*'`, the size of bob's mailfts index, then
# benches/imap-search.py tables (INBOX, RUNS timed round trips per query, default 20) for both.
# Needs root (Dovecot switches to the mail user, uid 65534), dovecot-imapd and dovecot-solr, and
# `cargo build --release`. MAILFTS=path overrides the binary.
set -euo pipefail
src=$1 queries=$2 runs=${3:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${MAILFTS:-${CARGO_TARGET_DIR:-$here/target}/release/mailfts}
w=$(mktemp -d /tmp/dovecot-solr.XXXXXX)
chmod 755 "$w"
mkdir -p "$w/home"
cp -a "$src" "$w/home/Maildir"
chown -R 65534:65534 "$w/home"
"$bin" serve --solr-listen 127.0.0.1:0 --solr-index-root "$w/solr" --no-watch --no-startup-check \
    >"$w/mailfts.out" 2>"$w/mailfts.log" &
mpid=$!
# KEEP=1 keeps the scratch directory (logs, indexes) after the run
trap 'doveadm -c "$w/dovecot.conf" stop 2>/dev/null || true; kill $mpid 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$w"' EXIT
until grep -q "solr listening on" "$w/mailfts.out" 2>/dev/null; do sleep 0.1; done
solr=$(sed -n 's/^mailfts: solr listening on \([^ ]*\).*/\1/p' "$w/mailfts.out")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$w/passwd" <<P
bob:{PLAIN}secret:65534:65534::$w/home::
ref:{PLAIN}secret:65534:65534::$w/home::userdb_mail_plugins=notify
P
. "$here/benches/dovecot-conf.sh"
dovecot_imap_conf "$w" "$port" "$w/passwd" "mail_plugins = \$mail_plugins fts fts_solr
plugin {
  fts = solr
  fts_solr = url=http://$solr/solr/dovecot/
  fts_autoindex = yes
  fts_enforced = yes
}" >"$w/dovecot.conf"
dovecot -c "$w/dovecot.conf" </dev/null >/dev/null 2>"$w/dovecot.stderr"
until python3 -c "import socket; socket.create_connection(('127.0.0.1',$port)).close()" 2>/dev/null; do sleep 0.1; done
msgs=$(find "$w/home/Maildir" -path '*/cur/*' -type f | wc -l)
echo "messages: $msgs ($(du -sh "$src" | cut -f1) Maildir)"
# Dovecot's own index of the mailboxes first, so the timing below is the FTS indexing
doveadm -c "$w/dovecot.conf" mailbox status -u ref messages '*' >/dev/null
start=$(date +%s.%N)
doveadm -c "$w/dovecot.conf" index -u bob '*'
end=$(date +%s.%N)
python3 -c "t=$end-$start; print(f'doveadm index -u bob \"*\": {t:.2f} s, {$msgs/t:.0f} msg/s')"
echo "mailfts index: $(du -sh "$w/solr" | cut -f1)"
echo "== Dovecot + mailfts (bob)"
python3 "$here/benches/imap-search.py" "127.0.0.1:$port" bob secret "$queries" "$runs"
echo "== Dovecot without FTS (ref)"
python3 "$here/benches/imap-search.py" "127.0.0.1:$port" ref secret "$queries" "$runs"
