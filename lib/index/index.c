/*
 * The index: documents, their signatures, the LSH bands, and the clusters
 * assigned in input order; optionally stored in LMDB (store.c).
 *
 * Documents live in a dense array addressed by a 32-bit document number (the
 * LSH tables and cluster member lists store those numbers, not pointers);
 * slots of removed documents are reused through a free list. Ids and
 * cluster names share one uthash table of names. Every modifying call first
 * makes every allocation it may need, then writes to the store, and only
 * then changes the memory, so an error leaves the index exactly as it was.
 *
 * A stored index is rebuilt at open from its records, each of which holds
 * the article's cluster name: restoring assignments rather than replaying
 * the matching gives the state the uninterrupted process had, removals
 * included.
 */
#if defined(__linux__)
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#endif
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "near/lsh.h"
#include "sheaf.h"
#include "near/signature_internal.h"
#include "store/store.h"
#include "story/story.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

/* uthash must not exit() on out-of-memory: it undoes the addition and sets
 * the `oom` flag of the calling function instead. */
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (oom = 1)
/* XXH3 rather than uthash's default (Jenkins): fewer instructions on the
 * ids of news feeds (URLs, tens of bytes), and well mixed. */
#define HASH_FUNCTION(keyptr, keylen, hashv)                                   \
    ((hashv) = (unsigned)XXH3_64bits(keyptr, keylen))
#include <uthash.h>

/* A name of the index's one namespace (an add whose id names a cluster is
 * SHEAF_EEXIST): an article's id, a cluster's name, or both at once, the
 * usual case, since a cluster is named by the id of its first article. One
 * table answers both questions of an add in one lookup, and an article that
 * starts a cluster costs one record, not two. A cluster keeps its name
 * after its first article goes; a record goes when it names neither. */
typedef struct name {
    UT_hash_handle hh;
    uint32_t doc;        /* the article of this id; SHEAF__NO_DOC: none */
    uint8_t is_cluster;  /* the fields below are a cluster's */
    uint32_t head, tail; /* members, in the order they were added */
    uint32_t story_no;   /* story mode: the story module's number for it */
    size_t size;
    char s[]; /* the key */
} name;

typedef struct doc {
    name *id; /* NULL while the slot is free */
    name *cluster;
    uint64_t seq;        /* order of addition: ties go to the earlier */
    int64_t time;        /* SHEAF_NO_TIME when unknown */
    uint32_t prev, next; /* cluster members; next also links free slots */
    /* Documents with shingles and equal values (all num_hashes of them)
     * form a circular list in seq order, a lone document one of its own.
     * Only the earliest, the group's representative, is in the band
     * tables; verified() scores it once for the whole group and walks the
     * members only for their times. Corpora with hundreds of identical
     * boilerplate pages otherwise made every new copy probe and score all
     * the others in every band. Two links rather than one keep adding,
     * removing any member and promoting the next O(1), for 8 bytes per
     * document; band 0 serves as the lookup of a group by its values
     * (sheaf__lsh_find_equal), so there is no table of groups. */
    uint32_t same_prev, same_next;
    uint8_t has_shingles; /* without, it is in no band and matches nothing */
    uint8_t in_bands;     /* the representative of its group */
} doc;

struct sheaf_index {
    sheaf_params params; /* bands and rows resolved */
    sheaf_hasher hasher;
    /* Equal values needed to join. The estimate of a pair exactly at the
     * threshold falls below it half the time, so verification accepts one
     * standard error below: sqrt(t (1 - t) / num_hashes). Measured on
     * tests/test_quality.c: recall of pairs above 0.5 from 0.952 to 0.967
     * (with the banding of that time) at unchanged pair precision. */
    uint32_t min_same;
    sheaf__lsh lsh;
    doc *docs;
    /* num_hashes per document slot, each the low 16 bits of a signature
     * value: half the memory, and a collision of two different values
     * (1 in 65536) moves an estimate by at most 1/65536 per hash. */
    uint16_t *values;
    uint32_t used, cap; /* slots handed out, slots allocated */
    uint32_t free_slot; /* head of the free list */
    size_t live;
    uint64_t next_seq;
    int64_t newest;
    name *names;
    size_t cluster_count;
    sheaf__docs scratch; /* candidates of the add in progress */
    uint64_t *keys;      /* band keys of the add in progress */
    /* Per document slot: the epoch of the last add that saw it as a
     * candidate. Removes repeats without sorting; syndicated copies share
     * every band, so one add can meet the same document dozens of times. */
    uint32_t *mark;
    uint32_t epoch;
    sheaf__store *store; /* NULL: in memory only */
    /* Story mode: the module that assigns clusters (story.c), and its
     * cluster numbers' records here. */
    sheaf__story *story;
    name **story_clusters;
    size_t story_cap;
    /* Memory could not be brought back in line with the store after a
     * failed group; every call retries the reload first. */
    int stale;
    pthread_t group_owner; /* the thread that began the open group */
    pthread_rwlock_t lock;
};

/* The smallest count of equal values whose fraction reaches the threshold,
 * computed the way the fraction is compared, so no rounding surprises. */
static uint32_t min_same_for(double threshold, uint32_t n)
{
    if (!(threshold > 0.0)) /* the margin can take a tiny threshold below 0 */
        return 0;
    uint32_t s = (uint32_t)floor(threshold * n);
    while (s > 0 && (double)(s - 1) / n >= threshold)
        s--;
    while (s < n && (double)s / n < threshold)
        s++;
    return s;
}

/* ------------------------------------------------------ memory state */

static void free_memory(sheaf_index *idx)
{
    /* Every record goes: the tables are dropped whole, then the records
     * freed along their list (hh.next, which HASH_CLEAR leaves alone);
     * deleting them one by one would unlink each from its bucket first. */
    name *n = idx->names;
    HASH_CLEAR(hh, idx->names);
    while (n) {
        name *next = n->hh.next;
        free(n);
        n = next;
    }
    sheaf__lsh_free(&idx->lsh);
    free(idx->docs);
    free(idx->values);
    free(idx->mark);
    idx->docs = NULL;
    idx->values = NULL;
    idx->mark = NULL;
    idx->used = idx->cap = 0;
    idx->free_slot = SHEAF__NO_DOC;
    idx->live = idx->cluster_count = 0;
    idx->next_seq = 0;
    idx->newest = SHEAF_NO_TIME;
}

static int init_memory(sheaf_index *idx)
{
    idx->free_slot = SHEAF__NO_DOC;
    idx->newest = SHEAF_NO_TIME;
    return sheaf__lsh_init(&idx->lsh, idx->params.bands, idx->params.rows,
                           (const uint16_t *const *)&idx->values,
                           idx->params.num_hashes);
}

/* glibc's read-write locks prefer readers by default: a steady stream of
 * queries from a backend's threads could hold adds off for ever. Where it
 * can be asked for, writers go first (queries never take the lock twice,
 * which that kind of lock forbids). */
static int init_lock(pthread_rwlock_t *lock)
{
#if defined(__GLIBC__)
    pthread_rwlockattr_t attr;
    if (pthread_rwlockattr_init(&attr) != 0)
        return -1;
    int rc = pthread_rwlockattr_setkind_np(
        &attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    if (rc == 0)
        rc = pthread_rwlock_init(lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    return rc;
#else
    return pthread_rwlock_init(lock, NULL);
#endif
}

static sheaf_index *new_index(const sheaf_params *p)
{
    sheaf_index *idx = calloc(1, sizeof *idx);
    if (!idx)
        return NULL;
    idx->params = *p;
    sheaf_params_choose_bands(p, &idx->params.bands, &idx->params.rows);
    sheaf_hasher_init(&idx->hasher, &idx->params);
    idx->min_same = min_same_for(
        p->threshold - sqrt(p->threshold * (1 - p->threshold) / p->num_hashes),
        p->num_hashes);
    idx->keys = malloc(idx->params.bands * sizeof *idx->keys);
    int story_ok = 1;
    if (p->mode == SHEAF_MODE_STORY) {
        sheaf__story_params sp;
        sheaf__story_params_init(&sp);
        sp.threshold = p->threshold;
        sp.contrast = p->contrast;
        sp.num_hashes = p->num_hashes;
        sp.seed = p->seed;
        story_ok = sheaf__story_new(&sp, &idx->story) == SHEAF_OK;
    }
    if (!idx->keys || !story_ok || init_memory(idx) != SHEAF_OK ||
        init_lock(&idx->lock) != 0) {
        sheaf__lsh_free(&idx->lsh);
        sheaf__story_free(idx->story);
        free(idx->keys);
        free(idx);
        return NULL;
    }
    return idx;
}

int sheaf_index_new(const sheaf_params *p, sheaf_index **out)
{
    if (!out)
        return SHEAF_EINVAL;
    int rc = sheaf_params_validate(p);
    if (rc != SHEAF_OK)
        return rc;
    sheaf_index *idx = new_index(p);
    if (!idx)
        return SHEAF_ENOMEM;
    *out = idx;
    return SHEAF_OK;
}

void sheaf_index_free(sheaf_index *idx)
{
    if (!idx)
        return;
    sheaf__store_close(idx->store);
    free_memory(idx);
    sheaf__story_free(idx->story);
    free(idx->story_clusters);
    sheaf__docs_free(&idx->scratch);
    free(idx->keys);
    pthread_rwlock_destroy(&idx->lock);
    free(idx);
}

/* --------------------------------------------------------- read side */

static void read_lock(const sheaf_index *idx)
{
    pthread_rwlock_rdlock(&((sheaf_index *)idx)->lock);
}

static void unlock(const sheaf_index *idx)
{
    pthread_rwlock_unlock(&((sheaf_index *)idx)->lock);
}

const sheaf_params *sheaf_index_params(const sheaf_index *idx)
{
    return idx ? &idx->params : NULL;
}

const sheaf_hasher *sheaf_index_hasher(const sheaf_index *idx)
{
    return idx ? &idx->hasher : NULL;
}

size_t sheaf_index_size(const sheaf_index *idx)
{
    if (!idx)
        return 0;
    read_lock(idx);
    size_t n = idx->live;
    unlock(idx);
    return n;
}

size_t sheaf_index_cluster_count(const sheaf_index *idx)
{
    if (!idx)
        return 0;
    read_lock(idx);
    size_t n = idx->cluster_count;
    unlock(idx);
    return n;
}

int64_t sheaf_index_newest_time(const sheaf_index *idx)
{
    if (!idx)
        return SHEAF_NO_TIME;
    read_lock(idx);
    int64_t t = idx->newest;
    unlock(idx);
    return t;
}

static const uint16_t *doc_values(const sheaf_index *idx, uint32_t d)
{
    return idx->values + (size_t)d * idx->params.num_hashes;
}

/* A signature's values as the index keeps them. */
static void truncate_values(const sheaf_signature *sig, uint16_t *out)
{
    for (uint32_t i = 0; i < sig->num_hashes; i++)
        out[i] = (uint16_t)sig->values[i];
}

static uint32_t count_equal(const uint16_t *a, const uint16_t *b, uint32_t n)
{
    uint32_t same = 0;
    for (uint32_t i = 0; i < n; i++)
        same += a[i] == b[i];
    return same;
}

/* The band tables match on 16-bit tags, so once in 65536 probes they
 * propose a document of another band hash: keep only real band matches. */
static int shares_band(const sheaf_index *idx, const uint16_t *a,
                       const uint16_t *b)
{
    size_t rows = idx->params.rows;
    for (size_t i = 0; i < idx->params.bands; i++)
        if (memcmp(a + i * rows, b + i * rows, rows * sizeof *a) == 0)
            return 1;
    return 0;
}

/* Whether articles published at a and b may join under the window. */
static int within_window(const sheaf_index *idx, int64_t a, int64_t b)
{
    if (idx->params.window == 0 || a == SHEAF_NO_TIME || b == SHEAF_NO_TIME)
        return 1;
    uint64_t gap = a > b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
    return gap <= (uint64_t)idx->params.window;
}

/* Orders verified matches: most similar first, then the earlier. */
typedef struct scored {
    uint32_t doc, same;
    uint64_t seq;
} scored;

static int better(const scored *a, const scored *b)
{
    return a->same != b->same ? a->same > b->same : a->seq < b->seq;
}

/* The verified matches among the LSH candidates of values (none when the
 * signature has no shingles): *cands gets them, keys[] the band keys. The
 * writer passes its marks (see sheaf_index.mark) and wants only the best
 * match; queries pass NULL and want every match. */
static int verified(const sheaf_index *idx, const uint16_t *values,
                    int has_shingles, int64_t time, uint64_t *keys,
                    uint32_t *mark, uint32_t epoch, sheaf__docs *cands)
{
    cands->n = 0;
    if (!has_shingles)
        return SHEAF_OK;
    sheaf__lsh_keys(idx->params.bands, idx->params.rows, values, keys);
    int rc = mark ? sheaf__lsh_candidates_marked(&idx->lsh, keys, mark, epoch,
                                                 cands)
                  : sheaf__lsh_candidates(&idx->lsh, keys, cands);
    if (rc != SHEAF_OK)
        return rc;
    /* The candidates are representatives; their groups share their values
     * but not their times. Members that pass are appended past the
     * candidates, then moved down over them. */
    size_t n = cands->n;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = cands->v[i];
        if (!shares_band(idx, values, doc_values(idx, r)) ||
            count_equal(values, doc_values(idx, r), idx->params.num_hashes) <
                idx->min_same)
            continue;
        uint32_t d = r;
        do {
            if (within_window(idx, time, idx->docs[d].time)) {
                if ((rc = sheaf__docs_push(cands, d)) != SHEAF_OK)
                    return rc;
                if (mark) /* equal scores: the earliest is the best */
                    break;
            }
            d = idx->docs[d].same_next;
        } while (d != r);
    }
    if (n) {
        memmove(cands->v, cands->v + n, (cands->n - n) * sizeof cands->v[0]);
        cands->n -= n;
    }
    return SHEAF_OK;
}

static scored score(const sheaf_index *idx, const uint16_t *values,
                    uint32_t d)
{
    scored s = {d, 0, idx->docs[d].seq};
    s.same = count_equal(values, doc_values(idx, d), idx->params.num_hashes);
    return s;
}

static int compare_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    return better(x, y) ? -1 : better(y, x) ? 1 : 0;
}

/* ------------------------------------------------------ adding, core */

/* Room for document slots up to n in all, the arrays doubling from their
 * size until they hold that many: a reservation never makes them larger
 * than the adds it reserves for would. */
static int reserve_slots(sheaf_index *idx, uint64_t n)
{
    if (n <= idx->cap)
        return SHEAF_OK;
    if (n > SHEAF__MAX_DOCS)
        return SHEAF_ERANGE;
    uint64_t cap = idx->cap ? idx->cap : 64;
    while (cap < n)
        cap *= 2;
    if (cap > SHEAF__MAX_DOCS)
        cap = SHEAF__MAX_DOCS;
    /* The largest of the three arrays per slot bounds them all (32-bit). */
    size_t hashes = idx->params.num_hashes, per_slot = sizeof(doc);
    if (hashes * sizeof *idx->values > per_slot)
        per_slot = hashes * sizeof *idx->values;
    if (cap > SIZE_MAX / per_slot)
        return SHEAF_ERANGE;
    doc *docs = realloc(idx->docs, (size_t)cap * sizeof *docs);
    if (!docs)
        return SHEAF_ENOMEM;
    idx->docs = docs;
    uint16_t *values =
        realloc(idx->values, (size_t)cap * hashes * sizeof *values);
    if (!values)
        return SHEAF_ENOMEM; /* larger arrays than cap says are harmless */
    idx->values = values;
    uint32_t *mark = realloc(idx->mark, (size_t)cap * sizeof *mark);
    if (!mark)
        return SHEAF_ENOMEM;
    memset(mark + idx->cap, 0, (size_t)(cap - idx->cap) * sizeof *mark);
    idx->mark = mark;
    idx->cap = (uint32_t)cap;
    return SHEAF_OK;
}

/* Room for one more document slot. */
static int reserve_slot(sheaf_index *idx)
{
    if (idx->free_slot != SHEAF__NO_DOC)
        return SHEAF_OK;
    return reserve_slots(idx, (uint64_t)idx->used + 1);
}

static uint32_t take_slot(sheaf_index *idx)
{
    uint32_t d = idx->free_slot;
    if (d != SHEAF__NO_DOC)
        idx->free_slot = idx->docs[d].next;
    else
        d = idx->used++;
    return d;
}

/* Put document d, with shingles and its values in place, in the group of
 * its equal values: as its representative, in the band tables, when it
 * has no such group yet, else last. Last is its place in seq order, since
 * documents come in that order: adds take the next seq, and a reload gets
 * them from sheaf__store_load in that order. */
static void join_group(sheaf_index *idx, uint32_t d, const uint64_t *keys)
{
    doc *x = &idx->docs[d];
    uint32_t r = sheaf__lsh_find_equal(&idx->lsh, keys[0], doc_values(idx, d));
    if (r == SHEAF__NO_DOC) {
        x->same_prev = x->same_next = d;
        x->in_bands = 1;
        sheaf__lsh_insert(&idx->lsh, keys, d);
        return;
    }
    x->in_bands = 0;
    x->same_prev = idx->docs[r].same_prev;
    x->same_next = r;
    idx->docs[x->same_prev].same_next = d;
    idx->docs[r].same_prev = d;
}

/* Take document d, with shingles, out of its group and the band tables;
 * the next member, if any, represents the group now. Cannot fail: the
 * tables lose d's slot in every band before they gain the successor's. */
static void leave_group(sheaf_index *idx, uint32_t d)
{
    doc *x = &idx->docs[d];
    if (x->in_bands) {
        sheaf__lsh_keys(idx->params.bands, idx->params.rows,
                        doc_values(idx, d), idx->keys);
        sheaf__lsh_remove(&idx->lsh, idx->keys, d);
        if (x->same_next != d) {
            sheaf__lsh_insert(&idx->lsh, idx->keys, x->same_next);
            idx->docs[x->same_next].in_bands = 1;
        }
        x->in_bands = 0;
    }
    idx->docs[x->same_prev].same_next = x->same_next;
    idx->docs[x->same_next].same_prev = x->same_prev;
}

static name *find_name(const sheaf_index *idx, const char *s, size_t len)
{
    name *n;
    HASH_FIND(hh, idx->names, s, len, n);
    return n;
}

static name *new_name(const char *s, size_t len)
{
    name *n = malloc(sizeof *n + len + 1);
    if (n) {
        n->doc = SHEAF__NO_DOC;
        n->is_cluster = 0;
        memcpy(n->s, s, len);
        n->s[len] = 0;
    }
    return n;
}

/* Free a name that names nothing any more. */
static void release(sheaf_index *idx, name *n)
{
    if (n->doc == SHEAF__NO_DOC && !n->is_cluster) {
        HASH_DEL(idx->names, n);
        free(n);
    }
}

/* An article on its way in: everything allocated and in the table of
 * names, nothing else changed yet. */
typedef struct pending {
    name *e;           /* its id */
    name *c;           /* its cluster */
    uint8_t new_e;     /* e was made for it */
    uint8_t new_c;     /* c was made for it, apart from e */
    uint8_t made_cluster; /* c became a cluster's name for it */
} pending;

/* Allocate for an article with id in the cluster named cname. The
 * callers have looked both names up already: e is the record of id, c
 * the record of cname (or the cluster the article joins), each NULL when
 * there is none yet. e may name a cluster (a stored article of a cluster
 * whose first article went), never an article: the callers check. */
static int prepare(sheaf_index *idx, name *e, const char *id, size_t id_len,
                   name *c, const char *cname, size_t cname_len,
                   int has_shingles, pending *out)
{
    int rc;
    if ((rc = reserve_slot(idx)) != SHEAF_OK)
        return rc;
    if (has_shingles &&
        (rc = sheaf__lsh_reserve(&idx->lsh, (size_t)idx->lsh.count + 1)) !=
            SHEAF_OK)
        return rc;
    int same = !c && cname_len == id_len && memcmp(cname, id, id_len) == 0;
    name *fresh_e = e ? NULL : new_name(id, id_len);
    name *fresh_c = c || same ? NULL : new_name(cname, cname_len);
    if ((!e && !fresh_e) || (!c && !same && !fresh_c)) {
        free(fresh_e);
        free(fresh_c);
        return SHEAF_ENOMEM;
    }
    int oom = 0;
    if (fresh_e) {
        e = fresh_e;
        HASH_ADD_KEYPTR(hh, idx->names, e->s, id_len, e);
    }
    if (!oom && fresh_c) {
        c = fresh_c;
        HASH_ADD_KEYPTR(hh, idx->names, c->s, cname_len, c);
        if (oom && fresh_e)
            HASH_DEL(idx->names, fresh_e);
    }
    if (oom) {
        free(fresh_e);
        free(fresh_c);
        return SHEAF_ENOMEM;
    }
    if (same)
        c = e;
    int made = !c->is_cluster;
    if (made) {
        c->is_cluster = 1;
        c->head = c->tail = SHEAF__NO_DOC;
        c->size = 0;
    }
    *out = (pending){e, c, fresh_e != NULL, fresh_c != NULL, (uint8_t)made};
    return SHEAF_OK;
}

static void abandon(sheaf_index *idx, pending *p)
{
    if (p->made_cluster)
        p->c->is_cluster = 0;
    if (p->new_c) {
        HASH_DEL(idx->names, p->c);
        free(p->c);
    }
    if (p->new_e) {
        HASH_DEL(idx->names, p->e);
        free(p->e);
    }
}

/* Complete an addition; cannot fail. */
static uint32_t finish(sheaf_index *idx, const pending *p, uint64_t seq,
                       int64_t time, const uint16_t *values, int has_shingles,
                       const uint64_t *keys)
{
    uint32_t d = take_slot(idx);
    name *c = p->c;
    p->e->doc = d;
    doc *x = &idx->docs[d];
    x->id = p->e;
    x->cluster = c;
    x->seq = seq;
    x->time = time;
    x->has_shingles = has_shingles != 0;
    x->next = SHEAF__NO_DOC;
    x->prev = c->tail;
    if (c->tail != SHEAF__NO_DOC)
        idx->docs[c->tail].next = d;
    else
        c->head = d;
    c->tail = d;
    c->size++;
    if (p->made_cluster)
        idx->cluster_count++;
    memcpy(idx->values + (size_t)d * idx->params.num_hashes, values,
           idx->params.num_hashes * sizeof values[0]);
    if (has_shingles)
        join_group(idx, d, keys);
    idx->live++;
    if (seq >= idx->next_seq)
        idx->next_seq = seq + 1;
    if (time != SHEAF_NO_TIME &&
        (idx->newest == SHEAF_NO_TIME || time > idx->newest))
        idx->newest = time;
    return d;
}

/* Take an article out of memory (the store is the caller's business). */
static void unlink_doc(sheaf_index *idx, uint32_t d)
{
    doc *x = &idx->docs[d];
    if (x->has_shingles)
        leave_group(idx, d);
    name *c = x->cluster, *e = x->id;
    if (x->prev != SHEAF__NO_DOC)
        idx->docs[x->prev].next = x->next;
    else
        c->head = x->next;
    if (x->next != SHEAF__NO_DOC)
        idx->docs[x->next].prev = x->prev;
    else
        c->tail = x->prev;
    if (idx->story)
        sheaf__story_remove(idx->story, d);
    if (--c->size == 0) {
        if (idx->story) /* the module may reuse the number now */
            idx->story_clusters[c->story_no] = NULL;
        c->is_cluster = 0;
        idx->cluster_count--;
    }
    e->doc = SHEAF__NO_DOC;
    if (c != e)
        release(idx, c);
    release(idx, e);
    x->id = NULL;
    x->cluster = NULL;
    x->next = idx->free_slot;
    idx->free_slot = d;
    idx->live--;
}

/* ------------------------------------------------- store and reload */

/* Put one stored article back, in its recorded cluster. */
static int restore_one(void *ctx, const sheaf__stored_doc *d)
{
    sheaf_index *idx = ctx;
    if (d->num_hashes != idx->params.num_hashes || !d->id_len ||
        !d->cluster_len || memchr(d->id, 0, d->id_len) ||
        memchr(d->cluster, 0, d->cluster_len))
        return SHEAF_ECORRUPT;
    name *e = find_name(idx, d->id, d->id_len);
    if (e && e->doc != SHEAF__NO_DOC)
        return SHEAF_ECORRUPT;
    name *c = find_name(idx, d->cluster, d->cluster_len);
    pending p;
    int rc = prepare(idx, e, d->id, d->id_len, c, d->cluster, d->cluster_len,
                     d->has_shingles, &p);
    if (rc != SHEAF_OK)
        return rc;
    if (d->has_shingles)
        sheaf__lsh_keys(idx->params.bands, idx->params.rows, d->values,
                        idx->keys);
    finish(idx, &p, d->seq, d->time, d->values, d->has_shingles, idx->keys);
    return SHEAF_OK;
}

/* Rebuild memory from the store: at open, and to undo a failed group. */
static int reload(sheaf_index *idx)
{
    free_memory(idx);
    int rc = init_memory(idx);
    if (rc == SHEAF_OK)
        rc = sheaf__store_load(idx->store, restore_one, idx);
    idx->stale = rc != SHEAF_OK;
    return rc;
}

/* An LMDB write transaction, so a group, belongs to the thread that began
 * it: LMDB's writer mutex is released by the thread that took it. */
static int group_thread_ok(const sheaf_index *idx)
{
    return !idx->store || !sheaf__store_in_group(idx->store) ||
           pthread_equal(pthread_self(), idx->group_owner);
}

/* Called by every modifying call before it starts. */
static int ready_to_write(sheaf_index *idx)
{
    if (!group_thread_ok(idx))
        return SHEAF_EINVAL;
    if (idx->stale)
        return reload(idx);
    return SHEAF_OK;
}

/* After a failed store write: when it was inside a group, the store
 * dropped the whole group, so memory goes back to the last commit. */
static int store_failed(sheaf_index *idx, int rc, int grouped)
{
    if (grouped)
        reload(idx);
    return rc;
}

static int params_equal(const sheaf_params *a, const sheaf_params *b)
{
    return a->mode == b->mode && a->shingle_kind == b->shingle_kind &&
           a->shingle_size == b->shingle_size && a->scheme == b->scheme &&
           a->num_hashes == b->num_hashes && a->seed == b->seed &&
           a->threshold == b->threshold && a->bands == b->bands &&
           a->rows == b->rows && a->window == b->window;
}

/* The rest of sheaf_index_open, on an open store that it takes over (or
 * closes on failure). */
static int open_stored(sheaf__store *store, const char *path,
                       const sheaf_params *p, int readonly, sheaf_index **out)
{
    int rc;
    sheaf_params have;
    rc = sheaf__store_get_params(store, &have);
    if (rc == SHEAF_ENOTFOUND && p && !readonly) {
        have = *p;
        rc = sheaf__store_put_params(store, p);
    } else if (rc == SHEAF_OK && p && !params_equal(&have, p))
        rc = SHEAF_EMISMATCH;
    else if (rc == SHEAF_OK && have.mode != SHEAF_MODE_NEAR)
        rc = SHEAF_ECORRUPT; /* only near mode is ever stored */
    sheaf_index *idx = NULL;
    if (rc == SHEAF_OK && !(idx = new_index(&have)))
        rc = SHEAF_ENOMEM;
    if (rc == SHEAF_OK) {
        idx->store = store;
        rc = reload(idx);
        idx->store = NULL;
    }
    if (rc != SHEAF_OK) {
        sheaf_index_free(idx);
        sheaf__store_discard(store, path);
        return rc;
    }
    idx->store = store;
    *out = idx;
    return SHEAF_OK;
}

int sheaf_index_open(const char *path, const sheaf_params *p, unsigned flags,
                     sheaf_index **out)
{
    if (!path || !*path || !out || (flags & ~(unsigned)SHEAF_OPEN_READONLY))
        return SHEAF_EINVAL;
    sheaf_params want;
    int rc;
    if (p) {
        if ((rc = sheaf_params_validate(p)) != SHEAF_OK)
            return rc;
        want = *p;
        sheaf_params_choose_bands(p, &want.bands, &want.rows);
    }
    if (p && p->mode == SHEAF_MODE_STORY)
        return SHEAF_EINVAL; /* story state is not stored yet */
    int readonly = (flags & SHEAF_OPEN_READONLY) != 0;
    sheaf__store *store;
    rc = sheaf__store_open(path, readonly, &store);
    sheaf_index *idx = NULL;
    if (rc == SHEAF_OK)
        rc = open_stored(store, path, p ? &want : NULL, readonly, &idx);
    if (rc == SHEAF_OK)
        *out = idx;
    return rc;
}

/* ------------------------------------------------------------ adding */

static int add_locked(sheaf_index *idx, const char *id, int64_t time,
                      const sheaf_signature *sig, sheaf_assignment *out)
{
    int rc = ready_to_write(idx);
    if (rc != SHEAF_OK)
        return rc;
    size_t id_len = strlen(id);
    if (find_name(idx, id, id_len))
        return SHEAF_EEXIST;

    uint16_t values[SHEAF_MAX_HASHES];
    truncate_values(sig, values);
    int has_shingles = sig->num_shingles != 0;
    if (++idx->epoch == 0) { /* wrapped: old marks could equal new epochs */
        memset(idx->mark, 0, idx->cap * sizeof *idx->mark);
        idx->epoch = 1;
    }
    rc = verified(idx, values, has_shingles, time, idx->keys, idx->mark,
                  idx->epoch, &idx->scratch);
    if (rc != SHEAF_OK)
        return rc;
    scored best = {SHEAF__NO_DOC, 0, 0};
    for (size_t i = 0; i < idx->scratch.n; i++) {
        scored s = score(idx, values, idx->scratch.v[i]);
        if (best.doc == SHEAF__NO_DOC || better(&s, &best))
            best = s;
    }
    int joins = best.doc != SHEAF__NO_DOC;
    name *join = joins ? idx->docs[best.doc].cluster : NULL;

    pending p;
    if ((rc = prepare(idx, NULL, id, id_len, join, id, id_len, has_shingles,
                      &p)) != SHEAF_OK)
        return rc;
    uint64_t seq = idx->next_seq;
    if (idx->store) {
        sheaf__stored_doc rec = {.seq = seq,
                                 .time = time,
                                 .has_shingles = has_shingles,
                                 .id = id,
                                 .id_len = id_len,
                                 .cluster = p.c->s,
                                 .cluster_len = strlen(p.c->s),
                                 .values = values,
                                 .num_hashes = idx->params.num_hashes};
        int grouped = sheaf__store_in_group(idx->store);
        if ((rc = sheaf__store_put(idx->store, &rec)) != SHEAF_OK) {
            abandon(idx, &p);
            return store_failed(idx, rc, grouped);
        }
    }
    uint32_t d = finish(idx, &p, seq, time, values, has_shingles, idx->keys);
    if (out) {
        const doc *x = &idx->docs[d];
        out->cluster = x->cluster->s;
        out->match = joins ? idx->docs[best.doc].id->s : NULL;
        out->similarity =
            joins ? (double)best.same / idx->params.num_hashes : 0.0;
        out->cluster_size = x->cluster->size;
    }
    return SHEAF_OK;
}

/* Room for the story module's next cluster number. */
static int reserve_story_cluster(sheaf_index *idx)
{
    size_t need = sheaf__story_cluster_count(idx->story) + 1;
    if (need <= idx->story_cap)
        return SHEAF_OK;
    size_t cap = idx->story_cap ? idx->story_cap * 2 : 64;
    name **v = realloc(idx->story_clusters, cap * sizeof *v);
    if (!v)
        return SHEAF_ENOMEM;
    memset(v + idx->story_cap, 0, (cap - idx->story_cap) * sizeof *v);
    idx->story_clusters = v;
    idx->story_cap = cap;
    return SHEAF_OK;
}

/* Story mode: the module decides the cluster. Everything of the index's
 * own is prepared first, as for a new cluster; the module learns from the
 * article only when nothing else can fail, since it cannot unlearn. */
static int add_story_locked(sheaf_index *idx, const char *id, int64_t time,
                            const char *text, size_t len,
                            sheaf_assignment *out)
{
    int rc = ready_to_write(idx);
    if (rc != SHEAF_OK)
        return rc;
    size_t id_len = strlen(id);
    if (find_name(idx, id, id_len))
        return SHEAF_EEXIST;
    pending p;
    if ((rc = reserve_story_cluster(idx)) != SHEAF_OK ||
        (rc = prepare(idx, NULL, id, id_len, NULL, id, id_len, 0, &p)) != SHEAF_OK)
        return rc;
    uint32_t d = idx->free_slot != SHEAF__NO_DOC ? idx->free_slot : idx->used;
    sheaf__story_result r;
    if ((rc = sheaf__story_add(idx->story, d, text, len, time, &r)) !=
        SHEAF_OK) {
        abandon(idx, &p);
        return rc;
    }
    if (r.joined) { /* its id does not name a cluster after all */
        p.c->is_cluster = 0;
        p.made_cluster = 0;
        p.c = idx->story_clusters[r.cluster];
    } else {
        p.c->story_no = r.cluster;
        idx->story_clusters[r.cluster] = p.c;
    }
    static const uint16_t no_values[SHEAF_MAX_HASHES];
    finish(idx, &p, idx->next_seq, time, no_values, 0, idx->keys);
    if (out) {
        out->cluster = p.c->s;
        out->match = r.match != SHEAF__STORY_NO_DOC
                         ? idx->docs[r.match].id->s
                         : NULL;
        out->similarity = r.joined ? r.similarity : 0.0;
        out->cluster_size = p.c->size;
    }
    return SHEAF_OK;
}

int sheaf_index_add_signature_at(sheaf_index *idx, const char *id,
                                 int64_t time, const sheaf_signature *sig,
                                 sheaf_assignment *out)
{
    if (!idx || !id || !*id || !sig || idx->story)
        return SHEAF_EINVAL;
    if (!sheaf__signature_compatible(sig, &idx->params))
        return SHEAF_EMISMATCH;
    pthread_rwlock_wrlock(&idx->lock);
    int rc = add_locked(idx, id, time, sig, out);
    unlock(idx);
    return rc;
}

int sheaf_index_add_signature(sheaf_index *idx, const char *id,
                              const sheaf_signature *sig,
                              sheaf_assignment *out)
{
    return sheaf_index_add_signature_at(idx, id, SHEAF_NO_TIME, sig, out);
}

int sheaf_index_add_at(sheaf_index *idx, const char *id, int64_t time,
                       const char *text, size_t len, sheaf_assignment *out)
{
    if (!idx || (!text && len))
        return SHEAF_EINVAL;
    if (idx->story) {
        if (!id || !*id)
            return SHEAF_EINVAL;
        pthread_rwlock_wrlock(&idx->lock);
        int rc = add_story_locked(idx, id, time, text, len, out);
        unlock(idx);
        return rc;
    }
    /* Signed before taking the lock: signing is the expensive part and
     * needs nothing of the index's mutable state. */
    sheaf_signature sig;
    int rc = sheaf_hasher_sign(&idx->hasher, text, len, &sig);
    return rc == SHEAF_OK ? sheaf_index_add_signature_at(idx, id, time, &sig,
                                                         out)
                          : rc;
}

int sheaf_index_add(sheaf_index *idx, const char *id, const char *text,
                    size_t len, sheaf_assignment *out)
{
    return sheaf_index_add_at(idx, id, SHEAF_NO_TIME, text, len, out);
}

/* ---------------------------------------------------------- removing */

int sheaf_index_reserve(sheaf_index *idx, size_t articles)
{
    if (!idx)
        return SHEAF_EINVAL;
    pthread_rwlock_wrlock(&idx->lock);
    int rc = ready_to_write(idx);
    if (rc == SHEAF_OK)
        rc = reserve_slots(idx, articles);
    if (rc == SHEAF_OK && !idx->story)
        rc = sheaf__lsh_reserve(&idx->lsh, articles);
    unlock(idx);
    return rc;
}

int sheaf_index_remove(sheaf_index *idx, const char *id)
{
    if (!idx || !id)
        return SHEAF_EINVAL;
    pthread_rwlock_wrlock(&idx->lock);
    int rc = ready_to_write(idx);
    name *e = NULL;
    if (rc == SHEAF_OK) {
        e = find_name(idx, id, strlen(id));
        if (!e || e->doc == SHEAF__NO_DOC)
            rc = SHEAF_ENOTFOUND;
    }
    if (rc == SHEAF_OK && idx->store) {
        int grouped = sheaf__store_in_group(idx->store);
        if ((rc = sheaf__store_del(idx->store, idx->docs[e->doc].seq)) !=
            SHEAF_OK)
            rc = store_failed(idx, rc, grouped);
    }
    if (rc == SHEAF_OK)
        unlink_doc(idx, e->doc);
    unlock(idx);
    return rc;
}

int sheaf_index_expire(sheaf_index *idx, int64_t before, size_t *removed)
{
    if (!idx)
        return SHEAF_EINVAL;
    pthread_rwlock_wrlock(&idx->lock);
    int rc = ready_to_write(idx);
    /* In a store, all of one expiry is one transaction: the caller's group
     * when one is open, else a group of its own. */
    int own_group = 0;
    if (rc == SHEAF_OK && idx->store && !sheaf__store_in_group(idx->store)) {
        rc = sheaf__store_begin(idx->store);
        own_group = rc == SHEAF_OK;
    }
    size_t n = 0;
    for (uint32_t d = 0; rc == SHEAF_OK && d < idx->used; d++) {
        const doc *x = &idx->docs[d];
        if (!x->id || x->time == SHEAF_NO_TIME || x->time >= before)
            continue;
        n++;
        if (idx->store && (rc = sheaf__store_del(idx->store, x->seq)) !=
                              SHEAF_OK)
            rc = store_failed(idx, rc, !own_group);
    }
    if (rc == SHEAF_OK && own_group)
        rc = sheaf__store_commit(idx->store);
    else if (own_group)
        sheaf__store_abort(idx->store);
    if (rc == SHEAF_OK)
        for (uint32_t d = 0; d < idx->used; d++) {
            const doc *x = &idx->docs[d];
            if (x->id && x->time != SHEAF_NO_TIME && x->time < before)
                unlink_doc(idx, d);
        }
    if (rc == SHEAF_OK && removed)
        *removed = n;
    unlock(idx);
    return rc;
}

/* ------------------------------------------------------------ groups */

int sheaf_index_begin(sheaf_index *idx)
{
    if (!idx)
        return SHEAF_EINVAL;
    pthread_rwlock_wrlock(&idx->lock);
    int rc = ready_to_write(idx);
    if (rc == SHEAF_OK && idx->store &&
        (rc = sheaf__store_begin(idx->store)) == SHEAF_OK)
        idx->group_owner = pthread_self();
    unlock(idx);
    return rc;
}

int sheaf_index_commit(sheaf_index *idx)
{
    if (!idx)
        return SHEAF_EINVAL;
    pthread_rwlock_wrlock(&idx->lock);
    int rc = group_thread_ok(idx) ? SHEAF_OK : SHEAF_EINVAL;
    if (rc == SHEAF_OK && idx->store &&
        (rc = sheaf__store_commit(idx->store)) != SHEAF_OK &&
        rc != SHEAF_EINVAL)
        reload(idx); /* the group is lost: memory follows the disk */
    unlock(idx);
    return rc;
}

int sheaf_index_rollback(sheaf_index *idx)
{
    if (!idx)
        return SHEAF_EINVAL;
    pthread_rwlock_wrlock(&idx->lock);
    int rc = SHEAF_EINVAL; /* memory alone cannot undo */
    if (idx->store && sheaf__store_in_group(idx->store) &&
        group_thread_ok(idx)) {
        sheaf__store_abort(idx->store);
        rc = reload(idx);
    }
    unlock(idx);
    return rc;
}

/* ----------------------------------------------------------- queries */

int sheaf_index_query_signature_at(const sheaf_index *idx,
                                   const sheaf_signature *sig, int64_t time,
                                   sheaf_match *matches, size_t cap,
                                   size_t *count)
{
    if (!idx || !sig || !count || (cap && !matches) || idx->story)
        return SHEAF_EINVAL;
    if (!sheaf__signature_compatible(sig, &idx->params))
        return SHEAF_EMISMATCH;
    uint16_t values[SHEAF_MAX_HASHES];
    truncate_values(sig, values);
    /* Local scratch: queries run concurrently with each other. */
    sheaf__docs cands = {0};
    uint64_t *keys = malloc(idx->params.bands * sizeof *keys);
    scored *found = NULL;
    read_lock(idx);
    int rc = idx->stale ? SHEAF_EIO : !keys ? SHEAF_ENOMEM : SHEAF_OK;
    if (rc == SHEAF_OK)
        rc = verified(idx, values, sig->num_shingles != 0, time, keys, NULL, 0,
                      &cands);
    if (rc == SHEAF_OK && cands.n &&
        !(found = malloc(cands.n * sizeof *found)))
        rc = SHEAF_ENOMEM;
    if (rc == SHEAF_OK) {
        for (size_t i = 0; i < cands.n; i++)
            found[i] = score(idx, values, cands.v[i]);
        if (cands.n > 1)
            qsort(found, cands.n, sizeof *found, compare_scored);
        for (size_t i = 0; i < cands.n && i < cap; i++) {
            const doc *x = &idx->docs[found[i].doc];
            matches[i].id = x->id->s;
            matches[i].cluster = x->cluster->s;
            matches[i].similarity =
                (double)found[i].same / idx->params.num_hashes;
        }
        *count = cands.n;
    }
    unlock(idx);
    free(found);
    free(keys);
    sheaf__docs_free(&cands);
    return rc;
}

int sheaf_index_query_signature(const sheaf_index *idx,
                                const sheaf_signature *sig,
                                sheaf_match *matches, size_t cap,
                                size_t *count)
{
    return sheaf_index_query_signature_at(idx, sig, SHEAF_NO_TIME, matches,
                                          cap, count);
}

/* Story mode: the one cluster the article would join, if any. */
static int query_story(const sheaf_index *idx, const char *text, size_t len,
                       sheaf_match *matches, size_t cap, size_t *count)
{
    sheaf__story_result r;
    read_lock(idx);
    int rc = sheaf__story_query(idx->story, text, len, SHEAF__NO_TIME, &r);
    if (rc == SHEAF_OK) {
        *count = r.joined ? 1 : 0;
        if (r.joined && cap) { /* a joined cluster has members: a match */
            matches[0].cluster = idx->story_clusters[r.cluster]->s;
            matches[0].id = idx->docs[r.match].id->s;
            matches[0].similarity = r.similarity;
        }
    }
    unlock(idx);
    return rc;
}

int sheaf_index_query(const sheaf_index *idx, const char *text, size_t len,
                      sheaf_match *matches, size_t cap, size_t *count)
{
    if (!idx || (!text && len) || !count || (cap && !matches))
        return SHEAF_EINVAL;
    if (idx->story)
        return query_story(idx, text, len, matches, cap, count);
    sheaf_signature sig;
    int rc = sheaf_hasher_sign(&idx->hasher, text, len, &sig);
    return rc == SHEAF_OK
               ? sheaf_index_query_signature(idx, &sig, matches, cap, count)
               : rc;
}

int sheaf_index_cluster_of(const sheaf_index *idx, const char *id,
                           const char **cluster)
{
    if (!idx || !id || !cluster)
        return SHEAF_EINVAL;
    read_lock(idx);
    const name *e = find_name(idx, id, strlen(id));
    int found = e && e->doc != SHEAF__NO_DOC;
    if (found)
        *cluster = idx->docs[e->doc].cluster->s;
    unlock(idx);
    return found ? SHEAF_OK : SHEAF_ENOTFOUND;
}

int sheaf_index_cluster_members(const sheaf_index *idx, const char *cluster,
                                const char **ids, size_t cap, size_t *count)
{
    if (!idx || !cluster || !count || (cap && !ids))
        return SHEAF_EINVAL;
    read_lock(idx);
    const name *c = find_name(idx, cluster, strlen(cluster));
    int found = c && c->is_cluster;
    if (found) {
        size_t n = 0;
        for (uint32_t d = c->head; d != SHEAF__NO_DOC;
             d = idx->docs[d].next, n++)
            if (n < cap)
                ids[n] = idx->docs[d].id->s;
        *count = n;
    }
    unlock(idx);
    return found ? SHEAF_OK : SHEAF_ENOTFOUND;
}
