/*
 * Inputs (see input.h): expanding arguments into files, and reading a file
 * through zlib or libzstd when its first bytes say it is compressed.
 */
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "diag.h"
#include "interrupt.h"
#include "xalloc.h"

/* ------------------------------------------------------------ the list */

static int has_suffix(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* JSONL by name: *.jsonl, *.ndjson or *.json, optionally compressed. */
static int jsonl_name(const char *path)
{
    size_t n = strlen(path);
    if (has_suffix(path, n, ".gz"))
        n -= 3;
    else if (has_suffix(path, n, ".zst"))
        n -= 4;
    return has_suffix(path, n, ".jsonl") || has_suffix(path, n, ".ndjson") ||
           has_suffix(path, n, ".json");
}

static void append_input(input_list *l, char *path, input_format fmt,
                         const struct stat *st)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->files = xreallocarray(l->files, l->cap, sizeof *l->files);
    }
    input_file *f = &l->files[l->count++];
    f->path = path;
    f->name = path ? path : "<stdin>";
    f->jsonl = fmt == INPUT_JSONL ||
               (fmt == INPUT_AUTO && (!path || jsonl_name(path)));
    if (st && S_ISREG(st->st_mode))
        l->total_size += (uint64_t)st->st_size;
    else
        l->size_known = 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directories being walked, to notice a symbolic link that leads back
 * into one of them. */
typedef struct ancestor {
    dev_t dev;
    ino_t ino;
    const struct ancestor *up;
} ancestor;

typedef struct walk {
    input_list *list;
    input_format fmt;
    int stop_at_first;
    size_t problems;
} walk;

static void add_path(walk *w, char *path, const struct stat *st,
                     const ancestor *up);

static void walk_dir(walk *w, char *path, const struct stat *st,
                     const ancestor *up)
{
    for (const ancestor *a = up; a; a = a->up)
        if (a->dev == st->st_dev && a->ino == st->st_ino) {
            diag("%s: warning: link back to a directory above it; not followed",
                 path);
            free(path);
            return;
        }
    DIR *d = opendir(path);
    if (!d) {
        diag("%s: %s", path, strerror(errno));
        w->problems++;
        free(path);
        return;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    size_t plen = strlen(path);
    int slash = plen > 0 && path[plen - 1] == '/';
    for (errno = 0; (e = readdir(d)) != NULL; errno = 0) {
        /* Hidden entries (., .., editor and VCS droppings) are not news. */
        if (e->d_name[0] == '.')
            continue;
        size_t nlen = strlen(e->d_name);
        char *child = xmalloc(plen + 1 + nlen + 1);
        memcpy(child, path, plen);
        size_t at = plen;
        if (!slash)
            child[at++] = '/';
        memcpy(child + at, e->d_name, nlen + 1);
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            names = xreallocarray(names, cap, sizeof *names);
        }
        names[count++] = child;
    }
    if (errno) {
        diag("%s: %s", path, strerror(errno));
        w->problems++;
    }
    closedir(d);
    qsort(names, count, sizeof *names, by_name);
    ancestor here = {st->st_dev, st->st_ino, up};
    size_t i = 0;
    for (; i < count && !(w->stop_at_first && w->problems); i++) {
        struct stat cst;
        if (stat(names[i], &cst) != 0) {
            diag("%s: %s", names[i], strerror(errno));
            w->problems++;
            free(names[i]);
            continue;
        }
        if (!S_ISDIR(cst.st_mode) && !S_ISREG(cst.st_mode)) {
            /* A fifo or device inside a tree is not an article; one named
             * on the command line is read (see add_path). */
            diag("%s: warning: not a regular file; ignored", names[i]);
            free(names[i]);
            continue;
        }
        add_path(w, names[i], &cst, &here);
    }
    for (; i < count; i++)
        free(names[i]);
    free(names);
    free(path);
}

static void add_path(walk *w, char *path, const struct stat *st,
                     const ancestor *up)
{
    if (S_ISDIR(st->st_mode))
        walk_dir(w, path, st, up);
    else
        append_input(w->list, path, w->fmt, st);
}

size_t input_list_add(input_list *l, char *const *args, size_t n,
                      input_format fmt, int stop_at_first)
{
    walk w = {l, fmt, stop_at_first, 0};
    if (l->count == 0)
        l->size_known = 1;
    for (size_t i = 0; i < n && !(stop_at_first && w.problems); i++) {
        struct stat st;
        if (strcmp(args[i], "-") == 0) {
            /* Standard input redirected from a file has a known size. */
            append_input(l, NULL, fmt,
                         fstat(STDIN_FILENO, &st) == 0 ? &st : NULL);
            continue;
        }
        if (stat(args[i], &st) != 0) {
            diag("%s: %s", args[i], strerror(errno));
            w.problems++;
            continue;
        }
        add_path(&w, xstrdup(args[i]), &st, NULL);
    }
    return w.problems;
}

void input_list_free(input_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->files[i].path);
    free(l->files);
    memset(l, 0, sizeof *l);
}

/* ------------------------------------------------------ the byte stream */

#define IN_BUF (256u * 1024)

typedef enum codec { CODEC_PLAIN, CODEC_GZIP, CODEC_ZSTD } codec;

/* Decompression on a thread of its own. Inflate runs at about 250 MB/s,
 * slower than everything else but the library, and on the main thread it
 * would hold up the in-order index insertion; with a ring of decoded
 * chunks it runs ahead on another core. */
#define CHUNK_BYTES ((size_t)1 << 20)
#define CHUNKS 4

typedef struct chunk {
    char *data;
    size_t len;        /* bytes decoded; 0 for the last chunk */
    size_t pos;        /* bytes handed out */
    int failed;        /* the last chunk: decoding failed (see err) */
    uint64_t consumed; /* raw bytes read when it was filled */
} chunk;

typedef struct decoder {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* a chunk was filled, or emptied, or stop */
    chunk chunks[CHUNKS];
    size_t head; /* chunks taken; positions grow, index mod CHUNKS */
    size_t tail; /* chunks filled */
    int stop;
    uint64_t consumed; /* as of the chunk being handed out */
} decoder;

struct bsrc {
    int fd;
    codec codec;
    int eof;    /* read() has returned 0 */
    int failed; /* an error is pending or was returned */
    uint64_t consumed;
    unsigned char *in; /* raw bytes read ahead */
    size_t in_len;
    size_t in_pos; /* CODEC_PLAIN: next byte of in to hand out */
    z_stream z;
    int member_done; /* gzip: the current member has ended */
    int members;     /* gzip: members decoded to their end */
    ZSTD_DCtx *zd;
    ZSTD_inBuffer zin;
    size_t zret; /* last ZSTD_decompressStream result: 0 at a frame's end */
    char err[256];
    decoder *dec;    /* NULL: decompression happens in bsrc_read */
    int interrupted; /* a wait for the decoder gave up on a signal */
};

static ssize_t fail_read(bsrc *s, const char *fmt, const char *detail)
{
    snprintf(s->err, sizeof s->err, fmt, detail);
    s->failed = 1;
    return -1;
}

/* Read more raw bytes into in, replacing what it held. 0 on success (and
 * at the end of file, which sets eof), -1 on a read error. */
static int refill(bsrc *s)
{
    ssize_t n;
    int cancel;
    /* The decoder thread can be cancelled here, and only here: blocked on
     * a pipe, with no lock held (see bsrc_close). */
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &cancel);
    n = interrupt_read(s->fd, s->in, IN_BUF);
    pthread_setcancelstate(cancel, NULL);
    if (n < 0) {
        fail_read(s, "read error: %s", strerror(errno));
        return -1;
    }
    s->in_len = (size_t)n;
    s->in_pos = 0;
    s->consumed += (uint64_t)n;
    if (n == 0)
        s->eof = 1;
    return 0;
}

static void start_decoder(bsrc *s);

/* Whether a zstd stream starts here: a frame (magic 0xFD2FB528), or a
 * skippable frame (0x184D2A50 to 0x184D2A5F, little-endian), which pzstd
 * writes first and libzstd skips wherever it comes. */
static int zstd_magic(const unsigned char *m, size_t n)
{
    if (n < 4)
        return 0;
    uint32_t magic = (uint32_t)m[0] | (uint32_t)m[1] << 8 |
                     (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
    return magic == ZSTD_MAGICNUMBER ||
           (magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START;
}

bsrc *bsrc_open(const input_file *f, int threaded, char *msg, size_t msglen)
{
    int fd = STDIN_FILENO;
    if (f->path) {
        /* Opening a fifo waits for a writer: a stopping run gives up. */
        do
            fd = open(f->path, O_RDONLY);
        while (fd < 0 && errno == EINTR && !interrupt_signal());
        if (fd < 0) {
            snprintf(msg, msglen, "%s", strerror(errno));
            return NULL;
        }
    }
    bsrc *s = xcalloc(1, sizeof *s);
    s->fd = fd;
    s->in = xmalloc(IN_BUF);
    /* Read until the magic bytes can be seen: a pipe may deliver less. */
    while (!s->eof && s->in_len < 4) {
        ssize_t n = interrupt_read(fd, s->in + s->in_len, IN_BUF - s->in_len);
        if (n < 0) {
            snprintf(msg, msglen, "read error: %s", strerror(errno));
            bsrc_close(s);
            return NULL;
        }
        if (n == 0)
            s->eof = 1;
        s->in_len += (size_t)n;
        s->consumed += (uint64_t)n;
    }
    if (s->in_len >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b) {
        s->codec = CODEC_GZIP;
        /* 16 + MAX_WBITS: gzip wrapper only, so a corrupt header is an
         * error rather than being taken for zlib or raw deflate. */
        if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) {
            snprintf(msg, msglen, "cannot start zlib");
            bsrc_close(s);
            return NULL;
        }
        s->z.next_in = s->in;
        s->z.avail_in = (uInt)s->in_len;
    } else if (zstd_magic(s->in, s->in_len)) {
        s->codec = CODEC_ZSTD;
        s->zd = ZSTD_createDCtx();
        if (!s->zd)
            die_nomem();
        s->zin = (ZSTD_inBuffer){s->in, s->in_len, 0};
        s->zret = 1;
    }
    if (threaded && s->codec != CODEC_PLAIN)
        start_decoder(s);
    return s;
}

static ssize_t plain_read(bsrc *s, char *dst, size_t cap)
{
    if (s->in_pos < s->in_len) {
        size_t n = s->in_len - s->in_pos;
        if (n > cap)
            n = cap;
        memcpy(dst, s->in + s->in_pos, n);
        s->in_pos += n;
        return (ssize_t)n;
    }
    if (s->eof)
        return 0;
    /* Past the read-ahead: straight into the caller's buffer. */
    if (cap > SSIZE_MAX)
        cap = SSIZE_MAX;
    ssize_t n = interrupt_read(s->fd, dst, cap);
    if (n < 0)
        return fail_read(s, "read error: %s", strerror(errno));
    if (n == 0)
        s->eof = 1;
    s->consumed += (uint64_t)n;
    return n;
}

/* Concatenated gzip members (as pigz and `cat a.gz b.gz` make) are one
 * stream, as gzip -d treats them. */
static ssize_t gzip_read(bsrc *s, char *dst, size_t cap)
{
    z_stream *z = &s->z;
    if (cap > UINT_MAX)
        cap = UINT_MAX;
    z->next_out = (Bytef *)dst;
    z->avail_out = (uInt)cap;
    while (z->avail_out > 0) {
        if (z->avail_in == 0 && !s->eof) {
            /* Hand over what is decoded before waiting for more input,
             * which on a pipe may take a while. */
            if (z->avail_out < cap)
                break;
            if (refill(s) < 0)
                break;
            z->next_in = s->in;
            z->avail_in = (uInt)s->in_len;
        }
        if (s->member_done) {
            if (z->avail_in == 0)
                break; /* clean end */
            inflateReset(z);
            s->member_done = 0;
        }
        if (z->avail_in == 0) {
            fail_read(s, "%s", "truncated gzip data (unexpected end of file)");
            break;
        }
        int ret = inflate(z, Z_NO_FLUSH);
        if (ret == Z_STREAM_END) {
            s->member_done = 1;
            s->members++;
        } else if (ret != Z_OK && !(ret == Z_BUF_ERROR && z->avail_in == 0)) {
            /* What follows a complete member and does not even start a
             * new one is junk appended to the file, not damage in it. */
            if (s->members > 0 && z->total_out == 0)
                fail_read(s, "%s", "trailing garbage after gzip data");
            else
                fail_read(s, "corrupt gzip data (%s)",
                          z->msg ? z->msg : "unknown zlib error");
            break;
        }
    }
    size_t produced = cap - z->avail_out;
    if (produced)
        return (ssize_t)produced;
    return s->failed ? -1 : 0;
}

static ssize_t zstd_read(bsrc *s, char *dst, size_t cap)
{
    ZSTD_outBuffer out = {dst, cap, 0};
    while (out.pos < cap) {
        if (s->zin.pos == s->zin.size && !s->eof) {
            if (out.pos > 0)
                break; /* as in gzip_read */
            if (refill(s) < 0)
                break;
            s->zin = (ZSTD_inBuffer){s->in, s->in_len, 0};
        }
        size_t before = out.pos, consumed = s->zin.pos;
        size_t ret = ZSTD_decompressStream(s->zd, &out, &s->zin);
        if (ZSTD_isError(ret)) {
            fail_read(s, "corrupt zstd data (%s)", ZSTD_getErrorName(ret));
            break;
        }
        if (out.pos != before || s->zin.pos != consumed) {
            s->zret = ret;
            continue;
        }
        /* No progress with the output buffer not full: the input is all
         * used up. That is the end if the last frame was complete (a
         * call that made progress returned 0), else the file stops
         * inside a frame. */
        if (s->zret != 0)
            fail_read(s, "%s", "truncated zstd data (unexpected end of file)");
        break;
    }
    if (out.pos)
        return (ssize_t)out.pos;
    return s->failed ? -1 : 0;
}

static ssize_t decode(bsrc *s, char *dst, size_t cap)
{
    if (s->failed)
        return -1;
    switch (s->codec) {
    case CODEC_GZIP:
        return gzip_read(s, dst, cap);
    case CODEC_ZSTD:
        return zstd_read(s, dst, cap);
    case CODEC_PLAIN:
        break;
    }
    return plain_read(s, dst, cap);
}

/* The decoder thread: fill chunks until the end of the input, an error,
 * or stop. It owns everything of s but the ring's indices. */
static void *decoder_main(void *arg)
{
    bsrc *s = arg;
    decoder *d = s->dec;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    for (;;) {
        pthread_mutex_lock(&d->lock);
        while (!d->stop && d->tail - d->head == CHUNKS)
            pthread_cond_wait(&d->cond, &d->lock);
        int stop = d->stop;
        chunk *c = &d->chunks[d->tail % CHUNKS];
        pthread_mutex_unlock(&d->lock);
        if (stop)
            break;
        ssize_t n = decode(s, c->data, CHUNK_BYTES);
        pthread_mutex_lock(&d->lock);
        c->len = n > 0 ? (size_t)n : 0;
        c->pos = 0;
        c->failed = n < 0;
        c->consumed = s->consumed;
        d->tail++;
        pthread_cond_broadcast(&d->cond);
        pthread_mutex_unlock(&d->lock);
        if (n <= 0)
            break;
    }
    return NULL;
}

static void start_decoder(bsrc *s)
{
    decoder *d = xcalloc(1, sizeof *d);
    for (size_t i = 0; i < CHUNKS; i++)
        d->chunks[i].data = xmalloc(CHUNK_BYTES);
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, NULL);
    d->consumed = s->consumed;
    s->dec = d;
    if (interrupt_thread_create(&d->thread, decoder_main, s) != 0) {
        /* No thread: decompress in bsrc_read, as without one. */
        s->dec = NULL;
        pthread_mutex_destroy(&d->lock);
        pthread_cond_destroy(&d->cond);
        for (size_t i = 0; i < CHUNKS; i++)
            free(d->chunks[i].data);
        free(d);
    }
}

/* How long the main thread waits for the decoder before it looks whether
 * the run is being interrupted: a signal cannot wake a condition wait, and
 * the decoder may be blocked on a pipe that never delivers. */
#define DECODER_POLL_NS 100000000L

/* Hand out decoded bytes from the oldest chunk; -1 once a signal was
 * caught (see interrupt.h) while waiting for one. */
static ssize_t take(bsrc *s, char *dst, size_t cap)
{
    decoder *d = s->dec;
    pthread_mutex_lock(&d->lock);
    while (d->head == d->tail) {
        if (interrupt_signal()) {
            pthread_mutex_unlock(&d->lock);
            s->interrupted = 1;
            return -1;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += DECODER_POLL_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->cond, &d->lock, &until);
    }
    chunk *c = &d->chunks[d->head % CHUNKS];
    d->consumed = c->consumed;
    pthread_mutex_unlock(&d->lock);
    if (c->len == 0)
        return c->failed ? -1 : 0; /* the last chunk stays the answer */
    size_t n = c->len - c->pos < cap ? c->len - c->pos : cap;
    memcpy(dst, c->data + c->pos, n);
    c->pos += n;
    if (c->pos == c->len) {
        pthread_mutex_lock(&d->lock);
        d->head++;
        pthread_cond_broadcast(&d->cond);
        pthread_mutex_unlock(&d->lock);
    }
    return (ssize_t)n;
}

ssize_t bsrc_read(bsrc *s, char *dst, size_t cap)
{
    return s->dec ? take(s, dst, cap) : decode(s, dst, cap);
}

const char *bsrc_error(const bsrc *s)
{
    /* err belongs to the decoder thread until it hands over its last
     * chunk, which an interrupted wait did not see. */
    return s->interrupted ? strerror(EINTR) : s->err;
}

uint64_t bsrc_consumed(const bsrc *s)
{
    return s->dec ? s->dec->consumed : s->consumed;
}

/* Stop the decoder thread: it notices stop between chunks; blocked reading
 * a pipe that may never deliver, it is cancelled (only there: refill). */
static void stop_decoder(decoder *d)
{
    pthread_mutex_lock(&d->lock);
    d->stop = 1;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    pthread_cancel(d->thread);
    pthread_join(d->thread, NULL);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->cond);
    for (size_t i = 0; i < CHUNKS; i++)
        free(d->chunks[i].data);
    free(d);
}

void bsrc_close(bsrc *s)
{
    if (!s)
        return;
    if (s->dec)
        stop_decoder(s->dec);
    if (s->codec == CODEC_GZIP)
        inflateEnd(&s->z);
    ZSTD_freeDCtx(s->zd);
    if (s->fd != STDIN_FILENO)
        close(s->fd);
    free(s->in);
    free(s);
}
