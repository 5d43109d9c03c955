#!/usr/bin/env bash
# rss-peaks.sh — peak resident memory of a command, split into anonymous memory and mapped files.
#
# Usage: benches/rss-peaks.sh OUT COMMAND [ARGS...]
#
# Runs COMMAND (its stdout and stderr go to OUT.stdout), samples /proc/PID/status every 20 ms and
# writes to OUT one line: the exit code and the peaks of VmRSS, RssAnon and RssFile in MB (each its
# own peak). /usr/bin/time's "maximum resident" is VmRSS alone: it counts the segment files tantivy
# maps while merging (page cache the kernel can reclaim) like the heap.
out=$1; shift
"$@" > $out.stdout 2>&1 &
pid=$!
peak=0; anon=0; file=0
while kill -0 $pid 2>/dev/null; do
  if read -r r a f < <(awk '/^VmRSS/{r=$2} /^RssAnon/{a=$2} /^RssFile/{f=$2} END{print r, a, f}' /proc/$pid/status 2>/dev/null); then
    [ -n "$r" ] && [ "$r" -gt "$peak" ] && peak=$r
    [ -n "$a" ] && [ "$a" -gt "$anon" ] && anon=$a
    [ -n "$f" ] && [ "$f" -gt "$file" ] && file=$f
  fi
  sleep 0.02
done
wait $pid; rc=$?
echo "rc=$rc VmRSS_peak_MB=$((peak/1024)) RssAnon_peak_MB=$((anon/1024)) RssFile_peak_MB=$((file/1024))" > $out
