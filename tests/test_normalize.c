/*
 * Tests of the normaliser (lib/normalize.c): fixed cases with exact
 * expected words, and a differential test against a deliberately naive
 * reference on random byte strings.
 *
 * Every text is scanned from a heap buffer of exactly its length, without a
 * terminating NUL, so AddressSanitizer reports any read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "text/normalize.h"
#include "text/unicode_table.h"

#define BIG_CAP 4096
#define MAX_ITEMS 16384
#define SEED2 UINT64_C(0x9E3779B97F4A7C15)

/* ------------------------------------------------------------- helpers */

/* A copy of text in a buffer of exactly len bytes (NULL when len is 0). */
static char *exact_copy(const char *text, size_t len)
{
    char *p;

    if (len == 0)
        return NULL;
    p = malloc(len);
    assert_non_null(p);
    memcpy(p, text, len);
    return p;
}

/* All word hashes of text, scanned cap at a time. */
static size_t scan_all_words(const char *text, size_t len, uint64_t seed,
                             size_t cap, uint64_t *out, size_t max)
{
    char *copy = exact_copy(text, len);
    uint64_t *chunk = malloc(cap * sizeof *chunk);
    sheaf__scan s;
    size_t n = 0, got;

    assert_non_null(chunk);
    sheaf__scan_init(&s, copy, len);
    while ((got = sheaf__scan_words(&s, seed, chunk, cap)) > 0) {
        assert_true(got <= cap);
        assert_true(n + got <= max);
        memcpy(out + n, chunk, got * sizeof *chunk);
        n += got;
    }
    /* The end stays the end. */
    assert_int_equal(sheaf__scan_words(&s, seed, chunk, cap), 0);
    free(chunk);
    free(copy);
    return n;
}

/* All folded characters of text, scanned cap at a time. */
static size_t scan_all_chars(const char *text, size_t len, size_t cap,
                             uint32_t *out, size_t max)
{
    char *copy = exact_copy(text, len);
    uint32_t *chunk = malloc(cap * sizeof *chunk);
    sheaf__scan s;
    size_t n = 0, got;

    assert_non_null(chunk);
    sheaf__scan_init(&s, copy, len);
    while ((got = sheaf__scan_chars(&s, chunk, cap)) > 0) {
        assert_true(got <= cap);
        assert_true(n + got <= max);
        memcpy(out + n, chunk, got * sizeof *chunk);
        n += got;
    }
    assert_int_equal(sheaf__scan_chars(&s, chunk, cap), 0);
    free(chunk);
    free(copy);
    return n;
}

/* Hash of a word given as its folded UTF-8, by the piecewise rule. */
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

/* Words of text must be exactly expect[] (folded UTF-8, NULL-terminated),
 * whatever the seed and chunk size. */
static void check_words(const char *text, size_t len,
                        const char *const *expect)
{
    static const uint64_t seeds[] = {0, 1, SEED2};
    static const size_t caps[] = {1, 2, 3, BIG_CAP};
    uint64_t got[64];
    size_t nexpect = 0;

    while (expect[nexpect])
        nexpect++;
    for (size_t si = 0; si < sizeof seeds / sizeof *seeds; si++) {
        for (size_t ci = 0; ci < sizeof caps / sizeof *caps; ci++) {
            size_t n = scan_all_words(text, len, seeds[si], caps[ci], got, 64);
            assert_int_equal(n, nexpect);
            for (size_t i = 0; i < n; i++) {
                uint64_t want = word_hash((const uint8_t *)expect[i],
                                          strlen(expect[i]), seeds[si]);
                if (got[i] != want)
                    fail_msg("word %zu of \"%.*s\": expected \"%s\"", i,
                             (int)len, text, expect[i]);
            }
        }
    }
}

/* The character stream of text, encoded as UTF-8, must equal expect. */
static void check_chars(const char *text, size_t len, const char *expect)
{
    static const size_t caps[] = {1, 2, 3, BIG_CAP};
    uint32_t cps[1024];
    uint8_t utf8[4096];

    for (size_t ci = 0; ci < sizeof caps / sizeof *caps; ci++) {
        size_t n = scan_all_chars(text, len, caps[ci], cps, 1024), m = 0;
        for (size_t i = 0; i < n; i++)
            m += sheaf__utf8_encode(cps[i], utf8 + m);
        assert_int_equal(m, strlen(expect));
        assert_memory_equal(utf8, expect, m);
    }
}

/* Literal texts may hold any bytes; the expected words follow. */
#define WORDS(text, ...)                                                       \
    check_words(text, sizeof(text) - 1, (const char *const[]){__VA_ARGS__, NULL})
#define NO_WORDS(text)                                                         \
    check_words(text, sizeof(text) - 1, (const char *const[]){NULL})
#define CHARS(text, expect) check_chars(text, sizeof(text) - 1, expect)

#define FFFD "\xEF\xBF\xBD"

/* ----------------------------------------------------------- fixed cases */

static void test_ascii_words_and_case(void **state)
{
    (void)state;
    WORDS("Hello, World!", "hello", "world");
    WORDS("The QUICK brown FoX", "the", "quick", "brown", "fox");
    WORDS("a", "a");
    WORDS("  leading and trailing  ", "leading", "and", "trailing");
    WORDS("MiXeDcAsE", "mixedcase");
}

static void test_digits(void **state)
{
    (void)state;
    WORDS("42 apples, 3.14 pies", "42", "apples", "3", "14", "pies");
    WORDS("COVID-19 in 2020s", "covid", "19", "in", "2020s");
    WORDS("0123456789", "0123456789");
}

static void test_punctuation_and_whitespace_split(void **state)
{
    (void)state;
    WORDS("a\tb\nc\rd\fe\vf", "a", "b", "c", "d", "e", "f");
    WORDS("x!y\"z#w$v%u&t(s)r*q+p,o-n.m/l:k;j<i=h>g?f@e[d\\c]b^a_b`c{d|e}f~g",
          "x", "y", "z", "w", "v", "u", "t", "s", "r", "q", "p", "o", "n", "m",
          "l", "k", "j", "i", "h", "g", "f", "e", "d", "c", "b", "a", "b", "c",
          "d", "e", "f", "g");
    /* NUL and DEL are separators like any control character. */
    WORDS("a\0b\x7f" "c", "a", "b", "c");
    /* Non-ASCII punctuation, symbols and spaces separate too. */
    WORDS("one\xE2\x80\x94two\xC2\xA0three \xE2\x80\x9C" "four\xE2\x80\x9D",
          "one", "two", "three", "four");
}

static void test_apostrophes(void **state)
{
    (void)state;
    WORDS("don't", "dont");
    WORDS("Don\xE2\x80\x99t", "dont");          /* U+2019 */
    WORDS("it\xCA\xBCs", "its");                /* U+02BC */
    WORDS("it\xEF\xBC\x87s", "its");            /* U+FF07 */
    WORDS("o'clock's", "oclocks");
    WORDS("'quoted'", "quoted");
    WORDS("\xE2\x80\x98single\xE2\x80\x99", "single");
    WORDS("rock 'n' roll", "rock", "n", "roll");
    WORDS("dogs' bowls", "dogs", "bowls");
    WORDS("a''b", "a", "b");
    WORDS("a'\xE2\x80\x99" "b", "a", "b");
    NO_WORDS("'");
    NO_WORDS("' \xE2\x80\x99 '");
    WORDS("end'", "end");
    WORDS("x'1", "x1");
    WORDS("caf\xC3\xA9's", "caf\xC3\xA9s");
    WORDS("l'\xC3\xA9t\xC3\xA9", "l\xC3\xA9t\xC3\xA9");
    /* Next to a character of a script without spaces it separates. */
    WORDS("ab'\xE6\xBC\xA2", "ab", "\xE6\xBC\xA2");
    WORDS("\xE6\xBC\xA2'ab", "\xE6\xBC\xA2", "ab");
    /* An undecodable byte counts as a letter. */
    WORDS("a'\x80", "a" FFFD);
}

static void test_unicode_folding(void **state)
{
    (void)state;
    /* ÄÖÜ and äöü */
    WORDS("\xC3\x84\xC3\x96\xC3\x9C \xC3\xA4\xC3\xB6\xC3\xBC",
          "\xC3\xA4\xC3\xB6\xC3\xBC", "\xC3\xA4\xC3\xB6\xC3\xBC");
    /* ΣΑΣ and σας: final sigma folds to σ. */
    WORDS("\xCE\xA3\xCE\x91\xCE\xA3 \xCF\x83\xCE\xB1\xCF\x82",
          "\xCF\x83\xCE\xB1\xCF\x83", "\xCF\x83\xCE\xB1\xCF\x83");
    /* МОСКВА and москва */
    WORDS("\xD0\x9C\xD0\x9E\xD0\xA1\xD0\x9A\xD0\x92\xD0\x90",
          "\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0");
    /* Turkish: İ (U+0130) folds to two code points, so it stays; ı stays;
     * I folds to i. */
    WORDS("\xC4\xB0stanbul", "\xC4\xB0stanbul");
    WORDS("\xC4\xB1I", "\xC4\xB1i");
    /* ß stays (its full fold is "ss"), ẞ folds to ß. */
    WORDS("Stra\xC3\x9F" "e STRA\xE1\xBA\x9E" "E", "stra\xC3\x9F" "e",
          "stra\xC3\x9F" "e");
    /* Kelvin sign and long s fold to ASCII. */
    WORDS("\xE2\x84\xAA \xC5\xBF", "k", "s");
    /* Title-case digraph ǅ folds to ǆ. */
    WORDS("\xC7\x85", "\xC7\x86");
    /* A combining mark stays in its word. */
    WORDS("Cafe\xCC\x81 ok", "cafe\xCC\x81", "ok");
}

static void test_nospace_scripts(void **state)
{
    (void)state;
    /* 日本語 */
    WORDS("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "\xE6\x97\xA5",
          "\xE6\x9C\xAC", "\xE8\xAA\x9E");
    /* 東京Tokyo2020年: Latin runs stay words. */
    WORDS("\xE6\x9D\xB1\xE4\xBA\xACTokyo2020\xE5\xB9\xB4", "\xE6\x9D\xB1",
          "\xE4\xBA\xAC", "tokyo2020", "\xE5\xB9\xB4");
    /* ひらがなカタカナ */
    WORDS("\xE3\x81\xB2\xE3\x82\x89\xE3\x81\x8C\xE3\x81\xAA"
          "\xE3\x82\xAB\xE3\x82\xBF\xE3\x82\xAB\xE3\x83\x8A",
          "\xE3\x81\xB2", "\xE3\x82\x89", "\xE3\x81\x8C", "\xE3\x81\xAA",
          "\xE3\x82\xAB", "\xE3\x82\xBF", "\xE3\x82\xAB", "\xE3\x83\x8A");
    /* Halfwidth ｶﾀｶﾅ */
    WORDS("\xEF\xBD\xB6\xEF\xBE\x80\xEF\xBD\xB6\xEF\xBE\x85", "\xEF\xBD\xB6",
          "\xEF\xBE\x80", "\xEF\xBD\xB6", "\xEF\xBE\x85");
    /* ภาษาไทย */
    WORDS("\xE0\xB8\xA0\xE0\xB8\xB2\xE0\xB8\xA9\xE0\xB8\xB2\xE0\xB9\x84"
          "\xE0\xB8\x97\xE0\xB8\xA2",
          "\xE0\xB8\xA0", "\xE0\xB8\xB2", "\xE0\xB8\xA9", "\xE0\xB8\xB2",
          "\xE0\xB9\x84", "\xE0\xB8\x97", "\xE0\xB8\xA2");
    /* 日本。語, English: the ideographic full stop separates. */
    WORDS("\xE6\x97\xA5\xE6\x9C\xAC\xE3\x80\x82\xE8\xAA\x9E, English",
          "\xE6\x97\xA5", "\xE6\x9C\xAC", "\xE8\xAA\x9E", "english");
    /* Extension B ideograph 𠀀 (U+20000) */
    WORDS("a\xF0\xA0\x80\x80" "b", "a", "\xF0\xA0\x80\x80", "b");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    /* Stray continuation bytes */
    WORDS("\x80", FFFD);
    WORDS("a\x80" "b", "a" FFFD "b");
    WORDS("a \xBF\xBF b", "a", FFFD FFFD, "b");
    /* Overlong forms: every byte is one U+FFFD. */
    WORDS("\xC0\x80", FFFD FFFD);
    WORDS("\xC1\xBF", FFFD FFFD);
    WORDS("\xE0\x80\xAF", FFFD FFFD FFFD);
    WORDS("\xF0\x80\x80\x80", FFFD FFFD FFFD FFFD);
    /* Surrogates */
    WORDS("\xED\xA0\x80", FFFD FFFD FFFD);
    WORDS("\xED\xBF\xBF", FFFD FFFD FFFD);
    /* Beyond U+10FFFF, and bytes that never start a sequence */
    WORDS("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD);
    WORDS("\xF5\x80\x80\x80", FFFD FFFD FFFD FFFD);
    WORDS("\xF8\xFE\xFF", FFFD FFFD FFFD);
    /* A truncated sequence: its lead byte is one U+FFFD, then decoding
     * goes on at the next byte. */
    WORDS("\xE2\x82" "a", FFFD FFFD "a");
    WORDS("\xE2\x82 a", FFFD FFFD, "a");
    /* Truncated at the very end of the buffer */
    WORDS("ab\xE2\x82", "ab" FFFD FFFD);
    WORDS("x \xF0\x9F\x98", "x", FFFD FFFD FFFD);
    WORDS("x \xC3", "x", FFFD);
    /* The largest valid code points still decode (and separate: they are
     * unassigned or private use). */
    WORDS("a\xF4\x8F\xBF\xBF" "b", "a", "b");
    WORDS("a\xEF\xBF\xBF" "b", "a", "b");
    /* A valid emoji is a symbol, hence a separator. */
    WORDS("a\xF0\x9F\x98\x80" "b", "a", "b");
    /* U+FFFD itself is a letter. */
    WORDS("x" FFFD "y", "x" FFFD "y");
    CHARS("a\x80" "b \xC0", "a" FFFD "b " FFFD);
}

static void test_empty_and_punctuation_only(void **state)
{
    uint64_t h;
    uint32_t c;
    sheaf__scan s;

    (void)state;
    sheaf__scan_init(&s, NULL, 0);
    assert_int_equal(sheaf__scan_words(&s, 0, &h, 1), 0);
    sheaf__scan_init(&s, NULL, 0);
    assert_int_equal(sheaf__scan_chars(&s, &c, 1), 0);
    NO_WORDS("");
    NO_WORDS("... !!! ---");
    NO_WORDS("   \n\t  ");
    NO_WORDS("\xE2\x80\x94\xE2\x80\x9C\xE2\x80\x9D\xF0\x9F\x98\x80");
    CHARS("", "");
    CHARS("!?! --- ...", "");
    CHARS("'", "");
}

/* Each long word, built in a buffer. */
static void check_long_word(const char *unit, size_t units, const char *fold)
{
    size_t ul = strlen(unit), fl = strlen(fold), len = ul * units + 4;
    char *text = malloc(len);
    uint8_t *folded = malloc(fl * units);
    uint64_t got[4];

    assert_non_null(text);
    assert_non_null(folded);
    memcpy(text, "ab ", 3);
    for (size_t i = 0; i < units; i++) {
        memcpy(text + 3 + i * ul, unit, ul);
        memcpy(folded + i * fl, fold, fl);
    }
    text[len - 1] = '.';
    for (size_t cap = 1; cap <= 4; cap += 3) {
        size_t n = scan_all_words(text, len, 7, cap, got, 4);
        assert_int_equal(n, 2);
        assert_true(got[0] == XXH3_64bits_withSeed("ab", 2, 7));
        assert_true(got[1] == word_hash(folded, fl * units, 7));
    }
    free(folded);
    free(text);
}

static void test_long_words(void **state)
{
    uint8_t a[1100];
    uint64_t h;

    (void)state;
    memset(a, 'a', sizeof a);
    /* The piecewise rule written out: 256 bytes hash as one piece, 257 as
     * 256 then 1, 600 as 256, 256, 88. */
    h = XXH3_64bits_withSeed(a, 256, 7);
    assert_true(word_hash(a, 256, 7) == h);
    assert_true(word_hash(a, 257, 7) == XXH3_64bits_withSeed(a, 1, h));
    assert_true(word_hash(a, 600, 7) ==
                XXH3_64bits_withSeed(a + 512, 88,
                                     XXH3_64bits_withSeed(a + 256, 256, h)));

    check_long_word("A", 255, "a");
    check_long_word("a", 256, "a");
    check_long_word("a", 257, "a");
    check_long_word("Ab", 150, "ab");
    check_long_word("x", 1000, "x");
    check_long_word("Q", 1100, "q");
    /* Multi-byte characters: the byte stream is cut at 256 whatever the
     * character boundaries (Devanagari ka has 3 bytes, 256 = 85 * 3 + 1). */
    check_long_word("\xE0\xA4\x95", 100, "\xE0\xA4\x95");
    check_long_word("\xC3\x84" "b", 400, "\xC3\xA4" "b");
    check_long_word("a'", 300, "a");
    check_long_word("\xD0\x96\xE2\x80\x99", 200, "\xD0\xB6");
    check_long_word("\x80", 300, FFFD);
}

static void test_chars_mode(void **state)
{
    (void)state;
    CHARS("  Hello,   World!  ", "hello world");
    CHARS("don't stop", "dont stop");
    CHARS("Don\xE2\x80\x99t 'stop'", "dont stop");
    CHARS("a''b", "a b");
    CHARS("\xE6\x97\xA5\xE6\x9C\xAC \xE8\xAA\x9E",
          "\xE6\x97\xA5\xE6\x9C\xAC \xE8\xAA\x9E");
    CHARS("\xE6\xBC\xA2'ab", "\xE6\xBC\xA2 ab");
    CHARS("one\xE2\x80\x94two", "one two");
    CHARS("\xC3\x84\xC3\x96\xC3\x9C!", "\xC3\xA4\xC3\xB6\xC3\xBC");
    CHARS("x", "x");
    CHARS("a b", "a b");
    CHARS("\n\n a \t\t b c \n", "a b c");
}

/* A longer text, chunked every possible way: same result as one call. */
static void test_chunking_invariance(void **state)
{
    static const char text[] =
        "Officials said Tuesday that the company's 2019 report, which "
        "\xE2\x80\x9C" "didn\xE2\x80\x99t\xE2\x80\x9D cover \xC3\x9C" "BER "
        "costs, was \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E-ready; "
        "supercalifragilisticexpialidocious-and-then-some words\x80 end";
    uint64_t whole[128], part[128];
    uint32_t cwhole[512], cpart[512];
    size_t nw, nc;

    (void)state;
    nw = scan_all_words(text, sizeof text - 1, 3, BIG_CAP, whole, 128);
    nc = scan_all_chars(text, sizeof text - 1, BIG_CAP, cwhole, 512);
    assert_true(nw > 20);
    for (size_t cap = 1; cap <= 9; cap++) {
        assert_int_equal(scan_all_words(text, sizeof text - 1, 3, cap, part,
                                        128),
                         nw);
        assert_memory_equal(part, whole, nw * sizeof *whole);
        assert_int_equal(scan_all_chars(text, sizeof text - 1, cap, cpart,
                                        512),
                         nc);
        assert_memory_equal(cpart, cwhole, nc * sizeof *cwhole);
    }
}

/* --------------------------------------------------- naive reference */

/* Decode everything, one code point per step, checking the definition
 * directly: the length the lead byte announces, continuation bytes, and the
 * value range (no overlong form, no surrogate, nothing above U+10FFFF). */
static size_t ref_decode(const uint8_t *s, size_t len, uint32_t *cps)
{
    size_t n = 0, i = 0;

    while (i < len) {
        uint8_t b = s[i];
        size_t need;
        uint32_t v, min;
        int ok = 1;

        if (b < 0x80) {
            cps[n++] = b;
            i++;
            continue;
        }
        if ((b & 0xE0) == 0xC0) {
            need = 2, v = b & 0x1Fu, min = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            need = 3, v = b & 0x0Fu, min = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            need = 4, v = b & 0x07u, min = 0x10000;
        } else {
            need = 0, v = 0, min = 0;
            ok = 0;
        }
        if (ok && i + need > len)
            ok = 0;
        for (size_t k = 1; ok && k < need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                ok = 0;
            else
                v = v << 6 | (s[i + k] & 0x3Fu);
        }
        if (ok && (v < min || (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF))
            ok = 0;
        cps[n++] = ok ? v : 0xFFFD;
        i += ok ? need : 1;
    }
    return n;
}

static uint32_t ref_props(uint32_t cp)
{
    unsigned block = uc_stage1[cp >> UC_SHIFT];
    return uc_props[uc_stage2[block * (1u << UC_SHIFT) +
                              cp % (1u << UC_SHIFT)]];
}

static unsigned ref_class(uint32_t cp) { return ref_props(cp) & 3; }

static uint32_t ref_fold(uint32_t cp)
{
    return (cp + (ref_props(cp) >> 2)) & UC_FOLD_MASK;
}

/* Whether cps[i] is an apostrophe that joins two WORD characters. */
static int ref_dropped(const uint32_t *cps, size_t n, size_t i)
{
    return ref_class(cps[i]) == UC_APOS && i > 0 && i + 1 < n &&
           ref_class(cps[i - 1]) == UC_WORD && ref_class(cps[i + 1]) == UC_WORD;
}

static size_t ref_words(const uint8_t *text, size_t len, uint64_t seed,
                        uint64_t *out)
{
    uint32_t *cps = malloc((len + 1) * sizeof *cps);
    uint8_t *word = malloc(4 * len + 1);
    size_t n = ref_decode(text, len, cps), nw = 0, i = 0;

    assert_non_null(cps);
    assert_non_null(word);
    while (i < n) {
        size_t wl = 0;

        if (ref_class(cps[i]) == UC_NOSPACE) {
            wl = sheaf__utf8_encode(ref_fold(cps[i]), word);
            out[nw++] = XXH3_64bits_withSeed(word, wl, seed);
            i++;
        } else if (ref_class(cps[i]) == UC_WORD) {
            while (i < n && (ref_class(cps[i]) == UC_WORD ||
                             ref_dropped(cps, n, i))) {
                if (ref_class(cps[i]) == UC_WORD)
                    wl += sheaf__utf8_encode(ref_fold(cps[i]), word + wl);
                i++;
            }
            out[nw++] = word_hash(word, wl, seed);
        } else {
            i++;
        }
    }
    free(word);
    free(cps);
    return nw;
}

static size_t ref_chars(const uint8_t *text, size_t len, uint32_t *out)
{
    uint32_t *cps = malloc((len + 1) * sizeof *cps);
    size_t n = ref_decode(text, len, cps), nc = 0;
    int gap = 0;

    assert_non_null(cps);
    for (size_t i = 0; i < n; i++) {
        unsigned cls = ref_class(cps[i]);
        if (ref_dropped(cps, n, i))
            continue;
        if (cls == UC_SEP || cls == UC_APOS) {
            gap = 1;
            continue;
        }
        if (gap && nc > 0)
            out[nc++] = ' ';
        gap = 0;
        out[nc++] = ref_fold(cps[i]);
    }
    free(cps);
    return nc;
}

/* ----------------------------------------------- random differential */

static uint64_t rng_state = UINT64_C(0x853C49E6748FEA9B);

static uint64_t rng(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static size_t below(size_t n) { return (size_t)(rng() % n); }

/* Append one random fragment to buf at *len (room for 1200 more bytes). */
static void random_fragment(uint8_t *buf, size_t *len)
{
    static const char *const seps[] = {" ", "  ", ", ", ". ", "\n", "-",
                                       "\"", "\xE2\x80\x94", "\xC2\xA0", "\t"};
    static const char *const aposts[] = {"'", "\xE2\x80\x99", "\xCA\xBC",
                                         "\xEF\xBC\x87"};
    static const char *const garbage[] = {
        "\x80", "\xBF", "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF",
        "\xED\xA0\x80", "\xED\xBF\xBF", "\xF0\x80\x80\x80", "\xF4\x90\x80\x80",
        "\xF5", "\xF8\x88\x80\x80\x80", "\xFE", "\xFF", "\xE2\x82", "\xF0\x9F\x98",
        "\xC3", "\xE2"};
    /* Ranges of code points to draw valid characters from. */
    static const uint32_t pools[][2] = {
        {0xC0, 0xFF},       {0x100, 0x24F},     {0x300, 0x36F},
        {0x370, 0x3FF},     {0x400, 0x4FF},     {0x530, 0x58F},
        {0x5D0, 0x5EA},     {0x600, 0x6FF},     {0x900, 0x97F},
        {0xE00, 0xEFF},     {0x1000, 0x109F},   {0x1780, 0x17FF},
        {0x1E00, 0x1FFF},   {0x2000, 0x206F},   {0x2100, 0x218F},
        {0x3000, 0x30FF},   {0x4E00, 0x9FFF},   {0xAC00, 0xD7A3},
        {0xF900, 0xFAFF},   {0xFF00, 0xFFEF},   {0xFFF0, 0xFFFF},
        {0x10400, 0x1044F}, {0x1F300, 0x1F6FF}, {0x20000, 0x2A6DF},
        {0xE0000, 0xE01EF}, {0x0, 0x10FFFF}};
    size_t kind = below(16);

    if (kind < 5) { /* ASCII word */
        size_t n = 1 + below(12);
        for (size_t i = 0; i < n; i++) {
            static const char alnum[] =
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
            buf[(*len)++] = (uint8_t)alnum[below(sizeof alnum - 1)];
        }
    } else if (kind < 8) {
        const char *s = seps[below(sizeof seps / sizeof *seps)];
        memcpy(buf + *len, s, strlen(s));
        *len += strlen(s);
    } else if (kind < 9) {
        const char *s = aposts[below(sizeof aposts / sizeof *aposts)];
        memcpy(buf + *len, s, strlen(s));
        *len += strlen(s);
    } else if (kind < 12) {
        const uint32_t *pool = pools[below(sizeof pools / sizeof *pools)];
        uint32_t cp;
        do
            cp = pool[0] + (uint32_t)below(pool[1] - pool[0] + 1);
        while (cp >= 0xD800 && cp <= 0xDFFF);
        *len += sheaf__utf8_encode(cp, buf + *len);
    } else if (kind < 14) {
        const char *s = garbage[below(sizeof garbage / sizeof *garbage)];
        memcpy(buf + *len, s, strlen(s));
        *len += strlen(s);
    } else if (kind < 15) {
        buf[(*len)++] = (uint8_t)below(256);
    } else if (below(8) == 0) { /* a long word, sometimes with an accent */
        size_t n = 200 + below(900);
        for (size_t i = 0; i < n; i++) {
            if (below(50) == 0) {
                memcpy(buf + *len, "\xC3\x89", 2);
                *len += 2;
            } else {
                buf[(*len)++] = (uint8_t)("zZ"[below(2)]);
            }
        }
    } else {
        buf[(*len)++] = (uint8_t)below(128);
    }
}

static void compare_with_reference(const uint8_t *text, size_t len,
                                   uint64_t seed)
{
    static uint64_t want[MAX_ITEMS], got[MAX_ITEMS];
    static uint32_t cwant[MAX_ITEMS], cgot[MAX_ITEMS];
    size_t nw = ref_words(text, len, seed, want);
    size_t nc = ref_chars(text, len, cwant);
    size_t caps[3] = {BIG_CAP, 1, 1 + below(7)};

    for (size_t ci = 0; ci < 3; ci++) {
        size_t n = scan_all_words((const char *)text, len, seed, caps[ci], got,
                                  MAX_ITEMS);
        assert_int_equal(n, nw);
        assert_memory_equal(got, want, n * sizeof *got);
        n = scan_all_chars((const char *)text, len, caps[ci], cgot, MAX_ITEMS);
        assert_int_equal(n, nc);
        assert_memory_equal(cgot, cwant, n * sizeof *cgot);
    }
}

static void test_differential_random(void **state)
{
    uint8_t *buf = malloc(8192);

    (void)state;
    assert_non_null(buf);
    for (int iter = 0; iter < 6000; iter++) {
        size_t len = 0, target = below(4) == 0 ? below(1000) : below(160);
        uint64_t seed = below(3) == 0 ? 0 : rng();
        while (len < target)
            random_fragment(buf, &len);
        compare_with_reference(buf, len, seed);
    }
    free(buf);
}

/* Uniformly random bytes, and mostly-ASCII bytes with some high ones. */
static void test_differential_random_bytes(void **state)
{
    uint8_t buf[300];

    (void)state;
    for (int iter = 0; iter < 4000; iter++) {
        size_t len = below(sizeof buf + 1);
        int uniform = iter % 2;
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)(uniform || below(8) == 0 ? below(256)
                                                        : below(128));
        compare_with_reference(buf, len, rng());
    }
}

/* Every code point once, as a word between spaces and glued to letters. */
static void test_differential_all_code_points(void **state)
{
    uint8_t *buf = malloc(4 * 4096 + 2 * 4096);

    (void)state;
    assert_non_null(buf);
    for (uint32_t base = 0; base < 0x110000; base += 4096) {
        size_t len = 0;
        for (uint32_t cp = base; cp < base + 4096; cp++) {
            if (cp >= 0xD800 && cp <= 0xDFFF)
                continue;
            len += sheaf__utf8_encode(cp, buf + len);
            buf[len++] = (uint8_t)(cp % 3 == 0 ? ' ' : 'x');
        }
        compare_with_reference(buf, len, base);
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_words_and_case),
        cmocka_unit_test(test_digits),
        cmocka_unit_test(test_punctuation_and_whitespace_split),
        cmocka_unit_test(test_apostrophes),
        cmocka_unit_test(test_unicode_folding),
        cmocka_unit_test(test_nospace_scripts),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_empty_and_punctuation_only),
        cmocka_unit_test(test_long_words),
        cmocka_unit_test(test_chars_mode),
        cmocka_unit_test(test_chunking_invariance),
        cmocka_unit_test(test_differential_random),
        cmocka_unit_test(test_differential_random_bytes),
        cmocka_unit_test(test_differential_all_code_points),
    };
    return cmocka_run_group_tests_name("normalize", tests, NULL, NULL);
}
