/*
 * The articles clustered so far: what the output needs of each (its id,
 * cluster, match and similarity, as positions in this table), plus where
 * it was read, for messages. Texts are not kept; the ids are, in an arena,
 * with hash tables that find an article by its id or by its key.
 *
 * The library knows each article by a key, unique in its index, which is
 * the user's id when that is free and a variant of it otherwise (see
 * cluster.c); assignments name articles by key, mapped back through this
 * table. With a stored index an assignment can name an article of an
 * earlier run: the table then holds an entry for it too, marked earlier,
 * which is never written as a line of its own.
 */
#ifndef CLUSTER_ARTICLES_H
#define CLUSTER_ARTICLES_H

#include <stddef.h>
#include <stdint.h>

#include "sheaf.h"

#define NO_MATCH SIZE_MAX

typedef struct article {
    const char *id;      /* the user's id, NUL-terminated, owned by the table */
    const char *key;     /* the library's key: id itself, or its own copy */
    const char *snippet; /* the text's opening words (--format groups) */
    size_t cluster;      /* position of the article naming the cluster */
    size_t match;        /* position of the article matched, or NO_MATCH */
    double similarity;   /* with match; 0 when none */
    uint64_t line;       /* line in its input; 0 for a whole file */
    uint32_t file;       /* index in the input list */
    /* Its cluster's size just after it was added: clusters only grow
     * during a run, so the largest among a cluster's articles of this run
     * is its size at the end, earlier runs' articles included. */
    uint32_t cluster_size;
    int64_t time;      /* publication time; SHEAF_NO_TIME when none */
    uint8_t id_number; /* the id was a JSON number: write it as one */
    uint8_t earlier;   /* added by an earlier run, not read in this one */
} article;

typedef struct arena_chunk arena_chunk;

/* Open addressing, linear probing. A slot holds the position + 1 (0 for
 * empty) beside the name's hash, so that a probe reads one cache line. */
typedef struct map_entry {
    size_t pos1;
    uint64_t hash;
} map_entry;

typedef struct article_map {
    map_entry *slots;
    size_t nslots;
    size_t used;
} article_map;

typedef struct articles {
    article *v;
    size_t count;
    size_t cap;
    arena_chunk *chunks;
    article_map ids;  /* id -> the first article of this run with it */
    article_map keys; /* key -> article, for keys ids cannot find */
} articles;

void articles_init(articles *a);
void articles_free(articles *a);

/* A NUL-terminated copy of s[0..n) that lives as long as the table. */
const char *articles_intern(articles *a, const char *s, size_t n);

/* The first article of this run with id s[0..n), or NO_MATCH. */
size_t articles_find_id(const articles *a, const char *s, size_t n);

/* The article with this key, or NO_MATCH. */
size_t articles_find_key(const articles *a, const char *key);

/* Append art (its strings interned already) and return its position.
 * new_id: art is of this run and the first with its id (as
 * articles_find_id tells). Only such an article may have its id as key. */
size_t articles_add(articles *a, const article *art, int new_id);

/* Keep only the articles published at or after `from` (those without a
 * time stay), and those at the two positions of pin (NO_MATCH: none),
 * which are updated to their new positions: a windowed run forgets what
 * has left the window, its ids and strings included. Only for tables
 * whose cluster and match positions are no longer read (streamed output):
 * they are reset. */
void articles_keep_since(articles *a, int64_t from, size_t pin[2]);

#endif
