/* Near mode spread over the ranks (see near.h). */
#include "near.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "xalloc.h"

/* Articles whose band keys go out in one exchange: bounds the buffers. */
#define ROUND_ARTICLES 16384

/* A band entry on the wire and at its owner, packed: it is most of the
 * bytes sent. The band is not in it: keys start from a constant of their
 * band, so equal keys of two bands are as rare as any other collision, and
 * a pair they propose is a candidate verification turns down. */
typedef struct __attribute__((packed)) entry {
    uint64_t key;
    uint64_t same; /* a hash of all the values: equal signatures */
    uint32_t doc;
} entry;

/* A set of candidate pairs, (earlier << 32 | later), never 0. */
typedef struct pairset {
    uint64_t *slot;
    size_t mask;
    size_t n;
} pairset;

static void set_grow(pairset *p)
{
    size_t cap = p->slot ? 2 * (p->mask + 1) : 1024;
    uint64_t *old = p->slot;
    size_t oldcap = old ? p->mask + 1 : 0;
    p->slot = xcalloc(cap, sizeof *p->slot);
    p->mask = cap - 1;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i])
            continue;
        size_t j = (size_t)XXH3_64bits(&old[i], 8) & p->mask;
        while (p->slot[j])
            j = (j + 1) & p->mask;
        p->slot[j] = old[i];
    }
    free(old);
}

/* Adds v; 1 when it was new. */
static int set_add(pairset *p, uint64_t v)
{
    if (2 * (p->n + 1) > p->mask + 1 || !p->slot)
        set_grow(p);
    size_t j = (size_t)XXH3_64bits(&v, 8) & p->mask;
    for (; p->slot[j]; j = (j + 1) & p->mask)
        if (p->slot[j] == v)
            return 0;
    p->slot[j] = v;
    p->n++;
    return 1;
}

static void set_free(pairset *p)
{
    free(p->slot);
    memset(p, 0, sizeof *p);
}

/* A signature rebuilt from the values as the index keeps them: their
 * low 16 bits, which are all that keys and verification read. */
static void signature_of(const sheaf_params *p, const uint16_t *v, int shingles,
                         sheaf_signature *sig)
{
    sig->seed = p->seed;
    sig->num_hashes = p->num_hashes;
    sig->scheme = (uint8_t)p->scheme;
    sig->shingle_kind = (uint8_t)p->shingle_kind;
    sig->shingle_size = (uint8_t)p->shingle_size;
    sig->reserved = 0;
    sig->num_shingles = shingles != 0;
    for (uint32_t h = 0; h < p->num_hashes; h++)
        sig->values[h] = v[h];
}

/* The rank owning band `band`'s bucket of key. */
static int owner_of(uint32_t band, uint64_t key, uint32_t bands, int size)
{
    uint32_t split = ((uint32_t)size + bands - 1) / bands;
    uint64_t part = (key >> 32) % split;
    return (int)(((uint64_t)band + (uint64_t)bands * part) % (uint64_t)size);
}

/* Send every article's band entries to the owners; returns those this
 * rank owns. */
static entry *spread_bands(share *s, world *w, const sheaf_params *p,
                           const sheaf_banding *bd, size_t *count)
{
    uint32_t bands = sheaf_banding_bands(bd);
    bytes *out = xcalloc((size_t)w->size, sizeof *out), in = {0};
    size_t *from = xcalloc((size_t)w->size + 1, sizeof *from), n = 0, cap = 0;
    entry *mine = NULL;
    uint64_t *keys = xcalloc(bands, sizeof *keys);
    sheaf_signature *sig = xmalloc(sizeof *sig);
    uint64_t rounds = max_all((s->n + ROUND_ARTICLES - 1) / ROUND_ARTICLES);
    size_t pos = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        for (size_t end = pos + ROUND_ARTICLES; pos < s->n && pos < end; pos++) {
            const own *a = &s->v[pos];
            const uint16_t *v = s->values + pos * s->hashes;
            size_t nk;
            signature_of(p, v, a->shingles, sig);
            if (sheaf_banding_keys(bd, sig, keys, bands, &nk) != SHEAF_OK)
                die_all(3, "band keys: %s", sheaf_errmsg());
            entry e = {0, XXH3_64bits(v, s->hashes * sizeof *v), a->doc};
            for (uint32_t b = 0; b < nk; b++) {
                e.key = keys[b];
                bytes_put(&out[owner_of(b, keys[b], bands, w->size)], &e,
                          sizeof e);
            }
        }
        exchange(w, out, &in, from);
        size_t got = in.n / sizeof(entry);
        if (n + got > cap) {
            cap = 2 * (n + got);
            mine = xreallocarray(mine, cap, sizeof *mine);
        }
        memcpy(mine + n, in.p, got * sizeof *mine);
        n += got;
    }
    for (int d = 0; d < w->size; d++)
        bytes_free(&out[d]);
    bytes_free(&in);
    free(out);
    free(from);
    free(keys);
    free(sig);
    *count = n;
    return mine;
}

static int by_doc(const void *a, const void *b)
{
    uint32_t x = ((const entry *)a)->doc, y = ((const entry *)b)->doc;
    return x < y ? -1 : x > y;
}

static void send_pair(share *s, world *w, bytes *out, pairset *seen,
                      uint32_t earlier, uint32_t later)
{
    size_t pos;
    if (set_add(seen, (uint64_t)earlier << 32 | later))
        bytes_u64(&out[share_owner(s, w, earlier, &pos)],
                  (uint64_t)earlier << 32 | later);
}

/* The candidate pairs of one bucket, sorted by doc. Among equal
 * signatures only the earliest is a candidate for later articles, and an
 * article equal to an earlier one needs no other: it matches the first of
 * its equals, with similarity 1, as the index's groups of equal
 * signatures make it. */
static void bucket_pairs(share *s, world *w, entry *e, size_t n, bytes *out,
                         pairset *seen, entry **reps, size_t *repcap)
{
    if (n == 2 && e[1].doc < e[0].doc) {
        entry t = e[0];
        e[0] = e[1];
        e[1] = t;
    } else if (n > 2) {
        qsort(e, n, sizeof *e, by_doc);
    }
    if (*repcap < n) {
        *repcap = n;
        *reps = xreallocarray(*reps, n, sizeof **reps);
    }
    size_t nrep = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = 0;
        while (r < nrep && (*reps)[r].same != e[i].same)
            r++;
        if (r < nrep) {
            send_pair(s, w, out, seen, (*reps)[r].doc, e[i].doc);
            continue;
        }
        for (r = 0; r < nrep; r++)
            send_pair(s, w, out, seen, (*reps)[r].doc, e[i].doc);
        (*reps)[nrep++] = e[i];
    }
}

/* Group the owned entries by bucket and send each bucket's pairs to the
 * earlier article's rank; returns the distinct pairs this rank received,
 * in *in (u64 each). */
static void find_pairs(share *s, world *w, entry *e, size_t n, bytes *in)
{
    /* Chains of entries by bucket: head[slot] and next[entry], both
     * entry + 1; at most two thirds full. A bucket of one entry, most of
     * them, has no next. */
    size_t cap = 16;
    while (2 * cap < 3 * n)
        cap *= 2;
    uint32_t *head = xcalloc(cap, sizeof *head);
    uint32_t *next = xcalloc(n + 1, sizeof *next);
    for (size_t i = 0; i < n; i++) {
        size_t j = (size_t)e[i].key & (cap - 1); /* keys are mixed */
        while (head[j] && e[head[j] - 1].key != e[i].key)
            j = (j + 1) & (cap - 1);
        next[i] = head[j];
        head[j] = (uint32_t)i + 1;
    }
    bytes *out = xcalloc((size_t)w->size, sizeof *out);
    size_t *from = xcalloc((size_t)w->size + 1, sizeof *from), bcap = 0, repcap = 0;
    entry *bucket = NULL, *reps = NULL;
    pairset seen = {0};
    for (size_t j = 0; j < cap; j++) {
        if (!head[j] || !next[head[j] - 1])
            continue;
        size_t m = 0;
        for (uint32_t i = head[j]; i; i = next[i - 1]) {
            if (m == bcap) {
                bcap = bcap ? 2 * bcap : 64;
                bucket = xreallocarray(bucket, bcap, sizeof *bucket);
            }
            bucket[m++] = e[i - 1];
        }
        bucket_pairs(s, w, bucket, m, out, &seen, &reps, &repcap);
    }
    set_free(&seen);
    free(head);
    free(next);
    free(bucket);
    free(reps);
    exchange(w, out, in, from);
    for (int d = 0; d < w->size; d++)
        bytes_free(&out[d]);
    free(out);
    free(from);
}

/* For the pairs whose earlier article is here: each later article's rank
 * gets, per earlier article, its values once and the later ones to check
 * against them. Returns what this rank receives to verify. */
static void send_values(share *s, world *w, const bytes *pairs, bytes *in,
                        uint64_t *distinct)
{
    size_t np = pairs->n / 8, *at = xcalloc(s->n + 1, sizeof *at), pos;
    uint64_t *v = (uint64_t *)(void *)pairs->p;
    uint32_t *later = xcalloc(np + 1, sizeof *later);
    pairset seen = {0};
    /* Distinct pairs, counted by earlier article, then placed. */
    uint8_t *dup = xcalloc(np + 1, 1);
    for (size_t i = 0; i < np; i++) {
        if (!set_add(&seen, v[i])) {
            dup[i] = 1;
            continue;
        }
        share_owner(s, w, (uint32_t)(v[i] >> 32), &pos);
        at[pos + 1]++;
    }
    set_free(&seen);
    for (size_t i = 0; i < s->n; i++)
        at[i + 1] += at[i];
    size_t *fill = xcalloc(s->n + 1, sizeof *fill);
    for (size_t i = 0; i < np; i++) {
        if (dup[i])
            continue;
        share_owner(s, w, (uint32_t)(v[i] >> 32), &pos);
        later[at[pos] + fill[pos]++] = (uint32_t)v[i];
    }
    *distinct = at[s->n];
    bytes *out = xcalloc((size_t)w->size, sizeof *out);
    size_t *from = xcalloc((size_t)w->size + 1, sizeof *from);
    uint32_t *per = xcalloc((size_t)w->size, sizeof *per);
    for (size_t e = 0; e < s->n; e++) {
        if (at[e] == at[e + 1])
            continue;
        memset(per, 0, (size_t)w->size * sizeof *per);
        for (size_t i = at[e]; i < at[e + 1]; i++)
            per[share_owner(s, w, later[i], &pos)]++;
        for (int d = 0; d < w->size; d++) {
            if (!per[d])
                continue;
            bytes_u32(&out[d], s->v[e].doc);
            bytes_u32(&out[d], per[d]);
            bytes_put(&out[d], s->values + e * s->hashes,
                      s->hashes * sizeof *s->values);
            for (size_t i = at[e]; i < at[e + 1]; i++)
                if (share_owner(s, w, later[i], &pos) == d)
                    bytes_u32(&out[d], later[i]);
        }
    }
    exchange(w, out, in, from);
    for (int d = 0; d < w->size; d++)
        bytes_free(&out[d]);
    free(out);
    free(from);
    free(per);
    free(at);
    free(fill);
    free(later);
    free(dup);
}

/* Verify every pair received and keep each article's best match. */
static void verify(share *s, world *w, const sheaf_params *p,
                   const sheaf_banding *bd, const bytes *in, uint32_t *best,
                   double *sim)
{
    sheaf_signature *a = xmalloc(sizeof *a), *earlier = xmalloc(sizeof *earlier);
    uint16_t *v = xcalloc(p->num_hashes, sizeof *v);
    cursor c = {in->p, in->p + in->n};
    while (c.p < c.end) {
        uint32_t j = take_u32(&c), n = take_u32(&c);
        take_bytes(&c, v, p->num_hashes * sizeof *v);
        signature_of(p, v, 1, earlier);
        for (uint32_t k = 0; k < n; k++) {
            uint32_t i = take_u32(&c);
            size_t pos;
            if (share_owner(s, w, i, &pos) != w->rank)
                die_all(3, "internal error: a pair for another rank");
            int ok;
            double x;
            signature_of(p, s->values + pos * s->hashes, s->v[pos].shingles, a);
            if (sheaf_banding_verify(bd, a, earlier, &ok, &x) != SHEAF_OK)
                die_all(3, "verify: %s", sheaf_errmsg());
            if (ok && (best[pos] == NO_DOC || x > sim[pos] ||
                       (x == sim[pos] && j < best[pos]))) {
                best[pos] = j;
                sim[pos] = x;
            }
        }
    }
    free(a);
    free(earlier);
    free(v);
}

void near_decide(share *s, world *w, const sheaf_params *p, near_stats *st)
{
    sheaf_banding bd;
    if (sheaf_banding_init(&bd, p) != SHEAF_OK)
        die_all(3, "%s", sheaf_errmsg());
    size_t n;
    entry *e = spread_bands(s, w, p, &bd, &n);
    st->entries = n;
    st->index_bytes = n * sizeof *e + s->n * (s->hashes * 2 + sizeof(own));
    bytes pairs = {0}, checks = {0};
    find_pairs(s, w, e, n, &pairs);
    free(e);
    send_values(s, w, &pairs, &checks, &st->pairs);
    bytes_free(&pairs);
    uint32_t *best = xcalloc(s->n + 1, sizeof *best);
    double *sim = xcalloc(s->n + 1, sizeof *sim);
    for (size_t i = 0; i < s->n; i++)
        best[i] = NO_DOC;
    verify(s, w, p, &bd, &checks, best, sim);
    bytes_free(&checks);
    for (size_t i = 0; i < s->n; i++) {
        s->v[i].match = best[i];
        s->v[i].similarity = best[i] == NO_DOC ? 0.0 : sim[i];
    }
    free(best);
    free(sim);
}
