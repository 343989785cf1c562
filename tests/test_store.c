/*
 * The backend index: stored indexes (LMDB) that survive restarts and
 * kill -9, groups, parameter and damage checks, the writer lock, publication
 * times with a window and expiry, and many threads at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "sheaf.h"
#include "testutil.h"

/* ------------------------------------------------------------ corpus */

typedef struct corpus {
    char **text;
    size_t n;
} corpus;

/* n articles in families of up to four lightly edited copies. */
static corpus make_corpus(uint64_t seed, size_t n)
{
    rng r = {seed};
    corpus c = {calloc(n, sizeof(char *)), n};
    size_t i = 0;
    while (i < n) {
        uint32_t base[200];
        size_t nw = 60 + rng_below(&r, 140);
        for (size_t w = 0; w < nw; w++)
            base[w] = zipf_rank(&r, 8000);
        size_t copies = 1 + rng_below(&r, 4);
        for (size_t k = 0; k < copies && i < n; k++, i++) {
            buf out = {0};
            char w[16];
            for (size_t j = 0; j < nw; j++) {
                word_for_rank(k && rng_unit(&r) < 0.03 ? zipf_rank(&r, 8000)
                                                        : base[j],
                              w);
                buf_str(&out, w);
                buf_str(&out, " ");
            }
            c.text[i] = out.s;
        }
    }
    /* Shuffle so that copies arrive apart. */
    for (size_t k = n; k > 1; k--) {
        size_t j = rng_below(&r, (uint32_t)k);
        char *t = c.text[k - 1];
        c.text[k - 1] = c.text[j];
        c.text[j] = t;
    }
    return c;
}

static void free_corpus(corpus *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->text[i]);
    free(c->text);
}

static void id_of(size_t i, char out[32]) { snprintf(out, 32, "a%zu", i); }

static char tmpdir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sheaf-store-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_of(const char *name, char out[300])
{
    snprintf(out, 300, "%s/%s", tmpdir, name);
}

/* Both indexes put articles a0 .. a<upto-1> in the same clusters. */
static void expect_same_clusters(sheaf_index *a, sheaf_index *b, size_t upto)
{
    for (size_t i = 0; i < upto; i++) {
        char id[32];
        id_of(i, id);
        const char *ca, *cb;
        int ra = sheaf_index_cluster_of(a, id, &ca);
        int rb = sheaf_index_cluster_of(b, id, &cb);
        assert_int_equal(ra, rb);
        if (ra == SHEAF_OK)
            assert_string_equal(ca, cb);
    }
}

/* ------------------------------------------------------------- tests */

/* Close and reopen between every step: the reopened index goes on exactly
 * as one that never stopped, removals included. */
static void reopen_continues_exactly(void **state)
{
    (void)state;
    char path[300];
    path_of("reopen.sheaf", path);
    corpus c = make_corpus(1, 400);
    sheaf_params p;
    sheaf_params_init(&p);
    sheaf_index *mem, *disk;
    assert_int_equal(sheaf_index_new(&p, &mem), SHEAF_OK);
    assert_int_equal(sheaf_index_open(path, &p, 0, &disk), SHEAF_OK);
    size_t joined = 0;
    for (size_t i = 0; i < c.n; i++) {
        char id[32];
        id_of(i, id);
        sheaf_assignment am, ad;
        size_t len = strlen(c.text[i]);
        assert_int_equal(t_add(mem, id, c.text[i], len, &am), SHEAF_OK);
        assert_int_equal(t_add(disk, id, c.text[i], len, &ad), SHEAF_OK);
        assert_string_equal(am.cluster, ad.cluster);
        assert_true(am.similarity == ad.similarity);
        joined += am.match != NULL;
        if (i % 7 == 3) { /* remove an earlier one, sometimes a namer */
            char old[32];
            id_of(i / 2, old);
            int rm = sheaf_index_remove(mem, old);
            assert_int_equal(sheaf_index_remove(disk, old), rm);
        }
        if (i % 50 == 49) {
            sheaf_index_free(disk);
            assert_int_equal(sheaf_index_open(path, NULL, 0, &disk), SHEAF_OK);
            assert_int_equal(sheaf_index_size(disk), sheaf_index_size(mem));
            assert_int_equal(sheaf_index_cluster_count(disk),
                             sheaf_index_cluster_count(mem));
            expect_same_clusters(mem, disk, i + 1);
        }
    }
    assert_true(joined > 50);
    /* Members in order of addition survive too. */
    const char *name;
    char id[32];
    id_of(c.n - 1, id);
    assert_int_equal(sheaf_index_cluster_of(mem, id, &name), SHEAF_OK);
    const char *m1[64], *m2[64];
    size_t n1, n2;
    assert_int_equal(sheaf_index_cluster_members(mem, name, m1, 64, &n1), SHEAF_OK);
    assert_int_equal(sheaf_index_cluster_members(disk, name, m2, 64, &n2), SHEAF_OK);
    assert_int_equal(n1, n2);
    for (size_t i = 0; i < n1 && i < 64; i++)
        assert_string_equal(m1[i], m2[i]);
    sheaf_index_free(mem);
    sheaf_index_free(disk);
    free_corpus(&c);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    *data = malloc(*len);
    assert_int_equal(fread(*data, 1, *len, f), *len);
    fclose(f);
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void open_errors(void **state)
{
    (void)state;
    char path[300], missing[300], junk[300];
    path_of("params.sheaf", path);
    path_of("missing.sheaf", missing);
    path_of("junk.sheaf", junk);
    sheaf_params p;
    sheaf_params_init(&p);
    sheaf_index *idx;

    /* Absent and read-only, or absent without parameters: not found, and
     * no file is left behind. */
    assert_int_equal(sheaf_index_open(missing, &p, SHEAF_OPEN_READONLY, &idx),
                     SHEAF_ENOTFOUND);
    assert_int_equal(sheaf_index_open(missing, NULL, 0, &idx), SHEAF_ENOTFOUND);
    assert_int_equal(file_size(missing), -1);
    assert_int_equal(sheaf_index_open(NULL, &p, 0, &idx), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_open(path, &p, 0x80, &idx), SHEAF_EINVAL);
    p.num_hashes = 0;
    assert_int_equal(sheaf_index_open(path, &p, 0, &idx), SHEAF_EINVAL);
    sheaf_params_init(&p);

    assert_int_equal(sheaf_index_open(path, &p, 0, &idx), SHEAF_OK);
    assert_int_equal(t_add(idx, "x", "some words of a text here", 25, NULL),
                     SHEAF_OK);
    sheaf_index_free(idx);

    /* Other parameters: a clear error, and the file is unchanged. */
    char *before, *after;
    size_t lb, la;
    read_file(path, &before, &lb);
    sheaf_params q = p;
    q.threshold = 0.8;
    assert_int_equal(sheaf_index_open(path, &q, 0, &idx), SHEAF_EMISMATCH);
    q = p;
    q.seed = 7;
    assert_int_equal(sheaf_index_open(path, &q, 0, &idx), SHEAF_EMISMATCH);
    q = p;
    q.window = 3600;
    assert_int_equal(sheaf_index_open(path, &q, SHEAF_OPEN_READONLY, &idx),
                     SHEAF_EMISMATCH);
    read_file(path, &after, &la);
    assert_int_equal(la, lb);
    assert_memory_equal(before, after, la);
    free(after);

    /* The same parameters, spelt with the bands chosen: fine. */
    assert_int_equal(sheaf_index_open(path, &p, 0, &idx), SHEAF_OK);
    q = *sheaf_index_params(idx);
    sheaf_index_free(idx);
    assert_int_equal(sheaf_index_open(path, &q, 0, &idx), SHEAF_OK);
    assert_int_equal(sheaf_index_size(idx), 1);
    sheaf_index_free(idx);

    /* Not a sheaf index at all: refused, and no lock file left beside. */
    write_file(junk, "this is not an index, just some bytes\n", 38);
    assert_int_equal(sheaf_index_open(junk, &p, 0, &idx), SHEAF_ECORRUPT);
    char junk_lock[310];
    snprintf(junk_lock, sizeof junk_lock, "%s-lock", junk);
    assert_int_equal(file_size(junk_lock), -1);
    assert_int_equal(sheaf_index_open(junk, NULL, SHEAF_OPEN_READONLY, &idx),
                     SHEAF_ECORRUPT);

    /* Damage the stored article: the checksum finds it, whatever byte is
     * hit, and the open changes nothing. */
    size_t hits = 0;
    for (size_t i = 0; i + 1 < lb; i++) {
        /* The record holds the id "x" right before the cluster name "x". */
        if (before[i] == 'x' && before[i + 1] == 'x') {
            char *bad = malloc(lb);
            memcpy(bad, before, lb);
            bad[i] = 'y';
            write_file(path, bad, lb);
            assert_int_equal(sheaf_index_open(path, NULL, 0, &idx), SHEAF_ECORRUPT);
            free(bad);
            hits++;
        }
    }
    assert_true(hits >= 1);
    free(before);
}

static void groups(void **state)
{
    (void)state;
    char path[300];
    path_of("groups.sheaf", path);
    corpus c = make_corpus(2, 60);
    sheaf_params p;
    sheaf_params_init(&p);
    sheaf_index *idx;
    assert_int_equal(sheaf_index_open(path, &p, 0, &idx), SHEAF_OK);
    assert_int_equal(sheaf_index_commit(idx), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_rollback(idx), SHEAF_EINVAL);

    assert_int_equal(sheaf_index_begin(idx), SHEAF_OK);
    assert_int_equal(sheaf_index_begin(idx), SHEAF_EINVAL);
    for (size_t i = 0; i < 20; i++) {
        char id[32];
        id_of(i, id);
        assert_int_equal(t_add(idx, id, c.text[i], strlen(c.text[i]), NULL),
                         SHEAF_OK);
    }
    assert_int_equal(sheaf_index_commit(idx), SHEAF_OK);

    /* Rolled back: gone from memory and from disk. */
    assert_int_equal(sheaf_index_begin(idx), SHEAF_OK);
    for (size_t i = 20; i < 40; i++) {
        char id[32];
        id_of(i, id);
        assert_int_equal(t_add(idx, id, c.text[i], strlen(c.text[i]), NULL),
                         SHEAF_OK);
    }
    assert_int_equal(sheaf_index_remove(idx, "a3"), SHEAF_OK);
    assert_int_equal(sheaf_index_size(idx), 39);
    assert_int_equal(sheaf_index_rollback(idx), SHEAF_OK);
    assert_int_equal(sheaf_index_size(idx), 20);
    const char *name;
    assert_int_equal(sheaf_index_cluster_of(idx, "a3", &name), SHEAF_OK);
    assert_int_equal(sheaf_index_cluster_of(idx, "a25", &name), SHEAF_ENOTFOUND);

    /* Freed with a group open: the group never reaches the disk. */
    assert_int_equal(sheaf_index_begin(idx), SHEAF_OK);
    assert_int_equal(t_add(idx, "late", c.text[50], strlen(c.text[50]), NULL),
                     SHEAF_OK);
    sheaf_index_free(idx);
    assert_int_equal(sheaf_index_open(path, NULL, 0, &idx), SHEAF_OK);
    assert_int_equal(sheaf_index_size(idx), 20);
    assert_int_equal(sheaf_index_cluster_of(idx, "late", &name), SHEAF_ENOTFOUND);
    sheaf_index_free(idx);

    /* In memory, begin and commit do nothing, rollback cannot undo. */
    assert_int_equal(sheaf_index_new(&p, &idx), SHEAF_OK);
    assert_int_equal(sheaf_index_begin(idx), SHEAF_OK);
    assert_int_equal(sheaf_index_commit(idx), SHEAF_OK);
    assert_int_equal(sheaf_index_rollback(idx), SHEAF_EINVAL);
    sheaf_index_free(idx);
    free_corpus(&c);
}

typedef struct group_call {
    sheaf_index *idx;
    int add_rc, commit_rc, rollback_rc;
} group_call;

static void *other_thread(void *arg)
{
    group_call *g = arg;
    g->add_rc = t_add(g->idx, "elsewhere", "words from elsewhere", 20, NULL);
    g->commit_rc = sheaf_index_commit(g->idx);
    g->rollback_rc = sheaf_index_rollback(g->idx);
    return NULL;
}

/* A group is its thread's: LMDB's writer mutex must be released by the
 * thread that took it. Other threads' writes wait for no one: they fail. */
static void group_belongs_to_its_thread(void **state)
{
    (void)state;
    char path[300];
    path_of("thread.sheaf", path);
    sheaf_params p;
    sheaf_params_init(&p);
    sheaf_index *idx;
    assert_int_equal(sheaf_index_open(path, &p, 0, &idx), SHEAF_OK);
    assert_int_equal(sheaf_index_begin(idx), SHEAF_OK);
    assert_int_equal(t_add(idx, "here", "words written here", 18, NULL),
                     SHEAF_OK);
    group_call g = {idx, 0, 0, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread, &g), 0);
    pthread_join(t, NULL);
    assert_int_equal(g.add_rc, SHEAF_EINVAL);
    assert_int_equal(g.commit_rc, SHEAF_EINVAL);
    assert_int_equal(g.rollback_rc, SHEAF_EINVAL);
    assert_int_equal(sheaf_index_commit(idx), SHEAF_OK);
    /* With no group open, any thread may write. */
    assert_int_equal(pthread_create(&t, NULL, other_thread, &g), 0);
    pthread_join(t, NULL);
    assert_int_equal(g.add_rc, SHEAF_OK);
    sheaf_index_free(idx);
    assert_int_equal(sheaf_index_open(path, NULL, 0, &idx), SHEAF_OK);
    assert_int_equal(sheaf_index_size(idx), 2);
    sheaf_index_free(idx);
}

static void one_writer_many_readers(void **state)
{
    (void)state;
    char path[300];
    path_of("lock.sheaf", path);
    sheaf_params p;
    sheaf_params_init(&p);
    sheaf_index *w, *w2, *r1, *r2;
    assert_int_equal(sheaf_index_open(path, &p, 0, &w), SHEAF_OK);
    assert_int_equal(t_add(w, "one", "a first short article text", 26, NULL),
                     SHEAF_OK);
    assert_int_equal(sheaf_index_open(path, &p, 0, &w2), SHEAF_EBUSY);
    assert_int_equal(sheaf_index_open(path, NULL, SHEAF_OPEN_READONLY, &r1), SHEAF_OK);
    assert_int_equal(sheaf_index_open(path, &p, SHEAF_OPEN_READONLY, &r2), SHEAF_OK);
    assert_int_equal(sheaf_index_size(r1), 1);
    assert_int_equal(t_add(r1, "two", "x", 1, NULL), SHEAF_EREADONLY);
    assert_int_equal(sheaf_index_remove(r2, "one"), SHEAF_EREADONLY);
    assert_int_equal(sheaf_index_begin(r2), SHEAF_EREADONLY);
    assert_int_equal(sheaf_index_size(r2), 1);
    sheaf_index_free(w);
    assert_int_equal(sheaf_index_open(path, &p, 0, &w2), SHEAF_OK);
    sheaf_index_free(w2);
    sheaf_index_free(r1);
    sheaf_index_free(r2);
}

static const char story[] =
    "the central bank raised its main interest rate by half a point on "
    "thursday citing inflation that has stayed above target for a year and "
    "said further increases were likely if prices kept rising this winter";

static void time_window(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init(&p);
    p.window = 72 * 3600;
    sheaf_index *idx;
    assert_int_equal(sheaf_index_new(&p, &idx), SHEAF_OK);
    const int64_t day = 86400, t0 = 1479600000; /* Nov 2016 */
    size_t len = sizeof story - 1;
    sheaf_assignment a;
    assert_int_equal(sheaf_index_newest_time(idx), SHEAF_NO_TIME);
    assert_int_equal(t_add_at(idx, "mon", t0, story, len, &a), SHEAF_OK);
    assert_int_equal(t_add_at(idx, "wed", t0 + 2 * day, story, len, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "mon");
    /* Six days later: outside the window of both, a cluster of its own. */
    assert_int_equal(t_add_at(idx, "sun", t0 + 6 * day, story, len, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "sun");
    assert_null(a.match);
    /* Out of order: within the window of wed and sun, not mon. */
    assert_int_equal(t_add_at(idx, "fri", t0 + 4 * day + 3600, story, len, &a),
                     SHEAF_OK);
    assert_string_equal(a.match, "wed"); /* equal similarity: the earlier */
    assert_string_equal(a.cluster, "mon");
    assert_int_equal(t_add_at(idx, "thu", t0 + 3 * day, story, len, &a), SHEAF_OK);
    assert_string_equal(a.cluster, "mon");
    /* Without a time: compared with all. */
    assert_int_equal(t_add(idx, "undated", story, len, &a), SHEAF_OK);
    assert_string_equal(a.match, "mon");
    assert_int_equal(sheaf_index_newest_time(idx), t0 + 6 * day);

    sheaf_signature sig;
    assert_int_equal(sheaf_sign(sheaf_index_params(idx), story, len, &sig), SHEAF_OK);
    size_t count;
    assert_int_equal(t_query_sig_at(idx, &sig, t0 + 10 * day, NULL, 0, &count),
                     SHEAF_OK);
    assert_int_equal(count, 1); /* only the undated one */

    /* Expire what is more than the window behind the newest. */
    size_t removed;
    assert_int_equal(sheaf_index_expire(idx, sheaf_index_newest_time(idx) - p.window,
                                        &removed),
                     SHEAF_OK);
    assert_int_equal(removed, 2); /* mon and wed; thu is at the cutoff */
    const char *name;
    assert_int_equal(sheaf_index_cluster_of(idx, "mon", &name), SHEAF_ENOTFOUND);
    assert_int_equal(sheaf_index_cluster_of(idx, "thu", &name), SHEAF_OK);
    assert_string_equal(name, "mon"); /* the name outlives its article */
    assert_int_equal(sheaf_index_size(idx), 4);
    /* "mon" still names a cluster: it cannot come back as a new article. */
    assert_int_equal(t_add_at(idx, "mon", t0, story, len, &a), SHEAF_EEXIST);
    sheaf_index_free(idx);

    p.window = -1;
    assert_int_equal(sheaf_index_new(&p, &idx), SHEAF_EINVAL);
}

static void expiry_is_stored(void **state)
{
    (void)state;
    char path[300];
    path_of("expire.sheaf", path);
    corpus c = make_corpus(3, 100);
    sheaf_params p;
    sheaf_params_init(&p);
    p.window = 3600;
    sheaf_index *idx;
    assert_int_equal(sheaf_index_open(path, &p, 0, &idx), SHEAF_OK);
    for (size_t i = 0; i < c.n; i++) {
        char id[32];
        id_of(i, id);
        assert_int_equal(t_add_at(idx, id, (int64_t)i * 60, c.text[i],
                                            strlen(c.text[i]), NULL),
                         SHEAF_OK);
    }
    size_t removed;
    assert_int_equal(sheaf_index_expire(idx, 50 * 60, &removed), SHEAF_OK);
    assert_int_equal(removed, 50);
    sheaf_index_free(idx);
    assert_int_equal(sheaf_index_open(path, NULL, 0, &idx), SHEAF_OK);
    assert_int_equal(sheaf_index_size(idx), 50);
    assert_int_equal(sheaf_index_newest_time(idx), 99 * 60);
    sheaf_index_free(idx);
    free_corpus(&c);
}

/* kill -9 at random instants, many times: everything acknowledged is
 * there, and the survivor's assignments equal an uninterrupted run's. */
static void kill_rounds(sheaf_mode mode, const char *file)
{
    char path[300];
    path_of(file, path);
    corpus c = make_corpus(4, 3000);
    sheaf_params p;
    sheaf_params_init_mode(&p, mode);

    /* The uninterrupted run, in memory. */
    sheaf_index *ref;
    assert_int_equal(sheaf_index_new(&p, &ref), SHEAF_OK);
    for (size_t i = 0; i < c.n; i++) {
        char id[32];
        id_of(i, id);
        assert_int_equal(t_add(ref, id, c.text[i], strlen(c.text[i]), NULL),
                         SHEAF_OK);
    }

    rng r = {99};
    size_t done = 0;
    for (int round = 0; round < 12 && done < c.n; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            sheaf_index *idx;
            if (sheaf_index_open(path, &p, 0, &idx) != SHEAF_OK)
                _exit(3);
            size_t start = sheaf_index_size(idx);
            int grouped = round % 2; /* odd rounds commit groups of 25 */
            for (size_t i = start; i < c.n; i++) {
                char id[32];
                id_of(i, id);
                if (grouped && (i == start || i % 25 == 0) &&
                    sheaf_index_begin(idx) != SHEAF_OK)
                    _exit(4);
                if (t_add(idx, id, c.text[i], strlen(c.text[i]), NULL) !=
                    SHEAF_OK)
                    _exit(5);
                if (grouped && (i % 25 == 24 || i + 1 == c.n)) {
                    if (sheaf_index_commit(idx) != SHEAF_OK)
                        _exit(6);
                } else if (grouped)
                    continue;
                /* Acknowledge everything durable so far. */
                uint64_t acked = i + 1;
                if (write(fds[1], &acked, sizeof acked) != sizeof acked)
                    _exit(7);
            }
            _exit(0);
        }
        close(fds[1]);
        struct timespec pause = {0, (long)(20 + rng_below(&r, 60)) * 1000000L};
        nanosleep(&pause, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        if (!WIFSIGNALED(status))
            assert_int_equal(WEXITSTATUS(status), 0);
        uint64_t acked = 0, v;
        while (read(fds[0], &v, sizeof v) == sizeof v)
            acked = v;
        close(fds[0]);

        sheaf_index *idx;
        assert_int_equal(sheaf_index_open(path, NULL, 0, &idx), SHEAF_OK);
        size_t have = sheaf_index_size(idx);
        assert_true(have >= acked); /* nothing acknowledged is lost */
        assert_true(have >= done);
        expect_same_clusters(ref, idx, have);
        sheaf_index_free(idx);
        done = have;
    }
    printf("  %s mode: %zu of %zu articles in after 12 kills\n",
           mode == SHEAF_MODE_STORY ? "story" : "near", done, c.n);
    assert_true(done > 0);
    sheaf_index_free(ref);
    free_corpus(&c);
}

static void survives_kill_9(void **state)
{
    (void)state;
    kill_rounds(SHEAF_MODE_NEAR, "kill.sheaf");
}

static void story_survives_kill_9(void **state)
{
    (void)state;
    kill_rounds(SHEAF_MODE_STORY, "kill-story.sheaf");
}

/* Readers query while one writer adds; run under ThreadSanitizer by
 * `make tsan`. Every query of an article already added must find it. */
typedef struct shared_state {
    sheaf_index *idx;
    const corpus *c;
    sheaf_signature *sig;
    volatile size_t added; /* published with the lock's ordering below */
    pthread_mutex_t mu;
    int failures;
} shared_state;

static size_t added_so_far(shared_state *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->added;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void *reader(void *arg)
{
    shared_state *s = arg;
    rng r = {(uint64_t)(uintptr_t)arg};
    sheaf_match m[8];
    for (int q = 0; q < 3000; q++) {
        size_t n = added_so_far(s);
        if (!n)
            continue;
        size_t i = rng_below(&r, (uint32_t)n);
        size_t count;
        int ok = t_query_sig(s->idx, &s->sig[i], m, 8, &count) ==
                     SHEAF_OK &&
                 count >= 1 && m[0].similarity == 1.0;
        const char *name;
        char id[32];
        id_of(i, id);
        ok = ok && sheaf_index_cluster_of(s->idx, id, &name) == SHEAF_OK;
        if (!ok) {
            pthread_mutex_lock(&s->mu);
            s->failures++;
            pthread_mutex_unlock(&s->mu);
        }
    }
    return NULL;
}

static void readers_while_writing(void **state)
{
    (void)state;
    corpus c = make_corpus(5, 1500);
    sheaf_params p;
    sheaf_params_init(&p);
    shared_state s = {.c = &c, .failures = 0};
    pthread_mutex_init(&s.mu, NULL);
    assert_int_equal(sheaf_index_new(&p, &s.idx), SHEAF_OK);
    s.sig = malloc(c.n * sizeof *s.sig);
    for (size_t i = 0; i < c.n; i++)
        sheaf_sign(&p, c.text[i], strlen(c.text[i]), &s.sig[i]);
    pthread_t th[3];
    for (int t = 0; t < 3; t++)
        assert_int_equal(pthread_create(&th[t], NULL, reader, &s), 0);
    for (size_t i = 0; i < c.n; i++) {
        char id[32];
        id_of(i, id);
        assert_int_equal(t_add_sig(s.idx, id, &s.sig[i], NULL),
                         SHEAF_OK);
        pthread_mutex_lock(&s.mu);
        s.added = i + 1;
        pthread_mutex_unlock(&s.mu);
    }
    for (int t = 0; t < 3; t++)
        pthread_join(th[t], NULL);
    assert_int_equal(s.failures, 0);
    sheaf_index_free(s.idx);
    free(s.sig);
    pthread_mutex_destroy(&s.mu);
    free_corpus(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reopen_continues_exactly),
        cmocka_unit_test(open_errors),
        cmocka_unit_test(groups),
        cmocka_unit_test(one_writer_many_readers),
        cmocka_unit_test(group_belongs_to_its_thread),
        cmocka_unit_test(time_window),
        cmocka_unit_test(expiry_is_stored),
        cmocka_unit_test(survives_kill_9),
        cmocka_unit_test(story_survives_kill_9),
        cmocka_unit_test(readers_while_writing),
    };
    return cmocka_run_group_tests_name("store", tests, setup_dir, remove_dir);
}
