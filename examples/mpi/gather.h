/*
 * The output, on rank 0. The ranks send what the output needs of their
 * articles (id, where it was read, the match decided, a snippet) to rank
 * 0 in rounds of batches, in input order; rank 0 enters them in the
 * clusterer's table of articles, follows each match to its cluster (the
 * match is earlier, so its cluster is known), warns of repeated ids, and
 * writes with the clusterer's own output code. In story mode rank 0 also
 * decides: it adds the texts to one story index in input order (story
 * mode's term statistics learn from the stream in that order).
 */
#ifndef MPI_GATHER_H
#define MPI_GATHER_H

#include "comm.h"
#include "options.h"
#include "outfile.h"
#include "share.h"

typedef struct gathered {
    size_t articles;
    size_t clusters;
    size_t largest;
    size_t grouped;
    int fatal; /* the story index failed: nothing may be written */
} gathered;

/* Collective. story: rank 0's story index (NULL in near mode and on other
 * ranks); out: rank 0's output (written, not committed). */
void gather_write(share *s, world *w, const options *o, sheaf_index *story,
                  outfile *out, gathered *g);

#endif
