/*
 * LMDB storage of an index; the format is described in store.h. All
 * integers are written little-endian byte by byte, so a store moves between
 * platforms; keys are big-endian so that LMDB's byte order is numeric
 * order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <lmdb.h>

#include "store/store.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#define FORMAT_VERSION 1u
static const char MAGIC[8] = {'s', 'h', 'e', 'a', 'f', 'i', 'd', 'x'};
static const char PARAMS_KEY[] = "params";

/* Address space reserved for the map; the file grows only as data is
 * written. 64 GiB holds some 200 million articles of 128 hashes; a larger
 * reservation fails under the sanitizers, which reserve much themselves. */
#define MAP_SIZE ((size_t)1 << (sizeof(size_t) >= 8 ? 36 : 30))

struct sheaf__store {
    MDB_env *env;
    MDB_dbi meta, docs;
    MDB_txn *group; /* open write transaction of a group, or NULL */
    int readonly;
    int lock_fd; /* holds the writer's flock; -1 for readers */
    int created;      /* this open created the file */
    int created_lock; /* this open created path-lock */
};

/* The lock file LMDB keeps beside a store, path-lock; NULL on no memory. */
static char *lock_path(const char *path)
{
    size_t n = strlen(path);
    char *lock = malloc(n + sizeof "-lock");
    if (lock) {
        memcpy(lock, path, n);
        memcpy(lock + n, "-lock", sizeof "-lock");
    }
    return lock;
}

/* LMDB's failures as sheaf's codes. */
static int from_mdb(int rc)
{
    switch (rc) {
    case MDB_SUCCESS: return SHEAF_OK;
    case MDB_NOTFOUND: return SHEAF_ENOTFOUND;
    case MDB_INVALID:
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_VERSION_MISMATCH: return SHEAF_ECORRUPT;
    case ENOMEM: return SHEAF_ENOMEM;
    case MDB_MAP_FULL: return SHEAF_ERANGE;
    default: return SHEAF_EIO;
    }
}

/* ------------------------------------------------------ byte encoding */

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void seq_key(uint64_t seq, uint8_t key[8])
{
    for (int i = 0; i < 8; i++)
        key[i] = (uint8_t)(seq >> (8 * (7 - i)));
}

/* -------------------------------------------------------- open, close */

int sheaf__store_open(const char *path, int readonly, sheaf__store **out)
{
    sheaf__store *s = calloc(1, sizeof *s);
    if (!s)
        return SHEAF_ENOMEM;
    s->readonly = readonly;
    s->lock_fd = -1;
    int rc;
    if (!readonly) {
        /* One writing process at a time: two would each hold an in-memory
         * index that the other's additions never reach. */
        s->lock_fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        s->created = s->lock_fd >= 0;
        if (s->lock_fd < 0 && errno == EEXIST)
            s->lock_fd = open(path, O_RDWR | O_CLOEXEC);
        if (s->lock_fd < 0) {
            free(s);
            return SHEAF_EIO;
        }
        if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            rc = errno == EWOULDBLOCK ? SHEAF_EBUSY : SHEAF_EIO;
            close(s->lock_fd);
            free(s);
            return rc;
        }
    }
    if (!readonly) { /* under the flock: no other writer is creating it */
        char *lock = lock_path(path);
        if (!lock) {
            sheaf__store_discard(s, path);
            return SHEAF_ENOMEM;
        }
        s->created_lock = access(lock, F_OK) != 0;
        free(lock);
    }
    unsigned flags = MDB_NOSUBDIR | (readonly ? MDB_RDONLY : 0);
    unsigned create = readonly ? 0 : MDB_CREATE;
    MDB_txn *txn = NULL;
    if ((rc = mdb_env_create(&s->env)) == MDB_SUCCESS &&
        (rc = mdb_env_set_mapsize(s->env, MAP_SIZE)) == MDB_SUCCESS &&
        (rc = mdb_env_set_maxdbs(s->env, 2)) == MDB_SUCCESS &&
        (rc = mdb_env_open(s->env, path, flags, 0644)) == MDB_SUCCESS &&
        (rc = mdb_txn_begin(s->env, NULL, readonly ? MDB_RDONLY : 0,
                            &txn)) == MDB_SUCCESS) {
        if ((rc = mdb_dbi_open(txn, "meta", create, &s->meta)) ==
                MDB_SUCCESS &&
            (rc = mdb_dbi_open(txn, "docs", create, &s->docs)) == MDB_SUCCESS)
            rc = mdb_txn_commit(txn); /* frees txn, also when it fails */
        else
            mdb_txn_abort(txn);
    }
    if (rc != MDB_SUCCESS) {
        sheaf__store_discard(s, path);
        /* A read-only open of a store never written finds no file or no
         * tables. */
        return rc == ENOENT || rc == MDB_NOTFOUND ? SHEAF_ENOTFOUND
                                                  : from_mdb(rc);
    }
    *out = s;
    return SHEAF_OK;
}

void sheaf__store_discard(sheaf__store *s, const char *path)
{
    /* Unlinked while the flock is still held, so that no other writer can
     * have opened the files in between. */
    if (s && s->created)
        unlink(path);
    if (s && s->created_lock) {
        char *lock = lock_path(path);
        if (lock)
            unlink(lock);
        free(lock);
    }
    sheaf__store_close(s);
}

void sheaf__store_close(sheaf__store *s)
{
    if (!s)
        return;
    if (s->group)
        mdb_txn_abort(s->group);
    if (s->env)
        mdb_env_close(s->env);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    free(s);
}

/* --------------------------------------------------------- parameters */

#define PARAMS_BYTES (8 + 4 + 5 * 4 + 8 + 8 + 2 * 4 + 8 + 8)

int sheaf__store_get_params(sheaf__store *s, sheaf_params *p)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS)
        return from_mdb(rc);
    MDB_val k = {sizeof PARAMS_KEY - 1, (void *)PARAMS_KEY}, v;
    rc = mdb_get(txn, s->meta, &k, &v);
    if (rc != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return from_mdb(rc);
    }
    const uint8_t *b = v.mv_data;
    int code = SHEAF_OK;
    if (v.mv_size != PARAMS_BYTES || memcmp(b, MAGIC, sizeof MAGIC) != 0 ||
        get_u64(b + PARAMS_BYTES - 8) != XXH3_64bits(b, PARAMS_BYTES - 8))
        code = SHEAF_ECORRUPT;
    else if (get_u32(b + 8) != FORMAT_VERSION)
        code = SHEAF_EMISMATCH;
    else {
        const uint8_t *q = b + 12;
        sheaf_params_init(p);
        p->mode = (sheaf_mode)get_u32(q);
        p->shingle_kind = (sheaf_shingle_kind)get_u32(q + 4);
        p->shingle_size = get_u32(q + 8);
        p->scheme = (sheaf_scheme)get_u32(q + 12);
        p->num_hashes = get_u32(q + 16);
        p->seed = get_u64(q + 20);
        uint64_t bits = get_u64(q + 28);
        memcpy(&p->threshold, &bits, sizeof bits);
        p->bands = get_u32(q + 36);
        p->rows = get_u32(q + 40);
        p->window = (int64_t)get_u64(q + 44);
        if (sheaf_params_validate(p) != SHEAF_OK)
            code = SHEAF_ECORRUPT;
    }
    mdb_txn_abort(txn);
    return code;
}

/* Run one write: inside the open group, or in a transaction of its own. */
static int write_op(sheaf__store *s, MDB_dbi dbi, MDB_val *k, MDB_val *v)
{
    if (s->readonly)
        return SHEAF_EREADONLY;
    MDB_txn *txn = s->group;
    int rc;
    if (!txn && (rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != MDB_SUCCESS)
        return from_mdb(rc);
    rc = v ? mdb_put(txn, dbi, k, v, 0) : mdb_del(txn, dbi, k, NULL);
    if (s->group) {
        /* A failed write leaves the transaction unusable: the whole group
         * is lost, and the caller is told so by the error. */
        if (rc != MDB_SUCCESS) {
            mdb_txn_abort(s->group);
            s->group = NULL;
        }
        return from_mdb(rc);
    }
    if (rc != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return from_mdb(rc);
    }
    return from_mdb(mdb_txn_commit(txn));
}

int sheaf__store_put_params(sheaf__store *s, const sheaf_params *p)
{
    uint8_t b[PARAMS_BYTES], *q = b + 12;
    memcpy(b, MAGIC, sizeof MAGIC);
    put_u32(b + 8, FORMAT_VERSION);
    put_u32(q, (uint32_t)p->mode);
    put_u32(q + 4, (uint32_t)p->shingle_kind);
    put_u32(q + 8, p->shingle_size);
    put_u32(q + 12, (uint32_t)p->scheme);
    put_u32(q + 16, p->num_hashes);
    put_u64(q + 20, p->seed);
    uint64_t bits;
    memcpy(&bits, &p->threshold, sizeof bits);
    put_u64(q + 28, bits);
    put_u32(q + 36, p->bands);
    put_u32(q + 40, p->rows);
    put_u64(q + 44, (uint64_t)p->window);
    put_u64(b + PARAMS_BYTES - 8, XXH3_64bits(b, PARAMS_BYTES - 8));
    MDB_val k = {sizeof PARAMS_KEY - 1, (void *)PARAMS_KEY};
    MDB_val v = {sizeof b, b};
    return write_op(s, s->meta, &k, &v);
}

/* ----------------------------------------------------------- articles */

/* Record: u8 format, u8 flags, u16 num_hashes, i64 time, u32 id length,
 * u32 cluster length, u16 values[num_hashes], id, cluster, u64 XXH3 of all
 * the bytes before it. */
#define DOC_HEADER 20
#define HAS_SHINGLES 1u

int sheaf__store_put(sheaf__store *s, const sheaf__stored_doc *d)
{
    if (d->id_len > UINT32_MAX || d->cluster_len > UINT32_MAX ||
        d->num_hashes > UINT16_MAX)
        return SHEAF_ERANGE;
    size_t body = DOC_HEADER + 2 * (size_t)d->num_hashes + d->id_len +
                  d->cluster_len;
    uint8_t *b = malloc(body + 8);
    if (!b)
        return SHEAF_ENOMEM;
    b[0] = (uint8_t)FORMAT_VERSION;
    b[1] = d->has_shingles ? HAS_SHINGLES : 0;
    put_u16(b + 2, (uint16_t)d->num_hashes);
    put_u64(b + 4, (uint64_t)d->time);
    put_u32(b + 12, (uint32_t)d->id_len);
    put_u32(b + 16, (uint32_t)d->cluster_len);
    uint8_t *q = b + DOC_HEADER;
    for (uint32_t i = 0; i < d->num_hashes; i++, q += 2)
        put_u16(q, d->values[i]);
    memcpy(q, d->id, d->id_len);
    memcpy(q + d->id_len, d->cluster, d->cluster_len);
    put_u64(b + body, XXH3_64bits(b, body));
    uint8_t key[8];
    seq_key(d->seq, key);
    MDB_val k = {sizeof key, key}, v = {body + 8, b};
    int rc = write_op(s, s->docs, &k, &v);
    free(b);
    return rc;
}

int sheaf__store_del(sheaf__store *s, uint64_t seq)
{
    uint8_t key[8];
    seq_key(seq, key);
    MDB_val k = {sizeof key, key};
    return write_op(s, s->docs, &k, NULL);
}

/* Check and decode one record; values go to the caller's buffer because
 * LMDB's bytes need not be aligned for uint16_t. */
static int decode(const MDB_val *k, const MDB_val *v, uint16_t *values,
                  sheaf__stored_doc *d)
{
    const uint8_t *b = v->mv_data;
    if (k->mv_size != 8 || v->mv_size < DOC_HEADER + 8)
        return SHEAF_ECORRUPT;
    size_t body = v->mv_size - 8;
    if (get_u64(b + body) != XXH3_64bits(b, body))
        return SHEAF_ECORRUPT;
    if (b[0] != FORMAT_VERSION)
        return SHEAF_EMISMATCH;
    d->num_hashes = get_u16(b + 2);
    d->time = (int64_t)get_u64(b + 4);
    d->id_len = get_u32(b + 12);
    d->cluster_len = get_u32(b + 16);
    /* In 64 bits: the lengths come from the file, and must not wrap a
     * 32-bit size_t into agreeing with the record's size. */
    if (d->num_hashes > SHEAF_MAX_HASHES ||
        DOC_HEADER + 2 * (uint64_t)d->num_hashes + (uint64_t)d->id_len +
                (uint64_t)d->cluster_len !=
            (uint64_t)body)
        return SHEAF_ECORRUPT;
    const uint8_t *q = b + DOC_HEADER;
    for (uint32_t i = 0; i < d->num_hashes; i++, q += 2)
        values[i] = get_u16(q);
    d->has_shingles = (b[1] & HAS_SHINGLES) != 0;
    d->values = values;
    d->id = (const char *)q;
    d->cluster = (const char *)q + d->id_len;
    const uint8_t *kb = k->mv_data;
    d->seq = 0;
    for (int i = 0; i < 8; i++)
        d->seq = d->seq << 8 | kb[i];
    return SHEAF_OK;
}

int sheaf__store_load(sheaf__store *s,
                      int (*each)(void *ctx, const sheaf__stored_doc *d),
                      void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS)
        return from_mdb(rc);
    if ((rc = mdb_cursor_open(txn, s->docs, &cur)) != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return from_mdb(rc);
    }
    uint16_t values[SHEAF_MAX_HASHES];
    MDB_val k, v;
    int code = SHEAF_OK;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == MDB_SUCCESS && code == SHEAF_OK;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        sheaf__stored_doc d;
        code = decode(&k, &v, values, &d);
        if (code == SHEAF_OK)
            code = each(ctx, &d);
    }
    if (code == SHEAF_OK && rc != MDB_NOTFOUND)
        code = from_mdb(rc);
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return code;
}

/* ------------------------------------------------------------- groups */

int sheaf__store_begin(sheaf__store *s)
{
    if (s->readonly)
        return SHEAF_EREADONLY;
    if (s->group)
        return SHEAF_EINVAL;
    return from_mdb(mdb_txn_begin(s->env, NULL, 0, &s->group));
}

int sheaf__store_commit(sheaf__store *s)
{
    if (!s->group)
        return SHEAF_EINVAL;
    int rc = mdb_txn_commit(s->group); /* frees the txn even on failure */
    s->group = NULL;
    return from_mdb(rc);
}

void sheaf__store_abort(sheaf__store *s)
{
    if (s->group)
        mdb_txn_abort(s->group);
    s->group = NULL;
}

int sheaf__store_in_group(const sheaf__store *s) { return s->group != NULL; }
