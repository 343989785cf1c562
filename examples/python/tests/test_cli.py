"""Assignments equal the clusterer's (build/sheaf cluster) on the same input,
in both modes: the bundled corpus, generated dumps, and the corpora in
../shared when present (a windowed replay of Multi-News among them)."""
import gzip
import json
import os
import subprocess
import tempfile
import unittest

import sheaf

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("SHEAF_BUILD", "build"))
SHARED = os.path.join(ROOT, "..", "shared")
DEMO = os.path.join(ROOT, "examples", "demo", "articles.jsonl")
MULTINEWS = os.path.join(SHARED, "corpora", "multinews", "val.jsonl.gz")
HEADLINES = os.path.join(SHARED, "corpora", "uci-news-headlines", "headlines.jsonl.gz")


def read_jsonl(path, time_field=None):
    opener = gzip.open if path.endswith(".gz") else open
    out = []
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                o = json.loads(line)
                out.append((o["id"], o["text"], o.get(time_field) if time_field else None))
    return out


def cli(path, *options):
    r = subprocess.run([os.path.join(BUILD, "sheaf"), "cluster", "--quiet",
                        "--threads", "1", *options, path],
                       check=True, capture_output=True, text=True)
    return [tuple(line.split("\t")) for line in r.stdout.splitlines()]


class SameAsCli(unittest.TestCase):
    def check(self, path, mode="near", time_field=None, threads=None, **options):
        arts = read_jsonl(path, time_field)
        flags = ["--mode", mode]
        for k, v in options.items():
            flags += ["--" + k, str(v)]
        if time_field:
            flags += ["--time-field", time_field]
        want = cli(path, *flags)
        self.assertEqual(len(want), len(arts))
        idx = sheaf.Index(mode, **options)
        got = [(str(i), a.cluster) for (i, _, _), a in zip(arts, idx.add_many(arts, threads=threads))]
        self.assertEqual(got, want)
        # The clusters are not all singletons: the comparison means something.
        self.assertLess(len(set(c for _, c in want)), len(want))
        # add one by one decides the same.
        one = sheaf.Index(mode, **options)
        self.assertEqual([(str(i), one.add(i, t, time=tm).cluster) for i, t, tm in arts], want)

    def test_demo_corpus(self):
        self.check(DEMO)
        self.check(DEMO, "story")
        self.check(DEMO, threshold=0.3, shingle="word:3", threads=1)

    def test_generated(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "gen.jsonl")
            subprocess.run([os.path.join(BUILD, "sheaf-bench"), "gen", "--articles", "4000",
                            "--length", "1200", "--out", out],
                           check=True, capture_output=True)
            self.check(out)
            self.check(out, hashes=64, seed=7, threshold=0.7)
            self.check(out, "story")

    @unittest.skipUnless(os.path.exists(MULTINEWS), "../shared/corpora/multinews absent")
    def test_multinews(self):
        self.check(MULTINEWS)
        self.check(MULTINEWS, "story")

    @unittest.skipUnless(os.path.exists(HEADLINES), "../shared/corpora/uci-news-headlines absent")
    def test_headlines(self):
        self.check(HEADLINES, shingle="word:2", threshold=0.6)

    @unittest.skipUnless(os.path.exists(MULTINEWS), "../shared/corpora/multinews absent")
    def test_windowed_replay(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "replay.jsonl")
            subprocess.run([os.path.join(BUILD, "sheaf-bench"), "replay", "--months", "2",
                            "--out", out], check=True, capture_output=True)
            self.check(out, time_field="time", window="72h")
            self.check(out, "story", time_field="time", window="72h")


if __name__ == "__main__":
    unittest.main()
