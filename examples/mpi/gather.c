/* The output, on rank 0 (see gather.h). */
#include "gather.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "articles.h"
#include "diag.h"
#include "output.h"
#include "xalloc.h"

/* Batches per rank per round: about 4,000 articles from each. */
#define ROUND_BATCHES 16

static void pack(const share *s, const options *o, size_t pos, bytes *b)
{
    const own *a = &s->v[pos];
    bytes_u8(b, a->id_number);
    bytes_u32(b, a->file);
    bytes_u64(b, a->line);
    bytes_str(b, a->id, strlen(a->id));
    bytes_u32(b, a->match);
    bytes_f64(b, a->similarity);
    if (o->format == FORMAT_GROUPS)
        bytes_str(b, a->snippet, strlen(a->snippet));
    if (o->params.mode == SHEAF_MODE_STORY) {
        bytes_u64(b, (uint64_t)a->time);
        bytes_str(b, a->text, a->text_len);
    }
}

typedef struct table {
    articles arts;
    size_t *sizes;
    size_t cap;
} table;

/* Story mode: rank 0 decides. Keys are doc numbers, unique whatever the
 * ids; the library names a cluster by its first article's key. */
static int decide_story(sheaf_index *idx, uint32_t doc, const char *text,
                        size_t len, int64_t time, uint32_t *match, double *sim)
{
    char key[16];
    snprintf(key, sizeof key, "%u", doc);
    sheaf_article art = SHEAF_ARTICLE_INIT;
    art.id = key;
    art.text = text;
    art.len = len;
    art.time = time;
    sheaf_assignment as;
    int rc = sheaf_index_add(idx, &art, &as);
    if (rc != SHEAF_OK)
        return rc;
    *match = as.match ? (uint32_t)strtoul(as.match, NULL, 10) : NO_DOC;
    *sim = as.similarity;
    return SHEAF_OK;
}

static void enter(share *s, const options *o, table *t, sheaf_index *story,
                  uint32_t doc, cursor *c, gathered *g)
{
    article a;
    size_t id_len;
    memset(&a, 0, sizeof a);
    a.id_number = take_u8(c);
    a.file = take_u32(c);
    a.line = take_u64(c);
    const char *id = take_str(c, &id_len);
    uint32_t match = take_u32(c);
    a.similarity = take_f64(c);
    if (o->format == FORMAT_GROUPS) {
        size_t n;
        const char *snip = take_str(c, &n);
        a.snippet = articles_intern(&t->arts, snip, n);
    }
    if (story) {
        size_t n;
        int64_t time = (int64_t)take_u64(c);
        const char *text = take_str(c, &n);
        int rc = decide_story(story, doc, text, n, time, &match, &a.similarity);
        if (rc != SHEAF_OK) {
            diag("cannot add the article to the index: %s", sheaf_strerror(rc));
            g->fatal = 1;
            return;
        }
    }
    size_t first = articles_find_id(&t->arts, id, id_len);
    a.id = a.key = articles_intern(&t->arts, id, id_len);
    size_t pos = articles_add(&t->arts, &a, first == NO_MATCH);
    if (pos != doc)
        die_all(3, "internal error: article %u entered at %zu", doc, pos);
    if (t->cap <= pos) {
        t->cap = t->cap ? 2 * t->cap : 4096;
        t->sizes = xreallocarray(t->sizes, t->cap, sizeof *t->sizes);
    }
    t->sizes[pos] = 0;
    article *x = &t->arts.v[pos];
    x->cluster = match == NO_DOC ? pos : t->arts.v[match].cluster;
    x->match = match == NO_DOC ? NO_MATCH : match;
    t->sizes[x->cluster]++;
    if (first != NO_MATCH) {
        const article *f = &t->arts.v[first];
        const char *name = s->inputs->files[f->file].name;
        char where[512];
        if (f->line)
            snprintf(where, sizeof where, "%s:%llu", name,
                     (unsigned long long)f->line);
        else
            snprintf(where, sizeof where, "%s", name);
        s->warnings++;
        share_note(s, a.file, a.line,
                   "warning: id \"%s\" repeated (first at %s); both kept",
                   x->id, where);
    }
}

/* This rank's articles of batches [k0, k1), packed in order. */
static void pack_round(const share *s, const world *w, const options *o,
                       uint32_t k0, uint32_t k1, bytes *b)
{
    b->n = 0;
    for (uint32_t k = k0; k < k1; k++) {
        if (k % (uint32_t)w->size != (uint32_t)w->rank)
            continue;
        for (uint32_t i = 0; i < s->counts[k]; i++)
            pack(s, o, s->local[k] + i, b);
    }
}

static void summarise(const table *t, gathered *g)
{
    g->articles = t->arts.count;
    for (size_t i = 0; i < t->arts.count; i++) {
        const article *a = &t->arts.v[i];
        if (a->cluster == i) {
            g->clusters++;
            if (t->sizes[i] > g->largest)
                g->largest = t->sizes[i];
        }
        if (t->sizes[a->cluster] > 1)
            g->grouped++;
    }
}

void gather_write(share *s, world *w, const options *o, sheaf_index *story,
                  outfile *out, gathered *g)
{
    int n = w->size, *cnt = xcalloc((size_t)n, sizeof *cnt);
    int *dsp = xcalloc((size_t)n, sizeof *dsp);
    bytes mine = {0}, all = {0};
    table t;
    memset(&t, 0, sizeof t);
    memset(g, 0, sizeof *g);
    articles_init(&t.arts);
    uint32_t step = ROUND_BATCHES * (uint32_t)n;
    for (uint32_t k0 = 0; k0 < s->nbatches; k0 += step) {
        uint32_t k1 = k0 + step < s->nbatches ? k0 + step : s->nbatches;
        pack_round(s, w, o, k0, k1, &mine);
        int len = (int)mine.n;
        if (mine.n > (size_t)1 << 30)
            die_all(3, "a round of %zu bytes is too large for one message",
                    mine.n);
        MPI_Gather(&len, 1, MPI_INT, cnt, 1, MPI_INT, 0, MPI_COMM_WORLD);
        size_t total = 0;
        for (int r = 0; w->rank == 0 && r < n; r++) {
            dsp[r] = (int)total;
            total += (size_t)cnt[r];
        }
        if (w->rank == 0 && all.cap < total + 1) {
            all.cap = total + 1;
            all.p = xreallocarray(all.p, all.cap, 1);
        }
        MPI_Gatherv(mine.p, len, MPI_BYTE, all.p, cnt, dsp, MPI_BYTE, 0,
                    MPI_COMM_WORLD);
        if (w->rank != 0) {
            if (len) {
                w->messages++;
                w->bytes += (uint64_t)len;
            }
            continue;
        }
        cursor *c = xcalloc((size_t)n, sizeof *c);
        for (int r = 0; r < n; r++)
            c[r] = (cursor){all.p + dsp[r], all.p + dsp[r] + cnt[r]};
        for (uint32_t k = k0; k < k1 && !g->fatal; k++)
            for (uint32_t i = 0; i < s->counts[k] && !g->fatal; i++)
                enter(s, o, &t, story, s->start[k] + i, &c[k % (uint32_t)n], g);
        free(c);
    }
    if (w->rank == 0 && !g->fatal) {
        summarise(&t, g);
        output_write(out, o->format, &t.arts, t.sizes);
    }
    articles_free(&t.arts);
    free(t.sizes);
    bytes_free(&mine);
    bytes_free(&all);
    free(cnt);
    free(dsp);
}
