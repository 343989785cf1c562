/* The bench's input (see source.h). libzstd and zlib, as the clusterer. */
#include "source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A zstd frame or a skippable frame (which pzstd writes first). */
static int is_zstd(const unsigned char *b, size_t n)
{
    if (n < 4)
        return 0;
    uint32_t m = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                 (uint32_t)b[3] << 24;
    return m == ZSTD_MAGICNUMBER || (m & 0xFFFFFFF0u) == ZSTD_MAGIC_SKIPPABLE_START;
}

int source_open(source *s, const char *path)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char head[4];
    size_t n = fread(head, 1, sizeof head, f);
    if (!is_zstd(head, n)) {
        fclose(f);
        if (!(s->gz = gzopen(path, "rb")))
            return -1;
        gzbuffer(s->gz, 1 << 20);
        return 0;
    }
    rewind(f);
    s->raw = f;
    s->inbuf = malloc(ZSTD_DStreamInSize());
    s->z = ZSTD_createDStream();
    if (!s->inbuf || !s->z) {
        source_close(s);
        errno = ENOMEM;
        return -1;
    }
    s->in.src = s->inbuf;
    return 0;
}

long source_read(source *s, char *buf, size_t n)
{
    if (s->gz) {
        int got = gzread(s->gz, buf, (unsigned)(n > 1u << 30 ? 1u << 30 : n));
        return got;
    }
    ZSTD_outBuffer out = {buf, n, 0};
    while (out.pos == 0) {
        if (s->in.pos == s->in.size) {
            if (s->eof)
                return 0;
            s->in.size = fread(s->inbuf, 1, ZSTD_DStreamInSize(), s->raw);
            s->in.pos = 0;
            if (s->in.size == 0) {
                s->eof = 1;
                /* A frame left unfinished: the file was cut short. */
                return ferror(s->raw) || s->unfinished ? -1 : 0;
            }
        }
        size_t rc = ZSTD_decompressStream(s->z, &out, &s->in);
        if (ZSTD_isError(rc))
            return -1;
        s->unfinished = rc != 0;
    }
    return (long)out.pos;
}

uint64_t source_raw_bytes(const source *s)
{
    if (s->gz) {
        z_off_t o = gzoffset(s->gz);
        return o > 0 ? (uint64_t)o : 0;
    }
    long at = ftell(s->raw);
    return at > 0 ? (uint64_t)at - (s->in.size - s->in.pos) : 0;
}

void source_close(source *s)
{
    if (s->gz)
        gzclose(s->gz);
    if (s->raw)
        fclose(s->raw);
    ZSTD_freeDStream(s->z);
    free(s->inbuf);
    memset(s, 0, sizeof *s);
}
