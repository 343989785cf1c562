/* LSH band tables; the layout is explained in lsh.h. */
#include <stdlib.h>
#include <string.h>

#include "lsh.h"
#include "sheaf.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#define INITIAL_SLOTS 64u

static uint64_t band_key(const uint16_t *values, uint32_t b, uint32_t rows)
{
    return XXH3_64bits_withSeed(values + (size_t)b * rows,
                                rows * sizeof values[0], b);
}

void sheaf__lsh_keys(uint32_t bands, uint32_t rows, const uint16_t *values,
                     uint64_t *keys)
{
    for (uint32_t b = 0; b < bands; b++)
        keys[b] = band_key(values, b, rows);
}

/* The slot a key hashes to, and the tag kept in it. */
static uint32_t home_of(uint64_t key, uint32_t mask)
{
    return (uint32_t)key & mask;
}

static uint16_t tag_of(uint64_t key) { return (uint16_t)(key >> 48); }

static uint64_t key_of_doc(const sheaf__lsh *l, uint32_t b, uint32_t doc)
{
    return band_key(*l->values + (size_t)doc * l->stride, b, l->rows);
}

int sheaf__lsh_init(sheaf__lsh *l, uint32_t bands, uint32_t rows,
                    const uint16_t *const *values, uint32_t stride)
{
    l->bands = bands;
    l->rows = rows;
    l->values = values;
    l->stride = stride;
    l->band = calloc(bands, sizeof *l->band);
    return l->band ? SHEAF_OK : SHEAF_ENOMEM;
}

void sheaf__lsh_free(sheaf__lsh *l)
{
    if (l->band)
        for (uint32_t b = 0; b < l->bands; b++) {
            free(l->band[b].tags);
            free(l->band[b].docs);
        }
    free(l->band);
    l->band = NULL;
}

static void place(sheaf__band *t, uint64_t key, uint32_t doc)
{
    uint32_t i = home_of(key, t->mask);
    while (t->docs[i] != SHEAF__NO_DOC)
        i = (i + 1) & t->mask;
    t->tags[i] = tag_of(key);
    t->docs[i] = doc;
    t->count++;
}

/* Keep the load at most 3/4: probe runs stay short. */
static int grow(const sheaf__lsh *l, uint32_t b)
{
    sheaf__band *t = &l->band[b];
    size_t cap = t->docs ? (size_t)t->mask + 1 : 0;
    if ((size_t)(t->count + 1) * 4 <= cap * 3)
        return SHEAF_OK;
    size_t new_cap = cap ? cap * 2 : INITIAL_SLOTS;
    if ((uint64_t)new_cap - 1 > UINT32_MAX) /* the mask must fit 32 bits */
        return SHEAF_ERANGE;
    uint16_t *tags = malloc(new_cap * sizeof *tags);
    uint32_t *docs = malloc(new_cap * sizeof *docs);
    if (!tags || !docs) {
        free(tags);
        free(docs);
        return SHEAF_ENOMEM;
    }
    memset(docs, 0xff, new_cap * sizeof *docs); /* all SHEAF__NO_DOC */
    sheaf__band old = *t;
    t->tags = tags;
    t->docs = docs;
    t->mask = (uint32_t)(new_cap - 1);
    t->count = 0;
    for (size_t i = 0; i < cap; i++)
        if (old.docs[i] != SHEAF__NO_DOC)
            place(t, key_of_doc(l, b, old.docs[i]), old.docs[i]);
    free(old.tags);
    free(old.docs);
    return SHEAF_OK;
}

int sheaf__lsh_reserve(sheaf__lsh *l)
{
    for (uint32_t b = 0; b < l->bands; b++) {
        int rc = grow(l, b);
        if (rc != SHEAF_OK)
            return rc;
    }
    return SHEAF_OK;
}

void sheaf__lsh_insert(sheaf__lsh *l, const uint64_t *keys, uint32_t doc)
{
    for (uint32_t b = 0; b < l->bands; b++)
        place(&l->band[b], keys[b], doc);
}

/* Backward-shift deletion: pull later members of the probe run into the
 * hole unless that would move one before its home slot. */
static void delete_slot(const sheaf__lsh *l, uint32_t b, uint32_t hole)
{
    sheaf__band *t = &l->band[b];
    uint32_t j = hole;
    for (;;) {
        j = (j + 1) & t->mask;
        if (t->docs[j] == SHEAF__NO_DOC)
            break;
        uint32_t home = home_of(key_of_doc(l, b, t->docs[j]), t->mask);
        if (((j - home) & t->mask) >= ((j - hole) & t->mask)) {
            t->tags[hole] = t->tags[j];
            t->docs[hole] = t->docs[j];
            hole = j;
        }
    }
    t->docs[hole] = SHEAF__NO_DOC;
    t->count--;
}

void sheaf__lsh_remove(sheaf__lsh *l, const uint64_t *keys, uint32_t doc)
{
    for (uint32_t b = 0; b < l->bands; b++) {
        sheaf__band *t = &l->band[b];
        if (!t->docs)
            continue;
        for (uint32_t i = home_of(keys[b], t->mask);
             t->docs[i] != SHEAF__NO_DOC; i = (i + 1) & t->mask) {
            if (t->docs[i] == doc) {
                delete_slot(l, b, i);
                break;
            }
        }
    }
}

uint32_t sheaf__lsh_find_equal(const sheaf__lsh *l, uint64_t key0,
                               const uint16_t *values)
{
    const sheaf__band *t = &l->band[0];
    if (!t->docs)
        return SHEAF__NO_DOC;
    uint16_t tag = tag_of(key0);
    for (uint32_t i = home_of(key0, t->mask); t->docs[i] != SHEAF__NO_DOC;
         i = (i + 1) & t->mask) {
        uint32_t d = t->docs[i];
        if (t->tags[i] == tag &&
            memcmp(*l->values + (size_t)d * l->stride, values,
                   l->stride * sizeof values[0]) == 0)
            return d;
    }
    return SHEAF__NO_DOC;
}

int sheaf__docs_push(sheaf__docs *d, uint32_t doc)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        uint32_t *v = realloc(d->v, cap * sizeof *v);
        if (!v)
            return SHEAF_ENOMEM;
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = doc;
    return SHEAF_OK;
}

void sheaf__docs_free(sheaf__docs *d)
{
    free(d->v);
    memset(d, 0, sizeof *d);
}

static int compare_docs(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Append the documents in the probe runs of keys whose tags match; with a
 * mark array, each document only once. */
static int gather(const sheaf__lsh *l, const uint64_t *keys, uint32_t *mark,
                  uint32_t epoch, sheaf__docs *out)
{
    for (uint32_t b = 0; b < l->bands; b++) {
        const sheaf__band *t = &l->band[b];
        if (!t->docs)
            continue;
        uint16_t tag = tag_of(keys[b]);
        for (uint32_t i = home_of(keys[b], t->mask);
             t->docs[i] != SHEAF__NO_DOC; i = (i + 1) & t->mask) {
            uint32_t d = t->docs[i];
            if (t->tags[i] != tag || (mark && mark[d] == epoch))
                continue;
            if (mark)
                mark[d] = epoch;
            if (sheaf__docs_push(out, d) != SHEAF_OK)
                return SHEAF_ENOMEM;
        }
    }
    return SHEAF_OK;
}

int sheaf__lsh_candidates(const sheaf__lsh *l, const uint64_t *keys,
                          sheaf__docs *out)
{
    size_t start = out->n;
    if (gather(l, keys, NULL, 0, out) != SHEAF_OK)
        return SHEAF_ENOMEM;
    size_t n = out->n - start;
    if (n < 2)
        return SHEAF_OK;
    uint32_t *v = out->v + start;
    qsort(v, n, sizeof *v, compare_docs);
    size_t w = 1;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[w - 1])
            v[w++] = v[i];
    out->n = start + w;
    return SHEAF_OK;
}

int sheaf__lsh_candidates_marked(const sheaf__lsh *l, const uint64_t *keys,
                                 uint32_t *mark, uint32_t epoch,
                                 sheaf__docs *out)
{
    return gather(l, keys, mark, epoch, out);
}
