/*
 * LSH banding: one table per band mapping the hash of that band's rows of a
 * signature to the documents that have it.
 *
 * A general hash table entry per document per band (uthash: ~72 bytes) would
 * dominate memory at a million documents, so each band is a flat
 * open-addressing table of 8-byte slots (band key, document number) with
 * linear probing: equal keys lie in one probe run, and deletion shifts the
 * run back so no tombstones accumulate.
 */
#ifndef SHEAF_LSH_H
#define SHEAF_LSH_H

#include <stddef.h>
#include <stdint.h>

#define SHEAF__NO_DOC UINT32_MAX /* marks an empty slot */

typedef struct sheaf__slot {
    uint32_t key;
    uint32_t doc;
} sheaf__slot;

typedef struct sheaf__band {
    sheaf__slot *slots; /* mask + 1 of them, a power of two */
    uint32_t mask;
    uint32_t count;
} sheaf__band;

typedef struct sheaf__lsh {
    uint32_t bands, rows;
    sheaf__band *band;
} sheaf__lsh;

/* A growable array of document numbers. */
typedef struct sheaf__docs {
    uint32_t *v;
    size_t n, cap;
} sheaf__docs;

int sheaf__lsh_init(sheaf__lsh *l, uint32_t bands, uint32_t rows);
void sheaf__lsh_free(sheaf__lsh *l);

/* The band keys of a signature's values, keys[0..bands). */
void sheaf__lsh_keys(const sheaf__lsh *l, const uint32_t *values,
                     uint32_t *keys);

/* Make room for one more document in every band, so that the insertion
 * that follows cannot fail. SHEAF_ENOMEM leaves the contents unchanged. */
int sheaf__lsh_reserve(sheaf__lsh *l);
void sheaf__lsh_insert(sheaf__lsh *l, const uint32_t *keys, uint32_t doc);
void sheaf__lsh_remove(sheaf__lsh *l, const uint32_t *keys, uint32_t doc);

/* Append to *out every document sharing at least one band key, sorted and
 * without repeats. SHEAF_ENOMEM leaves *out's contents unspecified. */
int sheaf__lsh_candidates(const sheaf__lsh *l, const uint32_t *keys,
                          sheaf__docs *out);

int sheaf__docs_push(sheaf__docs *d, uint32_t doc);
void sheaf__docs_free(sheaf__docs *d);

#endif
