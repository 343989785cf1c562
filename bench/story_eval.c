/*
 * story-eval: run a story-mode index over articles in input order and
 * write each article's cluster, to score against gold labels with
 * ../shared/tools/score_story.py.
 *
 *   story-eval [--out PRED.tsv] [--PARAMETER VALUE ...] FILE...
 *
 * PARAMETER is any of the library's (sheaf_param_info_at: threshold,
 * contrast, window, seed, ...), from story mode's defaults.
 *
 * A FILE ending in .jsonl or .jsonl.gz (zlib reads both) holds one article
 * per line, {"id": ..., "text": ..., "time": seconds (optional)}; any other
 * FILE is one article, its id the file name without directory and
 * extension. The output is "id<TAB>cluster" lines, the cluster named by the
 * id of its first article, as near mode names them. The time printed runs
 * from the first byte read to the last written, parsing included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "bench.h"
#include "sheaf.h"

static void die(const char *what)
{
    fprintf(stderr, "story-eval: %s\n", what);
    exit(1);
}

/* One article as story mode takes it. */
typedef struct entry {
    buf id, text, title;
    int has_title;
    int64_t time;
} entry;

/* Parse one JSONL object (bench/corpus.c reads its members); 0 if it is not
 * one or lacks id or text. */
static int parse_line(const buf *line, entry *a)
{
    a->time = SHEAF_NO_TIME;
    if (json_string(line->s, line->n, "id", &a->id) != 1 ||
        json_string(line->s, line->n, "text", &a->text) != 1)
        return 0;
    a->has_title = json_string(line->s, line->n, "title", &a->title) == 1;
    int64_t t;
    int rc = json_integer(line->s, line->n, "time", &t);
    if (rc < 0)
        return 0;
    if (rc == 1)
        a->time = t;
    return 1;
}

/* ------------------------------------------------------------------ main */

typedef struct run {
    sheaf_index *idx;
    FILE *out;
    size_t docs, joined;
} run;

static void add_article(run *r, const entry *e)
{
    sheaf_article a = SHEAF_ARTICLE_INIT;
    a.id = e->id.s;
    a.text = e->text.s;
    a.len = e->text.n;
    a.time = e->time;
    if (e->has_title) {
        a.title = e->title.s;
        a.title_len = e->title.n;
    }
    sheaf_assignment as;
    if (sheaf_index_add(r->idx, &a, &as) != SHEAF_OK)
        die(sheaf_errmsg());
    r->docs++;
    r->joined += as.match != NULL;
    fprintf(r->out, "%s\t%s\n", a.id, as.cluster);
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

static void read_jsonl(run *r, const char *path, entry *a)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        die("cannot open input");
    gzbuffer(f, 1 << 17);
    buf line = {0};
    size_t lineno = 0;
    while (read_line(f, &line)) {
        lineno++;
        size_t k = 0;
        while (k < line.n && (line.s[k] == ' ' || line.s[k] == '\t' ||
                              line.s[k] == '\r' || line.s[k] == '\n'))
            k++;
        if (k == line.n)
            continue;
        if (!parse_line(&line, a)) {
            fprintf(stderr, "story-eval: %s line %zu: not an article\n", path,
                    lineno);
            exit(1);
        }
        add_article(r, a);
    }
    gzclose(f);
    free(line.s);
}

static void read_file(run *r, const char *path, entry *a)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open input");
    a->text.n = 0;
    char chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(&a->text, chunk, n);
    fclose(f);
    if (!a->text.s)
        buf_add(&a->text, "", 0);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    a->id.n = 0;
    buf_add(&a->id, base, dot && dot != base ? (size_t)(dot - base)
                                               : strlen(base));
    a->time = SHEAF_NO_TIME;
    a->has_title = 0;
    add_article(r, a);
}

int main(int argc, char **argv)
{
    sheaf_params p;
    sheaf_params_init_mode(&p, SHEAF_MODE_STORY);
    const char *out_path = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
        if (i + 1 >= argc)
            die("option needs a value");
        const char *o = argv[i] + 2, *v = argv[i + 1];
        if (!strcmp(o, "out"))
            out_path = v;
        else if (sheaf_params_set(&p, o, v) != SHEAF_OK)
            die(sheaf_errmsg());
    }
    if (i == argc) {
        fprintf(stderr, "usage: story-eval [--out PRED.tsv] "
                        "[--PARAMETER VALUE ...] FILE...\n");
        return 2;
    }
    double t0 = now();
    run r = {0};
    if (sheaf_index_new(&p, &r.idx) != SHEAF_OK)
        die(sheaf_errmsg());
    r.out = out_path ? fopen(out_path, "w") : stdout;
    if (!r.out)
        die("cannot open output");
    entry a = {0};
    for (; i < argc; i++) {
        if (has_suffix(argv[i], ".jsonl") || has_suffix(argv[i], ".jsonl.gz"))
            read_jsonl(&r, argv[i], &a);
        else
            read_file(&r, argv[i], &a);
    }
    if (out_path && fclose(r.out) != 0)
        die("cannot write output");
    double t1 = now();
    char t[32], c[32];
    sheaf_params_format(&p, "threshold", t, sizeof t);
    sheaf_params_format(&p, "contrast", c, sizeof c);
    fprintf(stderr,
            "story-eval: %zu articles, %zu clusters, %zu joined, %.3f s "
            "(threshold %s, contrast %s)\n",
            r.docs, sheaf_index_cluster_count(r.idx), r.joined, t1 - t0, t, c);
    free(a.id.s);
    free(a.text.s);
    free(a.title.s);
    sheaf_index_free(r.idx);
    return 0;
}
