"""The contract of sheaf.Index: options, adds, lookups, errors, threads."""
import datetime
import os
import subprocess
import sys
import tempfile
import threading
import unittest

import sheaf

WIRE = ("The Ashby River burst its banks early on Tuesday after three days of "
        "steady rain, sending brown water through the lower streets of Marlow "
        "Ferry and forcing about 400 residents to leave their homes. Fire "
        "crews used flat-bottomed boats to reach families on Quay Lane.")
OTHER = ("A bronze astrolabe made in the fifteenth century was taken from the "
         "county museum overnight, police said, after a window at the back of "
         "the building was forced and an alarm failed to sound.")


def words(seed, n=300):
    """A text of n pseudo-random words, the same for the same seed."""
    x = seed * 2654435761 % 2**32 or 1
    out = []
    for _ in range(n):
        x = (x * 1103515245 + 12345) % 2**31
        out.append("w%d" % (x % 5000))
    return " ".join(out)


class Options(unittest.TestCase):
    def test_defaults_are_near(self):
        p = sheaf.Index().params
        self.assertEqual(p["mode"], "near")
        self.assertEqual(p["threshold"], "0.5")
        self.assertEqual(p["shingle"], "word:5")
        self.assertEqual(p["hashes"], "128")

    def test_options_by_their_cli_names(self):
        idx = sheaf.Index("near", threshold=0.6, shingle="char:4", hashes=64,
                          seed="0x10", window="3d")
        p = idx.params
        self.assertEqual((p["threshold"], p["shingle"], p["hashes"], p["seed"]),
                         ("0.6", "char:4", "64", "16"))
        self.assertEqual(p["window"], sheaf.Index(window=3 * 86400).params["window"])
        self.assertEqual(sheaf.Index(window=datetime.timedelta(hours=72)).params["window"],
                         p["window"])
        story = sheaf.Index(mode="story", contrast=0.12)
        self.assertEqual((story.mode, story.params["threshold"],
                          story.params["contrast"]), ("story", "0.1", "0.12"))

    def test_bad_values_name_the_option_and_range(self):
        for kw, words_ in [({"threshold": 1.5}, ["threshold", "(0, 1]"]),
                           ({"hashes": 0}, ["hashes", "1..1024"]),
                           ({"shingle": "word:99"}, ["shingle", "1..32"]),
                           ({"window": "soon"}, ["window"]),
                           ({"mode": "fuzzy"}, ["mode", "near or story"])]:
            with self.assertRaises(ValueError) as cm:
                sheaf.Index(**kw)
            for w in words_:
                self.assertIn(w, str(cm.exception), kw)
        with self.assertRaises(ValueError) as cm:
            sheaf.Index(bands=100, rows=100)
        self.assertIn("bands", str(cm.exception))

    def test_unknown_option_and_wrong_type(self):
        with self.assertRaises(TypeError) as cm:
            sheaf.Index(treshold=0.5)
        self.assertIn("treshold", str(cm.exception))
        self.assertIn("threshold", str(cm.exception))  # the list of options
        with self.assertRaises(TypeError):
            sheaf.Index(threshold=[0.5])
        with self.assertRaises(TypeError):
            sheaf.Index(hashes=True)

    def test_parameter_table(self):
        names = [p["name"] for p in sheaf.parameters()]
        for n in ["mode", "threshold", "shingle", "hashes", "seed", "window"]:
            self.assertIn(n, names)
        self.assertEqual(set(names), set(sheaf.Index().params))


class Articles(unittest.TestCase):
    def test_add_assigns_at_once(self):
        idx = sheaf.Index()
        a = idx.add("n1", WIRE)
        self.assertEqual((a.cluster, a.match, a.similarity, a.size),
                         ("n1", None, 0.0, 1))
        b = idx.add("n2", WIRE.replace("Tuesday", "Wednesday") + " More soon.")
        self.assertEqual((b.cluster, b.match, b.size), ("n1", "n1", 2))
        self.assertGreater(b.similarity, 0.5)
        c = idx.add("o1", OTHER)
        self.assertEqual(c.cluster, "o1")
        self.assertEqual(len(idx), 3)
        self.assertEqual(idx.clusters(), [("n1", 2), ("o1", 1)])
        self.assertEqual(idx.members("n1"), ["n1", "n2"])
        self.assertEqual(idx.cluster_of("n2"), "n1")
        self.assertIn("n2", idx)
        self.assertNotIn("zz", idx)

    def test_query_adds_nothing(self):
        idx = sheaf.Index()
        idx.add("n1", WIRE)
        idx.add("o1", OTHER)
        m = idx.query(WIRE)
        self.assertEqual([(x.id, x.cluster) for x in m], [("n1", "n1")])
        self.assertEqual(m[0].similarity, 1.0)
        self.assertEqual(idx.query(words(7)), [])
        self.assertEqual(len(idx), 2)

    def test_remove_keeps_the_name(self):
        idx = sheaf.Index()
        idx.add("n1", WIRE)
        idx.add("n2", WIRE + " Updated.")
        idx.remove("n1")
        self.assertEqual(idx.cluster_of("n2"), "n1")
        self.assertEqual(idx.add("n3", WIRE).cluster, "n1")
        with self.assertRaises(sheaf.NotFoundError) as cm:
            idx.remove("n1")
        self.assertEqual(cm.exception.code, sheaf.ENOTFOUND)
        self.assertIn("n1", str(cm.exception))
        with self.assertRaises(KeyError):
            idx.cluster_of("n1")
        with self.assertRaises(KeyError):
            idx.members("nothing")

    def test_bytes_are_utf8_and_ids_may_be_ints(self):
        a, b = sheaf.Index(), sheaf.Index()
        text = WIRE + " Café, naïve, 東京."
        a.add("x", text)
        b.add("x", text.encode("utf-8"))
        q = text + " More to follow."
        self.assertEqual(a.query(q)[0].similarity, b.query(q.encode())[0].similarity)
        self.assertLess(a.query(q)[0].similarity, 1.0)
        self.assertEqual(a.add(4471, OTHER).cluster, "4471")
        self.assertEqual(a.cluster_of(4471), "4471")

    def test_every_kind_of_str_is_its_utf8(self):
        # CPython keeps a str in 1, 2 or 4 bytes a character; each is
        # signed as its UTF-8, on every thread count.
        for extra in ["caf\u00e9 na\u00efve", "\u6771\u4eac \u0416", "\U0001F600 \u00e9",
                      "lone \ud800 surrogate"]:
            text = WIRE + " " + " ".join("%s%d" % (extra, i) for i in range(30))
            b = text.encode("utf-8", "surrogatepass")
            idx = sheaf.Index()
            idx.add("s", text)
            self.assertEqual(idx.query(b)[0].similarity, 1.0, extra)
            # The control: its UTF-8 read as Latin-1 and encoded again.
            mojibake = b.decode("latin-1").encode("utf-8")
            self.assertLess(max([m.similarity for m in idx.query(mojibake)] + [0]), 0.9, extra)
            strs = [("x%d" % i, text + (" %d" % (i // 7)) * (i % 3 == 0)) for i in range(40)]
            raw = [(i, t.encode("utf-8", "surrogatepass")) for i, t in strs]
            want = [a.cluster for a in sheaf.Index().add_many(raw, threads=1)]
            self.assertLess(len(set(want)), len(want))
            self.assertEqual([a.cluster for a in sheaf.Index().add_many(strs, threads=3)], want)
            one = sheaf.Index()
            self.assertEqual([one.add(i, t).cluster for i, t in strs], want)
            story = sheaf.Index("story")
            self.assertEqual(story.add("s", text).cluster, "s")

    def test_type_and_value_errors(self):
        idx = sheaf.Index()
        for text in [None, 12, ["a"], bytearray(b"a")]:
            with self.assertRaises(TypeError):
                idx.add("t", text)
        with self.assertRaises(TypeError):
            idx.add(1.5, WIRE)
        with self.assertRaises(ValueError):
            idx.add("", WIRE)
        with self.assertRaises(ValueError):
            idx.add("a\0b", WIRE)
        with self.assertRaises(TypeError):
            idx.add("t", WIRE, time=[1])
        with self.assertRaises(ValueError):
            idx.add("t", WIRE, time="yesterday")
        self.assertEqual(len(idx), 0)  # nothing bad got in

    def test_duplicate_id_is_a_library_error(self):
        idx = sheaf.Index()
        idx.add("d", WIRE)
        with self.assertRaises(sheaf.Error) as cm:
            idx.add("d", OTHER)
        self.assertEqual(cm.exception.code, sheaf.EEXIST)
        self.assertIn("d", str(cm.exception))
        self.assertNotIsInstance(cm.exception, KeyError)
        self.assertEqual(len(idx), 1)

    def test_times_in_every_form_agree(self):
        t = 1479659460  # 2016-11-20T16:31:00Z
        forms = [t, t + 0.5, "2016-11-20T16:31:00Z", "2016-11-20T19:31:00+03:00",
                 datetime.datetime(2016, 11, 20, 16, 31),
                 datetime.datetime(2016, 11, 20, 16, 31, tzinfo=datetime.timezone.utc)]
        for f in forms:
            idx = sheaf.Index(window="1h")
            idx.add("a", WIRE, time=f)
            # Within the hour it joins; an hour past the last copy it does not.
            self.assertEqual(idx.add("b", WIRE, time=t + 3000).cluster, "a", f)
            self.assertEqual(idx.add("c", WIRE, time=t + 6000).cluster, "a", f)
            self.assertEqual(idx.add("d", WIRE, time=t + 9601).cluster, "d", f)

    def test_window_expires_as_it_goes(self):
        idx = sheaf.Index(window=3600)
        for i in range(20):
            idx.add("a%d" % i, words(i), time=i * 3600)
        # Two windows behind the newest, on a grid of quarter windows.
        self.assertLessEqual(len(idx), 4)
        self.assertGreaterEqual(len(idx), 2)
        n = len(idx)
        self.assertEqual(idx.expire(10**9), n)
        self.assertEqual(len(idx), 0)

    def test_expire_by_hand(self):
        idx = sheaf.Index()
        idx.add("old", WIRE, time=100)
        idx.add("new", OTHER, time=200)
        idx.add("none", words(1))
        self.assertEqual(idx.expire(150), 1)
        self.assertEqual(sorted(c.name for c in idx.clusters()), ["new", "none"])


class AddMany(unittest.TestCase):
    def corpus(self, n=3000):
        base = [words(i) for i in range(n // 3)]
        out = []
        for i in range(n):
            t = base[i % len(base)]
            if i >= len(base):  # a copy with an edit
                t = "Breaking: " + t[: len(t) - 7 * (i % 5)]
            out.append(("a%d" % i, t))
        return out

    def test_equals_add_one_by_one_whatever_the_threads(self):
        arts = self.corpus()
        one = sheaf.Index()
        want = [one.add(i, t) for i, t in arts]
        self.assertGreater(sum(a.match is not None for a in want), 1000)
        for threads in [1, 2, 5, None]:
            idx = sheaf.Index()
            self.assertEqual(idx.add_many(arts, threads=threads), want, threads)
        gen = sheaf.Index()
        self.assertEqual(gen.add_many(iter(arts)), want)  # no length
        story = [sheaf.Index("story").add(i, t) for i, t in arts[:1]]
        self.assertEqual(sheaf.Index("story").add_many(arts[:1]), story)

    def test_dicts_and_triples(self):
        idx = sheaf.Index(window="1h")
        got = idx.add_many([{"id": "a", "text": WIRE, "time": 0},
                            ("b", WIRE, 1800),
                            {"id": "c", "text": WIRE, "time": "1970-01-01T05:00:00Z",
                             "title": "Floods"}])
        self.assertEqual([a.cluster for a in got], ["a", "a", "c"])

    def test_a_bad_item_raises_after_the_good_ones(self):
        for bad in [("x",), ("x", 5), {"text": "no id"}, 7, ("", "empty id")]:
            idx = sheaf.Index()
            arts = self.corpus(3000)[:2500] + [bad] + [("z", WIRE)]
            with self.assertRaises((TypeError, ValueError)) as cm:
                idx.add_many(arts)
            self.assertIn("item 2500", str(cm.exception), bad)
            self.assertEqual(len(idx), 2500, bad)
            self.assertNotIn("z", idx)

    def test_a_library_error_stops_at_the_article(self):
        idx = sheaf.Index()
        idx.add("a5", WIRE)
        with self.assertRaises(sheaf.Error) as cm:
            idx.add_many(self.corpus(30))
        self.assertEqual(cm.exception.code, sheaf.EEXIST)
        self.assertEqual(len(idx), 6)  # a0..a4 and the first a5

    def test_threads_argument(self):
        idx = sheaf.Index()
        for bad in [0, -1, 257]:
            with self.assertRaises(ValueError):
                idx.add_many([], threads=bad)
        with self.assertRaises(TypeError):
            idx.add_many([], threads="2")
        self.assertEqual(idx.add_many([]), [])

    def test_the_gil_is_released(self):
        # With a huge switch interval a thread runs only when another
        # releases the GIL itself: the counter moves during add_many, and
        # not during a call that holds the GIL (the control).
        arts = self.corpus(6000)
        counter = [0]
        stop = threading.Event()

        def spin():
            while not stop.is_set():
                counter[0] += 1
                os.sched_yield()  # releases the GIL

        old = sys.getswitchinterval()
        sys.setswitchinterval(1000)
        t = threading.Thread(target=spin)
        try:
            t.start()
            while counter[0] == 0:
                os.sched_yield()
            c0 = counter[0]
            sorted(range(200000), key=lambda x: -x)
            c1 = counter[0]
            sheaf.Index().add_many(arts, threads=2)
            c2 = counter[0]
        finally:
            stop.set()
            sys.setswitchinterval(old)
            t.join()
        self.assertEqual(c1, c0)
        self.assertGreater(c2, c1)

    def test_other_threads_meanwhile(self):
        # Queries, lookups and removals from other threads while add_many
        # runs with the GIL released: all serialised, none lost.
        arts = self.corpus(6000)
        idx = sheaf.Index()
        idx.add("x0", WIRE)
        idx.add("x1", OTHER)
        errors = []
        done = threading.Event()

        def reader():
            try:
                while not done.is_set():
                    assert idx.cluster_of("x1") == "x1"
                    assert idx.query(WIRE)[0].id == "x0"
                    idx.clusters()
            except Exception as e:  # reported below
                errors.append(e)

        def writer():
            try:
                for i in range(200):
                    idx.add("w%d" % i, words(10**6 + i))
                    idx.remove("w%d" % i)
            except Exception as e:
                errors.append(e)

        threads = [threading.Thread(target=reader), threading.Thread(target=writer)]
        for t in threads:
            t.start()
        got = idx.add_many(arts, threads=2)
        threads[1].join()
        done.set()
        threads[0].join()
        self.assertEqual(errors, [])
        self.assertEqual(len(got), 6000)
        self.assertEqual(len(idx), 6002)
        want = sheaf.Index()
        want.add("x0", WIRE)
        want.add("x1", OTHER)
        self.assertEqual([a.cluster for a in got], [a.cluster for a in want.add_many(arts)])

    def test_iterator_may_call_the_index(self):
        idx = sheaf.Index()
        seen = []

        def gen():
            for i in range(5000):
                if i == 3000:
                    seen.append(len(idx))
                yield ("g%d" % i, words(i))

        self.assertEqual(len(idx.add_many(gen())), 5000)
        self.assertEqual(seen, [2048])  # two batches of 1024 in


class Stored(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "news.idx")

    def tearDown(self):
        self.dir.cleanup()

    def test_open_add_reopen(self):
        with sheaf.Index.open(self.path) as idx:
            idx.add("n1", WIRE)
            idx.add_many([("n2", WIRE + " Updated."), ("o1", OTHER)])
        self.assertTrue(idx.closed)
        with self.assertRaises(ValueError):
            len(idx)
        with sheaf.Index.open(self.path) as idx:
            self.assertEqual(len(idx), 3)
            self.assertEqual(idx.cluster_of("n2"), "n1")
            self.assertEqual(idx.add("n3", WIRE).cluster, "n1")

    def test_last_reference_closes(self):
        idx = sheaf.Index.open(self.path, mode="story", window="72h")
        idx.add("s1", WIRE)
        del idx  # commits and closes: the path opens again at once
        again = sheaf.Index.open(self.path)
        self.assertEqual((again.mode, len(again), again.params["window"]),
                         ("story", 1, sheaf.Index(window="72h").params["window"]))

    def test_other_parameters_are_refused(self):
        sheaf.Index.open(self.path, threshold=0.6).close()
        with self.assertRaises(sheaf.Error) as cm:
            sheaf.Index.open(self.path, threshold=0.7)
        self.assertEqual(cm.exception.code, sheaf.EMISMATCH)
        with self.assertRaises(sheaf.Error):
            sheaf.Index.open(self.path, "story")
        with sheaf.Index.open(self.path, threshold=0.6) as idx:
            self.assertEqual(idx.params["threshold"], "0.6")
        with self.assertRaises(ValueError):
            sheaf.Index.open(self.path, threshold=7)

    def test_one_writer_at_a_time(self):
        with sheaf.Index.open(self.path) as idx:
            idx.add("n1", WIRE)
            r = subprocess.run([sys.executable, "-c", (
                "import sys, sheaf\n"
                "try:\n    sheaf.Index.open(sys.argv[1])\n"
                "except sheaf.Error as e:\n    print(e.code, e)\n"), self.path],
                capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
            self.assertTrue(r.stdout.startswith(str(sheaf.EBUSY)), r.stdout + r.stderr)
            with sheaf.Index.open(self.path, readonly=True) as reader:  # readers may
                self.assertEqual(reader.cluster_of("n1"), "n1")

    def test_readonly_and_absent(self):
        with self.assertRaises(sheaf.NotFoundError):
            sheaf.Index.open(self.path, readonly=True)
        sheaf.Index.open(self.path).close()
        with sheaf.Index.open(self.path, readonly=True) as idx:
            with self.assertRaises(sheaf.Error) as cm:
                idx.add("x", WIRE)
            self.assertEqual(cm.exception.code, sheaf.EREADONLY)
        with self.assertRaises(TypeError):
            sheaf.Index.open(12.5)

    def test_add_many_stored_equals_memory(self):
        arts = AddMany.corpus(None, 3000)
        want = sheaf.Index().add_many(arts)
        with sheaf.Index.open(self.path) as idx:
            self.assertEqual(idx.add_many(arts[:1500]), want[:1500])
        with sheaf.Index.open(self.path) as idx:
            self.assertEqual(idx.add_many(arts[1500:]), want[1500:])


if __name__ == "__main__":
    unittest.main()
