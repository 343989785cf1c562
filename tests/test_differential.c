/*
 * Differential tests of the index against brute force on random documents:
 *
 * 1. Mechanics: every assignment and every query equals what an all-pairs
 *    scan over the signatures gives (share a band, estimate >= threshold,
 *    best estimate, earliest on ties). Any slip in the band tables, the
 *    candidate gathering or the cluster bookkeeping shows up here.
 * 2. Statistics: against exact Jaccard of the shingle sets, no article joins
 *    a match far below the threshold, and the fraction of pairs proposed by
 *    the bands follows the S-curve 1 - (1 - s^r)^b.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "near/lsh.h"
#include "api.h"
#include "sheaf.h"
#include "testutil.h"

typedef struct corpus {
    char **text;
    size_t *len;
    size_t n;
} corpus;

/* Families of documents: a random base and copies of it with words
 * substituted, deleted or inserted at a random rate up to 15%, so that pair
 * similarities cover the whole range around the threshold. */
static corpus make_corpus(uint64_t seed, size_t bases, size_t min_words)
{
    rng r = {seed};
    corpus c = {NULL, NULL, 0};
    size_t cap = bases * 6;
    c.text = calloc(cap, sizeof *c.text);
    c.len = calloc(cap, sizeof *c.len);
    uint32_t *words = malloc(400 * sizeof *words);
    for (size_t b = 0; b < bases; b++) {
        size_t nw = min_words + rng_below(&r, 250 - (uint32_t)min_words);
        for (size_t i = 0; i < nw; i++)
            words[i] = zipf_rank(&r, 5000);
        size_t copies = rng_below(&r, 6);
        for (size_t v = 0; v <= copies; v++) {
            double rate = v ? 0.15 * rng_unit(&r) : 0.0;
            buf out = {0};
            char w[16];
            for (size_t i = 0; i < nw; i++) {
                double u = rng_unit(&r);
                uint32_t rank = words[i];
                if (u < rate / 3)
                    continue; /* deleted */
                if (u < 2 * rate / 3)
                    rank = zipf_rank(&r, 5000); /* substituted */
                else if (u < rate) {
                    word_for_rank(zipf_rank(&r, 5000), w); /* inserted */
                    buf_str(&out, w);
                    buf_str(&out, " ");
                }
                word_for_rank(rank, w);
                buf_str(&out, w);
                buf_str(&out, " ");
            }
            if (!out.s)
                buf_str(&out, "");
            c.text[c.n] = out.s;
            c.len[c.n] = out.n;
            c.n++;
        }
    }
    /* Interleave families so that input order is not family order. */
    for (size_t i = c.n; i > 1; i--) {
        size_t j = rng_below(&r, (uint32_t)i);
        char *t = c.text[i - 1];
        size_t l = c.len[i - 1];
        c.text[i - 1] = c.text[j];
        c.len[i - 1] = c.len[j];
        c.text[j] = t;
        c.len[j] = l;
    }
    free(words);
    return c;
}

static void free_corpus(corpus *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->text[i]);
    free(c->text);
    free(c->len);
}

static void doc_id(size_t i, char out[32]) { snprintf(out, 32, "doc%zu", i); }

typedef struct reference {
    sheaf_signature *sig;
    uint16_t *values; /* num_hashes per document, as the index keeps them */
    uint64_t *keys;   /* bands per document */
    size_t *cluster; /* reference cluster: index of its first document */
    const sheaf_params *p;
} reference;

/* The values of signature i as the index keeps them, and its band keys. */
static void reference_add(reference *ref, size_t i)
{
    const sheaf_params *p = ref->p;
    uint16_t *v = ref->values + i * p->num_hashes;
    for (uint32_t k = 0; k < p->num_hashes; k++)
        v[k] = (uint16_t)ref->sig[i].values[k];
    sheaf__lsh_keys(p->bands, p->rows, v, ref->keys + i * p->bands);
}

/* Estimated similarity of i and j as the index computes it. */
static double reference_similarity(const reference *ref, size_t i, size_t j)
{
    uint32_t h = ref->p->num_hashes, same = 0;
    if (!ref->sig[i].num_shingles || !ref->sig[j].num_shingles)
        return 0.0;
    for (uint32_t k = 0; k < h; k++)
        same += ref->values[i * h + k] == ref->values[j * h + k];
    return (double)same / h;
}

static int shares_band(const reference *ref, size_t i, size_t j)
{
    uint32_t b = ref->p->bands;
    for (uint32_t k = 0; k < b; k++)
        if (ref->keys[i * b + k] == ref->keys[j * b + k])
            return 1;
    return 0;
}

static void check_mechanics(const sheaf_params *user, uint64_t seed)
{
    corpus c = make_corpus(seed, 120, 20);
    sheaf_index *idx;
    assert_int_equal(sheaf_index_new(user, &idx), SHEAF_OK);
    const sheaf_params *p = sheaf_index_params(idx);
    reference ref = {calloc(c.n, sizeof(sheaf_signature)),
                     calloc(c.n * p->num_hashes, sizeof(uint16_t)),
                     calloc(c.n * p->bands, sizeof(uint64_t)),
                     calloc(c.n, sizeof(size_t)), p};
    sheaf_match *m = calloc(c.n, sizeof *m);
    /* The index's verification rule, as sheaf.h states it. */
    double t = p->threshold - sqrt(p->threshold * (1 - p->threshold) /
                                   p->num_hashes);
    size_t joins = 0;
    for (size_t i = 0; i < c.n; i++) {
        assert_int_equal(sheaf_sign(p, c.text[i], c.len[i], &ref.sig[i]),
                         SHEAF_OK);
        reference_add(&ref, i);

        /* Brute force over every earlier document. */
        size_t best = SIZE_MAX, nmatch = 0;
        double best_sim = -1.0;
        for (size_t j = 0; j < i; j++) {
            double sim = reference_similarity(&ref, i, j);
            if (sim < t || !ref.sig[i].num_shingles || !shares_band(&ref, i, j))
                continue;
            nmatch++;
            if (sim > best_sim) {
                best_sim = sim;
                best = j;
            }
        }

        size_t count;
        assert_int_equal(t_query_sig(idx, &ref.sig[i], m, c.n,
                                                     &count),
                         SHEAF_OK);
        assert_int_equal(count, nmatch);
        for (size_t q = 0; q < count; q++) {
            assert_true(m[q].similarity >= t);
            if (q)
                assert_true(m[q].similarity <= m[q - 1].similarity);
        }

        char id[32], expect[32];
        doc_id(i, id);
        sheaf_assignment a;
        assert_int_equal(t_add_sig(idx, id, &ref.sig[i], &a),
                         SHEAF_OK);
        if (best == SIZE_MAX) {
            ref.cluster[i] = i;
            assert_null(a.match);
            assert_string_equal(a.cluster, id);
        } else {
            joins++;
            ref.cluster[i] = ref.cluster[best];
            doc_id(best, expect);
            assert_string_equal(a.match, expect);
            assert_true(a.similarity == best_sim);
            if (count)
                assert_string_equal(m[0].id, expect);
            doc_id(ref.cluster[best], expect);
            assert_string_equal(a.cluster, expect);
        }
    }
    assert_true(joins > c.n / 10); /* the corpus really has families */
    free(m);
    free(ref.sig);
    free(ref.values);
    free(ref.keys);
    free(ref.cluster);
    sheaf_index_free(idx);
    free_corpus(&c);
}

static void mechanics_default(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init(&p);
    check_mechanics(&p, 1);
}

static void mechanics_minhash_char(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init(&p);
    p.scheme = SHEAF_SCHEME_MINHASH;
    p.shingle_kind = SHEAF_SHINGLE_CHAR;
    p.shingle_size = 7;
    p.num_hashes = 100;
    p.threshold = 0.6;
    check_mechanics(&p, 2);
}

static void mechanics_forced_bands(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init(&p);
    p.bands = 64; /* many candidates: verification does all the work */
    p.rows = 2;
    p.threshold = 0.7;
    check_mechanics(&p, 3);
}

static double s_curve(double s, uint32_t b, uint32_t r)
{
    return 1.0 - pow(1.0 - pow(s, r), b);
}

static void check_statistics(const sheaf_params *user)
{
    sheaf_params p;
    corpus c = make_corpus(7, 300, 100);
    sheaf_index *idx;
    assert_int_equal(sheaf_index_new(user, &idx), SHEAF_OK);
    p = *sheaf_index_params(idx);
    reference ref = {calloc(c.n, sizeof(sheaf_signature)),
                     calloc(c.n * p.num_hashes, sizeof(uint16_t)),
                     calloc(c.n * p.bands, sizeof(uint64_t)), NULL, &p};
    shingles *sets = calloc(c.n, sizeof *sets);
    for (size_t i = 0; i < c.n; i++) {
        sets[i] = exact_shingles(c.text[i], c.len[i], p.shingle_size);
        assert_int_equal(sheaf_sign(&p, c.text[i], c.len[i], &ref.sig[i]),
                         SHEAF_OK);
        reference_add(&ref, i);
    }

    /* Band hits per bin of exact similarity, against the S-curve's mean
     * over the pairs of that bin. */
    enum { BINS = 10 };
    double hits[BINS] = {0}, expected[BINS] = {0}, pairs[BINS] = {0};
    for (size_t i = 0; i < c.n; i++)
        for (size_t j = 0; j < i; j++) {
            double jac = exact_jaccard(&sets[i], &sets[j]);
            int bin = jac >= 1.0 ? BINS - 1 : (int)(jac * BINS);
            pairs[bin]++;
            hits[bin] += shares_band(&ref, i, j);
            expected[bin] += s_curve(jac, p.bands, p.rows);
        }
    int checked = 0;
    for (int b = 0; b < BINS; b++) {
        if (pairs[b] < 50)
            continue;
        printf("  J in [%.1f, %.1f): %6.0f pairs, band hit %.3f, S-curve %.3f\n",
               b / 10.0, (b + 1) / 10.0, pairs[b], hits[b] / pairs[b],
               expected[b] / pairs[b]);
        /* Three binomial standard deviations, plus slack for the spread of
         * similarities inside the bin. */
        double e = expected[b] / pairs[b];
        assert_true(fabs(hits[b] / pairs[b] - e) <
                    0.03 + 3 * sqrt(e * (1 - e) / pairs[b]));
        checked++;
    }
    assert_true(checked >= 4);

    /* No join far below the threshold. */
    double worst = 1.0;
    for (size_t i = 0; i < c.n; i++) {
        char id[32];
        doc_id(i, id);
        sheaf_assignment a;
        assert_int_equal(t_add_sig(idx, id, &ref.sig[i], &a),
                         SHEAF_OK);
        if (a.match) {
            size_t j = strtoul(a.match + 3, NULL, 10);
            double jac = exact_jaccard(&sets[i], &sets[j]);
            if (jac < worst)
                worst = jac;
        }
    }
    printf("  lowest exact Jaccard of a joined pair: %.3f (threshold %.2f)\n",
           worst, p.threshold);
    assert_true(worst >= p.threshold - 0.15);

    for (size_t i = 0; i < c.n; i++)
        free(sets[i].v);
    free(sets);
    free(ref.sig);
    free(ref.values);
    free(ref.keys);
    sheaf_index_free(idx);
    free_corpus(&c);
}

static void statistics_oph(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init(&p);
    check_statistics(&p);
}

static void statistics_minhash(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init(&p);
    p.scheme = SHEAF_SCHEME_MINHASH;
    check_statistics(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mechanics_default),
        cmocka_unit_test(mechanics_minhash_char),
        cmocka_unit_test(mechanics_forced_bands),
        cmocka_unit_test(statistics_oph),
        cmocka_unit_test(statistics_minhash),
    };
    return cmocka_run_group_tests_name("differential", tests, NULL, NULL);
}
