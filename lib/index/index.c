/* The index's lifecycle and its read side; see index.h. */
#if defined(__linux__)
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#endif
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/params.h"
#include "index/index.h"
#include "near/near.h"

/* glibc's read-write locks prefer readers by default: a steady stream of
 * queries from a backend's threads could hold adds off for ever. Where it
 * can be asked for, writers go first (queries never take the lock twice,
 * which that kind of lock forbids). */
static int init_lock(pthread_rwlock_t *lock)
{
#if defined(__GLIBC__)
    pthread_rwlockattr_t attr;
    if (pthread_rwlockattr_init(&attr) != 0)
        return -1;
    int rc = pthread_rwlockattr_setkind_np(
        &attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    if (rc == 0)
        rc = pthread_rwlock_init(lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    return rc;
#else
    return pthread_rwlock_init(lock, NULL);
#endif
}

void sheaf__index_rdlock(const sheaf_index *idx)
{
    pthread_rwlock_rdlock(&((sheaf_index *)idx)->lock);
}

void sheaf__index_wrlock(sheaf_index *idx)
{
    pthread_rwlock_wrlock(&idx->lock);
}

void sheaf__index_unlock(const sheaf_index *idx)
{
    pthread_rwlock_unlock(&((sheaf_index *)idx)->lock);
}

int sheaf__index_clear(sheaf_index *idx)
{
    idx->ops->destroy(idx->engine);
    idx->engine = NULL;
    sheaf__model_free(&idx->model);
    return idx->ops->create(&idx->params, &idx->engine);
}

int sheaf__index_make(const sheaf_params *p, sheaf_index **out)
{
    sheaf_index *idx = calloc(1, sizeof *idx);
    if (!idx)
        return SHEAF_ENOMEM;
    idx->params = *p;
    idx->ops = p->mode == SHEAF_MODE_STORY ? &sheaf__story_engine
                                           : &sheaf__near_engine;
    if (p->mode == SHEAF_MODE_NEAR)
        sheaf__choose_bands(p, &idx->params.bands, &idx->params.rows);
    sheaf__model_init(&idx->model);
    int rc = idx->ops->create(&idx->params, &idx->engine);
    if (rc == SHEAF_OK)
        rc = idx->ops->rep_new(idx->engine, &idx->load);
    if (rc == SHEAF_OK && pthread_mutex_init(&idx->pool_lock, NULL) != 0)
        rc = SHEAF_ENOMEM;
    else if (rc == SHEAF_OK && init_lock(&idx->lock) != 0) {
        pthread_mutex_destroy(&idx->pool_lock);
        rc = SHEAF_ENOMEM;
    }
    if (rc != SHEAF_OK) {
        idx->ops->rep_free(idx->load);
        idx->ops->destroy(idx->engine);
        free(idx);
        return rc;
    }
    *out = idx;
    return SHEAF_OK;
}

int sheaf_index_new(const sheaf_params *p, sheaf_index **out)
{
    if (!p || !out)
        return sheaf__ret(sheaf__fail(SHEAF_EINVAL, "%s is NULL",
                                      !p ? "params" : "out"));
    sheaf_params q;
    int rc = sheaf__params_load(p, &q);
    if (rc == SHEAF_OK)
        rc = sheaf__index_make(&q, out);
    return sheaf__ret(rc);
}

void sheaf_index_free(sheaf_index *idx)
{
    if (!idx)
        return;
    sheaf__store_close(idx->store);
    while (idx->pool) {
        sheaf__work *w = idx->pool;
        idx->pool = w->next;
        idx->ops->rep_free(w->rep);
        free(w->hits.v);
        free(w);
    }
    idx->ops->rep_free(idx->load);
    idx->ops->destroy(idx->engine);
    sheaf__model_free(&idx->model);
    free(idx->payload.p);
    pthread_mutex_destroy(&idx->pool_lock);
    pthread_rwlock_destroy(&idx->lock);
    free(idx);
}

/* ------------------------------------------------------------ the pool */

sheaf__work *sheaf__work_take(sheaf_index *idx)
{
    pthread_mutex_lock(&idx->pool_lock);
    sheaf__work *w = idx->pool;
    if (w)
        idx->pool = w->next;
    pthread_mutex_unlock(&idx->pool_lock);
    if (w)
        return w;
    if (!(w = calloc(1, sizeof *w)))
        return NULL;
    if (idx->ops->rep_new(idx->engine, &w->rep) != SHEAF_OK) {
        free(w);
        return NULL;
    }
    return w;
}

void sheaf__work_give(sheaf_index *idx, sheaf__work *w)
{
    pthread_mutex_lock(&idx->pool_lock);
    w->next = idx->pool;
    idx->pool = w;
    pthread_mutex_unlock(&idx->pool_lock);
}

/* ------------------------------------------------------------ read side */

const sheaf_params *sheaf_index_params(const sheaf_index *idx)
{
    return idx ? &idx->params : NULL;
}

const sheaf_hasher *sheaf_index_hasher(const sheaf_index *idx)
{
    return idx && idx->params.mode == SHEAF_MODE_NEAR
               ? sheaf__near_hasher(idx->engine)
               : NULL;
}

size_t sheaf_index_size(const sheaf_index *idx)
{
    if (!idx)
        return 0;
    sheaf__index_rdlock(idx);
    size_t n = idx->model.live;
    sheaf__index_unlock(idx);
    return n;
}

size_t sheaf_index_cluster_count(const sheaf_index *idx)
{
    if (!idx)
        return 0;
    sheaf__index_rdlock(idx);
    size_t n = idx->model.clusters;
    sheaf__index_unlock(idx);
    return n;
}

int64_t sheaf_index_newest_time(const sheaf_index *idx)
{
    if (!idx)
        return SHEAF_NO_TIME;
    sheaf__index_rdlock(idx);
    int64_t t = idx->model.newest;
    sheaf__index_unlock(idx);
    return t;
}

int sheaf_index_cluster_of(const sheaf_index *idx, const char *id,
                           const char **cluster)
{
    if (!idx || !id || !cluster)
        return sheaf__ret(SHEAF_EINVAL);
    const sheaf__model *m = &idx->model;
    sheaf__index_rdlock(idx);
    const sheaf__name *e = sheaf__model_find(m, id, strlen(id));
    int found = e && e->doc != SHEAF__NONE;
    if (found)
        *cluster = m->clus[m->docs[e->doc].cluster].name->s;
    sheaf__index_unlock(idx);
    return found ? SHEAF_OK : sheaf__ret(SHEAF_ENOTFOUND);
}

int sheaf_index_cluster_members(const sheaf_index *idx, const char *cluster,
                                const char **ids, size_t cap, size_t *count)
{
    if (!idx || !cluster || !count || (cap && !ids))
        return sheaf__ret(SHEAF_EINVAL);
    const sheaf__model *m = &idx->model;
    sheaf__index_rdlock(idx);
    const sheaf__name *c = sheaf__model_find(m, cluster, strlen(cluster));
    int found = c && c->cluster != SHEAF__NONE;
    if (found) {
        size_t n = 0;
        for (uint32_t d = m->clus[c->cluster].head; d != SHEAF__NONE;
             d = m->docs[d].next, n++)
            if (n < cap)
                ids[n] = m->docs[d].id->s;
        *count = n;
    }
    sheaf__index_unlock(idx);
    return found ? SHEAF_OK : sheaf__ret(SHEAF_ENOTFOUND);
}

int sheaf_index_clusters(const sheaf_index *idx,
                         int (*each)(void *ctx, const char *cluster,
                                     size_t size),
                         void *ctx)
{
    if (!idx || !each)
        return sheaf__ret(SHEAF_EINVAL);
    const sheaf__model *m = &idx->model;
    int rc = 0;
    sheaf__index_rdlock(idx);
    for (uint32_t c = m->oldest; c != SHEAF__NONE && rc == 0;
         c = m->clus[c].newer)
        rc = each(ctx, m->clus[c].name->s, m->clus[c].size);
    sheaf__index_unlock(idx);
    return rc;
}
