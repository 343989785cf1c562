/*
 * Text normalisation: UTF-8 decoding, case folding and word splitting, as
 * documented at sheaf_hasher_sign in sheaf.h. Internal to the library.
 *
 * The scanner works in chunks into caller-provided arrays so that the signer
 * never allocates and keeps its working set in registers and L1.
 */
#ifndef SHEAF_NORMALIZE_H
#define SHEAF_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

/* Folded bytes of one word hashed in one XXH3 call; a longer word is hashed
 * piece by piece, each piece seeded with the hash of the pieces before. */
#define SHEAF__WORD_PIECE 256

typedef struct sheaf__scan {
    const uint8_t *text;
    size_t len;
    size_t pos;  /* next byte to read */
    int gap;     /* chars mode: a separator run is pending */
    int started; /* chars mode: a character was emitted already */
} sheaf__scan;

void sheaf__scan_init(sheaf__scan *s, const char *text, size_t len);

/* Hash the next words of the text, at most cap of them, into hashes[]; a
 * word's hash is XXH3_64bits_withSeed(its folded UTF-8, seed). Returns how
 * many were written; 0 only at the end of the text. */
size_t sheaf__scan_words(sheaf__scan *s, uint64_t seed, uint64_t *hashes,
                         size_t cap);

/* The general scanner, for one token at *pp < end, past which it moves
 * *pp: a separator is skipped (returns 0), a word hashed into *hash
 * (returns 1). *pp must not be inside a word. */
size_t sheaf__scan_token(const uint8_t **pp, const uint8_t *end,
                         uint64_t seed, uint64_t *hash);

/* The words of a run of n candidate bytes at p that is bounded by
 * separators, when it has only ASCII letters, digits and apostrophes and
 * n <= SHEAF__APOS_RUN: hashed as the scanners hash them ("it's" is one
 * word, a "'" not between two letters or digits separates) into out, and
 * their number returned; else SIZE_MAX, writing nothing usable. 16 bytes
 * from p are readable, however short the run. */
#define SHEAF__APOS_RUN 64
size_t sheaf__hash_apostrophes(const uint8_t *p, size_t n, uint64_t seed,
                               uint64_t *out);

/* The hash of a word of n >= 1 ASCII letters and digits at p, as the
 * scanners give it (folded, hashed in pieces when long). */
uint64_t sheaf__hash_plain(const uint8_t *p, size_t n, uint64_t seed);

/* The next folded code points, at most cap, into cps[]; each run of
 * separators becomes one U+0020, never at the start or the end. Returns how
 * many were written; 0 only at the end of the text. */
size_t sheaf__scan_chars(sheaf__scan *s, uint32_t *cps, size_t cap);

/* Write cp as UTF-8 to out (room for 4 bytes); returns the length. Inline:
 * the scanner calls it per folded character. */
static inline size_t sheaf__utf8_encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

#endif
