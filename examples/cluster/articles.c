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

void articles_free(articles *a)
{
    for (arena_chunk *c = a->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a->v);
    free(a->slots);
    free(a->slot_hash);
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

static void rehash(articles *a)
{
    size_t n = a->nslots ? 2 * a->nslots : 1024;
    size_t *slots = xcalloc(n, sizeof *slots);
    uint64_t *hashes = xcalloc(n, sizeof *hashes);
    for (size_t i = 0; i < a->nslots; i++) {
        if (!a->slots[i])
            continue;
        size_t j = (size_t)a->slot_hash[i] & (n - 1);
        while (slots[j])
            j = (j + 1) & (n - 1);
        slots[j] = a->slots[i];
        hashes[j] = a->slot_hash[i];
    }
    free(a->slots);
    free(a->slot_hash);
    a->slots = slots;
    a->slot_hash = hashes;
    a->nslots = n;
}

size_t articles_add(articles *a, const article *art, size_t id_len)
{
    if (a->count == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 4096;
        a->v = xreallocarray(a->v, a->cap, sizeof *a->v);
    }
    /* Load at most one half keeps probes short. */
    if (2 * (a->count + 1) > a->nslots)
        rehash(a);
    uint64_t h = XXH3_64bits(art->id, id_len);
    size_t mask = a->nslots - 1, j = (size_t)h & mask;
    for (; a->slots[j]; j = (j + 1) & mask) {
        const article *other = &a->v[a->slots[j] - 1];
        if (a->slot_hash[j] == h && strcmp(other->id, art->id) == 0) {
            /* Repeated: the table still answers with the first one. */
            a->v[a->count++] = *art;
            return a->slots[j] - 1;
        }
    }
    a->slots[j] = a->count + 1;
    a->slot_hash[j] = h;
    a->v[a->count++] = *art;
    return NO_MATCH;
}
