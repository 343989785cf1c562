/* The table of clustered articles (see articles.h). */
#include "articles.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "xalloc.h"

#define CHUNK ((size_t)1 << 20)

struct arena_chunk {
    arena_chunk *next;
    size_t used;
    size_t cap;
    char data[];
};

void articles_init(articles *a)
{
    memset(a, 0, sizeof *a);
}

static void map_free(article_map *m)
{
    free(m->slots);
}

void articles_free(articles *a)
{
    for (arena_chunk *c = a->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a->v);
    map_free(&a->ids);
    map_free(&a->keys);
    memset(a, 0, sizeof *a);
}

const char *articles_intern(articles *a, const char *s, size_t n)
{
    arena_chunk *c = a->chunks;
    if (!c || c->cap - c->used < n + 1) {
        /* A string too big for a chunk gets one of its own, put second
         * so the current chunk keeps filling. */
        size_t cap = n + 1 > CHUNK / 4 ? n + 1 : CHUNK;
        if (cap > SIZE_MAX - sizeof *c)
            die_nomem();
        arena_chunk *fresh = xmalloc(sizeof *c + cap);
        fresh->used = 0;
        fresh->cap = cap;
        if (c && cap != CHUNK) {
            fresh->next = c->next;
            c->next = fresh;
        } else {
            fresh->next = c;
            a->chunks = fresh;
        }
        c = fresh;
    }
    char *p = c->data + c->used;
    memcpy(p, s, n);
    p[n] = '\0';
    c->used += n + 1;
    return p;
}

static void map_grow(article_map *m)
{
    size_t n = m->nslots ? 2 * m->nslots : 1024;
    map_entry *slots = xcalloc(n, sizeof *slots);
    for (size_t i = 0; i < m->nslots; i++) {
        if (!m->slots[i].pos1)
            continue;
        size_t j = (size_t)m->slots[i].hash & (n - 1);
        while (slots[j].pos1)
            j = (j + 1) & (n - 1);
        slots[j] = m->slots[i];
    }
    map_free(m);
    m->slots = slots;
    m->nslots = n;
}

/* The slot of s[0..n) in m (whose entries are named by their id, or by
 * their key with by_key set): the one holding it, or the empty one where
 * it would go. m must have an empty slot. */
static size_t map_slot(const articles *a, const article_map *m, int by_key,
                       const char *s, size_t n, uint64_t h)
{
    size_t mask = m->nslots - 1, j = (size_t)h & mask;
    for (; m->slots[j].pos1; j = (j + 1) & mask) {
        if (m->slots[j].hash != h)
            continue;
        const article *x = &a->v[m->slots[j].pos1 - 1];
        const char *name = by_key ? x->key : x->id;
        if (strncmp(name, s, n) == 0 && name[n] == '\0')
            return j;
    }
    return j;
}

static size_t map_find(const articles *a, const article_map *m, int by_key,
                       const char *s, size_t n)
{
    if (!m->used)
        return NO_MATCH;
    size_t j = map_slot(a, m, by_key, s, n, XXH3_64bits(s, n));
    return m->slots[j].pos1 ? m->slots[j].pos1 - 1 : NO_MATCH;
}

/* Enter article pos under its name; the name must not be there yet. */
static void map_put(articles *a, article_map *m, int by_key, size_t pos)
{
    const char *name = by_key ? a->v[pos].key : a->v[pos].id;
    size_t n = strlen(name);
    /* Load at most one half keeps probes short. */
    if (2 * (m->used + 1) > m->nslots)
        map_grow(m);
    uint64_t h = XXH3_64bits(name, n);
    size_t j = map_slot(a, m, by_key, name, n, h);
    m->slots[j] = (map_entry){pos + 1, h};
    m->used++;
}

size_t articles_find_id(const articles *a, const char *s, size_t n)
{
    return map_find(a, &a->ids, 0, s, n);
}

size_t articles_find_key(const articles *a, const char *key)
{
    size_t n = strlen(key);
    /* Most keys are the id of the first article of the run with it. */
    size_t pos = map_find(a, &a->ids, 0, key, n);
    if (pos != NO_MATCH && strcmp(a->v[pos].key, key) == 0)
        return pos;
    return map_find(a, &a->keys, 1, key, n);
}

size_t articles_add(articles *a, const article *art, int new_id)
{
    if (a->count == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 4096;
        a->v = xreallocarray(a->v, a->cap, sizeof *a->v);
    }
    size_t pos = a->count++;
    a->v[pos] = *art;
    if (new_id)
        map_put(a, &a->ids, 0, pos);
    if (!new_id || art->key != art->id)
        map_put(a, &a->keys, 1, pos);
    return pos;
}

void articles_keep_since(articles *a, int64_t from, size_t pin[2])
{
    articles kept;
    articles_init(&kept);
    size_t moved[2] = {NO_MATCH, NO_MATCH};
    for (size_t i = 0; i < a->count; i++) {
        const article *x = &a->v[i];
        if (x->time != SHEAF_NO_TIME && x->time < from && i != pin[0] &&
            i != pin[1])
            continue;
        article y = *x;
        y.id = articles_intern(&kept, x->id, strlen(x->id));
        y.key = x->key == x->id ? y.id
                                : articles_intern(&kept, x->key, strlen(x->key));
        y.snippet = x->snippet ? articles_intern(&kept, x->snippet,
                                                 strlen(x->snippet))
                               : NULL;
        int first = !x->earlier &&
                    articles_find_id(&kept, y.id, strlen(y.id)) == NO_MATCH;
        size_t at = articles_add(&kept, &y, first);
        kept.v[at].cluster = at;
        kept.v[at].match = NO_MATCH;
        for (int k = 0; k < 2; k++)
            if (pin[k] == i)
                moved[k] = at;
    }
    pin[0] = moved[0];
    pin[1] = moved[1];
    articles_free(a);
    *a = kept;
}
