/*
 * The JSONL record parser (see jsonl.h).
 *
 * Speed comes from three choices: strings are scanned many bytes at a time
 * for the only bytes that end a plain run (quote, backslash, control
 * character; in wanted strings also non-ASCII bytes, whose UTF-8 is checked
 * there and then rather than in another pass over the text); values of
 * other fields are validated without being stored;
 * and the wanted strings are decoded in place, each starting where its
 * own raw bytes start, so a string without escapes is not copied at all.
 * Decoding never writes past the byte it has read (every escape is at least
 * as long as its UTF-8), which is what makes in-place decoding safe.
 */
#include "jsonl.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "utf8.h"

typedef struct parser {
    char *s;
    size_t len;
    size_t pos;
    size_t error_at;
    int depth;
    unsigned surrogate; /* the first unpaired surrogate escape in a string */
} parser;

static jsonl_error syntax_error(parser *p, jsonl_error e)
{
    p->error_at = p->pos;
    /* Running out of line is one condition whatever was expected next;
     * saying so is clearer than naming the missing token. */
    if (p->pos >= p->len && e >= JSONL_EXPECTED_KEY && e <= JSONL_BAD_LITERAL &&
        e != JSONL_UNTERMINATED_STRING)
        return JSONL_UNEXPECTED_END;
    return e;
}

/* Called between every two tokens, so inline, and one comparison rules
 * out the bytes that usually come next (quotes, colons, commas, ...). */
static inline void skip_ws(parser *p)
{
    const uint64_t ws = (uint64_t)1 << ' ' | (uint64_t)1 << '\t' |
                        (uint64_t)1 << '\r' | (uint64_t)1 << '\n';
    while (p->pos < p->len) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c > ' ' || !(ws >> c & 1))
            break;
        p->pos++;
    }
}

/* The position of the first quote, backslash or control character at or
 * after pos, or len: where a plain run inside a string ends. With high set,
 * a byte >= 0x80 ends it too, so that the caller can check UTF-8 there.
 * This loop is most of the parser's time, so it looks at 16 bytes per step
 * with SSE2 (part of every x86-64, so no run-time check is needed), 64 with
 * AVX2 on the long runs of a text when the CPU has it, else 8 with word
 * arithmetic. Inlined, so that high is a constant. */
#if defined(__SSE2__) && defined(__GNUC__)
/* The bytes of x that end a run, as 0xFF. x ^ 2 turns the quote into 0x20
 * and keeps control characters below it, so one comparison finds both:
 * unsigned, or signed to take the bytes >= 0x80 (negative) as well. */
static inline __m128i run_ends(__m128i x, int high)
{
    __m128i y = _mm_xor_si128(x, _mm_set1_epi8(0x02)), low;
    if (high)
        low = _mm_cmpgt_epi8(_mm_set1_epi8(0x21), y);
    else
        low = _mm_cmpeq_epi8(_mm_min_epu8(y, _mm_set1_epi8(0x20)), y);
    return _mm_or_si128(low, _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
}

static inline unsigned run_ends_at(const char *s, size_t pos, int high)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + pos));
    return (unsigned)_mm_movemask_epi8(run_ends(x, high));
}

/* 16 bytes per step, then the line's last bytes: the end of every run. */
static inline __attribute__((always_inline)) size_t
next_special_16(const char *s, size_t pos, size_t len, int high)
{
    unsigned m;
    while (len - pos >= 16) {
        if ((m = run_ends_at(s, pos, high)) != 0)
            return pos + (size_t)__builtin_ctz(m);
        pos += 16;
    }
    if (pos == len)
        return len;
    if (len >= 16) {
        /* The last 16 bytes of the line, without those already seen. */
        m = run_ends_at(s, len - 16, high) >> (16 - (len - pos));
        return m ? pos + (size_t)__builtin_ctz(m) : len;
    }
    for (; pos < len; pos++) {
        unsigned char c = (unsigned char)s[pos];
        if (c == '"' || c == '\\' || c < 0x20 || (high && c >= 0x80))
            break;
    }
    return pos;
}

#if defined(__x86_64__)
#define JSONL_AVX2 1
/* run_ends on 32 bytes. */
__attribute__((target("avx2"))) static inline __m256i run_ends_avx2(__m256i x,
                                                                   int high)
{
    __m256i y = _mm256_xor_si256(x, _mm256_set1_epi8(0x02)), low;
    if (high)
        low = _mm256_cmpgt_epi8(_mm256_set1_epi8(0x21), y);
    else
        low = _mm256_cmpeq_epi8(_mm256_min_epu8(y, _mm256_set1_epi8(0x20)), y);
    return _mm256_or_si256(low, _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\')));
}

/* Whether the CPU has AVX2 and SHEAF_SIMD does not say "scalar", the
 * library's switch, which the tests use to run the SSE2 scanner here too.
 * Settled at the first long string; relaxed atomics, since every thread
 * that settles it writes the same value. */
static int avx2_wanted(void)
{
    static _Atomic int wanted = -1;
    int w = atomic_load_explicit(&wanted, memory_order_relaxed);
    if (w < 0) {
        const char *env = getenv("SHEAF_SIMD");
        w = __builtin_cpu_supports("avx2") &&
            !(env && strcmp(env, "scalar") == 0);
        atomic_store_explicit(&wanted, w, memory_order_relaxed);
    }
    return w;
}

/* next_special over a long run, 64 bytes per step: a third of the
 * instructions of SSE2, which has no three-operand forms. */
__attribute__((target("avx2"))) static size_t
next_special_avx2(const char *s, size_t pos, size_t len, int high)
{
    while (len - pos >= 64) {
        const __m256i *v = (const __m256i *)(const void *)(s + pos);
        __m256i a = run_ends_avx2(_mm256_loadu_si256(v), high);
        __m256i b = run_ends_avx2(_mm256_loadu_si256(v + 1), high);
        if (!_mm256_testz_si256(_mm256_or_si256(a, b),
                                _mm256_or_si256(a, b))) {
            uint64_t m = (uint64_t)(uint32_t)_mm256_movemask_epi8(a) |
                         (uint64_t)(uint32_t)_mm256_movemask_epi8(b) << 32;
            return pos + (size_t)__builtin_ctzll(m);
        }
        pos += 64;
    }
    return next_special_16(s, pos, len, high);
}
#endif

static inline __attribute__((always_inline)) size_t
next_special(const char *s, size_t pos, size_t len, int high)
{
    unsigned m;
    /* Keys and ids are short: one step before the long ones. */
    if (len - pos >= 16) {
        if ((m = run_ends_at(s, pos, high)) != 0)
            return pos + (size_t)__builtin_ctz(m);
        pos += 16;
    }
#ifdef JSONL_AVX2
    if (len - pos >= 64 && avx2_wanted())
        return high ? next_special_avx2(s, pos, len, 1)
                    : next_special_avx2(s, pos, len, 0);
#endif
    return next_special_16(s, pos, len, high);
}
#else
/* The word test is exact about whether such a byte is in the word
 * (zero-byte trick: false positives only occur above a true hit), and the
 * byte loop then finds which one, whatever the byte order. */
#define ONES 0x0101010101010101u
#define HIGHS 0x8080808080808080u

static inline size_t next_special(const char *s, size_t pos, size_t len,
                                  int high)
{
    while (len - pos >= 8) {
        uint64_t w, q, b;
        memcpy(&w, s + pos, 8);
        q = w ^ (ONES * '"');
        b = w ^ (ONES * '\\');
        if ((((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - ONES * 0x20) & ~w) |
             (high ? w : 0)) &
            HIGHS)
            break;
        pos += 8;
    }
    for (; pos < len; pos++) {
        unsigned char c = (unsigned char)s[pos];
        if (c == '"' || c == '\\' || c < 0x20 || (high && c >= 0x80))
            break;
    }
    return pos;
}
#endif

static int hex4(const char *s, size_t len, size_t at, unsigned *out)
{
    unsigned v = 0;
    if (at > len || len - at < 4)
        return -1;
    for (size_t i = 0; i < 4; i++) {
        char c = s[at + i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return -1;
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A \u escape at s[r] (the backslash): its code point into *cp and the
 * bytes it spans, or 0 when malformed. A high surrogate followed by an
 * escaped low one is one code point; any other surrogate comes back as it
 * is, for the caller to replace. */
static size_t unicode_escape(const char *s, size_t len, size_t r, unsigned *cp)
{
    unsigned hi, lo;
    if (hex4(s, len, r + 2, &hi))
        return 0;
    if (hi >= 0xD800 && hi <= 0xDBFF && len - r >= 12 && s[r + 6] == '\\' &&
        s[r + 7] == 'u' && !hex4(s, len, r + 8, &lo) && lo >= 0xDC00 &&
        lo <= 0xDFFF) {
        *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        return 12;
    }
    *cp = hi;
    return 6;
}

/* The string whose opening quote was just consumed. Leaves pos after the
 * closing quote. With decode set, writes its decoded bytes from where its
 * raw bytes start, into *off and *len. With bad set, also finds where the
 * decoded bytes stop being valid UTF-8 (what utf8_invalid_at would say of
 * them) as the scan passes: escapes decode to whole valid sequences, none
 * starting with a continuation byte, so the raw bytes alone decide, and a
 * text of ASCII costs nothing more. */
static jsonl_error parse_string(parser *p, int decode, size_t *off,
                                size_t *out_len, size_t *bad)
{
    char *s = p->s;
    size_t len = p->len, r = p->pos, w = r;
    int check = bad != NULL; /* until the first invalid byte */
    for (;;) {
        size_t q =
            check ? next_special(s, r, len, 1) : next_special(s, r, len, 0);
        if (decode && w != r)
            memmove(s + w, s + r, q - r);
        w += q - r;
        r = q;
        if (r == len) {
            p->pos = r;
            return syntax_error(p, JSONL_UNTERMINATED_STRING);
        }
        if ((unsigned char)s[r] >= 0x80) {
            size_t n = utf8_sequence((const unsigned char *)s + r, len - r);
            if (!n) {
                *bad = w - p->pos;
                check = 0;
                continue;
            }
            if (decode && w != r)
                memmove(s + w, s + r, n);
            w += n;
            r += n;
            continue;
        }
        if (s[r] == '"')
            break;
        if (s[r] != '\\') {
            p->pos = r;
            return syntax_error(p, JSONL_CONTROL_CHAR);
        }
        if (r + 1 == len) {
            p->pos = len;
            return syntax_error(p, JSONL_UNTERMINATED_STRING);
        }
        char c = s[r + 1], out;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            out = c;
            break;
        case 'b':
            out = '\b';
            break;
        case 'f':
            out = '\f';
            break;
        case 'n':
            out = '\n';
            break;
        case 'r':
            out = '\r';
            break;
        case 't':
            out = '\t';
            break;
        case 'u': {
            unsigned cp;
            size_t n = unicode_escape(s, len, r, &cp);
            if (!n) {
                p->pos = r;
                return syntax_error(p, JSONL_BAD_UNICODE_ESCAPE);
            }
            r += n;
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                /* Not a character: U+FFFD, as the library reads a bad
                 * byte, but remembered, because an id must not be
                 * mistaken for one that has a real U+FFFD. */
                if (!p->surrogate)
                    p->surrogate = cp;
                cp = 0xFFFD;
            }
            if (decode)
                w += put_utf8(s + w, cp);
            continue;
        }
        default:
            p->pos = r;
            return syntax_error(p, JSONL_BAD_ESCAPE);
        }
        if (decode)
            s[w] = out;
        w++;
        r += 2;
    }
    if (decode) {
        *off = p->pos;
        *out_len = w - p->pos;
    }
    if (check)
        *bad = w - p->pos;
    p->pos = r + 1;
    return JSONL_OK;
}

/* A string that is only validated, whose opening quote was just consumed.
 * Most have no escape and end at the first byte that ends a run: found
 * without calling parse_string. */
static jsonl_error skip_string(parser *p)
{
    size_t end = next_special(p->s, p->pos, p->len, 0);
    if (end < p->len && p->s[end] == '"') {
        p->pos = end + 1;
        return JSONL_OK;
    }
    return parse_string(p, 0, NULL, NULL, NULL);
}

/* The end of the JSON number starting at s[i]; when it is malformed, the
 * position where that shows, with *bad set. */
static size_t scan_number(const char *s, size_t i, size_t len, int *bad)
{
    size_t digits;
    *bad = 1;
    if (i < len && s[i] == '-')
        i++;
    if (i < len && s[i] == '0') {
        i++;
    } else {
        for (digits = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
        if (!digits)
            return i;
    }
    if (i < len && s[i] == '.') {
        for (i++, digits = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
        if (!digits)
            return i;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        for (digits = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
        if (!digits)
            return i;
    }
    *bad = 0;
    return i;
}

static jsonl_error parse_number(parser *p)
{
    int bad;
    p->pos = scan_number(p->s, p->pos, p->len, &bad);
    return bad ? syntax_error(p, JSONL_BAD_NUMBER) : JSONL_OK;
}

static jsonl_error literal(parser *p, const char *word, size_t n)
{
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return syntax_error(p, JSONL_BAD_LITERAL);
    p->pos += n;
    return JSONL_OK;
}

static jsonl_error skip_value(parser *p, jsonl_type *type);

/* The members of an object or the elements of an array, after its opening
 * bracket, up to and including its closing one. */
static jsonl_error skip_container(parser *p, int object)
{
    char close = object ? '}' : ']';
    jsonl_error e;
    jsonl_type t;
    if (++p->depth > JSONL_MAX_DEPTH)
        return syntax_error(p, JSONL_TOO_DEEP);
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        p->depth--;
        return JSONL_OK;
    }
    for (;;) {
        if (object) {
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return syntax_error(p, JSONL_EXPECTED_KEY);
            p->pos++;
            if ((e = skip_string(p)) != JSONL_OK)
                return e;
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
                return syntax_error(p, JSONL_EXPECTED_COLON);
            p->pos++;
            skip_ws(p);
        }
        if ((e = skip_value(p, &t)) != JSONL_OK)
            return e;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            skip_ws(p);
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            p->depth--;
            return JSONL_OK;
        }
        return syntax_error(p, object ? JSONL_EXPECTED_COMMA_OBJECT
                                      : JSONL_EXPECTED_COMMA_ARRAY);
    }
}

static jsonl_error skip_value(parser *p, jsonl_type *type)
{
    if (p->pos >= p->len)
        return syntax_error(p, JSONL_EXPECTED_VALUE);
    switch (p->s[p->pos]) {
    case '"':
        *type = JSONL_STRING;
        p->pos++;
        return skip_string(p);
    case '{':
    case '[':
        *type = p->s[p->pos] == '{' ? JSONL_OBJECT : JSONL_ARRAY;
        p->pos++;
        return skip_container(p, *type == JSONL_OBJECT);
    case 't':
        *type = JSONL_BOOLEAN;
        return literal(p, "true", 4);
    case 'f':
        *type = JSONL_BOOLEAN;
        return literal(p, "false", 5);
    case 'n':
        *type = JSONL_NULL;
        return literal(p, "null", 4);
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        *type = JSONL_NUMBER;
        return parse_number(p);
    default:
        return syntax_error(p, JSONL_EXPECTED_VALUE);
    }
}

/* The value of a wanted field: a string is decoded, anything else is
 * validated and its raw extent kept (a number id is written as it is). */
static jsonl_error field_value(parser *p, jsonl_value *v)
{
    if (p->pos < p->len && p->s[p->pos] == '"') {
        v->type = JSONL_STRING;
        p->pos++;
        p->surrogate = 0;
        jsonl_error e = parse_string(p, 1, &v->off, &v->len, &v->bad_utf8);
        v->surrogate = p->surrogate;
        return e;
    }
    size_t start = p->pos;
    jsonl_error e = skip_value(p, &v->type);
    v->off = start;
    v->len = v->bad_utf8 = p->pos - start;
    v->surrogate = 0;
    return e;
}

jsonl_error jsonl_parse(const jsonl_fields *f, char *line, size_t len,
                        jsonl_result *r)
{
    return jsonl_parse_timed(f, NULL, 0, line, len, r);
}

jsonl_error jsonl_parse_timed(const jsonl_fields *f, const char *time,
                              size_t time_len, char *line, size_t len,
                              jsonl_result *r)
{
    parser p = {line, len, 0, 0, 1, 0};
    jsonl_error e;
    r->id = (jsonl_value){JSONL_ABSENT, 0, 0, 0, 0};
    r->text = r->id;
    r->time = r->id;
    r->error_at = 0;
    skip_ws(&p);
    if (p.pos == len)
        return JSONL_BLANK;
    if (line[p.pos] != '{') {
        r->error_at = p.pos;
        return JSONL_NOT_OBJECT;
    }
    p.pos++;
    skip_ws(&p);
    if (p.pos < len && line[p.pos] == '}') {
        p.pos++;
    } else {
        for (;;) {
            size_t koff = 0, klen = 0;
            jsonl_type t;
            if (p.pos >= len || line[p.pos] != '"') {
                e = syntax_error(&p, JSONL_EXPECTED_KEY);
                goto out;
            }
            p.pos++;
            /* A key without escapes, as nearly all are, is compared where
             * it lies: no call, nothing decoded. */
            size_t end = next_special(line, p.pos, len, 0);
            if (end < len && line[end] == '"') {
                koff = p.pos;
                klen = end - p.pos;
                p.pos = end + 1;
            } else if ((e = parse_string(&p, 1, &koff, &klen, NULL)) !=
                       JSONL_OK) {
                goto out;
            }
            skip_ws(&p);
            if (p.pos >= len || line[p.pos] != ':') {
                e = syntax_error(&p, JSONL_EXPECTED_COLON);
                goto out;
            }
            p.pos++;
            skip_ws(&p);
            if (klen == f->id_len && memcmp(line + koff, f->id, klen) == 0)
                e = field_value(&p, &r->id);
            else if (klen == f->text_len &&
                     memcmp(line + koff, f->text, klen) == 0)
                e = field_value(&p, &r->text);
            else if (time && klen == time_len &&
                     memcmp(line + koff, time, klen) == 0)
                e = field_value(&p, &r->time);
            else
                e = skip_value(&p, &t);
            if (e != JSONL_OK)
                goto out;
            skip_ws(&p);
            if (p.pos < len && line[p.pos] == ',') {
                p.pos++;
                skip_ws(&p);
                continue;
            }
            if (p.pos < len && line[p.pos] == '}') {
                p.pos++;
                break;
            }
            e = syntax_error(&p, JSONL_EXPECTED_COMMA_OBJECT);
            goto out;
        }
    }
    skip_ws(&p);
    e = p.pos == len ? JSONL_OK : syntax_error(&p, JSONL_TRAILING);
out:
    r->error_at = p.error_at;
    return e;
}

int jsonl_is_number(const char *s, size_t len)
{
    int bad;
    return scan_number(s, 0, len, &bad) == len && !bad;
}

const char *jsonl_strerror(jsonl_error e)
{
    switch (e) {
    case JSONL_OK:
        return "no error";
    case JSONL_BLANK:
        return "blank line";
    case JSONL_NOT_OBJECT:
        return "not a JSON object";
    case JSONL_UNEXPECTED_END:
        return "the line ends inside the JSON object";
    case JSONL_EXPECTED_KEY:
        return "expected a string key";
    case JSONL_EXPECTED_COLON:
        return "expected ':' after a key";
    case JSONL_EXPECTED_VALUE:
        return "expected a JSON value";
    case JSONL_EXPECTED_COMMA_OBJECT:
        return "expected ',' or '}' after a value in an object";
    case JSONL_EXPECTED_COMMA_ARRAY:
        return "expected ',' or ']' after a value in an array";
    case JSONL_UNTERMINATED_STRING:
        return "unterminated string";
    case JSONL_BAD_ESCAPE:
        return "invalid escape sequence in a string";
    case JSONL_BAD_UNICODE_ESCAPE:
        return "invalid \\u escape (needs four hex digits)";
    case JSONL_CONTROL_CHAR:
        return "unescaped control character in a string";
    case JSONL_BAD_NUMBER:
        return "invalid number";
    case JSONL_BAD_LITERAL:
        return "invalid literal (expected true, false or null)";
    case JSONL_TOO_DEEP:
        return "values nested too deeply";
    case JSONL_TRAILING:
        return "unexpected data after the closing '}'";
    }
    return "unknown error";
}

const char *jsonl_type_name(jsonl_type t)
{
    switch (t) {
    case JSONL_ABSENT:
        return "absent";
    case JSONL_STRING:
        return "a string";
    case JSONL_NUMBER:
        return "a number";
    case JSONL_OBJECT:
        return "an object";
    case JSONL_ARRAY:
        return "an array";
    case JSONL_BOOLEAN:
        return "a boolean";
    case JSONL_NULL:
        return "null";
    }
    return "unknown";
}
