/*
 * Faults under a stored index (issue 16): an allocation failure at every
 * allocation of an add and of a query, and write failures (LMDB's map
 * full at a put, a failed commit as a full disk gives), in near and story
 * mode, alone and inside a group. After each the call fails cleanly, the
 * index in memory and on disk is what it was before (a failed group: as
 * at its start), and adding goes on to give exactly what an index that
 * never failed gives, also after reopening.
 *
 * Failures are injected by wrapping malloc, calloc, realloc, mdb_put and
 * mdb_txn_commit at link time (TEST_LDFLAGS_test_store_faults in the
 * Makefile); without the wrappers the suite skips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"
#include "sheaf.h"
#include "testutil.h"

extern void *__real_malloc(size_t n) __attribute__((weak));
extern void *__real_calloc(size_t n, size_t size) __attribute__((weak));
extern void *__real_realloc(void *p, size_t n) __attribute__((weak));
extern int __real_mdb_put(MDB_txn *t, MDB_dbi d, MDB_val *k, MDB_val *v,
                          unsigned f) __attribute__((weak));
extern int __real_mdb_txn_commit(MDB_txn *t) __attribute__((weak));

static volatile long allocs;
static long alloc_fail_at = -1; /* the allocation to fail; -1: none */
static int put_fail, commit_fail; /* fail the next one */

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
int __wrap_mdb_put(MDB_txn *t, MDB_dbi d, MDB_val *k, MDB_val *v, unsigned f);
int __wrap_mdb_txn_commit(MDB_txn *t);

static int alloc_fails(void)
{
    long i = allocs++;
    return alloc_fail_at >= 0 && i == alloc_fail_at;
}

void *__wrap_malloc(size_t n) { return alloc_fails() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size)
{
    return alloc_fails() ? NULL : __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t n)
{
    return alloc_fails() ? NULL : __real_realloc(p, n);
}

int __wrap_mdb_put(MDB_txn *t, MDB_dbi d, MDB_val *k, MDB_val *v, unsigned f)
{
    if (put_fail) {
        put_fail = 0;
        return MDB_MAP_FULL;
    }
    return __real_mdb_put(t, d, k, v, f);
}

/* As a full disk fails a commit: the transaction is gone, nothing
 * written. */
int __wrap_mdb_txn_commit(MDB_txn *t)
{
    if (commit_fail) {
        commit_fail = 0;
        mdb_txn_abort(t);
        return ENOSPC;
    }
    return __real_mdb_txn_commit(t);
}

static void arm_alloc(long at)
{
    allocs = 0;
    alloc_fail_at = at;
}

static int wrapped(void) { return __real_malloc && __real_mdb_put; }

/* ------------------------------------------------------------ helpers */

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sheaf-faults-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Article i: families of three near-copies. */
static void text_of(size_t i, char *out, size_t cap)
{
    size_t g = i / 3, n = 0;
    for (int k = 0; k < 40 && n + 32 < cap; k++)
        n += (size_t)snprintf(out + n, cap - n, "w%zux%d ", g, k);
    snprintf(out + n, cap - n, "end%zu", i);
}

static int add_i(sheaf_index *idx, size_t i, sheaf_assignment *a)
{
    char id[32], text[1024];
    snprintf(id, sizeof id, "a%zu", i);
    text_of(i, text, sizeof text);
    return t_add_at(idx, id, 1600000000 + (int64_t)i, text, strlen(text), a);
}

static int collect(void *ctx, const char *id, const char *cluster)
{
    fprintf(ctx, "%s\t%s\n", id, cluster);
    return 0;
}

/* What is on disk, as dump lists it: from a child process, since LMDB
 * does not let one process open a file it already has open. */
static char *on_disk(const char *path)
{
    char out[160];
    snprintf(out, sizeof out, "%s/dump.tsv", dir);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *f = fopen(out, "w");
        int rc = f ? sheaf_index_dump(path, collect, f) : SHEAF_EIO;
        _exit(f && fclose(f) == 0 && rc == SHEAF_OK ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    buf b = {0};
    buf_str(&b, "");
    char line[256];
    while (fgets(line, sizeof line, f))
        buf_str(&b, line);
    fclose(f);
    return b.s;
}

static void same_assignment(const sheaf_assignment *a,
                            const sheaf_assignment *b)
{
    assert_string_equal(a->cluster, b->cluster);
    assert_true((a->match == NULL) == (b->match == NULL));
    if (a->match)
        assert_string_equal(a->match, b->match);
    assert_true(a->similarity == b->similarity);
    assert_int_equal(a->cluster_size, b->cluster_size);
}

static sheaf_index *open_at(const char *path, sheaf_mode mode)
{
    sheaf_params p;
    sheaf_params_init_mode(&p, mode);
    sheaf_index *idx;
    assert_int_equal(sheaf_index_open(path, &p, 0, &idx), SHEAF_OK);
    return idx;
}

/* ---------------------------------------------------------- the tests */

/* Every allocation of an add and of a query fails in turn. */
static void alloc_failures(sheaf_mode mode, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sheaf_index *idx = open_at(path, mode), *ref;
    sheaf_params p;
    sheaf_params_init_mode(&p, mode);
    assert_int_equal(sheaf_index_new(&p, &ref), SHEAF_OK);
    long injected = 0;
    for (size_t i = 0; i < 60; i++) {
        sheaf_assignment want, got;
        assert_int_equal(add_i(ref, i, &want), SHEAF_OK);
        char *before = i % 10 == 0 ? on_disk(path) : NULL;
        size_t size = sheaf_index_size(idx);
        for (long at = 0;; at++) {
            arm_alloc(at);
            int rc = add_i(idx, i, &got);
            arm_alloc(-1);
            if (rc == SHEAF_OK)
                break;
            assert_int_equal(rc, SHEAF_ENOMEM);
            injected++;
            assert_int_equal(sheaf_index_size(idx), size);
            if (before) {
                char *after = on_disk(path);
                assert_string_equal(after, before);
                free(after);
            }
            assert_true(at < 1000);
        }
        free(before);
        same_assignment(&got, &want);
        char text[1024];
        text_of(i + 1, text, sizeof text);
        sheaf_match mw[8], mg[8];
        size_t nw = 0, ng = 77;
        assert_int_equal(t_query(ref, text, strlen(text), mw, 8, &nw),
                         SHEAF_OK);
        for (long at = 0;; at++) {
            arm_alloc(at);
            int rc = t_query(idx, text, strlen(text), mg, 8, &ng);
            arm_alloc(-1);
            if (rc == SHEAF_OK)
                break;
            assert_int_equal(rc, SHEAF_ENOMEM);
            assert_int_equal(ng, 77);
            injected++;
            assert_true(at < 1000);
        }
        assert_int_equal(ng, nw);
        for (size_t k = 0; k < ng && k < 8; k++)
            assert_string_equal(mg[k].id, mw[k].id);
    }
    sheaf_index_free(idx);
    idx = open_at(path, mode); /* what is on disk is what was added */
    assert_int_equal(sheaf_index_size(idx), 60);
    sheaf_assignment want, got;
    assert_int_equal(add_i(ref, 60, &want), SHEAF_OK);
    assert_int_equal(add_i(idx, 60, &got), SHEAF_OK);
    same_assignment(&got, &want);
    print_message("%s: %ld allocation failures injected, each SHEAF_ENOMEM "
                  "with the index unchanged\n", name, injected);
    assert_true(injected > 60);
    sheaf_index_free(idx);
    sheaf_index_free(ref);
}

static void test_alloc_near(void **state)
{
    (void)state;
    if (!wrapped())
        skip();
    alloc_failures(SHEAF_MODE_NEAR, "near-alloc");
}

static void test_alloc_story(void **state)
{
    (void)state;
    if (!wrapped())
        skip();
    alloc_failures(SHEAF_MODE_STORY, "story-alloc");
}

/* Map full at a put and a full disk at a commit, alone and in groups; the
 * run goes on (resumes) after each, and ends where a sound run ends. */
static void write_failures(sheaf_mode mode, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sheaf_index *idx = open_at(path, mode), *ref;
    sheaf_params p;
    sheaf_params_init_mode(&p, mode);
    assert_int_equal(sheaf_index_new(&p, &ref), SHEAF_OK);
    sheaf_assignment want, got;
    size_t next = 0; /* the next article the reference has not had */
    for (int round = 0; round < 12; round++) {
        int grouped = round % 2, at_commit = round % 4 >= 2;
        size_t start = sheaf_index_size(idx);
        char *before = on_disk(path);
        if (grouped)
            assert_int_equal(sheaf_index_begin(idx), SHEAF_OK);
        size_t n = 3 + (size_t)round;
        int rc = SHEAF_OK;
        for (size_t k = 0; k < n && rc == SHEAF_OK; k++) {
            int last = k + 1 == n;
            if (last && !at_commit)
                put_fail = 1;
            if (last && at_commit && !grouped)
                commit_fail = 1;
            rc = add_i(idx, next + k, &got);
        }
        if (grouped && rc == SHEAF_OK) {
            assert_true(at_commit);
            commit_fail = 1;
            rc = sheaf_index_commit(idx);
        }
        assert_true(rc == SHEAF_ERANGE || rc == SHEAF_EIO);
        assert_non_null(strstr(sheaf_errmsg(), path));
        /* Alone, only the failed add is lost; in a group, the group. */
        size_t kept = grouped ? 0 : n - 1;
        assert_int_equal(sheaf_index_size(idx), start + kept);
        char *after = on_disk(path);
        if (grouped)
            assert_string_equal(after, before);
        else
            assert_true(strlen(after) > strlen(before) || kept == 0);
        free(before);
        free(after);
        for (size_t k = 0; k < kept; k++)
            assert_int_equal(add_i(ref, next + k, &want), SHEAF_OK);
        next += kept;
        /* Resume: the lost articles again, then one more. */
        for (size_t k = 0; k < n - kept + 1; k++) {
            assert_int_equal(add_i(ref, next, &want), SHEAF_OK);
            assert_int_equal(add_i(idx, next, &got), SHEAF_OK);
            same_assignment(&got, &want);
            next++;
        }
    }
    sheaf_index_free(idx);
    idx = open_at(path, mode);
    assert_int_equal(sheaf_index_size(idx), next);
    assert_int_equal(add_i(ref, next, &want), SHEAF_OK);
    assert_int_equal(add_i(idx, next, &got), SHEAF_OK);
    same_assignment(&got, &want);
    sheaf_index_free(idx);
    assert_int_equal(sheaf_index_verify(path, NULL, NULL), SHEAF_OK);
    sheaf_index_free(ref);
}

static void test_writes_near(void **state)
{
    (void)state;
    if (!wrapped())
        skip();
    write_failures(SHEAF_MODE_NEAR, "near-writes");
}

static void test_writes_story(void **state)
{
    (void)state;
    if (!wrapped())
        skip();
    write_failures(SHEAF_MODE_STORY, "story-writes");
}

int main(void)
{
    if (!wrapped())
        printf("store faults: wrappers not linked in: skipped\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_near),
        cmocka_unit_test(test_alloc_story),
        cmocka_unit_test(test_writes_near),
        cmocka_unit_test(test_writes_story),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
