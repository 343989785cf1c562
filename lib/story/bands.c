/* Story mode's candidate table; see bands.h. */
#include <stdlib.h>
#include <string.h>

#include "common/hashtab.h"
#include "sheaf.h"
#include "story/bands.h"

void sheaf__bands_free(sheaf__bands *t)
{
    if (t->slot)
        for (uint32_t i = 0; i <= t->mask; i++)
            if (t->slot[i].n && t->slot[i].cap)
                free(t->slot[i].e.heap);
    free(t->slot);
    t->slot = NULL;
    t->mask = t->used = 0;
}

static uint32_t home(const sheaf__bands *t, uint32_t key)
{
    return (uint32_t)sheaf__mix64(key) & t->mask;
}

/* The slot of key, or the empty slot where it would go. */
static sheaf__band *slot_of(const sheaf__bands *t, uint32_t key)
{
    uint32_t i = home(t, key);
    while (t->slot[i].n && t->slot[i].key != key)
        i = (i + 1) & t->mask;
    return &t->slot[i];
}

static uint32_t *entries(sheaf__band *b)
{
    return b->cap ? b->e.heap : b->e.inl;
}

static int grow_table(sheaf__bands *t, uint32_t m)
{
    size_t cap = t->slot ? (size_t)t->mask + 1 : 0;
    size_t need = (size_t)t->used + m;
    if (need * 4 <= cap * 3)
        return SHEAF_OK;
    size_t new_cap = cap ? cap : 1024;
    while (need * 4 > new_cap * 3)
        new_cap *= 2;
    if (new_cap > (size_t)UINT32_MAX + 1)
        return SHEAF_ERANGE;
    sheaf__band *slot = calloc(new_cap, sizeof *slot);
    if (!slot)
        return SHEAF_ENOMEM;
    sheaf__band *old = t->slot;
    t->slot = slot;
    t->mask = (uint32_t)(new_cap - 1);
    for (size_t i = 0; i < cap; i++)
        if (old[i].n)
            *slot_of(t, old[i].key) = old[i];
    free(old);
    return SHEAF_OK;
}

int sheaf__bands_reserve(sheaf__bands *t, const uint32_t *keys, uint32_t m)
{
    int rc = grow_table(t, m);
    for (uint32_t j = 0; rc == SHEAF_OK && j < m; j++) {
        sheaf__band *b = slot_of(t, keys[j]);
        uint32_t room = b->cap ? b->cap : SHEAF__BAND_INLINE;
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
    return rc;
}

void sheaf__bands_insert(sheaf__bands *t, uint32_t key, uint32_t cluster)
{
    sheaf__band *b = slot_of(t, key);
    if (!b->n) {
        b->key = key;
        b->cap = 0;
        t->used++;
    }
    entries(b)[b->n++] = cluster;
}

void sheaf__bands_remove(sheaf__bands *t, uint32_t key, uint32_t cluster)
{
    sheaf__band *b = slot_of(t, key);
    uint32_t *v = entries(b), i = 0;
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
        uint32_t h = home(t, t->slot[j].key);
        if (((j - h) & t->mask) >= ((j - hole) & t->mask)) {
            t->slot[hole] = t->slot[j];
            hole = j;
        }
    }
    t->slot[hole].n = 0;
}

const uint32_t *sheaf__bands_find(const sheaf__bands *t, uint32_t key,
                                  uint32_t *n)
{
    *n = 0;
    if (!t->slot)
        return NULL;
    sheaf__band *b = slot_of(t, key);
    *n = b->n;
    return b->n ? entries(b) : NULL;
}

void sheaf__bands_prefetch(const sheaf__bands *t, uint32_t key)
{
    if (t->slot)
        SHEAF__PREFETCH(&t->slot[home(t, key)]);
}
