/*
 * This rank's share of the input. Every rank walks the whole input list
 * with the clusterer's reader, cutting it into the same batches in the
 * same order; batch k is this rank's when k mod size == rank, and only
 * its own batches are parsed, checked, signed and reported on here. So
 * the ranks parse and sign disjoint parts, agree on every record's place
 * without a message, and each problem is reported once, by the rank that
 * owns its record.
 *
 * Articles are numbered densely in input order ("doc" numbers) once the
 * ranks have swapped how many good articles each batch held.
 */
#ifndef MPI_SHARE_H
#define MPI_SHARE_H

#include <stddef.h>
#include <stdint.h>

#include "articles.h"
#include "batch.h"
#include "comm.h"
#include "input.h"
#include "options.h"
#include "sheaf.h"

#define NO_DOC UINT32_MAX

typedef struct own {
    const char *id; /* NUL-terminated, in the share's arena */
    uint32_t doc;   /* its number in input order, among all ranks' */
    const char *snippet; /* --format groups */
    const char *text;    /* story mode: the text, decided on rank 0 */
    size_t text_len;
    uint64_t line;
    uint32_t file;
    int64_t time;
    uint8_t id_number;
    uint8_t shingles; /* near mode: the text had shingles */
    /* Near mode, decided on this rank: the doc number of the match, or
     * NO_DOC, and the similarity with it. */
    uint32_t match;
    double similarity;
} own;

typedef struct share {
    const options *opt;
    const input_list *inputs;
    record_fields fields; /* the JSON fields read, from the options */
    own *v; /* this rank's articles, in input order */
    size_t n;
    size_t cap;
    uint32_t hashes;  /* near mode: values per article */
    uint16_t *values; /* near mode: the low 16 bits the index keeps */
    articles arena;   /* only its string arena is used */
    /* Every batch of the input: good articles in it, the doc number of the
     * first, and its first article's position on its rank. */
    uint32_t nbatches;
    uint32_t *counts;
    uint32_t *start; /* nbatches + 1 */
    uint32_t *local;
    uint32_t first_doc; /* this rank's first article's doc number */
    uint64_t docs;      /* good articles in all */
    uint64_t skipped_records;
    uint64_t skipped_files;
    uint64_t warnings;
    uint64_t bytes; /* of input read (decompressed) */
    /* --strict: where this rank's first problem is (batch, record), and
     * its message, printed only if it is the first of all ranks. */
    uint64_t problem_at;
    char problem[700];
    /* Messages shown and hidden per input file (the clusterer's limit). */
    uint64_t *shown;
    uint64_t *hidden;
} share;

/* Read every input; parse, check and sign this rank's batches (hasher NULL
 * in story mode) with `threads` threads, keeping what the output needs.
 * Then swap batch counts with the other ranks. Collective. */
void share_read(share *s, world *w, const options *o, const input_list *in,
                const sheaf_hasher *hasher);

/* The rank holding article doc, and its position there. */
int share_owner(const share *s, const world *w, uint32_t doc, size_t *pos);

/* Report the problems hidden beyond the per-file limit (this rank's). */
void share_flush_hidden(share *s);

/* A message about a record this rank read (FILE:LINE: ...), under the
 * clusterer's limit per file. */
void share_note(share *s, uint32_t file, uint64_t line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

void share_free(share *s);

#endif
