/* UTF-8 validation for the clusterer's warnings about malformed text. */
#ifndef CLUSTER_UTF8_H
#define CLUSTER_UTF8_H

#include <stddef.h>

/* The offset of the first byte that does not start or continue a valid UTF-8
 * sequence (overlong forms, surrogates and code points past U+10FFFF count as
 * invalid, as in sheaf_hasher_sign), or len when s[0..len) is all valid. */
size_t utf8_invalid_at(const char *s, size_t len);

#endif
