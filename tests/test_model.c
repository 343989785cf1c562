/*
 * The cluster model (lib/model/model.h) driven directly, against a naive
 * model: random additions (to an existing cluster, to a new cluster named
 * by the article's id, or to a cluster named by another name, as a reload
 * does), abandoned additions, and removals, on a small namespace so that
 * ids, names and freed slots are reused all the time. After every step the
 * model must agree with the naive one on every article's cluster, every
 * cluster's members in order, its name and size, the clusters in order of
 * creation, and which names it knows; and the window test must agree with
 * a scan of the members.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "model/model.h"
#include "sheaf.h"
#include "testutil.h"

#define NAMES 40 /* ids and cluster names are "n0".."n39" */
#define MAX 64   /* naive model: articles per cluster, clusters */

/* The naive model: clusters as arrays of names, in order of creation. */
typedef struct naive_cluster {
    int name;           /* its name's number */
    int members[NAMES]; /* names of its articles, in order of addition */
    int64_t times[NAMES];
    int n;
} naive_cluster;

typedef struct naive {
    naive_cluster c[MAX];
    int n; /* live clusters, oldest first */
} naive;

static void name_of(int k, char out[8]) { snprintf(out, 8, "n%d", k); }

/* Where article k is: cluster and position, or -1. */
static int naive_find(const naive *m, int k, int *at)
{
    for (int c = 0; c < m->n; c++)
        for (int i = 0; i < m->c[c].n; i++)
            if (m->c[c].members[i] == k) {
                if (at)
                    *at = i;
                return c;
            }
    return -1;
}

static int naive_cluster_named(const naive *m, int k)
{
    for (int c = 0; c < m->n; c++)
        if (m->c[c].name == k)
            return c;
    return -1;
}

static void naive_remove(naive *m, int k)
{
    int at = 0, c = naive_find(m, k, &at);
    naive_cluster *x = &m->c[c];
    memmove(x->members + at, x->members + at + 1,
            (size_t)(x->n - at - 1) * sizeof x->members[0]);
    memmove(x->times + at, x->times + at + 1,
            (size_t)(x->n - at - 1) * sizeof x->times[0]);
    if (--x->n == 0) {
        memmove(m->c + c, m->c + c + 1, (size_t)(m->n - c - 1) * sizeof *x);
        m->n--;
    }
}

/* Every observable of the model against the naive one. */
static void agree(const sheaf__model *m, const naive *nm)
{
    char s[8];
    size_t live = 0;
    for (int c = 0; c < nm->n; c++)
        live += (size_t)nm->c[c].n;
    assert_int_equal(m->live, live);
    assert_int_equal(m->clusters, (size_t)nm->n);
    uint32_t c = m->oldest;
    for (int i = 0; i < nm->n; i++, c = m->clus[c].newer) {
        const naive_cluster *x = &nm->c[i];
        assert_true(c != SHEAF__NONE);
        name_of(x->name, s);
        assert_string_equal(m->clus[c].name->s, s);
        assert_int_equal(m->clus[c].size, (uint32_t)x->n);
        uint32_t d = m->clus[c].head;
        for (int j = 0; j < x->n; j++, d = m->docs[d].next) {
            name_of(x->members[j], s);
            assert_string_equal(m->docs[d].id->s, s);
            assert_int_equal(m->docs[d].cluster, c);
            assert_true(m->docs[d].time == x->times[j]);
        }
        assert_int_equal(d, SHEAF__NONE);
    }
    assert_int_equal(c, SHEAF__NONE);
    for (int k = 0; k < NAMES; k++) {
        name_of(k, s);
        const sheaf__name *e = sheaf__model_find(m, s, strlen(s));
        int doc = naive_find(nm, k, NULL) >= 0;
        int clus = naive_cluster_named(nm, k) >= 0;
        assert_int_equal(e != NULL, doc || clus); /* unused names go */
        if (e) {
            assert_int_equal(e->doc != SHEAF__NONE, doc);
            assert_int_equal(e->cluster != SHEAF__NONE, clus);
        }
    }
}

/* Add article k (free) to naive cluster `into`, -1: a new one named by
 * name; or abandon the addition when abandon. */
static void add(sheaf__model *m, naive *nm, int k, int into, int name,
                int64_t t, int abandon)
{
    char id[8], cname[8];
    name_of(k, id);
    name_of(name, cname);
    uint32_t join = SHEAF__NONE;
    if (into >= 0) {
        char first[8];
        name_of(nm->c[into].name, first);
        join = sheaf__model_find(m, first, strlen(first))->cluster;
    }
    sheaf__name *e = sheaf__model_find(m, id, strlen(id));
    sheaf__name *c = sheaf__model_find(m, cname, strlen(cname));
    sheaf__pending p;
    assert_int_equal(sheaf__model_prepare(m, e, id, strlen(id), join, c, cname,
                                          strlen(cname), &p),
                     SHEAF_OK);
    if (abandon) {
        sheaf__model_abandon(m, &p);
        return;
    }
    sheaf__model_finish(m, &p, m->next_seq, t);
    if (into < 0) {
        into = nm->n++;
        nm->c[into].name = name;
        nm->c[into].n = 0;
    }
    naive_cluster *x = &nm->c[into];
    x->members[x->n] = k;
    x->times[x->n++] = t;
}

static void remove_one(sheaf__model *m, naive *nm, int k)
{
    char id[8];
    name_of(k, id);
    sheaf__name *e = sheaf__model_find(m, id, strlen(id));
    sheaf__model_unlink(m, e->doc);
    naive_remove(nm, k);
}

/* A free name for a new cluster: one naming no cluster, and either the
 * article's own id or (as a reload meets) a name no article has. */
static int new_cluster_name(const naive *nm, rng *r, int k)
{
    if (rng_below(r, 3) || naive_cluster_named(nm, k) >= 0)
        for (int tries = 0; tries < 100; tries++) {
            int n = (int)rng_below(r, NAMES);
            if (naive_cluster_named(nm, n) < 0 && naive_find(nm, n, NULL) < 0)
                return n;
        }
    return naive_cluster_named(nm, k) < 0 ? k : -1;
}

static void test_random_against_naive(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        rng r = {seed};
        sheaf__model m;
        sheaf__model_init(&m);
        static naive nm;
        nm.n = 0;
        for (int step = 0; step < 3000; step++) {
            int k = (int)rng_below(&r, NAMES);
            int64_t t = rng_below(&r, 4) ? (int64_t)rng_below(&r, 1000)
                                         : SHEAF_NO_TIME;
            if (naive_find(&nm, k, NULL) >= 0) {
                remove_one(&m, &nm, k);
            } else if (nm.n && rng_below(&r, 2)) {
                add(&m, &nm, k, (int)rng_below(&r, (uint32_t)nm.n), k, t,
                    rng_below(&r, 8) == 0);
            } else if (nm.n < MAX) {
                int name = new_cluster_name(&nm, &r, k);
                if (name >= 0)
                    add(&m, &nm, k, -1, name, t, rng_below(&r, 8) == 0);
            }
            agree(&m, &nm);
        }
        sheaf__model_free(&m);
    }
}

/* sheaf__model_within against a scan of the members. */
static void test_within(void **state)
{
    (void)state;
    rng r = {7};
    sheaf__model m;
    sheaf__model_init(&m);
    static naive nm;
    nm.n = 0;
    add(&m, &nm, 0, -1, 0, 100, 0);
    for (int k = 1; k < 12; k++)
        add(&m, &nm, k, 0, k,
            k % 5 ? (int64_t)rng_below(&r, 1000) : SHEAF_NO_TIME, 0);
    uint32_t c = m.oldest;
    for (int i = 0; i < 2000; i++) {
        int64_t t = (int64_t)rng_below(&r, 1400) - 200;
        int64_t w = rng_below(&r, 4) ? (int64_t)rng_below(&r, 200) : 0;
        int want = w == 0;
        for (int j = 0; j < nm.c[0].n; j++)
            want |= sheaf__within(t, nm.c[0].times[j], w);
        assert_int_equal(sheaf__model_within(&m, c, t, w), want);
    }
    /* Unknown times always meet; extremes do not overflow. */
    assert_true(sheaf__within(SHEAF_NO_TIME, 5, 1));
    assert_true(sheaf__within(INT64_MAX, INT64_MIN + 1, 0));
    assert_false(sheaf__within(INT64_MAX, INT64_MIN + 1, INT64_MAX));
    assert_true(sheaf__within(INT64_MAX, 0, INT64_MAX));
    sheaf__model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_naive),
        cmocka_unit_test(test_within),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
