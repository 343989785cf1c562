/*
 * The index: documents, their signatures, the LSH bands, and the clusters
 * assigned in input order.
 *
 * Documents live in a dense array addressed by a 32-bit document number (the
 * LSH tables and cluster member lists store those numbers, not pointers);
 * slots of removed documents are reused through a free list. Ids and
 * cluster names are uthash tables of records. Every modifying call first
 * makes every allocation it may need and only then changes anything, so an
 * error leaves the index exactly as it was.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsh.h"
#include "sheaf.h"
#include "signature_internal.h"

/* uthash must not exit() on out-of-memory: it undoes the addition and sets
 * the `oom` flag of the calling function instead. */
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (oom = 1)
#include <uthash.h>

typedef struct id_entry {
    UT_hash_handle hh;
    uint32_t doc;
    char id[]; /* the key */
} id_entry;

typedef struct cluster {
    UT_hash_handle hh;
    uint32_t head, tail; /* members, in the order they were added */
    size_t size;
    char name[]; /* the key: the id of the first member, kept after it goes */
} cluster;

typedef struct doc {
    id_entry *id;      /* NULL while the slot is free */
    cluster *cluster;
    uint64_t seq;      /* order of addition: ties go to the earlier */
    uint32_t prev, next; /* cluster members; next also links free slots */
    int has_shingles;  /* without, it is in no band and matches nothing */
} doc;

struct sheaf_index {
    sheaf_params params; /* bands and rows resolved */
    sheaf_hasher hasher;
    /* Equal values needed to join. The estimate of a pair exactly at the
     * threshold falls below it half the time, so verification accepts one
     * standard error below: sqrt(t (1 - t) / num_hashes). Measured on
     * tests/test_quality.c: recall of pairs above 0.5 from 0.952 to 0.967
     * (with the banding of that time) at unchanged pair precision. */
    uint32_t min_same;
    sheaf__lsh lsh;
    doc *docs;
    /* num_hashes per document slot, each the low 16 bits of a signature
     * value: half the memory, and a collision of two different values
     * (1 in 65536) moves an estimate by at most 1/65536 per hash. */
    uint16_t *values;
    uint32_t used, cap; /* slots handed out, slots allocated */
    uint32_t free_slot; /* head of the free list */
    size_t live;
    uint64_t next_seq;
    id_entry *ids;
    cluster *clusters;
    size_t cluster_count;
    sheaf__docs scratch; /* candidates of the add in progress */
    uint64_t *keys;      /* band keys of the add in progress */
};

/* The smallest count of equal values whose fraction reaches the threshold,
 * computed the way the fraction is compared, so no rounding surprises. */
static uint32_t min_same_for(double threshold, uint32_t n)
{
    if (!(threshold > 0.0)) /* the margin can take a tiny threshold below 0 */
        return 0;
    uint32_t s = (uint32_t)floor(threshold * n);
    while (s > 0 && (double)(s - 1) / n >= threshold)
        s--;
    while (s < n && (double)s / n < threshold)
        s++;
    return s;
}

int sheaf_index_new(const sheaf_params *p, sheaf_index **out)
{
    if (!out)
        return SHEAF_EINVAL;
    int rc = sheaf_params_validate(p);
    if (rc != SHEAF_OK)
        return rc;
    sheaf_index *idx = calloc(1, sizeof *idx);
    if (!idx)
        return SHEAF_ENOMEM;
    idx->params = *p;
    sheaf_params_choose_bands(p, &idx->params.bands, &idx->params.rows);
    sheaf_hasher_init(&idx->hasher, &idx->params);
    idx->min_same = min_same_for(
        p->threshold - sqrt(p->threshold * (1 - p->threshold) / p->num_hashes),
        p->num_hashes);
    idx->free_slot = SHEAF__NO_DOC;
    idx->keys = malloc(idx->params.bands * sizeof *idx->keys);
    if (!idx->keys ||
        sheaf__lsh_init(&idx->lsh, idx->params.bands, idx->params.rows,
                        (const uint16_t *const *)&idx->values,
                        idx->params.num_hashes) != SHEAF_OK) {
        sheaf_index_free(idx);
        return SHEAF_ENOMEM;
    }
    *out = idx;
    return SHEAF_OK;
}

void sheaf_index_free(sheaf_index *idx)
{
    if (!idx)
        return;
    id_entry *e, *etmp;
    HASH_ITER(hh, idx->ids, e, etmp) {
        HASH_DEL(idx->ids, e);
        free(e);
    }
    cluster *c, *ctmp;
    HASH_ITER(hh, idx->clusters, c, ctmp) {
        HASH_DEL(idx->clusters, c);
        free(c);
    }
    sheaf__lsh_free(&idx->lsh);
    sheaf__docs_free(&idx->scratch);
    free(idx->keys);
    free(idx->docs);
    free(idx->values);
    free(idx);
}

const sheaf_params *sheaf_index_params(const sheaf_index *idx)
{
    return idx ? &idx->params : NULL;
}

const sheaf_hasher *sheaf_index_hasher(const sheaf_index *idx)
{
    return idx ? &idx->hasher : NULL;
}

size_t sheaf_index_size(const sheaf_index *idx)
{
    return idx ? idx->live : 0;
}

size_t sheaf_index_cluster_count(const sheaf_index *idx)
{
    return idx ? idx->cluster_count : 0;
}

static const uint16_t *doc_values(const sheaf_index *idx, uint32_t d)
{
    return idx->values + (size_t)d * idx->params.num_hashes;
}

/* A signature's values as the index keeps them. */
static void truncate_values(const sheaf_signature *sig, uint16_t *out)
{
    for (uint32_t i = 0; i < sig->num_hashes; i++)
        out[i] = (uint16_t)sig->values[i];
}

static uint32_t count_equal(const uint16_t *a, const uint16_t *b, uint32_t n)
{
    uint32_t same = 0;
    for (uint32_t i = 0; i < n; i++)
        same += a[i] == b[i];
    return same;
}

/* Orders verified matches: most similar first, then the earlier. */
typedef struct scored {
    uint32_t doc, same;
    uint64_t seq;
} scored;

static int better(const scored *a, const scored *b)
{
    return a->same != b->same ? a->same > b->same : a->seq < b->seq;
}

/* Fill *cands with the LSH candidates of the values (none when the
 * signature has no shingles) and the band keys into keys[]. */
static int candidates(const sheaf_index *idx, const uint16_t *values,
                      int has_shingles, uint64_t *keys, sheaf__docs *cands)
{
    cands->n = 0;
    if (!has_shingles)
        return SHEAF_OK;
    sheaf__lsh_keys(idx->params.bands, idx->params.rows, values, keys);
    return sheaf__lsh_candidates(&idx->lsh, keys, cands);
}

static scored score(const sheaf_index *idx, const uint16_t *values,
                    uint32_t d)
{
    scored s = {d, 0, idx->docs[d].seq};
    s.same = count_equal(values, doc_values(idx, d), idx->params.num_hashes);
    return s;
}

/* Room for one more document slot. */
static int reserve_slot(sheaf_index *idx)
{
    if (idx->free_slot != SHEAF__NO_DOC || idx->used < idx->cap)
        return SHEAF_OK;
    if (idx->cap == SHEAF__NO_DOC)
        return SHEAF_ERANGE;
    uint64_t cap = idx->cap ? (uint64_t)idx->cap * 2 : 64;
    if (cap > SHEAF__NO_DOC)
        cap = SHEAF__NO_DOC;
    doc *docs = realloc(idx->docs, cap * sizeof *docs);
    if (!docs)
        return SHEAF_ENOMEM;
    idx->docs = docs;
    uint16_t *values =
        realloc(idx->values, cap * idx->params.num_hashes * sizeof *values);
    if (!values)
        return SHEAF_ENOMEM; /* the larger docs array is harmless */
    idx->values = values;
    idx->cap = (uint32_t)cap;
    return SHEAF_OK;
}

static uint32_t take_slot(sheaf_index *idx)
{
    uint32_t d = idx->free_slot;
    if (d != SHEAF__NO_DOC)
        idx->free_slot = idx->docs[d].next;
    else
        d = idx->used++;
    return d;
}

static void fill_assignment(const sheaf_index *idx, uint32_t d,
                            const scored *best, sheaf_assignment *out)
{
    const doc *x = &idx->docs[d];
    out->cluster = x->cluster->name;
    out->match = best ? idx->docs[best->doc].id->id : NULL;
    out->similarity =
        best ? (double)best->same / idx->params.num_hashes : 0.0;
    out->cluster_size = x->cluster->size;
}

int sheaf_index_add_signature(sheaf_index *idx, const char *id,
                              const sheaf_signature *sig,
                              sheaf_assignment *out)
{
    if (!idx || !id || !*id || !sig)
        return SHEAF_EINVAL;
    if (!sheaf__signature_compatible(sig, &idx->params))
        return SHEAF_EMISMATCH;
    id_entry *e;
    cluster *c;
    size_t id_len = strlen(id);
    HASH_FIND(hh, idx->ids, id, id_len, e);
    HASH_FIND(hh, idx->clusters, id, id_len, c);
    if (e || c)
        return SHEAF_EEXIST;

    uint16_t values[SHEAF_MAX_HASHES];
    truncate_values(sig, values);
    int rc = candidates(idx, values, sig->num_shingles != 0, idx->keys,
                        &idx->scratch);
    if (rc != SHEAF_OK)
        return rc;
    scored best = {SHEAF__NO_DOC, 0, 0};
    for (size_t i = 0; i < idx->scratch.n; i++) {
        scored s = score(idx, values, idx->scratch.v[i]);
        if (s.same >= idx->min_same &&
            (best.doc == SHEAF__NO_DOC || better(&s, &best)))
            best = s;
    }
    int joins = best.doc != SHEAF__NO_DOC;

    /* Every allocation first; nothing changes until all have succeeded. */
    if ((rc = reserve_slot(idx)) != SHEAF_OK)
        return rc;
    if (sig->num_shingles && (rc = sheaf__lsh_reserve(&idx->lsh)) != SHEAF_OK)
        return rc;
    e = malloc(sizeof *e + id_len + 1);
    c = joins ? idx->docs[best.doc].cluster : malloc(sizeof *c + id_len + 1);
    if (!e || !c) {
        free(e);
        if (!joins)
            free(c);
        return SHEAF_ENOMEM;
    }
    int oom = 0;
    memcpy(e->id, id, id_len + 1);
    HASH_ADD_KEYPTR(hh, idx->ids, e->id, id_len, e);
    if (!oom && !joins) {
        memcpy(c->name, id, id_len + 1);
        c->head = c->tail = SHEAF__NO_DOC;
        c->size = 0;
        HASH_ADD_KEYPTR(hh, idx->clusters, c->name, id_len, c);
        if (oom)
            HASH_DEL(idx->ids, e);
    }
    if (oom) {
        free(e);
        if (!joins)
            free(c);
        return SHEAF_ENOMEM;
    }

    uint32_t d = take_slot(idx);
    e->doc = d;
    doc *x = &idx->docs[d];
    x->id = e;
    x->cluster = c;
    x->seq = idx->next_seq++;
    x->has_shingles = sig->num_shingles != 0;
    x->next = SHEAF__NO_DOC;
    x->prev = c->tail;
    if (c->tail != SHEAF__NO_DOC)
        idx->docs[c->tail].next = d;
    else
        c->head = d;
    c->tail = d;
    c->size++;
    if (!joins)
        idx->cluster_count++;
    memcpy(idx->values + (size_t)d * idx->params.num_hashes, values,
           idx->params.num_hashes * sizeof values[0]);
    if (x->has_shingles)
        sheaf__lsh_insert(&idx->lsh, idx->keys, d);
    idx->live++;
    if (out)
        fill_assignment(idx, d, joins ? &best : NULL, out);
    return SHEAF_OK;
}

int sheaf_index_add(sheaf_index *idx, const char *id, const char *text,
                    size_t len, sheaf_assignment *out)
{
    if (!idx)
        return SHEAF_EINVAL;
    sheaf_signature sig;
    int rc = sheaf_hasher_sign(&idx->hasher, text, len, &sig);
    return rc == SHEAF_OK ? sheaf_index_add_signature(idx, id, &sig, out) : rc;
}

int sheaf_index_remove(sheaf_index *idx, const char *id)
{
    if (!idx || !id)
        return SHEAF_EINVAL;
    id_entry *e;
    HASH_FIND_STR(idx->ids, id, e);
    if (!e)
        return SHEAF_ENOTFOUND;
    uint32_t d = e->doc;
    doc *x = &idx->docs[d];
    if (x->has_shingles) {
        sheaf__lsh_keys(idx->params.bands, idx->params.rows,
                        doc_values(idx, d), idx->keys);
        sheaf__lsh_remove(&idx->lsh, idx->keys, d);
    }
    cluster *c = x->cluster;
    if (x->prev != SHEAF__NO_DOC)
        idx->docs[x->prev].next = x->next;
    else
        c->head = x->next;
    if (x->next != SHEAF__NO_DOC)
        idx->docs[x->next].prev = x->prev;
    else
        c->tail = x->prev;
    if (--c->size == 0) {
        HASH_DEL(idx->clusters, c);
        free(c);
        idx->cluster_count--;
    }
    HASH_DEL(idx->ids, e);
    free(e);
    x->id = NULL;
    x->cluster = NULL;
    x->next = idx->free_slot;
    idx->free_slot = d;
    idx->live--;
    return SHEAF_OK;
}

static int compare_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    return better(x, y) ? -1 : better(y, x) ? 1 : 0;
}

int sheaf_index_query_signature(const sheaf_index *idx,
                                const sheaf_signature *sig,
                                sheaf_match *matches, size_t cap,
                                size_t *count)
{
    if (!idx || !sig || !count || (cap && !matches))
        return SHEAF_EINVAL;
    if (!sheaf__signature_compatible(sig, &idx->params))
        return SHEAF_EMISMATCH;
    /* Local scratch: queries may run concurrently with each other. */
    sheaf__docs cands = {0};
    uint16_t values[SHEAF_MAX_HASHES];
    truncate_values(sig, values);
    uint64_t *keys = malloc(idx->params.bands * sizeof *keys);
    int rc = keys ? candidates(idx, values, sig->num_shingles != 0, keys,
                               &cands)
                  : SHEAF_ENOMEM;
    free(keys);
    scored *found = NULL;
    size_t n = 0;
    if (rc == SHEAF_OK && cands.n) {
        found = malloc(cands.n * sizeof *found);
        if (!found)
            rc = SHEAF_ENOMEM;
    }
    for (size_t i = 0; rc == SHEAF_OK && i < cands.n; i++) {
        scored s = score(idx, values, cands.v[i]);
        if (s.same >= idx->min_same)
            found[n++] = s;
    }
    if (rc == SHEAF_OK) {
        if (n > 1)
            qsort(found, n, sizeof *found, compare_scored);
        for (size_t i = 0; i < n && i < cap; i++) {
            const doc *x = &idx->docs[found[i].doc];
            matches[i].id = x->id->id;
            matches[i].cluster = x->cluster->name;
            matches[i].similarity =
                (double)found[i].same / idx->params.num_hashes;
        }
        *count = n;
    }
    free(found);
    sheaf__docs_free(&cands);
    return rc;
}

int sheaf_index_query(const sheaf_index *idx, const char *text, size_t len,
                      sheaf_match *matches, size_t cap, size_t *count)
{
    if (!idx)
        return SHEAF_EINVAL;
    sheaf_signature sig;
    int rc = sheaf_hasher_sign(&idx->hasher, text, len, &sig);
    return rc == SHEAF_OK
               ? sheaf_index_query_signature(idx, &sig, matches, cap, count)
               : rc;
}

int sheaf_index_cluster_of(const sheaf_index *idx, const char *id,
                           const char **name)
{
    if (!idx || !id || !name)
        return SHEAF_EINVAL;
    id_entry *e;
    HASH_FIND_STR(idx->ids, id, e);
    if (!e)
        return SHEAF_ENOTFOUND;
    *name = idx->docs[e->doc].cluster->name;
    return SHEAF_OK;
}

int sheaf_index_cluster_members(const sheaf_index *idx, const char *name,
                                const char **ids, size_t cap, size_t *count)
{
    if (!idx || !name || !count || (cap && !ids))
        return SHEAF_EINVAL;
    cluster *c;
    HASH_FIND_STR(idx->clusters, name, c);
    if (!c)
        return SHEAF_ENOTFOUND;
    size_t n = 0;
    for (uint32_t d = c->head; d != SHEAF__NO_DOC; d = idx->docs[d].next, n++)
        if (n < cap)
            ids[n] = idx->docs[d].id->id;
    *count = n;
    return SHEAF_OK;
}
