/* UTF-8 validation for the clusterer's warnings about malformed text. */
#ifndef CLUSTER_UTF8_H
#define CLUSTER_UTF8_H

#include <stddef.h>

/* The offset of the first byte that does not start or continue a valid UTF-8
 * sequence (overlong forms, surrogates and code points past U+10FFFF count as
 * invalid, as in sheaf_hasher_sign), or len when s[0..len) is all valid. */
size_t utf8_invalid_at(const char *s, size_t len);

/* The offset of the first control character in s[0..len), which is valid
 * UTF-8: C0 (below 0x20), DEL (0x7F) or C1 (U+0080 to U+009F); len when
 * there is none. */
size_t utf8_control_at(const char *s, size_t len);

/* The length of the valid sequence that u[0], a byte >= 0x80, starts within
 * u[0..avail), or 0 when it starts none. Inline so that the JSON parser,
 * which checks text as it scans it, needs nothing else linked. */
static inline size_t utf8_sequence(const unsigned char *u, size_t avail)
{
    unsigned c = u[0];
    /* The sequence length and the range allowed for the second byte, which
     * is where overlongs, surrogates and values past U+10FFFF show
     * (Unicode 15, table 3-7). */
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (avail < n || u[1] < lo || u[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if ((u[k] & 0xC0) != 0x80)
            return 0;
    return n;
}

#endif
