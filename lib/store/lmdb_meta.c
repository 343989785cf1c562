/*
 * The meta pages of an LMDB file (store/lmdb_file.h), read and checked
 * before LMDB maps the file.
 */
#include <unistd.h>

#include "common/error.h"
#include "sheaf.h"
#include "store/lmdb_file.h"

static int read_meta(const char *path, const uint8_t *p, pgno pg,
                     sheaf__lmdb_meta *m)
{
    const uint8_t *r = p + META_OFF;
    size_t db0 = 8 + 2 * sizeof(pgno); /* magic, version, address, mapsize */
    if (word(p) != pg || !(u16(p + 10) & P_META) || u32(r) != MAGIC)
        return sheaf__fail(SHEAF_ECORRUPT,
                           "%s: not an index (meta page %zu is not LMDB's)",
                           path, (size_t)pg);
    if (u32(r + 4) != DATA_VERSION)
        return sheaf__fail(SHEAF_ECORRUPT,
                           "%s: meta page %zu: LMDB data version %u, not %u",
                           path, (size_t)pg, u32(r + 4), DATA_VERSION);
    m->psize = u32(r + db0);
    m->free = db_at(r + db0);
    m->main = db_at(r + db0 + DB_SIZE);
    m->last = word(r + db0 + 2 * DB_SIZE);
    m->txnid = word(r + db0 + 2 * DB_SIZE + sizeof(pgno));
    if (m->psize < 512 || m->psize > 65536 || (m->psize & (m->psize - 1)))
        return sheaf__fail(SHEAF_ECORRUPT,
                           "%s: damaged index: meta page %zu: page size %zu",
                           path, (size_t)pg, m->psize);
    if (m->last < 1 || m->last > SIZE_MAX / m->psize - 1)
        return sheaf__fail(SHEAF_ECORRUPT,
                           "%s: damaged index: meta page %zu: last page %zu",
                           path, (size_t)pg, (size_t)m->last);
    return SHEAF_OK;
}

int sheaf__lmdb_read_metas(int fd, const char *path, off_t size,
                           sheaf__lmdb_meta *newest)
{
    uint8_t buf[HDR + 256];
    sheaf__lmdb_meta m[2];
    size_t psize = 0;
    for (int i = 0; i < 2; i++) {
        off_t at = (off_t)psize;
        if (size < at + (off_t)sizeof buf ||
            pread(fd, buf, sizeof buf, at) != (ssize_t)sizeof buf)
            return sheaf__fail(SHEAF_ECORRUPT,
                               "%s: damaged index: cut short (%lld bytes)",
                               path, (long long)size);
        int rc = read_meta(path, buf, (pgno)i, &m[i]);
        if (rc != SHEAF_OK)
            return rc;
        psize = m[0].psize;
        if (m[i].psize != psize)
            return sheaf__fail(SHEAF_ECORRUPT,
                               "%s: damaged index: the meta pages disagree "
                               "on the page size", path);
    }
    /* LMDB writes transaction t's meta page into slot t % 2, so the two
     * are consecutive (or both 0, as made): a damaged number would make
     * LMDB take the older snapshot, silently losing the last commit. */
    uint64_t t0 = m[0].txnid, t1 = m[1].txnid;
    if (!(t0 == 0 && t1 == 0) &&
        (t0 % 2 != 0 || t1 % 2 != 1 || (t0 + 1 != t1 && t1 + 1 != t0)))
        return sheaf__fail(SHEAF_ECORRUPT,
                           "%s: damaged index: the meta pages' transactions "
                           "(%llu, %llu) are not consecutive", path,
                           (unsigned long long)t0, (unsigned long long)t1);
    *newest = m[t0 < t1];
    if ((uint64_t)size / newest->psize < (uint64_t)newest->last + 1)
        return sheaf__fail(SHEAF_ECORRUPT,
                           "%s: damaged index: cut short (%lld bytes, its "
                           "meta page claims %zu pages of %zu)",
                           path, (long long)size, (size_t)newest->last + 1,
                           newest->psize);
    return SHEAF_OK;
}
