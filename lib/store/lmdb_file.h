/*
 * The layout of an LMDB 0.9 file (data version 1, native byte order), as
 * mdb.c defines it: what store/check.c and store/lmdb_meta.c read before
 * LMDB maps a file. Internal to the library.
 */
#ifndef SHEAF_STORE_LMDB_FILE_H
#define SHEAF_STORE_LMDB_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

typedef size_t pgno;

#define MAGIC 0xBEEFC0DEu
#define DATA_VERSION 1u
#define HDR 16u             /* page header: pgno, pad, flags, lower, upper */
#define NODE 8u             /* node header: lo, hi, flags, key size */
#define DB_SIZE (8 + 5 * sizeof(pgno))
#define META_OFF HDR        /* the meta record follows the page header */
#define P_BRANCH 0x01u
#define P_LEAF 0x02u
#define P_OVERFLOW 0x04u
#define P_META 0x08u
#define F_BIGDATA 0x01u
#define F_SUBDATA 0x02u
#define NO_PAGE ((pgno)-1)
#define MAX_DEPTH 32 /* 2^32 keys at the smallest fanout */
#define MAX_KEY 511

/* One table's record (LMDB's MDB_db). */
typedef struct {
    unsigned flags, depth;
    pgno branch, leaf, overflow, entries, root;
} sheaf__lmdb_db;

static inline uint16_t u16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint32_t u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline pgno word(const uint8_t *p)
{
    pgno v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline sheaf__lmdb_db db_at(const uint8_t *p)
{
    sheaf__lmdb_db d;
    d.flags = u16(p + 4);
    d.depth = u16(p + 6);
    d.branch = word(p + 8);
    d.leaf = word(p + 8 + sizeof(pgno));
    d.overflow = word(p + 8 + 2 * sizeof(pgno));
    d.entries = word(p + 8 + 3 * sizeof(pgno));
    d.root = word(p + 8 + 4 * sizeof(pgno));
    return d;
}

/* What a meta page says. */
typedef struct {
    size_t psize;
    pgno last; /* the last page in use */
    uint64_t txnid;
    sheaf__lmdb_db free, main;
} sheaf__lmdb_meta;

/* store/lmdb_meta.c: both meta pages of the file open at fd, of size
 * bytes, checked (magic, version, page size, last page, consecutive
 * transactions, the file long enough), and the newest into *newest;
 * SHEAF_ECORRUPT naming path otherwise. */
int sheaf__lmdb_read_metas(int fd, const char *path, off_t size,
                           sheaf__lmdb_meta *newest);

#endif
