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
        size_t n = utf8_sequence(u + i, len - i);
        if (!n)
            return i;
        i += n;
    }
    return len;
}

size_t utf8_control_at(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++)
        if (u[i] < 0x20 || u[i] == 0x7F ||
            (u[i] == 0xC2 && i + 1 < len && u[i + 1] < 0xA0))
            return i;
    return len;
}
