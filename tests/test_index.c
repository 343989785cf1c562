/*
 * The public index API: assignment, removal, cluster naming, queries, the
 * cap/count protocol, random operations against a naive model, replay
 * determinism, and allocation failures.
 *
 * Allocation failures are injected by wrapping malloc, calloc and realloc at
 * link time (TEST_LDFLAGS_test_index in the Makefile: -Wl,--wrap=...), which
 * redirects every call made by the statically linked library to the
 * __wrap_* functions below. Built without those flags the wrappers are never
 * called and the allocation-failure test skips itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "near/lsh.h"
#include "api.h"
#include "sheaf.h"

/* ------------------------------------------------- allocation failures */

extern void *__real_malloc(size_t n) __attribute__((weak));
extern void *__real_calloc(size_t n, size_t size) __attribute__((weak));
extern void *__real_realloc(void *p, size_t n) __attribute__((weak));

/* Allocations seen through the wrappers. Volatile: the compiler may assume
 * that malloc leaves the test's own static variables alone. */
static volatile long alloc_calls;
static long fail_at = -1;      /* index of the allocation to fail; -1: none */
static int fail_persistent;    /* fail every allocation from fail_at on */

static int should_fail(void)
{
    long i = alloc_calls++;
    if (fail_at < 0)
        return 0;
    return fail_persistent ? i >= fail_at : i == fail_at;
}

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
    return should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : __real_realloc(p, n);
}

/* Fail the allocation `at` (counted from now) and, if persistent, all after
 * it; arm(-1, 0) disarms. */
static void arm(long at, int persistent)
{
    alloc_calls = 0;
    fail_at = at;
    fail_persistent = persistent;
}

static int wrapping_active(void)
{
    static void *volatile sink; /* keeps the compiler from eliding malloc */
    long before = alloc_calls;
    sink = malloc(16);
    free(sink);
    return alloc_calls != before;
}

/* ---------------------------------------------------------------- texts */

static uint64_t rng_state;

static uint64_t next64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t below(uint32_t n) { return (uint32_t)((next64() >> 32) * n >> 32); }

#define VOCAB 3000
static char vocab[VOCAB][12];

static void make_vocab(void)
{
    uint64_t saved = rng_state;
    rng_state = 424242;
    for (int i = 0; i < VOCAB; i++) {
        uint32_t len = 3 + below(7);
        for (uint32_t c = 0; c < len; c++)
            vocab[i][c] = (char)('a' + below(26));
        vocab[i][len] = 0;
    }
    rng_state = saved;
}

#define MAX_WORDS 80
typedef struct family {
    uint32_t words[MAX_WORDS];
    uint32_t n;
} family;

static void make_family(family *f)
{
    f->n = 30 + below(MAX_WORDS - 30);
    for (uint32_t i = 0; i < f->n; i++)
        f->words[i] = below(VOCAB);
}

/* A variant of the family's text: `edits` words replaced at random. */
static size_t variant(const family *f, uint32_t edits, char *out)
{
    uint32_t w[MAX_WORDS];
    memcpy(w, f->words, f->n * sizeof w[0]);
    for (uint32_t e = 0; e < edits; e++)
        w[below(f->n)] = below(VOCAB);
    size_t len = 0;
    for (uint32_t i = 0; i < f->n; i++)
        len += (size_t)sprintf(out + len, "%s%s", i ? " " : "", vocab[w[i]]);
    return len;
}

/* ------------------------------------------------------------- helpers */

static const char A[] =
    "The city council voted on Tuesday to approve a new budget that "
    "increases spending on public transport, road repairs and school "
    "buildings, while cutting the administrative costs of several "
    "departments by ten percent over the next two years.";
/* A with one more sentence: about 0.9 similar with word 5-shingles. */
static const char A2[] =
    "The city council voted on Tuesday to approve a new budget that "
    "increases spending on public transport, road repairs and school "
    "buildings, while cutting the administrative costs of several "
    "departments by ten percent over the next two years. Officials "
    "welcomed it.";
static const char B[] =
    "Heavy snowfall disrupted flights across northern Europe on Sunday, "
    "stranding thousands of passengers at airports in Oslo, Stockholm and "
    "Helsinki as crews struggled to clear runways.";

static sheaf_index *new_index(const sheaf_params *p)
{
    sheaf_index *idx = NULL;
    assert_int_equal(sheaf_index_new(p, &idx), SHEAF_OK);
    assert_non_null(idx);
    return idx;
}

static sheaf_index *default_index(void)
{
    sheaf_params p;
    sheaf_params_init(&p);
    return new_index(&p);
}

static int add_str(sheaf_index *idx, const char *id, const char *text,
                   sheaf_assignment *a)
{
    return t_add(idx, id, text, strlen(text), a);
}

static const char *cluster_of(const sheaf_index *idx, const char *id)
{
    const char *c = NULL;
    int rc = sheaf_index_cluster_of(idx, id, &c);
    if (rc == SHEAF_ENOTFOUND)
        return NULL;
    assert_int_equal(rc, SHEAF_OK);
    assert_non_null(c);
    return c;
}

/* The members of a cluster joined by commas, "-" when there is none. */
static void members_str(const sheaf_index *idx, const char *cluster, char *out,
                        size_t cap)
{
    const char *ids[512];
    size_t n = 0;
    int rc = sheaf_index_cluster_members(idx, cluster, ids, 512, &n);
    if (rc == SHEAF_ENOTFOUND) {
        snprintf(out, cap, "-");
        return;
    }
    assert_int_equal(rc, SHEAF_OK);
    assert_true(n <= 512);
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "," : "",
                                ids[i]);
}

static void sign_with(const sheaf_index *idx, const char *text,
                      sheaf_signature *sig)
{
    assert_int_equal(sheaf_hasher_sign(sheaf_index_hasher(idx), text,
                                       strlen(text), sig),
                     SHEAF_OK);
}

/* The similarity the index estimates: it keeps the low 16 bits of each
 * value (sheaf.h at sheaf_index_add). */
static double similarity16(const sheaf_signature *a, const sheaf_signature *b)
{
    uint32_t same = 0;
    if (!a->num_shingles || !b->num_shingles)
        return 0.0;
    for (uint32_t i = 0; i < a->num_hashes; i++)
        same += (uint16_t)a->values[i] == (uint16_t)b->values[i];
    return (double)same / a->num_hashes;
}

/* ---------------------------------------------------------- basic API */

static void test_add_and_join(void **state)
{
    (void)state;
    sheaf_index *idx = default_index();
    sheaf_assignment a;
    assert_int_equal(sheaf_index_size(idx), 0);
    assert_int_equal(sheaf_index_cluster_count(idx), 0);

    memset(&a, 0x5a, sizeof a);
    assert_int_equal(add_str(idx, "a1", A, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "a1");
    assert_null(a.match);
    assert_true(a.similarity == 0.0);
    assert_int_equal(a.cluster_size, 1);
    assert_int_equal(sheaf_index_size(idx), 1);
    assert_int_equal(sheaf_index_cluster_count(idx), 1);

    assert_int_equal(add_str(idx, "a2", A2, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "a1");
    assert_string_equal(a.match, "a1");
    static sheaf_signature s1, s2;
    sign_with(idx, A, &s1);
    sign_with(idx, A2, &s2);
    double want = similarity16(&s1, &s2), full = 0;
    assert_int_equal(sheaf_signature_similarity(&s1, &s2, &full), SHEAF_OK);
    assert_true(full >= 0.5);
    assert_true(a.similarity == want);
    /* The low 16 bits may agree where the values differ, never the other
     * way round. */
    assert_true(want >= full);
    assert_int_equal(a.cluster_size, 2);

    assert_int_equal(add_str(idx, "b1", B, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "b1");
    assert_null(a.match);
    assert_int_equal(a.cluster_size, 1);

    /* An exact copy matches with similarity 1; the most similar (A2 is
     * closer to itself than A is) wins. */
    assert_int_equal(add_str(idx, "a3", A2, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "a1");
    assert_string_equal(a.match, "a2");
    assert_true(a.similarity == 1.0);
    assert_int_equal(a.cluster_size, 3);
    /* out may be NULL. */
    assert_int_equal(add_str(idx, "b2", B, NULL), SHEAF_OK);
    assert_string_equal(cluster_of(idx, "b2"), "b1");

    assert_int_equal(sheaf_index_size(idx), 5);
    assert_int_equal(sheaf_index_cluster_count(idx), 2);
    assert_string_equal(cluster_of(idx, "a1"), "a1");
    assert_string_equal(cluster_of(idx, "a2"), "a1");
    assert_string_equal(cluster_of(idx, "a3"), "a1");
    assert_string_equal(cluster_of(idx, "b1"), "b1");
    assert_null(cluster_of(idx, "zz"));
    const char *c = "untouched";
    assert_int_equal(sheaf_index_cluster_of(idx, "zz", &c), SHEAF_ENOTFOUND);
    assert_string_equal(c, "untouched");
    char m[256];
    members_str(idx, "a1", m, sizeof m);
    assert_string_equal(m, "a1,a2,a3");
    members_str(idx, "b1", m, sizeof m);
    assert_string_equal(m, "b1,b2");
    sheaf_index_free(idx);
}

static void test_invalid_args(void **state)
{
    (void)state;
    sheaf_index *idx = default_index();
    sheaf_assignment a;
    static sheaf_signature sig;
    const char *c;
    size_t n;
    sheaf_match mt[2];
    sheaf_params p;
    sheaf_params_init(&p);

    assert_int_equal(sheaf_index_new(&p, NULL), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_new(NULL, &idx), SHEAF_EINVAL);
    assert_int_equal(t_add(NULL, "x", "a", 1, &a), SHEAF_EINVAL);
    assert_int_equal(t_add(idx, NULL, "a", 1, &a), SHEAF_EINVAL);
    assert_int_equal(t_add(idx, "", "a", 1, &a), SHEAF_EINVAL);
    assert_int_equal(t_add(idx, "x", NULL, 1, &a), SHEAF_EINVAL);
    sign_with(idx, A, &sig);
    assert_int_equal(t_add_sig(NULL, "x", &sig, &a), SHEAF_EINVAL);
    assert_int_equal(t_add_sig(idx, NULL, &sig, &a), SHEAF_EINVAL);
    assert_int_equal(t_add_sig(idx, "", &sig, &a), SHEAF_EINVAL);
    /* The article itself: NULL, or a size no release ever had. */
    assert_int_equal(sheaf_index_add(idx, NULL, &a), SHEAF_EINVAL);
    assert_non_null(strstr(sheaf_errmsg(), "article"));
    sheaf_article bad = SHEAF_ARTICLE_INIT;
    bad.id = "x";
    bad.size = 3;
    assert_int_equal(sheaf_index_add(idx, &bad, &a), SHEAF_EINVAL);
    assert_non_null(strstr(sheaf_errmsg(), "SHEAF_ARTICLE_INIT"));
    assert_int_equal(sheaf_index_query(idx, &bad, mt, 2, &n), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_query(idx, NULL, mt, 2, &n), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_size(idx), 0);
    assert_int_equal(sheaf_index_cluster_count(idx), 0);
    /* NULL text of length 0 is an empty text. */
    assert_int_equal(t_add(idx, "e", NULL, 0, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "e");

    assert_int_equal(sheaf_index_remove(NULL, "e"), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_remove(idx, NULL), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_cluster_of(NULL, "e", &c), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_cluster_of(idx, NULL, &c), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_cluster_of(idx, "e", NULL), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_cluster_members(NULL, "e", NULL, 0, &n), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_cluster_members(idx, NULL, NULL, 0, &n), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_cluster_members(idx, "e", NULL, 0, NULL), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_cluster_members(idx, "e", NULL, 1, &n), SHEAF_EINVAL);
    assert_int_equal(t_query(NULL, A, strlen(A), mt, 2, &n), SHEAF_EINVAL);
    assert_int_equal(t_query(idx, NULL, 5, mt, 2, &n), SHEAF_EINVAL);
    assert_int_equal(t_query(idx, A, strlen(A), mt, 2, NULL), SHEAF_EINVAL);
    assert_int_equal(t_query(idx, A, strlen(A), NULL, 2, &n), SHEAF_EINVAL);
    assert_int_equal(t_query_sig(NULL, &sig, mt, 2, &n), SHEAF_EINVAL);
    assert_int_equal(t_query_sig(idx, &sig, NULL, 1, &n), SHEAF_EINVAL);
    assert_int_equal(t_query_sig(idx, &sig, mt, 2, NULL), SHEAF_EINVAL);
    sheaf_index_free(idx);
}

static void test_null_index(void **state)
{
    (void)state;
    sheaf_index_free(NULL);
    assert_int_equal(sheaf_index_size(NULL), 0);
    assert_int_equal(sheaf_index_cluster_count(NULL), 0);
    assert_null(sheaf_index_params(NULL));
    assert_null(sheaf_index_hasher(NULL));
}

/* The index's parameters have bands and rows resolved; its hasher is made
 * for them. */
static void test_params_and_hasher(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init(&p);
    p.threshold = 0.7;
    p.num_hashes = 100;
    p.seed = 99;
    sheaf_index *idx = new_index(&p);
    const sheaf_params *q = sheaf_index_params(idx);
    assert_non_null(q);
    uint32_t b, r;
    assert_int_equal(sheaf_params_choose_bands(&p, &b, &r), SHEAF_OK);
    assert_int_equal(q->bands, b);
    assert_int_equal(q->rows, r);
    assert_true(q->threshold == 0.7);
    assert_int_equal(q->num_hashes, 100);
    assert_true(q->seed == 99);
    const sheaf_hasher *h = sheaf_index_hasher(idx);
    assert_non_null(h);
    static sheaf_signature s1, s2;
    assert_int_equal(sheaf_hasher_sign(h, A, strlen(A), &s1), SHEAF_OK);
    assert_int_equal(sheaf_sign(&p, A, strlen(A), &s2), SHEAF_OK);
    assert_memory_equal(&s1, &s2, offsetof(sheaf_signature, values) +
                                      100 * sizeof s1.values[0]);
    sheaf_index_free(idx);
    /* An override is kept as given. */
    p.bands = 10;
    p.rows = 5;
    idx = new_index(&p);
    assert_int_equal(sheaf_index_params(idx)->bands, 10);
    assert_int_equal(sheaf_index_params(idx)->rows, 5);
    sheaf_index_free(idx);
    /* Bad parameters. */
    p.rows = 11;
    idx = (sheaf_index *)0x1;
    assert_int_equal(sheaf_index_new(&p, &idx), SHEAF_EINVAL);
    assert_ptr_equal(idx, (sheaf_index *)0x1);
}

/* ---------------------------------------------------- ids and removal */

static void test_eexist(void **state)
{
    (void)state;
    sheaf_index *idx = default_index();
    sheaf_assignment a;
    assert_int_equal(add_str(idx, "a1", A, &a), SHEAF_OK);
    assert_int_equal(add_str(idx, "a2", A2, &a), SHEAF_OK);
    assert_int_equal(add_str(idx, "b1", B, &a), SHEAF_OK);

    /* A repeated id, with the same or another text. */
    memset(&a, 0x5a, sizeof a);
    sheaf_assignment before = a;
    assert_int_equal(add_str(idx, "a1", A, &a), SHEAF_EEXIST);
    assert_int_equal(add_str(idx, "a2", B, &a), SHEAF_EEXIST);
    assert_int_equal(add_str(idx, "b1", "", &a), SHEAF_EEXIST);
    assert_memory_equal(&a, &before, sizeof a); /* out untouched */
    assert_int_equal(sheaf_index_size(idx), 3);
    assert_int_equal(sheaf_index_cluster_count(idx), 2);

    /* a1 goes; its cluster keeps the name, which stays taken. */
    assert_int_equal(sheaf_index_remove(idx, "a1"), SHEAF_OK);
    assert_null(cluster_of(idx, "a1"));
    assert_string_equal(cluster_of(idx, "a2"), "a1");
    assert_int_equal(add_str(idx, "a1", B, &a), SHEAF_EEXIST);
    assert_int_equal(add_str(idx, "a1", "", &a), SHEAF_EEXIST);
    assert_int_equal(sheaf_index_size(idx), 2);
    /* Once the cluster is gone, the id is free again. */
    assert_int_equal(sheaf_index_remove(idx, "a2"), SHEAF_OK);
    assert_int_equal(sheaf_index_cluster_count(idx), 1);
    assert_int_equal(add_str(idx, "a1", B, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "b1");
    assert_string_equal(a.match, "b1");
    /* Ids are compared as whole strings. */
    assert_int_equal(add_str(idx, "b", B, &a), SHEAF_OK);
    assert_int_equal(add_str(idx, "b11", B, &a), SHEAF_OK);
    assert_int_equal(sheaf_index_size(idx), 4);
    sheaf_index_free(idx);
}

static void test_remove(void **state)
{
    (void)state;
    sheaf_index *idx = default_index();
    sheaf_assignment a;
    char m[256];
    assert_int_equal(add_str(idx, "a1", A, &a), SHEAF_OK);
    assert_int_equal(add_str(idx, "a2", A2, &a), SHEAF_OK);
    assert_int_equal(add_str(idx, "a3", A, &a), SHEAF_OK);
    assert_int_equal(add_str(idx, "b1", B, &a), SHEAF_OK);
    assert_int_equal(sheaf_index_cluster_count(idx), 2);

    assert_int_equal(sheaf_index_remove(idx, "nope"), SHEAF_ENOTFOUND);
    assert_int_equal(sheaf_index_remove(idx, ""), SHEAF_ENOTFOUND);
    assert_int_equal(sheaf_index_remove(idx, "a"), SHEAF_ENOTFOUND);

    /* The naming article goes: the cluster keeps its name. */
    assert_int_equal(sheaf_index_remove(idx, "a1"), SHEAF_OK);
    assert_int_equal(sheaf_index_remove(idx, "a1"), SHEAF_ENOTFOUND);
    assert_int_equal(sheaf_index_size(idx), 3);
    assert_int_equal(sheaf_index_cluster_count(idx), 2);
    members_str(idx, "a1", m, sizeof m);
    assert_string_equal(m, "a2,a3");
    assert_string_equal(cluster_of(idx, "a3"), "a1");
    /* New articles still join it under that name, matching a survivor. */
    assert_int_equal(add_str(idx, "a4", A, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "a1");
    assert_string_equal(a.match, "a3");
    assert_true(a.similarity == 1.0);
    assert_int_equal(a.cluster_size, 3);
    members_str(idx, "a1", m, sizeof m);
    assert_string_equal(m, "a2,a3,a4");
    /* A removed article is never matched again. */
    sheaf_match mt[8];
    size_t n = 0;
    assert_int_equal(t_query(idx, A, strlen(A), mt, 8, &n), SHEAF_OK);
    for (size_t i = 0; i < n && i < 8; i++)
        assert_string_not_equal(mt[i].id, "a1");

    /* Emptying a cluster removes it. */
    assert_int_equal(sheaf_index_remove(idx, "b1"), SHEAF_OK);
    assert_int_equal(sheaf_index_cluster_count(idx), 1);
    n = 99;
    assert_int_equal(sheaf_index_cluster_members(idx, "b1", NULL, 0, &n),
                     SHEAF_ENOTFOUND);
    assert_int_equal(n, 99);
    assert_int_equal(add_str(idx, "b2", B, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "b2"); /* nothing left to match */
    assert_null(a.match);

    assert_int_equal(sheaf_index_remove(idx, "a2"), SHEAF_OK);
    assert_int_equal(sheaf_index_remove(idx, "a4"), SHEAF_OK);
    members_str(idx, "a1", m, sizeof m);
    assert_string_equal(m, "a3");
    assert_int_equal(sheaf_index_remove(idx, "a3"), SHEAF_OK);
    members_str(idx, "a1", m, sizeof m);
    assert_string_equal(m, "-");
    assert_int_equal(sheaf_index_cluster_count(idx), 1);
    assert_int_equal(sheaf_index_remove(idx, "b2"), SHEAF_OK);
    assert_int_equal(sheaf_index_size(idx), 0);
    assert_int_equal(sheaf_index_cluster_count(idx), 0);
    assert_int_equal(t_query(idx, A, strlen(A), mt, 8, &n), SHEAF_OK);
    assert_int_equal(n, 0);
    sheaf_index_free(idx);
}

static void test_cluster_members_protocol(void **state)
{
    (void)state;
    sheaf_index *idx = default_index();
    char id[16];
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "m%d", i);
        assert_int_equal(add_str(idx, id, i % 2 ? A2 : A, NULL), SHEAF_OK);
    }
    const char *ids[8];
    const char *sentinel = "sentinel";
    size_t n = 0;
    /* cap 0: just the count. */
    assert_int_equal(sheaf_index_cluster_members(idx, "m0", NULL, 0, &n), SHEAF_OK);
    assert_int_equal(n, 6);
    /* A short array gets the first cap, in order; nothing beyond. */
    for (int i = 0; i < 8; i++)
        ids[i] = sentinel;
    n = 0;
    assert_int_equal(sheaf_index_cluster_members(idx, "m0", ids, 4, &n), SHEAF_OK);
    assert_int_equal(n, 6);
    for (int i = 0; i < 4; i++) {
        snprintf(id, sizeof id, "m%d", i);
        assert_string_equal(ids[i], id);
    }
    assert_ptr_equal(ids[4], sentinel);
    /* A large one gets all, the rest untouched. */
    assert_int_equal(sheaf_index_cluster_members(idx, "m0", ids, 8, &n), SHEAF_OK);
    assert_int_equal(n, 6);
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "m%d", i);
        assert_string_equal(ids[i], id);
    }
    assert_ptr_equal(ids[6], sentinel);
    /* Removal from the middle, the head and the tail keeps the order. */
    assert_int_equal(sheaf_index_remove(idx, "m2"), SHEAF_OK);
    assert_int_equal(sheaf_index_remove(idx, "m0"), SHEAF_OK);
    assert_int_equal(sheaf_index_remove(idx, "m5"), SHEAF_OK);
    assert_int_equal(add_str(idx, "m9", A, NULL), SHEAF_OK);
    char m[256];
    members_str(idx, "m0", m, sizeof m);
    assert_string_equal(m, "m1,m3,m4,m9");
    /* Not a cluster name, though it is an article's id. */
    assert_int_equal(sheaf_index_cluster_members(idx, "m1", ids, 8, &n),
                     SHEAF_ENOTFOUND);
    assert_int_equal(sheaf_index_cluster_members(idx, "", ids, 8, &n),
                     SHEAF_ENOTFOUND);
    sheaf_index_free(idx);
}

/* Texts without words: their own cluster, never a match, never matched. */
static void test_no_words(void **state)
{
    (void)state;
    sheaf_index *idx = default_index();
    sheaf_assignment a;
    assert_int_equal(add_str(idx, "e1", "", &a), SHEAF_OK);
    assert_string_equal(a.cluster, "e1");
    assert_null(a.match);
    assert_int_equal(add_str(idx, "e2", "", &a), SHEAF_OK);
    assert_string_equal(a.cluster, "e2");
    assert_null(a.match);
    assert_int_equal(add_str(idx, "e3", " ... !!! ", &a), SHEAF_OK);
    assert_string_equal(a.cluster, "e3");
    assert_int_equal(add_str(idx, "a1", A, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "a1");
    assert_null(a.match);
    assert_int_equal(sheaf_index_cluster_count(idx), 4);
    sheaf_match mt[4];
    size_t n = 99;
    assert_int_equal(t_query(idx, "", 0, mt, 4, &n), SHEAF_OK);
    assert_int_equal(n, 0);
    assert_int_equal(t_query(idx, "?!", 2, mt, 4, &n), SHEAF_OK);
    assert_int_equal(n, 0);
    assert_int_equal(t_query(idx, A, strlen(A), mt, 4, &n), SHEAF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(mt[0].id, "a1");
    assert_int_equal(sheaf_index_remove(idx, "e2"), SHEAF_OK);
    assert_int_equal(sheaf_index_cluster_count(idx), 3);
    assert_int_equal(sheaf_index_remove(idx, "e1"), SHEAF_OK);
    assert_int_equal(add_str(idx, "e4", "", &a), SHEAF_OK);
    assert_string_equal(a.cluster, "e4");
    sheaf_index_free(idx);
}

/* ------------------------------------------------ crafted signatures */

/* The verification bar of sheaf.h: threshold - sqrt(t (1 - t) / n). */
static double bar(const sheaf_params *p)
{
    double t = p->threshold;
    return t - sqrt(t * (1 - t) / p->num_hashes);
}

/* Equal values needed to pass verification. */
static uint32_t needed(const sheaf_params *p)
{
    uint32_t s = 0;
    while (s < p->num_hashes && (double)s / p->num_hashes < bar(p))
        s++;
    return s;
}

/* Signatures with chosen values make exact similarities: 128 hashes in 32
 * bands of 4 rows, threshold 0.6, so the bar is 0.6 - sqrt(0.24 / 128) =
 * 0.5567 and 72 equal values are needed (71.26 rounded up). */
static sheaf_params crafted_params(void)
{
    sheaf_params p;
    sheaf_params_init(&p);
    p.threshold = 0.6;
    p.bands = 32;
    p.rows = 4;
    return p;
}

/* Value i of "family" f; different families differ everywhere. */
static uint32_t val(uint32_t f, uint32_t i) { return f * 1000u + i; }

/* A signature whose value i is val(pick[i], i). */
static void crafted(const sheaf_index *idx, const uint32_t *pick,
                    sheaf_signature *sig)
{
    sign_with(idx, "any text at all will do here", sig);
    assert_true(sig->num_shingles > 0);
    for (uint32_t i = 0; i < 128; i++)
        sig->values[i] = val(pick[i], i);
}

static void fill(uint32_t *pick, uint32_t from, uint32_t to, uint32_t f)
{
    for (uint32_t i = from; i < to; i++)
        pick[i] = f;
}

/* P is family 1 everywhere; Q shares the first half with P (0.5 < 0.6: two
 * clusters). R is added after both, in a fresh index, P first or Q first. */
static void scenario(const uint32_t *pr, int q_first, const char *cluster,
                     const char *match, uint32_t same)
{
    sheaf_params p = crafted_params();
    static sheaf_signature P, Q, R;
    uint32_t pp[128], pq[128];
    fill(pp, 0, 128, 1);
    fill(pq, 0, 64, 1);
    fill(pq, 64, 128, 2);
    sheaf_index *idx = new_index(&p);
    crafted(idx, pp, &P);
    crafted(idx, pq, &Q);
    crafted(idx, pr, &R);
    sheaf_assignment a;
    assert_int_equal(t_add_sig(idx, q_first ? "q" : "p",
                                               q_first ? &Q : &P, &a),
                     SHEAF_OK);
    assert_int_equal(t_add_sig(idx, q_first ? "p" : "q",
                                               q_first ? &P : &Q, &a),
                     SHEAF_OK);
    assert_null(a.match);
    assert_int_equal(sheaf_index_cluster_count(idx), 2);
    assert_int_equal(t_add_sig(idx, "r", &R, &a), SHEAF_OK);
    assert_string_equal(a.cluster, cluster);
    if (match) {
        assert_non_null(a.match);
        assert_string_equal(a.match, match);
        assert_true(a.similarity == same / 128.0);
        assert_int_equal(a.cluster_size, 2);
    } else {
        assert_null(a.match);
        assert_true(a.similarity == 0.0);
        assert_int_equal(a.cluster_size, 1);
    }
    sheaf_index_free(idx);
}

static void test_best_match_and_ties(void **state)
{
    (void)state;
    uint32_t pr[128];
    sheaf_params p = crafted_params();
    assert_int_equal(needed(&p), 72);
    p.threshold = 0.5; /* the defaults: the manual's 0.456 */
    assert_true(fabs(bar(&p) - 0.456) < 0.0005);
    for (int q_first = 0; q_first < 2; q_first++) {
        /* 96 equal to P's and 96 to Q's: a tie, the earlier one wins. */
        fill(pr, 0, 80, 1);
        fill(pr, 80, 96, 2);
        fill(pr, 96, 112, 1);
        fill(pr, 112, 128, 2);
        scenario(pr, q_first, q_first ? "q" : "p", q_first ? "q" : "p", 96);
        /* 104 with P, 88 with Q: the most similar, added first or not. */
        fill(pr, 0, 104, 1);
        fill(pr, 104, 128, 2);
        scenario(pr, q_first, "p", "p", 104);
        /* 72 with P (passes), 120 with Q (better). */
        fill(pr, 0, 72, 1);
        fill(pr, 72, 128, 2);
        scenario(pr, q_first, "q", "q", 120);
        /* Exactly the 72 values verification needs: 72/128 = 0.5625, below
         * the threshold but not below the bar. */
        fill(pr, 0, 72, 1);
        fill(pr, 72, 128, 3);
        scenario(pr, q_first, "p", "p", 72);
        /* One fewer: 71/128 < 0.5567, a new cluster. */
        fill(pr, 0, 71, 1);
        fill(pr, 71, 128, 3);
        scenario(pr, q_first, "r", NULL, 0);
        /* One shared band proposes both; the similarity rejects them. */
        fill(pr, 0, 4, 1);
        fill(pr, 4, 128, 3);
        scenario(pr, q_first, "r", NULL, 0);
    }
}

/* Threshold 1: only identical signatures join. */
static void test_threshold_one(void **state)
{
    (void)state;
    sheaf_params p = crafted_params();
    p.threshold = 1.0;
    p.bands = 0;
    p.rows = 0;
    sheaf_index *idx = new_index(&p);
    static sheaf_signature s;
    uint32_t pick[128];
    sheaf_assignment a;
    fill(pick, 0, 128, 1);
    crafted(idx, pick, &s);
    assert_int_equal(t_add_sig(idx, "x", &s, &a), SHEAF_OK);
    assert_int_equal(t_add_sig(idx, "y", &s, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "x");
    assert_true(a.similarity == 1.0);
    pick[127] = 2;
    crafted(idx, pick, &s);
    assert_int_equal(t_add_sig(idx, "z", &s, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "z");
    sheaf_index_free(idx);
}

/* A threshold below 1 / (num_hashes + 1) puts the verification bar below 0:
 * every candidate passes, however few values it shares.
 *
 * Regression: the negative bar used to reach the (uint32_t)floor(threshold
 * * n) of min_same_for() in lib/index.c, a negative double converted to
 * unsigned (undefined behaviour; on x86-64 0xffffffff and a loop of about
 * 4e9 steps per sheaf_index_new), caught by clang's -fsanitize=undefined
 * (float-cast-overflow), not GCC's. min_same_for() now returns 0 for a bar
 * at or below 0. */
static void test_tiny_threshold(void **state)
{
    (void)state;
    sheaf_params p = crafted_params();
    p.threshold = 0.005; /* bar: 0.005 - sqrt(0.004975 / 128) < 0 */
    assert_true(bar(&p) < 0);
    assert_int_equal(needed(&p), 0);
    sheaf_index *idx = new_index(&p);
    static sheaf_signature P, R;
    uint32_t pick[128];
    sheaf_assignment a;
    fill(pick, 0, 128, 1);
    crafted(idx, pick, &P);
    fill(pick, 4, 128, 2); /* shares band 0 only */
    crafted(idx, pick, &R);
    assert_int_equal(t_add_sig(idx, "p", &P, &a), SHEAF_OK);
    assert_int_equal(t_add_sig(idx, "r", &R, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "p");
    assert_string_equal(a.match, "p");
    assert_true(a.similarity == 4.0 / 128);
    /* Sharing no band, still no candidate. */
    fill(pick, 0, 128, 3);
    crafted(idx, pick, &R);
    assert_int_equal(t_add_sig(idx, "s", &R, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "s");
    sheaf_index_free(idx);
}

/* The index keeps the low 16 bits of each value (sheaf.h at
 * sheaf_index_add): values that differ only above them are equal to it, in
 * the bands and in the similarity; values that differ in them are not. */
static void test_low_16_bits(void **state)
{
    (void)state;
    sheaf_params p = crafted_params();
    sheaf_index *idx = new_index(&p);
    static sheaf_signature P, R, S;
    uint32_t pick[128];
    sheaf_assignment a;
    fill(pick, 0, 128, 1);
    crafted(idx, pick, &P);
    crafted(idx, pick, &R);
    for (uint32_t i = 0; i < 128; i++)
        R.values[i] += (i + 1) << 16; /* the same low 16 bits */
    double full = 1.0;
    assert_int_equal(sheaf_signature_similarity(&P, &R, &full), SHEAF_OK);
    assert_true(full == 0.0);
    assert_true(similarity16(&P, &R) == 1.0);
    assert_int_equal(t_add_sig(idx, "p", &P, &a), SHEAF_OK);
    assert_int_equal(t_add_sig(idx, "r", &R, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "p");
    assert_string_equal(a.match, "p");
    assert_true(a.similarity == 1.0);
    sheaf_match mt[4];
    size_t n = 0;
    assert_int_equal(t_query_sig(idx, &R, mt, 4, &n), SHEAF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(mt[0].id, "p");
    assert_string_equal(mt[1].id, "r");
    assert_true(mt[0].similarity == 1.0 && mt[1].similarity == 1.0);
    /* S: other high bits everywhere; the low bits of P in the first 72
     * values (exactly what verification needs), of another family after. */
    fill(pick, 72, 128, 3);
    crafted(idx, pick, &S);
    for (uint32_t i = 0; i < 128; i++)
        S.values[i] |= 0xabcd0000u;
    assert_int_equal(t_add_sig(idx, "s", &S, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "p");
    assert_string_equal(a.match, "p"); /* a tie with r: the earlier */
    assert_true(a.similarity == 72.0 / 128);
    /* T: S with value 71 changed in the top kept bit: 71 of 128 with p
     * and r (below the bar), 127 with s. */
    S.values[71] ^= 1u << 15;
    assert_int_equal(t_add_sig(idx, "t", &S, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "p");
    assert_string_equal(a.match, "s"); /* 127 of 128 with s */
    assert_true(a.similarity == 127.0 / 128);
    assert_int_equal(t_query_sig(idx, &S, mt, 4, &n), SHEAF_OK);
    assert_int_equal(n, 2); /* t, s; 71 with p and r */
    assert_string_equal(mt[0].id, "t");
    assert_string_equal(mt[1].id, "s");
    sheaf_index_free(idx);
}

/* sheaf.h: an article joins the most similar earlier article "among those
 * that share an LSH band with it and pass verification". Here R agrees with
 * P on 95 of 128 values (0.742, well above the bar) but differs from it in
 * every band of 4 rows, so shares no band: R must start its own cluster,
 * and a query with R must find nothing. R's band-0 rows are searched so
 * that its band-0 key has the tag and the home slot (in the 64-slot table
 * of a one-article index) of P's band-0 key: a 16-bit tag collision, which
 * happens to 1 probed slot in 65536 by chance.
 *
 * BUG (lib/index.c, verified(), used by add_locked() and
 * t_query_sig_at()): the candidates come from
 * sheaf__lsh_candidates, which matches 16-bit tags and so now and then
 * also proposes a document of another band key (lib/lsh.h says so), and
 * verified() then keeps every candidate within the window with
 * count_equal() >= min_same: it checks the similarity only, never that a
 * band is really shared. So R joins P, and the query returns P, against
 * the contract of sheaf.h (and the brute force of
 * tests/test_differential.c). Fix: in verified(), also drop a candidate
 * when no band has all its rows equal to the query's (a memcmp of rows
 * uint16_t per band over the kept values, at most num_hashes comparisons
 * like count_equal); or else change the contract in sheaf.h. */
static int free_state_index(void **state)
{
    sheaf_index_free(*state); /* also after a failed assertion */
    *state = NULL;
    return 0;
}

static void test_shares_no_band(void **state)
{
    sheaf_params p = crafted_params();
    sheaf_index *idx = new_index(&p);
    *state = idx;
    assert_int_equal(sheaf_index_params(idx)->bands, 32);
    assert_int_equal(sheaf_index_params(idx)->rows, 4);
    static sheaf_signature P, R;
    uint32_t pick[128];
    fill(pick, 0, 128, 1);
    crafted(idx, pick, &P);
    crafted(idx, pick, &R);
    for (uint32_t b = 1; b < 32; b++)
        R.values[b * 4 + 3] = val(2, b * 4 + 3); /* one row of each band */
    uint16_t pv[4], rv[4];
    for (uint32_t i = 0; i < 4; i++)
        pv[i] = rv[i] = (uint16_t)P.values[i];
    uint64_t pk, rk = 0;
    sheaf__lsh_keys(1, 4, pv, &pk);
    rng_state = 12345;
    int found = 0;
    for (long tries = 0; tries < 100000000L && !found; tries++) {
        uint32_t x = (uint32_t)next64();
        rv[2] = (uint16_t)x;
        rv[3] = (uint16_t)(x >> 16);
        if (rv[2] == pv[2] && rv[3] == pv[3])
            continue;
        sheaf__lsh_keys(1, 4, rv, &rk);
        found = rk >> 48 == pk >> 48 && (rk & 63) == (pk & 63);
    }
    assert_true(found);
    assert_true(rk != pk);
    R.values[2] = rv[2];
    R.values[3] = rv[3];
    uint32_t same = 0;
    for (uint32_t i = 0; i < 128; i++)
        same += P.values[i] == R.values[i];
    assert_int_equal(same, 95);
    assert_true(same / 128.0 >= bar(&p));
    /* The bands, as the index computes them: none shared. */
    uint16_t p16[128], r16[128];
    uint64_t pkeys[32], rkeys[32];
    for (uint32_t i = 0; i < 128; i++) {
        p16[i] = (uint16_t)P.values[i];
        r16[i] = (uint16_t)R.values[i];
    }
    sheaf__lsh_keys(32, 4, p16, pkeys);
    sheaf__lsh_keys(32, 4, r16, rkeys);
    for (uint32_t b = 0; b < 32; b++)
        assert_true(pkeys[b] != rkeys[b]);

    sheaf_assignment a;
    assert_int_equal(t_add_sig(idx, "p", &P, &a), SHEAF_OK);
    sheaf_match mt[2];
    size_t n = 99;
    assert_int_equal(t_query_sig(idx, &R, mt, 2, &n), SHEAF_OK);
    assert_int_equal(n, 0);
    assert_int_equal(t_add_sig(idx, "r", &R, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "r");
    assert_null(a.match);
}

/* ---------------------------------------------------------------- query */

static void test_query(void **state)
{
    (void)state;
    sheaf_params p = crafted_params();
    sheaf_index *idx = new_index(&p);
    static sheaf_signature x, s;
    uint32_t pick[128];
    /* Documents agreeing with x on their first c values, added in this
     * order; the rest of each is its own. */
    static const struct { const char *id; uint32_t c; } docs[] = {
        {"d90", 90}, {"d100a", 100}, {"d128", 128}, {"d72", 72},
        {"d100b", 100}, {"d71", 71}, {"d4", 4}};
    for (uint32_t i = 0; i < 7; i++) {
        fill(pick, 0, docs[i].c, 1);
        fill(pick, docs[i].c, 128, 10 + i);
        crafted(idx, pick, &s);
        assert_int_equal(t_add_sig(idx, docs[i].id, &s, NULL),
                         SHEAF_OK);
    }
    assert_string_equal(cluster_of(idx, "d128"), "d90");
    assert_string_equal(cluster_of(idx, "d72"), "d90");
    assert_string_equal(cluster_of(idx, "d71"), "d71");
    assert_string_equal(cluster_of(idx, "d4"), "d4");
    fill(pick, 0, 128, 1);
    crafted(idx, pick, &x);

    static const struct { const char *id; uint32_t c; } want[] = {
        {"d128", 128}, {"d100a", 100}, {"d100b", 100}, {"d90", 90}, {"d72", 72}};
    sheaf_match mt[8];
    size_t n = 0;
    /* cap 0 and NULL: the count only. */
    assert_int_equal(t_query_sig(idx, &x, NULL, 0, &n), SHEAF_OK);
    assert_int_equal(n, 5);
    /* A short array: the best cap, nothing written beyond. */
    memset(mt, 0x5a, sizeof mt);
    sheaf_match untouched;
    memcpy(&untouched, &mt[2], sizeof untouched);
    n = 0;
    assert_int_equal(t_query_sig(idx, &x, mt, 2, &n), SHEAF_OK);
    assert_int_equal(n, 5);
    assert_string_equal(mt[0].id, "d128");
    assert_string_equal(mt[1].id, "d100a");
    assert_memory_equal(&mt[2], &untouched, sizeof untouched);
    /* A large one: all, in order. */
    assert_int_equal(t_query_sig(idx, &x, mt, 8, &n), SHEAF_OK);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(mt[i].id, want[i].id);
        assert_string_equal(mt[i].cluster, "d90");
        assert_true(mt[i].similarity == want[i].c / 128.0);
        assert_true(mt[i].similarity >= bar(&p));
    }
    assert_memory_equal(&mt[5], &untouched, sizeof untouched);
    /* Queries add nothing. */
    assert_int_equal(sheaf_index_size(idx), 7);
    assert_int_equal(sheaf_index_cluster_count(idx), 3);
    /* The text query equals the signature query of the signed text. */
    assert_int_equal(add_str(idx, "t1", A, NULL), SHEAF_OK);
    assert_int_equal(add_str(idx, "t2", A2, NULL), SHEAF_OK);
    assert_int_equal(add_str(idx, "t3", A, NULL), SHEAF_OK);
    sheaf_match m2[8];
    size_t n2 = 0;
    sign_with(idx, A, &s);
    assert_int_equal(t_query(idx, A, strlen(A), mt, 8, &n), SHEAF_OK);
    assert_int_equal(t_query_sig(idx, &s, m2, 8, &n2), SHEAF_OK);
    assert_int_equal(n, n2);
    assert_true(n >= 2);
    assert_string_equal(mt[0].id, "t1"); /* 1.0, earlier than t3 */
    assert_string_equal(mt[1].id, "t3");
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(mt[i].id, m2[i].id);
        assert_true(mt[i].similarity == m2[i].similarity);
        if (i)
            assert_true(mt[i].similarity <= mt[i - 1].similarity);
    }
    assert_int_equal(sheaf_index_size(idx), 10);
    /* A mismatched signature. */
    sheaf_params q = p;
    q.seed = 1;
    assert_int_equal(sheaf_sign(&q, A, strlen(A), &s), SHEAF_OK);
    n = 77;
    assert_int_equal(t_query_sig(idx, &s, mt, 8, &n), SHEAF_EMISMATCH);
    assert_int_equal(n, 77);
    sheaf_index_free(idx);
}

/* ------------------------------------------------ signatures and params */

static void test_add_signature_mismatch(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init(&p);
    sheaf_index *idx = new_index(&p);
    static sheaf_signature s;
    sheaf_assignment a;
    for (int change = 0; change < 5; change++) {
        sheaf_params q = p;
        switch (change) {
        case 0: q.seed = 1; break;
        case 1: q.shingle_size = 4; break;
        case 2: q.shingle_kind = SHEAF_SHINGLE_CHAR; break;
        case 3: q.scheme = SHEAF_SCHEME_MINHASH; break;
        case 4: q.num_hashes = 64; break;
        }
        assert_int_equal(sheaf_sign(&q, A, strlen(A), &s), SHEAF_OK);
        assert_int_equal(t_add_sig(idx, "x", &s, &a),
                         SHEAF_EMISMATCH);
        assert_int_equal(sheaf_index_size(idx), 0);
        assert_int_equal(sheaf_index_cluster_count(idx), 0);
    }
    /* Threshold and banding are not part of a signature. */
    sheaf_params q = p;
    q.threshold = 0.9;
    q.bands = 2;
    q.rows = 3;
    assert_int_equal(sheaf_sign(&q, A, strlen(A), &s), SHEAF_OK);
    assert_int_equal(t_add_sig(idx, "x", &s, &a), SHEAF_OK);
    sheaf_index_free(idx);
}

/* A generated stream of articles: families of variants, a few empty. */
typedef struct stream {
    family fam[40];
    uint32_t nfam;
} stream;

static size_t stream_text(stream *st, char *out)
{
    if (below(25) == 0) {
        static const char *empty[] = {"", " ", "...", "-- !! --"};
        const char *e = empty[below(4)];
        strcpy(out, e);
        return strlen(e);
    }
    if (st->nfam < 40 && (st->nfam == 0 || below(5) == 0))
        make_family(&st->fam[st->nfam++]);
    return variant(&st->fam[below(st->nfam)], below(9), out);
}

static void test_add_equals_add_signature(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init(&p);
    p.shingle_size = 3;
    sheaf_index *x = new_index(&p), *y = new_index(&p);
    static stream st;
    static char text[2048];
    static sheaf_signature s;
    memset(&st, 0, sizeof st);
    rng_state = 77;
    int joined = 0;
    for (int i = 0; i < 300; i++) {
        char id[16];
        snprintf(id, sizeof id, "n%d", i);
        size_t len = stream_text(&st, text);
        sheaf_assignment a, b;
        assert_int_equal(t_add(x, id, text, len, &a), SHEAF_OK);
        assert_int_equal(sheaf_hasher_sign(sheaf_index_hasher(y), text, len, &s),
                         SHEAF_OK);
        assert_int_equal(t_add_sig(y, id, &s, &b), SHEAF_OK);
        assert_string_equal(a.cluster, b.cluster);
        assert_true((a.match == NULL) == (b.match == NULL));
        if (a.match) {
            assert_string_equal(a.match, b.match);
            joined++;
        }
        assert_true(a.similarity == b.similarity);
        assert_int_equal(a.cluster_size, b.cluster_size);
    }
    assert_true(joined > 100);
    assert_int_equal(sheaf_index_cluster_count(x), sheaf_index_cluster_count(y));
    sheaf_index_free(x);
    sheaf_index_free(y);
}

/* --------------------------------------- random operations vs a model */

#define MODEL_IDS 300
#define MODEL_DOCS 4000

/* A signature as the index keeps it: the low 16 bits of each value, and
 * the band keys of those (sheaf.h at sheaf_index_add, lib/lsh.h). */
typedef struct kept {
    uint64_t num_shingles;
    uint16_t values[SHEAF_MAX_HASHES];
    uint64_t keys[SHEAF_MAX_HASHES]; /* bands <= num_hashes */
} kept;

static void keep(const sheaf_params *p, const sheaf_signature *sig, kept *k)
{
    k->num_shingles = sig->num_shingles;
    for (uint32_t i = 0; i < p->num_hashes; i++)
        k->values[i] = (uint16_t)sig->values[i];
    sheaf__lsh_keys(p->bands, p->rows, k->values, k->keys);
}

typedef struct mdoc {
    char id[16];
    char cluster[16];
    uint64_t seq;
    int64_t time;
    int live;
    kept sig;
} mdoc;

typedef struct model {
    const sheaf_params *p; /* bands and rows resolved */
    mdoc *docs;            /* every article ever added, in order */
    size_t n;
} model;

static mdoc *model_find(model *m, const char *id)
{
    for (size_t i = m->n; i-- > 0;)
        if (m->docs[i].live && strcmp(m->docs[i].id, id) == 0)
            return &m->docs[i];
    return NULL;
}

static size_t model_cluster_size(const model *m, const char *name)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++)
        k += m->docs[i].live && strcmp(m->docs[i].cluster, name) == 0;
    return k;
}

static size_t model_cluster_count(const model *m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (!m->docs[i].live)
            continue;
        int first = 1;
        for (size_t j = 0; j < i && first; j++)
            if (m->docs[j].live &&
                strcmp(m->docs[j].cluster, m->docs[i].cluster) == 0)
                first = 0;
        k += first;
    }
    return k;
}

/* Equal values of two signatures as the index keeps them (low 16 bits). */
static uint32_t count_same(const kept *a, const kept *b, uint32_t n)
{
    uint32_t same = 0;
    for (uint32_t i = 0; i < n; i++)
        same += a->values[i] == b->values[i];
    return same;
}

/* Whether doc d is a verified match of sig, published at time: within the
 * window, shares a band key, and enough equal values. */
static int model_matches(const model *m, const mdoc *d, const kept *sig,
                         int64_t time, uint32_t *same)
{
    if (!d->live || !d->sig.num_shingles || !sig->num_shingles)
        return 0;
    if (m->p->window && time != SHEAF_NO_TIME && d->time != SHEAF_NO_TIME &&
        (time > d->time ? time - d->time : d->time - time) >
            (int64_t)m->p->window)
        return 0;
    int shared = 0;
    for (uint32_t b = 0; b < m->p->bands && !shared; b++)
        shared = sig->keys[b] == d->sig.keys[b];
    if (!shared)
        return 0;
    *same = count_same(sig, &d->sig, m->p->num_hashes);
    return (double)*same / m->p->num_hashes >= bar(m->p);
}

/* What sheaf_index_add should do. */
static int model_add(model *m, const char *id, int64_t time,
                     const sheaf_signature *sig, sheaf_assignment *want,
                     char *cluster_buf)
{
    if (model_find(m, id) || model_cluster_size(m, id) > 0)
        return SHEAF_EEXIST;
    assert_true(m->n < MODEL_DOCS);
    mdoc *x = &m->docs[m->n];
    memset(x, 0, offsetof(mdoc, sig));
    snprintf(x->id, sizeof x->id, "%s", id);
    keep(m->p, sig, &x->sig);
    x->seq = m->n;
    x->time = time;
    const mdoc *best = NULL;
    uint32_t best_same = 0;
    for (size_t i = 0; i < m->n; i++) {
        uint32_t same;
        if (model_matches(m, &m->docs[i], &x->sig, time, &same) &&
            (!best || same > best_same)) /* in order: ties keep the first */
            best = &m->docs[i], best_same = same;
    }
    snprintf(x->cluster, sizeof x->cluster, "%s", best ? best->cluster : id);
    x->live = 1;
    m->n++;
    strcpy(cluster_buf, x->cluster);
    want->cluster = cluster_buf;
    want->match = best ? best->id : NULL;
    want->similarity = best ? (double)best_same / m->p->num_hashes : 0.0;
    want->cluster_size = model_cluster_size(m, x->cluster);
    return SHEAF_OK;
}

static void check_against_model(const sheaf_index *idx, const model *m,
                                 int full)
{
    size_t live = 0;
    for (size_t i = 0; i < m->n; i++)
        live += m->docs[i].live;
    assert_int_equal(sheaf_index_size(idx), live);
    assert_int_equal(sheaf_index_cluster_count(idx), model_cluster_count(m));
    if (!full)
        return;
    /* Every live article's cluster, every cluster's members in order. */
    for (size_t i = 0; i < m->n; i++) {
        const mdoc *d = &m->docs[i];
        if (!d->live)
            continue;
        assert_string_equal(cluster_of(idx, d->id), d->cluster);
        char got[MODEL_IDS * 8], want[MODEL_IDS * 8];
        members_str(idx, d->cluster, got, sizeof got);
        size_t len = 0;
        want[0] = 0;
        for (size_t j = 0; j < m->n; j++)
            if (m->docs[j].live && strcmp(m->docs[j].cluster, d->cluster) == 0)
                len += (size_t)snprintf(want + len, sizeof want - len, "%s%s",
                                        len ? "," : "", m->docs[j].id);
        assert_string_equal(got, want);
    }
}

static void check_query(const sheaf_index *idx, const model *m,
                        const sheaf_signature *sig, int64_t time)
{
    static kept k;
    keep(m->p, sig, &k);
    /* Expected: verified matches, most similar first, then the earlier. */
    static struct { size_t doc; uint32_t same; } want[MODEL_DOCS];
    size_t nw = 0;
    for (size_t i = 0; i < m->n; i++) {
        uint32_t same;
        if (model_matches(m, &m->docs[i], &k, time, &same)) {
            size_t j = nw++;
            while (j > 0 && want[j - 1].same < same) {
                want[j] = want[j - 1];
                j--;
            }
            want[j].doc = i;
            want[j].same = same;
        }
    }
    static sheaf_match got[MODEL_DOCS];
    size_t n = 0;
    assert_int_equal(
        t_query_sig_at(idx, sig, time, got, MODEL_DOCS, &n),
        SHEAF_OK);
    assert_int_equal(n, nw);
    for (size_t i = 0; i < n; i++) {
        const mdoc *d = &m->docs[want[i].doc];
        assert_string_equal(got[i].id, d->id);
        assert_string_equal(got[i].cluster, d->cluster);
        assert_true(got[i].similarity == (double)want[i].same / m->p->num_hashes);
    }
}

/* A time for an article of a run under window: mostly within a span a few
 * windows wide, so that equal texts fall both in and out of each other's
 * windows; sometimes none. */
static int64_t model_time(uint32_t window)
{
    if (!window || below(10) == 0)
        return SHEAF_NO_TIME;
    return (int64_t)below(4 * window);
}

/* The next article's text: with dup_pct percent, an exact copy of one of a
 * few texts seen before, so that groups of equal signatures are large and
 * their earliest members get removed while later ones live. */
static size_t model_text(stream *st, uint32_t dup_pct, char *out)
{
    enum { POOL = 6 };
    static char pool[POOL][2048];
    static size_t pool_len[POOL];
    static uint32_t pooled;
    if (!dup_pct) {
        pooled = 0;
        return stream_text(st, out);
    }
    if (pooled && below(100) < dup_pct) {
        uint32_t i = below(pooled);
        memcpy(out, pool[i], pool_len[i] + 1);
        return pool_len[i];
    }
    size_t len = stream_text(st, out);
    uint32_t i = pooled < POOL ? pooled++ : below(POOL);
    memcpy(pool[i], out, len + 1);
    pool_len[i] = len;
    return len;
}

static void random_model_run(uint64_t seed, int ops, uint32_t threshold_pct,
                             uint32_t dup_pct, uint32_t window)
{
    sheaf_params p;
    sheaf_params_init(&p);
    p.shingle_size = 3;
    p.num_hashes = 64;
    p.threshold = threshold_pct / 100.0;
    p.window = window;
    sheaf_index *idx = new_index(&p);
    const sheaf_params *rp = sheaf_index_params(idx);
    static model m;
    memset(&m, 0, sizeof m);
    m.p = rp;
    m.docs = calloc(MODEL_DOCS, sizeof *m.docs);
    assert_non_null(m.docs);
    static stream st;
    static char text[2048];
    static sheaf_signature sig;
    memset(&st, 0, sizeof st);
    rng_state = seed;
    int adds = 0, joins = 0, removes = 0, eexist = 0, enotfound = 0;
    for (int op = 0; op < ops; op++) {
        char id[16];
        snprintf(id, sizeof id, "i%u", below(MODEL_IDS));
        uint32_t r = below(100);
        if (r < 50) {
            size_t len = model_text(&st, dup_pct, text);
            assert_int_equal(sheaf_hasher_sign(sheaf_index_hasher(idx), text,
                                               len, &sig),
                             SHEAF_OK);
            sheaf_assignment want, got;
            char cbuf[16];
            int64_t time = model_time(window);
            int rc_want = model_add(&m, id, time, &sig, &want, cbuf);
            int rc = r % 2 ? t_add_at(idx, id, time, text, len, &got)
                           : t_add_sig_at(idx, id, time, &sig,
                                                          &got);
            assert_int_equal(rc, rc_want);
            if (rc == SHEAF_OK) {
                adds++;
                assert_string_equal(got.cluster, want.cluster);
                if (want.match) {
                    joins++;
                    assert_non_null(got.match);
                    assert_string_equal(got.match, want.match);
                } else {
                    assert_null(got.match);
                }
                assert_true(got.similarity == want.similarity);
                assert_int_equal(got.cluster_size, want.cluster_size);
            } else {
                eexist++;
            }
        } else if (r < 90) {
            mdoc *d = model_find(&m, id);
            int rc = sheaf_index_remove(idx, id);
            if (d) {
                assert_int_equal(rc, SHEAF_OK);
                d->live = 0;
                removes++;
            } else {
                assert_int_equal(rc, SHEAF_ENOTFOUND);
                enotfound++;
            }
        } else {
            size_t len = model_text(&st, dup_pct, text);
            assert_int_equal(sheaf_hasher_sign(sheaf_index_hasher(idx), text,
                                               len, &sig),
                             SHEAF_OK);
            check_query(idx, &m, &sig, model_time(window));
        }
        check_against_model(idx, &m, op % 50 == 0);
    }
    check_against_model(idx, &m, 1);
    print_message("seed %llu t=%.2f dup=%u%% window=%u: %d adds (%d "
                  "joined), %d removals, %d EEXIST, %d ENOTFOUND, %zu live "
                  "in %zu clusters\n",
                  (unsigned long long)seed, p.threshold, dup_pct, window, adds,
                  joins, removes, eexist, enotfound, sheaf_index_size(idx),
                  sheaf_index_cluster_count(idx));
    assert_true(joins > adds / 6);
    assert_true(removes > ops / 8);
    assert_true(eexist > 10);
    free(m.docs);
    sheaf_index_free(idx);
}

static void test_random_against_model(void **state)
{
    (void)state;
    random_model_run(1, 3000, 50, 0, 0);
    random_model_run(2, 3000, 30, 0, 0);
    random_model_run(3, 3000, 80, 0, 0);
}

/* Exact duplicates share one place in the band tables (lib/index.c,
 * doc.same_prev): many of them, their earliest removed in random order,
 * with and without a window that sets equal texts apart. */
static void test_random_duplicates_against_model(void **state)
{
    (void)state;
    random_model_run(4, 3000, 50, 60, 0);
    random_model_run(5, 3000, 30, 85, 0);
    random_model_run(6, 3000, 50, 60, 100);
    random_model_run(7, 3000, 80, 85, 100);
}

/* -------------------------------------------------- replay determinism */

typedef struct record {
    char cluster[16], match[16];
    double similarity;
    size_t cluster_size;
} record;

static void record_of(const sheaf_assignment *a, record *r)
{
    snprintf(r->cluster, sizeof r->cluster, "%s", a->cluster);
    snprintf(r->match, sizeof r->match, "%s", a->match ? a->match : "");
    r->similarity = a->similarity;
    r->cluster_size = a->cluster_size;
}

/* The same sequence of articles gives the same assignments: into a fresh
 * index again, and into one where queries and short-lived articles (added
 * and removed between two of the sequence) come in between. */
static void test_replay(void **state)
{
    (void)state;
    enum { N = 400 };
    static char texts[N][1024];
    static size_t lens[N];
    static record first[N], again;
    static stream st;
    memset(&st, 0, sizeof st);
    rng_state = 2024;
    for (int i = 0; i < N; i++)
        lens[i] = stream_text(&st, texts[i]);
    sheaf_params p;
    sheaf_params_init(&p);
    p.shingle_size = 3;
    for (int pass = 0; pass < 3; pass++) {
        sheaf_index *idx = new_index(&p);
        uint64_t junk_state = 5;
        for (int i = 0; i < N; i++) {
            char id[16];
            snprintf(id, sizeof id, "s%d", i);
            if (pass == 2) {
                /* Interference that must leave no trace. */
                uint64_t saved = rng_state;
                rng_state = junk_state;
                for (int j = 0; j < 3; j++) {
                    char jid[16], jt[1024];
                    snprintf(jid, sizeof jid, "junk%d", j);
                    const char *t = texts[below((uint32_t)N)];
                    snprintf(jt, sizeof jt, "%s", below(3) ? t : "");
                    assert_int_equal(add_str(idx, jid, jt, NULL), SHEAF_OK);
                    sheaf_match mt[4];
                    size_t n;
                    assert_int_equal(t_query(idx, jt, strlen(jt), mt,
                                                       4, &n),
                                     SHEAF_OK);
                }
                for (int j = 2; j >= 0; j -= 2) { /* out of order */
                    char jid[16];
                    snprintf(jid, sizeof jid, "junk%d", j);
                    assert_int_equal(sheaf_index_remove(idx, jid), SHEAF_OK);
                }
                assert_int_equal(sheaf_index_remove(idx, "junk1"), SHEAF_OK);
                junk_state = rng_state;
                rng_state = saved;
            }
            sheaf_assignment a;
            assert_int_equal(t_add(idx, id, texts[i], lens[i], &a),
                             SHEAF_OK);
            if (pass == 0) {
                record_of(&a, &first[i]);
            } else {
                record_of(&a, &again);
                assert_string_equal(again.cluster, first[i].cluster);
                assert_string_equal(again.match, first[i].match);
                assert_true(again.similarity == first[i].similarity);
                assert_int_equal(again.cluster_size, first[i].cluster_size);
            }
        }
        assert_int_equal(sheaf_index_size(idx), N);
        sheaf_index_free(idx);
    }
}

/* --------------------------------------------------- allocation failures */

/* Everything observable about an index, as one string. */
static char *snapshot(const sheaf_index *idx, int nids)
{
    size_t cap = 1 << 20, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    len += (size_t)snprintf(s + len, cap - len, "size %zu clusters %zu\n",
                            sheaf_index_size(idx),
                            sheaf_index_cluster_count(idx));
    for (int i = 0; i < nids; i++) {
        char id[16], m[8192];
        snprintf(id, sizeof id, "o%d", i);
        const char *c = cluster_of(idx, id);
        members_str(idx, id, m, sizeof m);
        len += (size_t)snprintf(s + len, cap - len, "%s:%s [%s]\n", id,
                                c ? c : "-", m);
        assert_true(len < cap);
    }
    return s;
}

/* Reserving room changes no result: a reserved index and one that grows
 * as articles come give the same assignments, before and past the room
 * reserved; asking for less than there is, and story mode, do nothing; a
 * failed reservation leaves the index as it was, and usable. */
static void test_reserve(void **state)
{
    (void)state;
    assert_int_equal(sheaf_index_reserve(NULL, 10), SHEAF_EINVAL);
    sheaf_params p;
    sheaf_params_init(&p);
    p.shingle_size = 3;
    sheaf_index *grown = new_index(&p), *reserved = new_index(&p);
    assert_int_equal(sheaf_index_reserve(reserved, 0), SHEAF_OK);
    assert_int_equal(sheaf_index_reserve(reserved, 300), SHEAF_OK);
    int oom_seen = 0;
    if (wrapping_active()) {
        arm(0, 1);
        assert_int_equal(sheaf_index_reserve(reserved, 100000), SHEAF_ENOMEM);
        arm(-1, 0);
        oom_seen = 1;
    }
    static family fams[40];
    static char text[2048];
    rng_state = 77;
    for (int f = 0; f < 40; f++)
        make_family(&fams[f]);
    for (int i = 0; i < 700; i++) {
        if (i == 200) /* less than there is already: nothing to do */
            assert_int_equal(sheaf_index_reserve(reserved, 100), SHEAF_OK);
        char id[16];
        snprintf(id, sizeof id, "r%d", i);
        size_t len = variant(&fams[below(40)], below(8), text);
        sheaf_assignment a, b;
        assert_int_equal(t_add(grown, id, text, len, &a), SHEAF_OK);
        assert_int_equal(t_add(reserved, id, text, len, &b),
                         SHEAF_OK);
        assert_string_equal(a.cluster, b.cluster);
        assert_true((a.match == NULL) == (b.match == NULL));
        if (a.match)
            assert_string_equal(a.match, b.match);
        assert_true(a.similarity == b.similarity);
        assert_int_equal(a.cluster_size, b.cluster_size);
    }
    assert_int_equal(sheaf_index_size(reserved), 700);
    assert_int_equal(sheaf_index_cluster_count(reserved),
                     sheaf_index_cluster_count(grown));
    assert_true(sheaf_index_cluster_count(grown) < 700); /* variants joined */
    if (oom_seen) /* a failed reservation does not stand in the way */
        assert_int_equal(sheaf_index_reserve(reserved, 5000), SHEAF_OK);
    sheaf_index_free(grown);
    sheaf_index_free(reserved);

    sheaf_params sp;
    sheaf_params_init_mode(&sp, SHEAF_MODE_STORY);
    sheaf_index *story = new_index(&sp);
    assert_int_equal(sheaf_index_reserve(story, 1000), SHEAF_OK);
    assert_int_equal(add_str(story, "a", A, NULL), SHEAF_OK);
    assert_int_equal(sheaf_index_size(story), 1);
    sheaf_index_free(story);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    if (!wrapping_active()) {
        print_message("allocation wrappers not linked in: skipped\n");
        skip();
    }
    sheaf_params p;
    sheaf_params_init(&p);
    p.shingle_size = 3;

    /* sheaf_index_new fails cleanly at each of its allocations. */
    sheaf_index *idx = NULL, *ref = NULL;
    int failures = 0;
    for (long at = 0;; at++) {
        sheaf_index *out = (sheaf_index *)0x1;
        arm(at, 1);
        int rc = sheaf_index_new(&p, &out);
        arm(-1, 0);
        if (rc == SHEAF_OK) {
            idx = out;
            break;
        }
        assert_int_equal(rc, SHEAF_ENOMEM);
        assert_ptr_equal(out, (sheaf_index *)0x1);
        failures++;
    }
    assert_true(failures >= 2);
    ref = new_index(&p);

    static stream st;
    static char text[2048];
    static sheaf_signature sig;
    memset(&st, 0, sizeof st);
    rng_state = 31;
    enum { N = 600 };
    int nomem = 0;
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof id, "o%d", i);
        size_t len = stream_text(&st, text);
        sheaf_assignment want, got;
        assert_int_equal(t_add(ref, id, text, len, &want), SHEAF_OK);
        int by_sig = i % 3 == 0;
        if (by_sig)
            assert_int_equal(sheaf_hasher_sign(sheaf_index_hasher(idx), text,
                                               len, &sig),
                             SHEAF_OK);
        /* Check everything after a failure only now and then: it is slow. */
        int full = i < 40 || i % 37 == 0;
        char *before = full ? snapshot(idx, i) : NULL;
        size_t size_before = sheaf_index_size(idx);
        size_t clusters_before = sheaf_index_cluster_count(idx);
        for (long at = 0;; at++) {
            sheaf_assignment sentinel;
            memset(&sentinel, 0x5a, sizeof sentinel);
            got = sentinel;
            arm(at, i % 2);
            int rc = by_sig ? t_add_sig(idx, id, &sig, &got)
                            : t_add(idx, id, text, len, &got);
            arm(-1, 0);
            if (rc == SHEAF_OK)
                break;
            assert_int_equal(rc, SHEAF_ENOMEM);
            assert_memory_equal(&got, &sentinel, sizeof got); /* untouched */
            nomem++;
            assert_int_equal(sheaf_index_size(idx), size_before);
            assert_int_equal(sheaf_index_cluster_count(idx), clusters_before);
            assert_null(cluster_of(idx, id));
            if (full) {
                char *after = snapshot(idx, i);
                assert_string_equal(after, before);
                free(after);
            }
            assert_true(at < 100);
        }
        free(before);
        assert_string_equal(got.cluster, want.cluster);
        assert_true((got.match == NULL) == (want.match == NULL));
        if (got.match)
            assert_string_equal(got.match, want.match);
        assert_true(got.similarity == want.similarity);
        assert_int_equal(got.cluster_size, want.cluster_size);

        /* Queries fail cleanly too, and then give the reference's answer. */
        if (i % 10 == 0) {
            sheaf_match mg[64], mw[64];
            size_t ng = 12345, nw = 0;
            assert_int_equal(t_query(ref, text, len, mw, 64, &nw),
                             SHEAF_OK);
            for (long at = 0;; at++) {
                arm(at, 0);
                int rc = t_query(idx, text, len, mg, 64, &ng);
                arm(-1, 0);
                if (rc == SHEAF_OK)
                    break;
                assert_int_equal(rc, SHEAF_ENOMEM);
                assert_int_equal(ng, 12345);
                assert_true(at < 100);
            }
            assert_int_equal(ng, nw);
            for (size_t k = 0; k < ng && k < 64; k++) {
                assert_string_equal(mg[k].id, mw[k].id);
                assert_true(mg[k].similarity == mw[k].similarity);
            }
        }
        /* Removal needs no memory. */
        if (i % 7 == 6) {
            snprintf(id, sizeof id, "o%d", i - 3);
            assert_int_equal(sheaf_index_remove(ref, id), SHEAF_OK);
            arm(0, 1);
            int rc = sheaf_index_remove(idx, id);
            arm(-1, 0);
            assert_int_equal(rc, SHEAF_OK);
        }
    }
    char *a = snapshot(idx, N), *b = snapshot(ref, N);
    assert_string_equal(a, b);
    free(a);
    free(b);
    print_message("%d allocation failures injected, all reported as "
                  "SHEAF_ENOMEM with the index unchanged\n", nomem);
    assert_true(nomem > N);
    sheaf_index_free(idx);
    sheaf_index_free(ref);
}

int main(void)
{
    make_vocab();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_join),
        cmocka_unit_test(test_invalid_args),
        cmocka_unit_test(test_null_index),
        cmocka_unit_test(test_params_and_hasher),
        cmocka_unit_test(test_eexist),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_cluster_members_protocol),
        cmocka_unit_test(test_no_words),
        cmocka_unit_test(test_best_match_and_ties),
        cmocka_unit_test(test_threshold_one),
        cmocka_unit_test(test_tiny_threshold),
        cmocka_unit_test(test_low_16_bits),
        cmocka_unit_test_teardown(test_shares_no_band, free_state_index),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_add_signature_mismatch),
        cmocka_unit_test(test_add_equals_add_signature),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_random_duplicates_against_model),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
