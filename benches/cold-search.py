#!/usr/bin/env python3
"""Whole-process timings of commands, paired: alternating batches, so that a noisy machine (other
VMs, compiles) disturbs every command alike.

Usage: benches/cold-search.py ROUNDS PER_ROUND NAME=COMMAND [NAME=COMMAND ...]

Each round runs every command PER_ROUND times in a row (stdout and stderr discarded) and records the
mean wall time per run; printed per command: the median and the minimum of the round means. The
times include Python's fork/exec (about 0.8 ms for /bin/true on the development machine), the same
for every command: compare ratios and differences, not the absolute figures.

Example (docs/BENCHMARKS.md, issue 13):

    benches/cold-search.py 15 40 \\
        mailfts="target/release/mailfts search --home /tmp/lu20k -- BODY troshchinskiy" \\
        mairix="mairix -f /tmp/mrc20 -r b:troshchinskiy"
"""
import shlex
import statistics
import subprocess
import sys
import time


def main() -> None:
    if len(sys.argv) < 4 or any("=" not in a for a in sys.argv[3:]):
        sys.exit(__doc__)
    rounds, per = int(sys.argv[1]), int(sys.argv[2])
    commands = [a.split("=", 1) for a in sys.argv[3:]]
    means: dict[str, list[float]] = {name: [] for name, _ in commands}
    for _ in range(rounds):
        for name, command in commands:
            argv = shlex.split(command)
            start = time.perf_counter()
            for _ in range(per):
                subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            means[name].append((time.perf_counter() - start) / per * 1000)
    for name, _ in commands:
        m = means[name]
        print(f"{name:24s} median {statistics.median(m):7.3f} ms  min {min(m):7.3f} ms  ({rounds} rounds x {per})")


if __name__ == "__main__":
    main()
