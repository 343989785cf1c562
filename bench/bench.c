/*
 * sheaf-bench: throughput of the hot loop (normalise, shingle, hash, sign)
 * per signature scheme, and of index insertion, on one in-memory corpus.
 *
 *   sheaf-bench [--repeats N] [FILE.jsonl[.gz] | FILE.txt]
 *
 * Default input: the Multi-News validation text in ../shared when present,
 * else generated prose. Each figure is reported as the best and the median
 * of the repeats, all measured in this one run so they compare.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "sheaf.h"

typedef struct corpus {
    char **text;
    size_t *len;
    size_t n, cap, bytes;
} corpus;

static void add(corpus *c, const char *s, size_t n)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 4096;
        c->text = realloc(c->text, c->cap * sizeof *c->text);
        c->len = realloc(c->len, c->cap * sizeof *c->len);
        if (!c->text || !c->len) {
            fprintf(stderr, "sheaf-bench: out of memory\n");
            exit(1);
        }
    }
    c->text[c->n] = malloc(n + 1);
    if (!c->text[c->n]) {
        fprintf(stderr, "sheaf-bench: out of memory\n");
        exit(1);
    }
    memcpy(c->text[c->n], s, n);
    c->len[c->n++] = n;
    c->bytes += n;
}

/* The "text" value of a JSONL line, unescaped in place (\uXXXX outside
 * ASCII becomes a space: byte counts stay honest, words stay words). */
static size_t json_text(char *line, char **out)
{
    char *p = strstr(line, "\"text\":");
    if (!p || !(p = strchr(p + 7, '"')))
        return 0;
    char *w = ++p;
    *out = w;
    for (; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            if (*p == 'u' && strlen(p) >= 5) {
                char hex[5] = {p[1], p[2], p[3], p[4], 0};
                unsigned long v = strtoul(hex, NULL, 16);
                *w++ = v < 0x80 ? (char)v : ' ';
                p += 4;
                continue;
            }
            *w++ = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
        } else
            *w++ = *p;
    }
    return (size_t)(w - *out);
}

static int load(corpus *c, const char *path)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return -1;
    int jsonl = strstr(path, ".json") != NULL;
    size_t cap = 1 << 24;
    char *line = malloc(cap);
    if (!line)
        return -1;
    if (jsonl) {
        while (gzgets(f, line, (int)cap)) {
            char *t;
            size_t n = json_text(line, &t);
            if (n)
                add(c, t, n);
        }
    } else { /* plain text: articles of about 3 KB, cut at a newline */
        int got;
        size_t have = 0;
        while ((got = gzread(f, line + have, (unsigned)(cap - have))) > 0) {
            have += (size_t)got;
            size_t start = 0;
            for (size_t i = 0; i < have; i++)
                if (line[i] == '\n' && i - start >= 3000) {
                    add(c, line + start, i - start);
                    start = i + 1;
                }
            memmove(line, line + start, have - start);
            have -= start;
        }
        if (have)
            add(c, line, have);
    }
    free(line);
    gzclose(f);
    return c->n ? 0 : -1;
}

static void generate(corpus *c)
{
    static const char *words[] = {
        "the", "president", "said", "on", "tuesday", "that", "talks", "with",
        "officials", "in", "lima", "had", "been", "brief", "but", "useful",
        "and", "would", "continue", "next", "week", "after", "the", "summit",
        "markets", "fell", "sharply", "as", "investors", "weighed", "news"};
    uint64_t x = 88172645463325252ull;
    char buf[4096];
    for (int a = 0; a < 20000; a++) {
        size_t n = 0;
        while (n < 3000) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            const char *w = words[x % (sizeof words / sizeof *words)];
            size_t l = strlen(w);
            memcpy(buf + n, w, l);
            buf[n + l] = ' ';
            n += l + 1;
        }
        add(c, buf, n);
    }
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define MAX_REPEATS 50

static void report(const char *what, const corpus *c, double *secs, int reps,
                   uint64_t shingles)
{
    qsort(secs, (size_t)reps, sizeof *secs, cmp_double);
    double best = secs[0], median = secs[reps / 2];
    double bytes = (double)c->bytes, articles = (double)c->n;
    printf("%-28s %9.1f %9.1f %10.0f %10.1f\n", what, bytes / best / 1e6,
           bytes / median / 1e6, articles / median,
           shingles ? median * 1e9 / (double)shingles : 0.0);
}

int main(int argc, char **argv)
{
    int reps = 5;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--help")) {
            printf("usage: sheaf-bench [--repeats N] [FILE.jsonl[.gz]|FILE.txt[.gz]]\n");
            return 0;
        } else
            path = argv[i];
    }
    if (reps < 1 || reps > MAX_REPEATS) {
        fprintf(stderr, "sheaf-bench: --repeats must be 1..%d\n", MAX_REPEATS);
        return 2;
    }
    corpus c = {0};
    const char *fallback = "../shared/corpora/multinews/val.jsonl.gz";
    if (path) {
        if (load(&c, path) != 0) {
            fprintf(stderr, "sheaf-bench: %s: cannot read articles\n", path);
            return 1;
        }
    } else if (load(&c, fallback) == 0)
        path = fallback;
    else {
        generate(&c);
        path = "(generated prose)";
    }
    printf("input: %s: %zu articles, %.1f MB; sheaf %s; median of %d\n\n",
           path, c.n, (double)c.bytes / 1e6, sheaf_version(), reps);
    printf("%-28s %9s %9s %10s %10s\n", "stage (one thread)", "best MB/s",
           "med MB/s", "articles/s", "ns/shingle");

    static const struct {
        const char *name;
        sheaf_scheme scheme;
    } schemes[] = {{"sign: oph (default)", SHEAF_SCHEME_OPH},
                   {"sign: minhash (k-perm)", SHEAF_SCHEME_MINHASH}};
    double secs[MAX_REPEATS];
    sheaf_signature *sigs = malloc(c.n * sizeof *sigs);
    if (!sigs)
        return 1;
    for (size_t s = 0; s < sizeof schemes / sizeof *schemes; s++) {
        sheaf_params p;
        sheaf_params_init(&p);
        p.scheme = schemes[s].scheme;
        sheaf_hasher h;
        sheaf_hasher_init(&h, &p);
        uint64_t shingles = 0;
        for (int r = 0; r < reps; r++) {
            double t0 = now();
            shingles = 0;
            for (size_t i = 0; i < c.n; i++) {
                sheaf_hasher_sign(&h, c.text[i], c.len[i], &sigs[i]);
                shingles += sigs[i].num_shingles;
            }
            secs[r] = now() - t0;
        }
        report(schemes[s].name, &c, secs, reps, shingles);
    }

    /* Index insertion, default parameters, signatures made beforehand. */
    sheaf_params p;
    sheaf_params_init(&p);
    for (size_t i = 0; i < c.n; i++)
        sheaf_sign(&p, c.text[i], c.len[i], &sigs[i]);
    for (int r = 0; r < reps; r++) {
        sheaf_index *idx;
        if (sheaf_index_new(&p, &idx) != SHEAF_OK)
            return 1;
        char id[32];
        double t0 = now();
        for (size_t i = 0; i < c.n; i++) {
            snprintf(id, sizeof id, "%zu", i);
            sheaf_index_add_signature(idx, id, &sigs[i], NULL);
        }
        secs[r] = now() - t0;
        sheaf_index_free(idx);
    }
    report("index: add signature", &c, secs, reps, 0);
    free(sigs);
    for (size_t i = 0; i < c.n; i++)
        free(c.text[i]);
    free(c.text);
    free(c.len);
    return 0;
}
