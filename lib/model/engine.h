/*
 * The engine contract: what the index asks of near mode (near/engine.c)
 * and story mode (story/engine.c). Internal to the library.
 *
 * The index owns the model (model.h: articles, names, clusters, order,
 * times), the lock and the store; an engine owns what its mode knows of
 * the articles (signatures and band tables, or term vectors and their
 * statistics) in arrays indexed by the model's doc and cluster numbers,
 * and decides. One add goes:
 *
 *   analyse   the article into a rep (signing, counting terms): no lock,
 *             nothing of the engine's mutable state;
 *   decide    the cluster it joins, under the write lock;
 *   reserve   every allocation insert will need;
 *   encode    the rep as the payload of its stored record;
 *   insert    into the engine's state, once the model has the article:
 *             cannot fail.
 *
 * Reopening a stored index decodes each record's payload into a rep and
 * reserves and inserts it as the add did, so an engine's state must be a
 * function of its live articles in order of addition: that is what makes
 * a reopened index decide exactly as the uninterrupted one. Removal is
 * remove (before the model lets the article go) for each article, then
 * settle once for the whole call.
 *
 * Every function returning int returns SHEAF_OK or a SHEAF_E* code and on
 * failure has changed nothing of the engine's contents.
 */
#ifndef SHEAF_MODEL_ENGINE_H
#define SHEAF_MODEL_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "sheaf.h"

typedef struct sheaf__engine sheaf__engine; /* an engine's state */
typedef struct sheaf__rep sheaf__rep; /* its working copy of one article */

/* What an engine decided for an article. */
typedef struct sheaf__decision {
    uint32_t cluster;  /* the cluster it joins; SHEAF__NONE: a new one */
    uint32_t match;    /* the article that decided it, or SHEAF__NONE */
    double similarity; /* what the decision used; 0 with no match */
} sheaf__decision;

/* One match of a query. */
typedef struct sheaf__hit {
    uint32_t doc;
    double similarity;
} sheaf__hit;

/* A growable list of them, kept by the caller across queries. */
typedef struct sheaf__hits {
    sheaf__hit *v;
    size_t n, cap;
} sheaf__hits;

int sheaf__hits_push(sheaf__hits *h, uint32_t doc, double similarity);

/* A growable byte buffer, for payloads. */
typedef struct sheaf__buf {
    uint8_t *p;
    size_t n, cap;
} sheaf__buf;

/* Room for n more bytes at b->p + b->n. */
int sheaf__buf_reserve(sheaf__buf *b, size_t n);

typedef struct sheaf__engine_ops {
    /* A new, empty engine for parameters already validated. */
    int (*create)(const sheaf_params *p, sheaf__engine **out);
    void (*destroy)(sheaf__engine *e); /* NULL is a no-op */

    int (*rep_new)(const sheaf__engine *e, sheaf__rep **out);
    void (*rep_free)(sheaf__rep *r); /* NULL is a no-op */

    /* Read a into r. Thread-safe against everything but destroy. */
    int (*analyse)(const sheaf__engine *e, const sheaf_article *a,
                   sheaf__rep *r);

    /* The decision for the article in r, published at time, under the
     * write lock: e's scratch may be used, and r keeps what insert and
     * encode need. */
    int (*decide)(sheaf__engine *e, const sheaf__model *m, sheaf__rep *r,
                  int64_t time, sheaf__decision *out);

    /* A query's matches for the article in r, best first, into *out
     * (emptied first); under the read lock, so e is not changed. */
    int (*matches)(const sheaf__engine *e, const sheaf__model *m,
                   sheaf__rep *r, int64_t time, sheaf__hits *out);

    /* Room for the model's slots (m->cap docs, m->clus_cap clusters), for
     * `docs` articles in all, and, unless r is NULL, for inserting r into
     * cluster c (a number the model is about to open, for a new one). */
    int (*reserve)(sheaf__engine *e, const sheaf__model *m, sheaf__rep *r,
                   uint32_t c, size_t docs);

    /* Article d, now in the model (in its cluster), is the one in r,
     * decided or decoded. */
    void (*insert)(sheaf__engine *e, const sheaf__model *m, uint32_t d,
                   const sheaf__rep *r);

    /* Article d is about to leave the model. */
    void (*remove)(sheaf__engine *e, const sheaf__model *m, uint32_t d);

    /* The removals of one call are done (the model has let them go). */
    void (*settle)(sheaf__engine *e, const sheaf__model *m);

    /* The stored form of the article in r, appended to *out; and back. */
    int (*encode)(const sheaf__engine *e, const sheaf__rep *r,
                  sheaf__buf *out);
    int (*decode)(const sheaf__engine *e, const uint8_t *p, size_t n,
                  sheaf__rep *r);
} sheaf__engine_ops;

extern const sheaf__engine_ops sheaf__near_engine;
extern const sheaf__engine_ops sheaf__story_engine;

#endif
