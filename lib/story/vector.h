/*
 * One article as story mode sees it: its distinct terms, counted, then
 * weighted against the document frequencies into a vector of its heaviest
 * terms, with a weighted MinHash of that vector for the candidate table.
 * Internal to the library; story/engine.c says how these are used.
 *
 * A sheaf__svec is the working memory of one analysis and holds its
 * result; it is reused from article to article.
 */
#ifndef SHEAF_STORY_VECTOR_H
#define SHEAF_STORY_VECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "story/stats.h"
#include "story/terms.h"

#define SHEAF__STORY_TERMS 64  /* heaviest terms kept per article */
#define SHEAF__STORY_HASHES 48 /* weighted MinHash values, one band each */

/* A term of a vector: the top 32 bits of its hash and its weight. 32 bits
 * halve the memory that comparing clusters reads, the measured bottleneck;
 * two of an article's hundred-odd terms share them with probability about
 * 1e-6, and then count as one. */
typedef struct sheaf__wterm {
    uint32_t fp;
    float w;
} sheaf__wterm;

/* One distinct term of the article being analysed. */
typedef struct sheaf__dterm {
    uint64_t hash;
    int used;          /* 0 marks an empty map slot */
    float tf, tf_list; /* occurrences in prose and in lists */
    float weight;
} sheaf__dterm;

typedef struct sheaf__svec {
    /* Counting: the distinct terms, open addressing on the hash. */
    sheaf__dterm *map;
    uint32_t map_mask;
    uint32_t ndist;
    uint32_t *dist; /* map slots of the distinct terms */
    int prose;      /* English prose: its lists are ignored */
    /* The result: fps[0..nfps) of every distinct term (what the document
     * frequencies count), the vector vec[0..nvec) by ascending fp, unit
     * L2 norm, and its band keys. */
    uint32_t *fps;
    uint32_t nfps;
    sheaf__wterm vec[SHEAF__STORY_TERMS];
    uint32_t nvec;
    uint32_t keys[SHEAF__STORY_HASHES];
    /* Weighting. */
    uint32_t heap[SHEAF__STORY_TERMS];
    uint32_t k; /* terms kept */
    uint64_t hterm[SHEAF__STORY_TERMS]; /* heaviest first */
    float hweight[SHEAF__STORY_TERMS];
    double minval[SHEAF__STORY_HASHES];
    uint64_t minterm[SHEAF__STORY_HASHES];
    uint32_t perm[SHEAF__STORY_HASHES];
    double inv[SHEAF__STORY_HASHES]; /* inv[d] = 1 / (hashes - d) */
    /* The vector by fp, open addressing at most a quarter full; a weight
     * of 0 marks an empty slot (kept weights are positive). A bitmap of
     * the fps' bits 20..31 lets most lookups, which miss, stop at one
     * bit. */
    sheaf__wterm table[4 * SHEAF__STORY_TERMS];
    uint32_t table_at[SHEAF__STORY_TERMS];
    uint32_t k_table;
    uint64_t bits[64];
    sheaf__term terms[256];
} sheaf__svec;

int sheaf__svec_init(sheaf__svec *v);
void sheaf__svec_free(sheaf__svec *v);

/* Count the terms of a text (a title counts as text too). */
int sheaf__svec_count(sheaf__svec *v, const sheaf__stopwords *stop,
                      const char *text, size_t len, int first);

/* Weigh the counted terms against *df into the vector and its keys. */
void sheaf__svec_weigh(sheaf__svec *v, const sheaf__stats *df,
                       uint64_t seed);

/* Make the lookup table of a vector set directly (a restored article). */
void sheaf__svec_index(sheaf__svec *v);

/* Room for n distinct terms, in fps too (a restored article). */
int sheaf__svec_reserve_fps(sheaf__svec *v, uint32_t n);

/* The dot product of v's vector with sum[0..n), a cluster's sum. */
double sheaf__svec_dot_sum(const sheaf__svec *v, const sheaf__wterm *sum,
                           uint32_t n);

/* The dot product of two vectors by ascending fp. */
double sheaf__wterm_dot(const sheaf__wterm *a, uint32_t na,
                        const sheaf__wterm *b, uint32_t nb);

#endif
