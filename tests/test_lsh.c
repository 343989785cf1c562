/*
 * The LSH band tables of lib/lsh.h, driven directly: random insertions,
 * removals and candidate queries checked against a naive model (plain arrays
 * of (key, doc) per band), with band values chosen to collide heavily, to
 * make long probe runs that wrap around the end of the table and so exercise
 * backward-shift deletion and growth. After every operation the table's own
 * invariants are checked too.
 *
 * The tables keep no keys: a slot is a 16-bit tag (the top bits of the band
 * key) and a document number, and a slot's key is recomputed from the
 * document's values whenever it moves. So collisions are made by giving
 * documents identical band values: each band's values are drawn from a
 * small pool of row tuples, found by search so that their keys have chosen
 * low bits (the home slot) and pairwise distinct tags. The values live in an
 * array with a stride wider than bands * rows, which the test moves around
 * in memory (the table must read it through the pointer it was given) and
 * whose spare values it scribbles on (the table must not read them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "near/lsh.h"
#include "sheaf.h"


/* ------------------------------------------------------------ test rng */

static uint64_t rng_state;

static uint64_t next64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t below(uint32_t n) { return (uint32_t)((next64() >> 32) * n >> 32); }

/* ----------------------------------------- how the table uses a key */

/* lsh.h: the tag is the top 16 bits of the band key; the home slot is the
 * low bits of the key, masked to the table size. */
static uint16_t tag_of(uint64_t key) { return (uint16_t)(key >> 48); }
static uint32_t home_of(uint64_t key, uint32_t mask) { return (uint32_t)key & mask; }

/* The key of one band of rows values, as sheaf__lsh_keys computes it (a
 * one-band call with the band's seed would differ, so go through it). */
static uint64_t band_key(uint32_t b, uint32_t rows, const uint16_t *row)
{
    uint16_t v[64 * 8];
    uint64_t keys[64];
    assert_true(b < 64 && rows <= 8);
    memset(v, 0, sizeof v);
    memcpy(v + (size_t)b * rows, row, rows * sizeof *row);
    sheaf__lsh_keys(b + 1, rows, v, keys);
    return keys[b];
}

/* ---------------------------------------------------------- naive model */

typedef struct entry {
    uint64_t key;
    uint32_t doc;
} entry;

typedef struct model {
    uint32_t bands;
    entry *e[8]; /* per band */
    size_t n[8], cap[8];
} model;

static void model_init(model *m, uint32_t bands)
{
    memset(m, 0, sizeof *m);
    m->bands = bands;
}

static void model_free(model *m)
{
    for (uint32_t b = 0; b < m->bands; b++)
        free(m->e[b]);
}

static void model_insert(model *m, const uint64_t *keys, uint32_t doc)
{
    for (uint32_t b = 0; b < m->bands; b++) {
        if (m->n[b] == m->cap[b]) {
            m->cap[b] = m->cap[b] ? m->cap[b] * 2 : 64;
            m->e[b] = realloc(m->e[b], m->cap[b] * sizeof(entry));
            assert_non_null(m->e[b]);
        }
        m->e[b][m->n[b]].key = keys[b];
        m->e[b][m->n[b]].doc = doc;
        m->n[b]++;
    }
}

static void model_remove(model *m, const uint64_t *keys, uint32_t doc)
{
    for (uint32_t b = 0; b < m->bands; b++)
        for (size_t i = 0; i < m->n[b]; i++)
            if (m->e[b][i].key == keys[b] && m->e[b][i].doc == doc) {
                m->e[b][i] = m->e[b][--m->n[b]];
                break;
            }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->key != y->key)
        return (x->key > y->key) - (x->key < y->key);
    return (x->doc > y->doc) - (x->doc < y->doc);
}

static size_t sort_unique(uint32_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u32);
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (!w || v[i] != v[w - 1])
            v[w++] = v[i];
    return w;
}

/* Sorted unique docs sharing a band key with keys (same_tag 0), or only a
 * band tag (same_tag 1: those the table may return, since it keeps tags);
 * returns how many, into out. */
static size_t model_candidates(const model *m, const uint64_t *keys,
                               int same_tag, uint32_t *out)
{
    size_t n = 0;
    for (uint32_t b = 0; b < m->bands; b++)
        for (size_t i = 0; i < m->n[b]; i++)
            if (same_tag ? tag_of(m->e[b][i].key) == tag_of(keys[b])
                         : m->e[b][i].key == keys[b])
                out[n++] = m->e[b][i].doc;
    return sort_unique(out, n);
}

/* ------------------------------------------- document values, movable */

/* Document d's values at vals.v[d * stride]; the table holds &vals.v. */
typedef struct docvals {
    uint16_t *v;
    uint32_t stride;
    size_t cap; /* documents */
} docvals;

/* Room for document d; always moves the array (a fresh allocation, the
 * old one freed), so that a table still reading the old one is caught. */
static void values_reserve(docvals *vs, size_t d)
{
    size_t cap = vs->cap;
    while (cap <= d)
        cap = cap ? cap * 2 : 16;
    uint16_t *v = malloc(cap * vs->stride * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < cap * vs->stride; i++)
        v[i] = (uint16_t)next64(); /* junk where nothing is yet */
    if (vs->v)
        memcpy(v, vs->v, vs->cap * vs->stride * sizeof *v);
    free(vs->v);
    vs->v = v;
    vs->cap = cap;
}

static uint16_t *values_of(docvals *vs, uint32_t d)
{
    if (d >= vs->cap)
        values_reserve(vs, d);
    return vs->v + (size_t)d * vs->stride;
}

/* ------------------------------------------------------ table invariants */

static size_t tags_differing = 0; /* candidates that only shared a tag */

/* Count, load, tags, reachability of every entry from its home slot
 * (computed from the document's values) without crossing an empty slot,
 * and the multiset of entries equal to the model's. */
static void check_tables(const sheaf__lsh *l, const model *m,
                         const docvals *vs)
{
    assert_ptr_equal(l->values, &vs->v);
    uint64_t keys[64];
    assert_true(l->bands <= 64);
    for (uint32_t b = 0; b < l->bands; b++) {
        const sheaf__slot *t = l->band[b].slots;
        const uint32_t mask = l->band[b].mask;
        if (!t) {
            assert_int_equal(l->count, 0);
            assert_int_equal(m->n[b], 0);
            continue;
        }
        size_t cap = (size_t)mask + 1;
        assert_int_equal(cap & mask, 0); /* a power of two */
        entry *got = malloc((l->count + 1) * sizeof *got);
        assert_non_null(got);
        /* Start just after an empty slot (there is one: load <= 3/4) and
         * track how many occupied slots precede each one in its run. */
        size_t start = 0;
        while (start < cap && sheaf__slot_doc(&t[start]) != SHEAF__NO_DOC)
            start++;
        assert_true(start < cap);
        size_t used = 0, run = 0;
        for (size_t k = 1; k <= cap; k++) {
            size_t i = (start + k) & mask;
            uint32_t d = sheaf__slot_doc(&t[i]);
            if (d == SHEAF__NO_DOC) {
                run = 0;
                continue;
            }
            assert_true(used < l->count);
            assert_true(d < vs->cap);
            sheaf__lsh_keys(l->bands, l->rows, vs->v + (size_t)d * vs->stride,
                            keys);
            got[used].key = keys[b];
            got[used].doc = d;
            used++;
            assert_int_equal(t[i].tag, tag_of(keys[b]));
            /* Reachable from its home without crossing an empty slot. */
            size_t dist = (i - home_of(keys[b], mask)) & mask;
            assert_true(dist <= run);
            run++;
        }
        assert_int_equal(used, l->count);
        assert_true((size_t)l->count * 4 <= cap * 3);
        assert_int_equal(used, m->n[b]);
        entry *want = malloc((m->n[b] + 1) * sizeof *want);
        assert_non_null(want);
        if (m->n[b])
            memcpy(want, m->e[b], m->n[b] * sizeof *want);
        qsort(got, used, sizeof *got, cmp_entry);
        qsort(want, used, sizeof *want, cmp_entry);
        for (size_t i = 0; i < used; i++) {
            assert_true(got[i].key == want[i].key);
            assert_int_equal(got[i].doc, want[i].doc);
        }
        free(got);
        free(want);
    }
}

/* The candidates of keys: every document sharing a band key, and nothing
 * but documents sharing at least a band tag (the table keeps 16-bit tags,
 * lsh.h); sorted, unique, appended after what *out holds. Where no two
 * different keys of a band share a tag (the pools below make sure of it),
 * that is exactly the model's candidates. */
static void check_candidates(const sheaf__lsh *l, const model *m,
                             const uint64_t *keys)
{
    static uint32_t want[1 << 16], may[1 << 16];
    size_t nw = model_candidates(m, keys, 0, want);
    size_t nm = model_candidates(m, keys, 1, may);
    sheaf__docs out = {0};
    assert_int_equal(sheaf__docs_push(&out, 0xdead), SHEAF_OK);
    assert_int_equal(sheaf__docs_push(&out, 7), SHEAF_OK);
    assert_int_equal(sheaf__lsh_candidates(l, keys, &out), SHEAF_OK);
    assert_true(out.n >= nw + 2);
    assert_true(out.n <= nm + 2);
    assert_int_equal(out.v[0], 0xdead);
    assert_int_equal(out.v[1], 7);
    size_t iw = 0, im = 0;
    for (size_t i = 2; i < out.n; i++) {
        if (i > 2)
            assert_true(out.v[i] > out.v[i - 1]); /* sorted, unique */
        while (im < nm && may[im] < out.v[i])
            im++;
        assert_true(im < nm && may[im] == out.v[i]); /* shares a tag */
        if (iw < nw && want[iw] == out.v[i])
            iw++;
        else
            tags_differing++;
    }
    assert_int_equal(iw, nw); /* every document sharing a key */
    if (nm == nw)
        assert_int_equal(out.n, nw + 2);

    /* The marked variant finds the same documents, each once, and marks
     * exactly them; documents already marked with the epoch are skipped. */
    static uint32_t mark[1 << 16];
    static uint32_t epoch = 0;
    epoch += 2;
    sheaf__docs marked = {0};
    assert_int_equal(sheaf__lsh_candidates_marked(l, keys, mark, epoch, &marked),
                     SHEAF_OK);
    assert_int_equal(marked.n, out.n - 2);
    if (marked.n)
        qsort(marked.v, marked.n, sizeof *marked.v, cmp_u32);
    for (size_t i = 0; i < marked.n; i++) {
        assert_int_equal(marked.v[i], out.v[i + 2]);
        assert_int_equal(mark[marked.v[i]], epoch);
    }
    sheaf__docs again = {0};
    assert_int_equal(sheaf__lsh_candidates_marked(l, keys, mark, epoch, &again),
                     SHEAF_OK);
    assert_int_equal(again.n, 0);
    sheaf__docs_free(&again);
    sheaf__docs_free(&marked);
    sheaf__docs_free(&out);
    assert_null(out.v);
    assert_int_equal(out.n, 0);
}

/* ------------------------------------------------------ row-tuple pools */

#define BANDS 6 /* more than GROW_GROUP in lsh.c: the bands grow in two groups */
#define ROWS 3
#define STRIDE (BANDS * ROWS + 3) /* 3 spare values the table never reads */

typedef struct tuple {
    uint16_t v[ROWS];
} tuple;

/* Low 12 bits of a key: the home slot in every table of up to 4096 slots. */
enum { LOW = 0xfff };

typedef struct pool {
    tuple special[12]; /* the old fixed key pool, by home slot */
    tuple near[64];    /* few distinct keys, all homed near the end */
    uint64_t special_key[12], near_key[64];
} pool;

static pool pools[BANDS];
static uint8_t tag_used[BANDS][1 << 16];

static void random_tuple(tuple *t)
{
    for (uint32_t r = 0; r < ROWS; r++)
        t->v[r] = (uint16_t)next64();
}

/* A tuple of band b whose key has (key & mask) == low and a tag no other
 * pool tuple of the band has. */
static uint64_t find_tuple(uint32_t b, uint32_t mask, uint32_t low, tuple *t)
{
    for (;;) {
        random_tuple(t);
        uint64_t k = band_key(b, ROWS, t->v);
        if (((uint32_t)k & mask) == low && !tag_used[b][tag_of(k)]) {
            tag_used[b][tag_of(k)] = 1;
            return k;
        }
    }
}

static void make_pools(uint64_t seed)
{
    uint64_t saved = rng_state;
    rng_state = seed ^ 0x5eed;
    memset(tag_used, 0, sizeof tag_used);
    for (uint32_t b = 0; b < BANDS; b++) {
        pool *p = &pools[b];
        static const uint32_t special[12][2] = {
            {LOW, LOW}, {LOW, LOW}, {LOW, LOW}, {LOW, LOW}, /* home: last */
            {LOW, LOW - 1}, {LOW, LOW - 1},                 /* next to it */
            {LOW, 0}, {LOW, 0}, {LOW, 0},                   /* home: 0 */
            {31, 1}, {31, 1}, {31, 1},                      /* 1 mod 32 */
        };
        for (int i = 0; i < 12; i++)
            p->special_key[i] =
                find_tuple(b, special[i][0], special[i][1], &p->special[i]);
        for (int i = 0; i < 64; i++)
            p->near_key[i] =
                find_tuple(b, LOW, LOW - (uint32_t)i % 4, &p->near[i]);
    }
    rng_state = saved;
}

/* Band b's values: from the pools, so that equal keys and equal home slots
 * are the rule. Keys with low 12 bits all ones put the home slot at the end
 * of every table size up to 2^12, so runs wrap around to slot 0. */
static void pool_tuple(uint32_t b, uint16_t *out)
{
    uint32_t r = below(100);
    if (r < 70)
        memcpy(out, pools[b].special[below(12)].v, ROWS * sizeof *out);
    else if (r < 85) /* few distinct keys, all near the end */
        memcpy(out, pools[b].near[below(64)].v, ROWS * sizeof *out);
    else {
        /* Random, but of no pool tuple's tag. */
        tuple t;
        do
            random_tuple(&t);
        while (tag_used[b][tag_of(band_key(b, ROWS, t.v))]);
        memcpy(out, t.v, ROWS * sizeof *out);
    }
}

static void pool_values(uint16_t *v)
{
    for (uint32_t b = 0; b < BANDS; b++)
        pool_tuple(b, v + b * ROWS);
}

/* -------------------------------------------------------------- the ops */

#define MAX_DOCS 4096

typedef struct live {
    uint32_t doc;
    uint64_t keys[BANDS];
} live;

static void random_ops(uint64_t seed, int ops, uint32_t max_live)
{
    rng_state = seed;
    make_pools(seed);
    /* The pools really collide at the end of the table. */
    for (uint32_t b = 0; b < BANDS; b++) {
        assert_int_equal(pools[b].special_key[0] & LOW, LOW);
        assert_true(pools[b].special_key[0] != pools[b].special_key[1]);
        assert_int_equal(pools[b].special_key[8] & LOW, 0);
    }
    docvals vs = {NULL, STRIDE, 0};
    sheaf__lsh l;
    assert_int_equal(sheaf__lsh_init(&l, BANDS, ROWS,
                                     (const uint16_t *const *)&vs.v, STRIDE),
                     SHEAF_OK);
    assert_int_equal(l.bands, BANDS);
    assert_int_equal(l.rows, ROWS);
    assert_int_equal(l.stride, STRIDE);
    model m;
    model_init(&m, BANDS);
    static live docs[MAX_DOCS];
    size_t n = 0;
    /* Free document numbers, reused LIFO like the index does. */
    static uint32_t free_docs[MAX_DOCS];
    size_t nfree = 0;
    uint32_t next_doc = 0;
    int removals = 0, wraps = 0, moves = 0;
    size_t differing_before = tags_differing;

    for (int op = 0; op < ops; op++) {
        /* Phases: fill to max_live, then drain most of it, and again. */
        int filling = (op / (ops / 6)) % 2 == 0;
        uint32_t r = below(100);
        if (n < max_live && (n == 0 || r < (filling ? 75u : 30u))) {
            live x;
            x.doc = nfree ? free_docs[--nfree] : next_doc++;
            assert_true(x.doc < MAX_DOCS);
            assert_int_equal(sheaf__lsh_reserve(&l, l.count + 1), SHEAF_OK);
            /* The values go in place before the insertion (lsh.h). */
            uint16_t *v = values_of(&vs, x.doc);
            pool_values(v);
            sheaf__lsh_keys(BANDS, ROWS, v, x.keys);
            sheaf__lsh_insert(&l, x.keys, x.doc);
            model_insert(&m, x.keys, x.doc);
            docs[n++] = x;
        } else if (r < 92) {
            size_t i = below((uint32_t)n);
            /* Count removals from runs that wrap around the table's end. */
            for (uint32_t b = 0; b < BANDS; b++) {
                if (home_of(docs[i].keys[b], l.band[b].mask) == l.band[b].mask &&
                    sheaf__slot_doc(l.band[b].slots) != SHEAF__NO_DOC)
                    wraps++;
            }
            sheaf__lsh_remove(&l, docs[i].keys, docs[i].doc);
            model_remove(&m, docs[i].keys, docs[i].doc);
            /* A free document's values are junk until it is reused. */
            uint16_t *v = values_of(&vs, docs[i].doc);
            for (uint32_t k = 0; k < STRIDE; k++)
                v[k] = (uint16_t)next64();
            free_docs[nfree++] = docs[i].doc;
            docs[i] = docs[--n];
            removals++;
        } else {
            /* Removing what is not there changes nothing. */
            uint16_t v[BANDS * ROWS];
            uint64_t keys[BANDS];
            pool_values(v);
            sheaf__lsh_keys(BANDS, ROWS, v, keys);
            sheaf__lsh_remove(&l, keys, next_doc + 17);
            if (n)
                sheaf__lsh_remove(&l, keys, docs[below((uint32_t)n)].doc + MAX_DOCS);
        }
        /* The spare values of a document are never read. */
        if (n) {
            uint16_t *v = values_of(&vs, docs[below((uint32_t)n)].doc);
            for (uint32_t k = BANDS * ROWS; k < STRIDE; k++)
                v[k] = (uint16_t)next64();
        }
        /* The values move now and then, as the index's array does. */
        if (below(50) == 0) {
            values_reserve(&vs, 0);
            moves++;
        }

        /* Query a live document's keys, a mix, and random pool values. */
        uint64_t q[BANDS];
        if (n) {
            const live *a = &docs[below((uint32_t)n)];
            const live *c = &docs[below((uint32_t)n)];
            check_candidates(&l, &m, a->keys);
            for (uint32_t b = 0; b < BANDS; b++)
                q[b] = (b & 1) ? a->keys[b] : c->keys[b];
            check_candidates(&l, &m, q);
        }
        uint16_t v[BANDS * ROWS];
        pool_values(v);
        sheaf__lsh_keys(BANDS, ROWS, v, q);
        check_candidates(&l, &m, q);
        if (op % (n < 256 ? 4 : 97) == 0 || n < 8)
            check_tables(&l, &m, &vs);
    }
    check_tables(&l, &m, &vs);
    assert_true(removals > ops / 4);
    assert_true(wraps > 10); /* the wrap-around case really happened */
    assert_true(moves > ops / 100);
    /* Pool tags are distinct and random values avoid them: only two
     * random values can share a tag, and a candidate of another key
     * comes rarely. */
    print_message("seed %llu: %zu candidate(s) of another key with its tag\n",
                  (unsigned long long)seed, tags_differing - differing_before);

    /* Drain completely: tables empty, no candidates at all. */
    while (n) {
        sheaf__lsh_remove(&l, docs[n - 1].keys, docs[n - 1].doc);
        model_remove(&m, docs[n - 1].keys, docs[n - 1].doc);
        n--;
    }
    check_tables(&l, &m, &vs);
    assert_int_equal(l.count, 0);
    uint64_t q[BANDS] = {pools[0].special_key[0], 0, pools[2].near_key[5], 1};
    check_candidates(&l, &m, q);

    sheaf__lsh_free(&l);
    assert_null(l.band);
    model_free(&m);
    free(vs.v);
}

static void test_random_small(void **state)
{
    (void)state;
    /* Small tables: constant growth, and long runs relative to the size. */
    random_ops(1, 4000, 40);
    random_ops(2, 4000, 100);
}

static void test_random_large(void **state)
{
    (void)state;
    random_ops(3, 12000, 1500);
    random_ops(4, 12000, 3000);
}

/* The keys of the 65536 one-row band-0 values. */
static uint64_t one_row_key[1 << 16];

static void one_row_keys(void)
{
    for (uint32_t v = 0; v < 65536; v++) {
        uint16_t x = (uint16_t)v;
        sheaf__lsh_keys(1, 1, &x, &one_row_key[v]);
    }
}

/* Inserting only into the last slot's run: every entry but the first wraps. */
static void test_all_same_home(void **state)
{
    (void)state;
    one_row_keys();
    /* Same home slot (the last of a 64-slot table), 3 distinct tags. */
    uint16_t pick[3];
    size_t k = 0;
    for (uint32_t v = 0; v < 65536 && k < 3; v++) {
        uint64_t key = one_row_key[v];
        int fresh = home_of(key, 63) == 63;
        for (size_t j = 0; j < k; j++)
            fresh &= tag_of(key) != tag_of(one_row_key[pick[j]]);
        if (fresh)
            pick[k++] = (uint16_t)v;
    }
    assert_int_equal(k, 3);
    docvals vs = {NULL, 1, 0};
    values_reserve(&vs, 39);
    sheaf__lsh l;
    model m;
    assert_int_equal(sheaf__lsh_init(&l, 1, 1, (const uint16_t *const *)&vs.v,
                                     1),
                     SHEAF_OK);
    model_init(&m, 1);
    uint64_t keys[40];
    for (uint32_t d = 0; d < 40; d++) {
        vs.v[d] = pick[d % 3];
        sheaf__lsh_keys(1, 1, &vs.v[d], &keys[d]);
        assert_int_equal(home_of(keys[d], 63), 63);
        assert_int_equal(sheaf__lsh_reserve(&l, l.count + 1), SHEAF_OK);
        sheaf__lsh_insert(&l, &keys[d], d);
        model_insert(&m, &keys[d], d);
    }
    assert_int_equal(l.band[0].mask, 63);
    check_tables(&l, &m, &vs);
    /* Remove from the front, the middle and the back of the run. */
    const uint32_t order[] = {0, 39, 20, 1, 2, 38, 10, 11, 12, 3};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        uint32_t d = order[i];
        sheaf__lsh_remove(&l, &keys[d], d);
        model_remove(&m, &keys[d], d);
        check_tables(&l, &m, &vs);
        for (uint32_t q = 0; q < 3; q++)
            check_candidates(&l, &m, &keys[q]);
    }
    /* 30 left: slot 63 and slots 0..28, nothing between. */
    const sheaf__slot *t = l.band[0].slots;
    assert_int_not_equal(sheaf__slot_doc(&t[63]), SHEAF__NO_DOC);
    for (uint32_t i = 0; i < 63; i++)
        assert_true((sheaf__slot_doc(&t[i]) != SHEAF__NO_DOC) == (i < 29));
    sheaf__lsh_free(&l);
    model_free(&m);
    free(vs.v);
}

/* Tags are 16 bits: a document of another band key with the same tag is a
 * candidate when its slot is in the probe run of the query's key (lsh.h),
 * and only then. */
static void test_tag_collision(void **state)
{
    (void)state;
    /* Two-row values (v & 0xffff, v >> 16): two of different keys, one
     * home and one tag in a 64-slot table; and a third of that tag homed
     * at least 8 slots away. */
    static uint32_t first[1 << 22]; /* by (tag, home): a value + 1 */
    memset(first, 0, sizeof first);
    uint32_t v0 = 0, v1 = 0, vf = 0;
    int found = 0;
    for (uint32_t v = 1; v < (1u << 24) && !found; v++) {
        uint16_t row[2] = {(uint16_t)v, (uint16_t)(v >> 16)};
        uint64_t key = band_key(0, 2, row);
        uint32_t slot = (uint32_t)tag_of(key) << 6 | home_of(key, 63);
        if (first[slot]) {
            v0 = first[slot];
            v1 = v;
            found = 1;
        } else {
            first[slot] = v;
        }
    }
    assert_true(found);
    uint16_t vals[6] = {(uint16_t)v0, (uint16_t)(v0 >> 16), (uint16_t)v1,
                        (uint16_t)(v1 >> 16), 0, 0};
    uint64_t k0, k1, kf;
    sheaf__lsh_keys(1, 2, vals, &k0);
    sheaf__lsh_keys(1, 2, vals + 2, &k1);
    uint32_t h = home_of(k0, 63);
    found = 0;
    for (uint32_t v = 1; v != 0 && !found; v++) {
        uint16_t row[2] = {(uint16_t)v, (uint16_t)(v >> 16)};
        uint64_t key = band_key(0, 2, row);
        uint32_t dist = (home_of(key, 63) - h) & 63;
        if (tag_of(key) == tag_of(k0) && dist >= 8 && dist <= 56) {
            vf = v;
            found = 1;
        }
    }
    assert_true(found);
    vals[4] = (uint16_t)vf;
    vals[5] = (uint16_t)(vf >> 16);
    sheaf__lsh_keys(1, 2, vals + 4, &kf);
    assert_true(k0 != k1 && kf != k0 && kf != k1);
    assert_int_equal(tag_of(k0), tag_of(k1));
    assert_int_equal(tag_of(k0), tag_of(kf));
    assert_int_equal(home_of(k1, 63), h);

    const uint16_t *vp = vals;
    sheaf__lsh l;
    assert_int_equal(sheaf__lsh_init(&l, 1, 2, &vp, 2), SHEAF_OK);
    sheaf__docs out = {0};
    /* Only doc 0 (key k0) is in: k1 finds it (same home, same tag), kf
     * does not (its run is empty). */
    assert_int_equal(sheaf__lsh_reserve(&l, l.count + 1), SHEAF_OK);
    sheaf__lsh_insert(&l, &k0, 0);
    assert_int_equal(l.band[0].mask, 63);
    assert_int_equal(sheaf__lsh_candidates(&l, &k1, &out), SHEAF_OK);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0], 0);
    out.n = 0;
    assert_int_equal(sheaf__lsh_candidates(&l, &kf, &out), SHEAF_OK);
    assert_int_equal(out.n, 0);
    /* Doc 2 (key kf) in too: k0 and k1 find doc 0 only, kf doc 2 only. */
    assert_int_equal(sheaf__lsh_reserve(&l, l.count + 1), SHEAF_OK);
    sheaf__lsh_insert(&l, &kf, 2);
    out.n = 0;
    assert_int_equal(sheaf__lsh_candidates(&l, &k0, &out), SHEAF_OK);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0], 0);
    out.n = 0;
    assert_int_equal(sheaf__lsh_candidates(&l, &kf, &out), SHEAF_OK);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0], 2);
    /* Doc 1 (key k1) joins doc 0's run: both found by either key. Removing
     * doc 0 shifts doc 1 back to the home slot, where removal by k1 finds
     * it. */
    assert_int_equal(sheaf__lsh_reserve(&l, l.count + 1), SHEAF_OK);
    sheaf__lsh_insert(&l, &k1, 1);
    out.n = 0;
    assert_int_equal(sheaf__lsh_candidates(&l, &k1, &out), SHEAF_OK);
    assert_int_equal(out.n, 2);
    assert_int_equal(out.v[0], 0);
    assert_int_equal(out.v[1], 1);
    sheaf__lsh_remove(&l, &k0, 0);
    assert_int_equal(l.count, 2);
    assert_int_equal(sheaf__slot_doc(&l.band[0].slots[h]), 1);
    assert_int_equal(sheaf__slot_doc(&l.band[0].slots[(h + 1) & 63]),
                     SHEAF__NO_DOC);
    out.n = 0;
    assert_int_equal(sheaf__lsh_candidates(&l, &k0, &out), SHEAF_OK);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0], 1);
    sheaf__lsh_remove(&l, &k1, 1);
    assert_int_equal(l.count, 1);
    out.n = 0;
    assert_int_equal(sheaf__lsh_candidates(&l, &k1, &out), SHEAF_OK);
    assert_int_equal(out.n, 0);
    out.n = 0;
    assert_int_equal(sheaf__lsh_candidates(&l, &kf, &out), SHEAF_OK);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0], 2);
    sheaf__docs_free(&out);
    sheaf__lsh_free(&l);
}

/* Growth rehashes into a larger table, from the values, and keeps every
 * entry. */
static void test_growth(void **state)
{
    (void)state;
    rng_state = 99;
    enum { N = 20000, B = 3, R = 2 };
    docvals vs = {NULL, B * R, 0};
    sheaf__lsh l;
    assert_int_equal(sheaf__lsh_init(&l, B, R, (const uint16_t *const *)&vs.v,
                                     B * R),
                     SHEAF_OK);
    for (uint32_t b = 0; b < B; b++)
        assert_null(l.band[b].slots);
    assert_int_equal(l.count, 0);
    static uint8_t used[B][1 << 16]; /* tags present in each band */
    memset(used, 0, sizeof used);
    /* Band 2 has only 97 tuples of values, of distinct tags. */
    uint16_t pool97[97][R];
    for (uint32_t i = 0; i < 97; i++)
        for (;;) {
            pool97[i][0] = (uint16_t)next64();
            pool97[i][1] = (uint16_t)next64();
            uint16_t tag = tag_of(band_key(2, R, pool97[i]));
            if (!used[2][tag]) {
                used[2][tag] = 1;
                break;
            }
        }
    uint64_t(*keys)[B] = malloc(N * sizeof *keys);
    assert_non_null(keys);
    uint32_t last_mask = 0;
    int growths = 0;
    for (uint32_t d = 0; d < N; d++) {
        uint16_t *v = values_of(&vs, d);
        /* Band 0: a key of its own tag per document, so that a band-0 query
         * finds exactly its document. Band 1: random. */
        for (;;) {
            v[0] = (uint16_t)next64();
            v[1] = (uint16_t)next64();
            uint16_t tag = tag_of(band_key(0, R, v));
            if (!used[0][tag]) {
                used[0][tag] = 1;
                break;
            }
        }
        v[2] = (uint16_t)next64();
        v[3] = (uint16_t)next64();
        memcpy(v + 4, pool97[d % 97], sizeof pool97[0]);
        sheaf__lsh_keys(B, R, v, keys[d]);
        used[1][tag_of(keys[d][1])] = 1;
        assert_int_equal(sheaf__lsh_reserve(&l, l.count + 1), SHEAF_OK);
        sheaf__lsh_insert(&l, keys[d], d);
        if (l.band[0].mask != last_mask) {
            growths++;
            last_mask = l.band[0].mask;
            /* After each growth, every document is still found. */
            sheaf__docs out = {0};
            for (uint32_t e = 0; e <= d; e += 1 + d / 500) {
                out.n = 0;
                uint64_t q[B] = {keys[e][0], ~keys[e][1], 0xffffffffu};
                assert_int_equal(sheaf__lsh_candidates(&l, q, &out), SHEAF_OK);
                int found = 0;
                for (size_t i = 0; i < out.n; i++)
                    found |= out.v[i] == e;
                assert_true(found);
            }
            sheaf__docs_free(&out);
        }
        assert_int_equal(l.count, d + 1);
        for (uint32_t b = 0; b < B; b++)
            assert_true((size_t)l.count * 4 <=
                        ((size_t)l.band[b].mask + 1) * 3);
    }
    assert_true(growths >= 9); /* 64 -> 32768 slots */
    /* Keys of tags no document has in a band match nothing there. */
    uint64_t none0 = 0, none1 = 0, none2 = 0;
    while (used[0][tag_of(none0)])
        none0 += 1ull << 48;
    while (used[1][tag_of(none1)])
        none1 += 1ull << 48;
    while (used[2][tag_of(none2)])
        none2 += 1ull << 48;
    none0 |= (uint32_t)keys[0][0]; /* doc 0's home: its run is not empty */
    none1 |= 0x12345;
    none2 |= 0xfffff;
    /* The candidates of band-2 tuple 5 are d = 5 mod 97. */
    sheaf__docs out = {0};
    uint64_t k5[B];
    uint16_t v5[B * R] = {0};
    memcpy(v5 + 4, pool97[5], sizeof pool97[5]);
    sheaf__lsh_keys(B, R, v5, k5);
    uint64_t q[B] = {none0, none1, k5[2]};
    assert_int_equal(sheaf__lsh_candidates(&l, q, &out), SHEAF_OK);
    size_t want = 0;
    for (uint32_t d = 5; d < N; d += 97)
        assert_int_equal(out.v[want++], d);
    assert_int_equal(out.n, want);
    sheaf__docs_free(&out);
    /* Remove every other document; the rest are all still there. The
     * values move first: growth and removal read them where they are now. */
    values_reserve(&vs, 0);
    for (uint32_t d = 0; d < N; d += 2)
        sheaf__lsh_remove(&l, keys[d], d);
    assert_int_equal(l.count, N / 2);
    for (uint32_t d = 0; d < N; d++) {
        uint64_t q1[B] = {keys[d][0], none1, none2};
        assert_int_equal(sheaf__lsh_candidates(&l, q1, &out), SHEAF_OK);
        if (d % 2) {
            assert_int_equal(out.n, 1);
            assert_int_equal(out.v[0], d);
        } else {
            assert_int_equal(out.n, 0);
        }
        out.n = 0;
    }
    /* And the tables grow again over the survivors. */
    values_reserve(&vs, 0);
    for (uint32_t d = 0; d < N; d += 2) {
        assert_int_equal(sheaf__lsh_reserve(&l, l.count + 1), SHEAF_OK);
        sheaf__lsh_insert(&l, keys[d], d);
    }
    for (uint32_t d = 0; d < N; d++) {
        uint64_t q1[B] = {keys[d][0], none1, none2};
        assert_int_equal(sheaf__lsh_candidates(&l, q1, &out), SHEAF_OK);
        assert_int_equal(out.n, 1);
        assert_int_equal(out.v[0], d);
        out.n = 0;
    }
    sheaf__docs_free(&out);
    free(keys);
    sheaf__lsh_free(&l);
    free(vs.v);
}

/* An empty index: no table allocated yet, no candidates, removal a no-op. */
static void test_empty(void **state)
{
    (void)state;
    uint16_t *vals = NULL; /* like the index before its first document */
    sheaf__lsh l;
    assert_int_equal(sheaf__lsh_init(&l, 5, 1, (const uint16_t *const *)&vals,
                                     5),
                     SHEAF_OK);
    assert_ptr_equal(l.values, &vals);
    uint16_t v[5] = {1, 2, 3, 4, 5};
    uint64_t keys[5];
    sheaf__lsh_keys(5, 1, v, keys);
    sheaf__lsh_remove(&l, keys, 0);
    sheaf__docs out = {0};
    assert_int_equal(sheaf__lsh_candidates(&l, keys, &out), SHEAF_OK);
    assert_int_equal(out.n, 0);
    /* A document found through several bands is listed once. */
    vals = malloc(43 * 5 * sizeof *vals);
    assert_non_null(vals);
    memcpy(vals + 42 * 5, v, sizeof v);
    assert_int_equal(sheaf__lsh_reserve(&l, l.count + 1), SHEAF_OK);
    sheaf__lsh_insert(&l, keys, 42);
    assert_int_equal(sheaf__lsh_candidates(&l, keys, &out), SHEAF_OK);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0], 42);
    /* Band keys count only in their own band (the tags of the five keys
     * differ, so no tag match either). */
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < i; j++)
            assert_int_not_equal(tag_of(keys[i]), tag_of(keys[j]));
    uint64_t shifted[5] = {keys[4], keys[0], keys[1], keys[2], keys[3]};
    out.n = 0;
    assert_int_equal(sheaf__lsh_candidates(&l, shifted, &out), SHEAF_OK);
    assert_int_equal(out.n, 0);
    /* Removal empties every band. */
    sheaf__lsh_remove(&l, keys, 42);
    assert_int_equal(l.count, 0);
    assert_int_equal(sheaf__lsh_candidates(&l, keys, &out), SHEAF_OK);
    assert_int_equal(out.n, 0);
    sheaf__docs_free(&out);
    sheaf__lsh_free(&l);
    sheaf__lsh_free(&l); /* twice is harmless: band was reset to NULL */
    free(vals);
}

/* The band keys restated naively (lsh.c): band b's rows packed four to a
 * 64-bit word, 16 bits each from the low end; the hash starts at the golden
 * ratio constant times b + 1 and each word is xor-ed in and mixed with the
 * splitmix64 finaliser. */
static uint64_t ref_mix(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t ref_key(const uint16_t *rowv, uint32_t b, uint32_t rows)
{
    uint64_t h = 0x9e3779b97f4a7c15ull * (b + 1), w = 0;
    for (uint32_t i = 0; i < rows; i++) {
        w |= (uint64_t)rowv[i] << (16 * (i % 4));
        if (i % 4 == 3 || i + 1 == rows) {
            h = ref_mix(h ^ w);
            w = 0;
        }
    }
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void test_keys(void **state)
{
    (void)state;
    rng_state = 7;
    const uint32_t shapes[][2] = {{1, 1}, {4, 32}, {32, 4}, {21, 6}, {128, 1},
                                  {1, 128}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        uint32_t bands = shapes[s][0], rows = shapes[s][1];
        uint16_t values[128 + 3];
        uint64_t keys[128], keys2[128];
        for (size_t i = 0; i < 131; i++)
            values[i] = (uint16_t)next64();
        sheaf__lsh_keys(bands, rows, values, keys);
        for (uint32_t b = 0; b < bands; b++) {
            uint64_t want = ref_key(values + (size_t)b * rows, b, rows);
            assert_true(keys[b] == want);
        }
        /* Changing a value in band b changes key b only; values past
         * bands * rows are ignored. */
        uint32_t b = bands / 2;
        values[b * rows + rows - 1] ^= 1;
        values[bands * rows] ^= 0xffff;
        sheaf__lsh_keys(bands, rows, values, keys2);
        for (uint32_t c = 0; c < bands; c++) {
            if (c == b)
                assert_true(keys[c] != keys2[c]);
            else
                assert_true(keys[c] == keys2[c]);
        }
        /* Equal rows in different bands still give different keys. */
        if (bands >= 2) {
            uint16_t same[128 * 2];
            for (size_t i = 0; i < (size_t)bands * rows; i++)
                same[i] = 12345;
            sheaf__lsh_keys(bands, rows, same, keys);
            assert_true(keys[0] != keys[1]);
        }
    }
    /* All 64 bits are used: keys of one-row bands over all 65536 values
     * differ from each other, in their tag, and in their low 32 bits. */
    static uint64_t all[65536];
    for (uint32_t v = 0; v < 65536; v++) {
        uint16_t x = (uint16_t)v;
        sheaf__lsh_keys(1, 1, &x, &all[v]);
    }
    size_t tags_hi = 0, tags_lo = 0;
    static uint8_t seen_hi[1 << 16], seen_lo[1 << 16];
    memset(seen_hi, 0, sizeof seen_hi);
    memset(seen_lo, 0, sizeof seen_lo);
    for (uint32_t v = 0; v < 65536; v++) {
        tags_hi += !seen_hi[all[v] >> 48];
        tags_lo += !seen_lo[all[v] & 0xffff];
        seen_hi[all[v] >> 48] = seen_lo[all[v] & 0xffff] = 1;
    }
    /* About 65536 (1 - 1/e) distinct of each: random-looking bits. */
    assert_true(tags_hi > 40000 && tags_hi < 43000);
    assert_true(tags_lo > 40000 && tags_lo < 43000);
    /* Up to four rows, the key is a bijection of the rows: no two of the
     * 65536 one-row keys are equal. */
    qsort(all, 65536, sizeof all[0], cmp_u64);
    for (uint32_t v = 1; v < 65536; v++)
        assert_true(all[v] != all[v - 1]);
}

static void test_docs_push(void **state)
{
    (void)state;
    sheaf__docs d = {0};
    for (uint32_t i = 0; i < 1000; i++) {
        assert_int_equal(sheaf__docs_push(&d, i * 3), SHEAF_OK);
        assert_true(d.n <= d.cap);
    }
    assert_int_equal(d.n, 1000);
    for (uint32_t i = 0; i < 1000; i++)
        assert_int_equal(d.v[i], i * 3);
    sheaf__docs_free(&d);
    assert_null(d.v);
    assert_int_equal(d.n, 0);
    assert_int_equal(d.cap, 0);
    sheaf__docs_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_docs_push),
        cmocka_unit_test(test_all_same_home),
        cmocka_unit_test(test_tag_collision),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_random_small),
        cmocka_unit_test(test_random_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
