/* One article as story mode sees it; see vector.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/hashtab.h"
#include "sheaf.h"
#include "story/vector.h"

/* Term frequency saturation of BM25 (Robertson et al.): a term's weight
 * grows as tf (1 + K1) / (tf + K1), so repeating a name does not let it
 * outweigh the rest of the article. */
#define K1 1.2
/* The prior of the document frequencies: as if PRIOR_DOCS articles had
 * been read before the first, and every term had been in PRIOR_DF of
 * them. While few articles have been read, every content word then weighs
 * about the same; from a few hundred on, what was learnt dominates. */
#define PRIOR_DOCS 100.0
#define PRIOR_DF 1.0
/* The MinHash samples terms by their squared weights (see minhash()), of
 * which the heaviest 32 terms hold most: sketching only those gave the
 * same clusters' quality on Multi-News as all 64, in half the time. */
#define SKETCH_TERMS 32
/* Band keys: the value's number in the top bits (so an article's keys are
 * distinct) over 22 bits of the winning term's hash. */
#define KEY_TERM_BITS 22

int sheaf__svec_init(sheaf__svec *v)
{
    memset(v, 0, sizeof *v);
    for (uint32_t d = 0; d < SHEAF__STORY_HASHES; d++)
        v->inv[d] = 1.0 / (double)(SHEAF__STORY_HASHES - d);
    v->map_mask = 1023;
    v->map = calloc((size_t)v->map_mask + 1, sizeof *v->map);
    v->dist = malloc(((size_t)v->map_mask / 2 + 1) * sizeof *v->dist);
    v->fps = malloc(((size_t)v->map_mask / 2 + 1) * sizeof *v->fps);
    if (!v->map || !v->dist || !v->fps) {
        sheaf__svec_free(v);
        return SHEAF_ENOMEM;
    }
    return SHEAF_OK;
}

void sheaf__svec_free(sheaf__svec *v)
{
    free(v->map);
    free(v->dist);
    free(v->fps);
    v->map = NULL;
    v->dist = v->fps = NULL;
}

/* The map slot of a term: its own, or the empty one where it goes. */
static sheaf__dterm *map_slot(const sheaf__svec *v, uint64_t h)
{
    uint32_t j = (uint32_t)(h >> 32) & v->map_mask;
    while (v->map[j].used && v->map[j].hash != h)
        j = (j + 1) & v->map_mask;
    return &v->map[j];
}

int sheaf__svec_reserve_fps(sheaf__svec *v, uint32_t n)
{
    while (n > v->map_mask / 2) {
        size_t cap = ((size_t)v->map_mask + 1) * 2;
        if (cap > (size_t)UINT32_MAX + 1)
            return SHEAF_ERANGE;
        sheaf__dterm *map = calloc(cap, sizeof *map);
        uint32_t *dist = malloc((cap / 2 + 1) * sizeof *dist);
        uint32_t *fps = malloc((cap / 2 + 1) * sizeof *fps);
        if (!map || !dist || !fps) {
            free(map);
            free(dist);
            free(fps);
            return SHEAF_ENOMEM;
        }
        sheaf__dterm *old = v->map;
        v->map = map;
        v->map_mask = (uint32_t)(cap - 1);
        for (uint32_t i = 0; i < v->ndist; i++) {
            sheaf__dterm *e = map_slot(v, old[v->dist[i]].hash);
            *e = old[v->dist[i]];
            dist[i] = (uint32_t)(e - v->map);
        }
        free(old);
        free(v->dist);
        free(v->fps);
        v->dist = dist;
        v->fps = fps;
    }
    return SHEAF_OK;
}

static void map_clear(sheaf__svec *v)
{
    for (uint32_t i = 0; i < v->ndist; i++)
        memset(&v->map[v->dist[i]], 0, sizeof v->map[0]);
    v->ndist = 0;
}

int sheaf__svec_count(sheaf__svec *v, const sheaf__stopwords *stop,
                      const char *text, size_t len, int first)
{
    if (first)
        map_clear(v);
    sheaf__term_scan ts;
    sheaf__terms_init(&ts, stop, text, len);
    const size_t chunk = sizeof v->terms / sizeof v->terms[0];
    size_t n;
    while ((n = sheaf__terms_next(&ts, v->terms, chunk)) != 0) {
        for (size_t i = 0; i < n; i++) {
            int rc = sheaf__svec_reserve_fps(v, v->ndist + 1);
            if (rc != SHEAF_OK)
                return rc;
            sheaf__dterm *e = map_slot(v, v->terms[i].hash);
            if (!e->used) {
                e->hash = v->terms[i].hash;
                e->used = 1;
                v->dist[v->ndist++] = (uint32_t)(e - v->map);
            }
            if (v->terms[i].list)
                e->tf_list += 1;
            else
                e->tf += 1;
        }
    }
    /* English prose (a fifth or more function words; they are about half
     * of it) ignores its lists; other text, in another language, has few
     * of our function words and would be all lists. */
    if (first)
        v->prose = ts.function_words * 5 >= ts.words;
    return SHEAF_OK;
}

/* -log(u) for u = (r + 1) / 2^32 in (0, 1]: a unit exponential from 32
 * random bits. Written out rather than calling log(): libm's last bit may
 * differ between platforms, and this, with IEEE arithmetic only, gives the
 * same bits everywhere (and is faster). u = 2^e m with m in [1, 2), and
 * log m = 2 atanh(z) = 2 (z + z^3/3 + z^5/5 + ...) for z = (m - 1) /
 * (m + 1) < 1/3, whose terms past z^15 are below 1e-9. */
static double neg_log_unit(uint32_t r)
{
    double u = ((double)r + 1) * 0x1.0p-32;
    uint64_t bits;
    memcpy(&bits, &u, sizeof bits);
    int e = (int)(bits >> 52) - 1023;
    bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double m;
    memcpy(&m, &bits, sizeof m);
    double z = (m - 1) / (m + 1), z2 = z * z;
    double series = 2.0 / 15;
    for (int k = 13; k >= 1; k -= 2)
        series = 2.0 / k + z2 * series;
    return -(e * 0.69314718055994530942 + z * series);
}

/* Heavier first; equal weights by hash, so that the order is total. */
static int heavier(const sheaf__dterm *a, const sheaf__dterm *b)
{
    return a->weight != b->weight ? a->weight > b->weight : a->hash < b->hash;
}

/* Sift down in a min-heap (lightest at the root) of map slots. */
static void heap_down(const sheaf__svec *v, uint32_t *h, uint32_t n,
                      uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l < n && heavier(&v->map[h[m]], &v->map[h[l]]))
            m = l;
        if (l + 1 < n && heavier(&v->map[h[m]], &v->map[h[l + 1]]))
            m = l + 1;
        if (m == i)
            return;
        uint32_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/*
 * Weighted MinHash of the kept terms into v->keys: P-MinHash (Moulton and
 * Jiang 2018). Value j of an article is the term t minimising E(t, j) / w(t)
 * over its terms, E independent unit exponentials fixed by (t, j, seed), so
 * that two articles agree on value j with probability their probability
 * Jaccard similarity, sum over shared t of 1 / sum_u max(x_u / x_t,
 * y_u / y_t): a weighted similarity that ignores scale. It is computed as
 * ProbMinHash does (Ertl 2020): the values of one term over all j form a
 * Poisson process of rate m w(t) whose points fall on uniformly random j,
 * so they are drawn in increasing order, and a term stops as soon as its
 * next point exceeds the largest value any j holds. Heaviest terms go
 * first, so the values fill early and later terms stop after a draw or
 * two.
 */
static void minhash(sheaf__svec *v, uint64_t seed)
{
    const uint32_t m = SHEAF__STORY_HASHES;
    uint32_t filled = 0;
    double top = INFINITY; /* the largest value; infinite while unfilled */
    for (uint32_t j = 0; j < m; j++) {
        v->minval[j] = INFINITY;
        v->minterm[j] = 0;
    }
    for (uint32_t i = 0; i < v->k && i < SKETCH_TERMS; i++) {
        uint64_t state = sheaf__mix64(v->hterm[i] ^ seed);
        double scale = 1 / ((double)v->hweight[i] * v->hweight[i]), x = 0;
        for (uint32_t j = 0; j < m; j++)
            v->perm[j] = j;
        for (uint32_t d = 0; d < m; d++) {
            /* The next smallest of the term's m values: the gap, then
             * which of the values not yet drawn it is. */
            uint64_t r = sheaf__mix64(state += 0x9e3779b97f4a7c15ull);
            x += neg_log_unit((uint32_t)(r >> 32)) * scale * v->inv[d];
            if (x >= top)
                break;
            uint32_t pick = d + (uint32_t)(((r & 0xffffffffu) * (m - d)) >> 32);
            uint32_t j = v->perm[pick];
            v->perm[pick] = v->perm[d];
            if (x >= v->minval[j])
                continue;
            int was_top = v->minval[j] == top;
            filled += v->minval[j] == INFINITY;
            v->minval[j] = x;
            v->minterm[j] = v->hterm[i];
            if (filled == m && (was_top || top == INFINITY)) {
                top = 0;
                for (uint32_t t = 0; t < m; t++)
                    if (v->minval[t] > top)
                        top = v->minval[t];
            }
        }
    }
    for (uint32_t j = 0; j < m; j++)
        v->keys[j] = j << KEY_TERM_BITS |
                     (uint32_t)(v->minterm[j] >> (64 - KEY_TERM_BITS));
}

/* Keep the SHEAF__STORY_TERMS heaviest terms, heaviest first, into hterm
 * and hweight, at unit L2 norm. */
static void keep_heaviest(sheaf__svec *v)
{
    uint32_t k = 0;
    const uint32_t kmax = SHEAF__STORY_TERMS;
    for (uint32_t i = 0; i < v->ndist; i++) {
        sheaf__dterm *e = &v->map[v->dist[i]];
        if (e->weight <= 0)
            continue;
        if (k < kmax) {
            v->heap[k++] = v->dist[i];
            if (k == kmax)
                for (uint32_t j = k / 2; j-- > 0;)
                    heap_down(v, v->heap, k, j);
        } else if (heavier(e, &v->map[v->heap[0]])) {
            v->heap[0] = v->dist[i];
            heap_down(v, v->heap, k, 0);
        }
    }
    if (k < kmax)
        for (uint32_t j = k / 2; j-- > 0;)
            heap_down(v, v->heap, k, j);
    /* Pop the lightest first into the back: heaviest first. */
    double norm = 0;
    for (uint32_t left = k; left > 0; left--) {
        const sheaf__dterm *e = &v->map[v->heap[0]];
        v->hterm[left - 1] = e->hash;
        v->hweight[left - 1] = e->weight;
        norm += (double)e->weight * e->weight;
        v->heap[0] = v->heap[left - 1];
        heap_down(v, v->heap, left - 1, 0);
    }
    v->k = k;
    norm = norm > 0 ? 1 / sqrt(norm) : 0;
    for (uint32_t i = 0; i < k; i++)
        v->hweight[i] = (float)(v->hweight[i] * norm);
}

/* The kept terms by fp, to merge with others: insertion sort, as there
 * are few terms; terms sharing an fp become one. */
static void sort_by_fp(sheaf__svec *v)
{
    uint32_t nv = 0;
    for (uint32_t i = 0; i < v->k; i++) {
        sheaf__wterm t = {(uint32_t)(v->hterm[i] >> 32), v->hweight[i]};
        uint32_t j = nv;
        for (; j > 0 && v->vec[j - 1].fp > t.fp; j--)
            ;
        if (j > 0 && v->vec[j - 1].fp == t.fp) {
            v->vec[j - 1].w += t.w;
            continue;
        }
        memmove(v->vec + j + 1, v->vec + j, (nv - j) * sizeof *v->vec);
        v->vec[j] = t;
        nv++;
    }
    v->nvec = nv;
}

void sheaf__svec_weigh(sheaf__svec *v, const sheaf__stats *df, uint64_t seed)
{
    /* Saturated term frequency times the inverse document frequency
     * learnt so far, this article counted in. */
    double docs = (double)df->docs + 1 + PRIOR_DOCS;
    for (uint32_t i = 0; i < v->ndist; i++) {
        sheaf__dterm *e = &v->map[v->dist[i]];
        v->fps[i] = (uint32_t)(e->hash >> 32);
        float tf = v->prose ? e->tf : e->tf + e->tf_list;
        double d = sheaf__stats_df(df, v->fps[i]) + 1 + PRIOR_DF;
        e->weight = tf == 0 ? 0
                            : (float)(tf * (1 + K1) / (tf + K1) *
                                      log(docs / d));
    }
    v->nfps = v->ndist;
    keep_heaviest(v);
    minhash(v, seed);
    sort_by_fp(v);
    sheaf__svec_index(v);
}

static uint32_t bit_of(uint32_t fp) { return fp >> 20; }

void sheaf__svec_index(sheaf__svec *v)
{
    const uint32_t mask = 4 * SHEAF__STORY_TERMS - 1;
    for (uint32_t i = 0; i < v->k_table; i++)
        v->table[v->table_at[i]].w = 0;
    memset(v->bits, 0, sizeof v->bits);
    for (uint32_t i = 0; i < v->nvec; i++) {
        uint32_t j = v->vec[i].fp & mask, b = bit_of(v->vec[i].fp);
        while (v->table[j].w != 0)
            j = (j + 1) & mask;
        v->table[j] = v->vec[i];
        v->table_at[i] = j;
        v->bits[b >> 6] |= (uint64_t)1 << (b & 63);
    }
    v->k_table = v->nvec;
}

/* Each of the sum's terms looked up in the article's table, which beats
 * merging the two lists (whose branches are unpredictable) several times
 * over. */
double sheaf__svec_dot_sum(const sheaf__svec *v, const sheaf__wterm *sum,
                           uint32_t n)
{
    const uint32_t mask = 4 * SHEAF__STORY_TERMS - 1;
    double d = 0;
    for (uint32_t j = 0; j < n; j++) {
        uint32_t fp = sum[j].fp, b = bit_of(fp);
        if (!(v->bits[b >> 6] >> (b & 63) & 1))
            continue;
        for (uint32_t i = fp & mask; v->table[i].w != 0; i = (i + 1) & mask)
            if (v->table[i].fp == fp) {
                d += (double)v->table[i].w * sum[j].w;
                break;
            }
    }
    return d;
}

double sheaf__wterm_dot(const sheaf__wterm *a, uint32_t na,
                        const sheaf__wterm *b, uint32_t nb)
{
    double d = 0;
    uint32_t i = 0, j = 0;
    while (i < na && j < nb) {
        if (a[i].fp < b[j].fp)
            i++;
        else if (a[i].fp > b[j].fp)
            j++;
        else
            d += (double)a[i++].w * b[j++].w;
    }
    return d;
}
