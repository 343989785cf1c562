/*
 * sheaf-bench: the pieces the files of the benchmark harness share.
 */
#ifndef SHEAF_BENCH_H
#define SHEAF_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A growable byte string, always NUL-terminated. */
typedef struct buf {
    char *s;
    size_t n, cap;
} buf;

void buf_add(buf *b, const char *s, size_t n);
void buf_str(buf *b, const char *s);
void buf_char(buf *b, char c);

/* Articles in memory. story is the label of a group of articles about one
 * event when the input has one (Multi-News), else NULL. */
typedef struct article {
    char *id, *story, *text;
    size_t len;
} article;

typedef struct corpus {
    article *a;
    size_t n, cap;
    size_t bytes; /* text bytes */
} corpus;

void corpus_add(corpus *c, const char *id, const char *story, const char *text,
                size_t len);
void corpus_free(corpus *c);

/* Articles from a file, gzip-compressed or not: JSONL (when its first line
 * starts with "{": the "text", "id" and "story" or "cluster" members) or
 * plain text, cut into articles of about 3 KB at line ends. At most max
 * articles (0: all). -1 when unreadable or empty. */
int corpus_load(corpus *c, const char *path, size_t max);

/* The value of the top-level string member key of the JSON object in
 * line[0..n), unescaped to UTF-8, into out (reset first). 1 when found, 0
 * when absent or not a string, -1 when the line is not a JSON object. */
int json_string(const char *line, size_t n, const char *key, buf *out);

/* The top-level number member key of the same, its integer part (its
 * leading sign and digits, as strtoll reads them), into *out. 1 when found,
 * 0 when absent or not a number, -1 when the line is not a JSON object or
 * the number is out of range. */
int json_integer(const char *line, size_t n, const char *key, int64_t *out);

/* Reads one line of any length into line (without the newline); 0 at the
 * end of the file. */
typedef struct gzFile_s *gz;
int read_line(gz f, buf *line);

/* A seeded random stream (splitmix64). */
typedef struct rng {
    uint64_t s;
} rng;
uint64_t rng_next(rng *r);
uint32_t rng_below(rng *r, uint32_t n);
double rng_unit(rng *r);

/* text with its words edited at rate: each word, with probability rate,
 * is substituted by a word of vocab, deleted, or followed by an inserted
 * one, a third each. Separators are kept. Into out (reset first). */
void edit_words(rng *r, const char *text, size_t len, double rate,
                const corpus *vocab, buf *out);

double now(void);
double median(double *v, size_t n); /* sorts v */
double minimum(const double *v, size_t n);

/* Peak resident set size of this process so far, bytes. */
size_t peak_rss(void);
/* Current resident set size, bytes (0 when unknown). */
size_t current_rss(void);

/* The Multi-News validation text beside the checkout, or NULL. */
const char *default_input(void);

/* s as a JSON string literal, to stdout. */
void json_print_string(const char *s);
/* The same without the quotes, to f. */
void json_fprint_raw(FILE *f, const char *s);

/* The subcommands. */
int gen_main(int argc, char **argv);
int e2e_main(int argc, char **argv);
int replay_main(int argc, char **argv);

/* The clusterer's path over a JSONL file (bench/e2e.c). */
typedef struct e2e_result {
    size_t articles, skipped, clusters, input_bytes, text_bytes, peak_rss;
    double total_s, read_s, sign_s, add_s;
    double index_bytes_per_article; /* resident memory grown, per article */
} e2e_result;
int e2e_run(const char *path, e2e_result *res);

/* Accuracy of the Jaccard estimate, per scheme. */
typedef struct accuracy {
    const char *scheme;
    size_t pairs;               /* pair-seed samples */
    double mae, rmse;           /* over all pairs */
    double mae_near, rmse_near; /* over pairs of exact Jaccard >= 0.2 */
    size_t near;
} accuracy;

/* Both schemes (OPH first, then classic MinHash) over pairs built from c:
 * edited copies, articles of one story when c has stories, and random
 * pairs, each signed with seeds different seeds. */
void accuracy_run(const corpus *c, unsigned seeds, accuracy out[2]);

/* The SIMD level the library signs with by default: the best this CPU
 * has. */
const char *bench_level(void);

#endif
