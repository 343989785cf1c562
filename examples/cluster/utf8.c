/* UTF-8 validation. Most news text is ASCII, so runs of ASCII are skipped
 * 16 bytes at a time with SSE2 (8 with word arithmetic elsewhere) before
 * any sequence is decoded. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define HIGH_BITS 0x8080808080808080u

size_t utf8_invalid_at(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
#if defined(__SSE2__)
        if (len - i >= 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(u + i));
            if (!_mm_movemask_epi8(x)) {
                i += 16;
                continue;
            }
        }
#endif
        if (len - i >= 8) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if (!(w & HIGH_BITS)) {
                i += 8;
                continue;
            }
        }
        unsigned c = u[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        /* Lead byte: sequence length and the range allowed for the second
         * byte, which is where overlongs, surrogates and values past
         * U+10FFFF show (Unicode 15, table 3-7). */
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
            return i;
        }
        if (len - i < n || u[i + 1] < lo || u[i + 1] > hi)
            return i;
        for (size_t k = 2; k < n; k++)
            if ((u[i + k] & 0xC0) != 0x80)
                return i;
        i += n;
    }
    return len;
}
