/*
 * Story mode: different outlets' write-ups of one event in one cluster, a
 * different event apart even when it shares every name.
 *
 * The rule is near mode's: articles are taken in input order; each joins
 * the existing cluster it matches best, measured against the cluster as a
 * whole, or starts its own; clusters never merge.
 *
 * How an article is decided
 *  1. Terms (terms.c): words as near mode folds them, English function
 *     words dropped, possessives and plurals folded ("Obama's talks" =
 *     "obama talk"), and words in lists (more than 12 content words without
 *     a function word: menus, share bars, tag clouds) ignored in English
 *     prose.
 *  2. Weights: BM25's saturated term frequency times an inverse document
 *     frequency learnt from the stream itself, log((N + 1 + 100) /
 *     (df + 1 + 1)), the article counted in; the prior of 100 articles
 *     makes a handful of articles work (every content word about equal)
 *     and fades as the stream grows. The 64 heaviest terms, unit L2 norm,
 *     are the article's vector.
 *  3. Sketch: a weighted MinHash of the vector (P-MinHash, see minhash()),
 *     48 values, each value one LSH band of one row: two articles share a
 *     band with probability their probability Jaccard similarity over the
 *     squared weights, so even stories sharing a few salient terms meet.
 *  4. Candidates: the clusters of the articles sharing a band, ranked by
 *     shared bands per member (an estimate of the mean similarity); the 64
 *     best are verified. A band shared by more than 64 entries is skipped
 *     (a common term, little evidence, and work that grows with the corpus).
 *  5. Verification on the weights: the similarity to a cluster is the mean
 *     cosine to its members (the dot product with the sum of their vectors,
 *     divided by their number), times the time factor when times are known.
 *  6. Decision: join the most similar cluster if its similarity s is at
 *     least threshold (0.1) and s - b >= contrast (0.09), where the
 *     background b is the mean similarity of the next three clusters (a
 *     missing one counts 0.1). An article about a busy topic resembles
 *     several stories of it; it must resemble one clearly more than the
 *     others. This, more than the representation, is what beats plain
 *     TF-IDF.
 *
 * Measured on Multi-News validation (15,317 articles, 13.7 MB; scores with
 * ../shared/tools/score_story.py --exclude-noise: pairwise F1 / B-cubed F1;
 * `make eval` prints the current ones). Default: 0.688 / 0.875 (ARI
 * 0.688), the split in about 0.85 s end to end on one thread (gzip and
 * JSON included), the five seed articles right alone and mixed in. The
 * issue's reference, streamed plain TF-IDF with mean cosine: 0.636 / 0.855.
 *  - Terms and weights, with exact candidates and a plain threshold (tuned
 *    for each): stream IDF, log tf: 0.629 / 0.851; BM25 tf: 0.642 / 0.857;
 *    plus plural folding: 0.646 / 0.859. No gain, left out: bigrams of
 *    content words (weight 0.3: 0.644 / 0.858, 1.0: 0.49 / 0.79), idf^1.5
 *    (0.624 / 0.849), doubling the first 50 words (0.605 / 0.848), boosting
 *    numbers or years (+-0.001; the corpus is lower-cased, so capitalised
 *    names could not be measured at all), larger df priors (worse by up to
 *    0.005), document frequency counted per cluster (0.635 / 0.856),
 *    weighted Jaccard or histogram intersection instead of cosine (0.633 /
 *    0.853), joining on the best member as well as the mean (no change).
 *  - Linkage: mean cosine is the right normaliser; dividing the dot product
 *    by size^0.75 or size^0.5 (towards centroid cosine) lets clusters
 *    snowball (0.52 / 0.81, 0.10 / 0.76).
 *  - Decision: a plain threshold of 0.17 or 0.2: 0.646 / 0.858, 0.649 /
 *    0.858; contrast 0.08 / 0.09 / 0.10 against the mean of three
 *    runners-up: 0.682 / 0.874, 0.688 / 0.875, 0.678 / 0.870 (against the
 *    single runner-up, in the prototype: 0.671 / 0.869). threshold from
 *    0.05 to 0.15 hardly matters: it is a floor under the contrast.
 *  - Sketch and candidates: ranking candidates by raw shared bands, top 32
 *    of 64 values: 0.652 / 0.860; per member: 0.659 / 0.863; weights
 *    instead of squared weights: 0.680 / 0.872; values 32 / 48 / 64:
 *    0.681 / 0.871, 0.688 / 0.875, 0.687 / 0.874; candidates 32 / 64 /
 *    128: 0.683 / 0.874, 0.688 / 0.875, 0.688 / 0.875; all colliding
 *    clusters verified (slow): 0.683 / 0.875. Terms kept 32 / 64 / 128:
 *    0.663 / 0.864, 0.688 / 0.875, 0.687 / 0.874.
 *  - The list filter changes nothing on Multi-News (clean text) but the
 *    icon menu atop seed 000 otherwise filled its vector: the next report
 *    of the event scored 0.15 against it instead of 0.29.
 *  - Speed: the bottlenecks were, in turn, comparing clusters by merging
 *    sorted lists (now a table probe behind a bitmap over 32-bit
 *    fingerprints), scanning busy bands, uthash's chained records for the
 *    statistics (a flat table: 1.26 s to 1.0 s), and drawing exponentials
 *    (a logarithm of our own, and only the 32 heaviest terms sketched).
 *
 * Publication times: a cluster keeps the span of its members' times; an
 * article dt seconds outside it has its similarities multiplied by
 * time_scale / (time_scale + dt), candidates and background alike, so a
 * day apart needs twice the evidence by default and a week apart about
 * eight times: a follow-up days later is another story unless it is
 * nearly a copy. Multi-News has no times, so this is untuned.
 *
 * State: the term statistics (never forgetting, also across removals);
 * per document its vector, band keys and time; per cluster the sum of its
 * members' vectors (rebuilt from the members on removal, so that it is a
 * function of its members alone), their time span and its members in
 * order. The same calls give the same bits (ties are broken by order of
 * creation, the sketch uses no libm); across platforms only libm's log in
 * the weights may differ in a last bit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/hashtab.h"
#include "sheaf.h"
#include "story/story.h"
#include "story/terms.h"

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
/* The runner-up clusters whose mean similarity is the background. */
#define RUNNERS 3
/* The similarity assumed for a runner-up that is missing (fewer than
 * RUNNERS other candidates): about what an article typically has with
 * other stories of its topic on Multi-News. It keeps a nearly empty index
 * from joining on topic alone: there, with no background to contrast,
 * joining takes BACKGROUND_PRIOR + contrast. */
#define BACKGROUND_PRIOR 0.1

/* ------------------------------------------------------------- parameters */

void sheaf__story_params_init(sheaf__story_params *p)
{
    memset(p, 0, sizeof *p);
    p->threshold = 0.1;
    p->contrast = 0.09;
    p->max_terms = 64;
    p->num_hashes = 48;
    p->max_candidates = 64;
    p->seed = 0;
    p->time_scale = 86400.0;
}

int sheaf__story_params_validate(const sheaf__story_params *p)
{
    if (!p || !(p->threshold > 0 && p->threshold <= 1) ||
        !(p->contrast >= 0 && p->contrast <= 1) || p->max_terms == 0 ||
        p->max_terms > SHEAF__STORY_MAX_TERMS || p->num_hashes == 0 ||
        p->num_hashes > SHEAF__STORY_MAX_HASHES || p->max_candidates == 0 ||
        !(p->time_scale >= 0) || !isfinite(p->time_scale))
        return SHEAF_EINVAL;
    return SHEAF_OK;
}

/* ------------------------------------------------------- term statistics */

/* Document frequencies: a flat open-addressing table of (term hash, df),
 * linear probing, at most half full, never shrinking (the statistics never
 * forget). Looking up every distinct term of every article is the hottest
 * access of the module: uthash records, one cache miss per chained record,
 * made the whole run on Multi-News 1.26 s where this takes 1.0 s. */
typedef struct tstat {
    uint64_t key;
    uint32_t df; /* 0 marks an empty slot */
} tstat;

typedef struct tstats {
    tstat *slot; /* mask + 1 of them, a power of two */
    uint32_t mask;
    uint32_t used;
} tstats;

/* ------------------------------------------------- documents and clusters */

/* A term of a vector: the top 32 bits of its hash and its weight. 32 bits
 * halve the memory that comparing clusters reads, the measured bottleneck;
 * two of an article's hundred-odd terms share them with probability about
 * 1e-6, and then count as one. */
typedef struct wterm {
    uint32_t fp;
    float w;
} wterm;

typedef struct sdoc {
    uint32_t cluster;    /* SHEAF__NO_CLUSTER: no such document */
    uint32_t prev, next; /* the cluster's members in order of addition */
    uint32_t nterms;
    wterm *vec;     /* nterms by ascending fp, unit L2 norm; one allocation
                       with keys */
    uint32_t *keys; /* num_hashes band keys, when nterms > 0 */
    int64_t time;
} sdoc;

typedef struct sclus {
    uint32_t head, tail; /* members; head links free clusters when size 0 */
    uint32_t size;
    uint32_t n, cap; /* the sum of the members' vectors, by ascending fp */
    wterm *sum;
    int64_t tmin, tmax; /* span of the members' times */
    uint64_t seq;       /* order of creation: ties go to the older */
} sclus;

/* ----------------------------------------------------------- band table */

/* LSH with bands of one row: band j of an article is the term that won its
 * MinHash value j. Its key is j in the top bits (so an article's keys are
 * distinct) over 22 bits of the term's hash. The table maps a key to the
 * clusters of the articles that have it, one entry per article (clusters
 * never merge, so an article's cluster is fixed; members of one cluster
 * sharing a key have equal entries, and removal takes any one of them).
 * Open addressing with linear probing over keys, deletion by backward
 * shift; a key's entries lie in one array, inline while there are two or
 * fewer, as most keys have. */
#define KEY_TERM_BITS 22
#define INLINE_ENTRIES 2

typedef struct band {
    uint32_t key;
    uint32_t n;   /* entries; 0 marks an empty slot */
    uint32_t cap; /* 0: the entries are inline */
    union {
        uint32_t inl[INLINE_ENTRIES];
        uint32_t *heap;
    } e;
} band;

typedef struct bands {
    band *slot; /* mask + 1 of them, a power of two */
    uint32_t mask;
    uint32_t used;
} bands;

/* A band key shared by more entries than this is skipped when looking for
 * candidates: its term is common in the corpus, so sharing it says little
 * about the story, and scanning it would cost time that grows with the
 * corpus. Measured on Multi-News (see the top): 64 keeps quality (pairwise
 * F1 0.680 against 0.676 unskipped) and halves the time; 32 loses 0.004. */
#define BUSY_BAND 64

/* ---------------------------------------------------------------- scratch */

/* One distinct term of the article being analysed. */
typedef struct dterm {
    uint64_t hash;
    int used; /* 0 marks an empty map slot */
    float tf, tf_list; /* occurrences in prose and in lists */
    float weight;
    uint32_t df; /* articles that had it before */
} dterm;

/* Working memory of one analysis. The story keeps one for adds; queries,
 * which may run concurrently, make their own. */
typedef struct scratch {
    dterm *map; /* open addressing on the term hash */
    uint32_t map_mask;
    uint32_t ndist;
    uint32_t *dist; /* map slots of the distinct terms, map_mask / 2 + 1 */
    uint32_t *heap; /* max_terms */
    uint32_t k;     /* terms kept */
    uint32_t k_table; /* terms in table, at table_at[0..k_table) */
    uint32_t *table_at; /* max_terms */
    uint64_t *hterm; /* max_terms, heaviest first */
    float *hweight;
    wterm *vec; /* the same by ascending fp, nvec of them */
    uint32_t nvec;
    uint32_t *keys; /* num_hashes band keys */
    double *minval; /* num_hashes MinHash values */
    uint64_t *minterm;
    uint32_t *perm; /* num_hashes: the values a term has not drawn yet */
    double *inv;    /* inv[d] = 1 / (num_hashes - d) */
    uint32_t *cands; /* candidate clusters */
    size_t ncands, cands_cap;
    uint32_t *count; /* per cluster number: bands shared; 0 outside use */
    uint32_t count_cap;
    double *sim; /* max_candidates similarities */
    /* The vector by fp, open addressing at most a quarter full; a weight
     * of 0 marks an empty slot (kept weights are positive). A bitmap of
     * the fps' bits 20..31 lets most lookups, which miss, stop at one
     * bit. */
    wterm *table;
    uint32_t table_mask;
    uint64_t bits[64];
    sheaf__term terms[256];
} scratch;

struct sheaf__story {
    sheaf__story_params p;
    sheaf__stopwords stop;
    tstats stats;
    uint64_t docs_seen; /* articles the statistics learnt from */
    sdoc *docs;
    uint32_t docs_cap;
    size_t live;
    sclus *clus;
    uint32_t clus_used, clus_cap, clus_free;
    size_t clusters;
    uint64_t next_seq;
    bands bands;
    scratch sc;
};

/* ---------------------------------------------------------------- helpers */

static tstat *stat_slot(const tstats *t, uint64_t key)
{
    uint32_t i = (uint32_t)key & t->mask;
    while (t->slot[i].df && t->slot[i].key != key)
        i = (i + 1) & t->mask;
    return &t->slot[i];
}

static uint32_t stat_df(const tstats *t, uint64_t key)
{
    return t->slot ? stat_slot(t, key)->df : 0;
}

/* Room for n more terms. Growing changes no content. */
static int stats_reserve(tstats *t, size_t n)
{
    size_t cap = t->slot ? (size_t)t->mask + 1 : 0;
    if (((size_t)t->used + n) * 2 <= cap)
        return SHEAF_OK;
    size_t new_cap = cap ? cap : 4096;
    while (((size_t)t->used + n) * 2 > new_cap)
        new_cap *= 2;
    if (new_cap > (size_t)UINT32_MAX + 1)
        return SHEAF_ERANGE;
    tstat *slot = calloc(new_cap, sizeof *slot);
    if (!slot)
        return SHEAF_ENOMEM;
    tstat *old = t->slot;
    t->slot = slot;
    t->mask = (uint32_t)(new_cap - 1);
    for (size_t i = 0; i < cap; i++)
        if (old[i].df)
            *stat_slot(t, old[i].key) = old[i];
    free(old);
    return SHEAF_OK;
}

/* Count one more article with the term; room must have been reserved. */
static void stats_count(tstats *t, uint64_t key)
{
    tstat *e = stat_slot(t, key);
    if (!e->df) {
        e->key = key;
        t->used++;
    }
    e->df++;
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

/* Dot product of two vectors. */
static double dot_docs(const wterm *a, uint32_t na, const wterm *b,
                       uint32_t nb)
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

static uint32_t bit_of(uint32_t fp) { return fp >> 20; }

/* Dot product of the article's vector with the sum of cluster c: each of
 * c's terms looked up in the article's table, which beats merging the two
 * lists (whose branches are unpredictable) several times over. */
static double dot_cluster(const scratch *sc, const sclus *c)
{
    double d = 0;
    for (uint32_t j = 0; j < c->n; j++) {
        uint32_t fp = c->sum[j].fp, b = bit_of(fp);
        if (!(sc->bits[b >> 6] >> (b & 63) & 1))
            continue;
        for (uint32_t i = fp & sc->table_mask; sc->table[i].w != 0;
             i = (i + 1) & sc->table_mask)
            if (sc->table[i].fp == fp) {
                d += (double)sc->table[i].w * c->sum[j].w;
                break;
            }
    }
    return d;
}

/* ------------------------------------------------------------ band table */

static uint32_t band_key(uint32_t j, uint64_t term)
{
    return j << KEY_TERM_BITS | (uint32_t)(term >> (64 - KEY_TERM_BITS));
}

static uint32_t band_home(const bands *t, uint32_t key)
{
    return (uint32_t)sheaf__mix64(key) & t->mask;
}

/* The slot of key, or the empty slot where it would go. */
static band *band_slot(const bands *t, uint32_t key)
{
    uint32_t i = band_home(t, key);
    while (t->slot[i].n && t->slot[i].key != key)
        i = (i + 1) & t->mask;
    return &t->slot[i];
}

static uint32_t *band_entries(band *b)
{
    return b->cap ? b->e.heap : b->e.inl;
}

/* Room for one more entry under each of the m keys: table slots for new
 * keys, and entry arrays. Growing changes no content, so a failure part
 * way leaves the table as good as it was. */
static int bands_reserve(bands *t, const uint32_t *keys, uint32_t m)
{
    size_t cap = t->slot ? (size_t)t->mask + 1 : 0;
    size_t need = (size_t)t->used + m;
    if (need * 4 > cap * 3) {
        size_t new_cap = cap ? cap : 1024;
        while (need * 4 > new_cap * 3)
            new_cap *= 2;
        if (new_cap > (size_t)UINT32_MAX + 1)
            return SHEAF_ERANGE;
        band *slot = calloc(new_cap, sizeof *slot);
        if (!slot)
            return SHEAF_ENOMEM;
        band *old = t->slot;
        t->slot = slot;
        t->mask = (uint32_t)(new_cap - 1);
        for (size_t i = 0; i < cap; i++)
            if (old[i].n)
                *band_slot(t, old[i].key) = old[i];
        free(old);
    }
    for (uint32_t j = 0; j < m; j++) {
        band *b = band_slot(t, keys[j]);
        uint32_t room = b->cap ? b->cap : INLINE_ENTRIES;
        if (!b->n || b->n < room)
            continue;
        uint32_t grown = room * 2;
        uint32_t *v = b->cap ? realloc(b->e.heap, grown * sizeof *v)
                             : malloc(grown * sizeof *v);
        if (!v)
            return SHEAF_ENOMEM;
        if (!b->cap)
            memcpy(v, b->e.inl, sizeof b->e.inl);
        b->e.heap = v;
        b->cap = grown;
    }
    return SHEAF_OK;
}

static void bands_insert(bands *t, uint32_t key, uint32_t cluster)
{
    band *b = band_slot(t, key);
    if (!b->n) {
        b->key = key;
        b->cap = 0;
        t->used++;
    }
    band_entries(b)[b->n++] = cluster;
}

static void bands_remove(bands *t, uint32_t key, uint32_t cluster)
{
    band *b = band_slot(t, key); /* the key is there */
    uint32_t *v = band_entries(b), i = 0;
    while (v[i] != cluster)
        i++;
    v[i] = v[--b->n];
    if (b->n)
        return;
    if (b->cap)
        free(b->e.heap);
    t->used--;
    /* Backward shift: pull later keys of the probe run into the hole
     * unless that would move one before its home slot. */
    uint32_t hole = (uint32_t)(b - t->slot);
    for (uint32_t j = hole;;) {
        j = (j + 1) & t->mask;
        if (!t->slot[j].n)
            break;
        uint32_t home = band_home(t, t->slot[j].key);
        if (((j - home) & t->mask) >= ((j - hole) & t->mask)) {
            t->slot[hole] = t->slot[j];
            hole = j;
        }
    }
    t->slot[hole].n = 0;
}

/* ---------------------------------------------------------------- scratch */

static void scratch_free(scratch *sc)
{
    free(sc->map);
    free(sc->dist);
    free(sc->heap);
    free(sc->hterm);
    free(sc->hweight);
    free(sc->vec);
    free(sc->keys);
    free(sc->minval);
    free(sc->minterm);
    free(sc->perm);
    free(sc->inv);
    free(sc->cands);
    free(sc->count);
    free(sc->sim);
    free(sc->table);
    free(sc->table_at);
    memset(sc, 0, sizeof *sc);
}

static int scratch_init(scratch *sc, const sheaf__story_params *p)
{
    memset(sc, 0, sizeof *sc);
    size_t k = p->max_terms, m = p->num_hashes;
    sc->map_mask = 1023;
    sc->map = calloc((size_t)sc->map_mask + 1, sizeof *sc->map);
    sc->dist = malloc(((size_t)sc->map_mask / 2 + 1) * sizeof *sc->dist);
    sc->heap = malloc(k * sizeof *sc->heap);
    sc->hterm = malloc(k * sizeof *sc->hterm);
    sc->hweight = malloc(k * sizeof *sc->hweight);
    sc->vec = malloc(k * sizeof *sc->vec);
    sc->keys = malloc(m * sizeof *sc->keys);
    sc->minval = malloc(m * sizeof *sc->minval);
    sc->minterm = malloc(m * sizeof *sc->minterm);
    sc->perm = malloc(m * sizeof *sc->perm);
    sc->inv = malloc(m * sizeof *sc->inv);
    for (size_t d = 0; sc->inv && d < m; d++)
        sc->inv[d] = 1.0 / (double)(m - d);
    sc->sim = malloc(p->max_candidates * sizeof *sc->sim);
    sc->table_mask = 15;
    while (sc->table_mask + 1 < 4 * k)
        sc->table_mask = sc->table_mask * 2 + 1;
    sc->table = calloc((size_t)sc->table_mask + 1, sizeof *sc->table);
    sc->table_at = malloc(k * sizeof *sc->table_at);
    if (!sc->map || !sc->dist || !sc->heap || !sc->hterm || !sc->hweight ||
        !sc->vec || !sc->keys || !sc->minval || !sc->minterm || !sc->perm ||
        !sc->inv || !sc->sim || !sc->table || !sc->table_at) {
        scratch_free(sc);
        return SHEAF_ENOMEM;
    }
    return SHEAF_OK;
}

/* The map slot of a term: its own, or the empty one where it goes. */
static dterm *map_slot(const scratch *sc, uint64_t h)
{
    uint32_t j = (uint32_t)(h >> 32) & sc->map_mask;
    while (sc->map[j].used && sc->map[j].hash != h)
        j = (j + 1) & sc->map_mask;
    return &sc->map[j];
}

/* Double the map when half full, so that one more term fits. */
static int map_reserve(scratch *sc)
{
    if (sc->ndist < sc->map_mask / 2)
        return SHEAF_OK;
    size_t cap = ((size_t)sc->map_mask + 1) * 2;
    if (cap > (size_t)UINT32_MAX + 1)
        return SHEAF_ERANGE;
    dterm *map = calloc(cap, sizeof *map);
    uint32_t *dist = malloc((cap / 2 + 1) * sizeof *dist);
    if (!map || !dist) {
        free(map);
        free(dist);
        return SHEAF_ENOMEM;
    }
    dterm *old = sc->map;
    sc->map = map;
    sc->map_mask = (uint32_t)(cap - 1);
    for (uint32_t i = 0; i < sc->ndist; i++) {
        dterm *e = map_slot(sc, old[sc->dist[i]].hash);
        *e = old[sc->dist[i]];
        dist[i] = (uint32_t)(e - sc->map);
    }
    free(old);
    free(sc->dist);
    sc->dist = dist;
    return SHEAF_OK;
}

static void map_clear(scratch *sc)
{
    for (uint32_t i = 0; i < sc->ndist; i++)
        memset(&sc->map[sc->dist[i]], 0, sizeof sc->map[0]);
    sc->ndist = 0;
}

/* --------------------------------------------------------------- analysis */

/* Heavier first; equal weights by hash, so that the order is total. */
static int heavier(const dterm *a, const dterm *b)
{
    return a->weight != b->weight ? a->weight > b->weight : a->hash < b->hash;
}

/* Sift down in a min-heap (lightest at the root) of map slots. */
static void heap_down(const scratch *sc, uint32_t *h, uint32_t n, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l < n && heavier(&sc->map[h[m]], &sc->map[h[l]]))
            m = l;
        if (l + 1 < n && heavier(&sc->map[h[m]], &sc->map[h[l + 1]]))
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
 * Weighted MinHash of the kept terms into sc->keys: P-MinHash (Moulton and
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
static void minhash(const sheaf__story_params *p, scratch *sc)
{
    uint32_t m = p->num_hashes, filled = 0;
    double top = INFINITY; /* the largest value; infinite while unfilled */
    for (uint32_t j = 0; j < m; j++) {
        sc->minval[j] = INFINITY;
        sc->minterm[j] = 0;
    }
    for (uint32_t i = 0; i < sc->k && i < SKETCH_TERMS; i++) {
        uint64_t state = sheaf__mix64(sc->hterm[i] ^ p->seed);
        double scale = 1 / ((double)sc->hweight[i] * sc->hweight[i]), x = 0;
        for (uint32_t j = 0; j < m; j++)
            sc->perm[j] = j;
        for (uint32_t d = 0; d < m; d++) {
            /* The next smallest of the term's m values: the gap, then
             * which of the values not yet drawn it is. */
            uint64_t r = sheaf__mix64(state += 0x9e3779b97f4a7c15ull);
            x += neg_log_unit((uint32_t)(r >> 32)) * scale * sc->inv[d];
            if (x >= top)
                break;
            uint32_t pick = d + (uint32_t)(((r & 0xffffffffu) * (m - d)) >> 32);
            uint32_t j = sc->perm[pick];
            sc->perm[pick] = sc->perm[d];
            if (x >= sc->minval[j])
                continue;
            int was_top = sc->minval[j] == top;
            filled += sc->minval[j] == INFINITY;
            sc->minval[j] = x;
            sc->minterm[j] = sc->hterm[i];
            if (filled == m && (was_top || top == INFINITY)) {
                top = 0;
                for (uint32_t t = 0; t < m; t++)
                    if (sc->minval[t] > top)
                        top = sc->minval[t];
            }
        }
    }
    for (uint32_t j = 0; j < m; j++)
        sc->keys[j] = band_key(j, sc->minterm[j]);
}

/* The article's term vector and band keys into sc. Changes nothing of s. */
static int analyse(const sheaf__story *s, scratch *sc, const char *text,
                   size_t len)
{
    const sheaf__story_params *p = &s->p;
    map_clear(sc);
    sheaf__term_scan ts;
    sheaf__terms_init(&ts, &s->stop, text, len);
    const size_t chunk = sizeof sc->terms / sizeof sc->terms[0];
    size_t n;
    while ((n = sheaf__terms_next(&ts, sc->terms, chunk)) != 0) {
        for (size_t i = 0; i < n; i++) {
            int rc = map_reserve(sc);
            if (rc != SHEAF_OK)
                return rc;
            dterm *e = map_slot(sc, sc->terms[i].hash);
            if (!e->used) {
                e->hash = sc->terms[i].hash;
                e->used = 1;
                sc->dist[sc->ndist++] = (uint32_t)(e - sc->map);
            }
            if (sc->terms[i].list)
                e->tf_list += 1;
            else
                e->tf += 1;
        }
    }
    /* English prose (a fifth or more function words; they are about half
     * of it) ignores its lists; other text, in another language, has few
     * of our function words and would be all lists. */
    int prose = ts.function_words * 5 >= ts.words;

    /* Weight: saturated term frequency times the inverse document
     * frequency learnt so far, this article counted in. Keep the
     * max_terms heaviest in a min-heap. */
    double docs = (double)s->docs_seen + 1 + PRIOR_DOCS;
    uint32_t k = 0, kmax = p->max_terms;
    for (uint32_t i = 0; i < sc->ndist; i++) {
        dterm *e = &sc->map[sc->dist[i]];
        e->df = stat_df(&s->stats, e->hash);
        float tf = prose ? e->tf : e->tf + e->tf_list;
        if (tf == 0)
            continue;
        double df = e->df + 1 + PRIOR_DF;
        e->weight = (float)(tf * (1 + K1) / (tf + K1) * log(docs / df));
        if (k < kmax) {
            sc->heap[k++] = sc->dist[i];
            if (k == kmax)
                for (uint32_t j = k / 2; j-- > 0;)
                    heap_down(sc, sc->heap, k, j);
        } else if (heavier(e, &sc->map[sc->heap[0]])) {
            sc->heap[0] = sc->dist[i];
            heap_down(sc, sc->heap, k, 0);
        }
    }
    if (k < kmax)
        for (uint32_t j = k / 2; j-- > 0;)
            heap_down(sc, sc->heap, k, j);
    /* Pop the lightest first into the back: heaviest first. */
    double norm = 0;
    for (uint32_t left = k; left > 0; left--) {
        const dterm *e = &sc->map[sc->heap[0]];
        sc->hterm[left - 1] = e->hash;
        sc->hweight[left - 1] = e->weight;
        norm += (double)e->weight * e->weight;
        sc->heap[0] = sc->heap[left - 1];
        heap_down(sc, sc->heap, left - 1, 0);
    }
    sc->k = k;
    norm = norm > 0 ? 1 / sqrt(norm) : 0;
    for (uint32_t i = 0; i < k; i++)
        sc->hweight[i] = (float)(sc->hweight[i] * norm);

    minhash(p, sc);

    /* The vector by fp, to merge with others: insertion sort, as there
     * are few terms; terms sharing an fp become one. And its table. */
    uint32_t nv = 0;
    for (uint32_t i = 0; i < k; i++) {
        wterm t = {(uint32_t)(sc->hterm[i] >> 32), sc->hweight[i]};
        uint32_t j = nv;
        for (; j > 0 && sc->vec[j - 1].fp > t.fp; j--)
            ;
        if (j > 0 && sc->vec[j - 1].fp == t.fp) {
            sc->vec[j - 1].w += t.w;
            continue;
        }
        memmove(sc->vec + j + 1, sc->vec + j, (nv - j) * sizeof *sc->vec);
        sc->vec[j] = t;
        nv++;
    }
    sc->nvec = nv;
    for (uint32_t i = 0; i < sc->k_table; i++)
        sc->table[sc->table_at[i]].w = 0;
    memset(sc->bits, 0, sizeof sc->bits);
    for (uint32_t i = 0; i < nv; i++) {
        uint32_t j = sc->vec[i].fp & sc->table_mask, b = bit_of(sc->vec[i].fp);
        while (sc->table[j].w != 0)
            j = (j + 1) & sc->table_mask;
        sc->table[j] = sc->vec[i];
        sc->table_at[i] = j;
        sc->bits[b >> 6] |= (uint64_t)1 << (b & 63);
    }
    sc->k_table = nv;
    return SHEAF_OK;
}

/* -------------------------------------------------------------- deciding */

static int push_cand(scratch *sc, uint32_t c)
{
    if (sc->ncands == sc->cands_cap) {
        size_t cap = sc->cands_cap ? sc->cands_cap * 2 : 256;
        uint32_t *v = realloc(sc->cands, cap * sizeof *v);
        if (!v)
            return SHEAF_ENOMEM;
        sc->cands = v;
        sc->cands_cap = cap;
    }
    sc->cands[sc->ncands++] = c;
    return SHEAF_OK;
}

/* Whether candidate cluster a ranks before b: more shared bands per
 * member (compared exactly, by cross-multiplying), then the lower
 * number. */
static int ranks_before(const sheaf__story *s, const scratch *sc, uint32_t a,
                        uint32_t b)
{
    uint64_t x = (uint64_t)sc->count[a] * s->clus[b].size;
    uint64_t y = (uint64_t)sc->count[b] * s->clus[a].size;
    return x != y ? x > y : a < b;
}

/* Reorder v[0..n) so that its first want entries are the best ranked
 * (quickselect; the order is total, so the set is unique). */
static void select_best(const sheaf__story *s, const scratch *sc, uint32_t *v,
                        size_t n, size_t want)
{
    size_t lo = 0, hi = n; /* the boundary want lies in [lo, hi) */
    while (hi - lo > 1) {
        uint32_t pivot = v[lo + (hi - lo) / 2];
        /* Three-way partition: before, equal (only the pivot), after. */
        size_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            if (v[i] == pivot) {
                i++;
            } else if (ranks_before(s, sc, v[i], pivot)) {
                uint32_t t = v[lt];
                v[lt++] = v[i];
                v[i++] = t;
            } else {
                uint32_t t = v[--gt];
                v[gt] = v[i];
                v[i] = t;
            }
        }
        if (want < lt)
            hi = lt;
        else if (want > lt)
            lo = lt + 1;
        else
            return;
    }
}

/* The candidate clusters: those of the articles sharing a band with this
 * one, the max_candidates best ranked, into sc->cands. */
static int candidates(const sheaf__story *s, scratch *sc)
{
    sc->ncands = 0;
    if (sc->k == 0 || !s->bands.slot)
        return SHEAF_OK;
    if (sc->count_cap < s->clus_used) {
        uint32_t *v = realloc(sc->count, s->clus_cap * sizeof *v);
        if (!v)
            return SHEAF_ENOMEM;
        memset(v + sc->count_cap, 0,
               (s->clus_cap - sc->count_cap) * sizeof *v);
        sc->count = v;
        sc->count_cap = s->clus_cap;
    }
    const bands *t = &s->bands;
    int rc = SHEAF_OK;
    /* The band slots are cache misses, independent: ask for all first. */
    for (uint32_t j = 0; j < s->p.num_hashes; j++)
        SHEAF__PREFETCH(&t->slot[band_home(t, sc->keys[j])]);
    for (uint32_t j = 0; j < s->p.num_hashes && rc == SHEAF_OK; j++) {
        band *b = band_slot(t, sc->keys[j]);
        if (!b->n || b->n > BUSY_BAND)
            continue;
        const uint32_t *v = band_entries(b);
        for (uint32_t i = 0; i < b->n; i++) {
            uint32_t c = v[i];
            if (sc->count[c]++ == 0 && (rc = push_cand(sc, c)) != SHEAF_OK) {
                sc->count[c] = 0;
                break;
            }
        }
    }
    if (rc == SHEAF_OK && sc->ncands > s->p.max_candidates) {
        select_best(s, sc, sc->cands, sc->ncands, s->p.max_candidates);
        for (size_t x = s->p.max_candidates; x < sc->ncands; x++)
            sc->count[sc->cands[x]] = 0;
        sc->ncands = s->p.max_candidates;
    }
    for (size_t x = 0; x < sc->ncands; x++)
        sc->count[sc->cands[x]] = 0;
    if (rc != SHEAF_OK)
        sc->ncands = 0;
    return rc;
}

/* The factor on the similarity of an article published at t to cluster
 * c; see time_scale in story.h. */
static double time_factor(const sheaf__story_params *p, const sclus *c,
                          int64_t t)
{
    if (p->time_scale == 0 || t == SHEAF__NO_TIME || c->tmin == SHEAF__NO_TIME)
        return 1;
    double dt = t < c->tmin   ? (double)c->tmin - (double)t
                : t > c->tmax ? (double)t - (double)c->tmax
                              : 0;
    return p->time_scale / (p->time_scale + dt);
}

/* Decide for the article analysed into sc: the most similar candidate (on
 * a tie the older cluster) if it passes the threshold and the contrast,
 * with its most similar member. */
static int decide(const sheaf__story *s, scratch *sc, int64_t time,
                  sheaf__story_result *r)
{
    int rc = candidates(s, sc);
    if (rc != SHEAF_OK)
        return rc;
    memset(r, 0, sizeof *r);
    r->cluster = SHEAF__NO_CLUSTER;
    r->match = SHEAF__STORY_NO_DOC;
    r->cluster_size = 1;
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < sc->ncands; i++) {
        const sclus *c = &s->clus[sc->cands[i]];
        sc->sim[i] = dot_cluster(sc, c) / c->size * time_factor(&s->p, c, time);
        if (best == SIZE_MAX || sc->sim[i] > sc->sim[best] ||
            (sc->sim[i] == sc->sim[best] &&
             c->seq < s->clus[sc->cands[best]].seq))
            best = i;
    }
    if (best == SIZE_MAX)
        return SHEAF_OK;
    /* The background: the mean of the next RUNNERS similarities, missing
     * ones counting 0. */
    double next[RUNNERS] = {0};
    for (size_t i = 0; i < sc->ncands; i++) {
        if (i == best)
            continue;
        double v = sc->sim[i];
        for (size_t q = 0; q < RUNNERS; q++)
            if (v > next[q]) {
                double t = next[q];
                next[q] = v;
                v = t;
            }
    }
    double background = 0;
    for (size_t q = 0; q < RUNNERS; q++)
        background += q + 1 < sc->ncands ? next[q] : BACKGROUND_PRIOR;
    r->similarity = sc->sim[best];
    r->background = background / RUNNERS;
    if (r->similarity < s->p.threshold ||
        r->similarity - r->background < s->p.contrast)
        return SHEAF_OK;

    const sclus *c = &s->clus[sc->cands[best]];
    r->joined = 1;
    r->cluster = sc->cands[best];
    r->cluster_size = (size_t)c->size + 1;
    r->match_similarity = -1;
    for (uint32_t d = c->head; d != SHEAF__STORY_NO_DOC; d = s->docs[d].next) {
        const sdoc *x = &s->docs[d];
        double sim = dot_docs(sc->vec, sc->nvec, x->vec, x->nterms);
        if (sim > r->match_similarity) {
            r->match_similarity = sim;
            r->match = d;
        }
    }
    return SHEAF_OK;
}

/* -------------------------------------------------------------- lifecycle */

int sheaf__story_new(const sheaf__story_params *p, sheaf__story **out)
{
    if (!out || sheaf__story_params_validate(p) != SHEAF_OK)
        return SHEAF_EINVAL;
    sheaf__story *s = calloc(1, sizeof *s);
    if (!s)
        return SHEAF_ENOMEM;
    s->p = *p;
    sheaf__stopwords_init(&s->stop, p->seed);
    s->clus_free = SHEAF__NO_CLUSTER;
    if (scratch_init(&s->sc, p) != SHEAF_OK) {
        free(s);
        return SHEAF_ENOMEM;
    }
    *out = s;
    return SHEAF_OK;
}

void sheaf__story_free(sheaf__story *s)
{
    if (!s)
        return;
    free(s->stats.slot);
    for (uint32_t d = 0; d < s->docs_cap; d++)
        free(s->docs[d].vec);
    free(s->docs);
    for (uint32_t c = 0; c < s->clus_used; c++)
        free(s->clus[c].sum);
    free(s->clus);
    if (s->bands.slot)
        for (uint32_t i = 0; i <= s->bands.mask; i++)
            if (s->bands.slot[i].n && s->bands.slot[i].cap)
                free(s->bands.slot[i].e.heap);
    free(s->bands.slot);
    scratch_free(&s->sc);
    free(s);
}

size_t sheaf__story_size(const sheaf__story *s) { return s ? s->live : 0; }

size_t sheaf__story_cluster_count(const sheaf__story *s)
{
    return s ? s->clusters : 0;
}

uint32_t sheaf__story_cluster_of(const sheaf__story *s, uint32_t doc)
{
    return s && doc < s->docs_cap ? s->docs[doc].cluster : SHEAF__NO_CLUSTER;
}

/* ----------------------------------------------------------------- adding */

/* Room for document number doc. */
static int reserve_docs(sheaf__story *s, uint32_t doc)
{
    if (doc < s->docs_cap)
        return SHEAF_OK;
    uint64_t cap = s->docs_cap ? s->docs_cap : 64;
    while (cap <= doc)
        cap *= 2;
    if (cap > SHEAF__STORY_NO_DOC)
        cap = SHEAF__STORY_NO_DOC;
    sdoc *v = realloc(s->docs, cap * sizeof *v);
    if (!v)
        return SHEAF_ENOMEM;
    for (uint64_t d = s->docs_cap; d < cap; d++) {
        memset(&v[d], 0, sizeof v[d]);
        v[d].cluster = SHEAF__NO_CLUSTER;
    }
    s->docs = v;
    s->docs_cap = (uint32_t)cap;
    return SHEAF_OK;
}

/* Room for one more cluster. */
static int reserve_cluster(sheaf__story *s)
{
    if (s->clus_free != SHEAF__NO_CLUSTER || s->clus_used < s->clus_cap)
        return SHEAF_OK;
    uint64_t cap = s->clus_cap ? (uint64_t)s->clus_cap * 2 : 64;
    if (cap > SHEAF__NO_CLUSTER)
        cap = SHEAF__NO_CLUSTER;
    if (cap == s->clus_cap)
        return SHEAF_ERANGE;
    sclus *v = realloc(s->clus, cap * sizeof *v);
    if (!v)
        return SHEAF_ENOMEM;
    s->clus = v;
    s->clus_cap = (uint32_t)cap;
    return SHEAF_OK;
}

/* Room in the sum of c for n more terms: NULL in *sum when c's array has
 * it, else a new array of capacity *cap to merge into. */
static int reserve_sum(const sclus *c, uint32_t n, wterm **sum,
                       uint32_t *cap)
{
    *sum = NULL;
    *cap = c->cap;
    if ((uint64_t)c->n + n <= c->cap)
        return SHEAF_OK;
    uint64_t want = (uint64_t)c->cap * 2;
    if (want < (uint64_t)c->n + n)
        want = (uint64_t)c->n + n;
    if (want > UINT32_MAX)
        return SHEAF_ERANGE;
    if (!(*sum = malloc((size_t)want * sizeof **sum)))
        return SHEAF_ENOMEM;
    *cap = (uint32_t)want;
    return SHEAF_OK;
}

/* Add the article's vector to the sum of c, merging from the back so that
 * it can happen in place: into out of capacity cap, c's own array or a new
 * one. */
static void merge_sum(sclus *c, const scratch *sc, wterm *out, uint32_t cap)
{
    const wterm *v = sc->vec;
    uint32_t common = 0;
    for (uint32_t i = 0, j = 0; i < sc->nvec && j < c->n;) {
        if (v[i].fp < c->sum[j].fp)
            i++;
        else if (v[i].fp > c->sum[j].fp)
            j++;
        else
            common++, i++, j++;
    }
    uint32_t total = c->n + sc->nvec - common;
    uint32_t i = sc->nvec, j = c->n, o = total;
    while (o > 0) {
        if (j > 0 && (i == 0 || c->sum[j - 1].fp > v[i - 1].fp)) {
            out[--o] = c->sum[--j];
        } else if (j > 0 && c->sum[j - 1].fp == v[i - 1].fp) {
            out[--o] = c->sum[--j];
            out[o].w += v[--i].w;
        } else {
            out[--o] = v[--i];
        }
    }
    if (out != c->sum) {
        free(c->sum);
        c->sum = out;
        c->cap = cap;
    }
    c->n = total;
}

static void widen_span(sclus *c, int64_t t)
{
    if (t == SHEAF__NO_TIME)
        return;
    if (c->tmin == SHEAF__NO_TIME || t < c->tmin)
        c->tmin = t;
    if (c->tmax == SHEAF__NO_TIME || t > c->tmax)
        c->tmax = t;
}

int sheaf__story_add(sheaf__story *s, uint32_t doc, const char *text,
                     size_t len, int64_t time, sheaf__story_result *out)
{
    if (!s || (!text && len))
        return SHEAF_EINVAL;
    if (doc == SHEAF__STORY_NO_DOC)
        return SHEAF_ERANGE;
    if (doc < s->docs_cap && s->docs[doc].cluster != SHEAF__NO_CLUSTER)
        return SHEAF_EEXIST;
    scratch *sc = &s->sc;
    sheaf__story_result r;
    int rc = analyse(s, sc, text, len);
    if (rc == SHEAF_OK)
        rc = decide(s, sc, time, &r);
    if (rc != SHEAF_OK)
        return rc;

    /* Every allocation first; nothing changes until all have succeeded
     * (a larger array or table that goes unused is no change). */
    size_t fresh = 0;
    for (uint32_t i = 0; i < sc->ndist; i++)
        fresh += sc->map[sc->dist[i]].df == 0;
    uint32_t k = sc->nvec, m = s->p.num_hashes;
    if ((rc = reserve_docs(s, doc)) != SHEAF_OK ||
        (!r.joined && (rc = reserve_cluster(s)) != SHEAF_OK) ||
        (k && (rc = bands_reserve(&s->bands, sc->keys, m)) != SHEAF_OK) ||
        (rc = stats_reserve(&s->stats, fresh)) != SHEAF_OK)
        return rc;
    wterm *vec = NULL;
    if (k && !(vec = malloc(k * sizeof *vec + m * sizeof(uint32_t))))
        return SHEAF_ENOMEM;
    static const sclus empty;
    wterm *sum;
    uint32_t sum_cap;
    rc = reserve_sum(r.joined ? &s->clus[r.cluster] : &empty, k, &sum,
                     &sum_cap);
    if (rc != SHEAF_OK) {
        free(vec);
        return rc;
    }
    /* Commit. */
    for (uint32_t i = 0; i < sc->ndist; i++)
        stats_count(&s->stats, sc->map[sc->dist[i]].hash);
    s->docs_seen++;

    uint32_t cid = r.cluster;
    if (!r.joined) {
        if (s->clus_free != SHEAF__NO_CLUSTER) {
            cid = s->clus_free;
            s->clus_free = s->clus[cid].head;
        } else {
            cid = s->clus_used++;
        }
        sclus *c = &s->clus[cid];
        memset(c, 0, sizeof *c);
        c->head = c->tail = SHEAF__STORY_NO_DOC;
        c->tmin = c->tmax = SHEAF__NO_TIME;
        c->seq = s->next_seq++;
        s->clusters++;
    }
    sclus *c = &s->clus[cid];
    if (k)
        merge_sum(c, sc, sum ? sum : c->sum, sum_cap);
    widen_span(c, time);

    sdoc *x = &s->docs[doc];
    x->cluster = cid;
    x->nterms = k;
    x->vec = vec;
    x->keys = vec ? (uint32_t *)(vec + k) : NULL;
    x->time = time;
    if (k) {
        memcpy(x->vec, sc->vec, k * sizeof *x->vec);
        memcpy(x->keys, sc->keys, m * sizeof *x->keys);
        for (uint32_t j = 0; j < m; j++)
            bands_insert(&s->bands, x->keys[j], cid);
    }
    x->next = SHEAF__STORY_NO_DOC;
    x->prev = c->tail;
    if (c->tail != SHEAF__STORY_NO_DOC)
        s->docs[c->tail].next = doc;
    else
        c->head = doc;
    c->tail = doc;
    c->size++;
    s->live++;

    if (out) {
        *out = r;
        out->cluster = cid;
        out->cluster_size = c->size;
    }
    return SHEAF_OK;
}

int sheaf__story_query(const sheaf__story *s, const char *text, size_t len,
                       int64_t time, sheaf__story_result *out)
{
    if (!s || !out || (!text && len))
        return SHEAF_EINVAL;
    scratch sc;
    sheaf__story_result r;
    int rc = scratch_init(&sc, &s->p);
    if (rc != SHEAF_OK)
        return rc;
    if ((rc = analyse(s, &sc, text, len)) == SHEAF_OK &&
        (rc = decide(s, &sc, time, &r)) == SHEAF_OK)
        *out = r;
    scratch_free(&sc);
    return rc;
}

/* --------------------------------------------------------------- removing */

int sheaf__story_remove(sheaf__story *s, uint32_t doc)
{
    if (!s)
        return SHEAF_EINVAL;
    if (doc >= s->docs_cap || s->docs[doc].cluster == SHEAF__NO_CLUSTER)
        return SHEAF_ENOTFOUND;
    sdoc *x = &s->docs[doc];
    uint32_t cid = x->cluster;
    sclus *c = &s->clus[cid];
    if (x->nterms)
        for (uint32_t j = 0; j < s->p.num_hashes; j++)
            bands_remove(&s->bands, x->keys[j], cid);
    if (x->prev != SHEAF__STORY_NO_DOC)
        s->docs[x->prev].next = x->next;
    else
        c->head = x->next;
    if (x->next != SHEAF__STORY_NO_DOC)
        s->docs[x->next].prev = x->prev;
    else
        c->tail = x->prev;
    free(x->vec);
    memset(x, 0, sizeof *x);
    x->cluster = SHEAF__NO_CLUSTER;
    s->live--;

    if (--c->size == 0) {
        free(c->sum);
        c->sum = NULL;
        c->head = s->clus_free;
        s->clus_free = cid;
        s->clusters--;
        return SHEAF_OK;
    }
    /* Rebuild the sum and the time span from the remaining members in
     * their order, so that a cluster's state is a function of its members
     * alone, whatever came and went (subtracting would leave rounding
     * residue). Their terms are a subset of the old sum's, so this happens
     * in place: weights are positive, and a term no member has any more is
     * left at 0 and dropped. */
    for (uint32_t i = 0; i < c->n; i++)
        c->sum[i].w = 0;
    c->tmin = c->tmax = SHEAF__NO_TIME;
    for (uint32_t d = c->head; d != SHEAF__STORY_NO_DOC; d = s->docs[d].next) {
        const sdoc *y = &s->docs[d];
        for (uint32_t i = 0, j = 0; i < y->nterms; i++) {
            while (c->sum[j].fp < y->vec[i].fp)
                j++;
            c->sum[j].w += y->vec[i].w;
        }
        widen_span(c, y->time);
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < c->n; i++)
        if (c->sum[i].w != 0)
            c->sum[n++] = c->sum[i];
    c->n = n;
    return SHEAF_OK;
}
