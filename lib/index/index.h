/*
 * The index: the public face (include/sheaf.h) over the model, one engine
 * and, for a stored index, the store. Internal to the library.
 *
 * index.c   lifecycle and the read side (lookups, members, iteration)
 * add.c     adding and querying: analyse without the lock, decide with it
 * remove.c  removal, expiry and reservation
 * open.c    the stored index: open, reload, groups
 * inspect.c a stored index read for people: verify, dump
 *
 * Every modifying call makes every allocation it may need (model, engine),
 * then writes to the store, and only then changes memory, so an error
 * leaves the index exactly as it was.
 */
#ifndef SHEAF_INDEX_INDEX_H
#define SHEAF_INDEX_INDEX_H

#include <pthread.h>

#include "model/engine.h"
#include "model/model.h"
#include "sheaf.h"
#include "store/store.h"

/* What one call needs for its article: the engine's working copy and a
 * query's hits. Kept in a pool, so adds and queries from many threads
 * allocate only until the pool holds one per thread. */
typedef struct sheaf__work {
    struct sheaf__work *next;
    sheaf__rep *rep;
    sheaf__hits hits;
} sheaf__work;

struct sheaf_index {
    sheaf_params params; /* bands and rows resolved in near mode */
    const sheaf__engine_ops *ops;
    sheaf__engine *engine;
    sheaf__model model;
    sheaf__store *store; /* NULL: in memory only */
    sheaf__buf payload;  /* the stored record of the add in progress */
    sheaf__rep *load;    /* the rep records are decoded into */
    /* Memory could not be brought back in line with the store after a
     * failed group; every call retries the reload first. */
    int stale;
    pthread_t group_owner; /* the thread that began the open group */
    pthread_mutex_t pool_lock;
    sheaf__work *pool;
    pthread_rwlock_t lock;
};

/* A new in-memory index for parameters already loaded and validated. */
int sheaf__index_make(const sheaf_params *p, sheaf_index **out);

/* The engine's state and the model, emptied (a reload starts here). */
int sheaf__index_clear(sheaf_index *idx);

void sheaf__index_rdlock(const sheaf_index *idx);
void sheaf__index_wrlock(sheaf_index *idx);
void sheaf__index_unlock(const sheaf_index *idx);

sheaf__work *sheaf__work_take(sheaf_index *idx);
void sheaf__work_give(sheaf_index *idx, sheaf__work *w);

/* open.c: sheaf_index_open, for the library's own use. */
int sheaf__index_open(const char *path, const sheaf_params *p, unsigned flags,
                      sheaf_index **out);

/* open.c: before every modifying call, under the write lock. */
int sheaf__index_ready(sheaf_index *idx);
/* open.c: after a failed write (grouped: a group was open before it).
 * When the store dropped the group, memory goes back to the last commit. */
int sheaf__index_store_failed(sheaf_index *idx, int rc, int grouped);

/* Take article d out (store first, when the caller has not). */
void sheaf__index_drop(sheaf_index *idx, uint32_t d);

#endif
