/*
 * Run-time choice of the signer's inner loops. Internal to the library.
 *
 * The scalar code in signature.c and normalize.c is the reference. A SIMD
 * level supplies vector kernels for the steps that dominate signing; the
 * scalar glue around them (the rare words the tokeniser leaves to
 * normalize.c, the bins densification leaves to ranking) is shared, so
 * every level must give bit-for-bit the signatures of the reference
 * (tests/test_simd.c checks that on every level the CPU has).
 */
#ifndef SHEAF_SIMD_H
#define SHEAF_SIMD_H

#include <stddef.h>
#include <stdint.h>

#include "sheaf.h"

typedef enum sheaf__simd_level {
    SHEAF__SIMD_SCALAR = 0,
    SHEAF__SIMD_AVX2 = 1,
    SHEAF__SIMD_AVX512 = 2
} sheaf__simd_level;

#define SHEAF__SIMD_LEVELS 3

/* What XXH3_64bits_withSeed needs for inputs of 1 to 16 bytes with one
 * seed: the seed mixed with the default secret, as the three short-input
 * cases use it (see sheaf__xxh3_keys_init). */
typedef struct sheaf__xxh3_keys {
    uint64_t k1to3; /* input 1-3 bytes: xor-ed into the packed bytes */
    uint64_t k4to8; /* 4-8 bytes: xor-ed into the two packed halves */
    uint64_t k9to16_lo, k9to16_hi; /* 9-16 bytes: into the two 8-byte reads */
} sheaf__xxh3_keys;

void sheaf__xxh3_keys_init(sheaf__xxh3_keys *k, uint64_t seed);

/* Bytes classified per block, and the blocks of one window: the tokeniser
 * classifies a window at once, then walks its words (tokenize.h). */
#define SHEAF__BLOCK 64
#define SHEAF__WINDOW_BLOCKS 16
#define SHEAF__WINDOW (SHEAF__BLOCK * SHEAF__WINDOW_BLOCKS)

/* Longest word the vector XXH3 hashes; longer ones go to the library. */
#define SHEAF__SHORT_WORD 16

/* The lists of lowest-ranked bins that OPH densification keeps per bin in
 * the hasher's mult[] (8 KiB): one byte an entry for up to 256 bins, else
 * two; at most 64 entries. Stored entry by entry: entry t of every bin,
 * then entry t + 1, each row padded to a multiple of 64 bins, so a kernel
 * reads one entry of 64 bins at once; 64 bytes are left over after the
 * last row. */
#define SHEAF__DENS_MAX_LIST 64

static inline uint32_t sheaf__dens_stride(uint32_t bins)
{
    return (bins + 63) / 64 * 64;
}

static inline uint32_t sheaf__dens_list_len(uint32_t bins)
{
    uint32_t width = bins <= 256 ? 1 : 2;
    uint32_t fit =
        (SHEAF_MAX_HASHES * 8 - 64) / (sheaf__dens_stride(bins) * width);
    uint32_t len = bins < SHEAF__DENS_MAX_LIST ? bins : SHEAF__DENS_MAX_LIST;
    return len < fit ? len : fit;
}

/* Lanes the kernels may round up to: arrays they read or write have this
 * much slack beyond n. */
#define SHEAF__LANES 8

/* Words of one window, from a kernel's tokenize: short plain ASCII words
 * for hash_words, in word order, and those of 9 to 16 bytes for hash_mid,
 * with their place; the others are hashed already. At most half a window:
 * dense text (one-letter words) fills it, so the tokeniser's stop-and-
 * resume path runs on real input. */
#define SHEAF__TOKENS 256
typedef struct sheaf__tokens {
    const uint8_t *base; /* offsets count from here */
    size_t n, nmid;
    /* Room past SHEAF__TOKENS for the tokeniser's group stores. */
    int32_t off[SHEAF__TOKENS + 32];
    uint8_t len[SHEAF__TOKENS + 32]; /* 0: not for hash_words */
    int32_t mid_off[SHEAF__TOKENS + 32];
    uint8_t mid_len[SHEAF__TOKENS + 32];
    uint16_t mid_at[SHEAF__TOKENS + 32]; /* the word's index */
    /* The last window of the text and 16 bytes of zeros: the base of its
     * tokens. */
    uint8_t pad[SHEAF__WINDOW + 2 * SHEAF__SHORT_WORD];
} sheaf__tokens;

typedef struct sheaf__kernels {
    sheaf__simd_level level;
    const char *name;

    /* The next words of text[*pos, len), at most SHEAF__TOKENS, in order:
     * the words of sheaf__scan_words. Word i has its hash written to
     * hashes[i], or is left to hash_words (t->len[i] != 0) or to hash_mid
     * (i in t->mid_at). Moves *pos on; returns the number of words, which
     * may be 0 before the end of the text (a window without words). The
     * entries of both lists up to SHEAF__LANES past their ends have length
     * 0. (tokenize.h) */
    size_t (*tokenize)(const uint8_t *text, size_t len, size_t *pos,
                       uint64_t seed, sheaf__tokens *t, uint64_t *hashes);

    /* For each i < n with len[i] != 0: hashes[i] = XXH3_64bits_withSeed of
     * the len[i] (1..8) bytes at base + off[i], ASCII letters and digits,
     * lowered; 8 bytes from there are readable. Entries with len[i] == 0
     * keep their hash. Reads and writes up to SHEAF__LANES - 1 entries
     * beyond n (their len must be 0). */
    void (*hash_words)(const uint8_t *base, const int32_t *off,
                       const uint8_t *len, size_t n,
                       const sheaf__xxh3_keys *keys, uint64_t *hashes);

    /* The same for words of 9..16 bytes (16 readable), the hash of word i
     * going to hashes[at[i]]. */
    void (*hash_mid)(const uint8_t *base, const int32_t *off,
                     const uint8_t *len, const uint16_t *at, size_t n,
                     const sheaf__xxh3_keys *keys, uint64_t *hashes);

    /* out[i] = the shingle hash of units[i .. i + k) (combine() in
     * signature.c) for i < n; reads up to SHEAF__LANES - 1 units beyond
     * n + k - 1 and writes as many entries beyond n. */
    void (*combine)(const uint64_t *units, size_t n, uint32_t k, uint64_t seed,
                    uint64_t *out);

    /* One-permutation hashing of the same shingles, without storing their
     * hashes: for each, the bin fast_range(hash >> 32, bins) gets
     * filled[bin] = 1 and v[bin] = min(v[bin], (uint32_t)hash)
     * (update_oph in signature.c). Reads units as combine does. */
    void (*oph)(const uint64_t *units, size_t n, uint32_t k, uint64_t seed,
                uint32_t bins, uint32_t *v, uint8_t *filled);

    /* k-permutation MinHash: v[i] = min(v[i], (mult[i] * x + add[i]) >> 32)
     * over every shingle hash x of sh[0..n), for i < m. */
    void (*minhash)(const uint64_t *mult, const uint64_t *add, uint32_t m,
                    const uint64_t *sh, size_t n, uint32_t *v);

    /* OPH densification (densify in signature.c) of up to 256 bins:
     * lists holds each bin's lowest-ranked bins, len rows of one byte per
     * bin (rank_lists). Every empty bin j (filled[j] == 0; filled is
     * readable up to the next multiple of 64 bins, where it may hold
     * anything past bins) whose list holds a filled bin gets v[j] = v[the
     * first of them]; the others are the set bits of left, (bins + 63) /
     * 64 words. Returns 0, doing nothing, when bins is more than it
     * handles. */
    int (*densify)(const uint8_t *lists, uint32_t len, uint32_t bins,
                   const uint8_t *filled, uint32_t *v, uint64_t *left);
} sheaf__kernels;

extern const sheaf__kernels sheaf__kernels_avx2;
extern const sheaf__kernels sheaf__kernels_avx512;

/* The kernels of a level; NULL for the scalar reference and for a level
 * this CPU (or this build) lacks. */
const sheaf__kernels *sheaf__simd_kernels(sheaf__simd_level level);

/* Whether this CPU and build can run the level. */
int sheaf__simd_available(sheaf__simd_level level);

const char *sheaf__simd_name(sheaf__simd_level level);

/* The word hashes of text on a level (the scalar one when the CPU lacks
 * it), as signing computes them, into out: room for len / 2 + 1 words plus
 * SHEAF__TOKENS + SHEAF__LANES. Returns how many. */
size_t sheaf__words_level(const char *text, size_t len, uint64_t seed,
                          uint64_t *out, sheaf__simd_level level);

/* sheaf_hasher_sign on a given level (tests and the benchmark compare
 * levels in one process); the level must be available. */
int sheaf__hasher_sign_level(const sheaf_hasher *h, const char *text,
                             size_t len, sheaf_signature *out,
                             sheaf__simd_level level);

#endif
