/*
 * The signer's kernels for AVX2, four 64-bit lanes.
 *
 * Compiled for AVX2 function by function (target attributes), so the rest
 * of the library stays portable; cpu.c runs these only on a CPU that has
 * AVX2. Each kernel computes exactly what its scalar counterpart does
 * (simd.h; tests/test_simd.c compares them bit for bit). AVX2 has no 64-bit
 * multiply; the products are put together from 32x32->64 ones.
 */
#include "common/simd.h"

#if defined(__x86_64__) && defined(__GNUC__)

#include <immintrin.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2,popcnt,bmi,bmi2")))

typedef __m256i v4;

AVX2 static inline v4 set1(uint64_t x)
{
    return _mm256_set1_epi64x((long long)x);
}

/* --------------------------------------------------------------- classify */

/* The candidate and the special bytes of 32 bytes at p, as masks. Each
 * byte's class is looked up by its low and by its high nibble, and the
 * two flag sets are and-ed: 0x01 digit (high 3, low 0-9), 0x02 letter
 * A-O or a-o (high 4 or 6, low 1-f), 0x04 letter P-Z or p-z (high 5 or
 * 7, low 0-a), 0x40 apostrophe (high 2, low 7), 0x88 byte >= 0x80 (any
 * low). Adding 0x7f with saturation sets the high bit of every byte with
 * a flag; adding 0x40 carries the two special flags, and only them, into
 * it. */
AVX2 static inline void classify32(const uint8_t *p, uint32_t *cand,
                                   uint32_t *sp)
{
    const __m256i by_low = _mm256_setr_epi8(
        (char)0x8d, (char)0x8f, (char)0x8f, (char)0x8f, (char)0x8f,
        (char)0x8f, (char)0x8f, (char)0xcf, (char)0x8f, (char)0x8f,
        (char)0x8e, (char)0x8a, (char)0x8a, (char)0x8a, (char)0x8a,
        (char)0x8a, (char)0x8d, (char)0x8f, (char)0x8f, (char)0x8f,
        (char)0x8f, (char)0x8f, (char)0x8f, (char)0xcf, (char)0x8f,
        (char)0x8f, (char)0x8e, (char)0x8a, (char)0x8a, (char)0x8a,
        (char)0x8a, (char)0x8a);
    const __m256i by_high = _mm256_setr_epi8(
        0, 0, 0x40, 0x01, 0x02, 0x04, 0x02, 0x04, (char)0x88, (char)0x88,
        (char)0x88, (char)0x88, (char)0x88, (char)0x88, (char)0x88,
        (char)0x88, 0, 0, 0x40, 0x01, 0x02, 0x04, 0x02, 0x04, (char)0x88,
        (char)0x88, (char)0x88, (char)0x88, (char)0x88, (char)0x88,
        (char)0x88, (char)0x88);
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    __m256i x = _mm256_loadu_si256((const __m256i *)p);
    __m256i flags = _mm256_and_si256(
        _mm256_shuffle_epi8(by_low, _mm256_and_si256(x, nibble)),
        _mm256_shuffle_epi8(by_high,
                            _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble)));
    *cand = (uint32_t)_mm256_movemask_epi8(
        _mm256_adds_epu8(flags, _mm256_set1_epi8(0x7f)));
    *sp = (uint32_t)_mm256_movemask_epi8(
        _mm256_add_epi8(flags, _mm256_set1_epi8(0x40)));
}

AVX2 static inline void classify(const uint8_t *p, size_t nblocks,
                                 uint64_t *cand, uint64_t *special)
{
    for (size_t b = 0; b < nblocks; b++) {
        uint32_t c0, s0, c1, s1;
        classify32(p + b * SHEAF__BLOCK, &c0, &s0);
        classify32(p + b * SHEAF__BLOCK + 32, &c1, &s1);
        special[b] = (uint64_t)s1 << 32 | s0;
        cand[b] = (uint64_t)c1 << 32 | c0;
    }
}

/* Positions of the set bits of m, four stores per step whatever the
 * count, so that the loop branches once per four bits. tzcnt of 0 is 64:
 * the stores past the count are harmless. */
AVX2 static inline size_t flatten(uint64_t m, uint32_t base, uint32_t *out)
{
    size_t n = (size_t)__builtin_popcountll(m), i = 0;
    do {
        out[i] = base + (uint32_t)_tzcnt_u64(m);
        m = _blsr_u64(m);
        out[i + 1] = base + (uint32_t)_tzcnt_u64(m);
        m = _blsr_u64(m);
        out[i + 2] = base + (uint32_t)_tzcnt_u64(m);
        m = _blsr_u64(m);
        out[i + 3] = base + (uint32_t)_tzcnt_u64(m);
        m = _blsr_u64(m);
        i += 4;
    } while (i < n);
    return n;
}

#define TOK_GROUP 8
#define TOK_STOPS 0
#define TOK_MARKED 0x40

/* The lengths of the runs of cand at the starts, up to 25 (longer ones
 * are long words all the same), eight at a time: 32 bits read from the
 * byte of a start, shifted down to it and cut to 25; the trailing ones of
 * x, the run, are x & ~(x + 1), one less than a power of two whose
 * exponent is the count, read from its conversion to float. The same bits
 * of special tell whether the run holds one. This costs less than lists of
 * stops and marks, and as a pass of its own keeps the gathers' latency out
 * of emit_plain's chain from one group to the next. */
AVX2 static inline void lengths(const uint64_t *cand, const uint64_t *special,
                                const uint32_t *starts, size_t n,
                                uint32_t *lens)
{
    const __m256i one = _mm256_set1_epi32(1), seven = _mm256_set1_epi32(7);
    const __m256i low25 = _mm256_set1_epi32(0x1ffffff);
    for (size_t i = 0; i < n; i += 8) {
        __m256i s = _mm256_loadu_si256((const __m256i *)(starts + i));
        __m256i byte = _mm256_srli_epi32(s, 3), bit = _mm256_and_si256(s, seven);
        __m256i x = _mm256_and_si256(
            _mm256_srlv_epi32(
                _mm256_i32gather_epi32((const int *)(const void *)cand, byte,
                                       1),
                bit),
            low25);
        __m256i run = _mm256_andnot_si256(_mm256_add_epi32(x, one), x);
        __m256i len = _mm256_sub_epi32(
            _mm256_srli_epi32(_mm256_castps_si256(_mm256_cvtepi32_ps(
                                  _mm256_add_epi32(run, one))),
                              23),
            _mm256_set1_epi32(127));
        if (special) {
            __m256i held = _mm256_and_si256(
                _mm256_srlv_epi32(
                    _mm256_i32gather_epi32(
                        (const int *)(const void *)special, byte, 1),
                    bit),
                run);
            len = _mm256_or_si256(
                len, _mm256_andnot_si256(
                         _mm256_cmpeq_epi32(held, _mm256_setzero_si256()),
                         _mm256_set1_epi32(TOK_MARKED)));
        }
        _mm256_storeu_si256((__m256i *)(lens + i), len);
    }
}

AVX2 static inline size_t
emit_plain(const uint32_t *starts, const uint32_t *lens, const uint8_t *marked,
           size_t max, sheaf__tokens *t, size_t *n, size_t *nmid)
{
    const __m256i s = _mm256_loadu_si256((const __m256i *)starts);
    const __m256i l = _mm256_loadu_si256((const __m256i *)lens);
    /* Marked runs have TOK_MARKED in their length. */
    __m256i bad = _mm256_cmpgt_epi32(l, _mm256_set1_epi32(SHEAF__SHORT_WORD));
    (void)marked; /* this level carries the marks in the lengths */
    unsigned badm = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(bad)) |
                    (0xffu << max & 0xffu);
    size_t k = badm ? (size_t)__builtin_ctz(badm) : TOK_GROUP;
    __m256i mid = _mm256_cmpgt_epi32(l, _mm256_set1_epi32(8));
    unsigned midm = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(mid)) &
                    ((1u << k) - 1);

    _mm256_storeu_si256((__m256i *)(t->off + *n), s);
    /* The low byte of each length (0 for mid-length words): gathered in
     * each half, then the halves joined. */
    const __m256i pick = _mm256_setr_epi8(
        0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8,
        12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    __m256i bytes = _mm256_permutevar8x32_epi32(
        _mm256_shuffle_epi8(_mm256_andnot_si256(mid, l), pick),
        _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1));
    _mm_storel_epi64((__m128i *)(t->len + *n), _mm256_castsi256_si128(bytes));
    *n += k;
    if (!midm)
        return k; /* about half the groups */
    /* The mid-length lanes packed to the front: pdep spreads the mask to
     * bytes, pext picks those bytes' indices, vpermd moves the lanes. */
    uint64_t spread = _pdep_u64(midm, 0x0101010101010101ull) * 0xff;
    __m256i to = _mm256_cvtepu8_epi32(
        _mm_cvtsi64_si128((long long)_pext_u64(0x0706050403020100ull, spread)));
    __m256i at = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                  _mm256_set1_epi32((int)(*n - k)));
    __m256i mlen = _mm256_permutevar8x32_epi32(
        _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(l, to), pick),
        _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1));
    __m256i mat = _mm256_permutevar8x32_epi32(at, to);
    _mm256_storeu_si256((__m256i *)(t->mid_off + *nmid),
                        _mm256_permutevar8x32_epi32(s, to));
    _mm_storel_epi64((__m128i *)(t->mid_len + *nmid),
                     _mm256_castsi256_si128(mlen));
    _mm_storeu_si128((__m128i *)(t->mid_at + *nmid),
                     _mm_packus_epi32(_mm256_castsi256_si128(mat),
                                      _mm256_extracti128_si256(mat, 1)));
    *nmid += (size_t)__builtin_popcount(midm);
    return k;
}

#define TOK_TARGET AVX2
#include "text/tokenize.h"

/* ------------------------------------------------------------ vector XXH3 */

AVX2 static inline v4 xorshift(v4 h, int s)
{
    return _mm256_xor_si256(h, _mm256_srli_epi64(h, s));
}

AVX2 static inline v4 rotl(v4 h, int s)
{
    return _mm256_or_si256(_mm256_slli_epi64(h, s),
                           _mm256_srli_epi64(h, 64 - s));
}

/* a * b mod 2^64, lane by lane: the low product plus the two cross
 * products shifted up (the high one falls off). vpmulld makes the low
 * halves of both cross products at once, from b with its halves swapped;
 * their sum lands in the high half of cross + (cross << 32). */
AVX2 static inline v4 mullo_v(v4 a, v4 b)
{
    v4 cross = _mm256_mullo_epi32(a, _mm256_shuffle_epi32(b, 0xb1));
    v4 sum = _mm256_add_epi64(cross, _mm256_slli_epi64(cross, 32));
    return _mm256_add_epi64(
        _mm256_mul_epu32(a, b),
        _mm256_blend_epi32(_mm256_setzero_si256(), sum, 0xaa));
}

AVX2 static inline v4 mullo(v4 a, uint64_t b)
{
    return mullo_v(a, set1(b));
}

/* Lanes of a where the top bit of sign is set, of b elsewhere. */
AVX2 static inline v4 by_sign(v4 sign, v4 a, v4 b)
{
    return _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(b),
                                                _mm256_castsi256_pd(a),
                                                _mm256_castsi256_pd(sign)));
}

/* The 128-bit product of a and b, its halves xor-ed. */
AVX2 static inline v4 mul128_fold64(v4 a, v4 b)
{
    const v4 lo32 = set1(0xffffffffu);
    v4 ah = _mm256_srli_epi64(a, 32), bh = _mm256_srli_epi64(b, 32);
    v4 ll = _mm256_mul_epu32(a, b), lh = _mm256_mul_epu32(a, bh);
    v4 hl = _mm256_mul_epu32(ah, b), hh = _mm256_mul_epu32(ah, bh);
    /* The middle column, at most 3 (2^32 - 1) wide: no carry is lost. */
    v4 mid = _mm256_add_epi64(_mm256_srli_epi64(ll, 32),
                              _mm256_add_epi64(_mm256_and_si256(lh, lo32),
                                               _mm256_and_si256(hl, lo32)));
    v4 lo =
        _mm256_or_si256(_mm256_slli_epi64(mid, 32), _mm256_and_si256(ll, lo32));
    v4 hi = _mm256_add_epi64(
        _mm256_add_epi64(hh, _mm256_srli_epi64(mid, 32)),
        _mm256_add_epi64(_mm256_srli_epi64(lh, 32), _mm256_srli_epi64(hl, 32)));
    return _mm256_xor_si256(lo, hi);
}

/* The bytes of each lane's q0 that pattern selects: vpshufb indexes
 * within 16 bytes, so the odd lane of each pair indexes its upper half. */
AVX2 static inline v4 pick_bytes(v4 q0, v4 pattern)
{
    const v4 upper =
        _mm256_setr_epi64x(0, 0x0808080808080808, 0, 0x0808080808080808);
    return _mm256_shuffle_epi8(q0, _mm256_add_epi8(pattern, upper));
}

/* 1-8 bytes. Both of XXH3's cases key the input, mix, multiply, mix,
 * multiply and xor-shift, with constants and shifts of their own, so each
 * lane takes those of its case and one pass serves both:
 *   1-3 bytes: the first, middle and last byte and the length packed in 32
 *     bits; h ^ h >> 33; * C1; h ^ h >> 29; * C2; h ^ h >> 32 (XXH64's
 *     avalanche);
 *   4-8 bytes: the last and the first four bytes as one 64-bit value;
 *     h ^ rotl(h, 49) ^ rotl(h, 24); * M; h ^ (h >> 35) + len; * M;
 *     h ^ h >> 28 (rrmxmx). */
AVX2 static inline v4 xxh3_1to8(v4 q0, v4 len, v4 k13, v4 k48)
{
    const uint64_t c1 = 0xC2B2AE3D27D4EB4Full, c2 = 0x165667B19E3779F9ull;
    const uint64_t m = 0x9FB21C651E98DF25ull;
    /* Negative, so with the top bit set, for 1-3 bytes. */
    const v4 small = _mm256_sub_epi64(len, set1(4));
    /* The vpshufb pattern (0x80 clears) by length, its low and its high
     * half looked up with the length in both halves of a lane (8 in
     * slot 0). 1-3 bytes: bytes len - 1, -, 0 and len / 2 into bytes 0 to
     * 3. 4-8: bytes len - 4 .. len - 1, then 0 .. 3. */
    const __m256i low = _mm256_setr_epi32(
        0x07060504, 0x00008000, 0x01008001, 0x01008002, 0x03020100,
        0x04030201, 0x05040302, 0x06050403);
    const __m256i high = _mm256_setr_epi32(
        0x03020100, (int)0x80808080, (int)0x80808080, (int)0x80808080,
        0x03020100, 0x03020100, 0x03020100, 0x03020100);
    const __m256i at = _mm256_shuffle_epi32(len, 0xa0);
    v4 pattern = _mm256_blend_epi32(_mm256_permutevar8x32_epi32(low, at),
                                    _mm256_permutevar8x32_epi32(high, at),
                                    0xaa);
    /* 1-3 bytes have the length in byte 1, which the pattern clears. */
    v4 key =
        by_sign(small, _mm256_xor_si256(k13, _mm256_slli_epi64(len, 8)), k48);
    v4 h = _mm256_xor_si256(pick_bytes(q0, pattern), key);
    h = by_sign(small, xorshift(h, 33),
                _mm256_xor_si256(h, _mm256_xor_si256(rotl(h, 49), rotl(h, 24))));
    h = mullo_v(h, by_sign(small, set1(c1), set1(m)));
    h = _mm256_xor_si256(
        h, _mm256_add_epi64(
               _mm256_srlv_epi64(h, by_sign(small, set1(29), set1(35))),
               by_sign(small, _mm256_setzero_si256(), len)));
    h = mullo_v(h, by_sign(small, set1(c2), set1(m)));
    return _mm256_xor_si256(
        h, _mm256_srlv_epi64(h, by_sign(small, set1(32), set1(28))));
}

/* 9-16 bytes: the first and the last eight bytes, keyed, mixed through a
 * 128-bit product, then XXH3's avalanche. */
AVX2 static inline v4 xxh3_9to16(v4 q0, v4 q1, v4 len, v4 klo, v4 khi)
{
    /* The last eight bytes from the 16 read: bytes len - 8 .. len - 1. A
     * shift of 64 gives 0, so len 16 takes q1 whole. */
    v4 shift = _mm256_sub_epi64(_mm256_slli_epi64(len, 3), set1(64));
    v4 last = _mm256_or_si256(
        _mm256_srlv_epi64(q0, shift),
        _mm256_sllv_epi64(q1, _mm256_sub_epi64(set1(64), shift)));
    v4 lo = _mm256_xor_si256(q0, klo), hi = _mm256_xor_si256(last, khi);
    const v4 bswap =
        _mm256_setr_epi8(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8,
                         7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8);
    v4 acc =
        _mm256_add_epi64(_mm256_add_epi64(len, _mm256_shuffle_epi8(lo, bswap)),
                         _mm256_add_epi64(hi, mul128_fold64(lo, hi)));
    acc = mullo(xorshift(acc, 37), 0x165667919E3779F9ull);
    return xorshift(acc, 32);
}

AVX2 static void hash_words(const uint8_t *base, const int32_t *off,
                            const uint8_t *len, size_t n,
                            const sheaf__xxh3_keys *keys, uint64_t *hashes)
{
    const v4 k13 = set1(keys->k1to3), k48 = set1(keys->k4to8);
    /* The words are ASCII letters and digits: OR-ing 0x20 lowers them. */
    const v4 lower = _mm256_set1_epi8(0x20);
    const long long *b0 = (const long long *)(const void *)base;

    /* Groups whose four words are hashed already are rare: not worth a
     * test. */
    for (size_t i = 0; i < n; i += 4) {
        int32_t lanes;
        memcpy(&lanes, len + i, sizeof lanes);
        v4 l = _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(lanes));
        v4 live = _mm256_cmpgt_epi64(l, _mm256_setzero_si256());
        __m128i o = _mm_loadu_si128((const __m128i *)(off + i));
        v4 q0 = _mm256_or_si256(
            _mm256_mask_i32gather_epi64(_mm256_setzero_si256(), b0, o, live, 1),
            lower);
        v4 h = xxh3_1to8(q0, l, k13, k48);
        v4 old = _mm256_loadu_si256((const __m256i *)(hashes + i));
        _mm256_storeu_si256((__m256i *)(hashes + i),
                            _mm256_blendv_epi8(old, h, live));
    }
}

AVX2 static void hash_mid(const uint8_t *base, const int32_t *off,
                          const uint8_t *len, const uint16_t *at, size_t n,
                          const sheaf__xxh3_keys *keys, uint64_t *hashes)
{
    const v4 klo = set1(keys->k9to16_lo), khi = set1(keys->k9to16_hi);
    const v4 lower = _mm256_set1_epi8(0x20);
    const long long *b0 = (const long long *)(const void *)base;
    const long long *b8 = (const long long *)(const void *)(base + 8);

    for (size_t i = 0; i < n; i += 4) {
        int32_t lanes;
        memcpy(&lanes, len + i, sizeof lanes);
        v4 l = _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(lanes));
        v4 live = _mm256_cmpgt_epi64(l, _mm256_setzero_si256());
        __m128i o = _mm_loadu_si128((const __m128i *)(off + i));
        v4 q0 =
            _mm256_mask_i32gather_epi64(_mm256_setzero_si256(), b0, o, live, 1);
        v4 q1 =
            _mm256_mask_i32gather_epi64(_mm256_setzero_si256(), b8, o, live, 1);
        uint64_t h[4];
        _mm256_storeu_si256((__m256i *)h, xxh3_9to16(_mm256_or_si256(q0, lower),
                                                     _mm256_or_si256(q1, lower),
                                                     l, klo, khi));
        /* A constant count for the full groups, which unrolls. */
        size_t m = n - i < 4 ? n - i : 4;
        if (m == 4)
            for (size_t j = 0; j < 4; j++)
                hashes[at[i + j]] = h[j];
        else
            for (size_t j = 0; j < m; j++)
                hashes[at[i + j]] = h[j];
    }
}

/* ---------------------------------------------------------------- shingles */

/* The XOR of rotated units of the four windows of k from units: each lane
 * builds its own from scratch. */
AVX2 static inline v4 window4(const uint64_t *units, uint32_t k)
{
    v4 acc = _mm256_loadu_si256((const __m256i *)units);
    for (uint32_t j = 1; j < k; j++)
        acc = _mm256_xor_si256(
            rotl(acc, 1), _mm256_loadu_si256((const __m256i *)(units + j)));
    return acc;
}

/* combine()'s seed, length and avalanche for four windows. */
AVX2 static inline v4 finish4(v4 acc, v4 tail)
{
    acc = _mm256_xor_si256(acc, tail);
    acc = mullo(xorshift(acc, 33), 0xff51afd7ed558ccdull);
    acc = mullo(xorshift(acc, 33), 0xc4ceb9fe1a85ec53ull);
    return xorshift(acc, 33);
}

AVX2 static void combine(const uint64_t *units, size_t n, uint32_t k,
                         uint64_t seed, uint64_t *out)
{
    const v4 tail = set1(seed ^ k);
    for (size_t i = 0; i < n; i += 4)
        _mm256_storeu_si256((__m256i *)(out + i),
                            finish4(window4(units + i, k), tail));
}

/* Shingles are binned in batches (all of a window's at once): their
 * values and bins worked out four at a time and stored, then taken into
 * the minima one by one, as two may share a bin. Reading them back costs
 * less than moving each lane out of its register. */
#define OPH_BATCH 256

/* k = 5, the default, gets its own copy, which makes its windows from
 * pairs: with P_i = rotl(u_i, 1) ^ u_(i+1), the window of u_i is
 * rotl(P_i, 3) ^ rotl(P_(i+2), 1) ^ u_(i+4), two rotations instead of
 * four. The pairs of one round (p) and of the next (q) give P_(i+2) by a
 * lane permute. */
AVX2 static inline __attribute__((always_inline)) void
oph_k(const uint64_t *units, size_t n, uint32_t k, uint64_t seed,
      uint32_t bins, uint32_t *v, uint8_t *filled)
{
    const v4 tail = set1(seed ^ k), nbins = set1(bins);
    uint32_t got[2 * OPH_BATCH]; /* per shingle its value, then its bin */
    for (size_t i = 0; i < n; i += OPH_BATCH) {
        size_t m = n - i < OPH_BATCH ? n - i : OPH_BATCH;
        const uint64_t *u = units + i;
        v4 p = _mm256_xor_si256(
            rotl(_mm256_loadu_si256((const __m256i *)u), 1),
            _mm256_loadu_si256((const __m256i *)(u + 1)));
        for (size_t j = 0; j < m; j += 4) {
            v4 w;
            if (k == 5) {
                v4 last = _mm256_loadu_si256((const __m256i *)(u + j + 4));
                v4 q = _mm256_xor_si256(
                    rotl(last, 1),
                    _mm256_loadu_si256((const __m256i *)(u + j + 5)));
                w = _mm256_xor_si256(
                    _mm256_xor_si256(rotl(p, 3),
                                     rotl(_mm256_permute2x128_si256(p, q, 0x21),
                                          1)),
                    last);
                p = q;
            } else {
                w = window4(u + j, k);
            }
            v4 h = finish4(w, tail);
            /* fast_range: the bin is the high half of the product. */
            v4 bin = _mm256_mul_epu32(_mm256_srli_epi64(h, 32), nbins);
            _mm256_storeu_si256((__m256i *)(got + 2 * j),
                                _mm256_blend_epi32(h, bin, 0xAA));
        }
#pragma GCC unroll 4
        for (size_t j = 0; j < m; j++) {
            uint32_t x = got[2 * j], b = got[2 * j + 1], cur = v[b];
            filled[b] = 1;
            v[b] = x < cur ? x : cur;
        }
    }
}

AVX2 static void oph(const uint64_t *units, size_t n, uint32_t k,
                     uint64_t seed, uint32_t bins, uint32_t *v, uint8_t *filled)
{
    if (k == 5)
        oph_k(units, n, 5, seed, bins, v, filled);
    else
        oph_k(units, n, k, seed, bins, v, filled);
}

/* ------------------------------------------------------- k-perm MinHash */

/* (a x + b) mod 2^64 >> 32 from 32-bit pieces, eight hash functions per
 * register of 32-bit lanes: with a = a1:a0 and x = x1:x0 it is
 * hi32(a0 x0 + b) + a0 x1 + a1 x0 mod 2^32. vpmuludq multiplies the even
 * lanes; the odd ones are shifted down for a second one. */
AVX2 static void minhash(const uint64_t *mult, const uint64_t *add, uint32_t m,
                         const uint64_t *sh, size_t n, uint32_t *v)
{
    uint32_t i = 0;

    for (; i + 8 <= m; i += 8) {
        uint32_t a0[8], a1[8];
        uint64_t be[4], bo[4];
        for (uint32_t j = 0; j < 8; j++) {
            a0[j] = (uint32_t)mult[i + j];
            a1[j] = (uint32_t)(mult[i + j] >> 32);
        }
        for (uint32_t j = 0; j < 4; j++) {
            be[j] = add[i + 2 * j];
            bo[j] = add[i + 2 * j + 1];
        }
        __m256i va0 = _mm256_loadu_si256((const __m256i *)a0);
        __m256i va1 = _mm256_loadu_si256((const __m256i *)a1);
        __m256i va0odd = _mm256_srli_epi64(va0, 32);
        __m256i vbe = _mm256_loadu_si256((const __m256i *)be);
        __m256i vbo = _mm256_loadu_si256((const __m256i *)bo);
        __m256i mn = _mm256_loadu_si256((const __m256i *)(v + i));
        for (size_t j = 0; j < n; j++) {
            __m256i x0 = _mm256_set1_epi32((int)(uint32_t)sh[j]);
            __m256i x1 = _mm256_set1_epi32((int)(uint32_t)(sh[j] >> 32));
            __m256i pe = _mm256_add_epi64(_mm256_mul_epu32(va0, x0), vbe);
            __m256i po = _mm256_add_epi64(_mm256_mul_epu32(va0odd, x0), vbo);
            __m256i hi =
                _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA);
            __m256i cross = _mm256_add_epi32(_mm256_mullo_epi32(va0, x1),
                                             _mm256_mullo_epi32(va1, x0));
            mn = _mm256_min_epu32(mn, _mm256_add_epi32(hi, cross));
        }
        _mm256_storeu_si256((__m256i *)(v + i), mn);
    }
    for (; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            uint32_t val = (uint32_t)((mult[i] * sh[j] + add[i]) >> 32);
            if (val < v[i])
                v[i] = val;
        }
}

/* ------------------------------------------------------- densification */

/* Bit i of m as byte i of a mask, 0xff or 0. */
AVX2 static inline __m256i bits_to_bytes(uint32_t m)
{
    const __m256i which =
        _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2,
                         2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_setr_epi8(
        1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8,
        16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)m), which);
    return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
}

/* The rounds for 32 bins from lists: entry t of the 32 is one load. The
 * filled bitmap of up to 256 bins is 32 bytes and vpshufb looks a byte up
 * within 16, so when wide each half of the bitmap (lo, hi) is looked up
 * and the right one kept; a second lookup gives the bit's mask. Bins whose
 * entry is filled are settled, their entries to *got; the rounds stop when
 * every pending bin is. Returns the bins left pending. */
AVX2 static inline __attribute__((always_inline)) __m256i
settle(const uint8_t *lists, uint32_t len, uint32_t stride, __m256i lo,
       __m256i hi, int wide, __m256i pending, __m256i *got)
{
    const __m256i bitpos =
        _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0,
                         1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m256i low5 = _mm256_set1_epi8(31), seven = _mm256_set1_epi8(7);
    for (uint32_t t = 0; t < len && !_mm256_testz_si256(pending, pending);
         t++) {
        __m256i b =
            _mm256_loadu_si256((const __m256i *)(lists + (size_t)t * stride));
        __m256i byte = _mm256_and_si256(_mm256_srli_epi16(b, 3), low5);
        __m256i look = _mm256_shuffle_epi8(lo, byte);
        if (wide)
            look = _mm256_blendv_epi8(look, _mm256_shuffle_epi8(hi, byte),
                                      _mm256_slli_epi16(byte, 3));
        __m256i bit = _mm256_shuffle_epi8(bitpos, _mm256_and_si256(b, seven));
        __m256i miss = _mm256_cmpeq_epi8(_mm256_and_si256(look, bit),
                                         _mm256_setzero_si256());
        __m256i hit = _mm256_andnot_si256(miss, pending);
        *got = _mm256_blendv_epi8(*got, b, hit);
        pending = _mm256_andnot_si256(hit, pending);
    }
    return pending;
}

/* The bins are settled 32 at a time (settle), then eight at a time gather
 * the values of the bins that settled them. */
AVX2 static int densify(const uint8_t *lists, uint32_t len, uint32_t bins,
                        const uint8_t *filled, uint32_t *v, uint64_t *left)
{
    if (bins > 256)
        return 0;
    const uint32_t groups = (bins + 31) / 32, stride = (bins + 63) / 64 * 64;
    uint32_t empty[8] = {0};
    for (uint32_t g = 0; g < groups; g++) {
        __m256i f = _mm256_loadu_si256((const __m256i *)(filled + 32 * g));
        empty[g] = (uint32_t)_mm256_movemask_epi8(
            _mm256_cmpeq_epi8(f, _mm256_setzero_si256()));
    }
    if (bins % 32)
        empty[groups - 1] &= (1u << bins % 32) - 1;
    const __m256i full = _mm256_xor_si256(
        _mm256_loadu_si256((const __m256i *)empty), _mm256_set1_epi32(-1));
    const __m256i lo = _mm256_permute2x128_si256(full, full, 0x00);
    const __m256i hi = _mm256_permute2x128_si256(full, full, 0x11);
    memset(left, 0, (bins + 63) / 64 * sizeof left[0]);
    for (uint32_t g = 0; g < groups; g++) {
        __m256i got = _mm256_setzero_si256();
        /* Up to 128 bins, the low half of the bitmap is all of it. */
        __m256i pending =
            bins <= 128 ? settle(lists + 32 * g, len, stride, lo, hi, 0,
                                 bits_to_bytes(empty[g]), &got)
                        : settle(lists + 32 * g, len, stride, lo, hi, 1,
                                 bits_to_bytes(empty[g]), &got);
        uint32_t unsettled = (uint32_t)_mm256_movemask_epi8(pending);
        const __m256i settled =
            _mm256_set1_epi32((int)(empty[g] & ~unsettled));
        uint8_t from[32];
        left[g / 2] |= (uint64_t)unsettled << 32 * (g % 2);
        _mm256_storeu_si256((__m256i *)from, got);
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++) {
            /* Bit 8 q + i of settled as lane i of a mask. */
            const __m256i bit = _mm256_slli_epi32(
                _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128), 8 * q);
            __m256i mask =
                _mm256_cmpeq_epi32(_mm256_and_si256(settled, bit), bit);
            __m256i at = _mm256_cvtepu8_epi32(
                _mm_loadl_epi64((const __m128i *)(from + 8 * q)));
            /* The bins gathered from are filled, none of those stored. */
            _mm256_maskstore_epi32(
                (int *)(v + 32 * g + 8 * q), mask,
                _mm256_mask_i32gather_epi32(_mm256_setzero_si256(),
                                            (const int *)v, at, mask, 4));
        }
    }
    return 1;
}

const sheaf__kernels sheaf__kernels_avx2 = {
    SHEAF__SIMD_AVX2, "avx2", tokenize, hash_words, hash_mid,
    combine,          oph,    minhash,  densify,
};

#endif
