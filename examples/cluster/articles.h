/*
 * The articles clustered so far: what the output needs of each (its id,
 * cluster, match and similarity, as ordinals into this table), plus where
 * it was read, for messages. Texts are not kept; the ids are, in an arena,
 * with a hash table that spots a repeated id.
 *
 * The library is given each article's ordinal as its key, never the
 * user's id, so repeated ids are no problem for it; ordinals are mapped
 * back to ids on output.
 */
#ifndef CLUSTER_ARTICLES_H
#define CLUSTER_ARTICLES_H

#include <stddef.h>
#include <stdint.h>

#define NO_MATCH SIZE_MAX

typedef struct article {
    const char *id;      /* NUL-terminated, owned by the table */
    const char *snippet; /* the text's opening words (--format groups) */
    size_t cluster;      /* ordinal of the cluster's first article */
    size_t match;        /* ordinal of the article matched, or NO_MATCH */
    double similarity;   /* with match; 0 when none */
    uint64_t line;       /* line in its input; 0 for a whole file */
    uint32_t file;       /* index in the input list */
    uint8_t id_number;   /* the id was a JSON number: write it as one */
} article;

typedef struct arena_chunk arena_chunk;

typedef struct articles {
    article *v;
    size_t count;
    size_t cap;
    arena_chunk *chunks;
    /* Open addressing, linear probing: ordinal + 1, 0 for empty. */
    size_t *slots;
    uint64_t *slot_hash;
    size_t nslots;
} articles;

void articles_init(articles *a);
void articles_free(articles *a);

/* A NUL-terminated copy of s[0..n) that lives as long as the table. */
const char *articles_intern(articles *a, const char *s, size_t n);

/* Append art (its id interned already, id_len bytes). Returns the ordinal
 * of the first earlier article with the same id, or NO_MATCH. */
size_t articles_add(articles *a, const article *art, size_t id_len);

#endif
