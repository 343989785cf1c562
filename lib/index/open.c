/*
 * The stored index: opening, rebuilding memory from the store, groups.
 *
 * A stored index is rebuilt at open from its records, each of which holds
 * the article's cluster name and its engine's payload: restoring
 * assignments rather than replaying the decisions gives the state the
 * uninterrupted process had, removals included, and the engines' states
 * are functions of their live articles in order (model/engine.h), so the
 * reopened index decides what the uninterrupted one would.
 */
#include <pthread.h>
#include <string.h>

#include "common/error.h"
#include "common/params.h"
#include "index/index.h"

/* Put one stored article back, in its recorded cluster. */
static int restore_one(void *ctx, const sheaf__stored_doc *d)
{
    sheaf_index *idx = ctx;
    sheaf__model *m = &idx->model;
    if (!d->id_len || !d->cluster_len || memchr(d->id, 0, d->id_len) ||
        memchr(d->cluster, 0, d->cluster_len))
        return SHEAF_ECORRUPT;
    sheaf__name *e = sheaf__model_find(m, d->id, d->id_len);
    if (e && e->doc != SHEAF__NONE)
        return SHEAF_ECORRUPT; /* two records of one id */
    int rc = idx->ops->decode(idx->engine, d->payload, d->payload_len,
                              idx->load);
    if (rc != SHEAF_OK)
        return rc;
    sheaf__name *c = sheaf__model_find(m, d->cluster, d->cluster_len);
    sheaf__pending p;
    rc = sheaf__model_prepare(m, e, d->id, d->id_len, SHEAF__NONE, c,
                              d->cluster, d->cluster_len, &p);
    if (rc != SHEAF_OK)
        return rc;
    rc = idx->ops->reserve(idx->engine, m, idx->load, p.cluster, 0);
    if (rc != SHEAF_OK) {
        sheaf__model_abandon(m, &p);
        return rc;
    }
    uint32_t doc = sheaf__model_finish(m, &p, d->seq, d->time);
    idx->ops->insert(idx->engine, m, doc, idx->load);
    return SHEAF_OK;
}

/* Rebuild memory from the store: at open, and to undo a failed group. */
static int reload(sheaf_index *idx)
{
    int rc = sheaf__index_clear(idx);
    if (rc == SHEAF_OK)
        rc = sheaf__store_load(idx->store, restore_one, NULL, idx);
    idx->stale = rc != SHEAF_OK;
    return rc;
}

/* An LMDB write transaction, so a group, belongs to the thread that began
 * it: LMDB's writer mutex is released by the thread that took it. */
static int group_thread_ok(const sheaf_index *idx)
{
    return !idx->store || !sheaf__store_in_group(idx->store) ||
           pthread_equal(pthread_self(), idx->group_owner);
}

int sheaf__index_ready(sheaf_index *idx)
{
    if (!group_thread_ok(idx))
        return sheaf__fail(SHEAF_EINVAL,
                           "another thread has a group open on this index");
    if (idx->stale && reload(idx) != SHEAF_OK)
        return sheaf__fail(SHEAF_EIO,
                           "the index could not be reloaded from its store");
    return SHEAF_OK;
}

int sheaf__index_store_failed(sheaf_index *idx, int rc, int grouped)
{
    if (grouped && !sheaf__store_in_group(idx->store)) {
        reload(idx);
        return sheaf__fail(rc, "%s; the open group was undone",
                           sheaf__detail(rc));
    }
    return rc;
}

/* The parameters of the store: its own, after checking them against *want
 * (NULL: take them), or *want for a new store. */
static int settle_params(sheaf__store *s, const char *path,
                         const sheaf_params *want, int readonly,
                         sheaf_params *have)
{
    int rc = sheaf__store_get_params(s, have);
    size_t stored = 0;
    /* Parameters are written right after the tables are made: only a
     * process killed in between leaves none, and no article. */
    int counted = rc == SHEAF_ENOTFOUND ? sheaf__store_count(s, &stored)
                                        : SHEAF_OK;
    if (counted != SHEAF_OK)
        return counted;
    if (rc == SHEAF_ENOTFOUND && stored)
        return sheaf__fail(SHEAF_ECORRUPT,
                           "%s: damaged index: %zu articles but no parameters",
                           path, stored);
    if (rc == SHEAF_ENOTFOUND && want && !readonly) {
        *have = *want;
        return sheaf__store_put_params(s, want);
    }
    if (rc == SHEAF_ENOTFOUND)
        return sheaf__fail(rc, "%s: no index is stored there", path);
    const char *name;
    if (rc == SHEAF_OK && want &&
        !sheaf__params_same_identity(have, want, &name))
        return sheaf__fail(SHEAF_EMISMATCH,
                           "%s: stored with another %s than asked for", path,
                           name);
    if (rc == SHEAF_OK && want)
        have->simd = want->simd; /* speed only, not stored */
    return rc;
}

/* The rest of sheaf_index_open, on an open store that it takes over (or
 * discards on failure). */
static int open_stored(sheaf__store *store, const char *path,
                       const sheaf_params *want, int readonly,
                       sheaf_index **out)
{
    sheaf_params have;
    sheaf_index *idx = NULL;
    int rc = settle_params(store, path, want, readonly, &have);
    if (rc == SHEAF_OK)
        rc = sheaf__index_make(&have, &idx);
    if (rc == SHEAF_OK) {
        idx->store = store;
        if ((rc = reload(idx)) == SHEAF_ECORRUPT)
            rc = sheaf__fail(rc, "%s: a stored article is damaged", path);
        idx->store = NULL;
    }
    if (rc != SHEAF_OK) {
        sheaf_index_free(idx);
        sheaf__store_discard(store, path);
        return rc;
    }
    idx->store = store;
    *out = idx;
    return SHEAF_OK;
}

int sheaf_index_open(const char *path, const sheaf_params *p, unsigned flags,
                     sheaf_index **out)
{
    return sheaf__ret(sheaf__index_open(path, p, flags, out));
}

int sheaf__index_open(const char *path, const sheaf_params *p, unsigned flags,
                      sheaf_index **out)
{
    if (!path || !*path || !out)
        return sheaf__fail(SHEAF_EINVAL, "%s",
                           !out ? "out is NULL" : "the path is NULL or empty");
    if (flags & ~(unsigned)SHEAF_OPEN_READONLY)
        return sheaf__fail(SHEAF_EINVAL, "unknown flags %#x", flags);
    sheaf_params want;
    int rc = p ? sheaf__params_load(p, &want) : SHEAF_OK;
    if (rc == SHEAF_OK && p && want.mode == SHEAF_MODE_NEAR)
        sheaf_params_choose_bands(&want, &want.bands, &want.rows);
    int readonly = (flags & SHEAF_OPEN_READONLY) != 0;
    sheaf__store *store = NULL;
    if (rc == SHEAF_OK)
        rc = sheaf__store_open(path, readonly, &store);
    if (rc == SHEAF_OK)
        rc = open_stored(store, path, p ? &want : NULL, readonly, out);
    return rc;
}

/* ------------------------------------------------------------- groups */

int sheaf_index_begin(sheaf_index *idx)
{
    if (!idx)
        return sheaf__ret(SHEAF_EINVAL);
    sheaf__index_wrlock(idx);
    int rc = sheaf__index_ready(idx);
    if (rc == SHEAF_OK && idx->store &&
        (rc = sheaf__store_begin(idx->store)) == SHEAF_OK)
        idx->group_owner = pthread_self();
    sheaf__index_unlock(idx);
    return sheaf__ret(rc);
}

int sheaf_index_commit(sheaf_index *idx)
{
    if (!idx)
        return sheaf__ret(SHEAF_EINVAL);
    sheaf__index_wrlock(idx);
    int rc = group_thread_ok(idx) ? SHEAF_OK : SHEAF_EINVAL;
    if (rc == SHEAF_OK && idx->store &&
        (rc = sheaf__store_commit(idx->store)) != SHEAF_OK &&
        rc != SHEAF_EINVAL)
        reload(idx); /* the group is lost: memory follows the disk */
    sheaf__index_unlock(idx);
    return sheaf__ret(rc);
}

int sheaf_index_rollback(sheaf_index *idx)
{
    if (!idx)
        return sheaf__ret(SHEAF_EINVAL);
    sheaf__index_wrlock(idx);
    int rc = SHEAF_EINVAL; /* memory alone cannot undo */
    if (idx->store && sheaf__store_in_group(idx->store) &&
        group_thread_ok(idx)) {
        sheaf__store_abort(idx->store);
        rc = reload(idx);
    }
    sheaf__index_unlock(idx);
    return sheaf__ret(rc);
}
