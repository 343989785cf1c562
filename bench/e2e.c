/*
 * sheaf-bench e2e: the clusterer's path over a JSONL dump, one thread,
 * through the library's API: read the file a block at a time, split it
 * into lines, take each line's "id" and "text" with the clusterer's own
 * parser (examples/cluster/jsonl.c), sign the text with the index's
 * hasher, add the signature to the index (which assigns the article its
 * cluster). The texts are not kept, so the resident memory that grows is
 * the index's.
 *
 *   sheaf-bench e2e [--json] FILE.jsonl[.gz|.zst]
 *
 * An input it reads no article from is refused (status 1).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "source.h"
#include "jsonl.h"
#include "sheaf.h"
#include "common/simd.h"

#define BLOCK ((size_t)1 << 20)

/* As the clusterer does (examples/cluster/cluster.c, reserve_for_input):
 * once RESERVE_AFTER articles are in, the index is told to expect four
 * fifths of what the rest of the file holds at that rate, judged by the
 * bytes of the lines taken, not those read ahead. */
#define RESERVE_AFTER 2048

static void reserve_rest(sheaf_index *idx, const source *f, uint64_t file_size,
                         uint64_t unpacked, const e2e_result *res)
{
    uint64_t raw = source_raw_bytes(f); /* bytes of the file read so far */
    if (raw == 0 || !unpacked)
        return;
    /* Compressed files: file bytes per decompressed byte, so far. */
    double done = (double)res->input_bytes * (double)raw / (double)unpacked;
    if (done <= 0 || done >= (double)file_size)
        return;
    double more = 0.8 * (double)res->articles *
                  ((double)file_size - done) / done;
    if (more < (double)SIZE_MAX / 2)
        (void)sheaf_index_reserve(idx, res->articles + (size_t)more);
}

/* One line: parsed, signed and added, each stage's time to its total. */
static void one_line(sheaf_index *idx, char *line, size_t len, buf *id,
                     e2e_result *res, double *t)
{
    static const jsonl_fields fields = {"id", 2, "text", 4};
    static sheaf_signature sig;
    jsonl_result r;
    res->input_bytes += len + 1;
    int ok = jsonl_parse(&fields, line, len, &r) == JSONL_OK &&
             r.text.type == JSONL_STRING;
    id->n = 0;
    if (ok && r.id.type == JSONL_STRING && r.id.len &&
        !memchr(line + r.id.off, 0, r.id.len)) {
        buf_add(id, line + r.id.off, r.id.len);
    } else {
        char num[32];
        snprintf(num, sizeof num, "line-%zu", res->articles + res->skipped + 1);
        buf_str(id, num);
    }
    double t1 = now();
    res->read_s += t1 - *t;
    *t = t1;
    if (!ok) {
        res->skipped++;
        return;
    }
    sheaf_hasher_sign(sheaf_index_hasher(idx), line + r.text.off, r.text.len,
                      &sig);
    t1 = now();
    res->sign_s += t1 - *t;
    *t = t1;
    sheaf_article a = SHEAF_ARTICLE_INIT;
    a.id = id->s;
    a.signature = &sig;
    if (sheaf_index_add(idx, &a, NULL) == SHEAF_OK)
        res->articles++;
    else
        res->skipped++;
    res->text_bytes += r.text.len;
    t1 = now();
    res->add_s += t1 - *t;
    *t = t1;
}

int e2e_run(const char *path, e2e_result *res)
{
    struct stat st;
    uint64_t file_size =
        stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    int reserved = 0;
    source f;
    if (source_open(&f, path) != 0)
        return -1;

    sheaf_params p;
    sheaf_params_init(&p);
    sheaf_index *idx;
    if (sheaf_index_new(&p, &idx) != SHEAF_OK) {
        source_close(&f);
        return -1;
    }
    size_t cap = BLOCK, have = 0;
    uint64_t unpacked = 0;
    char *block = malloc(cap);
    buf id = {0};
    if (!block) {
        sheaf_index_free(idx);
        source_close(&f);
        return -1;
    }
    int failed = 0;
    *res = (e2e_result){0};
    size_t rss_before = current_rss();
    double t0 = now(), t = t0;

    for (;;) {
        if (have == cap) { /* a line longer than the block */
            char *bigger = realloc(block, cap * 2);
            if (!bigger)
                break;
            block = bigger;
            cap *= 2;
        }
        long got = source_read(&f, block + have, cap - have);
        failed = got < 0;
        if (got <= 0) {
            if (have) /* the last line, without its newline */
                one_line(idx, block, have, &id, res, &t);
            break;
        }
        have += (size_t)got;
        unpacked += (uint64_t)got;
        char *line = block, *end = block + have, *nl;
        while ((nl = memchr(line, '\n', (size_t)(end - line))) != NULL) {
            one_line(idx, line, (size_t)(nl - line), &id, res, &t);
            if (res->articles == RESERVE_AFTER && !reserved) {
                reserve_rest(idx, &f, file_size, unpacked, res);
                reserved = 1;
            }
            line = nl + 1;
        }
        have = (size_t)(end - line);
        memmove(block, line, have);
    }
    res->total_s = now() - t0;
    size_t rss_after = current_rss();
    res->peak_rss = peak_rss();
    res->clusters = sheaf_index_cluster_count(idx);
    res->index_bytes_per_article =
        res->articles && rss_after > rss_before
            ? (double)(rss_after - rss_before) / (double)res->articles
            : 0;
    sheaf_index_free(idx);
    source_close(&f);
    free(block);
    free(id.s);
    return failed ? -1 : 0;
}

int e2e_main(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else
            path = NULL, i = argc;
    }
    if (!path) {
        fprintf(stderr, "usage: sheaf-bench e2e [--json] FILE.jsonl[.gz|.zst]\n");
        return 2;
    }
    e2e_result r;
    if (e2e_run(path, &r) != 0) {
        fprintf(stderr, "sheaf-bench: %s: cannot read it (or damaged, or no index)\n",
                path);
        return 1;
    }
    if (r.articles == 0) {
        fprintf(stderr, "sheaf-bench: %s: no article read (%zu lines skipped): "
                "not JSONL with \"id\" and \"text\"?\n", path, r.skipped);
        return 1;
    }
    const char *level = bench_level();
    if (json) {
        printf("{\"file\": ");
        json_print_string(path);
        printf(
            ", \"level\": \"%s\", \"articles\": %zu, \"skipped\": %zu, "
            "\"clusters\": %zu, \"input_bytes\": %zu, \"text_bytes\": %zu, "
            "\"seconds\": %.6f, \"mb_per_s\": %.3f, \"articles_per_s\": %.1f, "
            "\"peak_rss_bytes\": %zu, \"index_bytes_per_article\": %.1f, "
            "\"seconds_read_parse\": %.6f, \"seconds_sign\": %.6f, "
            "\"seconds_index_add\": %.6f}\n",
            level, r.articles, r.skipped, r.clusters, r.input_bytes,
            r.text_bytes, r.total_s, (double)r.input_bytes / r.total_s / 1e6,
            (double)r.articles / r.total_s, r.peak_rss,
            r.index_bytes_per_article, r.read_s, r.sign_s, r.add_s);
        return 0;
    }
    printf("e2e: %s (%s, one thread, default parameters)\n", path, level);
    printf("  %zu articles (%zu skipped) into %zu clusters\n", r.articles,
           r.skipped, r.clusters);
    printf("  %.1f MB of JSONL (%.1f MB of text) in %.3f s: %.1f MB/s, "
           "%.0f articles/s\n",
           (double)r.input_bytes / 1e6, (double)r.text_bytes / 1e6, r.total_s,
           (double)r.input_bytes / r.total_s / 1e6,
           (double)r.articles / r.total_s);
    printf("  peak RSS %.1f MB; the index grew by %.0f bytes per article\n",
           (double)r.peak_rss / 1e6, r.index_bytes_per_article);
    printf("  time: read+parse %.1f%%, sign %.1f%%, index add %.1f%%\n",
           100 * r.read_s / r.total_s, 100 * r.sign_s / r.total_s,
           100 * r.add_s / r.total_s);
    return 0;
}
