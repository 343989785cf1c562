/*
 * Story mode's state: the articles it keeps, the sums of its clusters and
 * their stored form (the engine contract's reserve, insert, remove, settle,
 * encode and decode; story/engine.c decides).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "story/engine.h"

/* Arrays indexed by the model's numbers, grown to its capacity; new
 * entries zeroed. Larger than needed is no change. */
static int grow_zeroed(void **v, uint32_t *cap, uint32_t want, size_t each)
{
    if (want <= *cap)
        return SHEAF_OK;
    void *p = realloc(*v, (size_t)want * each);
    if (!p)
        return SHEAF_ENOMEM;
    memset((char *)p + (size_t)*cap * each, 0, (size_t)(want - *cap) * each);
    *v = p;
    *cap = want;
    return SHEAF_OK;
}

static int reserve_slots(sheaf__engine *e, const sheaf__model *m)
{
    uint32_t clus_cap = e->clus_cap;
    int rc = grow_zeroed((void **)&e->docs, &e->cap, m->cap, sizeof *e->docs);
    if (rc == SHEAF_OK && m->clus_cap > clus_cap) {
        uint32_t *dirty = realloc(e->dirty, m->clus_cap * sizeof *dirty);
        if (!dirty)
            return SHEAF_ENOMEM;
        e->dirty = dirty;
        rc = grow_zeroed((void **)&e->clus, &e->clus_cap, m->clus_cap,
                         sizeof *e->clus);
    }
    return rc;
}

/* Room in cluster c's sum for n more terms: r->sum stays NULL when its
 * array has it, else gets a new array of capacity r->sum_cap to merge
 * into. */
static int reserve_sum(const sheaf__sclus *c, uint32_t n, sheaf__rep *r)
{
    uint32_t have = c ? c->n : 0, cap = c ? c->cap : 0;
    free(r->sum);
    r->sum = NULL;
    if ((uint64_t)have + n <= cap)
        return SHEAF_OK;
    uint64_t want = (uint64_t)cap * 2;
    if (want < (uint64_t)have + n)
        want = (uint64_t)have + n;
    if (want > UINT32_MAX)
        return SHEAF_ERANGE;
    if (!(r->sum = malloc((size_t)want * sizeof *r->sum)))
        return SHEAF_ENOMEM;
    r->sum_cap = (uint32_t)want;
    return SHEAF_OK;
}

static size_t block_bytes(const sheaf__svec *v)
{
    return v->nvec * sizeof(sheaf__wterm) +
           ((v->nvec ? SHEAF__STORY_HASHES : 0) + (size_t)v->nfps) *
               sizeof(uint32_t);
}

int sheaf__story_reserve(sheaf__engine *e, const sheaf__model *m,
                         sheaf__rep *r, uint32_t c, size_t docs)
{
    (void)docs; /* the tables grow with the terms and keys, not the count */
    int rc = reserve_slots(e, m);
    if (rc != SHEAF_OK || !r)
        return rc;
    const sheaf__svec *v = &r->v;
    if ((rc = sheaf__stats_reserve(&e->df, v->nfps)) != SHEAF_OK ||
        (v->nvec &&
         (rc = sheaf__bands_reserve(&e->bands, v->keys,
                                    SHEAF__STORY_HASHES)) != SHEAF_OK))
        return rc;
    int live = c < m->clus_used && m->clus[c].name;
    if ((rc = reserve_sum(live ? &e->clus[c] : NULL, v->nvec, r)) != SHEAF_OK)
        return rc;
    size_t bytes = block_bytes(v);
    void *block = bytes ? realloc(r->block, bytes) : r->block;
    if (bytes && !block)
        return SHEAF_ENOMEM;
    r->block = block;
    return SHEAF_OK;
}

/* Add v's vector to the sum of c, merging from the back so that it can
 * happen in place: into out of capacity cap, c's own array or a new one. */
static void merge_sum(sheaf__sclus *c, const sheaf__svec *v, sheaf__wterm *out,
                      uint32_t cap)
{
    uint32_t common = 0;
    for (uint32_t i = 0, j = 0; i < v->nvec && j < c->n;) {
        if (v->vec[i].fp < c->sum[j].fp)
            i++;
        else if (v->vec[i].fp > c->sum[j].fp)
            j++;
        else
            common++, i++, j++;
    }
    uint32_t total = c->n + v->nvec - common;
    uint32_t i = v->nvec, j = c->n, o = total;
    while (o > 0) {
        if (j > 0 && (i == 0 || c->sum[j - 1].fp > v->vec[i - 1].fp)) {
            out[--o] = c->sum[--j];
        } else if (j > 0 && c->sum[j - 1].fp == v->vec[i - 1].fp) {
            out[--o] = c->sum[--j];
            out[o].w += v->vec[--i].w;
        } else {
            out[--o] = v->vec[--i];
        }
    }
    if (out != c->sum) {
        free(c->sum);
        c->sum = out;
        c->cap = cap;
    }
    c->n = total;
}

static void widen_span(sheaf__sclus *c, int64_t t)
{
    if (t == SHEAF_NO_TIME)
        return;
    if (c->tmin == SHEAF_NO_TIME || t < c->tmin)
        c->tmin = t;
    if (c->tmax == SHEAF_NO_TIME || t > c->tmax)
        c->tmax = t;
}

void sheaf__story_insert(sheaf__engine *e, const sheaf__model *m, uint32_t d,
                         const sheaf__rep *r_in)
{
    sheaf__rep *r = (sheaf__rep *)r_in; /* hands over what reserve made */
    const sheaf__svec *v = &r->v;
    uint32_t cid = m->docs[d].cluster;
    sheaf__sdoc *x = &e->docs[d];
    x->nvec = v->nvec;
    x->nfps = v->nfps;
    x->vec = block_bytes(v) ? r->block : NULL;
    if (x->vec)
        r->block = NULL;
    if (v->nvec) {
        memcpy(x->vec, v->vec, v->nvec * sizeof *x->vec);
        memcpy((uint32_t *)sheaf__sdoc_keys(x), v->keys, sizeof v->keys);
        for (uint32_t j = 0; j < SHEAF__STORY_HASHES; j++)
            sheaf__bands_insert(&e->bands, v->keys[j], cid);
    }
    if (v->nfps)
        memcpy((uint32_t *)sheaf__sdoc_fps(x), v->fps,
               v->nfps * sizeof *v->fps);
    sheaf__stats_count(&e->df, v->fps, v->nfps);

    sheaf__sclus *c = &e->clus[cid];
    if (m->clus[cid].size == 1) /* a new cluster, or a slot reused */
        *c = (sheaf__sclus){NULL, 0, 0, SHEAF_NO_TIME, SHEAF_NO_TIME, 0};
    if (v->nvec) {
        merge_sum(c, v, r->sum ? r->sum : c->sum, r->sum ? r->sum_cap : c->cap);
        r->sum = NULL;
    }
    widen_span(c, m->docs[d].time);
}

void sheaf__story_remove(sheaf__engine *e, const sheaf__model *m, uint32_t d)
{
    uint32_t cid = m->docs[d].cluster;
    sheaf__sdoc *x = &e->docs[d];
    const uint32_t *keys = sheaf__sdoc_keys(x);
    if (x->nvec)
        for (uint32_t j = 0; j < SHEAF__STORY_HASHES; j++)
            sheaf__bands_remove(&e->bands, keys[j], cid);
    sheaf__stats_uncount(&e->df, sheaf__sdoc_fps(x), x->nfps);
    free(x->vec);
    memset(x, 0, sizeof *x);
    if (!e->clus[cid].dirty) {
        e->clus[cid].dirty = 1;
        e->dirty[e->ndirty++] = cid;
    }
}

/* Rebuild the sum and the time span of c from its remaining members in
 * their order, so that a cluster's state is a function of its members
 * alone, whatever came and went (subtracting would leave rounding
 * residue). Their terms are a subset of the old sum's, so this happens in
 * place: weights are positive, and a term no member has any more is left
 * at 0 and dropped. */
static void rebuild(sheaf__engine *e, const sheaf__model *m, uint32_t cid)
{
    sheaf__sclus *c = &e->clus[cid];
    for (uint32_t i = 0; i < c->n; i++)
        c->sum[i].w = 0;
    c->tmin = c->tmax = SHEAF_NO_TIME;
    for (uint32_t d = m->clus[cid].head; d != SHEAF__NONE; d = m->docs[d].next) {
        const sheaf__sdoc *y = &e->docs[d];
        for (uint32_t i = 0, j = 0; i < y->nvec; i++) {
            while (c->sum[j].fp < y->vec[i].fp)
                j++;
            c->sum[j].w += y->vec[i].w;
        }
        widen_span(c, m->docs[d].time);
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < c->n; i++)
        if (c->sum[i].w != 0)
            c->sum[n++] = c->sum[i];
    c->n = n;
}

void sheaf__story_settle(sheaf__engine *e, const sheaf__model *m)
{
    for (uint32_t i = 0; i < e->ndirty; i++) {
        uint32_t cid = e->dirty[i];
        sheaf__sclus *c = &e->clus[cid];
        c->dirty = 0;
        if (m->clus[cid].name) {
            rebuild(e, m, cid);
        } else { /* emptied */
            free(c->sum);
            memset(c, 0, sizeof *c);
        }
    }
    e->ndirty = 0;
}

/* ------------------------------------------------------------ storage */

/* Payload: u8 nvec, u32 nfps, then nvec (u32 fp, u32 weight's IEEE bits),
 * SHEAF__STORY_HASHES u32 band keys when nvec > 0, nfps u32 fingerprints;
 * little-endian. The vector is kept as it was weighed when added, not
 * weighed again: that is what a reopened index must reproduce. */
#define HEAD 5

int sheaf__story_encode(const sheaf__engine *e, const sheaf__rep *r,
                        sheaf__buf *out)
{
    (void)e;
    const sheaf__svec *v = &r->v;
    size_t nkeys = v->nvec ? SHEAF__STORY_HASHES : 0;
    size_t bytes = HEAD + 8 * (size_t)v->nvec + 4 * (nkeys + v->nfps);
    int rc = sheaf__buf_reserve(out, bytes);
    if (rc != SHEAF_OK)
        return rc;
    uint8_t *q = out->p + out->n;
    q[0] = (uint8_t)v->nvec;
    sheaf__put_u32(q + 1, v->nfps);
    q += HEAD;
    for (uint32_t i = 0; i < v->nvec; i++, q += 8) {
        uint32_t bits;
        memcpy(&bits, &v->vec[i].w, sizeof bits);
        sheaf__put_u32(q, v->vec[i].fp);
        sheaf__put_u32(q + 4, bits);
    }
    for (size_t j = 0; j < nkeys; j++, q += 4)
        sheaf__put_u32(q, v->keys[j]);
    for (uint32_t i = 0; i < v->nfps; i++, q += 4)
        sheaf__put_u32(q, v->fps[i]);
    out->n += bytes;
    return SHEAF_OK;
}

int sheaf__story_decode(const sheaf__engine *e, const uint8_t *p, size_t n,
                        sheaf__rep *r)
{
    (void)e;
    sheaf__svec *v = &r->v;
    if (n < HEAD || p[0] > SHEAF__STORY_TERMS)
        return SHEAF_ECORRUPT;
    uint32_t nvec = p[0], nfps = sheaf__get_u32(p + 1);
    uint64_t nkeys = nvec ? SHEAF__STORY_HASHES : 0;
    if ((uint64_t)n != HEAD + 8 * (uint64_t)nvec + 4 * (nkeys + nfps))
        return SHEAF_ECORRUPT;
    int rc = sheaf__svec_reserve_fps(v, nfps);
    if (rc != SHEAF_OK)
        return rc;
    p += HEAD;
    for (uint32_t i = 0; i < nvec; i++, p += 8) {
        uint32_t bits = sheaf__get_u32(p + 4);
        memcpy(&v->vec[i].w, &bits, sizeof bits);
        v->vec[i].fp = sheaf__get_u32(p);
        /* Ascending fps and positive finite weights: what merging and
         * dot products rely on. */
        if (!(v->vec[i].w > 0 && isfinite(v->vec[i].w)) ||
            (i && v->vec[i].fp <= v->vec[i - 1].fp))
            return SHEAF_ECORRUPT;
    }
    for (uint32_t j = 0; j < nkeys; j++, p += 4)
        v->keys[j] = sheaf__get_u32(p);
    for (uint32_t i = 0; i < nfps; i++, p += 4)
        v->fps[i] = sheaf__get_u32(p);
    v->nvec = nvec;
    v->nfps = nfps;
    return SHEAF_OK;
}
