/*
 * Durable storage of an index in LMDB. Internal to the library.
 *
 * Two tables: "meta" holds the parameters, "docs" one record per article
 * keyed by its sequence number (big-endian, so LMDB's order is the order of
 * addition and loading replays it). LMDB gives transactions, crash safety
 * and many readers but checks nothing of what it holds, so every record
 * carries an XXH3 of its bytes, checked when read. The byte formats are in
 * store/record.c; this file's functions are in store/store.c.
 */
#ifndef SHEAF_STORE_STORE_H
#define SHEAF_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "sheaf.h"

typedef struct sheaf__store sheaf__store;

/* One article as stored: what the model needs (seq, time, id, cluster
 * name) and its engine's payload. Loading hands out pointers into the
 * store, valid during the callback only. */
typedef struct sheaf__stored_doc {
    uint64_t seq;
    int64_t time;
    const char *id;
    size_t id_len;
    const char *cluster;
    size_t cluster_len;
    const uint8_t *payload;
    size_t payload_len;
} sheaf__stored_doc;

/* Open or create the store at path (a file, plus path-lock beside it).
 * A writer takes an exclusive lock: SHEAF_EBUSY when another process has
 * it. SHEAF_ECORRUPT when the file is not an LMDB environment. Failures
 * say so with the path (sheaf_errmsg). */
int sheaf__store_open(const char *path, int readonly, sheaf__store **out);
void sheaf__store_close(sheaf__store *s); /* NULL is a no-op */
/* Close, and remove the files this open created (the store and LMDB's
 * lock file beside it): a failed open leaves no trace. */
void sheaf__store_discard(sheaf__store *s, const char *path);

/* The stored parameters: SHEAF_ENOTFOUND in a new store, SHEAF_ECORRUPT
 * when damaged, SHEAF_EMISMATCH for a format this release cannot read. */
int sheaf__store_get_params(sheaf__store *s, sheaf_params *p);
int sheaf__store_put_params(sheaf__store *s, const sheaf_params *p);

/* Every article in order of sequence number; stops at the first nonzero
 * return of each(). Checks every checksum and that the count of records
 * is what LMDB says it holds: SHEAF_ECORRUPT on a bad one, or, when
 * damaged is not NULL, damaged(ctx, seq, code) for each bad record and
 * SHEAF_ECORRUPT at the end. */
int sheaf__store_load(sheaf__store *s,
                      int (*each)(void *ctx, const sheaf__stored_doc *d),
                      void (*damaged)(void *ctx, uint64_t seq, int code),
                      void *ctx);

/* Group the following writes into one transaction until commit. Without
 * a group, each put and delete commits on its own. A write that fails
 * inside a group drops the whole group (sheaf__store_in_group then says
 * 0). */
int sheaf__store_begin(sheaf__store *s);
int sheaf__store_commit(sheaf__store *s);
void sheaf__store_abort(sheaf__store *s);
int sheaf__store_in_group(const sheaf__store *s);

int sheaf__store_put(sheaf__store *s, const sheaf__stored_doc *d);
int sheaf__store_del(sheaf__store *s, uint64_t seq);

/* Articles stored: SHEAF_OK and *n, or an error. */
int sheaf__store_count(sheaf__store *s, size_t *n);

/* store/check.c: check the LMDB file open at fd (path for messages)
 * before LMDB maps it: SHEAF_ECORRUPT, naming the file and what is wrong,
 * for an empty file, a file shorter than its meta pages claim, and any
 * damage to a page in use; reads only. */
int sheaf__store_check(int fd, const char *path);

/* store/record.c: the byte formats. */

#define SHEAF__PARAMS_KEY "params"

/* The parameters' record into b (room for SHEAF__PARAMS_MAX bytes); its
 * size. */
#define SHEAF__PARAMS_MAX 128
size_t sheaf__record_params(const sheaf_params *p, uint8_t *b);
int sheaf__record_read_params(const uint8_t *b, size_t n, sheaf_params *p);

/* An article's record: its size, and the bytes into b. */
size_t sheaf__record_doc_size(const sheaf__stored_doc *d);
void sheaf__record_doc(const sheaf__stored_doc *d, uint8_t *b);
/* Check and decode the record b[0..n) of key seq into *d, pointing into
 * b; a record of format 1 (near mode, sheaf 0.2) is rewritten into the
 * payload of today's near engine in scratch, which has room for
 * SHEAF__V1_SCRATCH bytes. */
#define SHEAF__V1_SCRATCH (3 + 2 * SHEAF_MAX_HASHES)
int sheaf__record_read_doc(uint64_t seq, const uint8_t *b, size_t n,
                           uint8_t *scratch, sheaf__stored_doc *d);

#endif
