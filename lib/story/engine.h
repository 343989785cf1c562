/*
 * Story mode's engine state, shared by its two halves: story/engine.c
 * (analysing and deciding) and story/state.c (keeping articles and
 * clusters, storing them). Internal to the library.
 */
#ifndef SHEAF_STORY_ENGINE_H
#define SHEAF_STORY_ENGINE_H

#include "model/engine.h"
#include "story/bands.h"
#include "story/stats.h"
#include "story/vector.h"

#define SHEAF__STORY_CANDIDATES 64 /* clusters verified per article */

typedef struct sheaf__sdoc {
    sheaf__wterm *vec; /* nvec terms, then SHEAF__STORY_HASHES keys, then
                          nfps fingerprints: one allocation */
    uint32_t nvec, nfps;
} sheaf__sdoc;

typedef struct sheaf__sclus {
    sheaf__wterm *sum; /* the members' vectors summed, by ascending fp */
    uint32_t n, cap;
    int64_t tmin, tmax; /* span of the members' times */
    uint8_t dirty;      /* lost members since the last settle */
} sheaf__sclus;

struct sheaf__engine {
    sheaf_params p;
    sheaf__stopwords stop;
    sheaf__stats df;
    sheaf__bands bands;
    sheaf__sdoc *docs;
    uint32_t cap;
    sheaf__sclus *clus;
    uint32_t clus_cap;
    uint32_t *dirty; /* clusters to settle, clus_cap of room */
    uint32_t ndirty;
};

struct sheaf__rep {
    sheaf__svec v;
    uint32_t cands[SHEAF__STORY_CANDIDATES];
    uint32_t *seen; /* candidate clusters, before selection */
    size_t nseen, seen_cap;
    uint32_t *count; /* per cluster: bands shared; 0 outside use */
    uint32_t count_cap;
    double sim[SHEAF__STORY_CANDIDATES];
    /* Memory insert takes, made by reserve. */
    sheaf__wterm *block;
    sheaf__wterm *sum;
    uint32_t sum_cap;
};

/* The band keys and distinct terms of a kept article. */
static inline const uint32_t *sheaf__sdoc_keys(const sheaf__sdoc *x)
{
    return (const uint32_t *)(const void *)(x->vec + x->nvec);
}

static inline const uint32_t *sheaf__sdoc_fps(const sheaf__sdoc *x)
{
    return sheaf__sdoc_keys(x) + (x->nvec ? SHEAF__STORY_HASHES : 0);
}

/* The engine operations of story/state.c (see model/engine.h). */
int sheaf__story_reserve(sheaf__engine *e, const sheaf__model *m,
                         sheaf__rep *r, uint32_t c, size_t docs);
void sheaf__story_insert(sheaf__engine *e, const sheaf__model *m, uint32_t d,
                         const sheaf__rep *r);
void sheaf__story_remove(sheaf__engine *e, const sheaf__model *m, uint32_t d);
void sheaf__story_settle(sheaf__engine *e, const sheaf__model *m);
int sheaf__story_encode(const sheaf__engine *e, const sheaf__rep *r,
                        sheaf__buf *out);
int sheaf__story_decode(const sheaf__engine *e, const uint8_t *p, size_t n,
                        sheaf__rep *r);

#endif
