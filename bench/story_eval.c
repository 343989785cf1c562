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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "sheaf.h"
#include "story.h"

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

/* A growable byte buffer. */
typedef struct bytes {
    char *s;
    size_t n, cap;
} bytes;

static void bytes_put(bytes *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

/* ------------------------------------------------------------------ JSON */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    return p;
}

static int hex4(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d == 16)
            return 0;
        *v = *v << 4 | d;
    }
    return 1;
}

static void put_utf8(bytes *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    bytes_put(b, u, n);
}

/* The JSON string at p (just past its opening quote) unescaped into *b;
 * returns the position past the closing quote, NULL if malformed. A lone
 * surrogate becomes U+FFFD. */
static const char *json_string(const char *p, bytes *b)
{
    b->n = 0;
    bytes_put(b, "", 0);
    for (;;) {
        const char *run = p;
        while (*p && *p != '"' && *p != '\\')
            p++;
        bytes_put(b, run, (size_t)(p - run));
        if (*p == '"')
            return p + 1;
        if (*p != '\\')
            return NULL;
        p++;
        unsigned cp, lo;
        switch (*p) {
        case '"': case '\\': case '/':
            bytes_put(b, p, 1);
            break;
        case 'b': bytes_put(b, "\b", 1); break;
        case 'f': bytes_put(b, "\f", 1); break;
        case 'n': bytes_put(b, "\n", 1); break;
        case 'r': bytes_put(b, "\r", 1); break;
        case 't': bytes_put(b, "\t", 1); break;
        case 'u':
            if (!hex4(p + 1, &cp))
                return NULL;
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p[1] == '\\' && p[2] == 'u' &&
                hex4(p + 3, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            } else if (cp >= 0xD800 && cp < 0xE000) {
                cp = 0xFFFD;
            }
            put_utf8(b, cp);
            break;
        default:
            return NULL;
        }
        p++;
    }
}

/* Skip the JSON value at p; NULL if malformed. Only what JSONL articles
 * hold is needed: strings, numbers, literals, and nested arrays/objects
 * skipped by bracket depth outside strings. */
static const char *json_skip(const char *p, bytes *tmp)
{
    if (*p == '"')
        return json_string(p + 1, tmp);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        do {
            if (*p == '"') {
                if (!(p = json_string(p + 1, tmp)))
                    return NULL;
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if (*p == '}' || *p == ']')
                depth--;
            else if (!*p)
                return NULL;
            p++;
        } while (depth > 0);
        return p;
    }
    while (*p && *p != ',' && *p != '}' && *p != ' ' && *p != '\n')
        p++;
    return p;
}

typedef struct article {
    bytes id, text;
    int64_t time;
} article;

/* Parse one JSONL object; 0 if it is not one or lacks id or text. */
static int parse_line(const char *line, article *a, bytes *tmp)
{
    const char *p = skip_ws(line);
    int has_id = 0, has_text = 0;
    a->time = SHEAF__NO_TIME;
    if (*p++ != '{')
        return 0;
    p = skip_ws(p);
    while (*p == '"') {
        if (!(p = json_string(p + 1, tmp)))
            return 0;
        int field = !strcmp(tmp->s, "id")     ? 1
                    : !strcmp(tmp->s, "text") ? 2
                    : !strcmp(tmp->s, "time") ? 3
                                              : 0;
        p = skip_ws(p);
        if (*p++ != ':')
            return 0;
        p = skip_ws(p);
        if (field == 1 && *p == '"') {
            if (!(p = json_string(p + 1, &a->id)))
                return 0;
            has_id = 1;
        } else if (field == 2 && *p == '"') {
            if (!(p = json_string(p + 1, &a->text)))
                return 0;
            has_text = 1;
        } else if (field == 3 && (*p == '-' || (*p >= '0' && *p <= '9'))) {
            char *end;
            errno = 0;
            long long t = strtoll(p, &end, 10);
            if (errno)
                return 0;
            a->time = (int64_t)t;
            if (!(p = json_skip(end, tmp)))
                return 0;
        } else if (!(p = json_skip(p, tmp))) {
            return 0;
        }
        p = skip_ws(p);
        if (*p == ',')
            p = skip_ws(p + 1);
    }
    return *p == '}' && has_id && has_text;
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

static void add_article(run *r, const article *a)
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

static void read_jsonl(run *r, const char *path, article *a, bytes *tmp)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        die("cannot open input");
    gzbuffer(f, 1 << 17);
    bytes line = {0};
    char chunk[1 << 16];
    size_t lineno = 0;
    for (;;) {
        line.n = 0;
        int got = 0;
        while (gzgets(f, chunk, sizeof chunk)) {
            got = 1;
            size_t n = strlen(chunk);
            bytes_put(&line, chunk, n);
            if (n && chunk[n - 1] == '\n')
                break;
        }
        if (!got)
            break;
        lineno++;
        if (*skip_ws(line.s) == 0)
            continue;
        if (!parse_line(line.s, a, tmp)) {
            fprintf(stderr, "story-eval: %s line %zu: not an article\n", path,
                    lineno);
            exit(1);
        }
        add_article(r, a);
    }
    gzclose(f);
    free(line.s);
}

static void read_file(run *r, const char *path, article *a)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open input");
    a->text.n = 0;
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        bytes_put(&a->text, buf, n);
    fclose(f);
    if (!a->text.s)
        bytes_put(&a->text, "", 0);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    a->id.n = 0;
    bytes_put(&a->id, base, dot && dot != base ? (size_t)(dot - base)
                                               : strlen(base));
    a->time = SHEAF__NO_TIME;
    add_article(r, a);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
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
    article a = {0};
    bytes tmp = {0};
    for (; i < argc; i++) {
        if (has_suffix(argv[i], ".jsonl") || has_suffix(argv[i], ".jsonl.gz"))
            read_jsonl(&r, argv[i], &a, &tmp);
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
    free(tmp.s);
    sheaf__story_free(r.story);
    return 0;
}
