/*
 * Inputs: the list of files to read (arguments with directories expanded)
 * and a byte stream over one of them that undoes gzip or zstd compression,
 * recognised by magic bytes whatever the file is called.
 */
#ifndef CLUSTER_INPUT_H
#define CLUSTER_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum input_format {
    INPUT_AUTO,  /* by file name: *.jsonl, *.ndjson, *.json are JSONL */
    INPUT_JSONL, /* every file is JSONL */
    INPUT_TEXT   /* every file, standard input too, is one article */
} input_format;

typedef struct input_file {
    char *path;       /* NULL: standard input */
    const char *name; /* for messages and text-file ids: path or "<stdin>" */
    int jsonl;        /* one record per line, else one article per file */
} input_file;

typedef struct input_list {
    input_file *files;
    size_t count;
    size_t cap;
    uint64_t total_size; /* bytes on disk of them all, for progress */
    int size_known;      /* every input is a regular file */
} input_list;

/* Append the inputs named by args[0..n) ("-" is standard input; a directory
 * stands for every file below it, sorted by name, hidden ones left out).
 * Reports each argument or directory entry that cannot be used, on standard
 * error at once; returns how many were reported. With stop_at_first, returns
 * at the first such problem. */
size_t input_list_add(input_list *l, char *const *args, size_t n,
                      input_format fmt, int stop_at_first);

void input_list_free(input_list *l);

/* A decompressing reader over one input file. */
typedef struct bsrc bsrc;

/* Open f. NULL on failure, with the reason in msg. With threaded set, a
 * compressed input is decompressed ahead on a thread of its own. */
bsrc *bsrc_open(const input_file *f, int threaded, char *msg, size_t msglen);

/* Up to cap decompressed bytes into dst: the count, 0 at the end of the
 * input, or -1 when reading or decompressing failed (bsrc_error says why;
 * every byte decoded before the failure has been returned first). */
ssize_t bsrc_read(bsrc *s, char *dst, size_t cap);

/* Why the last bsrc_read failed. */
const char *bsrc_error(const bsrc *s);

/* Bytes read from the file so far (compressed when it is compressed). */
uint64_t bsrc_consumed(const bsrc *s);

void bsrc_close(bsrc *s);

#endif
