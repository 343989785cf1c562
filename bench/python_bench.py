"""add_many against the command line on one dump (bench/python.sh runs it).

    PYTHONPATH=build/python python3 bench/python_bench.py BUILD DUMP.jsonl [REPEATS]

Prints the best wall time of REPEATS runs, taken in turn, of `sheaf cluster --quiet
--threads 1 -o /dev/null DUMP` (the whole process), of loading the dump
with json (once, not part of the comparison), of Index().add_many on the
loaded articles with threads=1 and with all cores, their ratios to the
command line, and datasketch's MinHashLSH on the same articles when
datasketch is importable.
"""
import json
import os
import subprocess
import sys
import time

import sheaf


def best_of(fs, repeats):
    """The best time of each of fs, run in turn repeats times, so that a
    machine shared with other work slows them alike."""
    times = [[] for _ in fs]
    for _ in range(repeats):
        for f, ts in zip(fs, times):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
    return [min(ts) for ts in times]


def datasketch_line(arts, cli_s):
    try:
        from datasketch import MinHash, MinHashLSH
    except ImportError:
        return ("datasketch: not installed (Debian has no python3-datasketch, and "
                "no other registry is reachable here): skipped")
    t = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    for i, text in arts:
        w = text.lower().split()
        m = MinHash(num_perm=128)
        m.update_batch(" ".join(w[k:k + 5]).encode() for k in range(max(1, len(w) - 4)))
        lsh.query(m)
        lsh.insert(i, m)
    s = time.perf_counter() - t
    return "datasketch MinHashLSH (query + insert, 128 perms): %.2f s, %.1fx the CLI" % (s, s / cli_s)


def main():
    build, dump = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    cmd = [os.path.join(build, "sheaf"), "cluster", "--quiet", "--threads", "1",
           "-o", "/dev/null", dump]
    t = time.perf_counter()
    with open(dump, encoding="utf-8") as f:
        arts = [(o["id"], o["text"]) for o in map(json.loads, f)]
    load_s = time.perf_counter() - t
    mb = os.path.getsize(dump) / 1e6
    print("input: %s, %d articles, %.1f MB" % (os.path.basename(dump), len(arts), mb))
    cli_s, one_s, all_s = best_of([
        lambda: subprocess.run(cmd, check=True),
        lambda: sheaf.Index().add_many(arts, threads=1),
        lambda: sheaf.Index().add_many(arts)], repeats)
    print("sheaf cluster --quiet --threads 1 (whole process): %.3f s" % cli_s)
    print("json.loads of the dump in Python (not compared): %.3f s" % load_s)
    for threads, s in [(1, one_s), (None, all_s)]:
        print("Index().add_many(threads=%s): %.3f s, %.2fx the CLI's time (target <= 1.5x)"
              % (threads or "all cores, %d" % os.cpu_count(), s, s / cli_s))
    print(datasketch_line(arts, cli_s))


if __name__ == "__main__":
    main()
