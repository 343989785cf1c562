/*
 * Whether a string can be an article's id: shared by sheaf cluster and
 * sheaf-mpi, inline so the clusterer's hot path keeps it inlined.
 */
#ifndef CLUSTER_IDCHECK_H
#define CLUSTER_IDCHECK_H

#include <stddef.h>
#include <stdio.h>

#include "utf8.h"

/* Why id[0..len) cannot be an id, in buf; NULL when it can. An id is
 * written as it is, in TSV and JSON, and is a key in the index, so it must
 * be clean text: invalid UTF-8 and an unpaired surrogate escape (which the
 * parser makes U+FFFD) would read as another id, a tab or newline breaks
 * the TSV, and an escape sequence (C0, DEL, C1) acts on a terminal. */
static inline const char *id_problem(const char *id, size_t len,
                                     unsigned surrogate, int from_path,
                                     char *buf, size_t n)
{
    const char *what = from_path ? "the file name, its id," : "the id";
    size_t at;
    if (len == 0)
        return "the id is an empty string";
    if (surrogate) {
        snprintf(buf, n,
                 "the id has an unpaired surrogate escape (\\u%04x), not a "
                 "character",
                 surrogate);
    } else if ((at = utf8_invalid_at(id, len)) < len) {
        snprintf(buf, n, "%s is not valid UTF-8 (byte %zu)", what, at + 1);
    } else if ((at = utf8_control_at(id, len)) < len) {
        unsigned c = (unsigned char)id[at];
        if (c == 0xC2)
            c = (unsigned char)id[at + 1];
        snprintf(buf, n, "%s has a control character (U+%04X)", what, c);
    } else {
        return NULL;
    }
    return buf;
}

#endif
