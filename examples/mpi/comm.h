/*
 * Messages between ranks: growable byte buffers, a cursor to read them
 * back, and the all-to-all exchange every phase of sheaf-mpi is built on
 * (one collective per batch of work, never a message per article).
 */
#ifndef MPI_COMM_H
#define MPI_COMM_H

#include <stddef.h>
#include <stdint.h>

typedef struct world {
    int rank;
    int size;
    /* What this rank sent, for the report of --verbose runs and the
     * README's tables: messages (one per peer per exchange) and bytes. */
    uint64_t messages;
    uint64_t bytes;
} world;

typedef struct bytes {
    char *p;
    size_t n;
    size_t cap;
} bytes;

void bytes_put(bytes *b, const void *p, size_t n);
void bytes_u8(bytes *b, uint8_t v);
void bytes_u32(bytes *b, uint32_t v);
void bytes_u64(bytes *b, uint64_t v);
void bytes_f64(bytes *b, double v);
/* A length (u32) and the string's bytes. */
void bytes_str(bytes *b, const char *s, size_t n);
void bytes_free(bytes *b);

typedef struct cursor {
    const char *p;
    const char *end;
} cursor;

uint8_t take_u8(cursor *c);
uint32_t take_u32(cursor *c);
uint64_t take_u64(cursor *c);
double take_f64(cursor *c);
/* A string put by bytes_str: its bytes (not NUL-terminated) and length. */
const char *take_str(cursor *c, size_t *n);
void take_bytes(cursor *c, void *dst, size_t n);

/* Every rank sends out[d] to rank d (out[] has w->size buffers, emptied
 * afterwards) and receives into *in what each rank sent it, in rank
 * order, rank s's bytes at in->p + from[s] up to from[s + 1]. Collective.
 * Ends the job with a message if one message would pass 2 GiB (MPI
 * counts are int). */
void exchange(world *w, bytes *out, bytes *in, size_t *from);

/* Sum, over all ranks, of a local count. Collective. */
uint64_t sum_all(uint64_t v);
uint64_t max_all(uint64_t v);

/* Print "sheaf-mpi: rank R: ..." and end the whole job with status. */
void die_all(int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3), noreturn))
#endif
    ;

#endif
