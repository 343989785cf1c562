/*
 * LSH banding: one table per band mapping the hash of that band's rows of a
 * signature to the documents that have it.
 *
 * Memory decides the layout: at a million documents and ~26 bands, a
 * general hash table entry per document per band (uthash: ~72 bytes) would
 * take 1.9 GB. Each band is instead a flat open-addressing table with linear
 * probing of 6-byte slots: a 16-bit tag (the top bits of the band hash) and
 * a 32-bit document number, side by side so that a probe touches one cache
 * line. The full band hash is not stored; when a slot must move (growth,
 * or the backward shift that keeps deletion free of tombstones), its hash
 * is recomputed from the document's stored signature, which the table
 * reads through a pointer into the index.
 *
 * Every band holds the same documents (each is inserted into and removed
 * from all of them), so the bands grow together, a few at a time: each
 * group reads every document's values once and places it in its bands,
 * and only one group's new tables exist beside the old ones at a time.
 */
#ifndef SHEAF_LSH_H
#define SHEAF_LSH_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

#define SHEAF__NO_DOC SHEAF__NONE /* marks an empty slot */
/* Document numbers are below SHEAF__MAX_DOCS: a slot is empty when the
 * high half of its number is all ones, one 16-bit comparison per probe. */

/* The complement of the document number, in two halves: the slot takes 6
 * bytes, aligned to 2, and an all-zero slot is empty (SHEAF__NO_DOC). */
typedef struct sheaf__slot {
    uint16_t tag, doc_lo, doc_hi;
} sheaf__slot;

static inline uint32_t sheaf__slot_doc(const sheaf__slot *s)
{
    return ~((uint32_t)s->doc_lo | (uint32_t)s->doc_hi << 16);
}

/* One band's table: mask + 1 slots, a power of two; NULL before the
 * first reserve. */
typedef struct sheaf__band {
    sheaf__slot *slots;
    uint32_t mask;
} sheaf__band;

/* Where the signatures of documents live: document d's values are
 * (*values)[d * stride ...], read when slots move. */
typedef struct sheaf__lsh {
    uint32_t bands, rows;
    sheaf__band *band;
    uint32_t count; /* documents, in every band */
    const uint16_t *const *values;
    uint32_t stride;
} sheaf__lsh;

/* A growable array of document numbers. */
typedef struct sheaf__docs {
    uint32_t *v;
    size_t n, cap;
} sheaf__docs;

int sheaf__lsh_init(sheaf__lsh *l, uint32_t bands, uint32_t rows,
                    const uint16_t *const *values, uint32_t stride);
void sheaf__lsh_free(sheaf__lsh *l);

/* The hashes of the bands of a signature's values, keys[0..bands). */
void sheaf__lsh_keys(uint32_t bands, uint32_t rows, const uint16_t *values,
                     uint64_t *keys);

/* Make room for n documents in all in every band, so that insertions up
 * to that count cannot fail. SHEAF_ENOMEM leaves the contents unchanged. */
int sheaf__lsh_reserve(sheaf__lsh *l, size_t n);
/* doc's values must be in place (see values) before it is inserted. */
void sheaf__lsh_insert(sheaf__lsh *l, const uint64_t *keys, uint32_t doc);
void sheaf__lsh_remove(sheaf__lsh *l, const uint64_t *keys, uint32_t doc);

/* The document in the tables whose stored values all equal values (key0:
 * their band 0 key), or SHEAF__NO_DOC. Band 0 doubles as the index of exact
 * duplicates: equal values have equal band keys, so the one probe run
 * holds any such document, and the full comparison rules out the rest. */
uint32_t sheaf__lsh_find_equal(const sheaf__lsh *l, uint64_t key0,
                               const uint16_t *values);

/* Append to *out every document whose slot matches one of the band keys,
 * sorted and without repeats. Tags are 16 bits, so on rare occasions a
 * document of another band hash comes too; candidates are verified anyway.
 * SHEAF_ENOMEM leaves *out's contents unspecified. */
int sheaf__lsh_candidates(const sheaf__lsh *l, const uint64_t *keys,
                          sheaf__docs *out);

/* The same for a caller that owns a mark per document: appends each
 * document once, in probe order, setting mark[doc] = epoch, where no mark
 * equals epoch beforehand. No sorting: the single writer's fast path. */
int sheaf__lsh_candidates_marked(const sheaf__lsh *l, const uint64_t *keys,
                                 uint32_t *mark, uint32_t epoch,
                                 sheaf__docs *out);

int sheaf__docs_push(sheaf__docs *d, uint32_t doc);
void sheaf__docs_free(sheaf__docs *d);

#endif
