/*
 * Story mode's candidate table: LSH with bands of one row over the
 * weighted MinHash of each article's vector (story/vector.h). Internal.
 *
 * The table maps a band key to the clusters of the articles that have it,
 * one entry per article (an article's cluster is fixed, so members of one
 * cluster sharing a key have equal entries, and removal takes any one of
 * them). Open addressing with linear probing over keys, deletion by
 * backward shift; a key's entries lie in one array, inline while there are
 * two or fewer, as most keys have.
 */
#ifndef SHEAF_STORY_BANDS_H
#define SHEAF_STORY_BANDS_H

#include <stdint.h>

#define SHEAF__BAND_INLINE 2

typedef struct sheaf__band {
    uint32_t key;
    uint32_t n;   /* entries; 0 marks an empty slot */
    uint32_t cap; /* 0: the entries are inline */
    union {
        uint32_t inl[SHEAF__BAND_INLINE];
        uint32_t *heap;
    } e;
} sheaf__band;

typedef struct sheaf__bands {
    sheaf__band *slot; /* mask + 1 of them, a power of two; NULL: empty */
    uint32_t mask;
    uint32_t used;
} sheaf__bands;

void sheaf__bands_free(sheaf__bands *t);

/* Room for one more entry under each of the m keys. Growing changes no
 * content, so a failure part way leaves the table as good as it was. */
int sheaf__bands_reserve(sheaf__bands *t, const uint32_t *keys, uint32_t m);

void sheaf__bands_insert(sheaf__bands *t, uint32_t key, uint32_t cluster);
/* The entry must be there. */
void sheaf__bands_remove(sheaf__bands *t, uint32_t key, uint32_t cluster);

/* The entries under key into *n (0 when none), or NULL. */
const uint32_t *sheaf__bands_find(const sheaf__bands *t, uint32_t key,
                                  uint32_t *n);

/* Hint that key will be looked up soon. */
void sheaf__bands_prefetch(const sheaf__bands *t, uint32_t key);

#endif
