/*
 * `sheaf cluster` (see cluster.h).
 *
 * The main thread reads batches and submits them to the signing workers,
 * and takes processed batches back in submission order: for each record it
 * reports problems, then adds the signature to the index. Adding in input
 * order is what makes the clusters, and so the output, the same whatever
 * the number of threads; every message is printed at that point too, so
 * their order is the input's as well.
 */
#include "cluster.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "articles.h"
#include "batch.h"
#include "diag.h"
#include "input.h"
#include "outfile.h"
#include "output.h"
#include "pipeline.h"
#include "reader.h"
#include "xalloc.h"

/* Messages about one input file beyond this many are counted, not shown:
 * a file of binary junk would otherwise print one per "line". */
#define MESSAGES_PER_FILE 20
#define SNIPPET_BYTES 72

typedef struct run {
    const options *opt;
    const input_list *inputs;
    jsonl_fields fields;
    sheaf_index *idx;
    articles arts;
    reader rd;
    uint64_t skipped_records;
    uint64_t skipped_files;
    uint64_t warnings;
    int stop;  /* --strict met a problem, or a fatal error */
    int fatal; /* the run cannot finish: exit EXIT_FATAL */
    /* Messages shown and hidden for the file being reported on. */
    uint32_t msg_file;
    uint64_t msg_shown;
    uint64_t msg_hidden;
    char *scratch; /* for ids made up as FILE:LINE */
    size_t scratch_cap;
    double start;
    double last_progress;
} run;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

static void flush_hidden(run *R)
{
    if (R->msg_hidden)
        diag("%s: %llu more problem%s not shown",
             R->inputs->files[R->msg_file].name,
             (unsigned long long)R->msg_hidden, plural(R->msg_hidden));
    R->msg_hidden = 0;
    R->msg_shown = 0;
}

/* Report something about a record, as FILE:LINE: message, within the
 * per-file allowance (see MESSAGES_PER_FILE). */
static void note(run *R, const record *rec, const char *fmt, ...)
    DIAG_PRINTF(3, 4);

static void note(run *R, const record *rec, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    if (rec->file != R->msg_file) {
        flush_hidden(R);
        R->msg_file = rec->file;
    }
    /* A file that cannot be read (further) is always worth saying. */
    int always = rec->kind == RECORD_FAILURE && rec->detail == FAILURE_FILE;
    if (++R->msg_shown > MESSAGES_PER_FILE && !always) {
        R->msg_hidden++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *name = R->inputs->files[rec->file].name;
    if (rec->line)
        diag("%s:%llu: %s", name, (unsigned long long)rec->line, msg);
    else
        diag("%s: %s", name, msg);
}

static void skip(run *R, const record *rec, const char *why)
{
    if (rec->kind == RECORD_FAILURE && rec->detail == FAILURE_FILE) {
        R->skipped_files++;
        note(R, rec, "%s", why);
    } else {
        R->skipped_records++;
        note(R, rec, "%s%s", why,
             rec->kind == RECORD_FAILURE ? "" : "; record skipped");
    }
    if (R->opt->strict)
        R->stop = 1;
}

/* The index knows articles by their ordinal, written in decimal (by hand:
 * snprintf would cost more than the rest of adding an article). */
static void key_of(size_t ordinal, char key[24])
{
    char digits[24];
    size_t n = 0;
    do
        digits[n++] = (char)('0' + ordinal % 10);
    while ((ordinal /= 10) != 0);
    for (size_t i = 0; i < n; i++)
        key[i] = digits[n - 1 - i];
    key[n] = '\0';
}

static size_t ordinal_of(const char *key)
{
    size_t v = 0;
    for (; *key >= '0' && *key <= '9'; key++)
        v = v * 10 + (size_t)(*key - '0');
    return v;
}

static const char *id_problem(const char *id, size_t len, int from_path)
{
    if (len == 0)
        return "the id is an empty string";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)id[i] < 0x20)
            return from_path
                       ? "the file name, its id, has a control character"
                       : "the id has a control character (tab, newline...)";
    return NULL;
}

static void describe_where(const run *R, const article *a, char *buf,
                           size_t cap)
{
    const char *name = R->inputs->files[a->file].name;
    if (a->line)
        snprintf(buf, cap, "%s:%llu", name, (unsigned long long)a->line);
    else
        snprintf(buf, cap, "%s", name);
}

static void add_article(run *R, batch *b, const record *rec,
                        const sheaf_signature *sig)
{
    const input_file *f = &R->inputs->files[rec->file];
    const char *id;
    size_t id_len;
    if (rec->id_type != JSONL_ABSENT) {
        id = b->block + rec->id_off;
        id_len = rec->id_len;
    } else if (rec->kind == RECORD_LINE) {
        size_t need = strlen(f->name) + 24;
        if (R->scratch_cap < need) {
            R->scratch_cap = need;
            R->scratch = xreallocarray(R->scratch, need, 1);
        }
        snprintf(R->scratch, need, "%s:%llu", f->name,
                 (unsigned long long)rec->line);
        id = R->scratch;
        id_len = strlen(id);
    } else {
        id = f->name;
        id_len = strlen(id);
    }
    const char *problem = id_problem(id, id_len, rec->id_type == JSONL_ABSENT);
    if (problem) {
        skip(R, rec, problem);
        return;
    }

    char key[24];
    sheaf_assignment as;
    key_of(R->arts.count, key);
    int rc = sheaf_index_add_signature(R->idx, key, sig, &as);
    if (rc != SHEAF_OK) {
        note(R, rec, "cannot add the article to the index: %s",
             sheaf_strerror(rc));
        R->fatal = R->stop = 1;
        return;
    }
    article a;
    memset(&a, 0, sizeof a);
    a.id = articles_intern(&R->arts, id, id_len);
    a.cluster = ordinal_of(as.cluster);
    a.match = as.match ? ordinal_of(as.match) : NO_MATCH;
    a.similarity = as.similarity;
    a.line = rec->line;
    a.file = rec->file;
    a.id_number = rec->id_type == JSONL_NUMBER;
    if (R->opt->format == FORMAT_GROUPS) {
        char snip[SNIPPET_BYTES + 4];
        size_t n = output_snippet(b->block + rec->text_off, rec->text_len, snip,
                                  sizeof snip);
        a.snippet = articles_intern(&R->arts, snip, n);
    }
    size_t first = articles_add(&R->arts, &a, id_len);

    if (rec->bad_utf8) {
        R->warnings++;
        note(R, rec,
             "warning: the text is not valid UTF-8 (byte %zu); bad bytes "
             "count as U+FFFD",
             rec->at + 1);
    }
    if (first != NO_MATCH) {
        char where[512];
        describe_where(R, &R->arts.v[first], where, sizeof where);
        R->warnings++;
        note(R, rec, "warning: id \"%s\" repeated (first at %s); both kept",
             a.id, where);
    }
}

/* Take a processed batch back: report, then cluster, in input order. */
static void consume(run *R, batch *b)
{
    char why[600];
    for (size_t i = 0; i < b->count && !R->stop; i++) {
        const record *rec = &b->recs[i];
        switch ((record_status)rec->status) {
        case RECORD_OK:
            add_article(R, b, rec, &b->sigs[i]);
            break;
        case RECORD_BLANK:
            break;
        default:
            record_problem(rec, &R->fields, why, sizeof why);
            skip(R, rec, why);
            break;
        }
    }
}

static void progress(run *R)
{
    double t = now();
    if (t - R->last_progress < 0.25)
        return;
    R->last_progress = t;
    double secs = t - R->start, mb = (double)R->rd.bytes / 1e6;
    double rate = secs > 0 ? mb / secs : 0;
    char eta[48] = "";
    uint64_t raw = reader_raw_bytes(&R->rd);
    if (R->inputs->size_known && raw > 0 && raw <= R->inputs->total_size &&
        secs > 1) {
        double left =
            (double)(R->inputs->total_size - raw) * secs / (double)raw;
        snprintf(eta, sizeof eta, ", ETA %d:%02d", (int)(left / 60),
                 (int)left % 60);
    }
    diag_progress("%zu articles, %.1f MB, %.1f MB/s%s", R->arts.count, mb, rate,
                  eta);
}

static void summary(const run *R, const size_t *sizes)
{
    size_t clusters = 0, largest = 0, grouped = 0;
    for (size_t i = 0; i < R->arts.count; i++) {
        if (R->arts.v[i].cluster != i)
            continue;
        clusters++;
        if (sizes[i] > largest)
            largest = sizes[i];
        if (sizes[i] > 1)
            grouped += sizes[i];
    }
    double secs = now() - R->start, mb = (double)R->rd.bytes / 1e6;
    struct rusage ru;
    double peak = 0;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        peak = (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
    diag("%zu article%s, %.1f MB read in %.2f s (%.1f MB/s), peak memory "
         "%.0f MiB",
         R->arts.count, plural(R->arts.count), mb, secs,
         secs > 0 ? mb / secs : 0.0, peak);
    diag("%zu cluster%s, the largest of %zu; %zu article%s in clusters of "
         "two or more",
         clusters, plural(clusters), largest, grouped, plural(grouped));
    diag("skipped %llu record%s and %llu file%s; %llu warning%s",
         (unsigned long long)R->skipped_records, plural(R->skipped_records),
         (unsigned long long)R->skipped_files, plural(R->skipped_files),
         (unsigned long long)R->warnings, plural(R->warnings));
}

/* Read, sign and cluster every input. */
static void cluster_all(run *R, unsigned threads)
{
    work_ctx ctx = {R->fields, sheaf_index_hasher(R->idx)};
    /* Enough batches in flight to keep every worker busy while the main
     * thread reads; each is about a megabyte of input plus signatures. */
    size_t depth = threads > 1 ? 2 * (size_t)threads + 1 : 1;
    pipeline *p = pipeline_new(threads, depth, &ctx);
    /* Batches pending in the pipeline never outnumber those in the pool,
     * so a pool of depth batches cannot overrun it. */
    batch **pool = xcalloc(depth, sizeof *pool);
    batch **spare = xcalloc(depth, sizeof *spare);
    size_t npool = 0, nspare = 0;
    batch *b;
    while (!R->stop) {
        if (nspare) {
            b = spare[--nspare];
        } else if (npool < depth) {
            b = pool[npool++] = batch_new();
        } else {
            b = pipeline_take(p, 1);
            consume(R, b);
            spare[nspare++] = b;
            continue;
        }
        if (!reader_fill(&R->rd, b)) {
            spare[nspare++] = b;
            break;
        }
        pipeline_submit(p, b);
        while (!R->stop && (b = pipeline_take(p, 0)) != NULL) {
            consume(R, b);
            spare[nspare++] = b;
        }
        progress(R);
    }
    while (!R->stop && (b = pipeline_take(p, 1)) != NULL) {
        consume(R, b);
        progress(R);
    }
    flush_hidden(R);
    pipeline_free(p);
    for (size_t i = 0; i < npool; i++)
        batch_free(pool[i]);
    free(pool);
    free(spare);
}

int cluster_run(const options *o)
{
    run R;
    input_list inputs;
    outfile out;
    char *stdin_arg[] = {"-"};
    memset(&R, 0, sizeof R);
    memset(&inputs, 0, sizeof inputs);
    R.opt = o;
    R.inputs = &inputs;
    R.fields = (jsonl_fields){o->id_field, strlen(o->id_field), o->text_field,
                              strlen(o->text_field)};
    R.start = now();
    if (!o->quiet && isatty(STDERR_FILENO))
        diag_progress_enable();

    /* The output first: a typo in -o should not cost a whole run. */
    if (outfile_open(&out, o->output) != 0)
        return EXIT_FATAL;
    R.skipped_files =
        o->ninputs ? input_list_add(&inputs, o->inputs, o->ninputs,
                                    o->input_format, o->strict)
                   : input_list_add(&inputs, stdin_arg, 1, o->input_format, 0);
    if (o->strict && R.skipped_files) {
        diag("stopped at the first problem (--strict); nothing written");
        outfile_discard(&out);
        input_list_free(&inputs);
        return EXIT_SKIPPED;
    }
    int rc = sheaf_index_new(&o->params, &R.idx);
    if (rc != SHEAF_OK) {
        diag("cannot create the index: %s", sheaf_strerror(rc));
        outfile_discard(&out);
        input_list_free(&inputs);
        return EXIT_FATAL;
    }
    articles_init(&R.arts);
    /* With one thread, everything happens on it, decompression too. */
    reader_init(&R.rd, &inputs, o->max_record, o->threads > 1);

    cluster_all(&R, o->threads);
    diag_progress_clear();

    int status;
    if (R.stop) {
        outfile_discard(&out);
        if (!R.fatal)
            diag("stopped at the first problem (--strict); nothing written");
        status = R.fatal ? EXIT_FATAL : EXIT_SKIPPED;
    } else {
        size_t *sizes = xcalloc(R.arts.count + 1, sizeof *sizes);
        for (size_t i = 0; i < R.arts.count; i++)
            sizes[R.arts.v[i].cluster]++;
        output_write(&out, o->format, &R.arts, sizes);
        if (outfile_commit(&out) != 0)
            status = EXIT_FATAL;
        else
            status =
                R.skipped_records || R.skipped_files ? EXIT_SKIPPED : EXIT_OK;
        if (!o->quiet)
            summary(&R, sizes);
        free(sizes);
    }
    reader_free(&R.rd);
    articles_free(&R.arts);
    sheaf_index_free(R.idx);
    input_list_free(&inputs);
    free(R.scratch);
    return status;
}
