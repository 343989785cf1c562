/*
 * The JSONL record parser: one JSON object per line, of which only three
 * top-level fields matter, the id, the text and (optionally) the
 * publication time.
 *
 * It is the hot path of the clusterer, so it is not a general JSON library:
 * it validates the whole line (so malformed lines are rejected, never half
 * read) but builds nothing, decodes only the fields it wants, and does so
 * in place, in the line's own buffer.
 */
#ifndef CLUSTER_JSONL_H
#define CLUSTER_JSONL_H

#include <stddef.h>

/* Names of the fields to extract, compared with the keys after unescaping. */
typedef struct jsonl_fields {
    const char *id;
    size_t id_len;
    const char *text;
    size_t text_len;
} jsonl_fields;

/* The JSON type of an extracted field. */
typedef enum jsonl_type {
    JSONL_ABSENT = 0, /* the object has no such key */
    JSONL_STRING,
    JSONL_NUMBER,
    JSONL_OBJECT,
    JSONL_ARRAY,
    JSONL_BOOLEAN,
    JSONL_NULL
} jsonl_type;

/* What went wrong in a line; JSONL_OK is 0. */
typedef enum jsonl_error {
    JSONL_OK = 0,
    JSONL_BLANK,          /* nothing but whitespace: not an error to report */
    JSONL_NOT_OBJECT,     /* a line that is some other JSON value, or junk */
    JSONL_UNEXPECTED_END, /* the line ends inside the object */
    JSONL_EXPECTED_KEY,
    JSONL_EXPECTED_COLON,
    JSONL_EXPECTED_VALUE,
    JSONL_EXPECTED_COMMA_OBJECT,
    JSONL_EXPECTED_COMMA_ARRAY,
    JSONL_UNTERMINATED_STRING,
    JSONL_BAD_ESCAPE,
    JSONL_BAD_UNICODE_ESCAPE,
    JSONL_CONTROL_CHAR,
    JSONL_BAD_NUMBER,
    JSONL_BAD_LITERAL,
    JSONL_TOO_DEEP,
    JSONL_TRAILING
} jsonl_error;

/* One extracted field: for a string, its decoded bytes; for a number, its
 * text as written. off and len index the line buffer given to jsonl_parse.
 * bad_utf8 is, for a string, the offset in its decoded bytes of the first
 * one that is not valid UTF-8 (as utf8_invalid_at would find it), or len
 * when there is none; for anything else, len. surrogate is, for a string,
 * the first unpaired surrogate escape in it (0xD800 to 0xDFFF, decoded as
 * U+FFFD), or 0 when there is none; for anything else, 0. */
typedef struct jsonl_value {
    jsonl_type type;
    size_t off;
    size_t len;
    size_t bad_utf8;
    unsigned surrogate;
} jsonl_value;

typedef struct jsonl_result {
    jsonl_value id;
    jsonl_value text;
    jsonl_value time; /* JSONL_ABSENT unless asked for (jsonl_parse_timed) */
    size_t error_at;  /* byte offset in the line where the error was seen */
} jsonl_result;

/* Nesting deeper than this is rejected (JSONL_TOO_DEEP) rather than risking
 * the stack. */
#define JSONL_MAX_DEPTH 256

/* Parse one line (without its newline) holding a JSON object. Decodes the
 * string values of the id and text fields in place: line[0..len) is
 * overwritten in parts, and r->id and r->text point into it. When a key is
 * repeated, its last value counts. Escapes are decoded to UTF-8, surrogate
 * pairs combined, and an unpaired surrogate escape becomes U+FFFD (noted in
 * the value's surrogate). Never reads outside line[0..len). Returns
 * JSONL_OK or an error, with r->error_at set; r's values are meaningful
 * only on JSONL_OK. Thread-safe. */
jsonl_error jsonl_parse(const jsonl_fields *f, char *line, size_t len,
                        jsonl_result *r);

/* jsonl_parse, also extracting the field named time[0..time_len) into
 * r->time (none when time is NULL). A separate entry point keeps
 * jsonl_fields as existing callers initialise it. */
jsonl_error jsonl_parse_timed(const jsonl_fields *f, const char *time,
                              size_t time_len, char *line, size_t len,
                              jsonl_result *r);

/* Whether s[0..len) is exactly one JSON number (-0.5e3, 12). */
int jsonl_is_number(const char *s, size_t len);

/* A short English description of an error ("expected ':' after a key"). */
const char *jsonl_strerror(jsonl_error e);

/* The name of a type for messages: "a string", "an array", ... */
const char *jsonl_type_name(jsonl_type t);

#endif
