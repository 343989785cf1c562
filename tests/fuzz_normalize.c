/*
 * libFuzzer target for the normaliser: both scanners over the input, in
 * chunks of several sizes, checking invariants that hold for every text:
 * - the result does not depend on the chunk size, and a call returns 0
 *   only at the end (and again after it);
 * - chars mode: no space at the start or the end, never two in a row, every
 *   other character a word character, at most one output per input byte;
 * - the two modes agree: splitting the character stream at spaces, and
 *   around each character of a script without spaces, gives the words that
 *   word mode hashes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "text/normalize.h"
#include "text/unicode_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t caps[] = {4096, 1, 2, 3, 7, 64};
#define NCAPS (sizeof caps / sizeof *caps)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

static size_t all_words(const uint8_t *data, size_t size, uint64_t seed,
                        size_t cap, uint64_t *out)
{
    sheaf__scan s;
    size_t n = 0, got;

    sheaf__scan_init(&s, (const char *)data, size);
    while ((got = sheaf__scan_words(&s, seed, out + n,
                                    cap < size + 1 - n ? cap : size + 1 - n))) {
        CHECK(got <= cap);
        n += got;
        CHECK(n <= size);
    }
    CHECK(s.pos == size);
    CHECK(sheaf__scan_words(&s, seed, out + n, 1) == 0);
    return n;
}

static size_t all_chars(const uint8_t *data, size_t size, size_t cap,
                        uint32_t *out)
{
    sheaf__scan s;
    size_t n = 0, got;

    sheaf__scan_init(&s, (const char *)data, size);
    while ((got = sheaf__scan_chars(&s, out + n,
                                    cap < size + 1 - n ? cap : size + 1 - n))) {
        CHECK(got <= cap);
        n += got;
        CHECK(n <= size);
    }
    CHECK(s.pos == size);
    CHECK(sheaf__scan_chars(&s, out + n, 1) == 0);
    return n;
}

static unsigned char_class(uint32_t cp)
{
    unsigned block = uc_stage1[cp >> UC_SHIFT];
    return uc_props[uc_stage2[block * (1u << UC_SHIFT) +
                              cp % (1u << UC_SHIFT)]] & 3;
}

/* The piecewise word hash of sheaf__scan_words. */
static uint64_t word_hash(const uint8_t *w, size_t len, uint64_t seed)
{
    uint64_t h = seed;
    size_t off = 0;

    do {
        size_t piece = len - off > SHEAF__WORD_PIECE ? SHEAF__WORD_PIECE
                                                     : len - off;
        h = XXH3_64bits_withSeed(w + off, piece, h);
        off += piece;
    } while (off < len);
    return h;
}

/* Words of a character stream, hashed; word (room for 4 bytes per
 * character) gathers one word's UTF-8. */
static size_t words_of_chars(const uint32_t *cps, size_t n, uint64_t seed,
                             uint8_t *word, uint64_t *out)
{
    size_t nw = 0, i = 0;

    while (i < n) {
        size_t len = 0;

        if (cps[i] == ' ') {
            i++;
            continue;
        }
        if (char_class(cps[i]) == UC_NOSPACE) {
            len = sheaf__utf8_encode(cps[i++], word);
        } else {
            while (i < n && char_class(cps[i]) == UC_WORD)
                len += sheaf__utf8_encode(cps[i++], word + len);
        }
        out[nw++] = word_hash(word, len, seed);
    }
    return nw;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t seed = size ? UINT64_C(0x9E3779B97F4A7C15) * data[0] : 0;
    uint64_t *words = malloc((size + 1) * sizeof *words);
    uint64_t *other = malloc((size + 1) * sizeof *other);
    uint32_t *chars = malloc((size + 1) * sizeof *chars);
    uint32_t *ochars = malloc((size + 1) * sizeof *ochars);
    uint8_t *word = malloc(4 * size + 1);
    size_t nw, nc;

    CHECK(words && other && chars && ochars && word);

    nw = all_words(data, size, seed, caps[0], words);
    nc = all_chars(data, size, caps[0], chars);
    for (size_t i = 1; i < NCAPS; i++) {
        CHECK(all_words(data, size, seed, caps[i], other) == nw);
        for (size_t k = 0; k < nw; k++)
            CHECK(other[k] == words[k]);
        CHECK(all_chars(data, size, caps[i], ochars) == nc);
        for (size_t k = 0; k < nc; k++)
            CHECK(ochars[k] == chars[k]);
    }

    CHECK(nc == 0 || (chars[0] != ' ' && chars[nc - 1] != ' '));
    for (size_t k = 0; k < nc; k++) {
        if (chars[k] == ' ') {
            CHECK(chars[k + 1] != ' ');
        } else {
            CHECK(chars[k] <= 0x10FFFF);
            CHECK(!(chars[k] >= 0xD800 && chars[k] <= 0xDFFF));
            CHECK(char_class(chars[k]) == UC_WORD ||
                  char_class(chars[k]) == UC_NOSPACE);
        }
    }
    CHECK(nw <= nc);
    CHECK(words_of_chars(chars, nc, seed, word, other) == nw);
    for (size_t k = 0; k < nw; k++)
        CHECK(other[k] == words[k]);

    free(word);
    free(ochars);
    free(chars);
    free(other);
    free(words);
    return 0;
}
