/*
 * Document frequencies of story mode: for each term (by a 32-bit
 * fingerprint of its hash), how many articles in the index have it.
 * Internal to the library.
 *
 * Only live articles count: an article's terms are counted when it is
 * added and uncounted when it is removed or expires, so the statistics are
 * a function of the index's contents (what reopening a stored index needs)
 * and forget what went out of the window (what a stream needs).
 */
#ifndef SHEAF_STORY_STATS_H
#define SHEAF_STORY_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sheaf__tstat {
    uint32_t fp;
    uint32_t df; /* 0 marks an empty slot */
} sheaf__tstat;

/* A flat open-addressing table, linear probing, at most half full,
 * deletion by backward shift. Looking up every distinct term of every
 * article is story mode's hottest access: uthash records, one cache miss
 * per chained record, made a whole run on Multi-News 1.26 s where this
 * takes 1.0 s. */
typedef struct sheaf__stats {
    sheaf__tstat *slot; /* mask + 1 of them, a power of two; NULL: empty */
    uint32_t mask;
    uint32_t used;
    uint64_t docs; /* articles counted */
} sheaf__stats;

void sheaf__stats_free(sheaf__stats *t);

/* Articles counted with term fp. */
uint32_t sheaf__stats_df(const sheaf__stats *t, uint32_t fp);

/* Room for n more distinct terms. Growing changes no content. */
int sheaf__stats_reserve(sheaf__stats *t, size_t n);

/* Count, or uncount, one article with the n distinct terms fps; counting
 * needs the room reserved. */
void sheaf__stats_count(sheaf__stats *t, const uint32_t *fps, size_t n);
void sheaf__stats_uncount(sheaf__stats *t, const uint32_t *fps, size_t n);

#endif
