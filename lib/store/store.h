/*
 * Durable storage of an index in LMDB: the parameters, and one record per
 * article (its id, time, cluster name and stored signature values), keyed
 * by its sequence number so that loading replays the order of addition.
 * LMDB gives transactions, crash safety and many readers; it keeps no
 * checksums, so every record carries an XXH3 of its bytes.
 */
#ifndef SHEAF_STORE_H
#define SHEAF_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "sheaf.h"

typedef struct sheaf__store sheaf__store;

/* One article as stored. Loading hands out pointers into the store, valid
 * during the callback only. */
typedef struct sheaf__stored_doc {
    uint64_t seq;
    int64_t time;
    int has_shingles;
    const char *id;
    size_t id_len;
    const char *cluster;
    size_t cluster_len;
    const uint16_t *values;
    uint32_t num_hashes;
} sheaf__stored_doc;

/* Open or create the store at path (a file, plus path-lock beside it).
 * A writer takes an exclusive lock: SHEAF_EBUSY when another process has
 * it. SHEAF_ECORRUPT when the file is not an LMDB environment. */
int sheaf__store_open(const char *path, int readonly, sheaf__store **out);
void sheaf__store_close(sheaf__store *s);
/* Close, and remove the files this open created (the store and LMDB's
 * lock file beside it): a failed open leaves no trace. */
void sheaf__store_discard(sheaf__store *s, const char *path);

/* The stored parameters: SHEAF_ENOTFOUND in a new store, SHEAF_ECORRUPT
 * when damaged, SHEAF_EMISMATCH for another format version. */
int sheaf__store_get_params(sheaf__store *s, sheaf_params *p);
int sheaf__store_put_params(sheaf__store *s, const sheaf_params *p);

/* Every article in order of sequence number; stops at the first nonzero
 * return of each(). Checks every checksum: SHEAF_ECORRUPT on a bad one. */
int sheaf__store_load(sheaf__store *s,
                      int (*each)(void *ctx, const sheaf__stored_doc *d),
                      void *ctx);

/* Group the following writes into one transaction until commit. Without
 * a group, each put and delete commits on its own. */
int sheaf__store_begin(sheaf__store *s);
int sheaf__store_commit(sheaf__store *s);
void sheaf__store_abort(sheaf__store *s);
int sheaf__store_in_group(const sheaf__store *s);

int sheaf__store_put(sheaf__store *s, const sheaf__stored_doc *d);
int sheaf__store_del(sheaf__store *s, uint64_t seq);

#endif
