/* LSH band tables; the layout is explained in lsh.h. */
#include <stdlib.h>
#include <string.h>

#include "near/lsh.h"
#include "common/hashtab.h"
#include "sheaf.h"

#define INITIAL_SLOTS 64u

/* n = 1 to 4 values, the first in the low bits. */
SHEAF__ALWAYS_INLINE uint64_t pack(const uint16_t *v, uint32_t n)
{
    uint64_t w = v[0];
    if (n > 1)
        w |= (uint64_t)v[1] << 16;
    if (n > 2)
        w |= (uint64_t)v[2] << 32;
    if (n > 3)
        w |= (uint64_t)v[3] << 48;
    return w;
}

/* A band's rows packed four to a 64-bit word, each word mixed into the
 * hash, which starts from a constant of the band. The mix is a bijection,
 * so two bands of at most four rows (the usual 2 to 4) that differ never
 * share a key. Keys are computed for every band of every add and again
 * for every document when the tables grow: XXH3 cost three times as much
 * here. Not part of any format: keys are recomputed on load. */
SHEAF__ALWAYS_INLINE uint64_t band_key(const uint16_t *v, uint32_t b,
                                       uint32_t rows)
{
    uint64_t h = 0x9e3779b97f4a7c15ull * (b + 1);
    uint32_t i = 0;
    for (; i + 4 <= rows; i += 4)
        h = sheaf__mix64(h ^ pack(v + i, 4));
    return rows > i ? sheaf__mix64(h ^ pack(v + i, rows - i)) : h;
}

/* keys[b] for the bands b in [from, to). */
SHEAF__ALWAYS_INLINE void keys_of(uint32_t from, uint32_t to, uint32_t rows,
                           const uint16_t *values, uint64_t *keys)
{
    for (uint32_t b = from; b < to; b++)
        keys[b] = band_key(values + (size_t)b * rows, b, rows);
}

/* The usual row counts get loops of their own, unrolled by the compiler. */
static void band_keys(uint32_t from, uint32_t to, uint32_t rows,
                      const uint16_t *values, uint64_t *keys)
{
    switch (rows) {
    case 1:
        keys_of(from, to, 1, values, keys);
        break;
    case 2:
        keys_of(from, to, 2, values, keys);
        break;
    case 3:
        keys_of(from, to, 3, values, keys);
        break;
    case 4:
        keys_of(from, to, 4, values, keys);
        break;
    default:
        keys_of(from, to, rows, values, keys);
    }
}

void sheaf__lsh_keys(uint32_t bands, uint32_t rows, const uint16_t *values,
                     uint64_t *keys)
{
    band_keys(0, bands, rows, values, keys);
}

/* The slot a key hashes to, and the tag kept in it. */
static uint32_t home_of(uint64_t key, uint32_t mask)
{
    return (uint32_t)key & mask;
}

static uint16_t tag_of(uint64_t key) { return (uint16_t)(key >> 48); }

static const uint16_t *values_of(const sheaf__lsh *l, uint32_t doc)
{
    return *l->values + (size_t)doc * l->stride;
}

static uint64_t key_of_doc(const sheaf__lsh *l, uint32_t b, uint32_t doc)
{
    return band_key(values_of(l, doc) + (size_t)b * l->rows, b, l->rows);
}

int sheaf__lsh_init(sheaf__lsh *l, uint32_t bands, uint32_t rows,
                    const uint16_t *const *values, uint32_t stride)
{
    memset(l, 0, sizeof *l);
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
        for (uint32_t b = 0; b < l->bands; b++)
            free(l->band[b].slots);
    free(l->band);
    l->band = NULL;
    l->count = 0;
}

/* A slot holds the complement of its document number (lsh.h): document
 * numbers stay below SHEAF__MAX_DOCS, so a zero high half means empty. */
static int empty(const sheaf__slot *s) { return s->doc_hi == 0; }

static void set_slot(sheaf__slot *s, uint16_t tag, uint32_t doc)
{
    s->tag = tag;
    s->doc_lo = (uint16_t)~doc;
    s->doc_hi = (uint16_t)(~doc >> 16);
}

/* Put doc in the table t of mask + 1 slots. */
static void place(sheaf__slot *t, uint32_t mask, uint64_t key, uint32_t doc)
{
    uint32_t i = home_of(key, mask);
    while (!empty(&t[i]))
        i = (i + 1) & mask;
    set_slot(&t[i], tag_of(key), doc);
}

/* Bands grown at once: each group reads every document's values once, and
 * its new tables (4/26 of them at the defaults) are all that exists beside
 * the old ones at a time, where growing every band at once held half as
 * much again as the tables at their peak. */
#define GROW_GROUP 4

/* The documents in the tables as a bitmap by number (they are the same
 * in every band): growth reads their values in number order, a stream
 * the hardware prefetches, rather than in the order of a table, a cache
 * miss each, once per group of bands. *bits NULL when there are none. */
static int doc_bitmap(const sheaf__lsh *l, uint64_t **bits, size_t *words)
{
    *bits = NULL;
    *words = 0;
    const sheaf__band *t = &l->band[0];
    if (!l->count)
        return SHEAF_OK;
    size_t cap = (size_t)t->mask + 1;
    uint32_t max = 0;
    for (size_t i = 0; i < cap; i++)
        if (!empty(&t->slots[i]) && sheaf__slot_doc(&t->slots[i]) > max)
            max = sheaf__slot_doc(&t->slots[i]);
    size_t n = (size_t)max / 64 + 1;
    uint64_t *b = calloc(n, sizeof *b);
    if (!b)
        return SHEAF_ENOMEM;
    for (size_t i = 0; i < cap; i++)
        if (!empty(&t->slots[i])) {
            uint32_t d = sheaf__slot_doc(&t->slots[i]);
            b[d / 64] |= (uint64_t)1 << (d % 64);
        }
    *bits = b;
    *words = n;
    return SHEAF_OK;
}

/* Keep the load at most 3/4: probe runs stay short. Zeroed memory is
 * empty (see set_slot), so calloc hands large tables over as fresh pages
 * with nothing to clear. A failure leaves every band a valid table of its
 * own size, the ones grown so far larger. */
int sheaf__lsh_reserve(sheaf__lsh *l, size_t n)
{
    /* Groups grow in order, so the last band is never larger than any. */
    const sheaf__band *last = &l->band[l->bands - 1];
    if (last->slots && n <= ((size_t)last->mask + 1) / 4 * 3)
        return SHEAF_OK;
    size_t new_cap = INITIAL_SLOTS;
    while (new_cap / 4 * 3 < n) {
        if (new_cap > UINT32_MAX / 2) /* the mask must fit 32 bits */
            return SHEAF_ERANGE;
        new_cap *= 2;
    }
    const uint32_t mask = (uint32_t)(new_cap - 1);
    uint64_t *docs;
    size_t words;
    if (doc_bitmap(l, &docs, &words) != SHEAF_OK)
        return SHEAF_ENOMEM;
    sheaf__slot *fresh[GROW_GROUP];
    uint64_t keys[SHEAF_MAX_HASHES];
    for (uint32_t from = 0; from < l->bands; from += GROW_GROUP) {
        uint32_t to = l->bands - from < GROW_GROUP ? l->bands : from + GROW_GROUP;
        if (l->band[from].slots && l->band[from].mask >= mask)
            continue;
        for (uint32_t b = from; b < to; b++)
            if (!(fresh[b - from] = calloc(new_cap, sizeof(sheaf__slot)))) {
                while (b-- > from)
                    free(fresh[b - from]);
                free(docs);
                return SHEAF_ENOMEM;
            }
        for (size_t w = 0; w < words; w++) {
            uint32_t doc = (uint32_t)(w * 64);
            for (uint64_t m = docs[w]; m; m >>= 1, doc++) {
                if (!(m & 1))
                    continue;
                band_keys(from, to, l->rows, values_of(l, doc), keys);
                for (uint32_t b = from; b < to; b++)
                    place(fresh[b - from], mask, keys[b], doc);
            }
        }
        for (uint32_t b = from; b < to; b++) {
            free(l->band[b].slots);
            l->band[b] = (sheaf__band){fresh[b - from], mask};
        }
    }
    free(docs);
    return SHEAF_OK;
}

void sheaf__lsh_insert(sheaf__lsh *l, const uint64_t *keys, uint32_t doc)
{
    for (uint32_t b = 0; b < l->bands; b++)
        place(l->band[b].slots, l->band[b].mask, keys[b], doc);
    l->count++;
}

/* Backward-shift deletion: pull later members of the probe run into the
 * hole unless that would move one before its home slot. */
static void delete_slot(const sheaf__lsh *l, uint32_t b, uint32_t hole)
{
    sheaf__slot *t = l->band[b].slots;
    const uint32_t mask = l->band[b].mask;
    uint32_t j = hole;
    for (;;) {
        j = (j + 1) & mask;
        if (empty(&t[j]))
            break;
        uint32_t home = home_of(key_of_doc(l, b, sheaf__slot_doc(&t[j])), mask);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            t[hole] = t[j];
            hole = j;
        }
    }
    memset(&t[hole], 0, sizeof t[hole]);
}

void sheaf__lsh_remove(sheaf__lsh *l, const uint64_t *keys, uint32_t doc)
{
    int found = 0;
    for (uint32_t b = 0; b < l->bands; b++) {
        const sheaf__band *t = &l->band[b];
        if (!t->slots)
            continue;
        for (uint32_t i = home_of(keys[b], t->mask); !empty(&t->slots[i]);
             i = (i + 1) & t->mask) {
            if (sheaf__slot_doc(&t->slots[i]) == doc) {
                delete_slot(l, b, i);
                found = 1;
                break;
            }
        }
    }
    l->count -= (uint32_t)found;
}

uint32_t sheaf__lsh_find_equal(const sheaf__lsh *l, uint64_t key0,
                               const uint16_t *values)
{
    const sheaf__slot *t = l->band[0].slots;
    const uint32_t mask = l->band[0].mask;
    if (!t)
        return SHEAF__NO_DOC;
    uint16_t tag = tag_of(key0);
    for (uint32_t i = home_of(key0, mask); !empty(&t[i]); i = (i + 1) & mask) {
        uint32_t d = sheaf__slot_doc(&t[i]);
        if (t[i].tag == tag &&
            memcmp(values_of(l, d), values, l->stride * sizeof values[0]) == 0)
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
    /* A band has no table yet before the first document, or after a
     * first growth that failed part of the way (lsh_reserve). */
    if (!l->count)
        return SHEAF_OK;
    for (uint32_t b = 0; b < l->bands; b++)
        SHEAF__PREFETCH(l->band[b].slots + home_of(keys[b], l->band[b].mask));
    for (uint32_t b = 0; b < l->bands; b++) {
        const sheaf__slot *t = l->band[b].slots;
        const uint32_t mask = l->band[b].mask;
        uint16_t tag = tag_of(keys[b]);
        for (uint32_t i = home_of(keys[b], mask); !empty(&t[i]);
             i = (i + 1) & mask) {
            if (t[i].tag != tag)
                continue;
            uint32_t d = sheaf__slot_doc(&t[i]);
            if (mark && mark[d] == epoch)
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
