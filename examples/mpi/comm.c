/* Messages between ranks (see comm.h). */
#include "comm.h"

#include <limits.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void bytes_put(bytes *b, const void *p, size_t n)
{
    if (b->cap - b->n < n) {
        size_t cap = b->cap ? 2 * b->cap : 4096;
        while (cap - b->n < n)
            cap *= 2;
        b->p = xreallocarray(b->p, cap, 1);
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

void bytes_u8(bytes *b, uint8_t v) { bytes_put(b, &v, 1); }
void bytes_u32(bytes *b, uint32_t v) { bytes_put(b, &v, 4); }
void bytes_u64(bytes *b, uint64_t v) { bytes_put(b, &v, 8); }
void bytes_f64(bytes *b, double v) { bytes_put(b, &v, 8); }

void bytes_str(bytes *b, const char *s, size_t n)
{
    bytes_u32(b, (uint32_t)n);
    bytes_put(b, s, n);
}

void bytes_free(bytes *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* The ranks all run this program, so a short message is a bug, not
 * input: stop rather than read past the end. */
void take_bytes(cursor *c, void *dst, size_t n)
{
    if ((size_t)(c->end - c->p) < n)
        die_all(3, "internal error: a message ended early");
    memcpy(dst, c->p, n);
    c->p += n;
}

uint8_t take_u8(cursor *c)
{
    uint8_t v;
    take_bytes(c, &v, 1);
    return v;
}

uint32_t take_u32(cursor *c)
{
    uint32_t v;
    take_bytes(c, &v, 4);
    return v;
}

uint64_t take_u64(cursor *c)
{
    uint64_t v;
    take_bytes(c, &v, 8);
    return v;
}

double take_f64(cursor *c)
{
    double v;
    take_bytes(c, &v, 8);
    return v;
}

const char *take_str(cursor *c, size_t *n)
{
    *n = take_u32(c);
    if ((size_t)(c->end - c->p) < *n)
        die_all(3, "internal error: a message ended early");
    const char *s = c->p;
    c->p += *n;
    return s;
}

static int count_of(size_t n)
{
    if (n > INT_MAX)
        die_all(3, "a message of %zu bytes is more than MPI takes at once; "
                   "run with more ranks",
                n);
    return (int)n;
}

void exchange(world *w, bytes *out, bytes *in, size_t *from)
{
    int n = w->size;
    int *sc = xcalloc((size_t)n, sizeof *sc), *rc = xcalloc((size_t)n, sizeof *rc);
    MPI_Request *req = xcalloc(2 * (size_t)n, sizeof *req);
    for (int d = 0; d < n; d++)
        sc[d] = count_of(out[d].n);
    MPI_Alltoall(sc, 1, MPI_INT, rc, 1, MPI_INT, MPI_COMM_WORLD);
    size_t total = 0;
    for (int s = 0; s < n; s++) {
        from[s] = total;
        total += (size_t)rc[s];
    }
    from[n] = total;
    if (in->cap < total + 1) {
        free(in->p);
        in->cap = total + 1;
        in->p = xmalloc(in->cap);
    }
    /* Straight from each peer's buffer into its place: no packing copy,
     * and this rank's own share is a memcpy. */
    int nreq = 0;
    for (int s = 0; s < n; s++)
        if (s != w->rank && rc[s])
            MPI_Irecv(in->p + from[s], rc[s], MPI_BYTE, s, 17, MPI_COMM_WORLD,
                      &req[nreq++]);
    for (int d = 0; d < n; d++) {
        if (d == w->rank || !sc[d])
            continue;
        MPI_Isend(out[d].p, sc[d], MPI_BYTE, d, 17, MPI_COMM_WORLD,
                  &req[nreq++]);
        w->messages++;
        w->bytes += out[d].n;
    }
    if (out[w->rank].n)
        memcpy(in->p + from[w->rank], out[w->rank].p, out[w->rank].n);
    MPI_Waitall(nreq, req, MPI_STATUSES_IGNORE);
    in->n = total;
    for (int d = 0; d < n; d++)
        out[d].n = 0;
    free(sc);
    free(rc);
    free(req);
}

uint64_t sum_all(uint64_t v)
{
    uint64_t s;
    MPI_Allreduce(&v, &s, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    return s;
}

uint64_t max_all(uint64_t v)
{
    uint64_t s;
    MPI_Allreduce(&v, &s, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    return s;
}

void die_all(int status, const char *fmt, ...)
{
    int rank = 0;
    va_list ap;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    fprintf(stderr, "sheaf-mpi: rank %d: ", rank);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    MPI_Abort(MPI_COMM_WORLD, status);
    exit(status);
}
