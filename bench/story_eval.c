/*
 * story-eval: run story mode (lib/story.h) over articles in input order and
 * write each article's cluster, to score against gold labels with
 * ../shared/tools/score_story.py.
 *
 *   story-eval [--out PRED.tsv] [--threshold T] [--contrast C]
 *              [--max-terms N] [--hashes M] [--candidates L]
 *              [--time-scale S] FILE...
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
#include "story/story.h"

static void die(const char *what)
{
    fprintf(stderr, "story-eval: %s\n", what);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p)
        die("out of memory");
    return p;
}

/* One article as story mode takes it. */
typedef struct entry {
    buf id, text;
    int64_t time;
} entry;

/* Parse one JSONL object (bench/corpus.c reads its members); 0 if it is not
 * one or lacks id or text. */
static int parse_line(const buf *line, entry *a)
{
    a->time = SHEAF__NO_TIME;
    if (json_string(line->s, line->n, "id", &a->id) != 1 ||
        json_string(line->s, line->n, "text", &a->text) != 1)
        return 0;
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
    sheaf__story *story;
    FILE *out;
    char **names; /* cluster number -> name */
    size_t names_cap;
    uint32_t docs;
    size_t joined;
} run;

static void add_article(run *r, const entry *a)
{
    sheaf__story_result res;
    int rc = sheaf__story_add(r->story, r->docs++, a->text.s, a->text.n,
                              a->time, &res);
    if (rc != SHEAF_OK)
        die(sheaf_strerror(rc));
    if (res.cluster >= r->names_cap) {
        size_t cap = r->names_cap ? r->names_cap * 2 : 1024;
        while (cap <= res.cluster)
            cap *= 2;
        r->names = xrealloc(r->names, cap * sizeof *r->names);
        memset(r->names + r->names_cap, 0,
               (cap - r->names_cap) * sizeof *r->names);
        r->names_cap = cap;
    }
    if (!res.joined) {
        free(r->names[res.cluster]);
        r->names[res.cluster] = strdup(a->id.s);
        if (!r->names[res.cluster])
            die("out of memory");
    } else {
        r->joined++;
    }
    fprintf(r->out, "%s\t%s\n", a->id.s, r->names[res.cluster]);
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
    a->time = SHEAF__NO_TIME;
    add_article(r, a);
}

static double number(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end)
        die("bad number");
    return v;
}

int main(int argc, char **argv)
{
    sheaf__story_params p;
    sheaf__story_params_init(&p);
    const char *out_path = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
        if (i + 1 >= argc)
            die("option needs a value");
        const char *o = argv[i] + 2, *v = argv[i + 1];
        if (!strcmp(o, "out"))
            out_path = v;
        else if (!strcmp(o, "threshold"))
            p.threshold = number(v);
        else if (!strcmp(o, "max-terms"))
            p.max_terms = (uint32_t)number(v);
        else if (!strcmp(o, "hashes"))
            p.num_hashes = (uint32_t)number(v);
        else if (!strcmp(o, "contrast"))
            p.contrast = number(v);
        else if (!strcmp(o, "candidates"))
            p.max_candidates = (uint32_t)number(v);
        else if (!strcmp(o, "time-scale"))
            p.time_scale = number(v);
        else
            die("unknown option");
    }
    if (i == argc) {
        fprintf(stderr, "usage: story-eval [--out PRED.tsv] [--threshold T] "
                        "[--contrast C] [--max-terms N] [--hashes M] "
                        "[--candidates L] [--time-scale S] FILE...\n");
        return 2;
    }
    double t0 = now();
    run r = {0};
    int rc = sheaf__story_new(&p, &r.story);
    if (rc != SHEAF_OK)
        die(sheaf_strerror(rc));
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
    fprintf(stderr,
            "story-eval: %u articles, %zu clusters, %zu joined, %.3f s "
            "(threshold %g, contrast %g, max_terms %u, hashes %u, "
            "candidates %u)\n",
            r.docs, sheaf__story_cluster_count(r.story), r.joined, t1 - t0,
            p.threshold, p.contrast, p.max_terms, p.num_hashes,
            p.max_candidates);
    for (size_t c = 0; c < r.names_cap; c++)
        free(r.names[c]);
    free(r.names);
    free(a.id.s);
    free(a.text.s);
    sheaf__story_free(r.story);
    return 0;
}
