/*
 * sheaf-soak: a stream of adds with expiry through a stored index, the
 * writing process killed (SIGKILL) and resumed every few seconds; at the
 * end, nothing that was reported committed may be missing, nothing may be
 * there twice, and the index must hold exactly what an uninterrupted
 * in-memory run of the same stream holds, each article in the same
 * cluster.
 *
 *   sheaf-soak [--articles N] [--kill-ms MIN MAX] [--seed S] PATH
 *
 * The writer adds in groups of GROUP articles (one commit each) and
 * expires everything two windows behind the newest article before each
 * group; after each commit it reports the group's end to the parent on a
 * pipe. A group that was committed but not reported (killed in between)
 * is found at resume by its first id, and skipped. Prints its figures.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sheaf.h"

#define GROUP 1000
#define WINDOW 600 /* seconds; one article per second */

static void die(const char *what)
{
    fprintf(stderr, "sheaf-soak: %s: %s\n", what, sheaf_errmsg());
    exit(2);
}

static void id_of(uint64_t i, char id[32]) { snprintf(id, 32, "s%llu", (unsigned long long)i); }

static size_t text_of(uint64_t i, char *out, size_t cap)
{
    size_t n = 0;
    for (int k = 0; k < 20; k++)
        n += (size_t)snprintf(out + n, cap - n, "w%llux%d ",
                              (unsigned long long)(i / 3), k);
    return n + (size_t)snprintf(out + n, cap - n, "end%llu",
                                (unsigned long long)i);
}

static int add(sheaf_index *idx, uint64_t i)
{
    char id[32], text[512];
    id_of(i, id);
    sheaf_article a = SHEAF_ARTICLE_INIT;
    a.id = id;
    a.text = text;
    a.len = text_of(i, text, sizeof text);
    a.time = 1600000000 + (int64_t)i;
    return sheaf_index_add(idx, &a, NULL);
}

/* The same expiry at the same points, whoever runs the stream. */
static void expire(sheaf_index *idx, uint64_t i)
{
    if (i >= 2 * WINDOW &&
        sheaf_index_expire(idx, 1600000000 + (int64_t)(i - 2 * WINDOW),
                           NULL) != SHEAF_OK)
        die("expire");
}

static sheaf_params params(void)
{
    sheaf_params p;
    sheaf_params_init(&p);
    p.window = WINDOW;
    return p;
}

/* The writer: from group start on, reporting each committed group. */
static void writer(const char *path, uint64_t start, uint64_t n, int fd)
{
    sheaf_params p = params();
    sheaf_index *idx;
    if (sheaf_index_open(path, &p, 0, &idx) != SHEAF_OK)
        die(path);
    for (uint64_t g = start; g < n; g += GROUP) {
        char id[32];
        const char *cluster;
        id_of(g, id);
        if (sheaf_index_cluster_of(idx, id, &cluster) != SHEAF_OK) {
            if (sheaf_index_begin(idx) != SHEAF_OK)
                die("begin");
            expire(idx, g);
            for (uint64_t i = g; i < g + GROUP && i < n; i++)
                if (add(idx, i) != SHEAF_OK)
                    die("add");
            if (sheaf_index_commit(idx) != SHEAF_OK)
                die("commit");
        } /* else committed by a writer killed before it could report */
        uint64_t done = g + GROUP < n ? g + GROUP : n;
        if (write(fd, &done, sizeof done) != (ssize_t)sizeof done)
            exit(3);
    }
    sheaf_index_free(idx);
    exit(0);
}

typedef struct {
    sheaf_index *ref;
    uint64_t count, bad;
} checker;

static int check_one(void *ctx, const char *id, const char *cluster)
{
    checker *c = ctx;
    const char *want;
    c->count++;
    if (sheaf_index_cluster_of(c->ref, id, &want) != SHEAF_OK ||
        strcmp(want, cluster) != 0)
        c->bad++;
    return 0;
}

static long between(long lo, long hi) { return lo + rand() % (hi - lo + 1); }

int main(int argc, char **argv)
{
    uint64_t n = 1000000;
    long kill_lo = 500, kill_hi = 3000;
    unsigned seed = 1;
    int a = 1;
    for (; a < argc - 1; a++) {
        if (strcmp(argv[a], "--articles") == 0 && a + 1 < argc - 1)
            n = strtoull(argv[++a], NULL, 10);
        else if (strcmp(argv[a], "--kill-ms") == 0 && a + 2 < argc - 1) {
            kill_lo = atol(argv[++a]);
            kill_hi = atol(argv[++a]);
        } else if (strcmp(argv[a], "--seed") == 0 && a + 1 < argc - 1)
            seed = (unsigned)atoi(argv[++a]);
        else
            break;
    }
    if (a != argc - 1 || n == 0 || kill_lo < 1 || kill_hi < kill_lo) {
        fprintf(stderr, "usage: sheaf-soak [--articles N] [--kill-ms MIN MAX] "
                        "[--seed S] PATH (a new file)\n");
        return 2;
    }
    const char *path = argv[a];
    if (access(path, F_OK) == 0) {
        fprintf(stderr, "sheaf-soak: %s exists; give a new path\n", path);
        return 2;
    }
    srand(seed);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t reported = 0, kills = 0, runs = 0;
    while (reported < n) {
        int fds[2];
        if (pipe(fds) != 0)
            return 2;
        runs++;
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            writer(path, reported, n, fds[1]);
        }
        close(fds[1]);
        struct timespec wait = {0, 0};
        long ms = between(kill_lo, kill_hi);
        wait.tv_sec = ms / 1000;
        wait.tv_nsec = (ms % 1000) * 1000000L;
        /* Read reports until the deadline, then kill mid-way. */
        pid_t killer = fork();
        if (killer == 0) {
            nanosleep(&wait, NULL);
            kill(pid, SIGKILL);
            _exit(0);
        }
        uint64_t done;
        while (read(fds[0], &done, sizeof done) == (ssize_t)sizeof done) {
            if (done <= reported || done > n) {
                fprintf(stderr, "sheaf-soak: report %llu after %llu\n",
                        (unsigned long long)done,
                        (unsigned long long)reported);
                return 1;
            }
            reported = done;
        }
        close(fds[0]);
        int status;
        waitpid(pid, &status, 0);
        kill(killer, SIGKILL);
        waitpid(killer, NULL, 0);
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            kills++;
        else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "sheaf-soak: the writer failed (status %d)\n",
                    status);
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);

    /* The uninterrupted run, in memory, and the comparison. */
    sheaf_params p = params();
    checker c = {NULL, 0, 0};
    if (sheaf_index_new(&p, &c.ref) != SHEAF_OK)
        die("new");
    for (uint64_t g = 0; g < n; g += GROUP) {
        expire(c.ref, g);
        for (uint64_t i = g; i < g + GROUP && i < n; i++)
            if (add(c.ref, i) != SHEAF_OK)
                die("reference add");
    }
    int rc = sheaf_index_verify(path, NULL, NULL);
    if (rc == SHEAF_OK)
        rc = sheaf_index_dump(path, check_one, &c);
    size_t live = sheaf_index_size(c.ref);
    double s = (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("sheaf-soak: %llu adds in groups of %d, expiring 2 x %d s behind, "
           "%llu writer runs, %llu killed mid-way, %.1f s; index %s, %llu "
           "articles stored, %zu expected, %llu missing or misplaced\n",
           (unsigned long long)n, GROUP, WINDOW, (unsigned long long)runs,
           (unsigned long long)kills, s,
           rc == SHEAF_OK ? "sound" : sheaf_errmsg(),
           (unsigned long long)c.count, live, (unsigned long long)c.bad);
    sheaf_index_free(c.ref);
    return rc == SHEAF_OK && c.count == live && c.bad == 0 ? 0 : 1;
}
