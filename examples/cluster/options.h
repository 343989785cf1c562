/* The command line of `sheaf cluster`. */
#ifndef CLUSTER_OPTIONS_H
#define CLUSTER_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "input.h"
#include "sheaf.h"

typedef enum out_format {
    FORMAT_TSV,   /* id<TAB>cluster */
    FORMAT_JSONL, /* {"id","cluster","match","similarity","size"} */
    FORMAT_GROUPS /* clusters of two or more, for people */
} out_format;

/* The clustering parameters given on the command line, which must agree
 * with those of an existing --index (options_parse fills the rest of
 * options.params with the defaults). */
enum {
    GIVEN_MODE = 1 << 0,
    GIVEN_THRESHOLD = 1 << 1,
    GIVEN_SHINGLE = 1 << 2,
    GIVEN_HASHES = 1 << 3,
    GIVEN_BANDS = 1 << 4, /* --bands and --rows, always together */
    GIVEN_SEED = 1 << 5,
    GIVEN_WINDOW = 1 << 6
};

typedef struct options {
    sheaf_params params;
    unsigned given; /* GIVEN_* */
    input_format input_format;
    out_format format;
    const char *id_field;
    const char *text_field;
    const char *time_field; /* NULL: articles have no time */
    const char *index;      /* --index PATH; NULL: in memory only */
    uint64_t skip_articles; /* --skip-articles: read past this many */
    const char *output;     /* NULL: standard output */
    unsigned threads;
    size_t max_record;
    int strict;
    int quiet;
    char **inputs; /* the FILE|DIR arguments, in argv */
    size_t ninputs;
} options;

/* Results of options_parse besides 0 (run). */
enum { OPTIONS_DONE = 1, OPTIONS_BAD = 2 };

/* Parse the arguments after "cluster". Returns 0 to run, OPTIONS_DONE
 * when --help or --version was answered, OPTIONS_BAD after reporting a
 * usage error. */
int options_parse(options *o, int argc, char **argv);

/* The help of `sheaf cluster`. */
void options_help(FILE *f);

/* "sheaf 0.3.0 (library 0.3.0)" and the like. */
void options_version(FILE *f);

/* A --window value as the option would be written: "72h", "90m", "45s";
 * "0" for none. */
void options_format_duration(int64_t seconds, char *buf, size_t n);

#endif
