/*
 * Story mode (lib/story.h, lib/terms.h): the terms, invented events that
 * share their names, rewrites of one event, a cold start of a handful of
 * articles, publication times, removal, queries, determinism, bad
 * parameters, allocation failures, and the five seed articles of
 * ../shared/seeds when they are there.
 *
 * Allocation failures are injected by wrapping malloc, calloc and realloc
 * at link time (TEST_LDFLAGS_test_story in the Makefile), which sends every
 * allocation of the statically linked library through the __wrap_*
 * functions below; built without those flags the test skips itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sheaf.h"
#include "story/story.h"
#include "story/terms.h"

/* ------------------------------------------------- allocation failures */

extern void *__real_malloc(size_t n) __attribute__((weak));
extern void *__real_calloc(size_t n, size_t size) __attribute__((weak));
extern void *__real_realloc(void *p, size_t n) __attribute__((weak));

/* Volatile: the compiler may assume allocators leave our statics alone. */
static volatile long allocations; /* seen since arm() */
static volatile long fail_at = -1; /* the one to fail; -1: none */

static int failing(void) { return allocations++ == fail_at; }

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n) { return failing() ? NULL : __real_malloc(n); }

void *__wrap_calloc(size_t n, size_t size)
{
    return failing() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return failing() ? NULL : __real_realloc(p, n);
}

static void arm(long at)
{
    allocations = 0;
    fail_at = at;
}

/* ------------------------------------------------------------ articles */

/* Two invented events with the same people and places: the opening of a
 * bridge, and the mayor's resignation over its contracts months later,
 * each written up by three outlets in their own words. */
static const char *const bridge[] = {
    "Mayor Ellen Varga cut the ribbon on the new Brightwater bridge on "
    "Saturday, opening the 1.2-kilometre crossing over the Tamsin river to "
    "traffic after four years of construction. Thousands of residents "
    "walked across the span before the first cars were allowed on it. "
    "Varga said the bridge would cut commuting times between the northern "
    "suburbs and the harbour district by twenty minutes.",

    "Thousands of people crowded onto the Brightwater bridge as it opened "
    "on Saturday. The crossing, which spans the Tamsin river, took four "
    "years to build. Mayor Ellen Varga, who cut the ribbon, told the crowd "
    "that commuters from the northern suburbs would reach the harbour "
    "district twenty minutes faster. Cars began crossing in the afternoon.",

    "After four years of construction the Brightwater bridge over the "
    "Tamsin river is open. Mayor Varga cut a ribbon at a ceremony on "
    "Saturday morning and residents streamed across on foot before the "
    "crossing opened to cars. The 1.2 km bridge links the northern suburbs "
    "with the harbour district, saving commuters about twenty minutes.",
};

static const char *const resignation[] = {
    "Mayor Ellen Varga resigned on Tuesday after an audit found that "
    "contracts for the Brightwater bridge had been awarded without "
    "tender to a firm owned by her brother-in-law. The city council "
    "accepted the resignation at an emergency session. The auditor "
    "general said overpayments reached 14 million.",

    "Ellen Varga has stepped down as mayor. The auditor general's report, "
    "published on Monday, showed that a company run by Varga's "
    "brother-in-law received bridge contracts without any tender and was "
    "overpaid by 14 million. Councillors met in an emergency session on "
    "Tuesday and accepted her resignation.",

    "An audit of the Brightwater bridge contracts has cost Ellen Varga her "
    "job. The mayor resigned on Tuesday, a day after the auditor general "
    "reported that her brother-in-law's firm won the work without a "
    "tender and was overpaid 14 million. An emergency session of the "
    "council accepted the resignation.",
};

/* Unrelated news, so that the stories have a background. */
static const char *const other[] = {
    "The national weather service warned of heavy snow across the "
    "mountain passes this weekend and advised drivers to carry chains. "
    "Avalanche risk was rated high above 2,000 metres.",
    "Shares in Corvane Foods fell sharply after the grocer cut its profit "
    "forecast, blaming higher energy prices and weaker demand for frozen "
    "meals in its largest markets.",
    "The women's national football team qualified for the final "
    "tournament with a 3-1 win over Estavia, with two late goals from "
    "striker Nadia Orloff sealing the result.",
    "Researchers at the marine institute tagged forty basking sharks off "
    "the western coast to follow their migration routes through the "
    "winter months.",
};

static sheaf__story *new_story(void)
{
    sheaf__story_params p;
    sheaf__story_params_init(&p);
    sheaf__story *s = NULL;
    assert_int_equal(sheaf__story_new(&p, &s), SHEAF_OK);
    return s;
}

static sheaf__story_result add(sheaf__story *s, uint32_t doc, const char *text,
                               int64_t time)
{
    sheaf__story_result r;
    assert_int_equal(sheaf__story_add(s, doc, text, strlen(text), time, &r),
                     SHEAF_OK);
    return r;
}

/* ---------------------------------------------------------------- terms */

/* The terms of a text, at most cap, into out; their count. */
static size_t terms_of(const char *text, uint64_t *out, int *list, size_t cap)
{
    static sheaf__stopwords stop;
    sheaf__stopwords_init(&stop, 0);
    sheaf__term_scan ts;
    sheaf__terms_init(&ts, &stop, text, strlen(text));
    sheaf__term t[3]; /* a small chunk, to cross chunk boundaries */
    size_t n = 0, got;
    while ((got = sheaf__terms_next(&ts, t, 3)) != 0)
        for (size_t i = 0; i < got && n < cap; i++, n++) {
            out[n] = t[i].hash;
            if (list)
                list[n] = t[i].list;
        }
    return n;
}

static void same_terms(const char *a, const char *b)
{
    uint64_t x[64], y[64];
    size_t n = terms_of(a, x, NULL, 64), m = terms_of(b, y, NULL, 64);
    assert_int_equal(n, m);
    assert_memory_equal(x, y, n * sizeof x[0]);
}

static void test_terms(void **state)
{
    (void)state;
    /* Function words go, possessives and plurals fold, case folds. */
    same_terms("The talks of Obama's envoys", "talk OBAMA envoy");
    same_terms("Obama\xe2\x80\x99s policies", "obama policy");
    same_terms("The \xe2\x80\x9c" "bridges\xe2\x80\x9d \xe2\x80\x94 opened",
               "bridge opened");
    /* Short words, and -us, -ss, keep their s. */
    same_terms("gas bus virus class", "gas bus virus class");
    uint64_t x[8], y[8];
    assert_int_equal(terms_of("gas", x, NULL, 8), 1);
    assert_int_equal(terms_of("ga", y, NULL, 8), 1);
    assert_true(x[0] != y[0]);
    /* Plain words hash as the library's scanner hashes them (which hashes
     * the function words). */
    sheaf__scan sc;
    sheaf__scan_init(&sc, "Putin LIMA 2016", 15);
    assert_int_equal(sheaf__scan_words(&sc, 0, y, 8), 3);
    assert_int_equal(terms_of("Putin LIMA 2016", x, NULL, 8), 3);
    assert_memory_equal(x, y, 3 * sizeof x[0]);
    /* Words beyond ASCII are the library scanner's words. */
    assert_int_equal(terms_of("Zürich café", x, NULL, 8), 2);
    assert_int_equal(terms_of("ZÜRICH CAFÉ", y, NULL, 8), 2);
    assert_memory_equal(x, y, 2 * sizeof x[0]);
    /* Only function words, or nothing. */
    assert_int_equal(terms_of("it is what it was", x, NULL, 8), 0);
    assert_int_equal(terms_of("", x, NULL, 8), 0);
    assert_int_equal(terms_of("'' \xe2\x80\x94 ...", x, NULL, 8), 0);
}

static void test_lists(void **state)
{
    (void)state;
    /* A menu of 20 content words without a function word is a list; the
     * prose around it is not. */
    const char *text =
        "home news sport weather video audio radio tv science health "
        "travel culture money style food cars games music books puzzles\n"
        "The mayor opened the bridge on Saturday.";
    uint64_t h[64];
    int list[64];
    size_t n = terms_of(text, h, list, 64);
    assert_int_equal(n, 24); /* 20 + mayor opened bridge saturday */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(list[i], i < 20);
    /* Twelve in a row are still prose. */
    n = terms_of("red green blue cyan pink gold grey navy teal lime plum "
                 "rust and more",
                 h, list, 64);
    assert_int_equal(n, 12);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(list[i], 0);
}

/* --------------------------------------------------------------- events */

/* The articles in the order given, each joining or not; the results. */
static void run(sheaf__story *s, const char *const *texts, size_t n,
                uint32_t first_doc, sheaf__story_result *r)
{
    for (size_t i = 0; i < n; i++)
        r[i] = add(s, first_doc + (uint32_t)i, texts[i], SHEAF__NO_TIME);
}

/* Two events sharing every name, each in three write-ups, with unrelated
 * news before them: each event is one cluster, apart from the other. */
static void test_events_with_shared_names(void **state)
{
    (void)state;
    sheaf__story *s = new_story();
    sheaf__story_result o[4], b[3], g[3];
    run(s, other, 4, 0, o);
    run(s, bridge, 3, 10, b);
    run(s, resignation, 3, 20, g);
    for (size_t i = 0; i < 4; i++)
        assert_false(o[i].joined);
    assert_false(b[0].joined);
    assert_true(b[1].joined && b[2].joined);
    assert_int_equal(b[1].cluster, b[0].cluster);
    assert_int_equal(b[2].cluster, b[0].cluster);
    assert_false(g[0].joined);
    assert_true(g[1].joined && g[2].joined);
    assert_int_equal(g[1].cluster, g[0].cluster);
    assert_int_equal(g[2].cluster, g[0].cluster);
    assert_true(g[0].cluster != b[0].cluster);
    assert_int_equal(sheaf__story_cluster_count(s), 6);
    assert_int_equal(sheaf__story_size(s), 10);
    /* What the results say of the match. */
    assert_int_equal(b[2].cluster_size, 3);
    assert_true(b[2].match == 10 || b[2].match == 11);
    assert_true(b[2].match_similarity >= b[2].similarity);
    assert_true(b[2].similarity - b[2].background >= 0.09);
    assert_int_equal(sheaf__story_cluster_of(s, 21), g[0].cluster);
    assert_int_equal(sheaf__story_cluster_of(s, 5), SHEAF__NO_CLUSTER);
    sheaf__story_free(s);
}

/* A handful of articles, no other news: the prior statistics suffice,
 * and the events still come apart, whichever comes first. */
static void test_cold_start(void **state)
{
    (void)state;
    const char *const mixed[] = {resignation[0], bridge[0], resignation[1],
                                 bridge[1],      bridge[2], resignation[2]};
    sheaf__story *s = new_story();
    sheaf__story_result r[6];
    run(s, mixed, 6, 0, r);
    assert_int_equal(sheaf__story_cluster_count(s), 2);
    assert_int_equal(r[2].cluster, r[0].cluster);
    assert_int_equal(r[5].cluster, r[0].cluster);
    assert_int_equal(r[3].cluster, r[1].cluster);
    assert_int_equal(r[4].cluster, r[1].cluster);
    assert_true(r[0].cluster != r[1].cluster);
    sheaf__story_free(s);

    /* Two articles: a rewrite joins, news of another event does not. */
    s = new_story();
    add(s, 0, bridge[0], SHEAF__NO_TIME);
    assert_true(add(s, 1, bridge[1], SHEAF__NO_TIME).joined);
    sheaf__story_free(s);
    s = new_story();
    add(s, 0, bridge[0], SHEAF__NO_TIME);
    assert_false(add(s, 1, resignation[0], SHEAF__NO_TIME).joined);
    sheaf__story_free(s);
}

/* Texts without content words match nothing and are matched by nothing. */
static void test_empty_texts(void **state)
{
    (void)state;
    sheaf__story *s = new_story();
    sheaf__story_result r = add(s, 0, "", SHEAF__NO_TIME);
    assert_false(r.joined);
    assert_int_equal(sheaf__story_add(s, 1, NULL, 0, SHEAF__NO_TIME, &r),
                     SHEAF_OK);
    assert_false(r.joined);
    assert_false(add(s, 2, "it was as if it is", SHEAF__NO_TIME).joined);
    assert_false(add(s, 3, "it was as if it is", SHEAF__NO_TIME).joined);
    assert_false(add(s, 4, bridge[0], SHEAF__NO_TIME).joined);
    assert_int_equal(sheaf__story_cluster_count(s), 5);
    assert_int_equal(sheaf__story_remove(s, 2), SHEAF_OK);
    assert_int_equal(sheaf__story_cluster_count(s), 4);
    sheaf__story_free(s);
}

/* Text in another language has few English function words: it is not
 * taken for lists, and its rewrites join. */
static void test_other_language(void **state)
{
    (void)state;
    sheaf__story *s = new_story();
    add(s, 0,
        "Die Stadt Brightwater hat am Samstag die neue Brücke über den "
        "Tamsin eröffnet. Bürgermeisterin Ellen Varga durchschnitt das "
        "Band, Tausende Menschen überquerten die Brücke zu Fuß.",
        SHEAF__NO_TIME);
    sheaf__story_result r =
        add(s, 1,
            "Tausende Menschen gingen am Samstag zu Fuß über die neue "
            "Brücke von Brightwater über den Tamsin, nachdem "
            "Bürgermeisterin Varga das Band durchschnitten hatte.",
            SHEAF__NO_TIME);
    assert_true(r.joined);
    sheaf__story_free(s);
}

/* ---------------------------------------------------------------- times */

static void test_times(void **state)
{
    (void)state;
    const int64_t day = 86400, t0 = 1479600000; /* Nov 2016 */
    sheaf__story *s = new_story();
    sheaf__story_result o[4];
    run(s, other, 4, 0, o);
    add(s, 10, bridge[0], t0);
    sheaf__story_result same_day, later, untimed;
    const char *b1 = bridge[1];
    assert_int_equal(sheaf__story_query(s, b1, strlen(b1), t0 + day / 4,
                                        &same_day), SHEAF_OK);
    assert_int_equal(sheaf__story_query(s, b1, strlen(b1), t0 + 10 * day,
                                        &later), SHEAF_OK);
    assert_int_equal(sheaf__story_query(s, b1, strlen(b1), SHEAF__NO_TIME,
                                        &untimed), SHEAF_OK);
    assert_true(same_day.joined);
    assert_true(untimed.joined);
    assert_false(later.joined);
    /* The factor: s / (s + dt) outside the members' span, 1 inside. */
    assert_true(fabs(same_day.similarity - untimed.similarity / 1.25) < 1e-9);
    assert_true(fabs(later.similarity - untimed.similarity / 11) < 1e-9);
    add(s, 11, bridge[2], t0 + day / 2); /* the span: [t0, t0 + day/2] */
    sheaf__story_result inside, timeless;
    assert_int_equal(sheaf__story_query(s, b1, strlen(b1), t0 + day / 4,
                                        &inside), SHEAF_OK);
    assert_int_equal(sheaf__story_query(s, b1, strlen(b1), SHEAF__NO_TIME,
                                        &timeless), SHEAF_OK);
    assert_true(inside.joined);
    assert_memory_equal(&inside.similarity, &timeless.similarity,
                        sizeof(double));
    sheaf__story_free(s);

    /* time_scale 0 ignores times. */
    sheaf__story_params p;
    sheaf__story_params_init(&p);
    p.time_scale = 0;
    assert_int_equal(sheaf__story_new(&p, &s), SHEAF_OK);
    add(s, 0, bridge[0], t0);
    assert_true(add(s, 1, bridge[1], t0 + 100 * day).joined);
    sheaf__story_free(s);
}

/* ------------------------------------------------------------- removal */

static void test_remove(void **state)
{
    (void)state;
    sheaf__story *s = new_story();
    sheaf__story_result o[4], b[3];
    run(s, other, 4, 0, o);
    run(s, bridge, 3, 10, b);
    assert_int_equal(sheaf__story_remove(s, 99), SHEAF_ENOTFOUND);
    assert_int_equal(sheaf__story_remove(s, 11), SHEAF_OK);
    assert_int_equal(sheaf__story_remove(s, 11), SHEAF_ENOTFOUND);
    assert_int_equal(sheaf__story_cluster_of(s, 11), SHEAF__NO_CLUSTER);
    assert_int_equal(sheaf__story_size(s), 6);
    assert_int_equal(sheaf__story_cluster_count(s), 5);
    /* With one member left, the cluster's similarity is the cosine with
     * it. */
    assert_int_equal(sheaf__story_remove(s, 12), SHEAF_OK);
    sheaf__story_result q;
    assert_int_equal(sheaf__story_query(s, bridge[1], strlen(bridge[1]),
                                        SHEAF__NO_TIME, &q), SHEAF_OK);
    assert_true(q.joined);
    assert_int_equal(q.cluster, b[0].cluster);
    assert_int_equal(q.match, 10);
    assert_true(fabs(q.similarity - q.match_similarity) < 1e-9);
    assert_int_equal(q.cluster_size, 2);
    /* The emptied cluster is gone and its number is reused. */
    assert_int_equal(sheaf__story_remove(s, 10), SHEAF_OK);
    assert_int_equal(sheaf__story_cluster_count(s), 4);
    sheaf__story_result r = add(s, 11, resignation[0], SHEAF__NO_TIME);
    assert_false(r.joined);
    assert_int_equal(r.cluster, b[0].cluster);
    /* A document number is free again once removed. */
    assert_int_equal(sheaf__story_add(s, 11, "x", 1, SHEAF__NO_TIME, NULL),
                     SHEAF_EEXIST);
    assert_int_equal(sheaf__story_remove(s, 11), SHEAF_OK);
    assert_int_equal(sheaf__story_add(s, 11, "x", 1, SHEAF__NO_TIME, NULL),
                     SHEAF_OK);
    sheaf__story_free(s);
}

/* Random adds and removals over reused document numbers: the counts and
 * the documents' clusters stay consistent, and removing everything leaves
 * nothing (under the sanitizers: nothing leaks or is read freed). */
static void test_random_churn(void **state)
{
    (void)state;
    const char *pool[10];
    for (int i = 0; i < 3; i++) {
        pool[i] = bridge[i];
        pool[3 + i] = resignation[i];
    }
    for (int i = 0; i < 4; i++)
        pool[6 + i] = other[i];
    sheaf__story *s = new_story();
    int present[32] = {0};
    uint32_t rng = 12345;
    size_t live = 0;
    for (int op = 0; op < 3000; op++) {
        rng = rng * 1103515245u + 12345u;
        uint32_t doc = (rng >> 8) % 32;
        if (present[doc]) {
            assert_int_equal(sheaf__story_remove(s, doc), SHEAF_OK);
            present[doc] = 0;
            live--;
        } else {
            const char *t = pool[(rng >> 16) % 10];
            sheaf__story_result r = add(s, doc, t, (int64_t)(op * 600));
            assert_true(r.cluster_size >= 1);
            present[doc] = 1;
            live++;
        }
        assert_int_equal(sheaf__story_size(s), live);
        assert_true(sheaf__story_cluster_count(s) <= live);
        for (uint32_t d = 0; d < 32; d++)
            assert_int_equal(sheaf__story_cluster_of(s, d) !=
                                 SHEAF__NO_CLUSTER,
                             present[d]);
    }
    for (uint32_t d = 0; d < 32; d++)
        if (present[d])
            assert_int_equal(sheaf__story_remove(s, d), SHEAF_OK);
    assert_int_equal(sheaf__story_size(s), 0);
    assert_int_equal(sheaf__story_cluster_count(s), 0);
    /* The emptied index behaves as a new one would, statistics aside. */
    assert_false(add(s, 0, bridge[0], SHEAF__NO_TIME).joined);
    assert_true(add(s, 1, bridge[1], SHEAF__NO_TIME).joined);
    sheaf__story_free(s);
}

/* -------------------------------------------------- query, determinism */

/* A query decides what the add that follows it does. Two runs over the
 * same sequence give the same bits. */
static void test_query_and_determinism(void **state)
{
    (void)state;
    const char *const texts[] = {other[0],       bridge[0], other[1],
                                 resignation[0], bridge[1], other[2],
                                 resignation[1], bridge[2], other[3],
                                 resignation[2]};
    sheaf__story *a = new_story(), *b = new_story();
    for (uint32_t i = 0; i < 10; i++) {
        sheaf__story_result q, x, y;
        assert_int_equal(sheaf__story_query(a, texts[i], strlen(texts[i]),
                                            SHEAF__NO_TIME, &q), SHEAF_OK);
        x = add(a, i, texts[i], SHEAF__NO_TIME);
        y = add(b, i, texts[i], SHEAF__NO_TIME);
        assert_int_equal(q.joined, x.joined);
        if (q.joined)
            assert_int_equal(q.cluster, x.cluster);
        else
            assert_int_equal(q.cluster, SHEAF__NO_CLUSTER);
        assert_memory_equal(&q.similarity, &x.similarity, sizeof(double));
        assert_int_equal(q.match, x.match);
        assert_int_equal(x.cluster, y.cluster);
        assert_memory_equal(&x.similarity, &y.similarity, sizeof(double));
        assert_memory_equal(&x.background, &y.background, sizeof(double));
    }
    sheaf__story_free(a);
    sheaf__story_free(b);
}

/* ------------------------------------------------------------ arguments */

static void test_params(void **state)
{
    (void)state;
    sheaf__story_params p, d;
    sheaf__story_params_init(&d);
    assert_int_equal(sheaf__story_params_validate(&d), SHEAF_OK);
    assert_int_equal(sheaf__story_params_validate(NULL), SHEAF_EINVAL);
    sheaf__story *s = NULL;
#define BAD(field, value)                                                      \
    do {                                                                       \
        p = d;                                                                 \
        p.field = value;                                                       \
        assert_int_equal(sheaf__story_params_validate(&p), SHEAF_EINVAL);      \
        assert_int_equal(sheaf__story_new(&p, &s), SHEAF_EINVAL);              \
    } while (0)
    BAD(threshold, 0);
    BAD(threshold, 1.5);
    BAD(threshold, NAN);
    BAD(contrast, -0.1);
    BAD(contrast, NAN);
    BAD(max_terms, 0);
    BAD(max_terms, SHEAF__STORY_MAX_TERMS + 1);
    BAD(num_hashes, 0);
    BAD(num_hashes, SHEAF__STORY_MAX_HASHES + 1);
    BAD(max_candidates, 0);
    BAD(time_scale, -1);
    BAD(time_scale, INFINITY);
#undef BAD
    assert_int_equal(sheaf__story_new(&d, NULL), SHEAF_EINVAL);
    assert_int_equal(sheaf__story_new(&d, &s), SHEAF_OK);
    sheaf__story_result r;
    assert_int_equal(sheaf__story_add(NULL, 0, "a", 1, 0, &r), SHEAF_EINVAL);
    assert_int_equal(sheaf__story_add(s, 0, NULL, 1, 0, &r), SHEAF_EINVAL);
    assert_int_equal(sheaf__story_add(s, SHEAF__STORY_NO_DOC, "a", 1, 0, &r),
                     SHEAF_ERANGE);
    assert_int_equal(sheaf__story_query(s, "a", 1, 0, NULL), SHEAF_EINVAL);
    assert_int_equal(sheaf__story_remove(NULL, 0), SHEAF_EINVAL);
    assert_int_equal(sheaf__story_cluster_of(NULL, 0), SHEAF__NO_CLUSTER);
    assert_int_equal(sheaf__story_size(NULL), 0);
    assert_int_equal(sheaf__story_cluster_count(NULL), 0);
    sheaf__story_free(s);
    sheaf__story_free(NULL);
    /* Extreme but valid parameters work. */
    p = d;
    p.max_terms = 1;
    p.num_hashes = 1;
    p.max_candidates = 1;
    p.threshold = 1;
    p.contrast = 0;
    assert_int_equal(sheaf__story_new(&p, &s), SHEAF_OK);
    for (uint32_t i = 0; i < 3; i++)
        add(s, i, bridge[i], SHEAF__NO_TIME);
    sheaf__story_free(s);
}

/* ---------------------------------------------------- allocation failures */

/* The sequence of the events test with removals; each step's results. */
#define STEPS 12
static const char *step_text(int i)
{
    const char *const t[] = {other[0], bridge[0],      other[1],
                             bridge[1], resignation[0], other[2],
                             bridge[2], resignation[1], other[3],
                             resignation[2]};
    return i < 10 ? t[i] : NULL;
}

/* Step i: add step_text(i) as document i, or (steps 10, 11) remove
 * documents 3 and 7 (removal never fails). Returns the add's status. */
static int step(sheaf__story *s, int i, sheaf__story_result *r)
{
    if (i >= 10)
        return sheaf__story_remove(s, i == 10 ? 3 : 7);
    const char *t = step_text(i);
    return sheaf__story_add(s, (uint32_t)i, t, strlen(t), SHEAF__NO_TIME, r);
}

/* Fail each allocation of each step in turn: the step reports
 * SHEAF_ENOMEM and, retried, gives exactly what it gives without failure,
 * and so do the steps after it: nothing was changed. */
static void test_allocation_failures(void **state)
{
    (void)state;
    if (!__real_malloc)
        skip();
    sheaf__story_result want[STEPS];
    sheaf__story *s = new_story();
    for (int i = 0; i < STEPS; i++)
        assert_int_equal(step(s, i, &want[i]), SHEAF_OK);
    sheaf__story_free(s);

    int failures = 0;
    for (int at = 0; at < STEPS; at++) {
        for (long k = 0;; k++) {
            s = new_story();
            sheaf__story_result r;
            for (int i = 0; i < at; i++)
                assert_int_equal(step(s, i, &r), SHEAF_OK);
            arm(k);
            int rc = step(s, at, &r);
            long seen = allocations;
            arm(-1);
            if (rc == SHEAF_OK) {
                assert_true(seen <= k); /* no allocation was failed */
                sheaf__story_free(s);
                break;
            }
            assert_int_equal(rc, SHEAF_ENOMEM);
            failures++;
            for (int i = at; i < STEPS; i++) {
                assert_int_equal(step(s, i, &r), SHEAF_OK);
                if (i < 10) {
                    assert_int_equal(r.cluster, want[i].cluster);
                    assert_int_equal(r.joined, want[i].joined);
                    assert_memory_equal(&r.similarity, &want[i].similarity,
                                        sizeof(double));
                    assert_int_equal(r.match, want[i].match);
                }
            }
            sheaf__story_free(s);
        }
    }
    assert_true(failures > STEPS);
    /* And creating one. */
    for (long k = 0;; k++) {
        arm(k);
        s = NULL;
        sheaf__story_params p;
        sheaf__story_params_init(&p);
        int rc = sheaf__story_new(&p, &s);
        arm(-1);
        if (rc == SHEAF_OK) {
            sheaf__story_free(s);
            break;
        }
        assert_int_equal(rc, SHEAF_ENOMEM);
        assert_null(s);
    }
    /* And a query. */
    s = new_story();
    for (int i = 0; i < 10; i++)
        step(s, i, NULL);
    for (long k = 0;; k++) {
        sheaf__story_result r;
        arm(k);
        int rc = sheaf__story_query(s, bridge[0], strlen(bridge[0]),
                                    SHEAF__NO_TIME, &r);
        arm(-1);
        if (rc == SHEAF_OK)
            break;
        assert_int_equal(rc, SHEAF_ENOMEM);
    }
    sheaf__story_free(s);
}

/* ----------------------------------------------------------------- seeds */

/* ../shared/seeds: four reports of Obama and Putin's brief talk at APEC in
 * Lima (files 000 to 003) and one of their G20 meeting in Hangzhou two
 * months before (004), which the Lima reports mention. They must come out
 * as {000, 001, 002, 003} and {004}. */
static void test_seeds(void **state)
{
    (void)state;
    const char *shared = getenv("SHEAF_SHARED");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/seeds", shared ? shared : "../shared");
    DIR *d = opendir(dir);
    if (!d) {
        printf("test_seeds: %s absent, skipped\n", dir);
        skip();
    }
    char *names[8];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 8)
        if (strlen(e->d_name) > 4 &&
            !strcmp(e->d_name + strlen(e->d_name) - 4, ".txt")) {
            names[n] = strdup(e->d_name);
            assert_non_null(names[n]);
            n++;
        }
    closedir(d);
    assert_int_equal(n, 5);
    /* In name order, as a shell glob gives them. */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    sheaf__story *s = new_story();
    uint32_t cluster[5];
    for (int i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        static char text[1 << 16];
        size_t len = fread(text, 1, sizeof text, f);
        fclose(f);
        sheaf__story_result r;
        assert_int_equal(
            sheaf__story_add(s, (uint32_t)i, text, len, SHEAF__NO_TIME, &r),
            SHEAF_OK);
        cluster[i] = r.cluster;
        free(names[i]);
    }
    assert_int_equal(cluster[1], cluster[0]);
    assert_int_equal(cluster[2], cluster[0]);
    assert_int_equal(cluster[3], cluster[0]);
    assert_true(cluster[4] != cluster[0]);
    sheaf__story_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terms),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_events_with_shared_names),
        cmocka_unit_test(test_cold_start),
        cmocka_unit_test(test_empty_texts),
        cmocka_unit_test(test_other_language),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_random_churn),
        cmocka_unit_test(test_query_and_determinism),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
