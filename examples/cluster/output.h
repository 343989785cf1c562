/* The output formats of `sheaf cluster`: tsv, jsonl and groups. */
#ifndef CLUSTER_OUTPUT_H
#define CLUSTER_OUTPUT_H

#include <stddef.h>

#include "articles.h"
#include "options.h"
#include "outfile.h"

/* Write every article of a in format f; sizes[c] is the number of
 * articles in the cluster whose first article has ordinal c. Errors are
 * caught by the outfile. */
void output_write(outfile *o, out_format f, const articles *a,
                  const size_t *sizes);

/* s[0..n) as a JSON string, quotes included: control characters escaped,
 * and each byte that is not valid UTF-8 written as \ufffd, so the result
 * is always valid JSON. */
void output_json_string(outfile *o, const char *s, size_t n);

/* The opening words of a text on one line, for --format groups: at most
 * about cap - 4 bytes, whitespace runs as one space, cut on a character
 * boundary, with "..." when cut. Returns its length (buf is NUL-ended). */
size_t output_snippet(const char *text, size_t len, char *buf, size_t cap);

#endif
