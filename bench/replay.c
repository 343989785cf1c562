/*
 * sheaf-bench replay: a timed news stream from the Multi-News stories, for
 * the windowed-stream benchmark (bench/stream.sh).
 *
 *   sheaf-bench replay [--months N] [--out FILE] [INPUT]
 *
 * Every story of INPUT (default: the Multi-News validation file beside
 * the checkout) is told again every 30 days for N months (default 1): in
 * month m it starts at a random instant of the month and its articles
 * follow within 36 hours, each with a new id ("m<m>-<id>") and its time
 * (seconds from 2024-01-01) in "time". The stream is written in time
 * order, so a month holds the same stories as the next but never meets
 * them within a window of days: memory with a window should not grow
 * with the months.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define MONTH (30 * 86400)
#define SPREAD (36 * 3600)
#define EPOCH 1704067200 /* 2024-01-01T00:00:00Z */

typedef struct item {
    int64_t time;
    size_t article;
    unsigned month;
} item;

static int by_time(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->month != y->month ? (x->month < y->month ? -1 : 1)
                                : (x->article > y->article) -
                                      (x->article < y->article);
}

static const corpus *sorting; /* for by_story */

/* An article's story; one without is a story of its own. */
static const char *label(const article *a)
{
    return a->story ? a->story : a->id;
}

static int by_story(const void *a, const void *b)
{
    return strcmp(label(&sorting->a[*(const size_t *)a]),
                  label(&sorting->a[*(const size_t *)b]));
}

/* Each article's story as a number from 0; the count into *n. */
static size_t *story_numbers(const corpus *c, size_t *n)
{
    size_t *order = malloc(c->n * sizeof *order);
    size_t *no = malloc(c->n * sizeof *no);
    *n = 0;
    if (!order || !no) {
        free(order);
        free(no);
        return NULL;
    }
    for (size_t i = 0; i < c->n; i++)
        order[i] = i;
    sorting = c;
    qsort(order, c->n, sizeof *order, by_story);
    for (size_t i = 0; i < c->n; i++) {
        *n += i && by_story(&order[i - 1], &order[i]) != 0;
        no[order[i]] = *n;
    }
    *n += c->n > 0;
    free(order);
    return no;
}

static void write_item(FILE *f, const corpus *c, const item *it)
{
    const article *a = &c->a[it->article];
    fprintf(f, "{\"id\": \"m%u-", it->month);
    json_fprint_raw(f, a->id);
    fprintf(f, "\", \"story\": \"m%u-", it->month);
    json_fprint_raw(f, label(a));
    fprintf(f, "\", \"time\": %lld, \"text\": \"", (long long)it->time);
    json_fprint_raw(f, a->text);
    fputs("\"}\n", f);
}

int replay_main(int argc, char **argv)
{
    unsigned months = 1;
    const char *out_path = NULL, *input = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--months") && i + 1 < argc)
            months = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out_path = argv[++i];
        else if (argv[i][0] != '-' && !input)
            input = argv[i];
        else {
            fprintf(stderr, "usage: sheaf-bench replay [--months N] "
                            "[--out FILE] [INPUT]\n");
            return 2;
        }
    }
    if (!input && !(input = default_input())) {
        fprintf(stderr, "sheaf-bench replay: no input (../shared absent)\n");
        return 1;
    }
    corpus c = {0};
    if (months == 0 || corpus_load(&c, input, 0) != 0) {
        fprintf(stderr, "sheaf-bench replay: %s: no articles\n", input);
        return 1;
    }
    size_t nstories;
    size_t *story = story_numbers(&c, &nstories);
    item *items = malloc((size_t)months * c.n * sizeof *items);
    FILE *f = out_path ? fopen(out_path, "w") : stdout;
    if (!story || !items || !f) {
        fprintf(stderr, "sheaf-bench replay: out of memory or cannot write\n");
        return 1;
    }
    rng r = {20240101};
    int64_t *start = malloc(nstories * sizeof *start);
    size_t k = 0;
    for (unsigned m = 0; m < months && start; m++) {
        for (size_t s = 0; s < nstories; s++)
            start[s] = EPOCH + (int64_t)m * MONTH + rng_below(&r, MONTH);
        for (size_t i = 0; i < c.n; i++)
            items[k++] = (item){start[story[i]] + rng_below(&r, SPREAD), i, m};
    }
    qsort(items, k, sizeof *items, by_time);
    for (size_t i = 0; i < k; i++)
        write_item(f, &c, &items[i]);
    int bad = !start || (out_path ? fclose(f) != 0 : fflush(f) != 0);
    fprintf(stderr, "sheaf-bench replay: %zu articles of %zu stories over %u "
                    "month%s\n",
            k, nstories, months, months == 1 ? "" : "s");
    free(start);
    free(items);
    free(story);
    corpus_free(&c);
    return bad;
}
