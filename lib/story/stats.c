/* Document frequencies of story mode; see stats.h. */
#include <stdlib.h>

#include "common/hashtab.h"
#include "sheaf.h"
#include "story/stats.h"

void sheaf__stats_free(sheaf__stats *t)
{
    free(t->slot);
    t->slot = NULL;
    t->mask = t->used = 0;
    t->docs = 0;
}

static uint32_t home(const sheaf__stats *t, uint32_t fp)
{
    return (uint32_t)sheaf__mix64(fp) & t->mask;
}

static sheaf__tstat *slot_of(const sheaf__stats *t, uint32_t fp)
{
    uint32_t i = home(t, fp);
    while (t->slot[i].df && t->slot[i].fp != fp)
        i = (i + 1) & t->mask;
    return &t->slot[i];
}

uint32_t sheaf__stats_df(const sheaf__stats *t, uint32_t fp)
{
    return t->slot ? slot_of(t, fp)->df : 0;
}

int sheaf__stats_reserve(sheaf__stats *t, size_t n)
{
    size_t cap = t->slot ? (size_t)t->mask + 1 : 0;
    if (((size_t)t->used + n) * 2 <= cap)
        return SHEAF_OK;
    size_t new_cap = cap ? cap : 4096;
    while (((size_t)t->used + n) * 2 > new_cap)
        new_cap *= 2;
    if (new_cap > (size_t)UINT32_MAX + 1)
        return SHEAF_ERANGE;
    sheaf__tstat *slot = calloc(new_cap, sizeof *slot);
    if (!slot)
        return SHEAF_ENOMEM;
    sheaf__tstat *old = t->slot;
    t->slot = slot;
    t->mask = (uint32_t)(new_cap - 1);
    for (size_t i = 0; i < cap; i++)
        if (old[i].df)
            *slot_of(t, old[i].fp) = old[i];
    free(old);
    return SHEAF_OK;
}

void sheaf__stats_count(sheaf__stats *t, const uint32_t *fps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sheaf__tstat *e = slot_of(t, fps[i]);
        if (!e->df) {
            e->fp = fps[i];
            t->used++;
        }
        e->df++;
    }
    t->docs++;
}

/* Empty slot i, pulling later entries of its probe run back unless that
 * would move one before its home. */
static void delete_at(sheaf__stats *t, uint32_t hole)
{
    t->used--;
    for (uint32_t j = hole;;) {
        j = (j + 1) & t->mask;
        if (!t->slot[j].df)
            break;
        uint32_t h = home(t, t->slot[j].fp);
        if (((j - h) & t->mask) >= ((j - hole) & t->mask)) {
            t->slot[hole] = t->slot[j];
            hole = j;
        }
    }
    t->slot[hole].df = 0;
}

void sheaf__stats_uncount(sheaf__stats *t, const uint32_t *fps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sheaf__tstat *e = slot_of(t, fps[i]);
        if (e->df && --e->df == 0)
            delete_at(t, (uint32_t)(e - t->slot));
    }
    t->docs--;
}
