/*
 * sheaf-mpi: `sheaf cluster` spread over the ranks of an MPI job, printing
 * exactly what `sheaf cluster` prints for the same options and input.
 *
 *   mpirun -np N sheaf-mpi cluster [cluster options] FILE...
 *
 * The phases, each a collective step: every rank reads the input and
 * parses and signs its own batches (share.c); near mode then decides every
 * article's match across the ranks (near.c); rank 0 gathers the decisions
 * in input order, decides story mode, and writes (gather.c). The design,
 * its costs and what serialises are in the README's section on MPI.
 */
#include <fcntl.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "comm.h"
#include "diag.h"
#include "gather.h"
#include "input.h"
#include "near.h"
#include "options.h"
#include "outfile.h"
#include "share.h"
#include "xalloc.h"

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

/* Standard output and error closed to all but rank 0 (on) and back
 * (off), so that what every rank does alike (parse the options, list the
 * inputs) is said once. */
static void hush_stream(const world *w, int stream, int on)
{
    static int saved[3] = {-1, -1, -1};
    if (w->rank == 0)
        return;
    fflush(stream == 1 ? stdout : stderr);
    if (on) {
        saved[stream] = dup(stream);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, stream);
            close(null);
        }
    } else if (saved[stream] >= 0) {
        dup2(saved[stream], stream);
        close(saved[stream]);
        saved[stream] = -1;
    }
}

static void hush(const world *w, int on)
{
    hush_stream(w, 1, on);
    hush_stream(w, 2, on);
}

/* What sheaf-mpi does not do (yet), each said once by rank 0. */
static int unsupported(const world *w, const options *o)
{
    const char *why = NULL;
    if (o->index)
        why = "--index: a stored index is one process's (LMDB takes one "
              "writer); cluster in memory, or use sheaf cluster";
    else if (o->skip_articles)
        why = "--skip-articles resumes a stored index, which sheaf-mpi does "
              "not keep";
    else if (o->params.window)
        why = "--window: windowed runs are not spread over ranks yet; use "
              "sheaf cluster";
    else if (!o->ninputs)
        why = "standard input reaches rank 0 only: name the input files";
    for (size_t i = 0; !why && i < o->ninputs; i++)
        if (strcmp(o->inputs[i], "-") == 0)
            why = "standard input ('-') reaches rank 0 only: name the input "
                  "files";
    if (why && w->rank == 0)
        diag("%s", why);
    return why != NULL;
}

/* --strict: the first problem of all ranks, said by its rank; nothing is
 * written. Returns whether there was one. Collective. */
static int strict_stop(const share *s, const world *w)
{
    uint64_t first;
    MPI_Allreduce(&s->problem_at, &first, 1, MPI_UINT64_T, MPI_MIN,
                  MPI_COMM_WORLD);
    if (first == UINT64_MAX)
        return 0;
    if (s->problem_at == first)
        diag("%s", s->problem);
    fflush(stderr);
    MPI_Barrier(MPI_COMM_WORLD);
    if (w->rank == 0)
        diag("stopped at the first problem (--strict); nothing written");
    return 1;
}

static double peak_mib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0
                                            : 0.0;
}

/* The summary of sheaf cluster, and what the ranks cost. Collective. */
static void summary(const share *s, const world *w, const gathered *g,
                    const near_stats *st, const double *t)
{
    uint64_t v[6] = {s->skipped_records, s->skipped_files, s->warnings,
                     w->messages, w->bytes, st->index_bytes};
    uint64_t sum[6], most[2] = {st->index_bytes, (uint64_t)(peak_mib() * 1024)};
    uint64_t top[2];
    MPI_Reduce(v, sum, 6, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Reduce(most, top, 2, MPI_UINT64_T, MPI_MAX, 0, MPI_COMM_WORLD);
    if (w->rank != 0)
        return;
    double secs = now() - t[0], mb = (double)s->bytes / 1e6;
    diag("%zu article%s, %.1f MB read in %.2f s (%.1f MB/s) on %d rank%s",
         g->articles, plural(g->articles), mb, secs, secs > 0 ? mb / secs : 0.0,
         w->size, plural((uint64_t)w->size));
    diag("%zu cluster%s, the largest of %zu; %zu article%s in clusters of two "
         "or more",
         g->clusters, plural(g->clusters), g->largest, g->grouped,
         plural(g->grouped));
    diag("skipped %llu record%s and %llu file%s; %llu warning%s",
         (unsigned long long)sum[0], plural(sum[0]), (unsigned long long)sum[1],
         plural(sum[1]), (unsigned long long)sum[2], plural(sum[2]));
    diag("ranks: %llu messages, %.1f MB sent between them; index data %.1f "
         "MB in all, at most %.1f MB on one rank; peak memory of a rank %.0f "
         "MiB",
         (unsigned long long)sum[3], (double)sum[4] / 1e6,
         (double)sum[5] / 1e6, (double)top[0] / 1e6, (double)top[1] / 1024.0);
    diag("rank 0's time: %.2f s reading and signing, %.2f s matching, %.2f s "
         "gathering and writing",
         t[1] - t[0], t[2] - t[1], t[3] - t[2]);
}

static int run(world *w, const options *o)
{
    double t[4] = {now(), 0, 0, 0};
    input_list inputs;
    outfile out;
    memset(&inputs, 0, sizeof inputs);
    memset(&out, 0, sizeof out);
    if (unsupported(w, o))
        return EXIT_USAGE;
    int bad = w->rank == 0 && outfile_open(&out, o->output) != 0;
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (bad)
        return EXIT_FATAL;
    hush(w, 1);
    uint64_t skipped_files =
        input_list_add(&inputs, o->inputs, o->ninputs, o->input_format, o->strict);
    hush(w, 0);
    if (o->strict && skipped_files) {
        if (w->rank == 0) {
            diag("stopped at the first problem (--strict); nothing written");
            outfile_discard(&out);
        }
        input_list_free(&inputs);
        return EXIT_SKIPPED;
    }
    int story_mode = o->params.mode == SHEAF_MODE_STORY;
    sheaf_hasher *hasher = NULL;
    sheaf_index *story = NULL;
    if (!story_mode) {
        hasher = xmalloc(sizeof *hasher);
        if (sheaf_hasher_init(hasher, &o->params) != SHEAF_OK)
            die_all(EXIT_FATAL, "%s", sheaf_errmsg());
    } else if (w->rank == 0 && sheaf_index_new(&o->params, &story) != SHEAF_OK) {
        die_all(EXIT_FATAL, "cannot create the index: %s", sheaf_errmsg());
    }
    share s;
    share_read(&s, w, o, &inputs, hasher);
    s.skipped_files += w->rank == 0 ? skipped_files : 0;
    t[1] = now();
    int status;
    if (o->strict && strict_stop(&s, w)) {
        if (w->rank == 0)
            outfile_discard(&out);
        status = EXIT_SKIPPED;
    } else {
        near_stats st;
        memset(&st, 0, sizeof st);
        if (!story_mode)
            near_decide(&s, w, &o->params, &st);
        t[2] = now();
        gathered g;
        gather_write(&s, w, o, story, &out, &g);
        t[3] = now();
        share_flush_hidden(&s);
        uint64_t skipped = sum_all(s.skipped_records + s.skipped_files);
        status = skipped ? EXIT_SKIPPED : EXIT_OK;
        if (w->rank == 0) {
            if (g.fatal) {
                outfile_discard(&out);
                status = EXIT_FATAL;
            } else if (outfile_commit(&out) != 0) {
                status = EXIT_FATAL;
            }
        }
        fflush(stderr);
        if (!o->quiet)
            summary(&s, w, &g, &st, t);
        MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    }
    share_free(&s);
    sheaf_index_free(story);
    free(hasher);
    input_list_free(&inputs);
    return status;
}

static void usage(const world *w)
{
    if (w->rank == 0)
        fputs("Usage: mpirun -np N sheaf-mpi cluster [OPTION]... FILE...\n"
              "Cluster like 'sheaf cluster', spread over the ranks of an MPI "
              "job;\n'sheaf cluster --help' lists the options.\n",
              stderr);
}

int main(int argc, char **argv)
{
    world w;
    memset(&w, 0, sizeof w);
    /* One write per message line: mpirun forwards each rank's output as
     * it reads it, so pieces of lines from two ranks would interleave. */
    static char errbuf[4096];
    setvbuf(stderr, errbuf, _IOLBF, sizeof errbuf);
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &w.size);
    int status;
    if (argc < 2 || strcmp(argv[1], "cluster") != 0) {
        usage(&w);
        status = EXIT_USAGE;
    } else {
        options o;
        hush(&w, 1);
        int rc = options_parse(&o, argc - 1, argv + 1);
        if (rc == OPTIONS_DONE && w.rank == 0 && fflush(stdout) != 0)
            rc = OPTIONS_BAD;
        hush(&w, 0);
        status = rc == 0 ? run(&w, &o) : rc == OPTIONS_DONE ? EXIT_OK
                                                            : EXIT_USAGE;
    }
    fflush(stdout);
    fflush(stderr);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    /* Every rank knows the status; rank 0 alone returns it. mpirun ends
     * the job when a rank exits non-zero, and the other ranks' last
     * messages could be lost on the way if they did so too. */
    return w.rank == 0 ? status : EXIT_OK;
}
