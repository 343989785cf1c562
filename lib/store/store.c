/*
 * LMDB storage of an index (store.h): the environment, its transactions
 * and the writer's lock. The bytes of the records are store/record.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <lmdb.h>

#include "common/error.h"
#include "store/store.h"

static const char PARAMS_KEY[] = SHEAF__PARAMS_KEY;

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
    char path[];      /* for messages */
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

static void seq_key(uint64_t seq, uint8_t key[8])
{
    for (int i = 0; i < 8; i++)
        key[i] = (uint8_t)(seq >> (8 * (7 - i)));
}

static uint64_t seq_of(const uint8_t key[8])
{
    uint64_t seq = 0;
    for (int i = 0; i < 8; i++)
        seq = seq << 8 | key[i];
    return seq;
}

/* An LMDB failure as sheaf's code, with the path and LMDB's words (the
 * system's, for errno values) as its message. */
static int failed(const sheaf__store *s, int rc)
{
    if (rc == MDB_SUCCESS)
        return SHEAF_OK;
    return sheaf__fail(from_mdb(rc), "%s: %s", s->path, mdb_strerror(rc));
}

/* -------------------------------------------------------- open, close */

/* The file LMDB is about to map, checked (store/check.c) unless this open
 * created it: LMDB would take an empty file for a new index, and follows
 * whatever a damaged page says. */
static int check_file(const sheaf__store *s)
{
    if (s->created)
        return SHEAF_OK;
    int fd = s->lock_fd;
    if (s->readonly && (fd = open(s->path, O_RDONLY | O_CLOEXEC)) < 0)
        return errno == ENOENT
                   ? sheaf__fail(SHEAF_ENOTFOUND,
                                 "%s: no index is stored there", s->path)
                   : sheaf__fail(SHEAF_EIO, "%s: %s", s->path,
                                 strerror(errno));
    int rc = sheaf__store_check(fd, s->path);
    if (fd != s->lock_fd)
        close(fd);
    return rc;
}

int sheaf__store_open(const char *path, int readonly, sheaf__store **out)
{
    size_t path_len = strlen(path);
    sheaf__store *s = calloc(1, sizeof *s + path_len + 1);
    if (!s)
        return SHEAF_ENOMEM;
    memcpy(s->path, path, path_len + 1);
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
            rc = sheaf__fail(SHEAF_EIO, "%s: %s", path, strerror(errno));
            free(s);
            return rc;
        }
        if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            rc = errno == EWOULDBLOCK
                     ? sheaf__fail(SHEAF_EBUSY,
                                   "%s: open for writing by another process",
                                   path)
                     : sheaf__fail(SHEAF_EIO, "%s: %s", path,
                                   strerror(errno));
            close(s->lock_fd);
            free(s);
            return rc;
        }
    }
    if ((rc = check_file(s)) != SHEAF_OK) {
        sheaf__store_discard(s, path);
        return rc;
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
        /* A read-only open of a store never written finds no file or no
         * tables. */
        rc = rc == ENOENT || rc == MDB_NOTFOUND
                 ? sheaf__fail(SHEAF_ENOTFOUND, "%s: no index is stored there",
                               path)
                 : failed(s, rc);
        sheaf__store_discard(s, path);
        return rc;
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

int sheaf__store_get_params(sheaf__store *s, sheaf_params *p)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS)
        return failed(s, rc);
    MDB_val k = {sizeof PARAMS_KEY - 1, (void *)PARAMS_KEY}, v;
    rc = mdb_get(txn, s->meta, &k, &v);
    int code = rc == MDB_SUCCESS ? sheaf__record_read_params(v.mv_data,
                                                             v.mv_size, p)
                                 : failed(s, rc);
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
        return failed(s, rc);
    rc = v ? mdb_put(txn, dbi, k, v, 0) : mdb_del(txn, dbi, k, NULL);
    if (s->group) {
        /* A failed write leaves the transaction unusable: the whole group
         * is lost, and the caller is told so by the error. */
        if (rc != MDB_SUCCESS) {
            mdb_txn_abort(s->group);
            s->group = NULL;
        }
        return failed(s, rc);
    }
    if (rc != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return failed(s, rc);
    }
    return failed(s, mdb_txn_commit(txn));
}

int sheaf__store_put_params(sheaf__store *s, const sheaf_params *p)
{
    uint8_t b[SHEAF__PARAMS_MAX];
    MDB_val k = {sizeof PARAMS_KEY - 1, (void *)PARAMS_KEY};
    MDB_val v = {sheaf__record_params(p, b), b};
    return write_op(s, s->meta, &k, &v);
}

/* ----------------------------------------------------------- articles */

int sheaf__store_put(sheaf__store *s, const sheaf__stored_doc *d)
{
    if (d->id_len > UINT32_MAX || d->cluster_len > UINT32_MAX ||
        d->payload_len > UINT32_MAX)
        return SHEAF_ERANGE;
    size_t n = sheaf__record_doc_size(d);
    uint8_t *b = malloc(n);
    if (!b)
        return SHEAF_ENOMEM;
    sheaf__record_doc(d, b);
    uint8_t key[8];
    seq_key(d->seq, key);
    MDB_val k = {sizeof key, key}, v = {n, b};
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

int sheaf__store_load(sheaf__store *s,
                      int (*each)(void *ctx, const sheaf__stored_doc *d),
                      void (*damaged)(void *ctx, uint64_t seq, int code),
                      void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS)
        return failed(s, rc);
    if ((rc = mdb_cursor_open(txn, s->docs, &cur)) != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return failed(s, rc);
    }
    uint8_t scratch[SHEAF__V1_SCRATCH];
    MDB_val k, v;
    int code = SHEAF_OK;
    size_t found = 0;
    int any_bad = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == MDB_SUCCESS && code == SHEAF_OK;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        sheaf__stored_doc d;
        uint64_t seq = k.mv_size == 8 ? seq_of(k.mv_data) : 0;
        code = k.mv_size == 8 ? sheaf__record_read_doc(seq, v.mv_data,
                                                       v.mv_size, scratch, &d)
                              : SHEAF_ECORRUPT;
        found++;
        if (code == SHEAF_OK)
            code = each(ctx, &d);
        else if (damaged && (code == SHEAF_ECORRUPT ||
                             code == SHEAF_EMISMATCH)) {
            damaged(ctx, seq, code);
            any_bad = 1;
            code = SHEAF_OK;
        }
    }
    if (code == SHEAF_OK && rc != MDB_NOTFOUND)
        code = failed(s, rc);
    MDB_stat st;
    if (code == SHEAF_OK && (rc = mdb_stat(txn, s->docs, &st)) != MDB_SUCCESS)
        code = failed(s, rc);
    if (code == SHEAF_OK && st.ms_entries != found)
        code = sheaf__fail(SHEAF_ECORRUPT,
                           "%s: damaged index: %zu articles stored, %zu found",
                           s->path, st.ms_entries, found);
    if (code == SHEAF_OK && any_bad)
        code = SHEAF_ECORRUPT;
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return code;
}

int sheaf__store_count(sheaf__store *s, size_t *n)
{
    MDB_txn *txn;
    MDB_stat st;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS)
        return failed(s, rc);
    rc = mdb_stat(txn, s->docs, &st);
    mdb_txn_abort(txn);
    *n = st.ms_entries;
    return failed(s, rc);
}

/* ------------------------------------------------------------- groups */

int sheaf__store_begin(sheaf__store *s)
{
    if (s->readonly)
        return SHEAF_EREADONLY;
    if (s->group)
        return SHEAF_EINVAL;
    return failed(s, mdb_txn_begin(s->env, NULL, 0, &s->group));
}

int sheaf__store_commit(sheaf__store *s)
{
    if (!s->group)
        return SHEAF_EINVAL;
    int rc = mdb_txn_commit(s->group); /* frees the txn even on failure */
    s->group = NULL;
    return failed(s, rc);
}

void sheaf__store_abort(sheaf__store *s)
{
    if (s->group)
        mdb_txn_abort(s->group);
    s->group = NULL;
}

int sheaf__store_in_group(const sheaf__store *s) { return s->group != NULL; }
