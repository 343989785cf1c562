/*
 * The SIMD levels (lib/simd.h) against the scalar reference: every level
 * the CPU has must give the reference's word hashes and signatures bit for
 * bit, on random texts built to hit every edge of the tokeniser and on real
 * news; a level the CPU lacks is skipped with a message. Also the choice
 * of level through the simd parameter.
 *
 * Texts are signed from heap buffers of exactly their length, so
 * AddressSanitizer reports a read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "text/normalize.h"
#include "api.h"
#include "sheaf.h"
#include "common/simd.h"
#include "testutil.h"

/* ------------------------------------------------------------- helpers */

/* The kernels of a level, or NULL after printing why it is skipped. */
static const sheaf__kernels *level_or_skip(sheaf__simd_level level)
{
    const sheaf__kernels *kr = sheaf__simd_kernels(level);
    if (!kr)
        printf("  %s: not on this CPU, skipped\n", sheaf__simd_name(level));
    return kr;
}

static char *exact_copy(const char *text, size_t len)
{
    char *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, text, len);
    return p;
}

/* All word hashes of the scalar scanner. */
static size_t reference_words(const char *text, size_t len, uint64_t seed,
                              uint64_t *out)
{
    sheaf__scan s;
    size_t n = 0, got;
    sheaf__scan_init(&s, text, len);
    while ((got = sheaf__scan_words(&s, seed, out + n, 256)) > 0)
        n += got;
    return n;
}

/* All word hashes of a level's tokeniser and vector hash, driven a window
 * at a time, checking what each call promises. */
static size_t level_words(const sheaf__kernels *kr, const char *text,
                          size_t len, uint64_t seed, uint64_t *out)
{
    static sheaf__tokens t;
    sheaf__xxh3_keys keys;
    size_t n = 0, pos = 0;
    sheaf__xxh3_keys_init(&keys, seed);
    while (pos < len) {
        size_t before = pos;
        size_t got =
            kr->tokenize((const uint8_t *)text, len, &pos, seed, &t, out + n);
        assert_true(got <= SHEAF__TOKENS);
        assert_true(pos > before && pos <= len);
        kr->hash_words(t.base, t.off, t.len, got, &keys, out + n);
        kr->hash_mid(t.base, t.mid_off, t.mid_len, t.mid_at, t.nmid, &keys,
                     out + n);
        n += got;
    }
    /* The library's own driver gives the same. */
    uint64_t *again =
        malloc((len / 2 + 1 + SHEAF__TOKENS + SHEAF__LANES) * sizeof *again);
    assert_non_null(again);
    assert_int_equal(sheaf__words_level(text, len, seed, again, kr->level), n);
    assert_memory_equal(again, out, n * sizeof *out);
    free(again);
    return n;
}

/* ---------------------------------------------------------- random texts */

/* Pieces the generator strings together: each stresses one rule of the
 * tokeniser (apostrophes inside, before and after words; letters outside
 * ASCII; separators outside ASCII; scripts without spaces; bad UTF-8). */
static const char *const odd_pieces[] = {
    "'",
    "''",
    "it's",
    "'tis",
    "dogs'",
    "rock'n'roll",
    "a''b",
    "caf\xc3\xa9",
    "\xc3\x89T\xc3\x89",
    "Stra\xc3\x9f"
    "e",
    "\xce\xa3\xce\x8a\xce\xa3",
    "\xd0\x9c\xd0\x9e\xd0\xa1\xd0\x9a\xd0\x92\xd0\x90",
    "l\xe2\x80\x99"
    "ecole",
    "don\xe2\x80\x99t",
    "\xe2\x80\x94",
    "\xe2\x80\x9cquoted\xe2\x80\x9d",
    "\xc2\xa0",
    "\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd",
    "\xe0\xb8\x81\xe0\xb8\xb2\xe0\xb8\xa3",
    "abc\xe6\x9d\xb1"
    "def",
    "\xff",
    "\xc0\xaf",
    "\xed\xa0\x80",
    "\xe2\x82",
    "x\x80y",
    "\xf0\x9f\x98\x80",
    "A1B2",
    "\t",
    "\n",
    "...",
    "--",
    "\x00",
};

static void add_ascii_word(buf *b, rng *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t c = rng_below(r, 40);
        char ch = c < 26   ? (char)('a' + c)
                  : c < 36 ? (char)('A' + rng_below(r, 26))
                           : (char)('0' + rng_below(r, 10));
        buf_add(b, &ch, 1);
    }
}

/* A random text of about target bytes. mix sets how odd it is: 0 plain
 * ASCII words and spaces, 1 some odd pieces, 2 mostly odd pieces, 3 dense:
 * one-letter words and odd pieces, more words than a window's tokens. */
static void random_text(buf *b, rng *r, size_t target, int mix)
{
    static const char seps[] = " ,.;:!?-()\"";
    b->n = 0;
    while (mix == 3 && b->n < target) {
        if (rng_below(r, 10) == 0)
            buf_str(b, odd_pieces[rng_below(r, sizeof odd_pieces /
                                                   sizeof odd_pieces[0])]);
        else
            add_ascii_word(b, r, 1);
        buf_add(b, " ", 1);
    }
    while (b->n < target) {
        uint32_t what = rng_below(r, 100);
        if (mix && what < (mix == 1 ? 8u : 60u)) {
            buf_str(b, odd_pieces[rng_below(r, sizeof odd_pieces /
                                                   sizeof odd_pieces[0])]);
        } else if (what < 97) {
            /* Mostly short words; now and then one past the vector hash's
             * 16 bytes, a window of 1024 bytes or a hashing piece. */
            uint32_t len = 1 + rng_below(r, 12);
            uint32_t kind = rng_below(r, 200);
            if (kind == 0)
                len = 17 + rng_below(r, 300);
            else if (kind == 1 && mix)
                len = 1000 + rng_below(r, 2200);
            if (kind == 2 && mix) {
                /* A long run of candidates, letters outside ASCII and
                 * apostrophes in it, no separator. */
                static const char *const in_run[] = {
                    "caf\xc3\xa9", "it's", "x", "\xe6\x9d\xb1", "'", "\xff"};
                for (uint32_t i = 0, n = 100 + rng_below(r, 700); i < n; i++)
                    buf_str(b, in_run[rng_below(r, 6)]);
            } else {
                add_ascii_word(b, r, len);
            }
        }
        uint32_t gaps = 1 + (rng_below(r, 6) == 0);
        for (uint32_t g = 0; g < gaps; g++)
            buf_add(
                b, rng_below(r, 4) ? " " : &seps[rng_below(r, sizeof seps - 1)],
                1);
    }
    /* Often no separator at the very end, so the last word ends the text. */
    if (b->n && rng_below(r, 2))
        b->n--;
}

/* ------------------------------------------------------------------ tests */

/* The vector XXH3 against the library, every length 1-16, every level:
 * lengths 1-8 through hash_words (some lanes left alone), 9-16 through
 * hash_mid (to scattered places). */
static void test_xxh3_short_inputs(void **state)
{
    (void)state;
    static const uint64_t seeds[] = {0,
                                     1,
                                     0x9E3779B97F4A7C15ull,
                                     0xffffffffffffffffull,
                                     0x00000000ffffffffull,
                                     0x123456789abcdef0ull};
    for (int l = SHEAF__SIMD_AVX2; l < SHEAF__SIMD_LEVELS; l++) {
        const sheaf__kernels *kr = level_or_skip((sheaf__simd_level)l);
        if (!kr)
            continue;
        rng r = {(uint64_t)l};
        uint8_t text[1024];
        int32_t off[64 + 16], moff[64 + 16];
        uint8_t len[64 + 16], mlen[64 + 16];
        uint16_t mat[64 + 16];
        uint64_t got[64 + 16], want[64];
        for (size_t si = 0; si < sizeof seeds / sizeof seeds[0]; si++) {
            sheaf__xxh3_keys keys;
            sheaf__xxh3_keys_init(&keys, seeds[si]);
            for (int round = 0; round < 200; round++) {
                /* Random letters and digits, 16 readable bytes after
                 * every word. */
                for (size_t i = 0; i < sizeof text; i++) {
                    uint32_t c = rng_below(&r, 62);
                    text[i] = (uint8_t)(c < 26   ? 'a' + c
                                        : c < 52 ? 'A' + c - 26
                                                 : '0' + c - 52);
                }
                memset(len, 0, sizeof len);
                memset(mlen, 0, sizeof mlen);
                size_t nmid = 0;
                for (size_t i = 0; i < 64; i++) {
                    /* Every length each round, and some lanes left alone. */
                    uint8_t n =
                        (uint8_t)(i < 16 ? i + 1 : 1 + rng_below(&r, 16));
                    int32_t o = (int32_t)rng_below(&r, sizeof text - 16);
                    int alone = i >= 16 && rng_below(&r, 8) == 0;
                    uint8_t folded[16];
                    for (size_t j = 0; j < n; j++)
                        folded[j] = text[o + (int32_t)j] | 0x20;
                    want[i] = alone
                                  ? 0xabcdef ^ i
                                  : XXH3_64bits_withSeed(folded, n, seeds[si]);
                    got[i] = 0xabcdef ^ i;
                    if (alone)
                        continue;
                    if (n <= 8) {
                        len[i] = n;
                        off[i] = o;
                    } else {
                        mlen[nmid] = n;
                        moff[nmid] = o;
                        mat[nmid++] = (uint16_t)i;
                    }
                }
                kr->hash_words(text, off, len, 64, &keys, got);
                kr->hash_mid(text, moff, mlen, mat, nmid, &keys, got);
                for (size_t i = 0; i < 64; i++) {
                    if (got[i] != want[i])
                        print_error("%s: seed %llx lane %zu differs\n",
                                    kr->name, (unsigned long long)seeds[si], i);
                    assert_true(got[i] == want[i]);
                }
            }
        }
    }
}

/* The shingle combiner and k-permutation update against signature.c's
 * formulas, at sizes that leave partial vectors. */
static uint64_t ref_combine(const uint64_t *h, uint32_t n, uint64_t seed)
{
    uint64_t acc = 0;
    for (uint32_t i = 0; i < n; i++)
        acc = (acc << 1 | acc >> 63) ^ h[i];
    acc ^= seed ^ n;
    acc = (acc ^ (acc >> 33)) * 0xff51afd7ed558ccdull;
    acc = (acc ^ (acc >> 33)) * 0xc4ceb9fe1a85ec53ull;
    return acc ^ (acc >> 33);
}

static void test_combine_and_minhash(void **state)
{
    (void)state;
    for (int l = SHEAF__SIMD_AVX2; l < SHEAF__SIMD_LEVELS; l++) {
        const sheaf__kernels *kr = level_or_skip((sheaf__simd_level)l);
        if (!kr)
            continue;
        rng r = {100 + (uint64_t)l};
        static uint64_t units[64 + SHEAF_MAX_SHINGLE_SIZE + SHEAF__LANES];
        static uint64_t out[64 + SHEAF__LANES], mult[SHEAF_MAX_HASHES],
            add[SHEAF_MAX_HASHES];
        static uint32_t v[SHEAF_MAX_HASHES + 1], want[SHEAF_MAX_HASHES + 1];
        for (int round = 0; round < 300; round++) {
            uint32_t k = 1 + rng_below(&r, SHEAF_MAX_SHINGLE_SIZE);
            size_t n = rng_below(&r, 64);
            uint64_t seed = rng_next(&r);
            for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
                units[i] = rng_next(&r);
            kr->combine(units, n, k, seed, out);
            for (size_t i = 0; i < n; i++)
                assert_true(out[i] == ref_combine(units + i, k, seed));

            uint32_t m = 1 + rng_below(&r, SHEAF_MAX_HASHES);
            for (uint32_t i = 0; i < m; i++) {
                mult[i] = rng_next(&r) | 1;
                add[i] = rng_next(&r);
                v[i] = want[i] =
                    rng_below(&r, 3) ? UINT32_MAX : (uint32_t)rng_next(&r);
            }
            v[m] = want[m] = 0x5a5a5a5a; /* must stay untouched */
            for (size_t j = 0; j < n; j++)
                for (uint32_t i = 0; i < m; i++) {
                    uint32_t x =
                        (uint32_t)((mult[i] * units[j] + add[i]) >> 32);
                    if (x < want[i])
                        want[i] = x;
                }
            kr->minhash(mult, add, m, units, n, v);
            assert_memory_equal(v, want, (m + 1) * sizeof v[0]);
        }
    }
}

/* Word by word, every level against the scalar scanner, on texts shaped to
 * reach each branch of the tokeniser: lengths around the window and block
 * sizes, words at the very end, long runs without separators, every odd
 * piece. */
static void test_words_random(void **state)
{
    (void)state;
    static const size_t sizes[] = {0,    1,    15,   16,   17,   63,
                                   64,   65,   200,  1023, 1024, 1025,
                                   1100, 2047, 2048, 2049, 5000, 20000};
    static const uint64_t seeds[] = {0, 7, 0xdeadbeefcafebabeull};
    uint64_t *want = malloc(40000 * sizeof *want);
    uint64_t *got =
        malloc((40000 + SHEAF__TOKENS + SHEAF__LANES) * sizeof *got);
    assert_non_null(want);
    assert_non_null(got);
    for (int l = SHEAF__SIMD_AVX2; l < SHEAF__SIMD_LEVELS; l++) {
        const sheaf__kernels *kr = level_or_skip((sheaf__simd_level)l);
        if (!kr)
            continue;
        rng r = {200 + (uint64_t)l};
        buf b = {0};
        int texts = 0;
        for (int mix = 0; mix <= 3; mix++)
            for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
                for (int rep = 0; rep < 25; rep++) {
                    size_t target = sizes[si] + (rep ? rng_below(&r, 8) : 0);
                    random_text(&b, &r, target, mix);
                    /* Cut at exactly the size: splits words and characters. */
                    size_t len = b.n < target ? b.n : target;
                    uint64_t seed = seeds[rep % 3];
                    char *t = exact_copy(b.s ? b.s : "", len);
                    size_t nw = reference_words(t, len, seed, want);
                    size_t ng = level_words(kr, t, len, seed, got);
                    if (ng != nw || memcmp(got, want, nw * sizeof *got) != 0) {
                        size_t i = 0;
                        while (i < nw && i < ng && got[i] == want[i])
                            i++;
                        print_error(
                            "%s: mix %d len %zu: %zu words, reference %zu; "
                            "first difference at word %zu\n",
                            kr->name, mix, len, ng, nw, i);
                    }
                    assert_int_equal(ng, nw);
                    assert_memory_equal(got, want, nw * sizeof *got);
                    free(t);
                    texts++;
                }
        printf("  %s: %d texts, words identical\n", kr->name, texts);
        free(b.s);
    }
    free(want);
    free(got);
}

static sheaf_params params_of(sheaf_scheme scheme, sheaf_shingle_kind kind,
                              uint32_t k, uint32_t num_hashes, uint64_t seed)
{
    sheaf_params p;
    sheaf_params_init(&p);
    p.scheme = scheme;
    p.shingle_kind = kind;
    p.shingle_size = k;
    p.num_hashes = num_hashes;
    p.seed = seed;
    return p;
}

/* Signatures of one text on every level equal the scalar one. */
static void same_on_every_level(const sheaf_hasher *h, const char *text,
                                size_t len)
{
    static sheaf_signature want, got;
    assert_int_equal(
        sheaf__hasher_sign_level(h, text, len, &want, SHEAF__SIMD_SCALAR),
        SHEAF_OK);
    for (int l = SHEAF__SIMD_AVX2; l < SHEAF__SIMD_LEVELS; l++) {
        if (!sheaf__simd_available((sheaf__simd_level)l))
            continue;
        assert_int_equal(
            sheaf__hasher_sign_level(h, text, len, &got, (sheaf__simd_level)l),
            SHEAF_OK);
        if (got.num_shingles != want.num_shingles ||
            memcmp(got.values, want.values,
                   h->num_hashes * sizeof got.values[0]))
            print_error(
                "%s: scheme %d kind %d k %u hashes %u len %zu differs\n",
                sheaf__simd_name((sheaf__simd_level)l), h->scheme,
                h->shingle_kind, h->shingle_size, h->num_hashes, len);
        assert_int_equal(got.num_shingles, want.num_shingles);
        assert_memory_equal(got.values, want.values,
                            h->num_hashes * sizeof got.values[0]);
        assert_true(got.seed == want.seed);
        assert_int_equal(got.num_hashes, want.num_hashes);
        assert_int_equal(got.scheme, want.scheme);
        assert_int_equal(got.shingle_kind, want.shingle_kind);
        assert_int_equal(got.shingle_size, want.shingle_size);
    }
}

static void test_signatures_random(void **state)
{
    (void)state;
    static const uint32_t ks[] = {1, 2, 3, 5, 9, 32};
    static const uint32_t hashes[] = {1, 7, 100, 128, 1024};
    static const uint64_t seeds[] = {0, 0xfedcba9876543210ull};
    static sheaf_hasher h;
    for (int l = SHEAF__SIMD_AVX2; l < SHEAF__SIMD_LEVELS; l++)
        level_or_skip((sheaf__simd_level)l);
    rng r = {300};
    buf b = {0};
    for (int scheme = 1; scheme <= 2; scheme++)
        for (int kind = 1; kind <= 2; kind++)
            for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
                for (size_t hi = 0; hi < sizeof hashes / sizeof hashes[0];
                     hi++) {
                    sheaf_params p = params_of((sheaf_scheme)scheme,
                                               (sheaf_shingle_kind)kind, ks[ki],
                                               hashes[hi], seeds[hi % 2]);
                    assert_int_equal(sheaf_hasher_init(&h, &p), SHEAF_OK);
                    static const size_t sizes[] = {0, 3, 40, 700, 3000};
                    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0];
                         si++) {
                        random_text(&b, &r, sizes[si], (int)(si % 4));
                        char *t = exact_copy(b.s ? b.s : "", b.n);
                        same_on_every_level(&h, t, b.n);
                        free(t);
                    }
                }
    free(b.s);
}

/* The "text" of a JSONL line, unescaped, \u escapes to UTF-8 (surrogate
 * pairs joined), so the real text keeps its letters outside ASCII. */
static size_t json_text(const char *line, buf *out)
{
    const char *p = strstr(line, "\"text\": \"");
    out->n = 0;
    if (!p)
        return 0;
    for (p += 9; *p && *p != '"'; p++) {
        if (*p != '\\' || !p[1]) {
            buf_add(out, p, 1);
            continue;
        }
        p++;
        if (*p != 'u') {
            char c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
            buf_add(out, &c, 1);
            continue;
        }
        unsigned long v =
            strtoul((char[5]){p[1], p[2], p[3], p[4], 0}, NULL, 16);
        p += 4;
        if (v >= 0xD800 && v < 0xDC00 && p[1] == '\\' && p[2] == 'u') {
            unsigned long lo =
                strtoul((char[5]){p[3], p[4], p[5], p[6], 0}, NULL, 16);
            v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
        }
        char u[4];
        size_t n = 0;
        if (v < 0x80)
            u[n++] = (char)v;
        else if (v < 0x800) {
            u[n++] = (char)(0xC0 | v >> 6);
            u[n++] = (char)(0x80 | (v & 0x3F));
        } else if (v < 0x10000) {
            u[n++] = (char)(0xE0 | v >> 12);
            u[n++] = (char)(0x80 | (v >> 6 & 0x3F));
            u[n++] = (char)(0x80 | (v & 0x3F));
        } else {
            u[n++] = (char)(0xF0 | v >> 18);
            u[n++] = (char)(0x80 | (v >> 12 & 0x3F));
            u[n++] = (char)(0x80 | (v >> 6 & 0x3F));
            u[n++] = (char)(0x80 | (v & 0x3F));
        }
        buf_add(out, u, n);
    }
    return out->n;
}

/* Real news: the Multi-News validation text when present. */
static void test_signatures_real(void **state)
{
    (void)state;
    const char *shared =
        getenv("SHEAF_SHARED") ? getenv("SHEAF_SHARED") : "../shared";
    char path[512];
    snprintf(path, sizeof path, "%s/corpora/multinews/val.jsonl.gz", shared);
    gzFile f = gzopen(path, "rb");
    if (!f) {
        printf("  %s absent: real texts skipped (random texts still run)\n",
               path);
        skip();
    }
    static sheaf_hasher hashers[4];
    const sheaf_params ps[4] = {
        params_of(SHEAF_SCHEME_OPH, SHEAF_SHINGLE_WORD, 5, 128, 0),
        params_of(SHEAF_SCHEME_MINHASH, SHEAF_SHINGLE_WORD, 5, 128, 0),
        params_of(SHEAF_SCHEME_OPH, SHEAF_SHINGLE_CHAR, 7, 128, 3),
        params_of(SHEAF_SCHEME_OPH, SHEAF_SHINGLE_WORD, 3, 256, 0x5eed),
    };
    for (int i = 0; i < 4; i++)
        assert_int_equal(sheaf_hasher_init(&hashers[i], &ps[i]), SHEAF_OK);
    static char line[1 << 20];
    buf text = {0};
    size_t articles = 0;
    /* The whole file for the default parameters, every tenth article for
     * the others: the k-permutation signer is slow without vectors. */
    while (gzgets(f, line, sizeof line)) {
        size_t len = json_text(line, &text);
        char *t = exact_copy(text.s ? text.s : "", len);
        same_on_every_level(&hashers[0], t, len);
        if (articles % 10 == 0)
            for (int i = 1; i < 4; i++)
                same_on_every_level(&hashers[i], t, len);
        free(t);
        articles++;
    }
    gzclose(f);
    free(text.s);
    printf("  %zu real articles, signatures identical on every level\n",
           articles);
}

/* The level is a parameter (the library never reads the environment):
 * every level this CPU has signs as the scalar reference does, one it
 * lacks is refused naming the parameter, and AUTO takes the best. */
static void test_simd_parameter(void **state)
{
    (void)state;
    static const char text[] = "one two three four five six seven";
    sheaf_params p;
    sheaf_params_init(&p);
    p.simd = SHEAF_SIMD_SCALAR;
    static sheaf_hasher h;
    static sheaf_signature want, got;
    assert_int_equal(sheaf_hasher_init(&h, &p), SHEAF_OK);
    assert_int_equal(sheaf_hasher_sign(&h, text, sizeof text - 1, &want),
                     SHEAF_OK);
    int best = SHEAF__SIMD_SCALAR;
    for (int l = SHEAF_SIMD_SCALAR; l <= SHEAF_SIMD_AVX512; l++) {
        int has = sheaf__simd_available((sheaf__simd_level)(l - 1));
        assert_int_equal(sheaf_simd_supported((sheaf_simd)l), has);
        p.simd = (sheaf_simd)l;
        if (!has) {
            assert_int_equal(sheaf_hasher_init(&h, &p), SHEAF_EINVAL);
            assert_non_null(strstr(sheaf_errmsg(), "simd"));
            continue;
        }
        best = l - 1;
        assert_int_equal(sheaf_hasher_init(&h, &p), SHEAF_OK);
        assert_int_equal(h.level, l - 1);
        assert_int_equal(sheaf_hasher_sign(&h, text, sizeof text - 1, &got),
                         SHEAF_OK);
        assert_memory_equal(&got, &want, sizeof got);
    }
    assert_true(sheaf_simd_supported(SHEAF_SIMD_AUTO));
    setenv("SHEAF_SIMD", "scalar", 1); /* read by the CLI, not the library */
    p.simd = SHEAF_SIMD_AUTO;
    assert_int_equal(sheaf_hasher_init(&h, &p), SHEAF_OK);
    assert_int_equal(h.level, best);
    unsetenv("SHEAF_SIMD");
    p.simd = (sheaf_simd)9;
    assert_int_equal(sheaf_params_validate(&p), SHEAF_EINVAL);
}

int main(void)
{
    printf("  levels on this CPU:");
    for (int l = 0; l < SHEAF__SIMD_LEVELS; l++)
        if (sheaf__simd_available((sheaf__simd_level)l))
            printf(" %s", sheaf__simd_name((sheaf__simd_level)l));
    printf("\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xxh3_short_inputs),
        cmocka_unit_test(test_combine_and_minhash),
        cmocka_unit_test(test_words_random),
        cmocka_unit_test(test_signatures_random),
        cmocka_unit_test(test_signatures_real),
        cmocka_unit_test(test_simd_parameter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
