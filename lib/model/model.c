/* The model of articles and clusters; see model.h. */
#define XXH_INLINE_ALL
#include <xxhash.h>

/* Before uthash.h, which model.h includes. uthash must not exit() on
 * out-of-memory: it undoes the addition and sets the `oom` flag of the
 * calling function instead. */
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (oom = 1)
/* XXH3 rather than uthash's default (Jenkins): fewer instructions on the
 * ids of news feeds (URLs, tens of bytes), and well mixed. */
#define HASH_FUNCTION(keyptr, keylen, hashv)                                   \
    ((hashv) = (unsigned)XXH3_64bits(keyptr, keylen))
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "sheaf.h"

void sheaf__model_init(sheaf__model *m)
{
    memset(m, 0, sizeof *m);
    m->free_doc = m->free_clus = SHEAF__NONE;
    m->oldest = m->newest_clus = SHEAF__NONE;
    m->newest = SHEAF_NO_TIME;
}

void sheaf__model_free(sheaf__model *m)
{
    /* The table is dropped whole, then the records freed along their list
     * (hh.next, which HASH_CLEAR leaves alone): deleting them one by one
     * would unlink each from its bucket first. */
    sheaf__name *n = m->names;
    HASH_CLEAR(hh, m->names);
    while (n) {
        sheaf__name *next = n->hh.next;
        free(n);
        n = next;
    }
    free(m->docs);
    free(m->clus);
    sheaf__model_init(m);
}

sheaf__name *sheaf__model_find(const sheaf__model *m, const char *s,
                               size_t len)
{
    sheaf__name *n;
    HASH_FIND(hh, m->names, s, len, n);
    return n;
}

/* Arrays double from their size until they hold n: a reservation never
 * makes them larger than the adds it reserves for would. */
static int grow(void **v, uint32_t *cap, uint64_t n, size_t each)
{
    if (n <= *cap)
        return SHEAF_OK;
    if (n > SHEAF__MAX_DOCS)
        return SHEAF_ERANGE;
    uint64_t c = *cap ? *cap : 64;
    while (c < n)
        c *= 2;
    if (c > SHEAF__MAX_DOCS)
        c = SHEAF__MAX_DOCS;
    if (c > SIZE_MAX / each)
        return SHEAF_ERANGE;
    void *p = realloc(*v, (size_t)c * each);
    if (!p)
        return SHEAF_ENOMEM;
    *v = p;
    *cap = (uint32_t)c;
    return SHEAF_OK;
}

int sheaf__model_reserve(sheaf__model *m, uint64_t n)
{
    return grow((void **)&m->docs, &m->cap, n, sizeof *m->docs);
}

static sheaf__name *new_name(const char *s, size_t len)
{
    sheaf__name *n = malloc(sizeof *n + len + 1);
    if (n) {
        n->doc = n->cluster = SHEAF__NONE;
        memcpy(n->s, s, len);
        n->s[len] = 0;
    }
    return n;
}

/* Free a name that names nothing any more. */
static void release(sheaf__model *m, sheaf__name *n)
{
    if (n->doc == SHEAF__NONE && n->cluster == SHEAF__NONE) {
        HASH_DEL(m->names, n);
        free(n);
    }
}

/* Enter fresh names; on failure neither is in the table. */
static int enter(sheaf__model *m, sheaf__name *e, size_t e_len,
                 sheaf__name *c, size_t c_len)
{
    int oom = 0;
    if (e)
        HASH_ADD_KEYPTR(hh, m->names, e->s, e_len, e);
    if (!oom && c) {
        HASH_ADD_KEYPTR(hh, m->names, c->s, c_len, c);
        if (oom && e)
            HASH_DEL(m->names, e);
    }
    return oom ? SHEAF_ENOMEM : SHEAF_OK;
}

int sheaf__model_prepare(sheaf__model *m, sheaf__name *e, const char *id,
                         size_t id_len, uint32_t join, sheaf__name *c,
                         const char *cname, size_t cname_len,
                         sheaf__pending *out)
{
    int rc;
    if (m->free_doc == SHEAF__NONE &&
        (rc = sheaf__model_reserve(m, (uint64_t)m->used + 1)) != SHEAF_OK)
        return rc;
    if (join != SHEAF__NONE)
        c = m->clus[join].name;
    int new_cluster = join == SHEAF__NONE && (!c || c->cluster == SHEAF__NONE);
    if (new_cluster && m->free_clus == SHEAF__NONE &&
        (rc = grow((void **)&m->clus, &m->clus_cap,
                   (uint64_t)m->clus_used + 1, sizeof *m->clus)) != SHEAF_OK)
        return rc;
    /* A new cluster named by the article's own id shares its record. */
    int same = !c && cname_len == id_len && memcmp(cname, id, id_len) == 0;
    sheaf__name *fresh_e = e ? NULL : new_name(id, id_len);
    sheaf__name *fresh_c = c || same ? NULL : new_name(cname, cname_len);
    if ((!e && !fresh_e) || (!c && !same && !fresh_c) ||
        enter(m, fresh_e, id_len, fresh_c, cname_len) != SHEAF_OK) {
        free(fresh_e);
        free(fresh_c);
        return SHEAF_ENOMEM;
    }
    if (fresh_e)
        e = fresh_e;
    if (fresh_c)
        c = fresh_c;
    if (same)
        c = e;
    *out = (sheaf__pending){
        .e = e,
        .c = c,
        .doc = m->free_doc != SHEAF__NONE ? m->free_doc : m->used,
        .cluster = !new_cluster ? c->cluster
                   : m->free_clus != SHEAF__NONE ? m->free_clus
                                                 : m->clus_used,
        .new_e = fresh_e != NULL,
        .new_c = fresh_c != NULL,
        .new_cluster = (uint8_t)new_cluster,
    };
    return SHEAF_OK;
}

void sheaf__model_abandon(sheaf__model *m, const sheaf__pending *p)
{
    if (p->new_c) {
        HASH_DEL(m->names, p->c);
        free(p->c);
    }
    if (p->new_e) {
        HASH_DEL(m->names, p->e);
        free(p->e);
    }
}

static void open_cluster(sheaf__model *m, const sheaf__pending *p,
                         uint64_t seq)
{
    uint32_t c = p->cluster;
    if (c == m->free_clus)
        m->free_clus = m->clus[c].head;
    else
        m->clus_used++;
    sheaf__cluster *x = &m->clus[c];
    *x = (sheaf__cluster){p->c, SHEAF__NONE, SHEAF__NONE, 0,
                          m->newest_clus, SHEAF__NONE, seq};
    if (m->newest_clus != SHEAF__NONE)
        m->clus[m->newest_clus].newer = c;
    else
        m->oldest = c;
    m->newest_clus = c;
    p->c->cluster = c;
    m->clusters++;
}

uint32_t sheaf__model_finish(sheaf__model *m, const sheaf__pending *p,
                             uint64_t seq, int64_t time)
{
    if (p->new_cluster)
        open_cluster(m, p, seq);
    uint32_t d = p->doc;
    if (d == m->free_doc)
        m->free_doc = m->docs[d].next;
    else
        m->used++;
    sheaf__cluster *c = &m->clus[p->cluster];
    sheaf__doc *x = &m->docs[d];
    *x = (sheaf__doc){p->e, p->cluster, c->tail, SHEAF__NONE, seq, time};
    if (c->tail != SHEAF__NONE)
        m->docs[c->tail].next = d;
    else
        c->head = d;
    c->tail = d;
    c->size++;
    p->e->doc = d;
    m->live++;
    if (seq >= m->next_seq)
        m->next_seq = seq + 1;
    if (time != SHEAF_NO_TIME &&
        (m->newest == SHEAF_NO_TIME || time > m->newest))
        m->newest = time;
    return d;
}

static void close_cluster(sheaf__model *m, uint32_t c)
{
    sheaf__cluster *x = &m->clus[c];
    if (x->older != SHEAF__NONE)
        m->clus[x->older].newer = x->newer;
    else
        m->oldest = x->newer;
    if (x->newer != SHEAF__NONE)
        m->clus[x->newer].older = x->older;
    else
        m->newest_clus = x->older;
    x->name->cluster = SHEAF__NONE;
    release(m, x->name);
    x->name = NULL;
    x->head = m->free_clus;
    m->free_clus = c;
    m->clusters--;
}

void sheaf__model_unlink(sheaf__model *m, uint32_t d)
{
    sheaf__doc *x = &m->docs[d];
    sheaf__cluster *c = &m->clus[x->cluster];
    if (x->prev != SHEAF__NONE)
        m->docs[x->prev].next = x->next;
    else
        c->head = x->next;
    if (x->next != SHEAF__NONE)
        m->docs[x->next].prev = x->prev;
    else
        c->tail = x->prev;
    sheaf__name *e = x->id, *cn = c->name;
    e->doc = SHEAF__NONE;
    int emptied = --c->size == 0;
    if (emptied)
        close_cluster(m, x->cluster); /* frees cn, which may be e */
    if (!(emptied && cn == e))
        release(m, e);
    x->id = NULL;
    x->cluster = SHEAF__NONE;
    x->next = m->free_doc;
    m->free_doc = d;
    m->live--;
}

int sheaf__model_within(const sheaf__model *m, uint32_t c, int64_t t,
                        int64_t window)
{
    if (window == 0 || t == SHEAF_NO_TIME)
        return 1;
    for (uint32_t d = m->clus[c].tail; d != SHEAF__NONE; d = m->docs[d].prev)
        if (sheaf__within(t, m->docs[d].time, window))
            return 1;
    return 0;
}
