/*
 * Near mode as an engine (model/engine.h): an article is its signature,
 * its candidates the articles that share an LSH band with it, and it joins
 * the cluster of the most similar candidate that passes verification.
 *
 * Per doc slot the engine keeps the low 16 bits of each signature value
 * (half the memory; two different values then agree with probability
 * 1/65536, which moves an estimate by at most that much per hash) and the
 * links of its group of equal signatures (below).
 */
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/error.h"
#include "model/engine.h"
#include "near/lsh.h"
#include "near/near.h"

/* Per doc slot, beside its values. Documents with shingles and equal
 * values (all num_hashes of them) form a circular list in seq order, a
 * lone document one of its own. Only the earliest, the group's
 * representative, is in the band tables; verification scores it once for
 * the whole group and walks the members only for their times. Corpora
 * with hundreds of identical boilerplate pages otherwise made every new
 * copy probe and score all the others in every band. Two links keep
 * adding, removing any member and promoting the next O(1); band 0 serves
 * as the lookup of a group by its values (sheaf__lsh_find_equal). */
typedef struct ndoc {
    uint32_t same_prev, same_next;
    uint8_t has_shingles; /* without, it is in no band and matches nothing */
    uint8_t in_bands;     /* the representative of its group */
} ndoc;

struct sheaf__engine {
    sheaf_params p; /* bands and rows resolved */
    sheaf_hasher hasher;
    /* Equal values needed to join. The estimate of a pair exactly at the
     * threshold falls below it half the time, so verification accepts one
     * standard error below: sqrt(t (1 - t) / num_hashes). Measured on
     * tests/test_quality.c: recall of pairs above 0.5 from 0.952 to 0.967
     * (with the banding of that time) at unchanged pair precision. */
    uint32_t min_same;
    sheaf__lsh lsh;
    uint16_t *values; /* num_hashes per doc slot */
    ndoc *docs;
    uint32_t cap; /* slots of values, docs and mark */
    /* Per slot: the epoch of the last add that saw it as a candidate.
     * Removes repeats without sorting; syndicated copies share every band,
     * so one add can meet the same document dozens of times. */
    uint32_t *mark;
    uint32_t epoch;
    uint64_t *keys; /* band keys of a removal in progress */
};

/* Orders verified matches: most similar first, then the earlier. */
typedef struct scored {
    uint32_t doc, same;
    uint64_t seq;
} scored;

struct sheaf__rep {
    uint16_t values[SHEAF_MAX_HASHES];
    uint64_t keys[SHEAF_MAX_HASHES];
    int has_shingles;
    sheaf__docs cands;
    scored *found; /* a query's matches */
    size_t found_cap;
    sheaf_signature sig; /* for articles given as text */
};

static void destroy(sheaf__engine *e)
{
    if (!e)
        return;
    sheaf__lsh_free(&e->lsh);
    free(e->values);
    free(e->docs);
    free(e->mark);
    free(e->keys);
    free(e);
}

static int create(const sheaf_params *p, sheaf__engine **out)
{
    sheaf__engine *e = calloc(1, sizeof *e);
    if (!e)
        return SHEAF_ENOMEM;
    e->p = *p;
    sheaf__choose_bands(p, &e->p.bands, &e->p.rows);
    sheaf__hasher_init(&e->hasher, &e->p);
    e->min_same = sheaf__near_min_same(p);
    e->keys = malloc(e->p.bands * sizeof *e->keys);
    if (!e->keys ||
        sheaf__lsh_init(&e->lsh, e->p.bands, e->p.rows,
                        (const uint16_t *const *)&e->values,
                        p->num_hashes) != SHEAF_OK) {
        destroy(e);
        return SHEAF_ENOMEM;
    }
    *out = e;
    return SHEAF_OK;
}

const sheaf_hasher *sheaf__near_hasher(const sheaf__engine *e)
{
    return &e->hasher;
}

static int rep_new(const sheaf__engine *e, sheaf__rep **out)
{
    (void)e;
    sheaf__rep *r = calloc(1, sizeof *r);
    if (!r)
        return SHEAF_ENOMEM;
    *out = r;
    return SHEAF_OK;
}

static void rep_free(sheaf__rep *r)
{
    if (!r)
        return;
    sheaf__docs_free(&r->cands);
    free(r->found);
    free(r);
}

/* The signature's values as the engine keeps them, and its band keys. */
static void take(const sheaf__engine *e, const sheaf_signature *sig,
                 sheaf__rep *r)
{
    for (uint32_t i = 0; i < sig->num_hashes; i++)
        r->values[i] = (uint16_t)sig->values[i];
    r->has_shingles = sig->num_shingles != 0;
    if (r->has_shingles)
        sheaf__lsh_keys(e->p.bands, e->p.rows, r->values, r->keys);
}

static int analyse(const sheaf__engine *e, const sheaf_article *a,
                   sheaf__rep *r)
{
    const sheaf_signature *sig = a->signature;
    if (sig && !sheaf__signature_compatible(sig, &e->p))
        return sheaf__fail(SHEAF_EMISMATCH,
                           "signature made with other parameters than the "
                           "index's");
    if (!sig) {
        int rc = sheaf__sign(&e->hasher, a->text, a->len, &r->sig);
        if (rc != SHEAF_OK)
            return rc;
        sig = &r->sig;
    }
    take(e, sig, r);
    return SHEAF_OK;
}

/* ------------------------------------------------------------ matching */

static const uint16_t *doc_values(const sheaf__engine *e, uint32_t d)
{
    return e->values + (size_t)d * e->p.num_hashes;
}

static uint32_t count_equal(const uint16_t *a, const uint16_t *b, uint32_t n)
{
    uint32_t same = 0;
    for (uint32_t i = 0; i < n; i++)
        same += a[i] == b[i];
    return same;
}

/* The band tables match on 16-bit tags, so once in 65536 probes they
 * propose a document of another band hash: keep only real band matches. */
static int shares_band(const sheaf__engine *e, const uint16_t *a,
                       const uint16_t *b)
{
    size_t rows = e->p.rows;
    for (size_t i = 0; i < e->p.bands; i++)
        if (memcmp(a + i * rows, b + i * rows, rows * sizeof *a) == 0)
            return 1;
    return 0;
}

static int better(const scored *a, const scored *b)
{
    return a->same != b->same ? a->same > b->same : a->seq < b->seq;
}

static scored score(const sheaf__engine *e, const sheaf__model *m,
                    const uint16_t *values, uint32_t d)
{
    scored s = {d, 0, m->docs[d].seq};
    s.same = count_equal(values, doc_values(e, d), e->p.num_hashes);
    return s;
}

/* The verified matches among the LSH candidates of r (none when it has no
 * shingles) into r->cands. The writer passes its marks (see
 * sheaf__engine.mark) and wants only the best match; queries pass NULL and
 * want every match. */
static int verified(const sheaf__engine *e, const sheaf__model *m,
                    sheaf__rep *r, int64_t time, uint32_t *mark,
                    uint32_t epoch)
{
    sheaf__docs *cands = &r->cands;
    cands->n = 0;
    if (!r->has_shingles)
        return SHEAF_OK;
    int rc = mark ? sheaf__lsh_candidates_marked(&e->lsh, r->keys, mark,
                                                 epoch, cands)
                  : sheaf__lsh_candidates(&e->lsh, r->keys, cands);
    if (rc != SHEAF_OK)
        return rc;
    /* The candidates are representatives; their groups share their values
     * but not their times. Members that pass are appended past the
     * candidates, then moved down over them. */
    size_t n = cands->n;
    for (size_t i = 0; i < n; i++) {
        uint32_t g = cands->v[i];
        if (!shares_band(e, r->values, doc_values(e, g)) ||
            count_equal(r->values, doc_values(e, g), e->p.num_hashes) <
                e->min_same)
            continue;
        uint32_t d = g;
        do {
            if (sheaf__within(time, m->docs[d].time, e->p.window)) {
                if ((rc = sheaf__docs_push(cands, d)) != SHEAF_OK)
                    return rc;
                if (mark) /* equal scores: the earliest is the best */
                    break;
            }
            d = e->docs[d].same_next;
        } while (d != g);
    }
    if (n) {
        memmove(cands->v, cands->v + n, (cands->n - n) * sizeof cands->v[0]);
        cands->n -= n;
    }
    return SHEAF_OK;
}

static int decide(sheaf__engine *e, const sheaf__model *m, sheaf__rep *r,
                  int64_t time, sheaf__decision *out)
{
    if (++e->epoch == 0) { /* wrapped: old marks could equal new epochs */
        memset(e->mark, 0, e->cap * sizeof *e->mark);
        e->epoch = 1;
    }
    int rc = verified(e, m, r, time, e->mark, e->epoch);
    if (rc != SHEAF_OK)
        return rc;
    scored best = {SHEAF__NONE, 0, 0};
    for (size_t i = 0; i < r->cands.n; i++) {
        scored s = score(e, m, r->values, r->cands.v[i]);
        if (best.doc == SHEAF__NONE || better(&s, &best))
            best = s;
    }
    out->match = best.doc;
    out->cluster = best.doc != SHEAF__NONE ? m->docs[best.doc].cluster
                                           : SHEAF__NONE;
    out->similarity = best.doc != SHEAF__NONE
                          ? (double)best.same / e->p.num_hashes
                          : 0.0;
    return SHEAF_OK;
}

static int compare_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    return better(x, y) ? -1 : better(y, x) ? 1 : 0;
}

static int matches(const sheaf__engine *e, const sheaf__model *m,
                   sheaf__rep *r, int64_t time, sheaf__hits *out)
{
    out->n = 0;
    int rc = verified(e, m, r, time, NULL, 0);
    if (rc != SHEAF_OK)
        return rc;
    size_t n = r->cands.n;
    if (n > r->found_cap) {
        scored *v = realloc(r->found, n * sizeof *v);
        if (!v)
            return SHEAF_ENOMEM;
        r->found = v;
        r->found_cap = n;
    }
    for (size_t i = 0; i < n; i++)
        r->found[i] = score(e, m, r->values, r->cands.v[i]);
    if (n > 1)
        qsort(r->found, n, sizeof *r->found, compare_scored);
    for (size_t i = 0; i < n && rc == SHEAF_OK; i++)
        rc = sheaf__hits_push(out, r->found[i].doc,
                              (double)r->found[i].same / e->p.num_hashes);
    return rc;
}

/* ------------------------------------------------------------- state */

/* Per-slot arrays for the model's cap slots. Larger arrays than e->cap
 * says are harmless, so a failure part way changes nothing. */
static int reserve_slots(sheaf__engine *e, uint32_t cap)
{
    if (cap <= e->cap)
        return SHEAF_OK;
    size_t hashes = e->p.num_hashes;
    if (cap > SIZE_MAX / (hashes * sizeof *e->values))
        return SHEAF_ERANGE;
    uint16_t *values = realloc(e->values, (size_t)cap * hashes * sizeof *values);
    if (!values)
        return SHEAF_ENOMEM;
    e->values = values;
    ndoc *docs = realloc(e->docs, (size_t)cap * sizeof *docs);
    if (!docs)
        return SHEAF_ENOMEM;
    e->docs = docs;
    uint32_t *mark = realloc(e->mark, (size_t)cap * sizeof *mark);
    if (!mark)
        return SHEAF_ENOMEM;
    memset(mark + e->cap, 0, (size_t)(cap - e->cap) * sizeof *mark);
    e->mark = mark;
    e->cap = cap;
    return SHEAF_OK;
}

static int reserve(sheaf__engine *e, const sheaf__model *m, sheaf__rep *r,
                   uint32_t c, size_t docs)
{
    (void)c;
    int rc = reserve_slots(e, m->cap);
    size_t count = (size_t)e->lsh.count + (r && r->has_shingles);
    if (rc == SHEAF_OK && (docs > count || count > e->lsh.count))
        rc = sheaf__lsh_reserve(&e->lsh, docs > count ? docs : count);
    return rc;
}

/* Put document d, with shingles and its values in place, in the group of
 * its equal values: as its representative, in the band tables, when it
 * has no such group yet, else last. Last is its place in seq order, since
 * documents come in that order, added or reloaded. */
static void join_group(sheaf__engine *e, uint32_t d, const uint64_t *keys)
{
    ndoc *x = &e->docs[d];
    uint32_t g = sheaf__lsh_find_equal(&e->lsh, keys[0], doc_values(e, d));
    if (g == SHEAF__NO_DOC) {
        x->same_prev = x->same_next = d;
        x->in_bands = 1;
        sheaf__lsh_insert(&e->lsh, keys, d);
        return;
    }
    x->in_bands = 0;
    x->same_prev = e->docs[g].same_prev;
    x->same_next = g;
    e->docs[x->same_prev].same_next = d;
    e->docs[g].same_prev = d;
}

static void insert(sheaf__engine *e, const sheaf__model *m, uint32_t d,
                   const sheaf__rep *r)
{
    (void)m;
    memcpy(e->values + (size_t)d * e->p.num_hashes, r->values,
           e->p.num_hashes * sizeof r->values[0]);
    e->docs[d].has_shingles = (uint8_t)r->has_shingles;
    e->docs[d].in_bands = 0;
    if (r->has_shingles)
        join_group(e, d, r->keys);
}

/* Take document d out of its group and the band tables; the next member,
 * if any, represents the group now. Cannot fail: the tables lose d's slot
 * in every band before they gain the successor's. */
static void remove_doc(sheaf__engine *e, const sheaf__model *m, uint32_t d)
{
    (void)m;
    ndoc *x = &e->docs[d];
    if (!x->has_shingles)
        return;
    if (x->in_bands) {
        sheaf__lsh_keys(e->p.bands, e->p.rows, doc_values(e, d), e->keys);
        sheaf__lsh_remove(&e->lsh, e->keys, d);
        if (x->same_next != d) {
            sheaf__lsh_insert(&e->lsh, e->keys, x->same_next);
            e->docs[x->same_next].in_bands = 1;
        }
        x->in_bands = 0;
    }
    e->docs[x->same_prev].same_next = x->same_next;
    e->docs[x->same_next].same_prev = x->same_prev;
    x->has_shingles = 0;
}

static void settle(sheaf__engine *e, const sheaf__model *m)
{
    (void)e;
    (void)m;
}

/* ------------------------------------------------------------ storage */

/* Payload: u8 flags (1: has shingles), u16 num_hashes, u16 values, all
 * little-endian. */
#define HAS_SHINGLES 1u

static int encode(const sheaf__engine *e, const sheaf__rep *r,
                  sheaf__buf *out)
{
    uint32_t n = e->p.num_hashes;
    int rc = sheaf__buf_reserve(out, 3 + 2 * (size_t)n);
    if (rc != SHEAF_OK)
        return rc;
    uint8_t *q = out->p + out->n;
    q[0] = r->has_shingles ? HAS_SHINGLES : 0;
    sheaf__put_u16(q + 1, (uint16_t)n);
    for (uint32_t i = 0; i < n; i++)
        sheaf__put_u16(q + 3 + 2 * i, r->values[i]);
    out->n += 3 + 2 * (size_t)n;
    return SHEAF_OK;
}

static int decode(const sheaf__engine *e, const uint8_t *p, size_t n,
                  sheaf__rep *r)
{
    uint32_t hashes = e->p.num_hashes;
    if (n != 3 + 2 * (size_t)hashes || (p[0] & ~HAS_SHINGLES) ||
        sheaf__get_u16(p + 1) != hashes)
        return SHEAF_ECORRUPT;
    for (uint32_t i = 0; i < hashes; i++)
        r->values[i] = sheaf__get_u16(p + 3 + 2 * i);
    r->has_shingles = (p[0] & HAS_SHINGLES) != 0;
    if (r->has_shingles)
        sheaf__lsh_keys(e->p.bands, e->p.rows, r->values, r->keys);
    return SHEAF_OK;
}

const sheaf__engine_ops sheaf__near_engine = {
    create, destroy, rep_new,  rep_free, analyse, decide, matches,
    reserve, insert, remove_doc, settle,  encode,  decode,
};
