/* LSH band tables; the layout is explained in lsh.h. */
#include <stdlib.h>
#include <string.h>

#include "lsh.h"
#include "sheaf.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#define INITIAL_SLOTS 64u

static sheaf__slot *new_slots(size_t n)
{
    sheaf__slot *s = malloc(n * sizeof *s);
    if (s)
        for (size_t i = 0; i < n; i++)
            s[i].doc = SHEAF__NO_DOC;
    return s;
}

int sheaf__lsh_init(sheaf__lsh *l, uint32_t bands, uint32_t rows)
{
    l->bands = bands;
    l->rows = rows;
    l->band = calloc(bands, sizeof *l->band);
    return l->band ? SHEAF_OK : SHEAF_ENOMEM;
}

void sheaf__lsh_free(sheaf__lsh *l)
{
    if (l->band)
        for (uint32_t b = 0; b < l->bands; b++)
            free(l->band[b].slots);
    free(l->band);
    l->band = NULL;
}

void sheaf__lsh_keys(const sheaf__lsh *l, const uint32_t *values,
                     uint32_t *keys)
{
    size_t row_bytes = l->rows * sizeof values[0];
    for (uint32_t b = 0; b < l->bands; b++)
        keys[b] = (uint32_t)XXH3_64bits_withSeed(values + (size_t)b * l->rows,
                                                 row_bytes, b);
}

static void place(sheaf__band *t, uint32_t key, uint32_t doc)
{
    uint32_t i = key & t->mask;
    while (t->slots[i].doc != SHEAF__NO_DOC)
        i = (i + 1) & t->mask;
    t->slots[i].key = key;
    t->slots[i].doc = doc;
    t->count++;
}

/* Keep the load at most 3/4: probe runs stay short. */
static int grow(sheaf__band *t)
{
    size_t cap = t->slots ? (size_t)t->mask + 1 : 0;
    if ((size_t)(t->count + 1) * 4 <= cap * 3)
        return SHEAF_OK;
    size_t new_cap = cap ? cap * 2 : INITIAL_SLOTS;
    if (new_cap > (size_t)UINT32_MAX + 1)
        return SHEAF_ERANGE;
    sheaf__slot *s = new_slots(new_cap);
    if (!s)
        return SHEAF_ENOMEM;
    sheaf__band old = *t;
    t->slots = s;
    t->mask = (uint32_t)(new_cap - 1);
    t->count = 0;
    for (size_t i = 0; i < cap; i++)
        if (old.slots[i].doc != SHEAF__NO_DOC)
            place(t, old.slots[i].key, old.slots[i].doc);
    free(old.slots);
    return SHEAF_OK;
}

int sheaf__lsh_reserve(sheaf__lsh *l)
{
    for (uint32_t b = 0; b < l->bands; b++) {
        int rc = grow(&l->band[b]);
        if (rc != SHEAF_OK)
            return rc;
    }
    return SHEAF_OK;
}

void sheaf__lsh_insert(sheaf__lsh *l, const uint32_t *keys, uint32_t doc)
{
    for (uint32_t b = 0; b < l->bands; b++)
        place(&l->band[b], keys[b], doc);
}

/* Backward-shift deletion: pull later members of the probe run into the
 * hole unless that would move one before its home slot. */
static void delete_slot(sheaf__band *t, uint32_t hole)
{
    uint32_t j = hole;
    for (;;) {
        j = (j + 1) & t->mask;
        if (t->slots[j].doc == SHEAF__NO_DOC)
            break;
        uint32_t home = t->slots[j].key & t->mask;
        if (((j - home) & t->mask) >= ((j - hole) & t->mask)) {
            t->slots[hole] = t->slots[j];
            hole = j;
        }
    }
    t->slots[hole].doc = SHEAF__NO_DOC;
    t->count--;
}

void sheaf__lsh_remove(sheaf__lsh *l, const uint32_t *keys, uint32_t doc)
{
    for (uint32_t b = 0; b < l->bands; b++) {
        sheaf__band *t = &l->band[b];
        if (!t->slots)
            continue;
        for (uint32_t i = keys[b] & t->mask; t->slots[i].doc != SHEAF__NO_DOC;
             i = (i + 1) & t->mask) {
            if (t->slots[i].key == keys[b] && t->slots[i].doc == doc) {
                delete_slot(t, i);
                break;
            }
        }
    }
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

int sheaf__lsh_candidates(const sheaf__lsh *l, const uint32_t *keys,
                          sheaf__docs *out)
{
    size_t start = out->n;
    for (uint32_t b = 0; b < l->bands; b++) {
        const sheaf__band *t = &l->band[b];
        if (!t->slots)
            continue;
        for (uint32_t i = keys[b] & t->mask; t->slots[i].doc != SHEAF__NO_DOC;
             i = (i + 1) & t->mask)
            if (t->slots[i].key == keys[b] &&
                sheaf__docs_push(out, t->slots[i].doc) != SHEAF_OK)
                return SHEAF_ENOMEM;
    }
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
