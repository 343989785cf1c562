/* The command line of `sheaf cluster`. */
#ifndef CLUSTER_OPTIONS_H
#define CLUSTER_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "input.h"
#include "sheaf.h"

typedef enum out_format {
    FORMAT_TSV,   /* id<TAB>cluster */
    FORMAT_JSONL, /* {"id","cluster","match","similarity","size"} */
    FORMAT_GROUPS /* clusters of two or more, for people */
} out_format;

typedef struct options {
    sheaf_params params;
    input_format input_format;
    out_format format;
    const char *id_field;
    const char *text_field;
    const char *output; /* NULL: standard output */
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

/* "sheaf 0.1.0 (libsheaf 0.1.0)" and the like. */
void options_version(FILE *f);

#endif
