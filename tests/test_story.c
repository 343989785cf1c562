/*
 * Story mode through the public index API (a story-mode index): the terms
 * (story/terms.h), invented events that share their names, rewrites of
 * one event, a cold start of a handful of articles, empty texts, another
 * language, headlines, publication times and the window, removal and
 * expiry (an index that lost articles decides as one that never saw
 * them), random churn, queries and determinism, bad parameters and
 * arguments, allocation failures, and the five seed articles of
 * ../shared/seeds when they are there.
 *
 * Allocation failures are injected by wrapping malloc, calloc and realloc
 * at link time (TEST_LDFLAGS_test_story in the Makefile), which sends every
 * allocation of the statically linked library, and of this file, through
 * the __wrap_* functions below; built without those flags the tests of
 * them skip themselves.
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
#include <unistd.h>

#include "sheaf.h"
#include "story/terms.h"
#include "testutil.h"

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

/* Fail allocation number at from now on (-1: none). The test's own
 * allocations count too, so nothing but the call under test runs armed. */
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

/* The bridge's opening in German, twice. */
static const char *const german[] = {
    "Die Stadt Brightwater hat am Samstag die neue Brücke über den "
    "Tamsin eröffnet. Bürgermeisterin Ellen Varga durchschnitt das "
    "Band, Tausende Menschen überquerten die Brücke zu Fuß.",
    "Tausende Menschen gingen am Samstag zu Fuß über die neue "
    "Brücke von Brightwater über den Tamsin, nachdem "
    "Bürgermeisterin Varga das Band durchschnitten hatte.",
};

#define HOUR ((int64_t)3600)
#define DAY ((int64_t)86400)
#define T0 ((int64_t)1479600000) /* Nov 2016 */

/* ------------------------------------------------------------- helpers */

static sheaf_index *new_index_with(const sheaf_params *p)
{
    sheaf_index *idx = NULL;
    assert_int_equal(sheaf_index_new(p, &idx), SHEAF_OK);
    assert_non_null(idx);
    return idx;
}

static sheaf_index *new_index(void)
{
    sheaf_params p;
    sheaf_params_init_mode(&p, SHEAF_MODE_STORY);
    return new_index_with(&p);
}

static sheaf_article article(const char *id, const char *text, int64_t time)
{
    sheaf_article a = SHEAF_ARTICLE_INIT;
    a.id = id;
    a.text = text;
    a.len = text ? strlen(text) : 0;
    a.time = time;
    return a;
}

static int try_add(sheaf_index *idx, const char *id, const char *text,
                   int64_t time, sheaf_assignment *out)
{
    sheaf_article a = article(id, text, time);
    return sheaf_index_add(idx, &a, out);
}

static sheaf_assignment add(sheaf_index *idx, const char *id,
                            const char *text, int64_t time)
{
    sheaf_assignment as;
    assert_int_equal(try_add(idx, id, text, time, &as), SHEAF_OK);
    assert_non_null(as.cluster);
    return as;
}

/* What adding text at time would decide: 1 and the match into *m when it
 * would join a cluster, else 0. Story mode reports at most one match. */
static size_t query(const sheaf_index *idx, const char *text, int64_t time,
                    sheaf_match *m)
{
    sheaf_article a = article(NULL, text, time);
    sheaf_match got[2];
    size_t count = 99;
    assert_int_equal(sheaf_index_query(idx, &a, got, 2, &count), SHEAF_OK);
    assert_true(count <= 1);
    if (count)
        *m = got[0];
    return count;
}

/* Add texts[0..n) as ids prefix0, prefix1, ... without times. */
static void run(sheaf_index *idx, const char *prefix,
                const char *const *texts, size_t n, sheaf_assignment *out)
{
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "%s%zu", prefix, i);
        out[i] = add(idx, id, texts[i], SHEAF_NO_TIME);
    }
}

static int bits_equal(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static const char *cluster_of(const sheaf_index *idx, const char *id)
{
    const char *c = NULL;
    assert_int_equal(sheaf_index_cluster_of(idx, id, &c), SHEAF_OK);
    return c;
}

/* The members of cluster name as one string, "id id id". */
static void members(const sheaf_index *idx, const char *name, buf *out)
{
    const char *ids[256];
    size_t n = 0;
    assert_int_equal(sheaf_index_cluster_members(idx, name, ids, 256, &n),
                     SHEAF_OK);
    assert_true(n <= 256);
    for (size_t i = 0; i < n; i++) {
        buf_str(out, ids[i]);
        buf_str(out, " ");
    }
}

typedef struct name_list {
    char *v[256];
    size_t n;
} name_list;

static int collect(void *ctx, const char *cluster, size_t size)
{
    (void)size;
    name_list *s = ctx;
    if (s->n == 256)
        return 1;
    s->v[s->n++] = strdup(cluster);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Everything the public API says of an index's contents, as one string
 * (to free): its counts and every cluster with its members, the clusters
 * in the order sheaf_index_clusters gives them or, sorted, by name. */
static char *contents(const sheaf_index *idx, int sorted)
{
    name_list s = {{0}, 0};
    /* Names first, members after: the walk holds the read lock. */
    assert_int_equal(sheaf_index_clusters(idx, collect, &s), 0);
    if (sorted)
        qsort(s.v, s.n, sizeof s.v[0], by_name);
    buf b = {0};
    char line[64];
    snprintf(line, sizeof line, "%zu articles, %zu clusters\n",
             sheaf_index_size(idx), sheaf_index_cluster_count(idx));
    buf_str(&b, line);
    assert_int_equal(s.n, sheaf_index_cluster_count(idx));
    for (size_t i = 0; i < s.n; i++) {
        assert_non_null(s.v[i]);
        buf_str(&b, s.v[i]);
        buf_str(&b, ": ");
        members(idx, s.v[i], &b);
        buf_str(&b, "\n");
        free(s.v[i]);
    }
    return b.s;
}

static char *snapshot(const sheaf_index *idx) { return contents(idx, 0); }

/* Whether a in index x and b in index y decide alike: the same match,
 * similarity to the bit and cluster size, and a cluster of the same
 * members. Cluster names may differ, when the article that named one in
 * x is gone and y never saw it. */
static void same_decision(const sheaf_index *x, const sheaf_assignment *a,
                          const sheaf_index *y, const sheaf_assignment *b)
{
    assert_int_equal(a->match == NULL, b->match == NULL);
    if (a->match)
        assert_string_equal(a->match, b->match);
    assert_true(bits_equal(a->similarity, b->similarity));
    assert_int_equal(a->cluster_size, b->cluster_size);
    buf m = {0}, n = {0};
    buf_str(&m, "");
    buf_str(&n, "");
    members(x, a->cluster, &m);
    members(y, b->cluster, &n);
    assert_string_equal(m.s, n.s);
    free(m.s);
    free(n.s);
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

/* The events of an index of story parameters p: two events sharing every
 * name, each in three write-ups, with unrelated news before them, come
 * out as one cluster each. */
static void events_apart(const sheaf_params *p)
{
    sheaf_index *idx = new_index_with(p);
    sheaf_assignment o[4], b[3], g[3];
    run(idx, "o", other, 4, o);
    run(idx, "b", bridge, 3, b);
    run(idx, "g", resignation, 3, g);
    char id[8];
    for (size_t i = 0; i < 4; i++) {
        snprintf(id, sizeof id, "o%zu", i);
        assert_null(o[i].match);
        assert_string_equal(o[i].cluster, id);
        assert_int_equal(o[i].cluster_size, 1);
        assert_true(o[i].similarity == 0);
    }
    assert_null(b[0].match);
    assert_null(g[0].match);
    for (size_t i = 1; i < 3; i++) {
        assert_non_null(b[i].match);
        assert_string_equal(b[i].cluster, "b0");
        assert_non_null(g[i].match);
        assert_string_equal(g[i].cluster, "g0");
    }
    assert_int_equal(sheaf_index_cluster_count(idx), 6);
    assert_int_equal(sheaf_index_size(idx), 10);
    sheaf_index_free(idx);
}

static void test_events_with_shared_names(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init_mode(&p, SHEAF_MODE_STORY);
    events_apart(&p);
    /* Another seed hashes every term (and function word) otherwise, and
     * decides the same. */
    p.seed = 0x5eed5eed;
    events_apart(&p);

    /* What the assignments say of the match. */
    sheaf_index *idx = new_index();
    sheaf_assignment o[4], b[3], g[3];
    run(idx, "o", other, 4, o);
    run(idx, "b", bridge, 3, b);
    run(idx, "g", resignation, 3, g);
    assert_int_equal(b[2].cluster_size, 3);
    assert_true(strcmp(b[2].match, "b0") == 0 ||
                strcmp(b[2].match, "b1") == 0);
    const double threshold = sheaf_index_params(idx)->threshold;
    assert_true(b[2].similarity >= threshold && b[2].similarity <= 1);
    assert_string_equal(cluster_of(idx, "g1"), "g0");
    const char *c = NULL;
    assert_int_equal(sheaf_index_cluster_of(idx, "o9", &c), SHEAF_ENOTFOUND);
    assert_null(c);
    buf m = {0};
    buf_str(&m, "");
    members(idx, "b0", &m);
    assert_string_equal(m.s, "b0 b1 b2 ");
    free(m.s);
    sheaf_index_free(idx);
}

/* A handful of articles, no other news: the prior statistics suffice,
 * and the events still come apart, whichever comes first. */
static void test_cold_start(void **state)
{
    (void)state;
    const char *const mixed[] = {resignation[0], bridge[0], resignation[1],
                                 bridge[1],      bridge[2], resignation[2]};
    sheaf_index *idx = new_index();
    sheaf_assignment r[6];
    run(idx, "m", mixed, 6, r);
    assert_int_equal(sheaf_index_cluster_count(idx), 2);
    assert_string_equal(r[0].cluster, "m0");
    assert_string_equal(r[2].cluster, "m0");
    assert_string_equal(r[5].cluster, "m0");
    assert_string_equal(r[1].cluster, "m1");
    assert_string_equal(r[3].cluster, "m1");
    assert_string_equal(r[4].cluster, "m1");
    sheaf_index_free(idx);

    /* Two articles: a rewrite joins, news of another event does not. */
    idx = new_index();
    add(idx, "a", bridge[0], SHEAF_NO_TIME);
    assert_non_null(add(idx, "b", bridge[1], SHEAF_NO_TIME).match);
    sheaf_index_free(idx);
    idx = new_index();
    add(idx, "a", bridge[0], SHEAF_NO_TIME);
    assert_null(add(idx, "b", resignation[0], SHEAF_NO_TIME).match);
    sheaf_index_free(idx);
}

/* Texts without content words match nothing and are matched by nothing. */
static void test_empty_texts(void **state)
{
    (void)state;
    sheaf_index *idx = new_index();
    assert_null(add(idx, "e0", "", SHEAF_NO_TIME).match);
    assert_null(add(idx, "e1", NULL, SHEAF_NO_TIME).match);
    assert_null(add(idx, "e2", "it was as if it is", SHEAF_NO_TIME).match);
    assert_null(add(idx, "e3", "it was as if it is", SHEAF_NO_TIME).match);
    assert_null(add(idx, "e4", bridge[0], SHEAF_NO_TIME).match);
    assert_int_equal(sheaf_index_cluster_count(idx), 5);
    sheaf_match m;
    assert_int_equal(query(idx, "", SHEAF_NO_TIME, &m), 0);
    assert_int_equal(query(idx, "it was as if it is", SHEAF_NO_TIME, &m), 0);
    assert_int_equal(sheaf_index_remove(idx, "e2"), SHEAF_OK);
    assert_int_equal(sheaf_index_cluster_count(idx), 4);
    assert_int_equal(sheaf_index_size(idx), 4);
    sheaf_index_free(idx);
}

/* Text in another language has few English function words: it is not
 * taken for lists, and its rewrites join. */
static void test_other_language(void **state)
{
    (void)state;
    sheaf_index *idx = new_index();
    add(idx, "de0", german[0], SHEAF_NO_TIME);
    sheaf_assignment as = add(idx, "de1", german[1], SHEAF_NO_TIME);
    assert_non_null(as.match);
    assert_string_equal(as.cluster, "de0");
    sheaf_index_free(idx);
}

/* A headline is read: an article that is only a headline finds its
 * story. */
static void test_titles(void **state)
{
    (void)state;
    sheaf_index *idx = new_index();
    sheaf_assignment o[4], b[3];
    run(idx, "o", other, 4, o);
    run(idx, "b", bridge, 3, b);
    const char *title = bridge[1];
    sheaf_article a = article("t", NULL, SHEAF_NO_TIME);
    a.title = title;
    a.title_len = strlen(title);
    sheaf_match m[1];
    size_t count = 0;
    assert_int_equal(sheaf_index_query(idx, &a, m, 1, &count), SHEAF_OK);
    assert_int_equal(count, 1);
    assert_string_equal(m[0].cluster, "b0");
    sheaf_assignment as;
    assert_int_equal(sheaf_index_add(idx, &a, &as), SHEAF_OK);
    assert_string_equal(as.cluster, "b0");
    /* Without its headline the article is empty, and alone. */
    a.id = "u";
    a.title = NULL;
    a.title_len = 0;
    assert_int_equal(sheaf_index_add(idx, &a, &as), SHEAF_OK);
    assert_null(as.match);
    sheaf_index_free(idx);
}

/* ---------------------------------------------------------------- times */

/* Publication times scale the similarity to a cluster by s / (s + dt),
 * dt the distance from the span of its members' times and s a day. */
static void test_times(void **state)
{
    (void)state;
    sheaf_index *idx = new_index();
    sheaf_assignment o[4];
    run(idx, "o", other, 4, o);
    add(idx, "b0", bridge[0], T0);
    const char *b1 = bridge[1];
    sheaf_match same_day, day_before, later, untimed;
    assert_int_equal(query(idx, b1, T0 + DAY / 4, &same_day), 1);
    assert_int_equal(query(idx, b1, T0 - DAY / 4, &day_before), 1);
    assert_int_equal(query(idx, b1, T0 + 10 * DAY, &later), 0);
    assert_int_equal(query(idx, b1, SHEAF_NO_TIME, &untimed), 1);
    assert_string_equal(same_day.cluster, "b0");
    assert_string_equal(untimed.cluster, "b0");
    assert_true(fabs(same_day.similarity - untimed.similarity / 1.25) < 1e-9);
    /* Early or late by as much is the same. */
    assert_true(bits_equal(same_day.similarity, day_before.similarity));
    /* Inside the members' span there is no penalty. */
    add(idx, "b2", bridge[2], T0 + DAY / 2);
    sheaf_match inside, timeless;
    assert_int_equal(query(idx, b1, T0 + DAY / 4, &inside), 1);
    assert_int_equal(query(idx, b1, SHEAF_NO_TIME, &timeless), 1);
    assert_true(bits_equal(inside.similarity, timeless.similarity));
    /* An article without a time is compared with every cluster fully. */
    sheaf_assignment as = add(idx, "b1", b1, SHEAF_NO_TIME);
    assert_string_equal(as.cluster, "b0");
    assert_true(bits_equal(as.similarity, timeless.similarity));
    sheaf_index_free(idx);
}

/* With a window an article joins only a cluster with a member published
 * within it, and its match is such a member. */
static void test_window(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init_mode(&p, SHEAF_MODE_STORY);
    sheaf_index *plain = new_index_with(&p);
    assert_int_equal(sheaf_params_set(&p, "window", "1h"), SHEAF_OK);
    assert_int_equal(p.window, HOUR);
    sheaf_index *idx = new_index_with(&p);
    sheaf_assignment o[4];
    run(idx, "o", other, 4, o);
    run(plain, "o", other, 4, o);
    add(idx, "b0", bridge[0], T0);
    add(plain, "b0", bridge[0], T0);
    /* Two hours on: the time factor alone lets it join, the window not. */
    sheaf_match m;
    assert_int_equal(query(plain, bridge[1], T0 + 2 * HOUR, &m), 1);
    assert_int_equal(query(idx, bridge[1], T0 + 2 * HOUR, &m), 0);
    sheaf_index_free(plain);

    assert_string_equal(add(idx, "b2", bridge[2], T0 + 50 * 60).cluster,
                        "b0");
    /* 100 minutes after b0, 50 after b2: the match is b2. */
    assert_int_equal(query(idx, bridge[1], T0 + 100 * 60, &m), 1);
    assert_string_equal(m.cluster, "b0");
    assert_string_equal(m.id, "b2");
    assert_int_equal(query(idx, bridge[1], T0 + 3 * HOUR, &m), 0);
    /* Out of time order, and without a time. */
    assert_int_equal(query(idx, bridge[1], T0 - 30 * 60, &m), 1);
    assert_string_equal(m.id, "b0");
    assert_int_equal(query(idx, bridge[1], SHEAF_NO_TIME, &m), 1);
    assert_string_equal(m.cluster, "b0");

    /* b0 expires (the others have no time and stay): the cluster keeps
     * its name, and an article that b0 alone was near meets nothing. */
    size_t removed = 0;
    assert_int_equal(sheaf_index_expire(idx, T0 + 1, &removed), SHEAF_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(sheaf_index_size(idx), 5);
    assert_string_equal(cluster_of(idx, "b2"), "b0");
    assert_int_equal(query(idx, bridge[1], T0 + 100 * 60, &m), 1);
    assert_string_equal(m.cluster, "b0");
    assert_string_equal(m.id, "b2");
    assert_int_equal(query(idx, bridge[1], T0 - 30 * 60, &m), 0);
    sheaf_index_free(idx);
}

/* ------------------------------------------------------------- removal */

static void test_remove(void **state)
{
    (void)state;
    sheaf_index *idx = new_index();
    sheaf_assignment o[4], b[3];
    run(idx, "o", other, 4, o);
    run(idx, "b", bridge, 3, b);
    assert_int_equal(sheaf_index_remove(idx, "nope"), SHEAF_ENOTFOUND);
    assert_int_equal(sheaf_index_remove(idx, "b1"), SHEAF_OK);
    assert_int_equal(sheaf_index_remove(idx, "b1"), SHEAF_ENOTFOUND);
    const char *c;
    assert_int_equal(sheaf_index_cluster_of(idx, "b1", &c), SHEAF_ENOTFOUND);
    assert_int_equal(sheaf_index_size(idx), 6);
    assert_int_equal(sheaf_index_cluster_count(idx), 5);
    /* One member left: it is the match. */
    assert_int_equal(sheaf_index_remove(idx, "b2"), SHEAF_OK);
    sheaf_match m;
    assert_int_equal(query(idx, bridge[1], SHEAF_NO_TIME, &m), 1);
    assert_string_equal(m.cluster, "b0");
    assert_string_equal(m.id, "b0");
    sheaf_assignment as = add(idx, "b1", bridge[1], SHEAF_NO_TIME);
    assert_string_equal(as.cluster, "b0");
    assert_string_equal(as.match, "b0");
    assert_int_equal(as.cluster_size, 2);
    assert_true(bits_equal(as.similarity, m.similarity));

    /* The cluster outlives the article that named it, and the name stays
     * taken while it does. */
    assert_int_equal(sheaf_index_remove(idx, "b0"), SHEAF_OK);
    assert_string_equal(cluster_of(idx, "b1"), "b0");
    assert_int_equal(try_add(idx, "b0", "x", SHEAF_NO_TIME, NULL),
                     SHEAF_EEXIST);
    assert_int_equal(query(idx, bridge[2], SHEAF_NO_TIME, &m), 1);
    assert_string_equal(m.cluster, "b0");
    assert_string_equal(m.id, "b1");
    /* Emptied, it is gone, and its name free again. */
    assert_int_equal(sheaf_index_remove(idx, "b1"), SHEAF_OK);
    assert_int_equal(sheaf_index_cluster_count(idx), 4);
    assert_int_equal(sheaf_index_cluster_members(idx, "b0", NULL, 0, &(size_t){0}),
                     SHEAF_ENOTFOUND);
    as = add(idx, "b0", resignation[0], SHEAF_NO_TIME);
    assert_null(as.match);
    assert_string_equal(as.cluster, "b0");
    assert_int_equal(try_add(idx, "b0", "x", SHEAF_NO_TIME, NULL),
                     SHEAF_EEXIST);
    assert_int_equal(sheaf_index_size(idx), 5);
    sheaf_index_free(idx);
}

/* Random adds, removals and expiries over reused ids: the counts, the
 * articles' clusters and the clusters' members stay consistent, an id
 * that still names a cluster is refused, removing everything leaves
 * nothing (under the sanitizers: nothing leaks or is read freed), and the
 * emptied index decides exactly as a new one. */
#define CHURN_IDS 32

typedef struct churn {
    sheaf_index *idx;
    const char *pool[10];
    int present[CHURN_IDS];
    int64_t when[CHURN_IDS];
    size_t live, refused;
    rng r;
} churn;

static void churn_id(uint32_t d, char id[16]) { snprintf(id, 16, "d%02u", d); }

/* Everything published a day before now goes; articles without a time
 * stay. */
static void churn_expire(churn *c, int64_t now)
{
    size_t removed = 0, want = 0;
    for (uint32_t k = 0; k < CHURN_IDS; k++)
        if (c->present[k] && c->when[k] != SHEAF_NO_TIME &&
            c->when[k] < now - DAY) {
            c->present[k] = 0;
            want++;
        }
    assert_int_equal(sheaf_index_expire(c->idx, now - DAY, &removed),
                     SHEAF_OK);
    assert_int_equal(removed, want);
    c->live -= want;
}

static void churn_add(churn *c, uint32_t d, int64_t now)
{
    char id[16];
    churn_id(d, id);
    int64_t t = rng_below(&c->r, 10) == 0 ? SHEAF_NO_TIME : now;
    sheaf_assignment as;
    size_t n = 0;
    int rc = try_add(c->idx, id, c->pool[rng_below(&c->r, 10)], t, &as);
    if (rc == SHEAF_EEXIST) {
        /* The id still names the cluster its article started. */
        assert_int_equal(sheaf_index_cluster_members(c->idx, id, NULL, 0, &n),
                         SHEAF_OK);
        assert_true(n > 0);
        c->refused++;
        return;
    }
    assert_int_equal(rc, SHEAF_OK);
    assert_string_equal(cluster_of(c->idx, id), as.cluster);
    assert_int_equal(
        sheaf_index_cluster_members(c->idx, as.cluster, NULL, 0, &n),
        SHEAF_OK);
    assert_int_equal(n, as.cluster_size);
    assert_int_equal(as.match == NULL, as.similarity == 0);
    c->when[d] = t;
    c->present[d] = 1;
    c->live++;
}

static void churn_check(const churn *c)
{
    assert_int_equal(sheaf_index_size(c->idx), c->live);
    assert_true(sheaf_index_cluster_count(c->idx) <= c->live);
    for (uint32_t k = 0; k < CHURN_IDS; k++) {
        const char *cl;
        char id[16];
        churn_id(k, id);
        assert_int_equal(sheaf_index_cluster_of(c->idx, id, &cl),
                         c->present[k] ? SHEAF_OK : SHEAF_ENOTFOUND);
    }
}

static void test_random_churn(void **state)
{
    (void)state;
    churn c = {.idx = new_index(), .r = {12345}};
    for (int i = 0; i < 3; i++) {
        c.pool[i] = bridge[i];
        c.pool[3 + i] = resignation[i];
    }
    for (int i = 0; i < 4; i++)
        c.pool[6 + i] = other[i];
    char id[16];
    for (int op = 0; op < 3000; op++) {
        uint32_t d = rng_below(&c.r, CHURN_IDS);
        int64_t now = T0 + (int64_t)op * 600;
        churn_id(d, id);
        if (op % 250 == 249) {
            churn_expire(&c, now);
        } else if (c.present[d]) {
            assert_int_equal(sheaf_index_remove(c.idx, id), SHEAF_OK);
            c.present[d] = 0;
            c.live--;
        } else {
            churn_add(&c, d, now);
        }
        churn_check(&c);
    }
    assert_true(c.refused > 0);
    for (uint32_t k = 0; k < CHURN_IDS; k++) {
        churn_id(k, id);
        if (c.present[k])
            assert_int_equal(sheaf_index_remove(c.idx, id), SHEAF_OK);
    }
    assert_int_equal(sheaf_index_size(c.idx), 0);
    assert_int_equal(sheaf_index_cluster_count(c.idx), 0);
    /* Its statistics went with its articles. */
    sheaf_index *fresh = new_index();
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof id, "n%d", i);
        const char *text = c.pool[(i * 7) % 10];
        sheaf_assignment a = add(c.idx, id, text, SHEAF_NO_TIME);
        sheaf_assignment b = add(fresh, id, text, SHEAF_NO_TIME);
        same_decision(c.idx, &a, fresh, &b);
        assert_string_equal(a.cluster, b.cluster);
    }
    sheaf_index_free(fresh);
    sheaf_index_free(c.idx);
}

/* ------------------------------------------- removal: a differential test */

/* Engine state is a function of the live articles: an index that took
 * articles and lost them again (removed, expired) decides every later
 * article exactly as an index that never saw them. Index a gets, in each
 * round, the round's articles, then extras (rewrites of what is in, and
 * other news), which go again before the next round; index b gets only
 * the rounds' articles. An extra always comes after every article that
 * stays, so that what stays was weighed against the same statistics in
 * both (weights are kept as they were when added). */
static void test_removal_differential(void **state)
{
    (void)state;
    const char *const rounds[][3] = {
        {other[0], bridge[0], other[1]},
        {resignation[0], bridge[1], other[2]},
        {resignation[1], german[0], other[3]},
        {bridge[2], resignation[2], german[1]},
        {bridge[0], other[1], resignation[0]}, /* copies, ids anew */
    };
    const char *const extras[] = {bridge[1], resignation[1], other[2],
                                  german[0], bridge[2], other[3]};
    const size_t nrounds = sizeof rounds / sizeof rounds[0];
    const size_t nextras = sizeof extras / sizeof extras[0];
    sheaf_index *a = new_index(), *b = new_index();
    size_t joined = 0, extras_joined = 0;
    char id[32];
    for (size_t r = 0; r < nrounds; r++) {
        for (size_t k = 0; k < 3; k++) {
            snprintf(id, sizeof id, "c%zu.%zu", r, k);
            int64_t t = T0 + (int64_t)(r * 3 + k) * 5 * HOUR;
            sheaf_assignment x = add(a, id, rounds[r][k], t);
            sheaf_assignment y = add(b, id, rounds[r][k], t);
            same_decision(a, &x, b, &y);
            assert_string_equal(x.cluster, y.cluster);
            joined += x.match != NULL;
        }
        /* Odd rounds expire their extras, published before everything;
         * even ones remove them by id, newest first. */
        int expire = r % 2 == 1;
        for (size_t k = 0; k < nextras; k++) {
            snprintf(id, sizeof id, "x%zu.%zu", r, k);
            int64_t t = expire ? T0 - DAY + (int64_t)k
                               : T0 + (int64_t)(r * 3 + k) * 5 * HOUR;
            sheaf_assignment x = add(a, id, extras[k], t);
            extras_joined += x.match && x.match[0] == 'c';
        }
        if (expire) {
            size_t removed = 0;
            assert_int_equal(sheaf_index_expire(a, T0, &removed), SHEAF_OK);
            assert_int_equal(removed, nextras);
        }
        for (size_t k = nextras; !expire && k-- > 0;) {
            snprintf(id, sizeof id, "x%zu.%zu", r, k);
            assert_int_equal(sheaf_index_remove(a, id), SHEAF_OK);
        }
        char *sa = snapshot(a), *sb = snapshot(b);
        assert_string_equal(sa, sb);
        free(sa);
        free(sb);
    }
    /* The test means something: rewrites joined, and extras joined the
     * clusters that stay, which had to be rebuilt without them. */
    assert_true(joined >= 4);
    assert_true(extras_joined >= nrounds);
    for (size_t i = 0; i < 3; i++) {
        sheaf_match x, y;
        size_t n = query(a, bridge[i], T0 + 30 * HOUR, &x);
        assert_int_equal(query(b, bridge[i], T0 + 30 * HOUR, &y), n);
        if (n) {
            assert_string_equal(x.id, y.id);
            assert_true(bits_equal(x.similarity, y.similarity));
        }
    }
    sheaf_index_free(a);
    sheaf_index_free(b);
}

/* Ties after removals: the order that breaks them must be one that an
 * index of the same live articles also has, not the cluster's number
 * (slots are reused) or its creation (its first article may be gone).
 * Texts of distinct words, each once, have every term equally weighted,
 * so the vectors of their copies are equal to the bit whenever they were
 * added: such ties are exact. */
static const char *const alpha =
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo "
    "lima mike november oscar papa quebec romeo sierra tango";
static const char *const fruit =
    "apple banana cherry damson elder fig grape honeydew ilama jujube kiwi "
    "lemon mango nectarine olive peach quince raspberry satsuma tangerine";
static const char *const mixed_query =
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo "
    "lima mike november oscar papa quebec romeo sierra tango apple banana "
    "cherry damson elder";

/* Two clusters equally similar to an article; the first article of the
 * older is gone, and its survivor came after the other cluster. */
static void tie_clusters(sheaf_index *idx, int with_first)
{
    if (with_first)
        add(idx, "x0", alpha, T0);
    add(idx, "y0", alpha, T0 + 2 * HOUR); /* out of x0's window */
    add(idx, "x1", alpha, T0 + HOUR / 2);
    if (with_first)
        assert_int_equal(sheaf_index_remove(idx, "x0"), SHEAF_OK);
}

/* More than SHEAF__STORY_CANDIDATES clusters share bands with the query,
 * in two groups tied within; the one cluster within the window of the
 * query, "f39", is last of its group unless it takes the slot that a
 * removed article freed. */
static void tie_candidates(sheaf_index *idx, int with_junk)
{
    char id[16];
    if (with_junk)
        add(idx, "junk", "zulu yankee xray whiskey victor uniform", T0);
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof id, "a%d", i);
        add(idx, id, alpha, T0 + i * 2 * HOUR);
    }
    for (int i = 0; i < 39; i++) {
        snprintf(id, sizeof id, "f%d", i);
        add(idx, id, fruit, T0 + (100 + i * 2) * HOUR);
    }
    if (with_junk)
        assert_int_equal(sheaf_index_remove(idx, "junk"), SHEAF_OK);
    add(idx, "f39", fruit, T0 + 178 * HOUR);
}

static void test_ties_after_removal(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init_mode(&p, SHEAF_MODE_STORY);
    p.window = HOUR;
    sheaf_index *a = new_index_with(&p), *b = new_index_with(&p);
    tie_clusters(a, 1);
    tie_clusters(b, 0);
    sheaf_assignment x = add(a, "q", alpha, T0 + 75 * 60);
    sheaf_assignment y = add(b, "q", alpha, T0 + 75 * 60);
    assert_non_null(x.match);
    same_decision(a, &x, b, &y);
    sheaf_index_free(a);
    sheaf_index_free(b);

    a = new_index_with(&p);
    b = new_index_with(&p);
    tie_candidates(a, 1);
    tie_candidates(b, 0);
    x = add(a, "q", mixed_query, T0 + 178 * HOUR + HOUR / 2);
    y = add(b, "q", mixed_query, T0 + 178 * HOUR + HOUR / 2);
    same_decision(a, &x, b, &y);
    sheaf_index_free(a);
    sheaf_index_free(b);
}

/* -------------------------------------------------- query, determinism */

/* A query decides what the add that follows it does, and changes
 * nothing. Two runs over the same sequence give the same bits. */
static void test_query_and_determinism(void **state)
{
    (void)state;
    const char *const texts[] = {other[0],       bridge[0], other[1],
                                 resignation[0], bridge[1], other[2],
                                 resignation[1], bridge[2], other[3],
                                 resignation[2]};
    sheaf_index *a = new_index(), *b = new_index();
    for (size_t i = 0; i < 10; i++) {
        char id[8];
        snprintf(id, sizeof id, "a%zu", i);
        sheaf_match q;
        size_t n = query(a, texts[i], SHEAF_NO_TIME, &q);
        /* Counting only, with no room. */
        sheaf_article art = article(NULL, texts[i], SHEAF_NO_TIME);
        size_t count = 99;
        assert_int_equal(sheaf_index_query(a, &art, NULL, 0, &count),
                         SHEAF_OK);
        assert_int_equal(count, n);
        assert_int_equal(sheaf_index_size(a), i);
        sheaf_assignment x = add(a, id, texts[i], SHEAF_NO_TIME);
        sheaf_assignment y = add(b, id, texts[i], SHEAF_NO_TIME);
        assert_int_equal(n, x.match != NULL);
        if (n) {
            assert_string_equal(q.cluster, x.cluster);
            assert_string_equal(q.id, x.match);
            assert_true(bits_equal(q.similarity, x.similarity));
        }
        assert_string_equal(x.cluster, y.cluster);
        same_decision(a, &x, b, &y);
    }
    sheaf_index_free(a);
    sheaf_index_free(b);
}

/* ------------------------------------------------------------ arguments */

/* sheaf_errmsg names what failed. */
static void says(const char *word)
{
    if (!strstr(sheaf_errmsg(), word))
        fail_msg("sheaf_errmsg() is \"%s\", without \"%s\"", sheaf_errmsg(),
                 word);
}

static void test_params(void **state)
{
    (void)state;
    sheaf_params p, d;
    sheaf_params_init_mode(&d, SHEAF_MODE_STORY);
    assert_int_equal(d.mode, SHEAF_MODE_STORY);
    assert_int_equal(sheaf_params_validate(&d), SHEAF_OK);
    assert_int_equal(sheaf_params_validate(NULL), SHEAF_EINVAL);
    sheaf_index *idx = NULL, *untouched = (sheaf_index *)&d;
#define BAD(field, value)                                                      \
    do {                                                                       \
        p = d;                                                                 \
        p.field = value;                                                       \
        assert_int_equal(sheaf_params_validate(&p), SHEAF_EINVAL);             \
        says(#field);                                                          \
        idx = untouched;                                                       \
        assert_int_equal(sheaf_index_new(&p, &idx), SHEAF_EINVAL);             \
        says(#field);                                                          \
        assert_ptr_equal(idx, untouched);                                      \
    } while (0)
    BAD(threshold, 0);
    BAD(threshold, -0.5);
    BAD(threshold, 1.5);
    BAD(threshold, NAN);
    BAD(contrast, -0.1);
    BAD(contrast, 1.01);
    BAD(contrast, NAN);
    BAD(window, -1);
    BAD(mode, (sheaf_mode)77);
#undef BAD

    /* By name: an error names the parameter and changes nothing. */
    static const char *const bad[][2] = {
        {"threshold", "1.5"}, {"threshold", "0"},   {"threshold", "x"},
        {"contrast", "-0.1"}, {"contrast", "2"},    {"window", "-5"},
        {"window", "72x"},    {"window", "1.5h"},   {"mode", "stories"},
        {"seed", "-1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = d;
        assert_int_equal(sheaf_params_set(&p, bad[i][0], bad[i][1]),
                         SHEAF_EINVAL);
        says(bad[i][0]);
        assert_memory_equal(&p, &d, sizeof p);
    }
    p = d;
    assert_int_equal(sheaf_params_set(&p, "nosuch", "1"), SHEAF_ENOTFOUND);
    says("nosuch");
    assert_memory_equal(&p, &d, sizeof p);
    assert_int_equal(sheaf_params_set(&p, "threshold", "0.2"), SHEAF_OK);
    assert_true(p.threshold == 0.2);
    assert_int_equal(sheaf_params_set(&p, "contrast", "0"), SHEAF_OK);
    assert_true(p.contrast == 0);
    assert_int_equal(sheaf_params_set(&p, "window", "3d"), SHEAF_OK);
    assert_int_equal(p.window, 3 * DAY);
    char text[32];
    assert_int_equal(sheaf_params_format(&p, "window", text, sizeof text),
                     SHEAF_OK);
    assert_string_equal(text, "3d");
    /* Setting the mode changes only the mode. */
    p = d;
    assert_int_equal(sheaf_params_set(&p, "mode", "near"), SHEAF_OK);
    assert_int_equal(p.mode, SHEAF_MODE_NEAR);
    assert_true(p.threshold == d.threshold);

    /* Extreme but valid parameters work. */
    const double extremes[][2] = {{1, 0}, {1e-9, 1}, {1e-9, 0}};
    for (size_t i = 0; i < 3; i++) {
        p = d;
        p.threshold = extremes[i][0];
        p.contrast = extremes[i][1];
        idx = new_index_with(&p);
        sheaf_assignment b[3];
        run(idx, "b", bridge, 3, b);
        /* A similarity of 1 takes an equal vector, and a contrast of 1 a
         * similarity of 1 over a background of 0: a rewrite has neither. */
        if (p.threshold == 1 || p.contrast == 1)
            assert_null(b[1].match);
        else
            assert_non_null(b[1].match);
        sheaf_index_free(idx);
    }
}

static void test_bad_arguments(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init_mode(&p, SHEAF_MODE_STORY);
    sheaf_index *idx = NULL;
    assert_int_equal(sheaf_index_new(&p, NULL), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_new(NULL, &idx), SHEAF_EINVAL);
    assert_null(idx);
    idx = new_index_with(&p);
    /* Story mode has no hasher: it reads the text. */
    assert_null(sheaf_index_hasher(idx));
    assert_int_equal(sheaf_index_params(idx)->mode, SHEAF_MODE_STORY);

    sheaf_assignment as;
    sheaf_article a = article("a", "x", SHEAF_NO_TIME);
    assert_int_equal(sheaf_index_add(NULL, &a, &as), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_add(idx, NULL, &as), SHEAF_EINVAL);
    a.id = NULL;
    assert_int_equal(sheaf_index_add(idx, &a, &as), SHEAF_EINVAL);
    says("id");
    a.id = "";
    assert_int_equal(sheaf_index_add(idx, &a, &as), SHEAF_EINVAL);
    says("id");
    a = article("a", NULL, SHEAF_NO_TIME);
    a.len = 3;
    assert_int_equal(sheaf_index_add(idx, &a, &as), SHEAF_EINVAL);
    says("text");
    a = article("a", "x", SHEAF_NO_TIME);
    a.title_len = 3;
    assert_int_equal(sheaf_index_add(idx, &a, &as), SHEAF_EINVAL);
    says("title");
    a = article("a", "x", SHEAF_NO_TIME);
    a.size = 0; /* not made from SHEAF_ARTICLE_INIT */
    assert_int_equal(sheaf_index_add(idx, &a, &as), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_size(idx), 0);

    a = article("a", "x", SHEAF_NO_TIME);
    sheaf_match m;
    size_t count = 99;
    assert_int_equal(sheaf_index_query(NULL, &a, &m, 1, &count), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_query(idx, NULL, &m, 1, &count),
                     SHEAF_EINVAL);
    assert_int_equal(sheaf_index_query(idx, &a, &m, 1, NULL), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_query(idx, &a, NULL, 1, &count),
                     SHEAF_EINVAL);
    assert_int_equal(count, 99);
    assert_int_equal(sheaf_index_remove(NULL, "a"), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_remove(idx, NULL), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_expire(NULL, 0, NULL), SHEAF_EINVAL);
    const char *c = NULL;
    assert_int_equal(sheaf_index_cluster_of(NULL, "a", &c), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_size(NULL), 0);
    assert_int_equal(sheaf_index_cluster_count(NULL), 0);
    assert_null(sheaf_index_params(NULL));
    /* After all that, the index is as new, and works. */
    assert_int_equal(sheaf_index_size(idx), 0);
    assert_int_equal(sheaf_index_add(idx, &a, &as), SHEAF_OK);
    assert_int_equal(sheaf_index_add(idx, &a, &as), SHEAF_EEXIST);
    sheaf_index_free(idx);
    sheaf_index_free(NULL);
}

/* ---------------------------------------------------- allocation failures */

/* A sequence of adds, removals and expiries over the events. */
typedef struct step {
    char op;        /* 'a'dd, 'r'emove, 'e'xpire */
    const char *id; /* added or removed */
    int text;       /* added: an index into step_texts */
    int64_t time;   /* added: its time; expire: before */
} step;

static const char *const *step_texts(void)
{
    static const char *t[10];
    for (int i = 0; i < 4; i++)
        t[i] = other[i];
    for (int i = 0; i < 3; i++) {
        t[4 + i] = bridge[i];
        t[7 + i] = resignation[i];
    }
    return t;
}

static const step steps[] = {
    {'a', "o0", 0, T0},
    {'a', "b0", 4, T0 + HOUR},
    {'a', "o1", 1, T0 + 2 * HOUR},
    {'a', "b1", 5, T0 + 3 * HOUR},
    {'a', "g0", 7, T0 + 4 * HOUR},
    {'a', "o2", 2, SHEAF_NO_TIME},
    {'a', "b2", 6, T0 + 6 * HOUR},
    {'r', "b0", 0, 0},
    {'a', "g1", 8, T0 + 7 * HOUR},
    {'a', "o3", 3, T0 + 8 * HOUR},
    {'e', NULL, 0, T0 + 2 * HOUR + 1}, /* o0 and o1 */
    {'a', "g2", 9, T0 + 9 * HOUR},
    {'a', "b3", 4, T0 + 10 * HOUR}, /* joins "b0", which b0 left */
    {'r', "g0", 0, 0},
    {'a', "g3", 7, T0 + 11 * HOUR},
};
#define STEPS (sizeof steps / sizeof steps[0])

/* What a step gave, kept beyond the index's life. */
typedef struct outcome {
    int rc;
    char cluster[16], match[16];
    double similarity;
    size_t size, removed;
} outcome;

/* Run step i on idx; nothing but the call itself, so it can run armed. */
static int do_step(sheaf_index *idx, size_t i, sheaf_assignment *as,
                   size_t *removed)
{
    const step *s = &steps[i];
    if (s->op == 'r')
        return sheaf_index_remove(idx, s->id);
    if (s->op == 'e')
        return sheaf_index_expire(idx, s->time, removed);
    sheaf_article a = SHEAF_ARTICLE_INIT;
    a.id = s->id;
    a.text = step_texts()[s->text];
    a.len = strlen(a.text);
    a.time = s->time;
    return sheaf_index_add(idx, &a, as);
}

static outcome record(int rc, const sheaf_assignment *as, size_t removed,
                      char op)
{
    outcome o = {rc, "", "", 0, 0, removed};
    if (rc == SHEAF_OK && op == 'a') {
        snprintf(o.cluster, sizeof o.cluster, "%s", as->cluster);
        snprintf(o.match, sizeof o.match, "%s", as->match ? as->match : "");
        o.similarity = as->similarity;
        o.size = as->cluster_size;
    }
    return o;
}

static outcome run_step(sheaf_index *idx, size_t i)
{
    sheaf_assignment as;
    size_t removed = 0;
    int rc = do_step(idx, i, &as, &removed);
    return record(rc, &as, removed, steps[i].op);
}

static void same_outcome(const outcome *a, const outcome *b)
{
    assert_int_equal(a->rc, b->rc);
    assert_string_equal(a->cluster, b->cluster);
    assert_string_equal(a->match, b->match);
    assert_true(bits_equal(a->similarity, b->similarity));
    assert_int_equal(a->size, b->size);
    assert_int_equal(a->removed, b->removed);
}

/* The steps without failure: their outcomes, and the final contents
 * (clusters by name when sorted). */
static char *reference(outcome want[STEPS], int sorted)
{
    sheaf_index *idx = new_index();
    for (size_t i = 0; i < STEPS; i++) {
        want[i] = run_step(idx, i);
        assert_int_equal(want[i].rc, SHEAF_OK);
    }
    char *final = contents(idx, sorted);
    sheaf_index_free(idx);
    return final;
}

/* Step i with allocation k failing. SHEAF_OK when the step never reached
 * allocation k (then it must have succeeded untouched); else the step
 * must report SHEAF_ENOMEM with the index as it was. */
static int step_failing(sheaf_index *idx, size_t i, long k, outcome *got)
{
    char *before = snapshot(idx);
    sheaf_assignment as;
    size_t removed = 0;
    arm(k);
    int rc = do_step(idx, i, &as, &removed);
    long seen = allocations;
    arm(-1);
    *got = record(rc, &as, removed, steps[i].op);
    if (rc == SHEAF_OK) {
        assert_true(seen <= k); /* no allocation was failed */
    } else {
        assert_int_equal(rc, SHEAF_ENOMEM);
        assert_true(*sheaf_errmsg() != 0);
        char *after = snapshot(idx);
        assert_string_equal(after, before);
        free(after);
    }
    free(before);
    return rc;
}

/* Fail each allocation of each step in turn, in an index that went
 * through the steps before it: the step reports SHEAF_ENOMEM, leaves the
 * index as it was, and the index then gives exactly what an index that
 * never saw the failure gives, for that step retried and every later
 * one. */
static void test_allocation_failures(void **state)
{
    (void)state;
    if (!__real_malloc)
        skip();
    outcome want[STEPS];
    char *final = reference(want, 0);
    int failures = 0;
    for (size_t at = 0; at < STEPS; at++) {
        for (long k = 0;; k++) {
            sheaf_index *idx = new_index();
            for (size_t i = 0; i < at; i++)
                assert_int_equal(run_step(idx, i).rc, SHEAF_OK);
            outcome got;
            int rc = step_failing(idx, at, k, &got);
            if (rc == SHEAF_OK)
                same_outcome(&got, &want[at]);
            else
                failures++;
            for (size_t i = at + (rc == SHEAF_OK); i < STEPS; i++) {
                got = run_step(idx, i);
                same_outcome(&got, &want[i]);
            }
            char *s = snapshot(idx);
            assert_string_equal(s, final);
            free(s);
            sheaf_index_free(idx);
            if (rc == SHEAF_OK)
                break;
        }
    }
    assert_true(failures > (int)STEPS);
    free(final);

    /* Creating one. */
    sheaf_params p;
    sheaf_params_init_mode(&p, SHEAF_MODE_STORY);
    for (long k = 0;; k++) {
        sheaf_index *idx = (sheaf_index *)&p;
        arm(k);
        int rc = sheaf_index_new(&p, &idx);
        arm(-1);
        if (rc == SHEAF_OK) {
            sheaf_index_free(idx);
            break;
        }
        assert_int_equal(rc, SHEAF_ENOMEM);
        assert_ptr_equal(idx, (sheaf_index *)&p);
    }

    /* A query, on an index whose pool of working memory is empty (the
     * query then makes its own) and on one where it is not. */
    for (int warm = 0; warm < 2; warm++) {
        sheaf_index *idx = new_index();
        sheaf_match want_m = {0}, m;
        size_t want_n = 0;
        for (size_t i = 0; i < 7; i++)
            assert_int_equal(run_step(idx, i).rc, SHEAF_OK);
        sheaf_index *cold = new_index(); /* never queried nor added to */
        sheaf_index *q = warm ? idx : cold;
        if (warm)
            want_n = query(idx, bridge[2], SHEAF_NO_TIME, &want_m);
        sheaf_article a = article(NULL, bridge[2], SHEAF_NO_TIME);
        for (long k = 0;; k++) {
            size_t count = 99;
            arm(k);
            int rc = sheaf_index_query(q, &a, &m, 1, &count);
            arm(-1);
            if (rc == SHEAF_OK) {
                assert_int_equal(count, want_n);
                if (count)
                    assert_true(bits_equal(m.similarity, want_m.similarity));
                break;
            }
            assert_int_equal(rc, SHEAF_ENOMEM);
            assert_int_equal(count, 99);
        }
        sheaf_index_free(cold);
        sheaf_index_free(idx);
    }
}

/* A stored index in a directory of its own; the path into out. */
static void temp_store(char dir[64], char path[96])
{
    snprintf(dir, 64, "/tmp/sheaf-story-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, 96, "%s/story.sheaf", dir);
}

static void remove_store(const char *dir, const char *path)
{
    char lock[128];
    snprintf(lock, sizeof lock, "%s-lock", path);
    unlink(path);
    unlink(lock);
    assert_int_equal(rmdir(dir), 0);
}

/* A stored index: every failed step, retried with the next allocation
 * failing, leaves memory and disk as they were (the store's writes come
 * after every allocation), so the reopened index holds exactly the
 * reference's articles; and opening it fails cleanly too. */
static void test_allocation_failures_stored(void **state)
{
    (void)state;
    if (!__real_malloc)
        skip();
    outcome want[STEPS];
    char *final = reference(want, 1);
    char dir[64], path[96];
    temp_store(dir, path);
    sheaf_params p;
    sheaf_params_init_mode(&p, SHEAF_MODE_STORY);

    /* Creating it: a failed open leaves no file behind. */
    sheaf_index *idx = NULL;
    for (long k = 0;; k++) {
        arm(k);
        int rc = sheaf_index_open(path, &p, 0, &idx);
        arm(-1);
        if (rc == SHEAF_OK)
            break;
        assert_int_equal(rc, SHEAF_ENOMEM);
        assert_int_equal(access(path, F_OK), -1);
    }
    int failures = 0;
    for (size_t at = 0; at < STEPS; at++) {
        outcome got;
        for (long k = 0; step_failing(idx, at, k, &got) != SHEAF_OK; k++)
            failures++;
        same_outcome(&got, &want[at]);
    }
    assert_true(failures > (int)STEPS);
    sheaf_index_free(idx);

    /* Reopening it: every failure is a clean SHEAF_ENOMEM, and then it
     * holds what the reference held. */
    for (long k = 0;; k++) {
        idx = NULL;
        arm(k);
        int rc = sheaf_index_open(path, &p, 0, &idx);
        arm(-1);
        if (rc == SHEAF_OK)
            break;
        assert_int_equal(rc, SHEAF_ENOMEM);
        assert_null(idx);
    }
    /* Sorted: a reopened index lists its clusters in the order of their
     * first live members, not of their making. */
    char *s = contents(idx, 1);
    assert_string_equal(s, final);
    free(s);
    free(final);
    sheaf_index_free(idx);
    remove_store(dir, path);
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
    qsort(names, (size_t)n, sizeof names[0], by_name); /* as a glob */
    sheaf_index *idx = new_index();
    char cluster[5][64];
    for (int i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        static char text[1 << 16];
        size_t len = fread(text, 1, sizeof text, f);
        fclose(f);
        sheaf_article a = SHEAF_ARTICLE_INIT;
        a.id = names[i];
        a.text = text;
        a.len = len;
        sheaf_assignment as;
        assert_int_equal(sheaf_index_add(idx, &a, &as), SHEAF_OK);
        snprintf(cluster[i], sizeof cluster[i], "%s", as.cluster);
    }
    assert_string_equal(cluster[0], names[0]);
    assert_string_equal(cluster[1], cluster[0]);
    assert_string_equal(cluster[2], cluster[0]);
    assert_string_equal(cluster[3], cluster[0]);
    assert_string_equal(cluster[4], names[4]);
    assert_int_equal(sheaf_index_cluster_count(idx), 2);
    sheaf_index_free(idx);
    for (int i = 0; i < n; i++)
        free(names[i]);
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
        cmocka_unit_test(test_titles),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_random_churn),
        cmocka_unit_test(test_removal_differential),
        cmocka_unit_test(test_ties_after_removal),
        cmocka_unit_test(test_query_and_determinism),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_allocation_failures_stored),
        cmocka_unit_test(test_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
