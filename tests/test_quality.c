/*
 * Near-mode quality on news articles with injected edits.
 *
 * Bases are real news articles (the Multi-News validation text in
 * ../shared, when present; synthetic prose otherwise), pruned so that no two
 * bases are alike (exact word-5 Jaccard < 0.2). Each base gets copies with
 * a new headline, typos, words substituted, deleted and inserted, the end
 * trimmed and boilerplate appended, as syndicated copies have; some bases
 * are spliced into a different story made of a third of each of three,
 * a trap for false merges. Then, with
 * the default parameters:
 *   recall    = pairs of one family with exact word-5 Jaccard >= 0.5 that
 *               end in one cluster / all such pairs        (target >= 0.975)
 *   precision = pairs in one cluster that are of one family
 *               / all pairs in one cluster                 (target >= 0.995)
 * An exact-Jaccard oracle with the same first-match rule is printed beside.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <zlib.h>

#include "api.h"
#include "sheaf.h"
#include "testutil.h"

#define MAX_BASES 1500

typedef struct article {
    char *text;
    size_t len;
    size_t family;
    shingles set;
} article;

typedef struct corpus {
    article *a;
    size_t n, cap;
} corpus;

static void push(corpus *c, char *text, size_t len, size_t family)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->a = realloc(c->a, c->cap * sizeof *c->a);
    }
    c->a[c->n++] = (article){text, len, family, {NULL, 0}};
}

/* The "text" string of a JSONL record, unescaped; NULL when absent. Enough
 * JSON for the shared corpus: \uXXXX outside ASCII becomes a space. */
static char *json_text(const char *line)
{
    const char *p = strstr(line, "\"text\": \"");
    if (!p)
        return NULL;
    p += 9;
    buf out = {0};
    for (; *p && *p != '"'; p++) {
        char ch = *p;
        if (ch == '\\' && p[1]) {
            p++;
            ch = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
            if (*p == 'u') {
                unsigned v = (unsigned)strtoul((char[5]){p[1], p[2], p[3], p[4], 0}, NULL, 16);
                ch = v < 0x80 ? (char)v : ' ';
                p += 4;
            }
        }
        buf_add(&out, &ch, 1);
    }
    return out.s;
}

static size_t load_news(corpus *bases, const char *path)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return 0;
    static char line[1 << 20];
    while (bases->n < MAX_BASES * 2 && gzgets(f, line, sizeof line)) {
        if (strstr(line, "\"noise\": true"))
            continue;
        char *t = json_text(line);
        if (!t)
            continue;
        size_t words = 0;
        for (const char *q = t; *q; q++)
            words += *q == ' ';
        if (words >= 80)
            push(bases, t, strlen(t), bases->n);
        else
            free(t);
    }
    gzclose(f);
    return bases->n;
}

static void synthetic_news(corpus *bases, rng *r)
{
    for (size_t b = 0; b < MAX_BASES; b++) {
        buf out = {0};
        char w[16];
        size_t nw = 120 + rng_below(r, 300);
        for (size_t i = 0; i < nw; i++) {
            word_for_rank(zipf_rank(r, 20000), w);
            buf_str(&out, w);
            buf_str(&out, i % 17 == 16 ? ". " : " ");
        }
        push(bases, out.s, out.n, b);
    }
}

/* Keep bases that are unlike every base kept before them. */
static void prune_alike(corpus *bases)
{
    size_t kept = 0;
    for (size_t i = 0; i < bases->n; i++) {
        article *x = &bases->a[i];
        if (kept == MAX_BASES) {
            free(x->text);
            continue;
        }
        x->set = exact_shingles(x->text, x->len, 5);
        int alike = x->set.n < 20;
        for (size_t j = 0; j < kept && !alike; j++)
            alike = exact_jaccard(&x->set, &bases->a[j].set) >= 0.2;
        if (alike) {
            free(x->text);
            free(x->set.v);
            continue;
        }
        x->family = kept;
        bases->a[kept++] = *x;
    }
    bases->n = kept;
}

static const char *const boilerplate[] = {
    "Subscribe to our newsletter for the latest headlines.",
    "Copyright 2016 The Associated Press. All rights reserved.",
    "Follow us on Twitter and Facebook.",
    "Click here to read more stories like this one.",
    "This article has been updated with additional reporting.",
};

/* A syndicated copy of text at edit rate e. */
static char *copy_of(const char *text, rng *r, double e, size_t *len)
{
    /* Split into words on spaces. */
    size_t n = 0, cap = 64;
    const char **w = malloc(cap * sizeof *w);
    size_t *wl = malloc(cap * sizeof *wl);
    for (const char *p = text; *p;) {
        while (*p == ' ')
            p++;
        const char *q = p;
        while (*q && *q != ' ')
            q++;
        if (q > p) {
            if (n == cap) {
                cap *= 2;
                w = realloc(w, cap * sizeof *w);
                wl = realloc(wl, cap * sizeof *wl);
            }
            w[n] = p;
            wl[n++] = (size_t)(q - p);
        }
        p = q;
    }
    size_t keep = n;
    if (rng_unit(r) < 0.3) /* trimmed to fit */
        keep = n - (size_t)(rng_unit(r) * 0.3 * (double)n);
    buf out = {0};
    if (rng_unit(r) < 0.5) { /* a headline of its own */
        size_t from = rng_below(r, (uint32_t)n);
        for (size_t i = 0; i < 6 && from + i < n; i++) {
            buf_add(&out, w[from + i], wl[from + i]);
            buf_str(&out, " ");
        }
        buf_str(&out, "\n\n");
    }
    for (size_t i = 0; i < keep; i++) {
        double u = rng_unit(r);
        if (u < e / 4)
            continue; /* deleted */
        if (u < e / 2) { /* substituted by another word of the text */
            size_t j = rng_below(r, (uint32_t)n);
            buf_add(&out, w[j], wl[j]);
        } else if (u < 3 * e / 4) { /* a typo */
            buf_add(&out, w[i], wl[i]);
            out.s[out.n - 1 - rng_below(r, (uint32_t)wl[i])] = 'x';
        } else {
            if (u < e) { /* an inserted word */
                size_t j = rng_below(r, (uint32_t)n);
                buf_add(&out, w[j], wl[j]);
                buf_str(&out, " ");
            }
            buf_add(&out, w[i], wl[i]);
        }
        buf_str(&out, " ");
    }
    if (rng_unit(r) < 0.5)
        buf_str(&out, boilerplate[rng_below(r, 5)]);
    free(w);
    free(wl);
    *len = out.n;
    return out.s;
}

/* A different story made of a third of each of three others, cut at
 * spaces: exact Jaccard about 0.2 with each, up to 0.3 with their trimmed
 * copies, so joining it to any is a false merge. */
static char *splice(const article *const parts[3], size_t *len)
{
    buf out = {0};
    for (size_t i = 0; i < 3; i++) {
        const article *a = parts[i];
        const char *from = i ? strchr(a->text + a->len * i / 3, ' ') : a->text;
        const char *to = i < 2 ? strchr(a->text + a->len * (i + 1) / 3, ' ') : NULL;
        if (!from)
            continue;
        buf_add(&out, from, to ? (size_t)(to - from) : strlen(from));
    }
    *len = out.n;
    return out.s;
}

static void quality(void **state)
{
    (void)state;
    rng r = {2016};
    corpus bases = {0};
    const char *shared = getenv("SHEAF_SHARED") ? getenv("SHEAF_SHARED")
                                                : "../shared";
    char path[512];
    snprintf(path, sizeof path, "%s/corpora/multinews/val.jsonl.gz", shared);
    if (load_news(&bases, path))
        printf("  bases: real news from %s\n", path);
    else {
        printf("  %s absent: bases are synthetic prose instead\n", path);
        synthetic_news(&bases, &r);
    }
    prune_alike(&bases);
    printf("  %zu unlike bases\n", bases.n);

    corpus all = {0};
    size_t families = bases.n;
    for (size_t b = 0; b < bases.n; b++) {
        if (rng_unit(&r) < 0.15) {
            size_t len;
            const article *parts[3] = {&bases.a[b],
                                       &bases.a[(b + 1) % bases.n],
                                       &bases.a[(b + 2) % bases.n]};
            char *t = splice(parts, &len);
            push(&all, t, len, families++);
            all.a[all.n - 1].set = exact_shingles(t, len, 5);
        }
        push(&all, bases.a[b].text, bases.a[b].len, b);
        all.a[all.n - 1].set = bases.a[b].set;
        size_t copies = rng_below(&r, 4);
        for (size_t c = 0; c < copies; c++) {
            size_t len;
            /* Most copies lightly edited, a few heavily: up to 15%. */
            double e = 0.15 * pow(rng_unit(&r), 3);
            char *t = copy_of(bases.a[b].text, &r, e, &len);
            push(&all, t, len, b);
            all.a[all.n - 1].set = exact_shingles(t, len, 5);
        }
    }
    for (size_t i = all.n; i > 1; i--) { /* arrival order mixes families */
        size_t j = rng_below(&r, (uint32_t)i);
        article t = all.a[i - 1];
        all.a[i - 1] = all.a[j];
        all.a[j] = t;
    }

    sheaf_params p;
    sheaf_params_init(&p);
    sheaf_index *idx;
    assert_int_equal(sheaf_index_new(&p, &idx), SHEAF_OK);
    size_t *cluster = malloc(all.n * sizeof *cluster);  /* sheaf */
    size_t *oracle = malloc(all.n * sizeof *oracle);    /* exact */
    for (size_t i = 0; i < all.n; i++) {
        char id[32];
        snprintf(id, sizeof id, "%zu", i);
        sheaf_assignment a;
        assert_int_equal(t_add(idx, id, all.a[i].text, all.a[i].len, &a),
                         SHEAF_OK);
        cluster[i] = strtoul(a.cluster, NULL, 10);
        /* The oracle applies the same rule on exact Jaccard, looking only
         * within the family (bases are unlike by construction). */
        oracle[i] = i;
        double best = 0.0;
        for (size_t j = 0; j < i; j++) {
            if (all.a[j].family != all.a[i].family)
                continue;
            double jac = exact_jaccard(&all.a[i].set, &all.a[j].set);
            if (jac >= p.threshold && jac > best) {
                best = jac;
                oracle[i] = oracle[j];
            }
        }
    }

    size_t truth = 0, found = 0, found_oracle = 0, together = 0, right = 0;
    for (size_t i = 0; i < all.n; i++)
        for (size_t j = 0; j < i; j++) {
            int same_family = all.a[i].family == all.a[j].family;
            if (cluster[i] == cluster[j]) {
                together++;
                right += same_family;
            }
            if (same_family &&
                exact_jaccard(&all.a[i].set, &all.a[j].set) >= p.threshold) {
                truth++;
                found += cluster[i] == cluster[j];
                found_oracle += oracle[i] == oracle[j];
            }
        }
    double recall = (double)found / (double)truth;
    double precision = together ? (double)right / (double)together : 1.0;
    printf("  %zu articles, %zu pairs with J >= %.2f\n", all.n, truth,
           p.threshold);
    printf("  sheaf:  recall %.4f, pair precision %.4f (%zu of %zu pairs)\n",
           recall, precision, right, together);
    printf("  oracle: recall %.4f\n", (double)found_oracle / (double)truth);
    assert_true(truth > 500);
    assert_true(recall >= 0.975);
    assert_true(precision >= 0.995);

    sheaf_index_free(idx);
    for (size_t i = 0; i < all.n; i++) {
        free(all.a[i].text);
        free(all.a[i].set.v);
    }
    free(all.a);
    free(bases.a);
    free(cluster);
    free(oracle);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(quality)};
    return cmocka_run_group_tests_name("quality", tests, NULL, NULL);
}
