/*
 * Near mode spread over the ranks. The band tables are partitioned: the
 * key of band b goes to rank b mod R (with more ranks than bands, each
 * band's key space is split further by its high bits), so each rank holds
 * about 1/R of all band entries. Each bucket of two or more articles
 * yields candidate pairs (earlier, later), sent to the earlier article's
 * rank, which sends its 16-bit values once to each rank holding later
 * candidates, where sheaf_banding_verify decides them. An article's
 * match is the accepted candidate of highest similarity, the earliest on
 * a tie: exactly what one index adding them in input order decides.
 */
#ifndef MPI_NEAR_H
#define MPI_NEAR_H

#include "comm.h"
#include "share.h"

typedef struct near_stats {
    uint64_t entries; /* band entries this rank owns */
    uint64_t pairs;   /* distinct candidate pairs sent on for verifying */
    uint64_t index_bytes; /* the largest the index's data here was */
} near_stats;

/* Decide the match and similarity of every article of s. Collective. */
void near_decide(share *s, world *w, const sheaf_params *p, near_stats *st);

#endif
