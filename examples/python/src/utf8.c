/* A str's text as UTF-8 (see sheaf_py_text in binding.h), without the
 * GIL: on the signing threads of add_many. */
#include "binding.h"

#include <stdlib.h>
#include <string.h>

/* One code point as UTF-8 at o; the byte after it. */
static unsigned char *put_utf8(unsigned char *o, uint32_t c)
{
    if (c < 0x800) {
        *o++ = (unsigned char)(0xC0 | c >> 6);
    } else if (c < 0x10000) {
        *o++ = (unsigned char)(0xE0 | c >> 12);
        *o++ = (unsigned char)(0x80 | (c >> 6 & 0x3F));
    } else {
        *o++ = (unsigned char)(0xF0 | c >> 18);
        *o++ = (unsigned char)(0x80 | (c >> 12 & 0x3F));
        *o++ = (unsigned char)(0x80 | (c >> 6 & 0x3F));
    }
    *o++ = (unsigned char)(0x80 | (c & 0x3F));
    return o;
}

/* A str's code points of type T as UTF-8: ASCII, most of any news text,
 * copied byte for byte. */
#define ENCODE(T, data, n, o)                                                  \
    do {                                                                       \
        const T *in = (const T *)(data);                                       \
        for (Py_ssize_t i = 0; i < (n); i++) {                                 \
            uint32_t c = in[i];                                                \
            if (c < 0x80)                                                      \
                *(o)++ = (unsigned char)c;                                     \
            else                                                               \
                (o) = put_utf8((o), c);                                        \
        }                                                                      \
    } while (0)

/* Latin-1 code points, mostly ASCII: eight at a time while they are. */
static unsigned char *encode_latin1(const void *data, Py_ssize_t n,
                                    unsigned char *o)
{
    const uint8_t *in = data;
    Py_ssize_t i = 0;
    while (i < n) {
        uint64_t w;
        if (i + 8 <= n && (memcpy(&w, in + i, 8), !(w & 0x8080808080808080u))) {
            memcpy(o, &w, 8);
            o += 8;
            i += 8;
            continue;
        }
        uint32_t c = in[i++];
        if (c < 0x80)
            *o++ = (unsigned char)c;
        else
            o = put_utf8(o, c);
    }
    return o;
}

/* The common case, a text of two-byte code points that is mostly ASCII:
 * four at a time while they are. */
static unsigned char *encode_ucs2(const void *data, Py_ssize_t n,
                                  unsigned char *o)
{
    const uint16_t *in = data;
    Py_ssize_t i = 0;
    while (i < n) {
        uint64_t w;
        if (i + 4 <= n && (memcpy(&w, in + i, 8), !(w & 0xFF80FF80FF80FF80u))) {
            /* One store: bytes through o alias everything. */
            uint32_t v = (uint32_t)((w & 0xFF) | (w >> 8 & 0xFF00) |
                                    (w >> 16 & 0xFF0000) | (w >> 24 & 0xFF000000));
            memcpy(o, &v, 4);
            o += 4;
            i += 4;
            continue;
        }
        uint32_t c = in[i++];
        if (c < 0x80)
            *o++ = (unsigned char)c;
        else
            o = put_utf8(o, c);
    }
    return o;
}

int sheaf_py_text(const sheaf_py_article *a, sheaf_py_scratch *s,
                  const char **text, size_t *len)
{
    if (!a->wide) {
        *text = a->text;
        *len = (size_t)a->len;
        return 0;
    }
    size_t need = (size_t)a->chars * (a->kind == PyUnicode_4BYTE_KIND ? 4 : 3);
    if (need > s->cap) {
        char *p = realloc(s->buf, need);
        if (!p)
            return -1;
        s->buf = p;
        s->cap = need;
    }
    unsigned char *o = (unsigned char *)s->buf;
    if (a->kind == PyUnicode_1BYTE_KIND)
        o = encode_latin1(a->wide, a->chars, o);
    else if (a->kind == PyUnicode_2BYTE_KIND)
        o = encode_ucs2(a->wide, a->chars, o);
    else
        ENCODE(uint32_t, a->wide, a->chars, o);
    *text = s->buf;
    *len = (size_t)(o - (unsigned char *)s->buf);
    return 0;
}

void sheaf_py_scratch_free(sheaf_py_scratch *s)
{
    free(s->buf);
    s->buf = NULL;
    s->cap = 0;
}
