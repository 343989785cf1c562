/* A dump as the bench reads it: zstd (recognised by its first bytes, a
 * skippable frame included), gzip or plain, as one stream of bytes. */
#ifndef SHEAF_BENCH_SOURCE_H
#define SHEAF_BENCH_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <zlib.h>
#include <zstd.h>

typedef struct source {
    gzFile gz;       /* gzip or plain */
    FILE *raw;       /* zstd: the file, */
    ZSTD_DStream *z; /* its decoder */
    ZSTD_inBuffer in;
    char *inbuf;
    int eof;
    int unfinished; /* inside a frame */
} source;

/* 0, or -1 (errno says why). */
int source_open(source *s, const char *path);
/* Up to n decompressed bytes into buf: how many, 0 at the end, -1 on a
 * read error or damaged data. */
long source_read(source *s, char *buf, size_t n);
/* Bytes of the file consumed so far. */
uint64_t source_raw_bytes(const source *s);
void source_close(source *s);

#endif
