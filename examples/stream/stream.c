/*
 * sheaf-stream: sheaf embedded in a service, the smallest useful way.
 *
 * Reads JSONL articles ({"id": ..., "text": ...}) on standard input, one
 * per line, as a message-queue consumer would receive them, and prints each
 * article's cluster as soon as it is assigned:
 *
 *     id <TAB> cluster <TAB> matched article or - <TAB> similarity
 *
 * flushing every line. With --index PATH the index is stored (LMDB) and
 * survives restarts: run it again and new articles join yesterday's
 * clusters.
 *
 *     sheaf-stream [--index PATH] [--threshold T] < articles.jsonl
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "sheaf.h"

static int usage(void)
{
    fprintf(stderr, "usage: sheaf-stream [--index PATH] [--threshold T] "
                    "< articles.jsonl\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    sheaf_params p;
    sheaf_params_init(&p);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--index") && i + 1 < argc)
            path = argv[++i];
        else if (!strcmp(argv[i], "--threshold") && i + 1 < argc)
            p.threshold = strtod(argv[++i], NULL);
        else
            return usage();
    }

    sheaf_index *idx;
    int rc = path ? sheaf_index_open(path, &p, 0, &idx)
                  : sheaf_index_new(&p, &idx);
    if (rc != SHEAF_OK) {
        fprintf(stderr, "sheaf-stream: %s: %s\n", path ? path : "index",
                sheaf_strerror(rc));
        return 1;
    }

    const jsonl_fields fields = {"id", 2, "text", 4};
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0, failed = 0;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        if (len && line[len - 1] == '\n')
            line[--len] = 0;
        jsonl_result r;
        jsonl_error e = jsonl_parse(&fields, line, (size_t)len, &r);
        if (e == JSONL_BLANK)
            continue;
        const char *why = e != JSONL_OK ? jsonl_strerror(e)
                          : r.id.type != JSONL_STRING && r.id.type != JSONL_NUMBER
                              ? "no string or number \"id\""
                          : r.text.type != JSONL_STRING ? "no string \"text\""
                                                        : NULL;
        if (why) {
            fprintf(stderr, "sheaf-stream: stdin:%lu: %s\n", lineno, why);
            failed++;
            continue;
        }
        line[r.id.off + r.id.len] = 0; /* the id in place, as a C string */
        sheaf_assignment a;
        rc = sheaf_index_add(idx, line + r.id.off, line + r.text.off,
                             r.text.len, &a);
        if (rc != SHEAF_OK) {
            fprintf(stderr, "sheaf-stream: stdin:%lu: %s: %s\n", lineno,
                    line + r.id.off, sheaf_strerror(rc));
            failed++;
            continue;
        }
        printf("%s\t%s\t%s\t%.3f\n", line + r.id.off, a.cluster,
               a.match ? a.match : "-", a.similarity);
        fflush(stdout);
    }
    free(line);
    sheaf_index_free(idx);
    return failed ? 1 : 0;
}
