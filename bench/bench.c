/*
 * sheaf-bench: the benchmark harness.
 *
 *   sheaf-bench [--repeats N] [--seeds N] [--max N] [--no-accuracy]
 *               [--json | --markdown] [FILE]
 *   sheaf-bench e2e [--json] FILE.jsonl[.gz|.zst]   (bench/e2e.c)
 *   sheaf-bench gen [options] [SOURCE...]          (bench/gen.c)
 *
 * The first form loads FILE (JSONL with a "text" member, gzip or not, or
 * plain text; by default the Multi-News validation text beside the
 * checkout, else a generated dump) into memory and times, one thread,
 * each step of the hot path on every SIMD level the CPU has: tokenising
 * and hashing words alone, signing with each scheme, and adding to and
 * querying an index. Each is repeated; the table gives the best and the
 * median run as MB/s of text, the best as ns per shingle and articles/s.
 * Then the clusterer's path over the same file (bench/e2e.c) and the
 * accuracy of each scheme's Jaccard estimate (bench/accuracy.c).
 * --markdown prints the README's performance section (bench/readme.sh
 * puts it there), --json the same figures for machines.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "sheaf.h"
#include "common/simd.h"

#ifndef SHEAF_BENCH_CFLAGS
#define SHEAF_BENCH_CFLAGS "(not recorded)"
#endif

#define MAX_REPEATS 101
#define MAX_ROWS 16

typedef struct row {
    const char *stage, *level;
    double best, median; /* seconds */
} row;

typedef struct results {
    row rows[MAX_ROWS];
    size_t nrows;
    size_t articles, bytes;
    uint64_t shingles;
    accuracy acc[2];
    int has_accuracy;
    e2e_result e2e;
    int has_e2e;
} results;

static void add_row(results *res, const char *stage, const char *level,
                    double *secs, int reps)
{
    row *r = &res->rows[res->nrows++];
    r->stage = stage;
    r->level = level;
    r->best = minimum(secs, (size_t)reps);
    r->median = median(secs, (size_t)reps);
}

/* ------------------------------------------------------------ the timing */

static void time_words(const corpus *c, sheaf__simd_level level, int reps,
                       results *res)
{
    size_t most = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->a[i].len > most)
            most = c->a[i].len;
    uint64_t *w =
        malloc((most / 2 + 2 + SHEAF__TOKENS + SHEAF__LANES) * sizeof *w);
    double secs[MAX_REPEATS];
    uint64_t sink = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (size_t i = 0; i < c->n; i++)
            sink += sheaf__words_level(c->a[i].text, c->a[i].len, 0, w, level);
        secs[r] = now() - t0;
    }
    free(w);
    if (sink == 1)
        printf(" "); /* keeps the loop from being optimised away */
    add_row(res, "tokenise + hash words", sheaf__simd_name(level), secs, reps);
}

static void time_sign(const corpus *c, sheaf_scheme scheme,
                      sheaf__simd_level level, int reps, results *res)
{
    static sheaf_hasher h;
    static sheaf_signature sig;
    sheaf_params p;
    sheaf_params_init(&p);
    p.scheme = scheme;
    sheaf_hasher_init(&h, &p);
    double secs[MAX_REPEATS];
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (size_t i = 0; i < c->n; i++)
            sheaf__hasher_sign_level(&h, c->a[i].text, c->a[i].len, &sig,
                                     level);
        secs[r] = now() - t0;
    }
    add_row(res,
            scheme == SHEAF_SCHEME_OPH ? "sign: oph (default)"
                                       : "sign: minhash (k-perm)",
            sheaf__simd_name(level), secs, reps);
}

/* Index insertion (signatures made beforehand, a fresh index each run)
 * and queries of every article against the full index. */
static void time_index(const corpus *c, int reps, results *res)
{
    sheaf_params p;
    sheaf_params_init(&p);
    sheaf_signature *sigs = malloc(c->n * sizeof *sigs);
    if (!sigs)
        exit(1);
    res->shingles = 0;
    for (size_t i = 0; i < c->n; i++) {
        sheaf_sign(&p, c->a[i].text, c->a[i].len, &sigs[i]);
        res->shingles += sigs[i].num_shingles;
    }
    double add[MAX_REPEATS], query[MAX_REPEATS];
    const char *level = bench_level();
    for (int r = 0; r < reps; r++) {
        sheaf_index *idx;
        if (sheaf_index_new(&p, &idx) != SHEAF_OK)
            exit(1);
        char id[32];
        double t0 = now();
        for (size_t i = 0; i < c->n; i++) {
            snprintf(id, sizeof id, "%zu", i);
            sheaf_article a = SHEAF_ARTICLE_INIT;
            a.id = id;
            a.signature = &sigs[i];
            sheaf_index_add(idx, &a, NULL);
        }
        add[r] = now() - t0;
        size_t count, found = 0;
        sheaf_match m[4];
        t0 = now();
        for (size_t i = 0; i < c->n; i++) {
            sheaf_article a = SHEAF_ARTICLE_INIT;
            a.signature = &sigs[i];
            sheaf_index_query(idx, &a, m, 4, &count);
            found += count;
        }
        query[r] = now() - t0;
        if (found == 0)
            printf(" ");
        sheaf_index_free(idx);
    }
    add_row(res, "index: add signature", level, add, reps);
    add_row(res, "index: query signature", level, query, reps);
    free(sigs);
}

/* Story mode's whole path per article: terms, weights, weighted MinHash,
 * candidates and the decision, text in, cluster out (in memory). */
static void time_story(const corpus *c, int reps, results *res)
{
    sheaf_params p;
    sheaf_params_init_mode(&p, SHEAF_MODE_STORY);
    double secs[MAX_REPEATS];
    for (int r = 0; r < reps; r++) {
        sheaf_index *idx;
        if (sheaf_index_new(&p, &idx) != SHEAF_OK)
            exit(1);
        char id[32];
        double t0 = now();
        for (size_t i = 0; i < c->n; i++) {
            snprintf(id, sizeof id, "%zu", i);
            sheaf_article a = SHEAF_ARTICLE_INIT;
            a.id = id;
            a.text = c->a[i].text;
            a.len = c->a[i].len;
            sheaf_index_add(idx, &a, NULL);
        }
        secs[r] = now() - t0;
        sheaf_index_free(idx);
    }
    add_row(res, "story mode: add text", "-", secs, reps);
}

/* ------------------------------------------------------------- reporting */

const char *bench_level(void)
{
    int l = SHEAF__SIMD_LEVELS - 1;
    while (l > 0 && !sheaf__simd_available((sheaf__simd_level)l))
        l--;
    return sheaf__simd_name((sheaf__simd_level)l);
}

/* The CPU's name, family and model, and the SIMD levels it has. */
static void machine(char *cpu, size_t n)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512], name[256] = "unknown CPU", family[32] = "?",
                    model[32] = "?";
    while (f && fgets(line, sizeof line, f)) {
        char *v = strchr(line, ':');
        if (!v)
            continue;
        v += 1 + (v[1] == ' ');
        v[strcspn(v, "\n")] = 0;
        if (!strncmp(line, "model name", 10))
            snprintf(name, sizeof name, "%s", v);
        else if (!strncmp(line, "cpu family", 10))
            snprintf(family, sizeof family, "%s", v);
        else if (!strncmp(line, "model\t", 6))
            snprintf(model, sizeof model, "%s", v);
        else if (!strncmp(line, "processor", 9) && strcmp(v, "0") != 0)
            break;
    }
    if (f)
        fclose(f);
    size_t at = (size_t)snprintf(
        cpu, n, "%s (family %s, model %s), levels:", name, family, model);
    for (int l = 0; l < SHEAF__SIMD_LEVELS && at < n; l++)
        if (sheaf__simd_available((sheaf__simd_level)l))
            at += (size_t)snprintf(cpu + at, n - at, " %s",
                                   sheaf__simd_name((sheaf__simd_level)l));
}

/* The best of a row, by stage and level (the default level when NULL). */
static const row *find_row(const results *res, const char *stage,
                           const char *level)
{
    if (!level)
        level = bench_level();
    for (size_t i = 0; i < res->nrows; i++)
        if (!strcmp(res->rows[i].stage, stage) &&
            !strcmp(res->rows[i].level, level))
            return &res->rows[i];
    return NULL;
}

static double mbs(const results *res, double secs)
{
    return (double)res->bytes / secs / 1e6;
}

/* The rows whose work is per word shingle (the others: per article). */
static int is_sign_or_words(const row *r)
{
    return strncmp(r->stage, "sign", 4) == 0 ||
           strncmp(r->stage, "tokenise", 8) == 0;
}

static void print_table(const results *res)
{
    printf("%-24s %-7s %10s %10s %11s %11s\n", "stage (one thread)", "level",
           "best MB/s", "med. MB/s", "ns/shingle", "articles/s");
    for (size_t i = 0; i < res->nrows; i++) {
        const row *r = &res->rows[i];
        char ns[32] = "-";
        if (is_sign_or_words(r) && res->shingles)
            snprintf(ns, sizeof ns, "%.2f",
                     r->best * 1e9 / (double)res->shingles);
        printf("%-24s %-7s %10.1f %10.1f %11s %11.0f\n", r->stage, r->level,
               mbs(res, r->best), mbs(res, r->median), ns,
               (double)res->articles / r->best);
    }
}

static void print_accuracy(const results *res)
{
    printf("\n%-8s %8s %8s %8s %10s %10s\n", "scheme", "samples", "MAE", "RMSE",
           "MAE J>=.2", "RMSE J>=.2");
    for (int s = 0; s < 2; s++) {
        const accuracy *a = &res->acc[s];
        printf("%-8s %8zu %8.4f %8.4f %10.4f %10.4f\n", a->scheme, a->pairs,
               a->mae, a->rmse, a->mae_near, a->rmse_near);
    }
    printf("oph RMSE / minhash RMSE: %.3f overall, %.3f for J >= 0.2 "
           "(target: within 10%%)\n",
           res->acc[0].rmse / res->acc[1].rmse,
           res->acc[0].rmse_near / res->acc[1].rmse_near);
}

static void print_json(const results *res, const char *input, const char *cpu)
{
    printf("{\"input\": ");
    json_print_string(input);
    printf(", \"articles\": %zu, \"bytes\": %zu, \"shingles\": %llu, \"cpu\": ",
           res->articles, res->bytes, (unsigned long long)res->shingles);
    json_print_string(cpu);
    printf(", \"compiler\": ");
    json_print_string(__VERSION__);
    printf(", \"flags\": ");
    json_print_string(SHEAF_BENCH_CFLAGS);
    printf(", \"default_level\": \"%s\", \"rows\": [",
           bench_level());
    for (size_t i = 0; i < res->nrows; i++) {
        const row *r = &res->rows[i];
        printf("%s\n  {\"stage\": \"%s\", \"level\": \"%s\", \"best_s\": %.6f, "
               "\"median_s\": %.6f, \"best_mb_per_s\": %.2f, "
               "\"median_mb_per_s\": %.2f, \"articles_per_s\": %.1f",
               i ? "," : "", r->stage, r->level, r->best, r->median,
               mbs(res, r->best), mbs(res, r->median),
               (double)res->articles / r->best);
        if (is_sign_or_words(r))
            printf(", \"ns_per_shingle\": %.3f",
                   r->best * 1e9 / (double)res->shingles);
        printf("}");
    }
    printf("]");
    if (res->has_accuracy) {
        printf(", \"accuracy\": [");
        for (int s = 0; s < 2; s++) {
            const accuracy *a = &res->acc[s];
            printf(
                "%s\n  {\"scheme\": \"%s\", \"samples\": %zu, \"mae\": %.5f, "
                "\"rmse\": %.5f, \"near_samples\": %zu, \"mae_near\": %.5f, "
                "\"rmse_near\": %.5f}",
                s ? "," : "", a->scheme, a->pairs, a->mae, a->rmse, a->near,
                a->mae_near, a->rmse_near);
        }
        printf("]");
    }
    if (res->has_e2e)
        printf(", \"e2e\": {\"articles\": %zu, \"input_bytes\": %zu, "
               "\"seconds\": %.6f, "
               "\"mb_per_s\": %.3f, \"peak_rss_bytes\": %zu, "
               "\"index_bytes_per_article\": %.1f}",
               res->e2e.articles, res->e2e.input_bytes, res->e2e.total_s,
               (double)res->e2e.input_bytes / res->e2e.total_s / 1e6,
               res->e2e.peak_rss, res->e2e.index_bytes_per_article);
    printf("}\n");
}

/* The README's section: everything needed to reproduce the figures. */
static void print_markdown(const results *res, const char *input,
                           const char *cpu, const char *command, int reps)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf(
        "Generated by `%s` (`sh bench/readme.sh` regenerates this section;\n"
        "do not edit it by hand). One thread; best and median of %d runs.\n\n",
        command, reps);
    printf("| | |\n| --- | --- |\n");
    printf("| machine | %s; %ld cores |\n", cpu, cores);
#ifdef __clang__
    printf("| compiler | %s |\n", __VERSION__);
#else
    printf("| compiler | gcc %s |\n", __VERSION__);
#endif
    printf("| flags | `%s` (portable: vector code chosen at run time) |\n",
           SHEAF_BENCH_CFLAGS);
    printf("| input | %s: %zu articles, %.1f MB, %llu word 5-shingles |\n",
           input, res->articles, (double)res->bytes / 1e6,
           (unsigned long long)res->shingles);
    printf("| parameters | defaults: word 5-shingles, 128 hashes |\n");
    printf("| level used by default | %s |\n\n",
           bench_level());
    printf("| stage | level | best MB/s | median MB/s | ns/shingle | "
           "articles/s |\n");
    printf("| --- | --- | ---: | ---: | ---: | ---: |\n");
    for (size_t i = 0; i < res->nrows; i++) {
        const row *r = &res->rows[i];
        char ns[32] = "-";
        if (is_sign_or_words(r))
            snprintf(ns, sizeof ns, "%.2f",
                     r->best * 1e9 / (double)res->shingles);
        printf("| %s | %s | %.0f | %.0f | %s | %.0f |\n", r->stage, r->level,
               mbs(res, r->best), mbs(res, r->median), ns,
               (double)res->articles / r->best);
    }
    const row *oph = find_row(res, "sign: oph (default)", NULL);
    const row *kperm = find_row(res, "sign: minhash (k-perm)", NULL);
    if (oph && kperm) {
        double a = mbs(res, oph->best), b = mbs(res, kperm->best);
        printf("\nTargets of issue 4 on the default level: the default scheme "
               "signs at %.0f MB/s (target 1000: %s), classic MinHash at %.0f "
               "MB/s (target 250: %s)",
               a, a >= 1000 ? "met" : "**not met**", b,
               b >= 250 ? "met" : "**not met**");
        if (res->has_accuracy) {
            double ratio = res->acc[0].rmse / res->acc[1].rmse;
            printf("; the default's estimate error is %.2f times classic "
                   "MinHash's (target at most 1.10: %s)",
                   ratio, ratio <= 1.10 ? "met" : "**not met**");
        }
        printf(".\n");
    }
    if (res->has_e2e) {
        const e2e_result *e = &res->e2e;
        printf(
            "\nEnd to end (`sheaf-bench e2e`, the clusterer's path through the "
            "library: read the file, decompressing a .gz, and parse the JSONL, "
            "sign, add to the index, one thread): %.1f MB of JSONL, %zu "
            "articles into %zu clusters in "
            "%.2f s: **%.0f MB/s**, %.0f articles/s; read and parse %.0f%%, "
            "sign %.0f%%, index %.0f%% of the time; peak RSS %.0f MB, the "
            "index growing by %.0f bytes per article.\n",
            (double)e->input_bytes / 1e6, e->articles, e->clusters, e->total_s,
            (double)e->input_bytes / e->total_s / 1e6,
            (double)e->articles / e->total_s, 100 * e->read_s / e->total_s,
            100 * e->sign_s / e->total_s, 100 * e->add_s / e->total_s,
            (double)e->peak_rss / 1e6, e->index_bytes_per_article);
    }
    if (!res->has_accuracy)
        return;
    printf(
        "\nAccuracy of the Jaccard estimate, 128 hashes, over edited copies, "
        "articles of one story and random pairs, each signed with several "
        "seeds (`bench/accuracy.c`):\n\n");
    printf(
        "| scheme | samples | MAE | RMSE | MAE, J >= 0.2 | RMSE, J >= 0.2 |\n");
    printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
    for (int s = 0; s < 2; s++) {
        const accuracy *a = &res->acc[s];
        printf("| %s | %zu | %.4f | %.4f | %.4f | %.4f |\n", a->scheme,
               a->pairs, a->mae, a->rmse, a->mae_near, a->rmse_near);
    }
    printf(
        "\nOPH's RMSE is %.3f times classic MinHash's overall and %.3f times "
        "for pairs of Jaccard 0.2 or more.\n",
        res->acc[0].rmse / res->acc[1].rmse,
        res->acc[0].rmse_near / res->acc[1].rmse_near);
}

/* --------------------------------------------------------------- main */

static int usage(void)
{
    fprintf(stderr, "usage: sheaf-bench [--repeats N] [--seeds N] [--max N] "
                    "[--no-accuracy]\n"
                    "                   [--json | --markdown] [FILE.jsonl[.gz] "
                    "| FILE.txt]\n"
                    "       sheaf-bench e2e [--json] FILE.jsonl[.gz|.zst]\n"
                    "       sheaf-bench gen [--articles N] [--seed S] [--dups "
                    "P] [--length B]\n"
                    "                       [--truth FILE] [--out FILE] "
                    "[SOURCE...]\n");
    return 2;
}

/* With no input at hand, a generated dump in a temporary file. */
static int generated(corpus *c)
{
    char path[] = "/tmp/sheaf-bench-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    char *args[] = {"gen", "--articles", "5000", "--out", path, NULL};
    int rc = gen_main(5, args);
    rc = rc == 0 ? corpus_load(c, path, 0) : -1;
    unlink(path);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "gen"))
        return gen_main(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "e2e"))
        return e2e_main(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "replay"))
        return replay_main(argc - 1, argv + 1);

    int reps = 7, json = 0, markdown = 0, with_accuracy = 1;
    unsigned seeds = 4;
    size_t max = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seeds") && i + 1 < argc)
            seeds = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--max") && i + 1 < argc)
            max = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--no-accuracy"))
            with_accuracy = 0;
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--markdown"))
            markdown = 1;
        else if (argv[i][0] == '-' || path)
            return usage();
        else
            path = argv[i];
    }
    if (reps < 1 || reps > MAX_REPEATS || seeds < 1 || (json && markdown))
        return usage();

    /* The clusterer's path first, over the file itself, so that its
     * memory figures are its own and not the in-memory corpus's. */
    results res = {0};
    const char *file = path ? path : default_input();
    if (file && e2e_run(file, &res.e2e) == 0 && res.e2e.articles)
        res.has_e2e = 1;

    corpus c = {0};
    const char *input = path;
    if (path) {
        if (corpus_load(&c, path, max) != 0) {
            fprintf(stderr, "sheaf-bench: %s: no articles\n", path);
            return 1;
        }
    } else if ((input = default_input()) && corpus_load(&c, input, max) == 0) {
        input = "Multi-News validation text (../shared)";
    } else {
        if (generated(&c) != 0) {
            fprintf(stderr, "sheaf-bench: cannot generate a dump\n");
            return 1;
        }
        input = "generated dump (sheaf-bench gen --articles 5000)";
    }

    res.articles = c.n;
    res.bytes = c.bytes;
    char cpu[256];
    machine(cpu, sizeof cpu);
    if (!json && !markdown)
        fprintf(
            stdout,
            "input: %s: %zu articles, %.1f MB; %s; best and median of %d\n\n",
            input, c.n, (double)c.bytes / 1e6, cpu, reps);

    time_index(&c, reps, &res); /* also counts the shingles */
    time_story(&c, reps, &res);
    results timed = res;
    timed.nrows = 0;
    for (int l = 0; l < SHEAF__SIMD_LEVELS; l++)
        if (sheaf__simd_available((sheaf__simd_level)l))
            time_words(&c, (sheaf__simd_level)l, reps, &timed);
    for (int l = 0; l < SHEAF__SIMD_LEVELS; l++)
        if (sheaf__simd_available((sheaf__simd_level)l))
            time_sign(&c, SHEAF_SCHEME_OPH, (sheaf__simd_level)l, reps, &timed);
    for (int l = 0; l < SHEAF__SIMD_LEVELS; l++)
        if (sheaf__simd_available((sheaf__simd_level)l))
            time_sign(&c, SHEAF_SCHEME_MINHASH, (sheaf__simd_level)l, reps,
                      &timed);
    /* The index rows last, in the table. */
    for (size_t i = 0; i < res.nrows; i++)
        timed.rows[timed.nrows++] = res.rows[i];
    res = timed;

    if (with_accuracy) {
        accuracy_run(&c, seeds, res.acc);
        res.has_accuracy = 1;
    }

    if (json) {
        print_json(&res, input, cpu);
    } else if (markdown) {
        buf cmd = {0};
        for (int i = 0; i < argc; i++) {
            if (i)
                buf_char(&cmd, ' ');
            buf_str(&cmd, i ? argv[i] : "build/sheaf-bench");
        }
        print_markdown(&res, input, cpu, cmd.s, reps);
        free(cmd.s);
    } else {
        print_table(&res);
        if (res.has_e2e)
            printf("\ne2e (read, parse, sign, index; one thread): %.1f MB/s, "
                   "%.0f articles/s, peak RSS %.0f MB\n",
                   (double)res.e2e.input_bytes / res.e2e.total_s / 1e6,
                   (double)res.e2e.articles / res.e2e.total_s,
                   (double)res.e2e.peak_rss / 1e6);
        if (res.has_accuracy)
            print_accuracy(&res);
    }
    corpus_free(&c);
    return 0;
}
