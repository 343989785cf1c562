/*
 * Signatures: shingles of the normalised text, hashed, reduced to MinHash
 * values by one of two schemes.
 *
 * Every constant below is part of the signature format: changing one changes
 * the bits of every signature (tests/test_signature.c holds golden vectors).
 */
#include <string.h>

#include "normalize.h"
#include "sheaf.h"
#include "signature_internal.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#define CHUNK 256 /* words or code points scanned per call */

/* Odd 64-bit constants (digits of pi and e): the shingle combiner's
 * multiplier and the seeds of the derived hash streams. */
#define COMBINE_MULT 0x9e3779b97f4a7c15ull
#define STREAM_COEFFS 0x243f6a8885a308d3ull
#define STREAM_DENSIFY 0xb7e151628aed2a6bull

/* splitmix64 (Steele, Lea, Flood 2014): a well-mixed 64-bit stream from
 * any state, used to derive coefficients from the seed. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The final mix of a shingle: the word hashes are XXH3 already, but the
 * combiner is a plain multiply-xor chain, so avalanche its result. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdull;
    z = (z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53ull;
    return z ^ (z >> 33);
}

/* The hash of a shingle from its n word (or code point) hashes, in order. */
static uint64_t combine(const uint64_t *h, uint32_t n, uint64_t seed)
{
    uint64_t acc = seed ^ n;
    for (uint32_t i = 0; i < n; i++)
        acc = (acc ^ h[i]) * COMBINE_MULT;
    return mix64(acc);
}

/* Map a 32-bit hash onto [0, n) without division (Lemire 2019). */
static uint32_t fast_range(uint32_t x, uint32_t n)
{
    return (uint32_t)(((uint64_t)x * n) >> 32);
}

int sheaf_hasher_init(sheaf_hasher *h, const sheaf_params *p)
{
    if (!h)
        return SHEAF_EINVAL;
    int rc = sheaf_params_validate(p);
    if (rc != SHEAF_OK)
        return rc;
    memset(h, 0, sizeof *h);
    h->params = *p;
    if (p->scheme == SHEAF_SCHEME_MINHASH) {
        uint64_t state = p->seed ^ STREAM_COEFFS;
        for (uint32_t i = 0; i < p->num_hashes; i++) {
            h->mult[i] = splitmix64(&state) | 1; /* odd: a bijection */
            h->add[i] = splitmix64(&state);
        }
    }
    return SHEAF_OK;
}

/* Running state of one signature while its shingles stream in. */
typedef struct sketch {
    const sheaf_hasher *h;
    uint32_t *v;
    uint8_t filled[SHEAF_MAX_HASHES]; /* OPH: bin received a shingle */
    uint64_t count;
} sketch;

/* One-permutation hashing: the high half of a shingle hash picks the bin,
 * the low half competes for its minimum. */
static void update_oph(sketch *s, const uint64_t *sh, size_t n)
{
    uint32_t bins = s->h->params.num_hashes;
    for (size_t i = 0; i < n; i++) {
        uint32_t bin = fast_range((uint32_t)(sh[i] >> 32), bins);
        uint32_t val = (uint32_t)sh[i];
        s->filled[bin] = 1;
        if (val < s->v[bin])
            s->v[bin] = val;
    }
}

/* k-permutation MinHash with multiply-add-shift hashing (Dietzfelbinger
 * 1996): the high 32 bits of a*x + b mod 2^64, a odd. Unsigned wrap-around
 * is defined, so no overflow; the shift keeps the well-mixed bits. */
static void update_minhash(sketch *s, const uint64_t *sh, size_t n)
{
    const sheaf_hasher *h = s->h;
    uint32_t k = h->params.num_hashes;
    for (size_t j = 0; j < n; j++) {
        uint64_t x = sh[j];
        for (uint32_t i = 0; i < k; i++) {
            uint32_t val = (uint32_t)((h->mult[i] * x + h->add[i]) >> 32);
            if (val < s->v[i])
                s->v[i] = val;
        }
    }
}

static void update(sketch *s, const uint64_t *sh, size_t n)
{
    s->count += n;
    if (s->h->params.scheme == SHEAF_SCHEME_OPH)
        update_oph(s, sh, n);
    else
        update_minhash(s, sh, n);
}

/* Optimal densification (Shrivastava 2017): an empty bin copies the value
 * of the first filled bin along its own pseudo-random probe sequence. The
 * sequence depends only on the bin and the seed, so two documents fill the
 * same empty bin from the same place and collide with the right
 * probability. */
static void densify(sketch *s)
{
    const sheaf_params *p = &s->h->params;
    uint32_t bins = p->num_hashes;
    for (uint32_t j = 0; j < bins; j++) {
        if (s->filled[j])
            continue;
        uint64_t state = (p->seed ^ STREAM_DENSIFY) + ((uint64_t)j << 32);
        for (;;) {
            uint32_t from = fast_range((uint32_t)splitmix64(&state), bins);
            if (s->filled[from]) {
                s->v[j] = s->v[from];
                break;
            }
        }
    }
}

/* Word k-shingles: a window of the last k word hashes slides over the text;
 * a text of fewer than k words is one shingle of all its words. */
static void shingle_words(sketch *s, sheaf__scan *scan)
{
    const sheaf_params *p = &s->h->params;
    uint32_t k = p->shingle_size;
    /* Words of the previous chunk still in the window come first. */
    uint64_t words[SHEAF_MAX_SHINGLE_SIZE - 1 + CHUNK];
    uint64_t sh[CHUNK];
    size_t have = 0, got;
    while ((got = sheaf__scan_words(scan, p->seed, words + have, CHUNK)) > 0) {
        have += got;
        if (have < k)
            continue;
        size_t n = have - k + 1;
        for (size_t i = 0; i < n; i++)
            sh[i] = combine(words + i, k, p->seed);
        update(s, sh, n);
        memmove(words, words + n, (k - 1) * sizeof words[0]);
        have = k - 1;
    }
    if (s->count == 0 && have > 0) {
        sh[0] = combine(words, (uint32_t)have, p->seed);
        update(s, sh, 1);
    }
}

/* Character k-grams: each code point is hashed (XXH3 of its value as four
 * little-endian bytes, the same on every platform) and the window combined
 * like words. */
static void shingle_chars(sketch *s, sheaf__scan *scan)
{
    const sheaf_params *p = &s->h->params;
    uint32_t k = p->shingle_size;
    uint32_t cps[CHUNK];
    uint64_t hashes[SHEAF_MAX_SHINGLE_SIZE - 1 + CHUNK];
    uint64_t sh[CHUNK];
    size_t have = 0, got;
    while ((got = sheaf__scan_chars(scan, cps, CHUNK)) > 0) {
        for (size_t i = 0; i < got; i++) {
            uint8_t le[4] = {(uint8_t)cps[i], (uint8_t)(cps[i] >> 8),
                             (uint8_t)(cps[i] >> 16), (uint8_t)(cps[i] >> 24)};
            hashes[have + i] = XXH3_64bits_withSeed(le, sizeof le, p->seed);
        }
        have += got;
        if (have < k)
            continue;
        size_t n = have - k + 1;
        for (size_t i = 0; i < n; i++)
            sh[i] = combine(hashes + i, k, p->seed);
        update(s, sh, n);
        memmove(hashes, hashes + n, (k - 1) * sizeof hashes[0]);
        have = k - 1;
    }
    if (s->count == 0 && have > 0) {
        sh[0] = combine(hashes, (uint32_t)have, p->seed);
        update(s, sh, 1);
    }
}

int sheaf_hasher_sign(const sheaf_hasher *h, const char *text, size_t len,
                      sheaf_signature *out)
{
    if (!h || !out || (!text && len))
        return SHEAF_EINVAL;
    const sheaf_params *p = &h->params;
    sketch s;
    s.h = h;
    s.v = out->values;
    s.count = 0;
    memset(out->values, 0xff, p->num_hashes * sizeof out->values[0]);
    if (p->scheme == SHEAF_SCHEME_OPH)
        memset(s.filled, 0, p->num_hashes);

    sheaf__scan scan;
    sheaf__scan_init(&scan, text, len);
    if (p->shingle_kind == SHEAF_SHINGLE_WORD)
        shingle_words(&s, &scan);
    else
        shingle_chars(&s, &scan);
    if (s.count && p->scheme == SHEAF_SCHEME_OPH)
        densify(&s);

    out->seed = p->seed;
    out->num_hashes = p->num_hashes;
    out->scheme = (uint8_t)p->scheme;
    out->shingle_kind = (uint8_t)p->shingle_kind;
    out->shingle_size = (uint8_t)p->shingle_size;
    out->reserved = 0;
    out->num_shingles = s.count;
    return SHEAF_OK;
}

int sheaf_sign(const sheaf_params *p, const char *text, size_t len,
               sheaf_signature *out)
{
    sheaf_hasher h;
    int rc = sheaf_hasher_init(&h, p);
    return rc == SHEAF_OK ? sheaf_hasher_sign(&h, text, len, out) : rc;
}

int sheaf__signature_compatible(const sheaf_signature *sig,
                                const sheaf_params *p)
{
    return sig->seed == p->seed && sig->num_hashes == p->num_hashes &&
           sig->scheme == (uint8_t)p->scheme &&
           sig->shingle_kind == (uint8_t)p->shingle_kind &&
           sig->shingle_size == (uint8_t)p->shingle_size;
}

uint32_t sheaf__count_equal(const uint32_t *a, const uint32_t *b, uint32_t n)
{
    uint32_t same = 0;
    for (uint32_t i = 0; i < n; i++)
        same += a[i] == b[i];
    return same;
}

int sheaf_signature_similarity(const sheaf_signature *a,
                               const sheaf_signature *b, double *similarity)
{
    if (!a || !b || !similarity || a->num_hashes < 1 ||
        a->num_hashes > SHEAF_MAX_HASHES)
        return SHEAF_EINVAL;
    if (a->seed != b->seed || a->num_hashes != b->num_hashes ||
        a->scheme != b->scheme || a->shingle_kind != b->shingle_kind ||
        a->shingle_size != b->shingle_size)
        return SHEAF_EMISMATCH;
    if (a->num_shingles == 0 || b->num_shingles == 0) {
        *similarity = 0.0;
        return SHEAF_OK;
    }
    uint32_t same = sheaf__count_equal(a->values, b->values, a->num_hashes);
    *similarity = (double)same / a->num_hashes;
    return SHEAF_OK;
}
