/*
 * Helpers shared by the test suites: a seeded random stream, random texts,
 * and exact word-shingle Jaccard computed the slow, obvious way.
 */
#ifndef SHEAF_TESTUTIL_H
#define SHEAF_TESTUTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/normalize.h"

typedef struct rng {
    uint64_t s;
} rng;

static inline uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static inline uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)((rng_next(r) >> 32) * n >> 32);
}

static inline double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

/* A growable string. */
typedef struct buf {
    char *s;
    size_t n, cap;
} buf;

static inline void buf_add(buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            abort();
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

static inline void buf_str(buf *b, const char *s) { buf_add(b, s, strlen(s)); }

/* A pseudo-word for rank k of a vocabulary: rank 0 is "ba", and words are
 * distinct for distinct ranks. Zipf-like choice of ranks gives texts whose
 * word statistics look like prose. */
static inline void word_for_rank(uint32_t k, char out[16])
{
    static const char cons[] = "bcdfghjklmnprstvwz", vow[] = "aeiou";
    size_t n = 0;
    do {
        out[n++] = cons[k % 18];
        k /= 18;
        out[n++] = vow[k % 5];
        k /= 5;
    } while (k && n < 14);
    out[n] = 0;
}

static inline uint32_t zipf_rank(rng *r, uint32_t vocab)
{
    /* Inverse of a continuous 1/x law over [1, vocab]. */
    double x = exp(rng_unit(r) * log((double)vocab));
    return (uint32_t)x - 1;
}

/* Exact shingle sets, from the library's own word hashes (so normalisation
 * is the same) but shingled and compared by plain sorting. */
typedef struct shingles {
    uint64_t *v;
    size_t n;
} shingles;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static inline shingles exact_shingles(const char *text, size_t len, uint32_t k)
{
    size_t nw = 0, cap = 256;
    uint64_t *w = malloc(cap * sizeof *w), got;
    sheaf__scan s;
    sheaf__scan_init(&s, text, len);
    for (;;) {
        if (nw + 256 > cap) {
            cap *= 2;
            w = realloc(w, cap * sizeof *w);
        }
        got = sheaf__scan_words(&s, 0, w + nw, 256);
        if (!got)
            break;
        nw += got;
    }
    shingles out = {malloc((nw + 1) * sizeof(uint64_t)), 0};
    size_t windows = nw >= k ? nw - k + 1 : (nw ? 1 : 0);
    for (size_t i = 0; i < windows; i++) {
        uint64_t h = 1469598103934665603ull;
        for (size_t j = i; j < i + k && j < nw; j++)
            h = (h ^ w[j]) * 1099511628211ull + j - i;
        out.v[out.n++] = h;
    }
    free(w);
    qsort(out.v, out.n, sizeof *out.v, cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < out.n; i++)
        if (!u || out.v[i] != out.v[u - 1])
            out.v[u++] = out.v[i];
    out.n = u;
    return out;
}

static inline double exact_jaccard(const shingles *a, const shingles *b)
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

#endif
