/*
 * A stored index read for people rather than for use: sheaf_index_verify
 * lists what is damaged, sheaf_index_dump lists every article with its
 * cluster in the order of addition, which is what the storing run printed
 * even when it was killed before it could.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "index/index.h"

typedef struct {
    void (*report)(void *ctx, const char *what);
    void *ctx;
    const char *path;
    size_t bad_records;
} verifier;

static void say(const verifier *v, const char *what)
{
    if (v->report)
        v->report(v->ctx, what);
}

static void damaged(void *ctx, uint64_t seq, int code)
{
    verifier *v = ctx;
    v->bad_records++;
    char what[512];
    snprintf(what, sizeof what, "%s: record %llu: %s", v->path,
             (unsigned long long)seq,
             code == SHEAF_EMISMATCH ? "of a format this sheaf cannot read"
                                     : "damaged (checksum or lengths)");
    say(v, what);
}

static int sound(void *ctx, const sheaf__stored_doc *d)
{
    (void)ctx;
    (void)d;
    return SHEAF_OK;
}

/* Every record's checksum, past damaged ones; the store's own problems
 * (pages, parameters) reported as they are found. */
static int verify_records(verifier *v)
{
    sheaf__store *s;
    int rc = sheaf__store_open(v->path, 1, &s);
    if (rc != SHEAF_OK) {
        if (rc == SHEAF_ECORRUPT)
            say(v, sheaf__detail(rc));
        return rc;
    }
    sheaf_params p;
    int params = sheaf__store_get_params(s, &p);
    if (params != SHEAF_OK && params != SHEAF_ENOMEM) {
        char what[512];
        snprintf(what, sizeof what, "%s: the parameters: %s", v->path,
                 params == SHEAF_ENOTFOUND ? "absent"
                 : params == SHEAF_EMISMATCH
                     ? "of a format this sheaf cannot read"
                     : "damaged");
        say(v, what);
        params = SHEAF_ECORRUPT;
    }
    rc = sheaf__store_load(s, sound, damaged, v);
    if (rc != SHEAF_OK && rc != SHEAF_ENOMEM) {
        if (!v->bad_records)
            say(v, sheaf__detail(rc)); /* not one record's: the count's */
        rc = SHEAF_ECORRUPT;
    }
    sheaf__store_close(s);
    return rc != SHEAF_OK ? rc : params;
}

int sheaf_index_verify(const char *path,
                       void (*report)(void *ctx, const char *what), void *ctx)
{
    if (!path || !*path)
        return sheaf__ret(sheaf__fail(SHEAF_EINVAL,
                                      "the path is NULL or empty"));
    verifier v = {report, ctx, path, 0};
    int rc = verify_records(&v);
    sheaf_index *idx = NULL;
    /* Sound records may still not make an index (two of one id, a
     * payload its engine refuses): the open that loads them says. */
    if (rc == SHEAF_OK &&
        (rc = sheaf__index_open(path, NULL, SHEAF_OPEN_READONLY, &idx)) ==
            SHEAF_ECORRUPT)
        say(&v, sheaf__detail(rc));
    sheaf_index_free(idx);
    return sheaf__ret(rc);
}

/* ------------------------------------------------------------- dump */

typedef struct {
    int (*each)(void *ctx, const char *id, const char *cluster);
    void *ctx;
    char *buf; /* id NUL cluster NUL */
    size_t cap;
} dumper;

static int dump_one(void *ctx, const sheaf__stored_doc *d)
{
    dumper *w = ctx;
    size_t need = d->id_len + d->cluster_len + 2;
    if (need > w->cap) {
        char *b = realloc(w->buf, need);
        if (!b)
            return SHEAF_ENOMEM;
        w->buf = b;
        w->cap = need;
    }
    memcpy(w->buf, d->id, d->id_len);
    w->buf[d->id_len] = 0;
    memcpy(w->buf + d->id_len + 1, d->cluster, d->cluster_len);
    w->buf[need - 1] = 0;
    return w->each(w->ctx, w->buf, w->buf + d->id_len + 1);
}

int sheaf_index_dump(const char *path,
                     int (*each)(void *ctx, const char *id,
                                 const char *cluster),
                     void *ctx)
{
    if (!each)
        return sheaf__ret(sheaf__fail(SHEAF_EINVAL, "each is NULL"));
    sheaf_index *idx;
    /* Loading checks everything, so the walk below meets nothing bad. */
    int rc = sheaf__index_open(path, NULL, SHEAF_OPEN_READONLY, &idx);
    if (rc != SHEAF_OK)
        return sheaf__ret(rc);
    dumper w = {each, ctx, NULL, 0};
    rc = sheaf__store_load(idx->store, dump_one, NULL, &w);
    free(w.buf);
    sheaf_index_free(idx);
    return rc > 0 ? rc : sheaf__ret(rc);
}
