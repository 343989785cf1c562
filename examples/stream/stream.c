/*
 * sheaf-stream: sheaf embedded in a service, the smallest useful way.
 *
 * Reads JSONL articles ({"id": ..., "text": ..., "time": seconds}) on
 * standard input, one per line, as a message-queue consumer would receive
 * them, and prints each article's cluster as soon as it is assigned:
 *
 *     id <TAB> cluster <TAB> matched article or - <TAB> similarity
 *
 * flushing every line. Options are the library's parameters by name
 * (sheaf_params_set: --mode story, --threshold 0.4, --window 72h, ...),
 * and --index PATH, which stores the index (LMDB) so that it survives
 * restarts: run it again and new articles join yesterday's clusters. With
 * a window, articles that carry a time (a JSON number of seconds since
 * the epoch) expire as time advances: memory stays bounded by the window.
 *
 *     sheaf-stream [--index PATH] [--PARAMETER VALUE ...] < articles.jsonl
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "sheaf.h"

static int usage(void)
{
    fprintf(stderr, "usage: sheaf-stream [--index PATH] [--PARAMETER VALUE "
                    "...] < articles.jsonl\n");
    return 2;
}

/* The options into *p and *path; 0 when they all make sense. */
static int parse_options(int argc, char **argv, sheaf_params *p,
                         const char **path)
{
    sheaf_params_init(p);
    /* A mode's defaults first, so the other options apply over them. */
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--mode") &&
            sheaf_params_set(p, "mode", argv[i + 1]) == SHEAF_OK)
            sheaf_params_init_mode(p, p->mode);
    for (int i = 1; i < argc; i += 2) {
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc)
            return usage();
        if (!strcmp(argv[i], "--index"))
            *path = argv[i + 1];
        else if (sheaf_params_set(p, argv[i] + 2, argv[i + 1]) != SHEAF_OK) {
            fprintf(stderr, "sheaf-stream: %s\n", sheaf_errmsg());
            return 2;
        }
    }
    return 0;
}

/* The time of an article: an integer number of seconds, else none. */
static int64_t time_of(const char *line, const jsonl_value *v)
{
    if (v->type != JSONL_NUMBER)
        return SHEAF_NO_TIME;
    char *end;
    long long t = strtoll(line + v->off, &end, 10);
    return end == line + v->off + v->len ? (int64_t)t : SHEAF_NO_TIME;
}

/* Expire, as time advances, what is two windows older than the newest
 * article (one up to a window late still meets everything within the
 * window of it), a quarter window at a time. */
static int expire(sheaf_index *idx, int64_t *last)
{
    int64_t w = sheaf_index_params(idx)->window;
    int64_t newest = sheaf_index_newest_time(idx);
    if (!w || w > INT64_MAX / 4 || newest == SHEAF_NO_TIME ||
        newest < INT64_MIN + 2 * w)
        return SHEAF_OK;
    int64_t step = w / 4 ? w / 4 : 1, cut = newest - 2 * w;
    cut -= (cut % step + step) % step;
    if (*last != SHEAF_NO_TIME && cut <= *last)
        return SHEAF_OK;
    *last = cut;
    return sheaf_index_expire(idx, cut, NULL);
}

/* One line of input; 0 when it was added. */
static unsigned add_line(sheaf_index *idx, char *line, size_t len,
                         unsigned long lineno)
{
    static const jsonl_fields fields = {"id", 2, "text", 4};
    jsonl_result r;
    jsonl_error e = jsonl_parse_timed(&fields, "time", 4, line, len, &r);
    if (e == JSONL_BLANK)
        return 0;
    const char *why = e != JSONL_OK ? jsonl_strerror(e)
                      : r.id.type != JSONL_STRING && r.id.type != JSONL_NUMBER
                          ? "no string or number \"id\""
                      : r.text.type != JSONL_STRING ? "no string \"text\""
                                                    : NULL;
    if (why) {
        fprintf(stderr, "sheaf-stream: stdin:%lu: %s\n", lineno, why);
        return 1;
    }
    sheaf_article art = SHEAF_ARTICLE_INIT;
    art.time = time_of(line, &r.time);
    line[r.id.off + r.id.len] = 0; /* the id in place, as a C string */
    art.id = line + r.id.off;
    art.text = line + r.text.off;
    art.len = r.text.len;
    sheaf_assignment a;
    if (sheaf_index_add(idx, &art, &a) != SHEAF_OK) {
        fprintf(stderr, "sheaf-stream: stdin:%lu: %s: %s\n", lineno, art.id,
                sheaf_errmsg());
        return 1;
    }
    printf("%s\t%s\t%s\t%.3f\n", art.id, a.cluster, a.match ? a.match : "-",
           a.similarity);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    sheaf_params p;
    int rc = parse_options(argc, argv, &p, &path);
    if (rc != 0)
        return rc;
    sheaf_index *idx;
    rc = path ? sheaf_index_open(path, &p, 0, &idx)
              : sheaf_index_new(&p, &idx);
    if (rc != SHEAF_OK) {
        fprintf(stderr, "sheaf-stream: %s\n", sheaf_errmsg());
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0, failed = 0;
    int64_t cut = SHEAF_NO_TIME;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        if (len && line[len - 1] == '\n')
            line[--len] = 0;
        failed += add_line(idx, line, (size_t)len, lineno);
        if (expire(idx, &cut) != SHEAF_OK) {
            fprintf(stderr, "sheaf-stream: %s\n", sheaf_errmsg());
            failed++;
            break;
        }
    }
    free(line);
    sheaf_index_free(idx);
    return failed ? 1 : 0;
}
