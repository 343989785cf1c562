/*
 * Text normalisation: the rules are those of sheaf_hasher_sign in sheaf.h,
 * the character data comes from unicode_table.h (see lib/text/unicode_gen.py).
 *
 * Word scanning is the library's hot loop, and news text is mostly ASCII.
 * It therefore works on 64-byte blocks with 64-bit integer arithmetic
 * (SWAR, no intrinsics): ASCII is classified and folded eight bytes per
 * step, and a plain ASCII word is hashed straight from the folded block.
 * Only words with bytes >= 0x80 or apostrophes, and words longer than a
 * block, take the general path: UTF-8 decoding and the Unicode table.
 *
 * The SIMD levels find words with tokenize.h and hand the words it cannot
 * take to sheaf__scan_token and sheaf__hash_plain here.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <string.h>

#include "text/normalize.h"
#include "common/simd.h"
#include "text/unicode_table.h"

/* ASCII class and fold in one byte: the folded character for letters and
 * digits (always > ASCII_APOS), ASCII_APOS for the apostrophe, 0 for
 * everything else, which separates. */
#define ASCII_APOS 1
static const uint8_t ascii_tab[128] = {
    /* 0x00-0x1f: control characters */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x20-0x3f: space, punctuation, digits */
    0, 0, 0, 0, 0, 0, 0, ASCII_APOS, 0, 0, 0, 0, 0, 0, 0, 0,
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 0, 0, 0, 0, 0, 0,
    /* 0x40-0x5f: upper case, folded */
    0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n',
    'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, 0,
    /* 0x60-0x7f: lower case */
    0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n',
    'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, 0,
};

void sheaf__scan_init(sheaf__scan *s, const char *text, size_t len)
{
    /* Pointer arithmetic on NULL is undefined even with offset 0. */
    static const uint8_t empty[1];

    s->text = text ? (const uint8_t *)text : empty;
    s->len = text ? len : 0;
    s->pos = 0;
    s->gap = 0;
    s->started = 0;
}

/* ------------------------------------------------------------ characters */

/* Decode the character at p (p < end) into *cp and return its length. A
 * byte that does not start a complete, well-formed sequence (Unicode table
 * 3-7: no overlong forms, surrogates or values above U+10FFFF) decodes as
 * U+FFFD of length 1, so decoding resumes at the very next byte. */
static inline size_t decode(const uint8_t *p, const uint8_t *end,
                            uint32_t *cp)
{
    uint32_t b0 = p[0];
    size_t avail = (size_t)(end - p);

    if (b0 >= 0xC2 && b0 <= 0xDF) {
        if (avail >= 2 && (p[1] & 0xC0) == 0x80) {
            *cp = (b0 & 0x1F) << 6 | (p[1] & 0x3Fu);
            return 2;
        }
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        /* E0 would be overlong below A0, ED a surrogate above 9F. */
        unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
        if (avail >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80) {
            *cp = (b0 & 0x0F) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
            return 3;
        }
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        /* F0 would be overlong below 90, F4 beyond U+10FFFF above 8F. */
        unsigned lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
        if (avail >= 4 && p[1] >= lo && p[1] <= hi &&
            (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80) {
            *cp = (b0 & 0x07) << 18 | (p[1] & 0x3Fu) << 12 |
                  (p[2] & 0x3Fu) << 6 | (p[3] & 0x3Fu);
            return 4;
        }
    } else if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    *cp = 0xFFFD;
    return 1;
}

/* The packed class and fold delta of a code point (see unicode_gen.py). */
static inline uint32_t uc_lookup(uint32_t cp)
{
    size_t block = uc_stage1[cp >> UC_SHIFT];
    return uc_props[uc_stage2[block << UC_SHIFT |
                              (cp & ((1u << UC_SHIFT) - 1))]];
}

static inline unsigned uc_class(uint32_t props) { return props & 3; }

static inline uint32_t uc_fold(uint32_t cp, uint32_t props)
{
    return (cp + (props >> 2)) & UC_FOLD_MASK;
}

/* Whether the character at p (p <= end) is a WORD character: the test an
 * apostrophe needs to know whether it sits inside a word. */
static inline int word_at(const uint8_t *p, const uint8_t *end)
{
    uint32_t cp;

    if (p == end)
        return 0;
    if (*p < 0x80)
        return ascii_tab[*p] > ASCII_APOS;
    decode(p, end, &cp);
    return uc_class(uc_lookup(cp)) == UC_WORD;
}

/* p follows a WORD character. Past the apostrophe at p when a WORD
 * character follows it, so that the word goes on over it; else p. */
static inline const uint8_t *skip_inner_apos(const uint8_t *p,
                                             const uint8_t *end)
{
    size_t alen = 1;
    uint32_t cp;

    if (p == end || (*p < 0x80 && *p != '\''))
        return p;
    if (*p >= 0x80) {
        alen = decode(p, end, &cp);
        if (uc_class(uc_lookup(cp)) != UC_APOS)
            return p;
    }
    return word_at(p + alen, end) ? p + alen : p;
}

/* ------------------------------------------------------- eight at a time */

/* Byte-wise loads and stores make the byte order explicit; compilers turn
 * them into single unaligned moves. */
static inline uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
           (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
           (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

static inline void store_le64(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* GCC 12 leaves the byte stores below unmerged when the buffer is
     * then passed to a call (one_apostrophe). */
    memcpy(p, &v, sizeof v);
#else
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
    p[4] = (uint8_t)(v >> 32);
    p[5] = (uint8_t)(v >> 40);
    p[6] = (uint8_t)(v >> 48);
    p[7] = (uint8_t)(v >> 56);
#endif
}

/* The n < 8 bytes before the end, padded with NULs, which separate and so
 * stop every run there. */
static inline uint64_t load_tail(const uint8_t *p, size_t n)
{
    uint8_t t[8] = {0};
    memcpy(t, p, n);
    return load_le64(t);
}

#define BYTES(b) (UINT64_C(0x0101010101010101) * (b))
#define HIGH BYTES(0x80)

/* The high bit of each byte of x (every byte < 0x80) that lies in
 * [lo, hi]. Each byte sum stays below 0x100, so no carry crosses bytes. */
static inline uint64_t in_range(uint64_t x, unsigned lo, unsigned hi)
{
    return (x + BYTES(0x80 - lo)) & ~(x + BYTES(0x7F - hi)) & HIGH;
}

/* The high bit of each byte that is an ASCII letter or digit; bytes
 * >= 0x80 may be marked too, callers mask them with x. */
static inline uint64_t ascii_word_bytes(uint64_t x)
{
    uint64_t x7 = x & BYTES(0x7F);
    return in_range(x7 | BYTES(0x20), 'a', 'z') | in_range(x7, '0', '9');
}

/* Upper-case ASCII letters lowered; other bytes may change arbitrarily. */
static inline uint64_t fold_ascii8(uint64_t x)
{
    return x | in_range(x & BYTES(0x7F), 'A', 'Z') >> 2;
}

/* Index of the lowest byte of m (only high bits set, m != 0) that is set.
 * The multiply moves the index, stored in a constant, to the top byte. */
static inline size_t first_marked(uint64_t m)
{
    uint64_t lowest = (m & (0 - m)) >> 7;
    return (size_t)((lowest * UINT64_C(0x0001020304050607)) >> 56);
}

/* The high bits of m's bytes gathered into its low byte, bit i from byte
 * i. Every product term lands on a bit of its own, so nothing carries. */
static inline uint64_t gather_bits(uint64_t m)
{
    return ((m >> 7) * UINT64_C(0x0102040810204080)) >> 56;
}

/* ----------------------------------------------------------------- words */

/* The folded bytes of a word are gathered in buf; when they outgrow
 * SHEAF__WORD_PIECE, the full piece is hashed into h and the rest moved
 * down. buf has 8 bytes of room beyond a piece for the 8-byte stores, and a
 * piece is hashed only once a byte beyond it exists, so the last piece is
 * never empty. */
#define FLUSH_PIECE()                                                          \
    do {                                                                       \
        if (fill > SHEAF__WORD_PIECE) {                                        \
            h = XXH3_64bits_withSeed(buf, SHEAF__WORD_PIECE, h);               \
            fill -= SHEAF__WORD_PIECE;                                         \
            memmove(buf, buf + SHEAF__WORD_PIECE, fill);                       \
        }                                                                      \
    } while (0)

size_t sheaf__scan_token(const uint8_t **pp, const uint8_t *end,
                         uint64_t seed, uint64_t *hash)
{
    const uint8_t *p = *pp;
    uint8_t buf[SHEAF__WORD_PIECE + 8];
    size_t fill = 0, clen;
    uint64_t h = seed;
    uint32_t cp, props;

    if (*p < 0x80) {
        if (ascii_tab[*p] <= ASCII_APOS) {
            /* An apostrophe that does not follow a word separates. */
            *pp = p + 1;
            return 0;
        }
    } else {
        clen = decode(p, end, &cp);
        props = uc_lookup(cp);
        if (uc_class(props) == UC_SEP || uc_class(props) == UC_APOS) {
            *pp = p + clen;
            return 0;
        }
        if (uc_class(props) == UC_NOSPACE) {
            fill = sheaf__utf8_encode(uc_fold(cp, props), buf);
            *hash = XXH3_64bits_withSeed(buf, fill, seed);
            *pp = p + clen;
            return 1;
        }
    }
    /* A word of WORD characters; each round takes either a run of ASCII
     * letters and digits or one other character. */
    for (;;) {
        if (p == end)
            break;
        if (*p < 0x80) {
            size_t k;
            do {
                size_t avail = (size_t)(end - p);
                uint64_t x = avail >= 8 ? load_le64(p) : load_tail(p, avail);
                uint64_t stop = (~ascii_word_bytes(x) | x) & HIGH;
                store_le64(buf + fill, fold_ascii8(x));
                k = stop ? first_marked(stop) : 8;
                p += k;
                fill += k;
                FLUSH_PIECE();
            } while (k == 8);
            if (p == end)
                break;
            if (*p == '\'') {
                if (!word_at(p + 1, end))
                    break;
                p++;
                continue;
            }
            if (*p < 0x80)
                break;
        }
        clen = decode(p, end, &cp);
        props = uc_lookup(cp);
        if (uc_class(props) == UC_WORD) {
            fill += sheaf__utf8_encode(uc_fold(cp, props), buf + fill);
            FLUSH_PIECE();
        } else if (uc_class(props) != UC_APOS || !word_at(p + clen, end)) {
            break;
        }
        p += clen;
    }
    *hash = XXH3_64bits_withSeed(buf, fill, h);
    *pp = p;
    return 1;
}

/* The scanner reads the text in blocks of 64 bytes. For each it folds the
 * ASCII letters into a copy and notes in two bitmaps (bit i for byte i) the
 * bytes that may belong to a word and those that need the general scanner
 * (bytes >= 0x80 and apostrophes). A run of the first bitmap without bits of
 * the second, with a separator after it inside the block, is a whole word
 * already folded in the copy: it is hashed in place, so the common word
 * costs a few bit operations and one XXH3 call, with no branch per byte and
 * no copying. */
#define BLOCK 64

/* Count of trailing zero bits of x != 0. The portable way, a de Bruijn
 * multiply giving each isolated bit distinct top 6 bits, is slower. */
static inline unsigned ctz64(uint64_t x)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(x);
#else
    static const uint8_t index[64] = {
        0,  1,  2,  53, 3,  7,  54, 27, 4,  38, 41, 8,  34, 55, 48, 28,
        62, 5,  39, 46, 44, 42, 22, 9,  24, 35, 59, 56, 49, 18, 29, 11,
        63, 52, 6,  26, 37, 40, 33, 47, 61, 45, 43, 21, 23, 58, 17, 10,
        51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12,
    };
    return index[((x & (0 - x)) * UINT64_C(0x022fdd63cc95386d)) >> 58];
#endif
}

static void scan_block(const uint8_t *src, uint8_t *folded, uint64_t *cand,
                       uint64_t *special)
{
    uint64_t c = 0, sp = 0;

    for (unsigned i = 0; i < BLOCK / 8; i++) {
        uint64_t x = load_le64(src + 8 * i);
        uint64_t other = (x | in_range(x & BYTES(0x7F), '\'', '\'')) & HIGH;
        store_le64(folded + 8 * i, fold_ascii8(x));
        c |= gather_bits(ascii_word_bytes(x) | other) << 8 * i;
        sp |= gather_bits(other) << 8 * i;
    }
    *cand = c;
    *special = sp;
}

size_t sheaf__scan_words(sheaf__scan *s, uint64_t seed, uint64_t *hashes,
                         size_t cap)
{
    const uint8_t *p = s->text + s->pos;
    const uint8_t *const end = s->text + s->len;
    size_t n = 0;

    while (n < cap && p != end) {
        const uint8_t *const blk = p;
        size_t nb = (size_t)(end - p) < BLOCK ? (size_t)(end - p) : BLOCK;
        uint8_t folded[BLOCK];
        uint64_t cand, special, c;

        if (nb == BLOCK) {
            scan_block(p, folded, &cand, &special);
        } else {
            /* The last bytes, padded with NULs, which separate. */
            uint8_t padded[BLOCK] = {0};
            memcpy(padded, p, nb);
            scan_block(padded, folded, &cand, &special);
        }
        /* Runs of candidates from p on, which stays at a token boundary:
         * the block start, the end of a word or a byte after a separator. */
        c = cand;
        for (;;) {
            /* Bits where runs start, and where they end (none when the last
             * run reaches the end of the block). */
            uint64_t starts = c & ~(c << 1), stops = ~c & c << 1;
            uint64_t first = 0, last = 0;
            unsigned start;

            while (starts && n < cap) {
                unsigned stop;
                first = starts & (0 - starts);
                last = stops & (0 - stops);
                /* last - first: the bits of the run (to the top if none). */
                if (!last || ((last - first) & special))
                    break;
                start = ctz64(first);
                stop = ctz64(last);
                hashes[n++] =
                    XXH3_64bits_withSeed(folded + start, stop - start, seed);
                p = blk + stop;
                starts ^= first;
                stops ^= last;
            }
            if (!starts) {
                p = blk + nb; /* only separators left */
                break;
            }
            if (n == cap)
                break;
            start = ctz64(first);
            if (!last && !((0 - first) & special) && start) {
                /* An ASCII word that may go on past the block: read it
                 * again from a block that starts with it. */
                p = blk + start;
                break;
            }
            p = blk + start;
            n += sheaf__scan_token(&p, end, seed, hashes + n);
            if ((size_t)(p - blk) >= nb)
                break;
            c = cand & ~UINT64_C(0) << (p - blk);
        }
    }
    s->pos = (size_t)(p - s->text);
    return n;
}

/* ------------------------------------------------------- character mode */

size_t sheaf__scan_chars(sheaf__scan *s, uint32_t *cps, size_t cap)
{
    const uint8_t *p = s->text + s->pos;
    const uint8_t *const end = s->text + s->len;
    size_t n = 0;

    while (n < cap && p != end) {
        uint32_t cp, props;
        size_t clen;

        if (*p < 0x80) {
            uint8_t v = ascii_tab[*p];
            if (v <= ASCII_APOS) {
                /* An apostrophe inside a word was skipped with the WORD
                 * character before it, so any met here separates. */
                s->gap = s->started;
                p++;
                continue;
            }
            if (s->gap) {
                cps[n++] = ' ';
                s->gap = 0;
                if (n == cap)
                    break;
            }
            do {
                cps[n++] = v;
                p++;
            } while (n < cap && p != end && *p < 0x80 &&
                     (v = ascii_tab[*p]) > ASCII_APOS);
            s->started = 1;
            p = skip_inner_apos(p, end);
            continue;
        }
        clen = decode(p, end, &cp);
        props = uc_lookup(cp);
        if (uc_class(props) == UC_SEP || uc_class(props) == UC_APOS) {
            s->gap = s->started;
            p += clen;
            continue;
        }
        if (s->gap) {
            cps[n++] = ' ';
            s->gap = 0;
            if (n == cap)
                break;
        }
        cps[n++] = uc_fold(cp, props);
        s->started = 1;
        p += clen;
        if (uc_class(props) == UC_WORD)
            p = skip_inner_apos(p, end);
    }
    s->pos = (size_t)(p - s->text);
    return n;
}

/* -------------------------------------------------- the SIMD levels' scan */

void sheaf__xxh3_keys_init(sheaf__xxh3_keys *k, uint64_t seed)
{
    /* The reads of the default secret that XXH3's 1-3, 4-8 and 9-16 byte
     * cases make, with the seed folded in as each case does. */
    const uint8_t *s = XXH3_kSecret;
    uint32_t lo = (uint32_t)seed;
    uint64_t swapped = (uint64_t)(lo >> 24 | (lo >> 8 & 0xff00u) |
                                  (lo << 8 & 0xff0000u) | lo << 24)
                       << 32;

    k->k1to3 = (uint64_t)((uint32_t)load_le64(s) ^ (uint32_t)load_le64(s + 4)) +
               seed;
    k->k4to8 = (load_le64(s + 8) ^ load_le64(s + 16)) - (seed ^ swapped);
    k->k9to16_lo = (load_le64(s + 24) ^ load_le64(s + 32)) + seed;
    k->k9to16_hi = (load_le64(s + 40) ^ load_le64(s + 48)) - seed;
}

/* The first n bytes of x0 then x1 (n <= 16), the others cleared. */
static inline void keep_bytes(uint64_t *x0, uint64_t *x1, size_t n)
{
    if (n < 8)
        *x0 &= (UINT64_C(1) << 8 * n) - 1;
    if (n < 16)
        *x1 &= n <= 8 ? 0 : (UINT64_C(1) << 8 * (n - 8)) - 1;
}

/* A run of n <= 16 ASCII bytes with one apostrophe, found eight bytes at
 * a time: it is one word without the apostrophe whether that is inside
 * (it joins) or at an end (it separates), none when alone. Returns the
 * number of words, or SIZE_MAX when the run is not of this kind. */
static size_t one_apostrophe(const uint8_t *p, size_t n, uint64_t seed,
                             uint64_t *out)
{
    uint64_t x0 = load_le64(p), x1 = load_le64(p + 8);
    keep_bytes(&x0, &x1, n);
    if ((x0 | x1) & HIGH)
        return SIZE_MAX;
    uint64_t a0 = in_range(x0, '\'', '\''), a1 = in_range(x1, '\'', '\'');
    uint64_t a = a0 ? a0 : a1; /* one bit set, or not this kind */
    if (!a || (a0 && a1) || (a & (a - 1)))
        return SIZE_MAX;
    if (n == 1)
        return 0;
    /* The bytes after the apostrophe move down over it. */
    uint8_t buf[SHEAF__APOS_RUN];
    uint64_t keep = (a >> 7) - 1; /* the bytes below it */
    if (a0) {
        x0 = (x0 & keep) | (x0 >> 8 & ~keep) | x1 << 56;
        x1 >>= 8;
    } else {
        x1 = (x1 & keep) | (x1 >> 8 & ~keep);
    }
    store_le64(buf, x0 | BYTES(0x20));
    store_le64(buf + 8, x1 | BYTES(0x20));
    *out = XXH3_64bits_withSeed(buf, n - 1, seed);
    return 1;
}

size_t sheaf__hash_apostrophes(const uint8_t *p, size_t n, uint64_t seed,
                               uint64_t *out)
{
    uint8_t buf[SHEAF__APOS_RUN];
    size_t fill = 0, words = 0;

    if (n <= 16) {
        size_t got = one_apostrophe(p, n, seed, out);
        if (got != SIZE_MAX)
            return got;
    }
    if (n > SHEAF__APOS_RUN)
        return SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c >= 0x80)
            return SIZE_MAX;
        if (c != '\'') {
            buf[fill++] = c | 0x20;
            continue;
        }
        /* fill > 0: a letter or digit comes before it in this word. */
        if (fill && i + 1 < n && p[i + 1] != '\'')
            continue;
        if (fill)
            out[words++] = XXH3_64bits_withSeed(buf, fill, seed);
        fill = 0;
    }
    if (fill)
        out[words++] = XXH3_64bits_withSeed(buf, fill, seed);
    return words;
}

uint64_t sheaf__hash_plain(const uint8_t *p, size_t n, uint64_t seed)
{
    uint8_t buf[SHEAF__WORD_PIECE];
    uint64_t h = seed;

    for (;;) {
        size_t piece = n > SHEAF__WORD_PIECE ? SHEAF__WORD_PIECE : n;
        for (size_t i = 0; i < piece; i++)
            buf[i] = p[i] | 0x20;
        h = XXH3_64bits_withSeed(buf, piece, h);
        if (n == piece)
            return h;
        p += piece;
        n -= piece;
    }
}
