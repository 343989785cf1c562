/*
 * `sheaf cluster` (see cluster.h).
 *
 * The main thread reads batches and submits them to the signing workers,
 * and takes processed batches back in submission order: for each record it
 * reports problems, then adds the signature to the index. Adding in input
 * order is what makes the clusters, and so the output, the same whatever
 * the number of threads; every message is printed at that point too, so
 * their order is the input's as well.
 *
 * Keys. The library needs a key per article, unique in the index; with
 * --index it keeps them across runs, so a later run must both avoid the
 * keys of earlier ones and read them back as ids, when an assignment names
 * an earlier article. The key is the user's id when no article has it
 * yet, so other programs using the index see the ids they expect. Two
 * kinds of id need more, written after KEY_SEP, a control character that
 * no id can hold (ids with one are rejected): a string that reads as a
 * number gets "s" (so "4471" comes back as a string, 4471 as a number),
 * and an id already taken (repeated in the input, or already in the
 * index) gets "s" or "n" and the index's size, retried upwards until
 * free. Keys depend only on the order of articles in the index, so a run
 * over A then one over B give the same keys as one over A and B.
 */
#include "cluster.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "articles.h"
#include "batch.h"
#include "diag.h"
#include "input.h"
#include "idcheck.h"
#include "interrupt.h"
#include "outfile.h"
#include "output.h"
#include "pipeline.h"
#include "reader.h"
#include "utf8.h"
#include "xalloc.h"

/* Messages about one input file beyond this many are counted, not shown:
 * a file of binary junk would otherwise print one per "line". */
#define MESSAGES_PER_FILE 20
#define SNIPPET_BYTES 72

/* Articles per group committed to a stored index: a commit syncs the disk,
 * some milliseconds, so one per batch (256 articles) would dominate a run,
 * while this many cost about a second of work to redo. */
#define GROUP_ARTICLES 10000

#define KEY_SEP CLUSTER_KEY_SEP

typedef struct run {
    const options *opt;
    const input_list *inputs;
    record_fields fields;
    sheaf_index *idx;
    int stored; /* idx is the --index, on disk */
    articles arts;
    reader rd;
    size_t added;          /* articles of this run in arts */
    uint64_t skip_left;    /* of --skip-articles, still to read past */
    size_t last_added;     /* position in arts of the last one added */
    size_t committed;      /* articles of this run committed to the index */
    size_t last_committed; /* position in arts of the last one committed */
    size_t in_group;       /* added since the open group began */
    int reserved;          /* the index was told what to expect */
    uint64_t consumed_bytes; /* of the records of batches taken back */
    uint64_t skipped_records;
    uint64_t skipped_files;
    uint64_t warnings;
    int stop;        /* --strict met a problem, a fatal error, a signal */
    int fatal;       /* the run cannot finish: exit EXIT_FATAL */
    int interrupted; /* a signal stopped the run */
    /* Messages shown and hidden for the file being reported on. */
    uint32_t msg_file;
    uint64_t msg_shown;
    uint64_t msg_hidden;
    char *scratch; /* for ids made up as FILE:LINE */
    size_t scratch_cap;
    char *keybuf; /* for keys that are not the id itself */
    size_t keybuf_cap;
    double start;
    double last_progress;
    /* A windowed run (--window with --time-field) expires what has left
     * the window as time advances; with TSV output it writes each line
     * when decided and forgets expired articles (streaming). */
    int64_t window;
    int streaming;
    outfile *out;
    int64_t cut;     /* articles before this are expired */
    int have_cut;
    size_t expired;  /* by this run */
    size_t started;  /* clusters this run started (streaming) */
    size_t joined;   /* articles of this run that joined one */
    size_t largest;  /* the largest cluster size an add reported */
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

/* id, KEY_SEP, then tail: a key that is not the id itself. */
static const char *key_with(run *R, const char *id, size_t id_len,
                            const char *tail)
{
    size_t need = id_len + strlen(tail) + 2;
    if (R->keybuf_cap < need) {
        R->keybuf_cap = need;
        R->keybuf = xreallocarray(R->keybuf, need, 1);
    }
    memcpy(R->keybuf, id, id_len);
    R->keybuf[id_len] = KEY_SEP;
    strcpy(R->keybuf + id_len + 1, tail);
    return R->keybuf;
}

/* The key of an id that no article has yet (id is NUL-terminated). */
static const char *first_key(run *R, const char *id, size_t id_len, int number)
{
    return !number && jsonl_is_number(id, id_len) ? key_with(R, id, id_len, "s")
                                                  : id;
}

/* 4471 and "4471" are one id to the user (the TSV shows both as 4471)
 * but have different first keys: whether the other one is in the index. */
static int other_type_in_index(run *R, const char *id, size_t id_len,
                               int number)
{
    const char *cluster;
    if (!jsonl_is_number(id, id_len))
        return 0;
    const char *other = number ? key_with(R, id, id_len, "s") : id;
    return sheaf_index_cluster_of(R->idx, other, &cluster) == SHEAF_OK;
}

/* The position in arts of the article with key, which an assignment
 * named; an article of an earlier run is entered the first time. cluster:
 * the position of its cluster, NO_MATCH when the key names a cluster. */
static size_t resolve(run *R, const char *key, size_t cluster)
{
    size_t pos = articles_find_key(&R->arts, key);
    if (pos != NO_MATCH)
        return pos;
    const char *sep = strchr(key, KEY_SEP);
    size_t id_len = sep ? (size_t)(sep - key) : strlen(key);
    article a;
    memset(&a, 0, sizeof a);
    a.id = articles_intern(&R->arts, key, id_len);
    a.key = sep ? articles_intern(&R->arts, key, strlen(key)) : a.id;
    a.id_number = (uint8_t)(sep ? sep[1] == 'n' : jsonl_is_number(key, id_len));
    a.earlier = 1;
    a.cluster = cluster;
    a.match = NO_MATCH;
    pos = articles_add(&R->arts, &a, 0);
    if (cluster == NO_MATCH)
        R->arts.v[pos].cluster = pos;
    return pos;
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

/* Make the articles added so far durable; open the next group unless
 * last. A failure is fatal: the library has undone the group. */
static void commit_group(run *R, int last)
{
    int rc = sheaf_index_commit(R->idx);
    if (rc == SHEAF_OK) {
        R->committed = R->added;
        R->last_committed = R->last_added;
        R->in_group = 0;
        if (!last)
            rc = sheaf_index_begin(R->idx);
    }
    if (rc != SHEAF_OK) {
        diag("%s: cannot commit to the index: %s", R->opt->index,
             sheaf_strerror(rc));
        R->fatal = R->stop = 1;
    }
}

/* A streamed TSV line: the id, and the id of the article that named the
 * cluster, which is its key up to KEY_SEP (that article may have left the
 * window and the table). */
static void stream_line(run *R, const article *a, const sheaf_assignment *as)
{
    const char *sep = strchr(as->cluster, KEY_SEP);
    outfile_puts(R->out, a->id);
    outfile_write(R->out, "\t", 1);
    outfile_write(R->out, as->cluster,
                  sep ? (size_t)(sep - as->cluster) : strlen(as->cluster));
    outfile_write(R->out, "\n", 1);
}

/* Expire what the window has left behind as time advances: articles two
 * windows older than the newest, so that one arriving up to a window late
 * still meets everything within the window of it. The cut moves in steps
 * of a quarter window (each expiry walks the index) on a grid fixed by
 * the times alone, so that a run resumed on a stored index expires where
 * one uninterrupted run would, and story mode's statistics, which follow
 * the articles in the index, agree too. */
static void expire_window(run *R)
{
    int64_t newest = sheaf_index_newest_time(R->idx);
    int64_t w = R->window;
    if (!w || w > INT64_MAX / 4 || newest == SHEAF_NO_TIME ||
        newest < INT64_MIN + 2 * w)
        return;
    int64_t step = w / 4 ? w / 4 : 1, cut = newest - 2 * w;
    cut -= (cut % step + step) % step;
    if (R->have_cut && cut <= R->cut)
        return;
    size_t n;
    int rc = sheaf_index_expire(R->idx, cut, &n);
    if (rc != SHEAF_OK) {
        diag("cannot expire articles older than the window: %s",
             sheaf_errmsg());
        R->fatal = R->stop = 1;
        return;
    }
    R->cut = cut;
    R->have_cut = 1;
    R->expired += n;
    if (R->streaming) {
        size_t pin[2] = {R->last_added, R->last_committed};
        articles_keep_since(&R->arts, cut, pin);
        R->last_added = pin[0];
        R->last_committed = pin[1];
    }
}

/* Near mode adds the signature the workers made; story mode needs the
 * text itself (its term statistics learn from the stream in order). */
static int add(run *R, const char *key, const record *rec, const char *text,
               const sheaf_signature *sig, sheaf_assignment *as)
{
    sheaf_article a = SHEAF_ARTICLE_INIT;
    a.id = key;
    a.time = rec->time;
    if (sheaf_index_params(R->idx)->mode == SHEAF_MODE_STORY) {
        a.text = text;
        a.len = rec->text_len;
    } else
        a.signature = sig;
    return sheaf_index_add(R->idx, &a, as);
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
    char why[128];
    const char *problem = id_problem(id, id_len, rec->id_surrogate,
                                     rec->id_type == JSONL_ABSENT, why,
                                     sizeof why);
    if (problem) {
        skip(R, rec, problem);
        return;
    }
    if (R->skip_left) {
        R->skip_left--;
        return;
    }

    int number = rec->id_type == JSONL_NUMBER;
    id = articles_intern(&R->arts, id, id_len);
    size_t first = articles_find_id(&R->arts, id, id_len);
    /* SHEAF_EEXIST while the key is taken: by an article of this run with
     * the id, by the other type's (4471, "4471"), or, as the library says,
     * by an earlier run's. */
    int in_index = 0, rc = SHEAF_EEXIST;
    sheaf_assignment as;
    const char *key = NULL;
    if (first == NO_MATCH && !other_type_in_index(R, id, id_len, number)) {
        key = first_key(R, id, id_len, number);
        rc = add(R, key, rec, b->block + rec->text_off, sig, &as);
    }
    if (rc == SHEAF_EEXIST) {
        in_index = first == NO_MATCH;
        for (uint64_t n = sheaf_index_size(R->idx); rc == SHEAF_EEXIST; n++) {
            char tail[24];
            snprintf(tail, sizeof tail, "%c%llu", number ? 'n' : 's',
                     (unsigned long long)n);
            key = key_with(R, id, id_len, tail);
            rc = add(R, key, rec, b->block + rec->text_off, sig, &as);
        }
    }
    if (rc != SHEAF_OK) {
        note(R, rec, "cannot add the article to the index: %s",
             sheaf_strerror(rc));
        R->fatal = R->stop = 1;
        return;
    }
    article a;
    memset(&a, 0, sizeof a);
    a.id = id;
    a.key = key == id ? id : articles_intern(&R->arts, key, strlen(key));
    a.similarity = as.similarity;
    a.line = rec->line;
    a.file = rec->file;
    /* Document numbers are 32-bit, so a cluster size fits. */
    a.cluster_size = (uint32_t)as.cluster_size;
    a.id_number = (uint8_t)number;
    a.time = rec->time;
    if (R->opt->format == FORMAT_GROUPS) {
        char snip[SNIPPET_BYTES + 4];
        size_t n = output_snippet(b->block + rec->text_off, rec->text_len, snip,
                                  sizeof snip);
        a.snippet = articles_intern(&R->arts, snip, n);
    }
    size_t pos = articles_add(&R->arts, &a, first == NO_MATCH);
    if (R->streaming) {
        stream_line(R, &a, &as);
    } else {
        /* The cluster first: an earlier article entered as the match
         * belongs to it. Most articles start their own, which needs no
         * look-up. */
        size_t cluster = strcmp(as.cluster, a.key) == 0
                             ? pos
                             : resolve(R, as.cluster, NO_MATCH);
        R->arts.v[pos].cluster = cluster;
        R->arts.v[pos].match =
            as.match ? resolve(R, as.match, cluster) : NO_MATCH;
    }
    R->joined += as.match != NULL;
    R->started += strcmp(as.cluster, a.key) == 0;
    if (as.cluster_size > R->largest)
        R->largest = as.cluster_size;
    R->added++;
    R->last_added = pos;

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
        note(R, rec, "warning: id \"%s\" repeated (first at %s); both kept", id,
             where);
    } else if (in_index) {
        R->warnings++;
        note(R, rec,
             R->window ? "warning: id \"%s\" is already in the index (an "
                         "article within the window has it); this article "
                         "is added as another one"
                       : "warning: id \"%s\" is already in the index (an "
                         "earlier run added it); this article is added as "
                         "another one",
             id);
    }
    expire_window(R);
    if (R->stored && !R->opt->strict && ++R->in_group == GROUP_ARTICLES)
        commit_group(R, 0);
}

/* Articles read before the index is told how many to expect. */
#define ARTICLES_BEFORE_RESERVE 2048

/* Once ARTICLES_BEFORE_RESERVE are in, tell the index how many articles
 * to expect, extrapolated from the input consumed so far, so that its band
 * tables do not regrow on the way (sheaf_index_reserve). Only where every
 * input is a regular file, whose sizes say how much is left. The bytes of
 * the records consumed, not those read: reading runs ahead of the
 * clustering by a few batches. Four fifths of the estimate: room asked for
 * and not used is memory lost, and the first articles may be longer than
 * the rest. A failure is harmless: the tables then grow as articles come.
 * Not in a windowed run. */
static void reserve_for_input(run *R)
{
    R->reserved = 1;
    /* A windowed run holds only the window: room for the whole input
     * would be memory that expiry can never give back. */
    if (R->window)
        return;
    uint64_t raw = reader_raw_bytes(&R->rd), total = R->inputs->total_size;
    if (!R->inputs->size_known || raw == 0 || R->rd.bytes == 0)
        return;
    /* Compressed inputs: file bytes per decompressed byte, so far. */
    double done = (double)R->consumed_bytes * (double)raw / (double)R->rd.bytes;
    if (done <= 0 || done >= (double)total)
        return;
    double more = 0.8 * (double)R->added * ((double)total - done) / done;
    if (more >= 1.0 && more < (double)SIZE_MAX / 2)
        (void)sheaf_index_reserve(R->idx,
                                  sheaf_index_size(R->idx) + (size_t)more);
}

/* Take a processed batch back: report, then cluster, in input order. */
static void consume(run *R, batch *b)
{
    char why[600];
    for (size_t i = 0; i < b->count && !R->stop; i++) {
        const record *rec = &b->recs[i];
        R->consumed_bytes += rec->len + 1; /* a line's newline */
        /* Checked per record: the group committed on the way out should
         * hold all that was added before the signal, nothing after. */
        if (interrupt_signal()) {
            R->interrupted = R->stop = 1;
            break;
        }
        switch ((record_status)rec->status) {
        case RECORD_OK:
            add_article(R, b, rec, &b->sigs[i]);
            break;
        case RECORD_BLANK:
            break;
        default:
            record_problem(b, rec, &R->fields, why, sizeof why);
            skip(R, rec, why);
            break;
        }
    }
    if (!R->reserved && R->added >= ARTICLES_BEFORE_RESERVE)
        reserve_for_input(R);
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
    diag_progress("%zu articles, %.1f MB, %.1f MB/s%s", R->added, mb, rate,
                  eta);
}

static void summary(const run *R, const size_t *sizes)
{
    size_t clusters = 0, largest = 0, grouped = 0;
    for (size_t i = 0; !R->streaming && i < R->arts.count; i++) {
        const article *a = &R->arts.v[i];
        if (a->cluster == i) {
            clusters++;
            if (sizes[i] > largest)
                largest = sizes[i];
        }
        if (!a->earlier && sizes[a->cluster] > 1)
            grouped++;
    }
    double secs = now() - R->start, mb = (double)R->rd.bytes / 1e6;
    struct rusage ru;
    double peak = 0;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        peak = (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
    diag("%zu article%s, %.1f MB read in %.2f s (%.1f MB/s), peak memory "
         "%.0f MiB",
         R->added, plural(R->added), mb, secs, secs > 0 ? mb / secs : 0.0,
         peak);
    if (R->streaming)
        diag("%zu cluster%s started, the largest %zu at once; %zu article%s "
             "joined an earlier one; %zu expired",
             R->started, plural(R->started), R->largest, R->joined,
             plural(R->joined), R->expired);
    else
        diag("%zu cluster%s, the largest of %zu; %zu article%s in clusters "
             "of two or more",
             clusters, plural(clusters), largest, grouped, plural(grouped));
    diag("skipped %llu record%s and %llu file%s; %llu warning%s",
         (unsigned long long)R->skipped_records, plural(R->skipped_records),
         (unsigned long long)R->skipped_files, plural(R->skipped_files),
         (unsigned long long)R->warnings, plural(R->warnings));
    if (R->stored) {
        size_t all = sheaf_index_size(R->idx);
        size_t nclusters = sheaf_index_cluster_count(R->idx);
        char skipped[64] = "";
        uint64_t read_past = R->opt->skip_articles - R->skip_left;
        if (read_past)
            snprintf(skipped, sizeof skipped,
                     " (%llu read past with --skip-articles)",
                     (unsigned long long)read_past);
        diag("index %s: %zu article%s added%s, %zu in all, in %zu cluster%s",
             R->opt->index, R->added, plural(R->added), skipped, all, nclusters,
             plural(nclusters));
    }
}

/* Read, sign and cluster every input. */
static void cluster_all(run *R, unsigned threads)
{
    /* Story mode signs nothing in the workers: see add(). */
    work_ctx ctx = {R->fields,
                    sheaf_index_params(R->idx)->mode == SHEAF_MODE_STORY
                        ? NULL
                        : sheaf_index_hasher(R->idx)};
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

/* A threshold as written on the command line: the shortest of %.15g and
 * %.17g that reads back as the same double, so unequal values never print
 * alike. */
static void format_threshold(double t, char *buf, size_t n)
{
    snprintf(buf, n, "%.15g", t);
    if (strtod(buf, NULL) != t)
        snprintf(buf, n, "%.17g", t);
}

static void format_shingle(const sheaf_params *p, char *buf, size_t n)
{
    snprintf(buf, n, "%s:%u",
             p->shingle_kind == SHEAF_SHINGLE_CHAR ? "char" : "word",
             p->shingle_size);
}

/* Report one difference; returns 1, to be counted. */
static int report_difference(const options *o, const char *opt,
                             const char *have, const char *want)
{
    diag("index %s was made with %s %s, not %s", o->index, opt, have, want);
    return 1;
}

/* Report each clustering option given that differs from the parameters
 * of the index (have); returns how many. */
static int differences(const options *o, const sheaf_params *have)
{
    const sheaf_params *want = &o->params;
    char a[64], b[64];
    int n = 0;
    if ((o->given & GIVEN_MODE) && want->mode != have->mode)
        n += report_difference(o, "--mode",
                               have->mode == SHEAF_MODE_STORY ? "story" : "near",
                               want->mode == SHEAF_MODE_STORY ? "story" : "near");
    if ((o->given & GIVEN_THRESHOLD) && want->threshold != have->threshold) {
        format_threshold(have->threshold, a, sizeof a);
        format_threshold(want->threshold, b, sizeof b);
        n += report_difference(o, "--threshold", a, b);
    }
    if ((o->given & GIVEN_SHINGLE) &&
        (want->shingle_kind != have->shingle_kind ||
         want->shingle_size != have->shingle_size)) {
        format_shingle(have, a, sizeof a);
        format_shingle(want, b, sizeof b);
        n += report_difference(o, "--shingle", a, b);
    }
    if ((o->given & GIVEN_HASHES) && want->num_hashes != have->num_hashes) {
        snprintf(a, sizeof a, "%u", have->num_hashes);
        snprintf(b, sizeof b, "%u", want->num_hashes);
        n += report_difference(o, "--hashes", a, b);
    }
    if ((o->given & GIVEN_BANDS) &&
        (want->bands != have->bands || want->rows != have->rows)) {
        snprintf(a, sizeof a, "%u --rows %u", have->bands, have->rows);
        snprintf(b, sizeof b, "%u --rows %u", want->bands, want->rows);
        n += report_difference(o, "--bands", a, b);
    }
    if ((o->given & GIVEN_SEED) && want->seed != have->seed) {
        snprintf(a, sizeof a, "%llu", (unsigned long long)have->seed);
        snprintf(b, sizeof b, "%llu", (unsigned long long)want->seed);
        n += report_difference(o, "--seed", a, b);
    }
    if ((o->given & GIVEN_WINDOW) && want->window != have->window) {
        options_format_duration(have->window, a, sizeof a);
        options_format_duration(want->window, b, sizeof b);
        n += report_difference(o, "--window", a, b);
    }
    return n;
}

/* Why a new index at path could not be made, in the system's words when
 * its directory is the reason: the library says only "input/output
 * error". */
static const char *creation_problem(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrdup(path) : xstrdup(".");
    if (slash)
        dir[slash == path ? 1 : slash - path] = '\0';
    int ok = access(dir, W_OK | X_OK) == 0;
    free(dir);
    return ok ? sheaf_strerror(SHEAF_EIO) : strerror(errno);
}

/* Open the --index (creating it when absent), or make an index in memory.
 * Returns 0, or the exit status after saying why not. */
static int open_index(run *R)
{
    const options *o = R->opt;
    const char *path = o->index;
    int rc;
    if (!path) {
        if ((rc = sheaf_index_new(&o->params, &R->idx)) == SHEAF_OK)
            return 0;
        diag("cannot create the index: %s", sheaf_strerror(rc));
        return EXIT_FATAL;
    }
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        diag("%s: is a directory, not an index", path);
        return EXIT_FATAL;
    }
    /* An existing index keeps its own parameters (NULL takes them), so a
     * later run needs no options to agree with earlier ones; a new one is
     * made with those given, or the defaults. */
    int created = 0;
    rc = sheaf_index_open(path, NULL, 0, &R->idx);
    if (rc == SHEAF_ENOTFOUND) {
        created = 1;
        rc = sheaf_index_open(path, &o->params, 0, &R->idx);
    }
    switch (rc) {
    case SHEAF_OK:
        break;
    case SHEAF_EBUSY:
        diag("%s: the index is in use by another process (it takes one "
             "writer at a time); nothing was read",
             path);
        return EXIT_FATAL;
    case SHEAF_ECORRUPT:
        diag("%s: the index is damaged, or not a sheaf index (%s); nothing "
             "was read or changed",
             path, sheaf_errmsg());
        return EXIT_FATAL;
    case SHEAF_EMISMATCH:
        /* Opening without parameters compares none: the format differs. */
        diag("%s: the index was made by another version of sheaf", path);
        return EXIT_FATAL;
    default:
        if (exists)
            diag("%s: cannot open the index: %s", path, sheaf_strerror(rc));
        else
            diag("%s: cannot create the index: %s", path,
                 creation_problem(path));
        return EXIT_FATAL;
    }
    R->stored = 1;
    const sheaf_params *have = sheaf_index_params(R->idx);
    if (!created && differences(o, have)) {
        diag("an index keeps the parameters it was made with: leave those "
             "options out to use them, or give another --index");
        return EXIT_USAGE;
    }
    if (!o->quiet) {
        size_t n = sheaf_index_size(R->idx);
        if (created)
            diag("index %s: created", path);
        else
            diag("index %s: %zu article%s in %zu cluster%s", path, n, plural(n),
                 sheaf_index_cluster_count(R->idx),
                 plural(sheaf_index_cluster_count(R->idx)));
    }
    if ((rc = sheaf_index_begin(R->idx)) != SHEAF_OK) {
        diag("%s: cannot write to the index: %s", path, sheaf_strerror(rc));
        return EXIT_FATAL;
    }
    return 0;
}

/* How far a stored run got, when it did not finish: the articles it
 * committed are a prefix of its input's, so --skip-articles resumes it. */
static void report_committed(const run *R)
{
    char where[512];
    if (!R->committed) {
        diag("index %s: none of this run's articles were added", R->opt->index);
        return;
    }
    describe_where(R, &R->arts.v[R->last_committed], where, sizeof where);
    diag("index %s: this run added %zu article%s, through %s; resume with "
         "--skip-articles %llu",
         R->opt->index, R->committed, plural(R->committed), where,
         (unsigned long long)(R->opt->skip_articles + R->committed));
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    case SIGHUP:
        return "SIGHUP";
    default:
        return "a signal";
    }
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
    R.fields.json = (jsonl_fields){o->id_field, strlen(o->id_field),
                                   o->text_field, strlen(o->text_field)};
    R.fields.time = o->time_field;
    R.fields.time_len = o->time_field ? strlen(o->time_field) : 0;
    R.skip_left = o->skip_articles;
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
    int status = open_index(&R);
    if (status != 0) {
        sheaf_index_free(R.idx);
        outfile_discard(&out);
        input_list_free(&inputs);
        return status;
    }
    if (sheaf_index_params(R.idx)->window && !o->time_field) {
        char w[32];
        options_format_duration(sheaf_index_params(R.idx)->window, w, sizeof w);
        diag("warning: without --time-field the articles have no time, so "
             "the window (%s) does not apply to them",
             w);
        R.warnings++;
    }
    if (o->time_field)
        R.window = sheaf_index_params(R.idx)->window;
    /* --strict writes all or nothing, so it cannot stream. */
    R.streaming = R.window && o->format == FORMAT_TSV && !o->strict;
    R.out = &out;
    /* Only a stored run has anything to save before it ends. */
    if (R.stored)
        interrupt_catch();
    articles_init(&R.arts);
    /* With one thread, everything happens on it, decompression too. */
    reader_init(&R.rd, &inputs, o->max_record, o->threads > 1);

    cluster_all(&R, o->threads);
    diag_progress_clear();

    /* Interrupted, the run still keeps and writes what it added, unless
     * --strict asked for all or nothing. */
    int keep = !R.fatal && (!R.stop || (R.interrupted && !o->strict));
    if (keep && R.stored)
        commit_group(&R, 1);
    if (R.fatal || !keep) {
        outfile_discard(&out);
        if (R.stored && R.fatal)
            report_committed(&R);
        else if (R.interrupted)
            diag("interrupted by %s: nothing written%s (--strict)",
                 signal_name(interrupt_signal()),
                 R.stored ? " or added to the index" : "");
        else
            diag("stopped at the first problem (--strict); nothing written%s",
                 R.stored ? " or added to the index" : "");
        status = R.fatal ? EXIT_FATAL : EXIT_SKIPPED;
    } else {
        size_t *sizes = xcalloc(R.arts.count + 1, sizeof *sizes);
        for (size_t i = 0; i < R.arts.count; i++) {
            const article *a = &R.arts.v[i];
            if (!a->earlier && a->cluster_size > sizes[a->cluster])
                sizes[a->cluster] = a->cluster_size;
        }
        if (!R.streaming)
            output_write(&out, o->format, &R.arts, sizes);
        if (outfile_commit(&out) != 0) {
            status = EXIT_FATAL;
            if (R.stored && R.added)
                diag("index %s: this run's %zu article%s stay in the index, "
                     "but their lines are lost",
                     o->index, R.added, plural(R.added));
        } else {
            status =
                R.skipped_records || R.skipped_files ? EXIT_SKIPPED : EXIT_OK;
        }
        if (!o->quiet)
            summary(&R, sizes);
        free(sizes);
        if (R.skip_left && !R.interrupted)
            diag("warning: --skip-articles %llu, but the input had only %llu "
                 "articles",
                 (unsigned long long)o->skip_articles,
                 (unsigned long long)(o->skip_articles - R.skip_left));
        if (R.interrupted && !R.added) {
            diag("interrupted by %s before adding an article",
                 signal_name(interrupt_signal()));
        } else if (R.interrupted) {
            char where[512];
            describe_where(&R, &R.arts.v[R.last_added], where, sizeof where);
            diag("interrupted by %s after %zu article%s (through %s): they "
                 "are in the index and written; resume with --skip-articles "
                 "%llu",
                 signal_name(interrupt_signal()), R.added, plural(R.added),
                 where, (unsigned long long)(o->skip_articles + R.added));
        }
    }
    reader_free(&R.rd);
    articles_free(&R.arts);
    sheaf_index_free(R.idx);
    input_list_free(&inputs);
    free(R.scratch);
    free(R.keybuf);
    if (R.interrupted)
        interrupt_reraise();
    return status;
}
