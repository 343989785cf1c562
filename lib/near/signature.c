/*
 * Signatures: shingles of the normalised text, hashed, reduced to MinHash
 * values by one of two schemes.
 *
 * The code here is the scalar reference. On a SIMD level (simd.h) vector
 * kernels take over word hashing, shingle combining, OPH binning and
 * densification and k-permutation updates, with the same results bit for
 * bit.
 *
 * Every constant below is part of the signature format: changing one changes
 * the bits of every signature (tests/test_signature.c holds golden vectors).
 */
#include <string.h>

#include "text/normalize.h"
#include "sheaf.h"
#include "common/error.h"
#include "common/params.h"
#include "common/simd.h"
#include "near/near.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#define CHUNK 256 /* words or code points scanned per call */

/* Odd 64-bit constants (digits of pi and e): the seeds of the derived
 * hash streams. */
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

/* MurmurHash3's 64-bit finaliser: every input bit flips every output bit
 * with probability near 1/2. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdull;
    z = (z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53ull;
    return z ^ (z >> 33);
}

static uint64_t rotl64(uint64_t x, unsigned r)
{
    return r ? x << r | x >> (64 - r) : x;
}

/* The hash of a shingle from its n word (or code point) hashes h_i, in
 * order: the XOR of h_i rotated left by n - 1 - i, which a window slides
 * over in O(1) (combine_all), the position told by the rotation; then
 * seed and n, and an avalanche, since XOR and rotation are linear. */
static uint64_t combine(const uint64_t *h, uint32_t n, uint64_t seed)
{
    uint64_t acc = 0;
    for (uint32_t i = 0; i < n; i++)
        acc = rotl64(acc, 1) ^ h[i];
    return mix64(acc ^ seed ^ n);
}

/* Map a 32-bit hash onto [0, n) without division (Lemire 2019). */
static uint32_t fast_range(uint32_t x, uint32_t n)
{
    return (uint32_t)(((uint64_t)x * n) >> 32);
}

/* Optimal densification (Shrivastava 2017), in the form of a ranking: an
 * empty bin j copies the value of the filled bin b of smallest rank(j, b),
 * a pseudo-random order of the bins of its own. It depends only on the
 * bins and the seed, so two documents fill the same empty bin from the
 * same place exactly when that bin is filled in both, which gives the
 * right collision probability; and each empty bin draws independently and
 * uniformly among the filled ones. The low 10 bits of a rank hold b, so
 * ranks never tie. */
static uint64_t rank(uint64_t key, uint32_t j, uint32_t b)
{
    return mix64(key + ((uint64_t)j << 32 | b)) << 10 | b;
}

/* For OPH the hasher keeps, in table[] seen as bytes, each bin's
 * lowest-ranked bins in rank order (sheaf__dens_list_len of them, one byte
 * each for up to 256 bins, else two, little-endian; laid out as simd.h
 * says), so that densifying looks up a few bytes instead of ranking all
 * filled bins; only when none of those is filled does it rank them. */
static uint32_t list_entry(const uint8_t *lists, uint32_t bins, uint32_t t,
                           uint32_t j)
{
    size_t at = (size_t)t * sheaf__dens_stride(bins) + j;
    return bins <= 256
               ? lists[at]
               : (uint32_t)lists[2 * at] | (uint32_t)lists[2 * at + 1] << 8;
}

static void rank_lists(sheaf_hasher *h)
{
    const uint32_t bins = h->num_hashes;
    const uint32_t len = sheaf__dens_list_len(bins);
    const uint32_t width = bins <= 256 ? 1 : 2;
    const uint64_t key = h->seed ^ STREAM_DENSIFY;
    uint8_t *lists = (uint8_t *)h->table;

    for (uint32_t j = 0; j < bins; j++) {
        /* The len smallest ranks, kept sorted by insertion. */
        uint64_t low[SHEAF__DENS_MAX_LIST];
        uint32_t n = 0;
        for (uint32_t b = 0; b < bins; b++) {
            uint64_t r = rank(key, j, b);
            if (n == len && r > low[n - 1])
                continue;
            uint32_t i = n < len ? n++ : n - 1;
            for (; i > 0 && low[i - 1] > r; i--)
                low[i] = low[i - 1];
            low[i] = r;
        }
        for (uint32_t t = 0; t < len; t++) {
            size_t at = (size_t)t * sheaf__dens_stride(bins) + j;
            uint32_t b = (uint32_t)(low[t] & 1023);
            if (width == 1) {
                lists[at] = (uint8_t)b;
            } else {
                lists[2 * at] = (uint8_t)b;
                lists[2 * at + 1] = (uint8_t)(b >> 8);
            }
        }
    }
}

/* The level a hasher signs with: the one asked for, or the best there is. */
static uint8_t level_of(sheaf_simd simd)
{
    if (simd != SHEAF_SIMD_AUTO)
        return (uint8_t)(simd - 1);
    sheaf__simd_level l = SHEAF__SIMD_AVX512;
    while (l > SHEAF__SIMD_SCALAR && !sheaf__simd_available(l))
        l = (sheaf__simd_level)(l - 1);
    return (uint8_t)l;
}

void sheaf__hasher_init(sheaf_hasher *h, const sheaf_params *p)
{
    memset(h, 0, sizeof *h);
    h->seed = p->seed;
    h->num_hashes = p->num_hashes;
    h->shingle_size = p->shingle_size;
    h->scheme = (uint8_t)p->scheme;
    h->shingle_kind = (uint8_t)p->shingle_kind;
    h->level = level_of(p->simd);
    if (p->scheme == SHEAF_SCHEME_MINHASH) {
        uint64_t state = p->seed ^ STREAM_COEFFS;
        for (uint32_t i = 0; i < p->num_hashes; i++) {
            h->table[i] = splitmix64(&state) | 1; /* odd: a bijection */
            h->table[SHEAF_MAX_HASHES + i] = splitmix64(&state);
        }
    } else {
        rank_lists(h);
    }
}

int sheaf_hasher_init(sheaf_hasher *h, const sheaf_params *in)
{
    sheaf_params p;
    int rc = h ? sheaf__params_load(in, &p)
               : sheaf__fail(SHEAF_EINVAL, "hasher_init: NULL hasher");
    if (rc == SHEAF_OK)
        sheaf__hasher_init(h, &p);
    return sheaf__ret(rc);
}

/* Running state of one signature while its shingles stream in. */
typedef struct sketch {
    const sheaf_hasher *h;
    const sheaf__kernels *kr; /* NULL: the scalar reference */
    uint32_t *v;
    uint8_t filled[SHEAF_MAX_HASHES + 8]; /* OPH: bin received a shingle */
    uint64_t count;
} sketch;

/* One-permutation hashing: the high half of a shingle hash picks the bin,
 * the low half competes for its minimum. */
static void update_oph(sketch *s, const uint64_t *sh, size_t n)
{
    uint32_t bins = s->h->num_hashes;
    uint32_t *v = s->v;
    uint8_t *filled = s->filled;
    /* The minimum is taken without a branch: whether a value is a new
     * minimum is a coin toss early in a document, which a branch would
     * mispredict. */
    if (bins > 1 && !(bins & (bins - 1))) {
        /* fast_range of the high half onto 2^b bins is its top b bits. */
        unsigned shift = 64 - (unsigned)__builtin_ctz(bins);
        for (const uint64_t *x = sh, *end = sh + n; x < end; x++) {
            uint32_t bin = (uint32_t)(*x >> shift);
            uint32_t val = (uint32_t)*x, cur = v[bin];
            filled[bin] = 1;
            v[bin] = val < cur ? val : cur;
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t bin = fast_range((uint32_t)(sh[i] >> 32), bins);
        uint32_t val = (uint32_t)sh[i], cur = v[bin];
        filled[bin] = 1;
        v[bin] = val < cur ? val : cur;
    }
}

/* k-permutation MinHash with multiply-add-shift hashing (Dietzfelbinger
 * 1996): the high 32 bits of a*x + b mod 2^64, a odd. Unsigned wrap-around
 * is defined, so no overflow; the shift keeps the well-mixed bits. The
 * hasher's table[] holds the multipliers a, then from SHEAF_MAX_HASHES the
 * addends b. */
static void update_minhash(sketch *s, const uint64_t *sh, size_t n)
{
    const sheaf_hasher *h = s->h;
    const uint64_t *mult = h->table, *add = h->table + SHEAF_MAX_HASHES;
    uint32_t k = h->num_hashes;
    for (size_t j = 0; j < n; j++) {
        uint64_t x = sh[j];
        for (uint32_t i = 0; i < k; i++) {
            uint32_t val = (uint32_t)((mult[i] * x + add[i]) >> 32);
            if (val < s->v[i])
                s->v[i] = val;
        }
    }
}

static void update(sketch *s, const uint64_t *sh, size_t n)
{
    s->count += n;
    if (s->h->scheme == SHEAF_SCHEME_OPH)
        update_oph(s, sh, n);
    else if (s->kr)
        s->kr->minhash(s->h->table, s->h->table + SHEAF_MAX_HASHES,
                       s->h->num_hashes, sh, n, s->v);
    else
        update_minhash(s, sh, n);
}

/* The bins of filled[0..bins) that are 0, as a bitmap of (bins + 63) / 64
 * words, eight bins per step (filled has room for the reads past bins,
 * which are masked). */
static void empty_bins(const uint8_t *filled, uint32_t bins, uint64_t *out)
{
    for (uint32_t w = 0; w < (bins + 63) / 64; w++) {
        uint64_t word = 0;
        for (uint32_t i = 64 * w; i < 64 * w + 64 && i < bins; i += 8) {
            const uint8_t *f = filled + i;
            uint64_t x = (uint64_t)f[0] | (uint64_t)f[1] << 8 |
                         (uint64_t)f[2] << 16 | (uint64_t)f[3] << 24 |
                         (uint64_t)f[4] << 32 | (uint64_t)f[5] << 40 |
                         (uint64_t)f[6] << 48 | (uint64_t)f[7] << 56;
            /* Bytes of 0 or 1 gathered into the top byte, bin i + b at
             * bit 56 + b: the product's terms land on distinct bits. */
            uint64_t got = (x * UINT64_C(0x0102040810204080)) >> 56;
            word |= (~got & 0xff) << (i % 64);
        }
        out[w] = word;
    }
    if (bins % 64)
        out[bins / 64] &= (UINT64_C(1) << (bins % 64)) - 1;
}

static void densify(sketch *s)
{
    const sheaf_hasher *h = s->h;
    const uint32_t bins = h->num_hashes, words = (bins + 63) / 64;
    const uint32_t len = sheaf__dens_list_len(bins);
    const uint8_t *lists = (const uint8_t *)h->table;
    const uint8_t *filled = s->filled;
    uint64_t empty[SHEAF_MAX_HASHES / 64], left[SHEAF_MAX_HASHES / 64];
    uint32_t *v = s->v;

    /* A kernel settles the bins whose lists hold a filled bin many at
     * once; left are the bins it could not. */
    if (!s->kr || !s->kr->densify(lists, len, bins, filled, v, left)) {
        empty_bins(filled, bins, left);
        for (uint32_t w = 0; w < words; w++)
            for (uint64_t m = left[w]; m; m &= m - 1) {
                uint32_t j = 64 * w + (uint32_t)__builtin_ctzll(m);
                for (uint32_t t = 0; t < len; t++) {
                    uint32_t b = list_entry(lists, bins, t, j);
                    if (filled[b]) {
                        v[j] = v[b];
                        left[w] &= ~(UINT64_C(1) << (j % 64));
                        break;
                    }
                }
            }
    }
    int ranked = 0;
    for (uint32_t w = 0; w < words; w++)
        for (uint64_t m = left[w]; m; m &= m - 1) {
            /* None of the listed bins is filled, so few are: rank them,
             * from the bitmap. */
            uint32_t j = 64 * w + (uint32_t)__builtin_ctzll(m);
            const uint64_t key = h->seed ^ STREAM_DENSIFY;
            uint64_t best = UINT64_MAX;
            if (!ranked++)
                empty_bins(filled, bins, empty);
            for (uint32_t x = 0; x < words; x++) {
                uint64_t full = ~empty[x];
                if (64 * x + 64 > bins)
                    full &= (UINT64_C(1) << (bins % 64)) - 1;
                for (; full; full &= full - 1) {
                    uint64_t r =
                        rank(key, j, 64 * x + (uint32_t)__builtin_ctzll(full));
                    best = r < best ? r : best;
                }
            }
            v[j] = v[best & 1023];
        }
}

/* The shingle hashes of units[i .. i + k) for i < n into out; with a
 * kernel, units and out have SHEAF__LANES entries of slack. */
static void combine_all(const sketch *s, const uint64_t *units, size_t n,
                        uint64_t *out)
{
    const sheaf_hasher *p = s->h;
    if (s->kr) {
        s->kr->combine(units, n, p->shingle_size, p->seed, out);
        return;
    }
    /* Slide the window: drop the oldest unit, now rotated by k, and take
     * in the newest. */
    const uint32_t k = p->shingle_size;
    const uint64_t tail = p->seed ^ k;
    uint64_t acc = 0;
    for (uint32_t i = 0; i < k; i++)
        acc = rotl64(acc, 1) ^ units[i];
    for (size_t i = 0; i < n; i++) {
        if (i)
            acc = rotl64(acc, 1) ^ rotl64(units[i - 1], k) ^ units[i + k - 1];
        out[i] = mix64(acc ^ tail);
    }
}

/* units[0..have) hold the newest unit (word or character) hashes, oldest
 * first: sign every complete window of k of them and keep the k - 1 newest
 * for the next chunk. Returns how many are kept. */
static size_t slide(sketch *s, uint64_t *units, size_t have, uint64_t *sh)
{
    uint32_t k = s->h->shingle_size;
    if (have < k)
        return have;
    size_t n = have - k + 1;
    if (s->kr && s->h->scheme == SHEAF_SCHEME_OPH) {
        /* The kernel bins each shingle as it hashes it. */
        s->kr->oph(units, n, k, s->h->seed, s->h->num_hashes,
                   s->v, s->filled);
        s->count += n;
    } else {
        combine_all(s, units, n, sh);
        update(s, sh, n);
    }
    memmove(units, units + n, (k - 1) * sizeof units[0]);
    return k - 1;
}

/* A text of fewer than k units is one shingle of all of them. */
static void short_text(sketch *s, const uint64_t *units, size_t have)
{
    if (s->count == 0 && have > 0) {
        uint64_t sh = combine(units, (uint32_t)have, s->h->seed);
        update(s, &sh, 1);
    }
}

/* Word k-shingles: a window of the last k word hashes slides over the text;
 * a text of fewer than k words is one shingle of all its words. */
static void shingle_words(sketch *s, sheaf__scan *scan)
{
    const sheaf_hasher *p = s->h;
    /* Words of the previous chunk still in the window come first. */
    uint64_t words[SHEAF_MAX_SHINGLE_SIZE - 1 + CHUNK];
    uint64_t sh[CHUNK];
    size_t have = 0, got;
    while ((got = sheaf__scan_words(scan, p->seed, words + have, CHUNK)) > 0)
        have = slide(s, words, have + got, sh);
    short_text(s, words, have);
}

/* The next words of text[*pos, len) on a SIMD level, at most
 * SHEAF__TOKENS, hashed into out (SHEAF__LANES entries of slack): a window
 * tokenised, its short plain words hashed by the vector XXH3. */
static size_t next_words_simd(const sheaf__kernels *kr, const char *text,
                              size_t len, size_t *pos, uint64_t seed,
                              const sheaf__xxh3_keys *keys, uint64_t *out)
{
    sheaf__tokens tok;
    size_t got = kr->tokenize((const uint8_t *)text, len, pos, seed, &tok, out);
    kr->hash_words(tok.base, tok.off, tok.len, got, keys, out);
    kr->hash_mid(tok.base, tok.mid_off, tok.mid_len, tok.mid_at, tok.nmid, keys,
                 out);
    return got;
}

/* shingle_words on a SIMD level. */
static void shingle_words_simd(sketch *s, const char *text, size_t len)
{
    const sheaf_hasher *p = s->h;
    uint64_t words[SHEAF_MAX_SHINGLE_SIZE - 1 + SHEAF__TOKENS + SHEAF__LANES];
    uint64_t sh[SHEAF__TOKENS + SHEAF__LANES];
    sheaf__xxh3_keys keys;
    size_t pos = 0, have = 0;

    sheaf__xxh3_keys_init(&keys, p->seed);
    while (pos < len) {
        size_t got = next_words_simd(s->kr, text, len, &pos, p->seed, &keys,
                                     words + have);
        have = slide(s, words, have + got, sh);
    }
    short_text(s, words, have);
}

size_t sheaf__words_level(const char *text, size_t len, uint64_t seed,
                          uint64_t *out, sheaf__simd_level level)
{
    const sheaf__kernels *kr = sheaf__simd_kernels(level);
    size_t n = 0;
    if (!kr) {
        sheaf__scan scan;
        size_t got;
        sheaf__scan_init(&scan, text, len);
        while ((got = sheaf__scan_words(&scan, seed, out + n, CHUNK)) > 0)
            n += got;
        return n;
    }
    sheaf__xxh3_keys keys;
    size_t pos = 0;
    sheaf__xxh3_keys_init(&keys, seed);
    while (pos < len)
        n += next_words_simd(kr, text, len, &pos, seed, &keys, out + n);
    return n;
}

/* Character k-grams: each code point is hashed (XXH3 of its value as four
 * little-endian bytes, the same on every platform) and the window combined
 * like words. */
static void shingle_chars(sketch *s, sheaf__scan *scan)
{
    const sheaf_hasher *p = s->h;
    uint32_t cps[CHUNK];
    uint64_t hashes[SHEAF_MAX_SHINGLE_SIZE - 1 + CHUNK + SHEAF__LANES];
    uint64_t sh[CHUNK + SHEAF__LANES];
    size_t have = 0, got;
    while ((got = sheaf__scan_chars(scan, cps, CHUNK)) > 0) {
        for (size_t i = 0; i < got; i++) {
            uint8_t le[4] = {(uint8_t)cps[i], (uint8_t)(cps[i] >> 8),
                             (uint8_t)(cps[i] >> 16), (uint8_t)(cps[i] >> 24)};
            hashes[have + i] = XXH3_64bits_withSeed(le, sizeof le, p->seed);
        }
        have = slide(s, hashes, have + got, sh);
    }
    short_text(s, hashes, have);
}

static int sign(const sheaf_hasher *h, const char *text, size_t len,
                sheaf_signature *out, const sheaf__kernels *kr)
{
    if (!h || !out || (!text && len))
        return SHEAF_EINVAL;
    const sheaf_hasher *p = h;
    sketch s;
    s.h = h;
    s.kr = kr;
    s.v = out->values;
    s.count = 0;
    memset(out->values, 0xff, p->num_hashes * sizeof out->values[0]);
    if (p->scheme == SHEAF_SCHEME_OPH)
        memset(s.filled, 0, (p->num_hashes + 7) / 8 * 8);

    sheaf__scan scan;
    sheaf__scan_init(&scan, text, len);
    if (p->shingle_kind == SHEAF_SHINGLE_WORD && kr)
        shingle_words_simd(&s, text, len);
    else if (p->shingle_kind == SHEAF_SHINGLE_WORD)
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

int sheaf__sign(const sheaf_hasher *h, const char *text, size_t len,
                sheaf_signature *out)
{
    return sign(h, text, len, out,
                sheaf__simd_kernels((sheaf__simd_level)h->level));
}

int sheaf_hasher_sign(const sheaf_hasher *h, const char *text, size_t len,
                      sheaf_signature *out)
{
    if (!h || !out || (!text && len))
        return sheaf__ret(sheaf__fail(SHEAF_EINVAL,
                                      "hasher_sign: NULL argument"));
    return sheaf__ret(sheaf__sign(h, text, len, out));
}

int sheaf__hasher_sign_level(const sheaf_hasher *h, const char *text,
                             size_t len, sheaf_signature *out,
                             sheaf__simd_level level)
{
    if (!sheaf__simd_available(level))
        return SHEAF_EINVAL;
    return sign(h, text, len, out, sheaf__simd_kernels(level));
}

int sheaf_sign(const sheaf_params *in, const char *text, size_t len,
               sheaf_signature *out)
{
    sheaf_params p;
    int rc = sheaf__params_load(in, &p);
    if (rc == SHEAF_OK && (!out || (!text && len)))
        rc = sheaf__fail(SHEAF_EINVAL, "sign: NULL argument");
    if (rc == SHEAF_OK) {
        sheaf_hasher h;
        sheaf__hasher_init(&h, &p);
        rc = sheaf__sign(&h, text, len, out);
    }
    return sheaf__ret(rc);
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
        return sheaf__ret(sheaf__fail(
            SHEAF_EINVAL, "signature_similarity: NULL or not a signature"));
    if (a->seed != b->seed || a->num_hashes != b->num_hashes ||
        a->scheme != b->scheme || a->shingle_kind != b->shingle_kind ||
        a->shingle_size != b->shingle_size)
        return sheaf__ret(sheaf__fail(
            SHEAF_EMISMATCH,
            "signature_similarity: signatures made with other parameters"));
    if (a->num_shingles == 0 || b->num_shingles == 0) {
        *similarity = 0.0;
        return sheaf__ret(SHEAF_OK);
    }
    uint32_t same = sheaf__count_equal(a->values, b->values, a->num_hashes);
    *similarity = (double)same / a->num_hashes;
    return sheaf__ret(SHEAF_OK);
}
