/*
 * Batches: the unit of work between the reader (main thread), the signing
 * workers and the clusterer (main thread again, in input order).
 *
 * A batch owns one block of input bytes, a list of records pointing into it
 * and a signature per record. The reader fills the block straight from the
 * (decompressed) input, workers decode each record in place and sign it,
 * and nothing about a record is copied until the clusterer keeps its id.
 */
#ifndef CLUSTER_BATCH_H
#define CLUSTER_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "jsonl.h"
#include "sheaf.h"

/* A batch is handed over once its block holds about this much input, or
 * this many records (which bounds the memory of its signatures). */
#define BATCH_BLOCK ((size_t)1 << 20)
#define BATCH_MAX_RECORDS 256

typedef enum record_kind {
    RECORD_LINE,   /* a JSONL line */
    RECORD_FILE,   /* a whole text file: one article */
    RECORD_FAILURE /* the reader could not read something: see message */
} record_kind;

/* What a worker found; everything but RECORD_OK and RECORD_BLANK means
 * the record is skipped. */
typedef enum record_status {
    RECORD_OK,
    RECORD_BLANK,       /* a line of whitespace: silently ignored */
    RECORD_SYNTAX,      /* detail: jsonl_error, at: offset in the line */
    RECORD_NO_TEXT,     /* no text field */
    RECORD_TEXT_TYPE,   /* detail: the text field's jsonl_type */
    RECORD_EMPTY_TEXT,  /* "" (or an empty file) */
    RECORD_BINARY,      /* a text file holding NUL bytes */
    RECORD_ID_TYPE,     /* detail: the id field's jsonl_type */
    RECORD_TIME_TYPE,   /* detail: the time field's jsonl_type */
    RECORD_BAD_TIME,    /* detail: pubtime_error; the value at time_off */
    RECORD_SIGN_FAILED, /* sheaf_hasher_sign failed; detail: -code */
    RECORD_FAILED_READ  /* RECORD_FAILURE records */
} record_status;

/* RECORD_FAILURE details: what the failure cost. */
enum {
    FAILURE_FILE, /* a file, or the rest of one, could not be read */
    FAILURE_LINE  /* one over-long line was skipped */
};

typedef struct record {
    size_t off; /* the record's bytes in the block */
    size_t len;
    uint64_t line; /* 1-based line in its file; 0 for a whole file */
    uint32_t file; /* index in the input list */
    uint8_t kind;  /* record_kind */
    /* Set by the worker: */
    uint8_t status;  /* record_status */
    uint8_t detail;  /* see record_status; RECORD_FAILURE: FAILURE_* */
    uint8_t id_type; /* jsonl_type: JSONL_ABSENT, _STRING or _NUMBER */
    uint16_t id_surrogate; /* the id's first unpaired surrogate escape */
    int bad_utf8;    /* the text is not valid UTF-8 ... */
    size_t at;       /* ... from this offset in the text; or see status */
    size_t id_off;   /* the decoded id (or number as written) in the block */
    size_t id_len;
    size_t text_off; /* the decoded text in the block */
    size_t text_len;
    int64_t time;    /* publication time; SHEAF_NO_TIME when none */
    size_t time_off; /* the time as written (decoded) in the block */
    size_t time_len;
    char *message; /* RECORD_FAILURE: what went wrong (owned) */
} record;

typedef struct batch {
    char *block;
    size_t used;
    size_t cap;
    record recs[BATCH_MAX_RECORDS];
    size_t count;
    sheaf_signature *sigs; /* BATCH_MAX_RECORDS of them */
    int done;              /* the workers are through with it */
} batch;

batch *batch_new(void);

/* Empty the batch for reuse, shrinking a block that an unusually long
 * record grew, so memory stays bounded by the batches in flight. */
void batch_reset(batch *b);

void batch_free(batch *b);

/* The fields read from a JSONL record: the id and the text, and the
 * publication time when time is not NULL. */
typedef struct record_fields {
    jsonl_fields json;
    const char *time;
    size_t time_len;
} record_fields;

/* What workers need to process a batch; read-only while they run. */
typedef struct work_ctx {
    record_fields fields;
    const sheaf_hasher *hasher; /* NULL: sign nothing (story mode) */
} work_ctx;

/* Parse, check and sign every record: the workers' job. Touches nothing
 * but b, so batches can be processed concurrently. */
void batch_process(batch *b, const work_ctx *c);

/* Why record r of batch b is skipped, as a message for the user. */
void record_problem(const batch *b, const record *r, const record_fields *f,
                    char *buf, size_t n);

#endif
