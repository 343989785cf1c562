/*
 * The LMDB file checked before LMDB maps it (store.h).
 *
 * LMDB trusts its file: a flipped byte in a page header or a node offset
 * makes it read outside the page, a truncated file makes it touch pages
 * past the end (SIGBUS), a damaged free list hands out pages in use. So
 * the file is read here first, by LMDB's layout (store/lmdb_file.h): both
 * meta pages (store/lmdb_meta.c), then every page reachable from the newest one (the main table,
 * the free list, and sheaf's tables "meta" and "docs"), each visited once,
 * each node inside its page, keys in order within their parents' bounds,
 * every count the meta pages and table records claim equal to what is
 * found. Only pages in use are read: damage elsewhere changes nothing.
 * The file is mapped for exactly the pages the meta page claims, after
 * checking that the file holds them.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "store/lmdb_file.h"
#include "store/store.h"

/* What a walk found, to compare with sheaf__lmdb_db. */
typedef struct {
    pgno branch, leaf, overflow, entries;
} tally;

/* A key range: lo <= key < hi; NULL bounds are open. */
typedef struct {
    const uint8_t *lo, *hi;
    size_t lo_len, hi_len;
} bounds;

typedef struct checker checker;
typedef int (*leaf_fn)(checker *c, const uint8_t *key, size_t klen,
                       unsigned flags, const uint8_t *data, size_t dlen);

struct checker {
    const char *path;
    const uint8_t *map;
    size_t psize;
    pgno last; /* last page in use */
    uint8_t *seen; /* a bit per page */
    int intkeys;   /* the free list's keys: native integers */
    const char *table;
    leaf_fn leaf;
    int have_docs, have_meta;
    const char *why; /* what a leaf found wrong */
};

static int bad(const checker *c, pgno pg, const char *what)
{
    return sheaf__fail(SHEAF_ECORRUPT,
                       "%s: damaged index: page %zu (table %s): %s", c->path,
                       (size_t)pg, c->table, what);
}


/* Claim pages pg..pg+n-1 for one use: each page is used once at most. */
static int claim(checker *c, pgno pg, pgno n, pgno from)
{
    if (pg < 2 || pg > c->last || n > c->last - pg + 1)
        return bad(c, from, "points outside the pages in use");
    for (pgno i = pg; i < pg + n; i++) {
        if (c->seen[i / 8] & (1u << (i % 8)))
            return bad(c, i, "used twice");
        c->seen[i / 8] |= (uint8_t)(1u << (i % 8));
    }
    return SHEAF_OK;
}

static const uint8_t *page(const checker *c, pgno pg)
{
    return c->map + pg * c->psize;
}

/* LMDB's default order: bytes, then length. */
static int cmp_bytes(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    int r = memcmp(a, b, na < nb ? na : nb);
    return r ? r : (na > nb) - (na < nb);
}

static int cmp_key(const checker *c, const uint8_t *a, size_t na,
                   const uint8_t *b, size_t nb)
{
    if (c->intkeys) {
        pgno x = word(a), y = word(b);
        return (x > y) - (x < y);
    }
    return cmp_bytes(a, na, b, nb);
}

/* The node i of page p, checked to lie inside the page with its key (and,
 * in a leaf, its data unless on overflow pages). */
static int node_at(const checker *c, pgno pg, const uint8_t *p, unsigned i,
                   int leaf, const uint8_t **node)
{
    size_t upper = u16(p + 14);
    size_t off = u16(p + HDR + 2 * i);
    if (off < upper || off + NODE > c->psize)
        return bad(c, pg, "a node outside its page");
    const uint8_t *n = p + off;
    size_t ksize = u16(n + 6), dsize = 0;
    if (leaf)
        dsize = (u16(n + 4) & F_BIGDATA)
                    ? sizeof(pgno)
                    : ((size_t)u16(n) | (size_t)u16(n + 2) << 16);
    if (ksize > MAX_KEY || off + NODE + ksize + dsize > c->psize)
        return bad(c, pg, "a node runs past its page");
    if (c->intkeys && ksize != sizeof(pgno) && (leaf || i > 0))
        return bad(c, pg, "a key of the wrong size");
    *node = n;
    return SHEAF_OK;
}

/* The bytes of a value on overflow pages. */
static int overflow(checker *c, pgno from, pgno pg, size_t dsize,
                    tally *t, const uint8_t **data)
{
    if (pg < 2 || pg > c->last)
        return bad(c, from, "a value on a page outside those in use");
    const uint8_t *p = page(c, pg);
    pgno pages = u32(p + 12);
    /* LMDB may keep more pages than a value needs when it rewrites a
     * value in place (it does so with its free list): at least enough. */
    if (word(p) != pg || u16(p + 10) != P_OVERFLOW ||
        (dsize + HDR + c->psize - 1) / c->psize > pages)
        return bad(c, pg, "a bad overflow page");
    int rc = claim(c, pg, pages, from);
    if (rc != SHEAF_OK)
        return rc;
    t->overflow += pages;
    *data = p + HDR;
    return SHEAF_OK;
}

static int walk(checker *c, pgno pg, pgno from, unsigned level,
                unsigned depth, bounds b, tally *t);

static int in_bounds(const checker *c, const uint8_t *k, size_t n, bounds b)
{
    return (!b.lo || cmp_key(c, k, n, b.lo, b.lo_len) >= 0) &&
           (!b.hi || cmp_key(c, k, n, b.hi, b.hi_len) < 0);
}

static int walk_leaf(checker *c, pgno pg, const uint8_t *p, unsigned keys,
                     bounds b, tally *t)
{
    const uint8_t *prev = NULL;
    size_t prev_len = 0;
    for (unsigned i = 0; i < keys; i++) {
        const uint8_t *n = NULL, *data;
        int rc = node_at(c, pg, p, i, 1, &n);
        if (rc != SHEAF_OK)
            return rc;
        unsigned flags = u16(n + 4);
        size_t klen = u16(n + 6);
        size_t dlen = (size_t)u16(n) | (size_t)u16(n + 2) << 16;
        const uint8_t *key = n + NODE;
        if ((prev && cmp_key(c, prev, prev_len, key, klen) >= 0) ||
            !in_bounds(c, key, klen, b))
            return bad(c, pg, "keys out of order");
        if (flags & ~(F_BIGDATA | F_SUBDATA))
            return bad(c, pg, "a node of a kind sheaf never writes");
        data = key + klen;
        if ((flags & F_BIGDATA) &&
            (rc = overflow(c, pg, word(data), dlen, t, &data)) != SHEAF_OK)
            return rc;
        if ((rc = c->leaf(c, key, klen, flags, data, dlen)) != SHEAF_OK) {
            const char *why = c->why;
            c->why = NULL;
            return why ? bad(c, pg, why) : rc; /* a table's: said already */
        }
        prev = key;
        prev_len = klen;
    }
    t->leaf++;
    t->entries += keys;
    return SHEAF_OK;
}

static int walk_branch(checker *c, pgno pg, const uint8_t *p, unsigned keys,
                       unsigned level, unsigned depth, bounds b, tally *t)
{
    t->branch++;
    for (unsigned i = 0; i < keys; i++) {
        const uint8_t *n = NULL, *next = NULL;
        int rc = node_at(c, pg, p, i, 0, &n);
        if (rc == SHEAF_OK && i + 1 < keys)
            rc = node_at(c, pg, p, i + 1, 0, &next);
        if (rc != SHEAF_OK)
            return rc;
        bounds sub = b; /* the first key of a branch page is not used */
        if (i > 0) {
            sub.lo = n + NODE;
            sub.lo_len = u16(n + 6);
        }
        if (next) {
            sub.hi = next + NODE;
            sub.hi_len = u16(next + 6);
            if (!in_bounds(c, sub.hi, sub.hi_len, b) ||
                (sub.lo && cmp_key(c, sub.lo, sub.lo_len, sub.hi,
                                   sub.hi_len) >= 0))
                return bad(c, pg, "keys out of order");
        }
        pgno child = (pgno)u16(n) | (pgno)u16(n + 2) << 16;
        if (sizeof(pgno) > 4)
            child |= (pgno)u16(n + 4) << 16 << 16;
        if ((rc = walk(c, child, pg, level + 1, depth, sub, t)) != SHEAF_OK)
            return rc;
    }
    return SHEAF_OK;
}

/* The subtree at page pg, at level (the root is 1) of a table of depth. */
static int walk(checker *c, pgno pg, pgno from, unsigned level,
                unsigned depth, bounds b, tally *t)
{
    int rc = claim(c, pg, 1, from);
    if (rc != SHEAF_OK)
        return rc;
    const uint8_t *p = page(c, pg);
    unsigned flags = u16(p + 10);
    size_t lower = u16(p + 12), upper = u16(p + 14);
    unsigned want = level == depth ? P_LEAF : P_BRANCH;
    if (word(p) != pg)
        return bad(c, pg, "the page says it is another one");
    if (flags != want)
        return bad(c, pg, "a page of the wrong kind");
    if (lower < HDR + 2 || (lower - HDR) % 2 || lower > upper ||
        upper > c->psize)
        return bad(c, pg, "a bad page header");
    unsigned keys = (unsigned)(lower - HDR) / 2;
    return want == P_LEAF ? walk_leaf(c, pg, p, keys, b, t)
                          : walk_branch(c, pg, p, keys, level, depth, b, t);
}

/* One table: its tree against its record. */
static int walk_table(checker *c, const char *name, sheaf__lmdb_db d, int intkeys,
                      leaf_fn leaf)
{
    const char *outer = c->table;
    leaf_fn outer_leaf = c->leaf;
    int outer_int = c->intkeys;
    c->table = name;
    c->leaf = leaf;
    c->intkeys = intkeys;
    tally t = {0, 0, 0, 0};
    bounds open = {NULL, NULL, 0, 0};
    int rc = SHEAF_OK;
    if (d.root == NO_PAGE) {
        if (d.depth || d.entries || d.branch || d.leaf || d.overflow)
            rc = bad(c, 0, "an empty table that claims contents");
    } else if (d.depth < 1 || d.depth > MAX_DEPTH) {
        rc = bad(c, d.root, "a table of impossible depth");
    } else if ((rc = walk(c, d.root, 0, 1, d.depth, open, &t)) ==
                   SHEAF_OK &&
               (t.branch != d.branch || t.leaf != d.leaf ||
                t.overflow != d.overflow || t.entries != d.entries)) {
        rc = bad(c, d.root, "the table's counts disagree with its pages");
    }
    c->table = outer;
    c->leaf = outer_leaf;
    c->intkeys = outer_int;
    return rc;
}

/* ------------------------------------------------------ the leaves */

static int wrong(checker *c, const char *why)
{
    c->why = why;
    return SHEAF_ECORRUPT;
}

/* The free list: page numbers, a count first, in descending order. */
static int free_leaf(checker *c, const uint8_t *key, size_t klen,
                     unsigned flags, const uint8_t *data, size_t dlen)
{
    (void)key;
    (void)klen;
    if (flags & F_SUBDATA || dlen < sizeof(pgno) || dlen % sizeof(pgno))
        return wrong(c, "a bad free list");
    pgno n = word(data);
    if (n != dlen / sizeof(pgno) - 1)
        return wrong(c, "a free list of the wrong length");
    for (pgno i = 1; i <= n; i++) {
        pgno pg = word(data + i * sizeof(pgno));
        if (i > 1 && pg >= word(data + (i - 1) * sizeof(pgno)))
            return wrong(c, "a free list out of order");
        if (pg < 2 || pg > c->last ||
            (c->seen[pg / 8] & (1u << (pg % 8))))
            return wrong(c, "a free page that is not free");
        c->seen[pg / 8] |= (uint8_t)(1u << (pg % 8));
    }
    return SHEAF_OK;
}

/* Articles: their bytes are checked by their checksums when read. */
static int doc_leaf(checker *c, const uint8_t *key, size_t klen,
                    unsigned flags, const uint8_t *data, size_t dlen)
{
    (void)data;
    (void)dlen;
    if (flags & F_SUBDATA || klen != 8)
        return wrong(c, "a key sheaf never writes");
    (void)key;
    return SHEAF_OK;
}

static int meta_leaf(checker *c, const uint8_t *key, size_t klen,
                     unsigned flags, const uint8_t *data, size_t dlen)
{
    (void)data;
    (void)dlen;
    if (flags & F_SUBDATA || klen != sizeof SHEAF__PARAMS_KEY - 1 ||
        memcmp(key, SHEAF__PARAMS_KEY, klen) != 0)
        return wrong(c, "a key sheaf never writes");
    return SHEAF_OK;
}

/* The main table: the names of sheaf's two tables, nothing else. */
static int main_leaf(checker *c, const uint8_t *key, size_t klen,
                     unsigned flags, const uint8_t *data, size_t dlen)
{
    int docs = klen == 4 && memcmp(key, "docs", 4) == 0;
    int meta = klen == 4 && memcmp(key, "meta", 4) == 0;
    if (!(docs || meta) || flags != F_SUBDATA || dlen != DB_SIZE)
        return wrong(c, "a table sheaf never makes");
    sheaf__lmdb_db d = db_at(data);
    if (d.flags != 0)
        return wrong(c, "a table of a kind sheaf never makes");
    c->have_docs |= docs;
    c->have_meta |= meta;
    return walk_table(c, docs ? "docs" : "meta", d, 0,
                      docs ? doc_leaf : meta_leaf);
}

/* ------------------------------------------------------ the walk */

static int check_once(int fd, const char *path, off_t size,
                      uint64_t *txnid)
{
    sheaf__lmdb_meta m;
    int rc = sheaf__lmdb_read_metas(fd, path, size, &m);
    if (rc != SHEAF_OK)
        return rc;
    *txnid = m.txnid;
    size_t len = (size_t)(m.last + 1) * m.psize;
    checker c = {path, NULL, m.psize, m.last, NULL, 0, "main", NULL,
                 0, 0, NULL};
    c.seen = calloc((size_t)m.last / 8 + 1, 1);
    if (!c.seen)
        return SHEAF_ENOMEM;
    void *map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        free(c.seen);
        return sheaf__fail(errno == ENOMEM ? SHEAF_ENOMEM : SHEAF_EIO,
                           "%s: %s", path, strerror(errno));
    }
    c.map = map;
    c.seen[0] |= 3; /* the meta pages */
    rc = walk_table(&c, "main", m.main, 0, main_leaf);
    if (rc == SHEAF_OK)
        rc = walk_table(&c, "free", m.free, 1, free_leaf);
    if (rc == SHEAF_OK && c.have_docs != c.have_meta)
        rc = bad(&c, 0, "one of sheaf's two tables is missing");
    munmap(map, len);
    free(c.seen);
    return rc;
}

/* The newest meta page's transaction, or 0 when unreadable. */
static uint64_t newest_txn(int fd, const char *path, off_t size)
{
    sheaf__lmdb_meta m;
    int rc = sheaf__lmdb_read_metas(fd, path, size, &m);
    return rc == SHEAF_OK ? m.txnid : 0;
}

int sheaf__store_check(int fd, const char *path)
{
    /* A writer may commit while a reader checks, and reuse pages of the
     * snapshot being read after two commits: a failure is believed only
     * when no commit happened meanwhile. */
    for (int attempt = 0;; attempt++) {
        struct stat st;
        if (fstat(fd, &st) != 0)
            return sheaf__fail(SHEAF_EIO, "%s: %s", path, strerror(errno));
        if (st.st_size == 0)
            return sheaf__fail(SHEAF_ECORRUPT,
                               "%s: an empty file, not an index (remove it "
                               "to start a new one)", path);
        uint64_t txn = 0;
        int rc = check_once(fd, path, st.st_size, &txn);
        if (rc == SHEAF_OK || rc == SHEAF_ENOMEM || attempt == 8 ||
            fstat(fd, &st) != 0 || newest_txn(fd, path, st.st_size) == txn)
            return rc;
    }
}
