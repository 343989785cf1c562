/*
 * sheaf_banding: near mode's candidate rule in the open. The differential
 * test: deciding every article by brute force (the accepted earlier
 * article of highest similarity, the earliest on a tie) gives exactly the
 * match and similarity sheaf_index_add gives, and every accepted pair
 * shares a band key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sheaf.h"
#include "testutil.h"

#define ARTICLES 500

/* Texts in families: a base of random words, and copies with words
 * replaced at rates up to 12%, so similarities span the threshold. */
static char *make_text(rng *r, char bases[][4096], size_t nbases)
{
    const char *base = bases[rng_below(r, (uint32_t)nbases)];
    double rate = rng_unit(r) * 0.12;
    buf b = {0};
    const char *p = base;
    while (*p) {
        const char *sp = strchr(p, ' ');
        size_t n = sp ? (size_t)(sp - p) : strlen(p);
        if (rng_unit(r) < rate) {
            char w[16];
            word_for_rank(rng_below(r, 5000), w);
            buf_str(&b, w);
        } else {
            buf_add(&b, p, n);
        }
        buf_str(&b, " ");
        p += n + (sp != NULL);
    }
    return b.s;
}

static void test_init_errors(void **state)
{
    (void)state;
    sheaf_banding bd;
    sheaf_params p;
    sheaf_params_init(&p);
    assert_int_equal(sheaf_banding_init(NULL, &p), SHEAF_EINVAL);
    p.threshold = 2.0;
    assert_int_equal(sheaf_banding_init(&bd, &p), SHEAF_EINVAL);
    assert_non_null(strstr(sheaf_errmsg(), "threshold"));
    sheaf_params_init_mode(&p, SHEAF_MODE_STORY);
    assert_int_equal(sheaf_banding_init(&bd, &p), SHEAF_EINVAL);
    sheaf_params_init(&p);
    assert_int_equal(sheaf_banding_init(&bd, &p), SHEAF_OK);
    uint32_t bands, rows;
    assert_int_equal(sheaf_params_choose_bands(&p, &bands, &rows), SHEAF_OK);
    assert_int_equal(sheaf_banding_bands(&bd), bands);
}

static void test_keys(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init(&p);
    sheaf_banding bd;
    assert_int_equal(sheaf_banding_init(&bd, &p), SHEAF_OK);
    uint32_t bands = sheaf_banding_bands(&bd);
    sheaf_signature *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    uint64_t ka[SHEAF_MAX_HASHES], kb[SHEAF_MAX_HASHES];
    size_t n;
    const char *t = "the quick brown fox jumps over the lazy dog again and again";
    assert_int_equal(sheaf_sign(&p, t, strlen(t), a), SHEAF_OK);
    assert_int_equal(sheaf_banding_keys(&bd, a, ka, bands - 1, &n), SHEAF_ERANGE);
    assert_int_equal(sheaf_banding_keys(&bd, a, ka, bands, &n), SHEAF_OK);
    assert_int_equal(n, bands);
    /* Only the low 16 bits count, as in the index. */
    *b = *a;
    for (uint32_t i = 0; i < b->num_hashes; i++)
        b->values[i] ^= 0xABCD0000u;
    assert_int_equal(sheaf_banding_keys(&bd, b, kb, bands, &n), SHEAF_OK);
    assert_memory_equal(ka, kb, bands * sizeof *ka);
    /* One changed value changes its band's key only. */
    b->values[0] ^= 1;
    assert_int_equal(sheaf_banding_keys(&bd, b, kb, bands, &n), SHEAF_OK);
    assert_true(ka[0] != kb[0]);
    assert_memory_equal(ka + 1, kb + 1, (bands - 1) * sizeof *ka);
    /* No shingles: in no band. */
    assert_int_equal(sheaf_sign(&p, "", 0, b), SHEAF_OK);
    assert_int_equal(sheaf_banding_keys(&bd, b, kb, bands, &n), SHEAF_OK);
    assert_int_equal(n, 0);
    int ok;
    double sim;
    assert_int_equal(sheaf_banding_verify(&bd, a, b, &ok, &sim), SHEAF_OK);
    assert_int_equal(ok, 0);
    assert_int_equal(sheaf_banding_verify(&bd, a, a, &ok, &sim), SHEAF_OK);
    assert_int_equal(ok, 1);
    assert_true(sim == 1.0);
    /* Other parameters: a mismatch. */
    p.seed = 7;
    assert_int_equal(sheaf_sign(&p, t, strlen(t), b), SHEAF_OK);
    assert_int_equal(sheaf_banding_keys(&bd, b, kb, bands, &n), SHEAF_EMISMATCH);
    assert_int_equal(sheaf_banding_verify(&bd, a, b, &ok, &sim), SHEAF_EMISMATCH);
    free(a);
    free(b);
}

static void against_index(const sheaf_params *p)
{
    rng r = {42 + p->num_hashes};
    static char bases[12][4096];
    for (size_t i = 0; i < 12; i++) {
        buf b = {0};
        for (int w = 0; w < 120; w++) {
            char word[16];
            word_for_rank(zipf_rank(&r, 3000), word);
            buf_str(&b, word);
            buf_str(&b, " ");
        }
        snprintf(bases[i], sizeof bases[i], "%s", b.s);
        free(b.s);
    }
    sheaf_index *idx;
    sheaf_banding bd;
    assert_int_equal(sheaf_index_new(p, &idx), SHEAF_OK);
    assert_int_equal(sheaf_banding_init(&bd, p), SHEAF_OK);
    uint32_t bands = sheaf_banding_bands(&bd);
    sheaf_signature *sig = malloc(ARTICLES * sizeof *sig);
    uint64_t *keys = malloc((size_t)ARTICLES * bands * sizeof *keys);
    size_t joined = 0, pairs = 0;
    for (size_t i = 0; i < ARTICLES; i++) {
        char *text = make_text(&r, bases, 12), id[32];
        size_t nk;
        assert_int_equal(sheaf_sign(p, text, strlen(text), &sig[i]), SHEAF_OK);
        assert_int_equal(sheaf_banding_keys(&bd, &sig[i], keys + i * bands,
                                            bands, &nk),
                         SHEAF_OK);
        size_t best = SIZE_MAX;
        double best_sim = 0;
        for (size_t j = 0; j < i; j++) {
            int ok;
            double s;
            assert_int_equal(sheaf_banding_verify(&bd, &sig[i], &sig[j], &ok, &s),
                             SHEAF_OK);
            if (!ok)
                continue;
            pairs++;
            int shared = 0;
            for (uint32_t k = 0; k < bands; k++)
                shared |= keys[i * bands + k] == keys[j * bands + k];
            assert_true(shared);
            if (best == SIZE_MAX || s > best_sim) {
                best = j;
                best_sim = s;
            }
        }
        snprintf(id, sizeof id, "a%zu", i);
        sheaf_article art = SHEAF_ARTICLE_INIT;
        art.id = id;
        art.signature = &sig[i];
        sheaf_assignment as;
        assert_int_equal(sheaf_index_add(idx, &art, &as), SHEAF_OK);
        if (best == SIZE_MAX) {
            assert_null(as.match);
        } else {
            char want[32];
            snprintf(want, sizeof want, "a%zu", best);
            assert_non_null(as.match);
            assert_string_equal(as.match, want);
            assert_true(as.similarity == best_sim);
            joined++;
        }
        free(text);
    }
    /* The corpus exercises both outcomes, and many pairs. */
    assert_true(joined > ARTICLES / 5 && joined < ARTICLES);
    assert_true(pairs > ARTICLES);
    free(sig);
    free(keys);
    sheaf_index_free(idx);
}

static void test_against_index(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init(&p);
    against_index(&p);
    /* Rows beyond four: band keys are no longer a bijection. */
    sheaf_params_init(&p);
    p.num_hashes = 64;
    p.bands = 8;
    p.rows = 6;
    p.threshold = 0.4;
    against_index(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_errors),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_against_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
