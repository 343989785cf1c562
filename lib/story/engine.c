/*
 * Story mode as an engine (model/engine.h): different outlets' write-ups
 * of one event in one cluster, a different event apart even when it
 * shares every name. lib/README.md gives the design and its measurements.
 *
 * How an article is decided
 *  1. Terms (story/terms.c), counted (story/vector.c).
 *  2. Weights: BM25's saturated term frequency times an inverse document
 *     frequency over the articles in the index; the heaviest 64 terms at
 *     unit L2 norm are the article's vector, and a weighted MinHash of it
 *     gives 48 band keys.
 *  3. Candidates: the clusters of the articles sharing a band, ranked by
 *     shared bands per member (an estimate of the mean similarity); the 64
 *     best are verified. A band shared by more than 64 entries is skipped:
 *     a common term, little evidence, and work that grows with the index.
 *  4. Verification: the similarity to a cluster is the mean cosine to its
 *     members (the dot product with the sum of their vectors, divided by
 *     their number), times a time factor when times are known. With a
 *     window, a cluster without a member within it of the article's time
 *     is no candidate.
 *  5. Decision: join the most similar cluster if its similarity s is at
 *     least threshold and s - b >= contrast, where the background b is the
 *     mean similarity of the next three candidates (a missing one counts
 *     0.1): an article about a busy topic resembles several stories of it,
 *     and must resemble one clearly more than the others.
 *
 * State: per doc its vector, band keys and distinct terms (to uncount
 * them); per cluster the sum of its members' vectors and the span of
 * their times, rebuilt from the members after removals so that it is a
 * function of its members alone. The same calls give the same bits (ties
 * are broken by order of addition, the sketch uses no libm); across
 * platforms only libm's log in the weights may differ in a last bit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "story/engine.h"

#define CANDIDATES SHEAF__STORY_CANDIDATES
#define BUSY_BAND 64  /* entries past which a band is skipped */
#define RUNNERS 3     /* runners-up whose mean is the background */
/* The similarity assumed for a runner-up that is missing: about what an
 * article has with other stories of its topic on Multi-News. It keeps a
 * nearly empty index from joining on topic alone: there, with no
 * background to contrast, joining takes BACKGROUND_PRIOR + contrast. */
#define BACKGROUND_PRIOR 0.1
/* Publication times: the similarity of an article to a cluster whose
 * members' times span [t0, t1] is multiplied by s / (s + dt), dt its
 * distance in seconds from that span, s a day: a day off a story needs
 * twice the similarity, a week off about eight times. */
#define TIME_SCALE 86400.0


/* ------------------------------------------------------------ lifecycle */

static void destroy(sheaf__engine *e)
{
    if (!e)
        return;
    for (uint32_t d = 0; d < e->cap; d++)
        free(e->docs[d].vec);
    for (uint32_t c = 0; c < e->clus_cap; c++)
        free(e->clus[c].sum);
    free(e->docs);
    free(e->clus);
    free(e->dirty);
    sheaf__stats_free(&e->df);
    sheaf__bands_free(&e->bands);
    free(e);
}

static int create(const sheaf_params *p, sheaf__engine **out)
{
    sheaf__engine *e = calloc(1, sizeof *e);
    if (!e)
        return SHEAF_ENOMEM;
    e->p = *p;
    sheaf__stopwords_init(&e->stop, p->seed);
    *out = e;
    return SHEAF_OK;
}

static int rep_new(const sheaf__engine *e, sheaf__rep **out)
{
    (void)e;
    sheaf__rep *r = calloc(1, sizeof *r);
    if (!r || sheaf__svec_init(&r->v) != SHEAF_OK) {
        free(r);
        return SHEAF_ENOMEM;
    }
    *out = r;
    return SHEAF_OK;
}

static void rep_free(sheaf__rep *r)
{
    if (!r)
        return;
    sheaf__svec_free(&r->v);
    free(r->seen);
    free(r->count);
    free(r->block);
    free(r->sum);
    free(r);
}

static int analyse(const sheaf__engine *e, const sheaf_article *a,
                   sheaf__rep *r)
{
    if (a->signature)
        return sheaf__fail(SHEAF_EINVAL, "article: story mode reads the "
                                         "text; a signature is for near mode");
    int rc = sheaf__svec_count(&r->v, &e->stop, a->text, a->len, 1);
    if (rc == SHEAF_OK && a->title)
        rc = sheaf__svec_count(&r->v, &e->stop, a->title, a->title_len, 0);
    return rc;
}

/* ----------------------------------------------------------- candidates */

/* The order that breaks ties between clusters: by their earliest live
 * member. Not the cluster's number (slots are reused after removals) nor
 * its creation (its first article may be gone): a reopened index knows
 * neither, and decisions must be a function of the live articles. */
static uint64_t cluster_age(const sheaf__model *m, uint32_t c)
{
    return m->docs[m->clus[c].head].seq;
}

/* Whether candidate cluster a ranks before b: more shared bands per
 * member (compared exactly, by cross-multiplying), then the older. */
static int ranks_before(const sheaf__model *m, const sheaf__rep *r,
                        uint32_t a, uint32_t b)
{
    uint64_t x = (uint64_t)r->count[a] * m->clus[b].size;
    uint64_t y = (uint64_t)r->count[b] * m->clus[a].size;
    return x != y ? x > y : cluster_age(m, a) < cluster_age(m, b);
}

/* Reorder v[0..n) so that its first want entries are the best ranked
 * (quickselect; the order is total, so the set is unique). */
static void select_best(const sheaf__model *m, const sheaf__rep *r,
                        uint32_t *v, size_t n, size_t want)
{
    size_t lo = 0, hi = n; /* the boundary want lies in [lo, hi) */
    while (hi - lo > 1) {
        uint32_t pivot = v[lo + (hi - lo) / 2];
        /* Three-way partition: before, equal (only the pivot), after. */
        size_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            uint32_t t;
            if (v[i] == pivot) {
                i++;
            } else if (ranks_before(m, r, v[i], pivot)) {
                t = v[lt];
                v[lt++] = v[i];
                v[i++] = t;
            } else {
                t = v[--gt];
                v[gt] = v[i];
                v[i] = t;
            }
        }
        if (want < lt)
            hi = lt;
        else if (want > lt)
            lo = lt + 1;
        else
            return;
    }
}

static int push_seen(sheaf__rep *r, uint32_t c)
{
    if (r->nseen == r->seen_cap) {
        size_t cap = r->seen_cap ? r->seen_cap * 2 : 256;
        uint32_t *v = realloc(r->seen, cap * sizeof *v);
        if (!v)
            return SHEAF_ENOMEM;
        r->seen = v;
        r->seen_cap = cap;
    }
    r->seen[r->nseen++] = c;
    return SHEAF_OK;
}

/* The clusters of the articles sharing a band with r, the CANDIDATES best
 * ranked, into r->cands; their number. */
static int candidates(const sheaf__engine *e, const sheaf__model *m,
                      sheaf__rep *r, size_t *ncands)
{
    *ncands = 0;
    r->nseen = 0;
    if (r->v.nvec == 0 || !e->bands.slot)
        return SHEAF_OK;
    if (r->count_cap < m->clus_cap) {
        uint32_t *v = realloc(r->count, m->clus_cap * sizeof *v);
        if (!v)
            return SHEAF_ENOMEM;
        memset(v + r->count_cap, 0, (m->clus_cap - r->count_cap) * sizeof *v);
        r->count = v;
        r->count_cap = m->clus_cap;
    }
    int rc = SHEAF_OK;
    /* The band slots are cache misses, independent: ask for all first. */
    for (uint32_t j = 0; j < SHEAF__STORY_HASHES; j++)
        sheaf__bands_prefetch(&e->bands, r->v.keys[j]);
    for (uint32_t j = 0; j < SHEAF__STORY_HASHES && rc == SHEAF_OK; j++) {
        uint32_t n;
        const uint32_t *v = sheaf__bands_find(&e->bands, r->v.keys[j], &n);
        if (n > BUSY_BAND)
            continue;
        for (uint32_t i = 0; i < n && rc == SHEAF_OK; i++)
            if (r->count[v[i]]++ == 0 && (rc = push_seen(r, v[i])) != SHEAF_OK)
                r->count[v[i]] = 0;
    }
    size_t n = r->nseen;
    if (rc == SHEAF_OK && n > CANDIDATES) {
        select_best(m, r, r->seen, n, CANDIDATES);
        n = CANDIDATES;
    }
    if (rc == SHEAF_OK && n > 0) { /* r->seen is NULL until first used */
        memcpy(r->cands, r->seen, n * sizeof *r->cands);
        *ncands = n;
    }
    for (size_t x = 0; x < r->nseen; x++)
        r->count[r->seen[x]] = 0;
    return rc;
}

/* ------------------------------------------------------------- deciding */

static double time_factor(const sheaf__sclus *c, int64_t t)
{
    if (t == SHEAF_NO_TIME || c->tmin == SHEAF_NO_TIME)
        return 1;
    double dt = t < c->tmin   ? (double)c->tmin - (double)t
                : t > c->tmax ? (double)t - (double)c->tmax
                              : 0;
    return TIME_SCALE / (TIME_SCALE + dt);
}

/* The background of the best candidate: the mean of the next RUNNERS
 * similarities, missing ones counting BACKGROUND_PRIOR. */
static double background(const sheaf__rep *r, size_t n, size_t best)
{
    double next[RUNNERS] = {0};
    size_t others = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == best || r->sim[i] < 0)
            continue;
        others++;
        double v = r->sim[i];
        for (size_t q = 0; q < RUNNERS; q++)
            if (v > next[q]) {
                double t = next[q];
                next[q] = v;
                v = t;
            }
    }
    double b = 0;
    for (size_t q = 0; q < RUNNERS; q++)
        b += q < others ? next[q] : BACKGROUND_PRIOR;
    return b / RUNNERS;
}

/* The member of cluster c within the window most similar to r (on a tie
 * the earlier), with that similarity. */
static uint32_t best_member(const sheaf__engine *e, const sheaf__model *m,
                            const sheaf__rep *r, uint32_t c, int64_t time)
{
    uint32_t match = SHEAF__NONE;
    double top = -1;
    for (uint32_t d = m->clus[c].head; d != SHEAF__NONE; d = m->docs[d].next) {
        if (!sheaf__within(time, m->docs[d].time, e->p.window))
            continue;
        const sheaf__sdoc *x = &e->docs[d];
        double s = sheaf__wterm_dot(r->v.vec, r->v.nvec, x->vec, x->nvec);
        if (s > top) {
            top = s;
            match = d;
        }
    }
    return match;
}

static int judge(const sheaf__engine *e, const sheaf__model *m,
                 sheaf__rep *r, int64_t time, sheaf__decision *out)
{
    sheaf__svec_weigh(&r->v, &e->df, e->p.seed);
    size_t n;
    int rc = candidates(e, m, r, &n);
    if (rc != SHEAF_OK)
        return rc;
    *out = (sheaf__decision){SHEAF__NONE, SHEAF__NONE, 0};
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = r->cands[i];
        const sheaf__sclus *x = &e->clus[c];
        r->sim[i] = -1; /* outside the window: no candidate */
        if (!sheaf__model_within(m, c, time, e->p.window))
            continue;
        r->sim[i] = sheaf__svec_dot_sum(&r->v, x->sum, x->n) /
                    m->clus[c].size * time_factor(x, time);
        if (best == SIZE_MAX || r->sim[i] > r->sim[best] ||
            (r->sim[i] == r->sim[best] &&
             cluster_age(m, c) < cluster_age(m, r->cands[best])))
            best = i;
    }
    if (best == SIZE_MAX)
        return SHEAF_OK;
    double s = r->sim[best];
    if (s < e->p.threshold || s - background(r, n, best) < e->p.contrast)
        return SHEAF_OK;
    out->cluster = r->cands[best];
    out->match = best_member(e, m, r, out->cluster, time);
    out->similarity = s > 1 ? 1 : s;
    return SHEAF_OK;
}

static int decide(sheaf__engine *e, const sheaf__model *m, sheaf__rep *r,
                  int64_t time, sheaf__decision *out)
{
    return judge(e, m, r, time, out);
}

static int matches(const sheaf__engine *e, const sheaf__model *m,
                   sheaf__rep *r, int64_t time, sheaf__hits *out)
{
    sheaf__decision d;
    out->n = 0;
    int rc = judge(e, m, r, time, &d);
    if (rc == SHEAF_OK && d.match != SHEAF__NONE)
        rc = sheaf__hits_push(out, d.match, d.similarity);
    return rc;
}

const sheaf__engine_ops sheaf__story_engine = {
    create,
    destroy,
    rep_new,
    rep_free,
    analyse,
    decide,
    matches,
    sheaf__story_reserve,
    sheaf__story_insert,
    sheaf__story_remove,
    sheaf__story_settle,
    sheaf__story_encode,
    sheaf__story_decode,
};
