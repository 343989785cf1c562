/*
 * The signer's kernels for AVX-512 (F, BW, DQ, VL, VBMI and VBMI2: Ice Lake,
 * Zen 4 and later; older AVX-512 CPUs run the AVX2 kernels), eight 64-bit
 * lanes.
 *
 * Compiled for AVX-512 function by function (target attributes), so the
 * rest of the library stays portable; cpu.c runs these only on a CPU that
 * has the instructions. Each kernel computes exactly what its scalar
 * counterpart does (simd.h; tests/test_simd.c compares them bit for bit).
 */
#include "common/simd.h"

#if defined(__x86_64__) && defined(__GNUC__)

#include <immintrin.h>

#define AVX512                                                                 \
    __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vbmi,"     \
                          "avx512vbmi2,popcnt,bmi")))

typedef __m512i v8;

AVX512 static inline v8 set1(uint64_t x)
{
    return _mm512_set1_epi64((long long)x);
}

/* --------------------------------------------------------------- classify */

AVX512 static inline void classify(const uint8_t *p, size_t nblocks,
                                   uint64_t *cand, uint64_t *special)
{
    const v8 x20 = _mm512_set1_epi8(0x20), a = _mm512_set1_epi8('a');
    const v8 zero = _mm512_set1_epi8('0'), apos = _mm512_set1_epi8('\'');
    const v8 n26 = _mm512_set1_epi8(26), n10 = _mm512_set1_epi8(10);

    for (size_t b = 0; b < nblocks; b++) {
        v8 x = _mm512_loadu_si512(p + b * SHEAF__BLOCK);
        /* OR-ing 0x20 lowers letters; no other byte lands in a..z. */
        __mmask64 letter = _mm512_cmplt_epu8_mask(
            _mm512_sub_epi8(_mm512_or_si512(x, x20), a), n26);
        __mmask64 digit = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(x, zero), n10);
        __mmask64 sp = _mm512_movepi8_mask(x) | _mm512_cmpeq_epi8_mask(x, apos);
        special[b] = sp;
        cand[b] = letter | digit | sp;
    }
}

/* Positions of the set bits of m: vpcompressb packs the indices of the
 * set bits of all 64 at once; they are widened 16 at a time, and more than
 * 16 in a block is rare. */
AVX512 static inline size_t flatten(uint64_t m, uint32_t base, uint32_t *out)
{
    const __m512i iota = _mm512_set_epi8(
        63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46,
        45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28,
        27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10,
        9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m512i at = _mm512_maskz_compress_epi8(m, iota);
    __m512i b = _mm512_set1_epi32((int)base);
    size_t n = (size_t)__builtin_popcountll(m);
    _mm512_storeu_si512(
        out,
        _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_castsi512_si128(at)), b));
    if (n > 16) {
        uint8_t rest[64];
        _mm512_storeu_si512(rest, at);
        for (size_t q = 1; 16 * q < n; q++)
            _mm512_storeu_si512(
                out + 16 * q,
                _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128(
                                     (const __m128i *)(rest + 16 * q))),
                                 b));
    }
    return n;
}

#define TOK_GROUP 32
#define TOK_STOPS 1

/* The runs of 16 lanes that cannot be tokens here: the long ones. Run i
 * is lane i. */
AVX512 static inline __mmask16 bad_lanes(__m512i l)
{
    return _mm512_cmpgt_epu32_mask(l, _mm512_set1_epi32(SHEAF__SHORT_WORD));
}

/* Sixteen runs' tokens: the offsets and lengths of all at *n, the mid-length
 * ones among the first (mask mid) packed into the mid list. */
AVX512 static inline void put16(__m512i s, __m512i l, __mmask16 mid, size_t at,
                                sheaf__tokens *t, size_t *nmid)
{
    const __m512i index = _mm512_add_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32((int)at));
    _mm512_storeu_si512(t->off + at, s);
    _mm_storeu_si128(
        (__m128i *)(t->len + at),
        _mm512_cvtepi32_epi8(_mm512_maskz_mov_epi32((__mmask16)~mid, l)));
    _mm512_storeu_si512(t->mid_off + *nmid,
                        _mm512_maskz_compress_epi32(mid, s));
    _mm_storeu_si128((__m128i *)(t->mid_len + *nmid),
                     _mm512_cvtepi32_epi8(_mm512_maskz_compress_epi32(mid, l)));
    _mm256_storeu_si256(
        (__m256i *)(t->mid_at + *nmid),
        _mm512_cvtepi32_epi16(_mm512_maskz_compress_epi32(mid, index)));
    *nmid += (size_t)__builtin_popcount(mid);
}

/* Two groups of 16 at once: what decides where the next step starts is a
 * chain of latencies, so the longer the step, the fewer of them. */
AVX512 static inline size_t
emit_plain(const uint32_t *starts, const uint32_t *stops, const uint8_t *marked,
           size_t max, sheaf__tokens *t, size_t *n, size_t *nmid)
{
    const __m512i s0 = _mm512_loadu_si512(starts),
                  s1 = _mm512_loadu_si512(starts + 16);
    const __m512i l0 = _mm512_sub_epi32(_mm512_loadu_si512(stops), s0);
    const __m512i l1 = _mm512_sub_epi32(_mm512_loadu_si512(stops + 16), s1);
    uint32_t bad = (uint32_t)bad_lanes(l0) | (uint32_t)bad_lanes(l1) << 16;
    if (max < 32)
        bad |= ~((1u << max) - 1);
    if (marked) {
        __m256i m = _mm256_loadu_si256((const __m256i *)marked);
        bad |= _mm256_test_epi8_mask(m, m);
    }
    size_t k = bad ? (size_t)__builtin_ctz(bad) : TOK_GROUP;
    uint32_t keep = k == 32 ? ~0u : (1u << k) - 1;
    uint32_t mid =
        ((uint32_t)_mm512_cmpgt_epu32_mask(l0, _mm512_set1_epi32(8)) |
         (uint32_t)_mm512_cmpgt_epu32_mask(l1, _mm512_set1_epi32(8)) << 16) &
        keep;
    put16(s0, l0, (__mmask16)mid, *n, t, nmid);
    put16(s1, l1, (__mmask16)(mid >> 16), *n + 16, t, nmid);
    *n += k;
    return k;
}

#define TOK_TARGET AVX512
#include "text/tokenize.h"

/* ------------------------------------------------------------ vector XXH3 */

/* XXH3's short-input arithmetic, written out for eight inputs at once. */

AVX512 static inline v8 xorshift(v8 h, unsigned s)
{
    return _mm512_xor_si512(h, _mm512_srli_epi64(h, s));
}

/* The 128-bit product of a and b, its halves xor-ed: four 32x32->64
 * multiplies, as AVX-512 has no 64x64->128 one. */
AVX512 static inline v8 mul128_fold64(v8 a, v8 b)
{
    const v8 lo32 = set1(0xffffffffu);
    v8 ah = _mm512_srli_epi64(a, 32), bh = _mm512_srli_epi64(b, 32);
    v8 ll = _mm512_mul_epu32(a, b), lh = _mm512_mul_epu32(a, bh);
    v8 hl = _mm512_mul_epu32(ah, b), hh = _mm512_mul_epu32(ah, bh);
    /* The middle column, at most 3 (2^32 - 1) wide: no carry is lost. */
    v8 mid = _mm512_add_epi64(_mm512_srli_epi64(ll, 32),
                              _mm512_add_epi64(_mm512_and_si512(lh, lo32),
                                               _mm512_and_si512(hl, lo32)));
    v8 lo =
        _mm512_or_si512(_mm512_slli_epi64(mid, 32), _mm512_and_si512(ll, lo32));
    v8 hi = _mm512_add_epi64(
        _mm512_add_epi64(hh, _mm512_srli_epi64(mid, 32)),
        _mm512_add_epi64(_mm512_srli_epi64(lh, 32), _mm512_srli_epi64(hl, 32)));
    return _mm512_xor_si512(lo, hi);
}

/* The bytes of each lane's q0 that pattern[len] (by the low three bits of
 * the length) selects: vpshufb indexes within 16 bytes, so the odd lane of
 * each pair indexes its upper half. */
AVX512 static inline v8 by_length(v8 q0, v8 len, v8 pattern)
{
    const v8 upper =
        _mm512_setr_epi64(0, 0x0808080808080808, 0, 0x0808080808080808, 0,
                          0x0808080808080808, 0, 0x0808080808080808);
    return _mm512_shuffle_epi8(
        q0, _mm512_add_epi8(_mm512_permutexvar_epi64(len, pattern), upper));
}

/* 1-3 bytes: first, middle and last byte and the length packed in 32 bits,
 * keyed, then XXH64's avalanche. */
AVX512 static inline v8 xxh3_1to3(v8 q0, v8 len, v8 key)
{
    /* vpshufb patterns by length, putting the last, first and middle byte
     * where the packing wants them (bytes 0, 2 and 3; 0x80 clears). */
    const v8 pattern = _mm512_setr_epi64(
        (long long)0x8080808080808080ull, (long long)0x8080808000008000ull,
        (long long)0x8080808001008001ull, (long long)0x8080808001008002ull,
        (long long)0x8080808080808080ull, (long long)0x8080808080808080ull,
        (long long)0x8080808080808080ull, (long long)0x8080808080808080ull);
    v8 packed =
        _mm512_or_si512(by_length(q0, len, pattern), _mm512_slli_epi64(len, 8));
    v8 h = _mm512_xor_si512(packed, key);
    h = _mm512_mullo_epi64(xorshift(h, 33), set1(0xC2B2AE3D27D4EB4Full));
    h = _mm512_mullo_epi64(xorshift(h, 29), set1(0x165667B19E3779F9ull));
    return xorshift(h, 32);
}

/* 4-8 bytes: the last and the first four bytes as one 64-bit value, keyed,
 * then XXH3's rrmxmx. */
AVX512 static inline v8 xxh3_4to8(v8 q0, v8 len, v8 key)
{
    /* vpshufb patterns by length: bytes len - 4 .. len - 1, then 0 .. 3
     * (length 8 in slot 0, as no word is empty). */
    const v8 pattern = _mm512_setr_epi64(
        0x0302010007060504, 0, 0, 0, 0x0302010003020100, 0x0302010004030201,
        0x0302010005040302, 0x0302010006050403);
    const v8 mult = set1(0x9FB21C651E98DF25ull);
    v8 h = _mm512_xor_si512(by_length(q0, len, pattern), key);
    h = _mm512_ternarylogic_epi64(h, _mm512_rol_epi64(h, 49),
                                  _mm512_rol_epi64(h, 24), 0x96);
    h = _mm512_mullo_epi64(h, mult);
    h = _mm512_xor_si512(h, _mm512_add_epi64(_mm512_srli_epi64(h, 35), len));
    h = _mm512_mullo_epi64(h, mult);
    return xorshift(h, 28);
}

/* 9-16 bytes: the first and the last eight bytes, keyed, mixed through a
 * 128-bit product, then XXH3's avalanche. */
AVX512 static inline v8 xxh3_9to16(v8 q0, v8 q1, v8 len, v8 klo, v8 khi)
{
    /* The last eight bytes from the 16 read: bytes len - 8 .. len - 1. A
     * shift of 64 gives 0, so len 16 takes q1 whole. */
    v8 shift = _mm512_sub_epi64(_mm512_slli_epi64(len, 3), set1(64));
    v8 last = _mm512_or_si512(
        _mm512_srlv_epi64(q0, shift),
        _mm512_sllv_epi64(q1, _mm512_sub_epi64(set1(64), shift)));
    v8 lo = _mm512_xor_si512(q0, klo), hi = _mm512_xor_si512(last, khi);
    /* vpshufb indexes within 16-byte lanes: each 8-byte half reversed. */
    const v8 bswap = _mm512_broadcast_i32x4(
        _mm_setr_epi8(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8));
    v8 acc =
        _mm512_add_epi64(_mm512_add_epi64(len, _mm512_shuffle_epi8(lo, bswap)),
                         _mm512_add_epi64(hi, mul128_fold64(lo, hi)));
    acc = _mm512_mullo_epi64(xorshift(acc, 37), set1(0x165667919E3779F9ull));
    return xorshift(acc, 32);
}

AVX512 static void hash_words(const uint8_t *base, const int32_t *off,
                              const uint8_t *len, size_t n,
                              const sheaf__xxh3_keys *keys, uint64_t *hashes)
{
    const v8 k13 = set1(keys->k1to3), k48 = set1(keys->k4to8);
    /* The words are ASCII letters and digits: OR-ing 0x20 lowers them. */
    const v8 lower = _mm512_set1_epi8(0x20);

    for (size_t i = 0; i < n; i += SHEAF__LANES) {
        v8 l =
            _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(len + i)));
        __mmask8 live = _mm512_test_epi64_mask(l, l);
        __m256i o = _mm256_loadu_si256((const __m256i *)(off + i));
        v8 q0 = _mm512_or_si512(_mm512_mask_i32gather_epi64(
                                    _mm512_setzero_si512(), live, o, base, 1),
                                lower);
        v8 h = _mm512_mask_mov_epi64(xxh3_4to8(q0, l, k48),
                                     _mm512_cmple_epu64_mask(l, set1(3)),
                                     xxh3_1to3(q0, l, k13));
        _mm512_mask_storeu_epi64(hashes + i, live, h);
    }
}

AVX512 static void hash_mid(const uint8_t *base, const int32_t *off,
                            const uint8_t *len, const uint16_t *at, size_t n,
                            const sheaf__xxh3_keys *keys, uint64_t *hashes)
{
    const v8 klo = set1(keys->k9to16_lo), khi = set1(keys->k9to16_hi);
    const v8 lower = _mm512_set1_epi8(0x20);

    for (size_t i = 0; i < n; i += SHEAF__LANES) {
        v8 l =
            _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(len + i)));
        __mmask8 live = _mm512_test_epi64_mask(l, l);
        __m256i o = _mm256_loadu_si256((const __m256i *)(off + i));
        v8 q0 = _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), live, o,
                                            base, 1);
        v8 q1 = _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), live, o,
                                            base + 8, 1);
        uint64_t h[SHEAF__LANES];
        _mm512_storeu_si512(h, xxh3_9to16(_mm512_or_si512(q0, lower),
                                          _mm512_or_si512(q1, lower), l, klo,
                                          khi));
        for (size_t j = 0; j < SHEAF__LANES && i + j < n; j++)
            hashes[at[i + j]] = h[j];
    }
}

/* ---------------------------------------------------------------- shingles */

/* combine() of signature.c for the eight shingles from units: each lane
 * builds its window's XOR of rotated units from scratch. */
AVX512 static inline v8 shingle8(const uint64_t *units, uint32_t k, v8 tail)
{
    v8 acc = _mm512_loadu_si512(units);
#pragma GCC unroll 4
    for (uint32_t j = 1; j < k; j++)
        acc = _mm512_xor_si512(_mm512_rol_epi64(acc, 1),
                               _mm512_loadu_si512(units + j));
    acc = _mm512_xor_si512(acc, tail);
    acc = _mm512_mullo_epi64(xorshift(acc, 33), set1(0xff51afd7ed558ccdull));
    acc = _mm512_mullo_epi64(xorshift(acc, 33), set1(0xc4ceb9fe1a85ec53ull));
    return xorshift(acc, 33);
}

AVX512 static void combine(const uint64_t *units, size_t n, uint32_t k,
                           uint64_t seed, uint64_t *out)
{
    const v8 tail = set1(seed ^ k);
    for (size_t i = 0; i < n; i += SHEAF__LANES)
        _mm512_storeu_si512(out + i, shingle8(units + i, k, tail));
}

/* Shingles are binned in batches (all of a window's at once): their
 * values and bins worked out eight at a time and stored, then taken into
 * the minima one by one, as two may share a bin. Reading them back costs
 * less than moving each lane out of its register. */
#define OPH_BATCH 256

/* k = 5, the default, gets its own copy with the window unrolled. */
AVX512 static inline __attribute__((always_inline)) void
oph_k(const uint64_t *units, size_t n, uint32_t k, uint64_t seed,
      uint32_t bins, uint32_t *v, uint8_t *filled)
{
    const v8 tail = set1(seed ^ k), nbins = set1(bins);
    uint32_t got[2 * OPH_BATCH]; /* per shingle its value, then its bin */
    for (size_t i = 0; i < n; i += OPH_BATCH) {
        size_t m = n - i < OPH_BATCH ? n - i : OPH_BATCH;
        for (size_t j = 0; j < m; j += SHEAF__LANES) {
            v8 h = shingle8(units + i + j, k, tail);
            /* fast_range: the bin is the high half of the product. */
            v8 bin = _mm512_mul_epu32(_mm512_srli_epi64(h, 32), nbins);
            _mm512_storeu_si512(got + 2 * j,
                                _mm512_mask_blend_epi32(0xAAAA, h, bin));
        }
#pragma GCC unroll 4
        for (size_t j = 0; j < m; j++) {
            uint32_t x = got[2 * j], b = got[2 * j + 1], cur = v[b];
            filled[b] = 1;
            v[b] = x < cur ? x : cur;
        }
    }
}

AVX512 static void oph(const uint64_t *units, size_t n, uint32_t k,
                       uint64_t seed, uint32_t bins, uint32_t *v,
                       uint8_t *filled)
{
    if (k == 5)
        oph_k(units, n, 5, seed, bins, v, filled);
    else
        oph_k(units, n, k, seed, bins, v, filled);
}

/* ------------------------------------------------------- k-perm MinHash */

/* Thirty-two hash functions at a time stay in registers while the
 * shingles stream past; the minima are kept as 64-bit lanes. */
AVX512 static void minhash(const uint64_t *mult, const uint64_t *add,
                           uint32_t m, const uint64_t *sh, size_t n,
                           uint32_t *v)
{
    uint32_t i = 0;

    for (; i + 32 <= m; i += 32) {
        v8 a0 = _mm512_loadu_si512(mult + i),
           a1 = _mm512_loadu_si512(mult + i + 8);
        v8 a2 = _mm512_loadu_si512(mult + i + 16),
           a3 = _mm512_loadu_si512(mult + i + 24);
        v8 b0 = _mm512_loadu_si512(add + i),
           b1 = _mm512_loadu_si512(add + i + 8);
        v8 b2 = _mm512_loadu_si512(add + i + 16),
           b3 = _mm512_loadu_si512(add + i + 24);
        v8 m0 =
            _mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)(v + i)));
        v8 m1 = _mm512_cvtepu32_epi64(
            _mm256_loadu_si256((const __m256i *)(v + i + 8)));
        v8 m2 = _mm512_cvtepu32_epi64(
            _mm256_loadu_si256((const __m256i *)(v + i + 16)));
        v8 m3 = _mm512_cvtepu32_epi64(
            _mm256_loadu_si256((const __m256i *)(v + i + 24)));
        for (size_t j = 0; j < n; j++) {
            v8 x = set1(sh[j]);
            m0 = _mm512_min_epu64(
                m0, _mm512_srli_epi64(
                        _mm512_add_epi64(_mm512_mullo_epi64(a0, x), b0), 32));
            m1 = _mm512_min_epu64(
                m1, _mm512_srli_epi64(
                        _mm512_add_epi64(_mm512_mullo_epi64(a1, x), b1), 32));
            m2 = _mm512_min_epu64(
                m2, _mm512_srli_epi64(
                        _mm512_add_epi64(_mm512_mullo_epi64(a2, x), b2), 32));
            m3 = _mm512_min_epu64(
                m3, _mm512_srli_epi64(
                        _mm512_add_epi64(_mm512_mullo_epi64(a3, x), b3), 32));
        }
        _mm256_storeu_si256((__m256i *)(v + i), _mm512_cvtepi64_epi32(m0));
        _mm256_storeu_si256((__m256i *)(v + i + 8), _mm512_cvtepi64_epi32(m1));
        _mm256_storeu_si256((__m256i *)(v + i + 16), _mm512_cvtepi64_epi32(m2));
        _mm256_storeu_si256((__m256i *)(v + i + 24), _mm512_cvtepi64_epi32(m3));
    }
    for (; i < m; i += 8) {
        __mmask8 k = (__mmask8)(m - i >= 8 ? 0xff : (1u << (m - i)) - 1);
        v8 a = _mm512_maskz_loadu_epi64(k, mult + i);
        v8 b = _mm512_maskz_loadu_epi64(k, add + i);
        v8 mn = _mm512_cvtepu32_epi64(_mm256_maskz_loadu_epi32(k, v + i));
        for (size_t j = 0; j < n; j++)
            mn = _mm512_min_epu64(
                mn, _mm512_srli_epi64(
                        _mm512_add_epi64(_mm512_mullo_epi64(a, set1(sh[j])), b),
                        32));
        _mm256_mask_storeu_epi32(v + i, k, _mm512_cvtepi64_epi32(mn));
    }
}

/* ------------------------------------------------------- densification */

/* Round by round: entry t of 64 bins is one load; vpermb looks up the
 * byte of the filled bitmap (up to 256 bins, 32 bytes) holding each, and
 * vpshufb the mask of its bit. Bins whose entry is filled are settled; the
 * rounds stop when every empty bin of the 64 is. Then sixteen bins at a
 * time gather the values of the bins that settled them. */
AVX512 static int densify(const uint8_t *lists, uint32_t len, uint32_t bins,
                          const uint8_t *filled, uint32_t *v, uint64_t *left)
{
    if (bins > 256)
        return 0;
    const uint32_t words = (bins + 63) / 64, stride = words * 64;
    uint64_t empty[4] = {0};
    for (uint32_t w = 0; w < words; w++) {
        __m512i f = _mm512_loadu_si512(filled + 64 * w);
        empty[w] = ~(uint64_t)_mm512_test_epi8_mask(f, f);
    }
    if (bins % 64)
        empty[words - 1] &= (UINT64_C(1) << bins % 64) - 1;
    const __m512i full = _mm512_xor_si512(
        _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *)empty)),
        _mm512_set1_epi32(-1));
    const __m512i bitpos = _mm512_broadcast_i32x4(
        _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0));
    const __m512i low5 = _mm512_set1_epi8(31), seven = _mm512_set1_epi8(7);
    for (uint32_t w = 0; w < words; w++) {
        uint64_t pending = empty[w];
        __m512i got = _mm512_setzero_si512();
        for (uint32_t t = 0; t < len && pending; t++) {
            __m512i b = _mm512_loadu_si512(lists + (size_t)t * stride + 64 * w);
            __m512i byte = _mm512_permutexvar_epi8(
                _mm512_and_si512(_mm512_srli_epi16(b, 3), low5), full);
            __m512i bit =
                _mm512_shuffle_epi8(bitpos, _mm512_and_si512(b, seven));
            __mmask64 hit = _mm512_test_epi8_mask(byte, bit) & pending;
            got = _mm512_mask_mov_epi8(got, hit, b);
            pending &= ~hit;
        }
        uint64_t settled = empty[w] & ~pending;
        uint8_t from[64];
        left[w] = pending;
        _mm512_storeu_si512(from, got);
        for (uint32_t q = 0; q < 4; q++) {
            __mmask16 mask = (__mmask16)(settled >> 16 * q);
            __m512i at = _mm512_cvtepu8_epi32(
                _mm_loadu_si128((const __m128i *)(from + 16 * q)));
            /* The bins gathered from are filled, none of those stored. */
            _mm512_mask_storeu_epi32(
                v + 64 * w + 16 * q, mask,
                _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask, at,
                                            v, 4));
        }
    }
    return 1;
}

const sheaf__kernels sheaf__kernels_avx512 = {
    SHEAF__SIMD_AVX512, "avx512", tokenize, hash_words, hash_mid,
    combine,            oph,      minhash,  densify,
};

#endif
