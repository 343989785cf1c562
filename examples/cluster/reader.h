/*
 * The record reader: turns the input files into batches of records, one
 * per JSONL line or per text file, reading straight into the batch's block.
 *
 * A line or file longer than max_record bytes is not buffered: the reader
 * discards it as it streams past (memchr for the newline) and leaves a
 * RECORD_FAILURE saying so, so memory stays bounded whatever the input.
 */
#ifndef CLUSTER_READER_H
#define CLUSTER_READER_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "input.h"

typedef struct reader {
    const input_list *inputs;
    size_t max_record;
    int threaded; /* decompress on a thread of its own */
    size_t next;  /* the next input to open */
    size_t cur;   /* the open input, while src is set */
    bsrc *src;
    int jsonl;           /* the open input is JSONL */
    uint64_t line;       /* lines begun in the open input */
    uint64_t line_bytes; /* bytes of those lines, newlines included */
    int skipping;        /* discarding the rest of an over-long line */
    int nul;             /* a NUL byte ends the file's text at b->used */
    char *carry;         /* bytes read but not yet made records */
    size_t carry_len;
    size_t carry_cap;
    uint64_t raw_done; /* bytes read from inputs already closed */
    uint64_t bytes;    /* decompressed bytes read in all */
} reader;

void reader_init(reader *r, const input_list *inputs, size_t max_record,
                 int threaded);

/* Empty b and fill it with the next records, in input order. Returns how
 * many; 0 only when every input has been read. */
size_t reader_fill(reader *r, batch *b);

/* Bytes read from the files so far, as stored (compressed or not), for
 * progress against input_list.total_size. */
uint64_t reader_raw_bytes(const reader *r);

void reader_free(reader *r);

#endif
