/*
 * The word scanner of the SIMD levels, included once by each level's file
 * (signature_avx2.c, signature_avx512.c) so that it is compiled for that
 * level's instructions (popcnt and tzcnt inline, and the level's classify
 * and flatten inlined into it). Internal to the library.
 *
 * Before including it, a file defines:
 *   TOK_TARGET  the function attribute of its level;
 *   classify()  (const uint8_t *p, size_t nblocks, uint64_t *cand,
 *               uint64_t *special): for each of nblocks blocks of 64 bytes
 *               at p, bit i of cand[b] set when byte 64 b + i is an ASCII
 *               letter or digit, an apostrophe or a byte >= 0x80, of
 *               special[b] when it is one of the last two;
 *   flatten()   (uint64_t m, uint32_t base, uint32_t *out) -> size_t: the
 *               positions base + i of the set bits i of m, in order, to
 *               out, which has room for 16 entries past their count;
 *   TOK_STOPS   1 when the runs' ends are a list of stops, flattened
 *               like the starts, and the runs holding special bytes are
 *               marked in a list of bytes; 0 when both are in a list of
 *               lengths made by
 *   lengths()   (cand, special, starts, n, lens): for i < n rounded up
 *               to a group (starts is readable that far), lens[i] = the
 *               length of the run of cand at starts[i], or any length
 *               over SHEAF__SHORT_WORD for a longer one, plus TOK_MARKED
 *               (a bit above any such length) when the run holds a bit of
 *               special (NULL: none does). A word of zeros follows the
 *               window's last block in cand and special;
 *   emit_plain() (starts, ends, marked, max, t, n, nmid) -> size_t: takes
 *               the runs that lead a group of TOK_GROUP before the first
 *               that is marked or longer than SHEAF__SHORT_WORD, at most
 *               max of them, as tokens of *t: up to 8 bytes in its main
 *               list (*n entries so far), 9 to 16 in its list of
 *               mid-length words (*nmid); returns how many. ends are the
 *               runs' stops or lengths from the first, as TOK_STOPS says;
 *               marked their marks, NULL when none is marked or with
 *               TOK_STOPS 0. It may write a group's worth of entries past
 *               either list;
 *   TOK_GROUP   the runs emit_plain takes at once, at most 32.
 * and gets tokenize(), the kernel described in simd.h.
 *
 * It finds the words of sheaf__scan_words, in the same order. A window of
 * text is classified at once; its runs of candidate bytes are the words,
 * except that a run holding a special byte takes a slower path: the
 * shortcut for ASCII words with apostrophes (sheaf__hash_apostrophes), else
 * the general scanner (sheaf__scan_token). A run of only ASCII letters and
 * digits is one plain word: a token for the vector XXH3 when short, else
 * hashed at once by sheaf__hash_plain. The vector XXH3 reads 16 bytes from
 * a word's start; near the end of the text it reads them from a copy.
 */
#ifndef SHEAF_TOKENIZE_H
#define SHEAF_TOKENIZE_H

#include <stdint.h>
#include <string.h>

#include "text/normalize.h"
#include "common/simd.h"

/* A run needs a non-candidate byte after it, so a window has at most half
 * as many runs as bytes, plus one. */
#define TOK_RUNS (SHEAF__WINDOW / 2 + 1)

/* The tokens of a run that holds special bytes, [s, e) of the window at w;
 * word characters are all candidates, so no token crosses e. Stops when t
 * is full; returns where it stopped. */
static const uint8_t *special_run(const uint8_t *w, size_t s, size_t e,
                                  const uint8_t *end, uint64_t seed,
                                  sheaf__tokens *t, size_t *n, uint64_t *hashes)
{
    const uint8_t *p = w + s;
    /* Mostly an ASCII word with an apostrophe: a shortcut, reading from
     * the tokens' base, which has 16 bytes after every word. */
    if (*n + SHEAF__APOS_RUN / 2 + 1 <= SHEAF__TOKENS) {
        size_t got =
            sheaf__hash_apostrophes(t->base + s, e - s, seed, hashes + *n);
        if (got != SIZE_MAX) {
            /* got is at most this fixed length, which is stored
             * inline. */
            memset(t->len + *n, 0, SHEAF__APOS_RUN / 2 + 1);
            *n += got;
            return w + e;
        }
    }
    while (p < w + e && *n < SHEAF__TOKENS) {
        t->len[*n] = 0;
        *n += sheaf__scan_token(&p, end, seed, hashes + *n);
    }
    return p;
}

#if !TOK_STOPS
/* The end of the run starting at s: the first bit of cand after it that
 * is clear (one is, in the word after the last block). */
TOK_TARGET static inline uint32_t run_stop(const uint64_t *cand, uint32_t s)
{
    uint32_t w = s / 64;
    uint64_t gap = ~cand[w] >> s % 64 << s % 64;
    while (!gap)
        gap = ~cand[++w];
    return 64 * w + (uint32_t)__builtin_ctzll(gap);
}

/* Whether bits [s, e) of special have one set: for runs too long for
 * lengths() to tell. */
static inline int holds_special(const uint64_t *special, uint32_t s,
                                uint32_t e)
{
    for (uint32_t i = s; i < e; i = i / 64 * 64 + 64) {
        uint64_t m = special[i / 64] >> i % 64;
        if (e - i < 64 - i % 64)
            m &= (UINT64_C(1) << (e - i)) - 1;
        if (m)
            return 1;
    }
    return 0;
}
#endif

TOK_TARGET static size_t tokenize(const uint8_t *text, size_t len, size_t *pos,
                                  uint64_t seed, sheaf__tokens *t,
                                  uint64_t *hashes)
{
    const uint8_t *const w = text + *pos, *const end = text + len;
    const size_t avail = len - *pos;
    const int at_end = avail <= SHEAF__WINDOW;
    const size_t span = at_end ? avail : SHEAF__WINDOW;
    const size_t nb = (span + SHEAF__BLOCK - 1) / SHEAF__BLOCK;
    const size_t full = span / SHEAF__BLOCK;
    /* A word of zeros follows the last block: no run goes on into it,
     * and lengths() may read it. */
    uint64_t cand[SHEAF__WINDOW_BLOCKS + 1], special[SHEAF__WINDOW_BLOCKS + 1];
    /* Room for flatten's stores and emit_plain's group reads past the
     * end. */
    uint32_t starts[TOK_RUNS + 32], ends[TOK_RUNS + 32];
    /* The marks of the runs holding special bytes, if any, for
     * emit_plain. */
    const uint8_t *marks = NULL;
    size_t nstarts = 0, nstops = 0;
    /* The words so far and the mid-length ones among them, kept in
     * registers rather than in *t. */
    size_t n = 0, nmid = 0;
    uint64_t carry = 0, any_special = 0;
    const uint8_t *resume = w + span;

    /* The tokens' bytes: from the text, or near its end from a copy
     * padded so that 16 bytes can be read from every word. */
    t->base = w;
    if ((size_t)(end - w) < span + SHEAF__SHORT_WORD) {
        memcpy(t->pad, w, (size_t)(end - w));
        memset(t->pad + (end - w), 0, SHEAF__SHORT_WORD);
        t->base = t->pad;
    }
    if (full)
        classify(w, full, cand, special);
    if (full < nb) {
        /* The last bytes, padded with NULs, which separate. */
        uint8_t padded[SHEAF__BLOCK] = {0};
        memcpy(padded, w + full * SHEAF__BLOCK, span - full * SHEAF__BLOCK);
        classify(padded, 1, cand + full, special + full);
    }
    cand[nb] = special[nb] = 0;

    /* Bit i of a block's starts marks the first byte of a run, of its
     * stops (TOK_STOPS) the first byte after one. */
    for (size_t b = 0; b < nb; b++) {
        uint64_t c = cand[b], prev = c << 1 | carry;
        uint32_t base = (uint32_t)(b * SHEAF__BLOCK);
        carry = c >> 63;
        any_special |= special[b];
        nstarts += flatten(c & ~prev, base, starts + nstarts);
#if TOK_STOPS
        nstops += flatten(~c & prev, base, ends + nstops);
#endif
    }
#if !TOK_STOPS
    /* Every run ends, but one reaching the end of the window before the
     * end of the text. */
    nstops = nstarts - (size_t)(!at_end && cand[(span - 1) / 64] >> 63);
    memset(starts + nstarts, 0, TOK_GROUP * sizeof starts[0]);
    lengths(cand, any_special ? special : NULL, starts, nstarts, ends);
#else
    /* Runs holding special bytes: the run of a special byte is the last
     * one starting at or before it. Rare in news, so found byte by byte. */
    uint8_t marked[TOK_RUNS + 32];
    if (any_special) {
        size_t before = 0; /* runs started before block b */
        memset(marked, 0, nstarts + 32); /* emit_plain reads a group */
        for (size_t b = 0; b < nb; b++) {
            uint64_t c = cand[b];
            uint64_t first = c & ~(c << 1 | (b ? cand[b - 1] >> 63 : 0));
            for (uint64_t sp = special[b]; sp; sp &= sp - 1) {
                uint64_t upto = (sp ^ (sp - 1)); /* bits up to the lowest */
                size_t k = (size_t)__builtin_popcountll(first & upto);
                marked[before + k - 1] = 1;
            }
            before += (size_t)__builtin_popcountll(first);
        }
        marks = marked;
    }
#endif

    /* The complete runs: the plain short ones a group at a time, the rest
     * one by one. */
    size_t r = 0;
    while (r < nstops) {
        /* The runs that may become tokens until one is taken alone: all,
         * or as many as there is room for (emit_plain moves r and n
         * alike). */
        const size_t lim =
            nstops - r < SHEAF__TOKENS - n ? nstops : r + SHEAF__TOKENS - n;
        size_t k;
        do {
            k = emit_plain(starts + r, ends + r, marks ? marks + r : NULL,
                           lim - r < TOK_GROUP ? lim - r : TOK_GROUP, t, &n,
                           &nmid);
            r += k;
        } while (k == TOK_GROUP && r < lim);
        if (r == nstops)
            break;

#if TOK_STOPS
        uint32_t s = starts[r], e = ends[r];
        int held = marks && marks[r];
#else
        uint32_t s = starts[r], e = run_stop(cand, s);
        int held = (ends[r] & TOK_MARKED) ||
                   (any_special && holds_special(special, s, e));
#endif
        if (held) {
            const uint8_t *p = special_run(w, s, e, end, seed, t, &n, hashes);
            if (p < w + e) {
                resume = p;
                goto done;
            }
        } else if (n == SHEAF__TOKENS) {
            resume = w + s;
            goto done;
        } else {
            /* Long. */
            t->len[n] = 0;
            hashes[n++] = sheaf__hash_plain(w + s, e - s, seed);
        }
        r++;
    }

    if (nstarts > nstops) {
        /* A run reaching the end of the window. At the end of the text it
         * ends there. Else the next window starts with it, unless it began
         * this one: then the general scanner takes it, as far as a
         * window's length and the room for tokens allow. */
        uint32_t s = starts[nstops];
        if (at_end && marks && marks[nstops]) {
            resume = special_run(w, s, span, end, seed, t, &n, hashes);
        } else if (at_end && n < SHEAF__TOKENS) {
            t->len[n] = 0;
            hashes[n++] = sheaf__hash_plain(w + s, span - s, seed);
        } else if (at_end || s > 0) {
            resume = w + s;
        } else {
            const uint8_t *p = w;
            while (p < w + SHEAF__WINDOW && n < SHEAF__TOKENS) {
                t->len[n] = 0;
                n += sheaf__scan_token(&p, end, seed, hashes + n);
            }
            resume = p;
        }
    }
done:
    memset(t->len + n, 0, SHEAF__LANES);
    memset(t->mid_len + nmid, 0, SHEAF__LANES);
    t->n = n;
    t->nmid = nmid;
    *pos = (size_t)(resume - text);
    return n;
}

#endif
