/*
 * Adding and querying. The engine analyses the article (signing, counting
 * terms: the expensive part) before the lock is taken, so threads adding
 * to one index analyse in parallel; deciding and the model's bookkeeping
 * run under the write lock, one add at a time, in the order they get it.
 */
#include <stddef.h>
#include <string.h>

#include "common/error.h"
#include "index/index.h"

/* The caller's article as this library's struct: the fields of the size it
 * was compiled with, the rest empty. */
static int load_article(const sheaf_article *in, int need_id,
                        sheaf_article *out)
{
    static const sheaf_article empty = SHEAF_ARTICLE_INIT;
    const size_t least = offsetof(sheaf_article, len) + sizeof in->len;
    if (!in)
        return sheaf__fail(SHEAF_EINVAL, "article is NULL");
    if (in->size < least)
        return sheaf__fail(SHEAF_EINVAL,
                           "article: size %zu is not sizeof(sheaf_article) "
                           "(start from SHEAF_ARTICLE_INIT)",
                           in->size);
    *out = empty;
    memcpy(out, in, in->size < sizeof *out ? in->size : sizeof *out);
    out->size = sizeof *out;
    if (need_id && (!out->id || !*out->id))
        return sheaf__fail(SHEAF_EINVAL, "article: the id is %s",
                           out->id ? "empty" : "NULL");
    if ((!out->text && out->len) || (!out->title && out->title_len))
        return sheaf__fail(SHEAF_EINVAL, "article: %s is NULL with length %zu",
                           !out->text && out->len ? "text" : "title",
                           !out->text && out->len ? out->len : out->title_len);
    return SHEAF_OK;
}

static void assign(const sheaf_index *idx, uint32_t d,
                   const sheaf__decision *dec, sheaf_assignment *out)
{
    const sheaf__model *m = &idx->model;
    const sheaf__cluster *c = &m->clus[m->docs[d].cluster];
    out->cluster = c->name->s;
    out->match = dec->match != SHEAF__NONE ? m->docs[dec->match].id->s : NULL;
    out->similarity = dec->match != SHEAF__NONE ? dec->similarity : 0.0;
    out->cluster_size = c->size;
}

/* The record of the article on its way in, to the store. */
static int store_put(sheaf_index *idx, const sheaf_article *a,
                     const sheaf__pending *p, const sheaf__rep *r)
{
    idx->payload.n = 0;
    int rc = idx->ops->encode(idx->engine, r, &idx->payload);
    if (rc != SHEAF_OK)
        return rc;
    sheaf__stored_doc rec = {
        .seq = idx->model.next_seq,
        .time = a->time,
        .id = a->id,
        .id_len = strlen(a->id),
        .cluster = p->c->s,
        .cluster_len = strlen(p->c->s),
        .payload = idx->payload.p,
        .payload_len = idx->payload.n,
    };
    return sheaf__store_put(idx->store, &rec);
}

static int add_locked(sheaf_index *idx, const sheaf_article *a, sheaf__rep *r,
                      sheaf_assignment *out)
{
    sheaf__model *m = &idx->model;
    int rc = sheaf__index_ready(idx);
    if (rc != SHEAF_OK)
        return rc;
    size_t id_len = strlen(a->id);
    const sheaf__name *e = sheaf__model_find(m, a->id, id_len);
    if (e)
        return sheaf__fail(SHEAF_EEXIST, "%s: %s", a->id,
                           e->doc != SHEAF__NONE
                               ? "an article with this id is in the index"
                               : "this id names a cluster of the index");
    sheaf__decision dec;
    if ((rc = idx->ops->decide(idx->engine, m, r, a->time, &dec)) != SHEAF_OK)
        return rc;
    sheaf__pending p;
    if ((rc = sheaf__model_prepare(m, NULL, a->id, id_len, dec.cluster, NULL,
                                   a->id, id_len, &p)) != SHEAF_OK)
        return rc;
    int grouped = idx->store && sheaf__store_in_group(idx->store);
    if ((rc = idx->ops->reserve(idx->engine, m, r, p.cluster, 0)) !=
            SHEAF_OK ||
        (idx->store && (rc = store_put(idx, a, &p, r)) != SHEAF_OK)) {
        sheaf__model_abandon(m, &p);
        return sheaf__index_store_failed(idx, rc, grouped);
    }
    uint32_t d = sheaf__model_finish(m, &p, m->next_seq, a->time);
    idx->ops->insert(idx->engine, m, d, r);
    if (out)
        assign(idx, d, &dec, out);
    return SHEAF_OK;
}

int sheaf_index_add(sheaf_index *idx, const sheaf_article *article,
                    sheaf_assignment *out)
{
    sheaf_article a;
    if (!idx)
        return sheaf__ret(sheaf__fail(SHEAF_EINVAL, "index is NULL"));
    int rc = load_article(article, 1, &a);
    if (rc != SHEAF_OK)
        return sheaf__ret(rc);
    sheaf__work *w = sheaf__work_take(idx);
    if (!w)
        return sheaf__ret(SHEAF_ENOMEM);
    rc = idx->ops->analyse(idx->engine, &a, w->rep);
    if (rc == SHEAF_OK) {
        sheaf__index_wrlock(idx);
        rc = add_locked(idx, &a, w->rep, out);
        sheaf__index_unlock(idx);
    }
    sheaf__work_give(idx, w);
    return sheaf__ret(rc);
}

int sheaf_index_query(const sheaf_index *idx, const sheaf_article *article,
                      sheaf_match *matches, size_t cap, size_t *count)
{
    sheaf_article a;
    if (!idx || !count || (cap && !matches))
        return sheaf__ret(sheaf__fail(
            SHEAF_EINVAL, "%s is NULL",
            !idx ? "index" : !count ? "count" : "matches"));
    int rc = load_article(article, 0, &a);
    if (rc != SHEAF_OK)
        return sheaf__ret(rc);
    /* The pool is the index's own mutable part that readers may change. */
    sheaf__work *w = sheaf__work_take((sheaf_index *)idx);
    if (!w)
        return sheaf__ret(SHEAF_ENOMEM);
    rc = idx->ops->analyse(idx->engine, &a, w->rep);
    if (rc == SHEAF_OK) {
        const sheaf__model *m = &idx->model;
        sheaf__index_rdlock(idx);
        rc = idx->stale ? sheaf__fail(SHEAF_EIO,
                                      "the index could not be reloaded "
                                      "from its store")
                        : idx->ops->matches(idx->engine, m, w->rep, a.time,
                                            &w->hits);
        for (size_t i = 0; rc == SHEAF_OK && i < w->hits.n && i < cap; i++) {
            const sheaf__doc *x = &m->docs[w->hits.v[i].doc];
            matches[i] = (sheaf_match){x->id->s, m->clus[x->cluster].name->s,
                                       w->hits.v[i].similarity};
        }
        if (rc == SHEAF_OK)
            *count = w->hits.n;
        sheaf__index_unlock(idx);
    }
    sheaf__work_give((sheaf_index *)idx, w);
    return sheaf__ret(rc);
}
