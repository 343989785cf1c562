/*
 * Removal, expiry and reservation. An article leaves the engine first
 * (which still reads it in the model), then the model; the engine settles
 * once per call, so an expiry of thousands rebuilds each touched cluster
 * once.
 */
#include <string.h>

#include "common/error.h"
#include "index/index.h"

void sheaf__index_drop(sheaf_index *idx, uint32_t d)
{
    idx->ops->remove(idx->engine, &idx->model, d);
    sheaf__model_unlink(&idx->model, d);
}

static int remove_locked(sheaf_index *idx, const char *id)
{
    int rc = sheaf__index_ready(idx);
    if (rc != SHEAF_OK)
        return rc;
    const sheaf__name *e = sheaf__model_find(&idx->model, id, strlen(id));
    if (!e || e->doc == SHEAF__NONE)
        return sheaf__fail(SHEAF_ENOTFOUND, "%s: no article with this id",
                           id);
    uint32_t d = e->doc;
    if (idx->store) {
        int grouped = sheaf__store_in_group(idx->store);
        rc = sheaf__store_del(idx->store, idx->model.docs[d].seq);
        if (rc != SHEAF_OK)
            return sheaf__index_store_failed(idx, rc, grouped);
    }
    sheaf__index_drop(idx, d);
    idx->ops->settle(idx->engine, &idx->model);
    return SHEAF_OK;
}

int sheaf_index_remove(sheaf_index *idx, const char *id)
{
    if (!idx || !id)
        return sheaf__ret(sheaf__fail(SHEAF_EINVAL, "%s is NULL",
                                      !idx ? "index" : "id"));
    sheaf__index_wrlock(idx);
    int rc = remove_locked(idx, id);
    sheaf__index_unlock(idx);
    return sheaf__ret(rc);
}

static int expired(const sheaf__doc *x, int64_t before)
{
    return x->id && x->time != SHEAF_NO_TIME && x->time < before;
}

/* In a store, all of one expiry is one transaction: the caller's group
 * when one is open, else a group of its own. */
static int expire_stored(sheaf_index *idx, int64_t before, size_t *n)
{
    sheaf__store *s = idx->store;
    int own = !sheaf__store_in_group(s);
    int rc = own ? sheaf__store_begin(s) : SHEAF_OK;
    for (uint32_t d = 0; rc == SHEAF_OK && d < idx->model.used; d++)
        if (expired(&idx->model.docs[d], before)) {
            (*n)++;
            rc = sheaf__store_del(s, idx->model.docs[d].seq);
            if (rc != SHEAF_OK && !own) /* the store dropped the group */
                return sheaf__index_store_failed(idx, rc, 1);
        }
    if (own && rc == SHEAF_OK)
        rc = sheaf__store_commit(s);
    else if (own)
        sheaf__store_abort(s);
    return rc;
}

static int expire_locked(sheaf_index *idx, int64_t before, size_t *removed)
{
    int rc = sheaf__index_ready(idx);
    size_t n = 0;
    if (rc == SHEAF_OK && idx->store)
        rc = expire_stored(idx, before, &n);
    if (rc != SHEAF_OK)
        return rc;
    n = 0;
    for (uint32_t d = 0; d < idx->model.used; d++)
        if (expired(&idx->model.docs[d], before)) {
            sheaf__index_drop(idx, d);
            n++;
        }
    if (n)
        idx->ops->settle(idx->engine, &idx->model);
    if (removed)
        *removed = n;
    return SHEAF_OK;
}

int sheaf_index_expire(sheaf_index *idx, int64_t before, size_t *removed)
{
    if (!idx)
        return sheaf__ret(sheaf__fail(SHEAF_EINVAL, "index is NULL"));
    sheaf__index_wrlock(idx);
    int rc = expire_locked(idx, before, removed);
    sheaf__index_unlock(idx);
    return sheaf__ret(rc);
}

int sheaf_index_reserve(sheaf_index *idx, size_t articles)
{
    if (!idx)
        return sheaf__ret(sheaf__fail(SHEAF_EINVAL, "index is NULL"));
    sheaf__index_wrlock(idx);
    int rc = sheaf__index_ready(idx);
    if (rc == SHEAF_OK)
        rc = sheaf__model_reserve(&idx->model, articles);
    if (rc == SHEAF_OK)
        rc = idx->ops->reserve(idx->engine, &idx->model, NULL, SHEAF__NONE,
                               articles);
    sheaf__index_unlock(idx);
    if (rc == SHEAF_ERANGE)
        rc = sheaf__fail(rc, "reserve: %zu articles is more than %u", articles,
                         (unsigned)SHEAF__MAX_DOCS);
    return sheaf__ret(rc);
}
