/*
 * Accuracy of the signatures' Jaccard estimates beside their speed: for
 * each scheme, the error of the estimate against the exact Jaccard
 * similarity of the word 5-shingle sets, over real article pairs.
 *
 * The pairs: edited copies of articles (the near-duplicates sheaf is
 * for, at edit rates from 1 to 40 %), pairs of articles about one story
 * when the input says which (different reports of one event), and random
 * pairs (unrelated). Each pair is signed with several seeds, so that the
 * error measured is the estimator's and not one seed's luck.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "sheaf.h"
#include "common/simd.h"

#define K 5
#define NEAR_PAIRS 1500
#define STORY_PAIRS 1500
#define RANDOM_PAIRS 500

typedef struct set {
    uint64_t *v;
    size_t n;
} set;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The exact shingle set of a text: the library's own word hashes (so the
 * words are exactly sheaf's), windows of K hashed by a plain FNV-style
 * chain (any injective-enough hash will do), sorted and deduplicated. */
static set shingle_set(const char *text, size_t len)
{
    uint64_t *w =
        malloc((len / 2 + 2 + SHEAF__TOKENS + SHEAF__LANES) * sizeof *w);
    size_t nw = sheaf__words_level(text, len, 0, w, SHEAF__SIMD_SCALAR);
    set s = {malloc((nw + 1) * sizeof(uint64_t)), 0};
    if (!w || !s.v) {
        fprintf(stderr, "sheaf-bench: out of memory\n");
        exit(1);
    }
    size_t windows = nw >= K ? nw - K + 1 : (nw ? 1 : 0);
    for (size_t i = 0; i < windows; i++) {
        uint64_t h = 1469598103934665603ull;
        for (size_t j = i; j < i + K && j < nw; j++)
            h = (h ^ w[j]) * 1099511628211ull + (j - i);
        s.v[s.n++] = h;
    }
    free(w);
    qsort(s.v, s.n, sizeof *s.v, cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < s.n; i++)
        if (!u || s.v[i] != s.v[u - 1])
            s.v[u++] = s.v[i];
    s.n = u;
    return s;
}

static double jaccard(const set *a, const set *b)
{
    size_t i = 0, j = 0, both = 0;
    while (i < a->n && j < b->n) {
        if (a->v[i] == b->v[j])
            both++, i++, j++;
        else if (a->v[i] < b->v[j])
            i++;
        else
            j++;
    }
    size_t any = a->n + b->n - both;
    return any ? (double)both / (double)any : 0.0;
}

typedef struct pair {
    const char *a, *b;
    size_t alen, blen;
    double exact;
} pair;

void accuracy_run(const corpus *c, unsigned seeds, accuracy out[2])
{
    rng r = {4242};
    size_t cap = NEAR_PAIRS + STORY_PAIRS + RANDOM_PAIRS, n = 0;
    pair *p = calloc(cap, sizeof *p);
    char **edited = calloc(NEAR_PAIRS, sizeof *edited);
    buf e = {0};
    if (!p || !edited)
        exit(1);

    /* Edited copies of articles of 50 words or more. */
    for (size_t tries = 0; n < NEAR_PAIRS && tries < 20 * NEAR_PAIRS; tries++) {
        const article *a = &c->a[rng_below(&r, (uint32_t)c->n)];
        if (a->len < 300)
            continue;
        double rate = 0.01 + 0.39 * rng_unit(&r);
        edit_words(&r, a->text, a->len, rate, c, &e);
        edited[n] = malloc(e.n + 1);
        memcpy(edited[n], e.s, e.n + 1);
        p[n] = (pair){a->text, edited[n], a->len, e.n, 0};
        n++;
    }
    size_t near_made = n;
    /* Articles of one story: neighbours in the input share it. */
    for (size_t i = 0; i + 1 < c->n && n < near_made + STORY_PAIRS; i++) {
        const article *a = &c->a[i], *b = &c->a[i + 1];
        if (a->story && b->story && !strcmp(a->story, b->story))
            p[n++] = (pair){a->text, b->text, a->len, b->len, 0};
    }
    for (size_t i = 0; i < RANDOM_PAIRS; i++) {
        const article *a = &c->a[rng_below(&r, (uint32_t)c->n)];
        const article *b = &c->a[rng_below(&r, (uint32_t)c->n)];
        p[n++] = (pair){a->text, b->text, a->len, b->len, 0};
    }
    for (size_t i = 0; i < n; i++) {
        set x = shingle_set(p[i].a, p[i].alen),
            y = shingle_set(p[i].b, p[i].blen);
        p[i].exact = jaccard(&x, &y);
        free(x.v);
        free(y.v);
    }

    static const sheaf_scheme schemes[2] = {SHEAF_SCHEME_OPH,
                                            SHEAF_SCHEME_MINHASH};
    static sheaf_hasher h;
    static sheaf_signature sa, sb;
    for (int s = 0; s < 2; s++) {
        accuracy *o = &out[s];
        double abs_sum = 0, sq_sum = 0, abs_near = 0, sq_near = 0;
        size_t samples = 0, near = 0;
        o->scheme = schemes[s] == SHEAF_SCHEME_OPH ? "oph" : "minhash";
        for (unsigned seed = 0; seed < seeds; seed++) {
            sheaf_params prm;
            sheaf_params_init(&prm);
            prm.scheme = schemes[s];
            prm.seed = 0x5eed0000u + seed;
            sheaf_hasher_init(&h, &prm);
            for (size_t i = 0; i < n; i++) {
                double est;
                sheaf_hasher_sign(&h, p[i].a, p[i].alen, &sa);
                sheaf_hasher_sign(&h, p[i].b, p[i].blen, &sb);
                if (sa.num_shingles == 0 || sb.num_shingles == 0)
                    continue;
                sheaf_signature_similarity(&sa, &sb, &est);
                double d = est - p[i].exact;
                abs_sum += fabs(d);
                sq_sum += d * d;
                samples++;
                if (p[i].exact >= 0.2) {
                    abs_near += fabs(d);
                    sq_near += d * d;
                    near++;
                }
            }
        }
        o->pairs = samples;
        o->near = near;
        o->mae = samples ? abs_sum / (double)samples : 0;
        o->rmse = samples ? sqrt(sq_sum / (double)samples) : 0;
        o->mae_near = near ? abs_near / (double)near : 0;
        o->rmse_near = near ? sqrt(sq_near / (double)near) : 0;
    }
    for (size_t i = 0; i < near_made; i++)
        free(edited[i]);
    free(edited);
    free(p);
    free(e.s);
}
