/*
 * Parameters: defaults, validation, the choice of LSH banding, error
 * strings and the version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sheaf.h"

static sheaf_params defaults(void)
{
    sheaf_params p;
    memset(&p, 0xa5, sizeof p); /* init must write every field */
    sheaf_params_init(&p);
    return p;
}

/* Probability that two signatures of similarity s share at least one band. */
static double band_hit(double s, uint32_t b, uint32_t r)
{
    return 1.0 - pow(1.0 - pow(s, (double)r), (double)b);
}

static void test_defaults(void **state)
{
    (void)state;
    sheaf_params p = defaults();
    assert_int_equal(p.mode, SHEAF_MODE_NEAR);
    assert_int_equal(p.shingle_kind, SHEAF_SHINGLE_WORD);
    assert_int_equal(p.shingle_size, 5);
    assert_int_equal(p.scheme, SHEAF_SCHEME_OPH);
    assert_int_equal(p.num_hashes, 128);
    assert_true(p.seed == 0);
    assert_true(p.threshold == 0.5);
    assert_int_equal(p.bands, 0);
    assert_int_equal(p.rows, 0);
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    sheaf_params_init(NULL); /* no crash */
}

static void expect_invalid(const sheaf_params *p)
{
    assert_int_equal(sheaf_params_validate(p), SHEAF_EINVAL);
    /* Everything built from parameters rejects them the same way. */
    uint32_t b = 77, r = 77;
    assert_int_equal(sheaf_params_choose_bands(p, &b, &r), SHEAF_EINVAL);
    assert_int_equal(b, 77);
    assert_int_equal(r, 77);
    sheaf_index *idx = (sheaf_index *)0x1;
    assert_int_equal(sheaf_index_new(p, &idx), SHEAF_EINVAL);
    assert_ptr_equal(idx, (sheaf_index *)0x1);
    static sheaf_hasher h;
    assert_int_equal(sheaf_hasher_init(&h, p), SHEAF_EINVAL);
    static sheaf_signature sig;
    assert_int_equal(sheaf_sign(p, "a b c", 5, &sig), SHEAF_EINVAL);
}

static void test_validate_rejects(void **state)
{
    (void)state;
    sheaf_params p;

    assert_int_equal(sheaf_params_validate(NULL), SHEAF_EINVAL);

    p = defaults(); p.num_hashes = 0; expect_invalid(&p);
    p = defaults(); p.num_hashes = SHEAF_MAX_HASHES + 1; expect_invalid(&p);
    p = defaults(); p.num_hashes = UINT32_MAX; expect_invalid(&p);
    p = defaults(); p.shingle_size = 0; expect_invalid(&p);
    p = defaults(); p.shingle_size = SHEAF_MAX_SHINGLE_SIZE + 1; expect_invalid(&p);
    p = defaults(); p.shingle_size = 256; expect_invalid(&p); /* no uint8_t wrap */
    p = defaults(); p.shingle_size = UINT32_MAX; expect_invalid(&p);
    p = defaults(); p.threshold = 0.0; expect_invalid(&p);
    p = defaults(); p.threshold = -0.0; expect_invalid(&p);
    p = defaults(); p.threshold = -0.5; expect_invalid(&p);
    p = defaults(); p.threshold = 1.0000001; expect_invalid(&p);
    p = defaults(); p.threshold = 2.0; expect_invalid(&p);
    p = defaults(); p.threshold = NAN; expect_invalid(&p);
    p = defaults(); p.threshold = -NAN; expect_invalid(&p);
    p = defaults(); p.threshold = INFINITY; expect_invalid(&p);
    p = defaults(); p.threshold = -INFINITY; expect_invalid(&p);
    p = defaults(); p.mode = (sheaf_mode)0; expect_invalid(&p);
    p = defaults(); p.mode = (sheaf_mode)3; expect_invalid(&p);
    p = defaults(); p.contrast = -0.01; expect_invalid(&p);
    p = defaults(); p.contrast = 1.5; expect_invalid(&p);
    p = defaults(); p.contrast = NAN; expect_invalid(&p);
    p = defaults(); p.window = -1; expect_invalid(&p);
    p = defaults(); p.shingle_kind = (sheaf_shingle_kind)0; expect_invalid(&p);
    p = defaults(); p.shingle_kind = (sheaf_shingle_kind)3; expect_invalid(&p);
    p = defaults(); p.shingle_kind = (sheaf_shingle_kind)-1; expect_invalid(&p);
    p = defaults(); p.scheme = (sheaf_scheme)0; expect_invalid(&p);
    p = defaults(); p.scheme = (sheaf_scheme)3; expect_invalid(&p);
    p = defaults(); p.scheme = (sheaf_scheme)-1; expect_invalid(&p);
    p = defaults(); p.bands = 4; expect_invalid(&p);
    p = defaults(); p.rows = 4; expect_invalid(&p);
    p = defaults(); p.bands = 129; p.rows = 1; expect_invalid(&p);
    p = defaults(); p.bands = 16; p.rows = 9; expect_invalid(&p);
    p = defaults(); p.bands = 1; p.rows = 129; expect_invalid(&p);
    /* bands * rows overflowing 32 bits must not wrap into range. */
    p = defaults(); p.bands = 65536; p.rows = 65536; expect_invalid(&p);
    p = defaults(); p.bands = UINT32_MAX; p.rows = UINT32_MAX; expect_invalid(&p);
    p = defaults(); p.bands = 0x80000000u; p.rows = 2; expect_invalid(&p);
}

static void test_validate_accepts_edges(void **state)
{
    (void)state;
    sheaf_params p;
    uint32_t b, r;

    p = defaults(); p.threshold = 1.0;
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    p = defaults(); p.threshold = 1e-9;
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    p = defaults(); p.threshold = 0x1p-1074; /* smallest positive double */
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    p = defaults(); p.num_hashes = 1;
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    assert_int_equal(sheaf_params_choose_bands(&p, &b, &r), SHEAF_OK);
    assert_int_equal(b, 1);
    assert_int_equal(r, 1);
    p = defaults(); p.num_hashes = SHEAF_MAX_HASHES;
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    p = defaults(); p.shingle_size = 1;
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    p = defaults(); p.shingle_size = SHEAF_MAX_SHINGLE_SIZE;
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    p = defaults(); p.shingle_kind = SHEAF_SHINGLE_CHAR;
    p.scheme = SHEAF_SCHEME_MINHASH;
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    p = defaults(); p.seed = UINT64_MAX;
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    p = defaults(); p.bands = 128; p.rows = 1; /* bands * rows == num_hashes */
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    p = defaults(); p.bands = 1; p.rows = 128;
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    p = defaults(); p.bands = 1; p.rows = 1;
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    p = defaults(); p.num_hashes = 1; p.bands = 1; p.rows = 1;
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    p = defaults(); p.num_hashes = SHEAF_MAX_HASHES; p.bands = 32; p.rows = 32;
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
}

static void test_choose_bands_override(void **state)
{
    (void)state;
    static const uint32_t over[][3] = {
        {128, 16, 8}, {128, 1, 1}, {128, 3, 5}, {128, 128, 1}, {128, 1, 128},
        {100, 7, 13}, {1, 1, 1}, {1024, 32, 32}, {1024, 1024, 1}};
    for (size_t i = 0; i < sizeof over / sizeof over[0]; i++) {
        for (int t = 1; t <= 10; t += 3) {
            sheaf_params p = defaults();
            p.num_hashes = over[i][0];
            p.bands = over[i][1];
            p.rows = over[i][2];
            p.threshold = t / 10.0;
            uint32_t b = 0, r = 0;
            assert_int_equal(sheaf_params_choose_bands(&p, &b, &r), SHEAF_OK);
            assert_int_equal(b, over[i][1]);
            assert_int_equal(r, over[i][2]);
        }
    }
    /* NULL outputs. */
    sheaf_params p = defaults();
    uint32_t b, r;
    assert_int_equal(sheaf_params_choose_bands(&p, NULL, &r), SHEAF_EINVAL);
    assert_int_equal(sheaf_params_choose_bands(&p, &b, NULL), SHEAF_EINVAL);
    assert_int_equal(sheaf_params_choose_bands(NULL, &b, &r), SHEAF_EINVAL);
}

static const uint32_t HASHES[] = {1,   2,   3,   5,   7,   16,  31,  32,
                                  64,  100, 127, 128, 200, 256, 333, 512,
                                  777, 1000, 1023, 1024};

/* The automatic choice always fits, is deterministic, and does not depend on
 * fields it should ignore (the seed, scheme, shingles). */
static void test_choose_bands_fits(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof HASHES / sizeof HASHES[0]; i++) {
        for (int ti = 1; ti <= 100; ti += 3) {
            sheaf_params p = defaults();
            p.num_hashes = HASHES[i];
            p.threshold = ti / 100.0;
            uint32_t b = 0, r = 0;
            assert_int_equal(sheaf_params_choose_bands(&p, &b, &r), SHEAF_OK);
            assert_true(b >= 1);
            assert_true(r >= 1);
            assert_true((uint64_t)b * r <= p.num_hashes);
            /* The resolved pair is itself a valid override. */
            sheaf_params q = p;
            q.bands = b;
            q.rows = r;
            assert_int_equal(sheaf_params_validate(&q), SHEAF_OK);
            /* Same answer again, and for other seeds and schemes. */
            uint32_t b2 = 0, r2 = 0;
            q = p;
            q.seed = 12345;
            q.scheme = SHEAF_SCHEME_MINHASH;
            q.shingle_kind = SHEAF_SHINGLE_CHAR;
            q.shingle_size = 3;
            assert_int_equal(sheaf_params_choose_bands(&q, &b2, &r2), SHEAF_OK);
            assert_int_equal(b, b2);
            assert_int_equal(r, r2);
        }
        /* Tiny and top thresholds too. */
        double extremes[] = {1e-9, 0.001, 0.999, 1.0};
        for (size_t e = 0; e < 4; e++) {
            sheaf_params p = defaults();
            p.num_hashes = HASHES[i];
            p.threshold = extremes[e];
            uint32_t b = 0, r = 0;
            assert_int_equal(sheaf_params_choose_bands(&p, &b, &r), SHEAF_OK);
            assert_true(b >= 1 && r >= 1);
            assert_true((uint64_t)b * r <= p.num_hashes);
        }
    }
}

/* A higher threshold never moves the S-curve's midpoint (1/b)^(1/r) down,
 * and far-apart thresholds give clearly different midpoints. */
static void test_choose_bands_monotonic(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof HASHES / sizeof HASHES[0]; i++) {
        double prev = -1.0;
        double mid_at[101] = {0};
        for (int ti = 1; ti <= 100; ti++) {
            sheaf_params p = defaults();
            p.num_hashes = HASHES[i];
            p.threshold = ti / 100.0;
            uint32_t b, r;
            assert_int_equal(sheaf_params_choose_bands(&p, &b, &r), SHEAF_OK);
            double mid = pow(1.0 / b, 1.0 / r);
            assert_true(mid >= prev - 1e-12);
            prev = mid;
            mid_at[ti] = mid;
        }
        if (HASHES[i] >= 16) {
            assert_true(mid_at[20] < mid_at[50]);
            assert_true(mid_at[50] < mid_at[80]);
        }
        /* Threshold 1 asks for identical signatures: one band of them all. */
        assert_true(mid_at[100] == 1.0);
    }
}

/* Every candidate is verified, so the banding leans to recall: at the
 * threshold itself a pair more likely than not shares a band, and pairs above
 * the threshold are found most of the time, on average. */
static void test_choose_bands_recall(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof HASHES / sizeof HASHES[0]; i++) {
        if (HASHES[i] < 64)
            continue; /* too few hashes for a steep S-curve */
        for (int ti = 5; ti <= 95; ti++) {
            sheaf_params p = defaults();
            p.num_hashes = HASHES[i];
            p.threshold = ti / 100.0;
            uint32_t b, r;
            assert_int_equal(sheaf_params_choose_bands(&p, &b, &r), SHEAF_OK);
            double t = p.threshold;
            double at = band_hit(t, b, r);
            if (at <= 0.5)
                print_error("h=%u t=%.2f b=%u r=%u P(t)=%.3f\n", p.num_hashes,
                            t, b, r, at);
            assert_true(at > 0.5);
            double recall = 0.0;
            const int n = 400;
            for (int k = 0; k < n; k++)
                recall += band_hit(t + (1.0 - t) * (k + 0.5) / n, b, r);
            recall /= n;
            assert_true(recall > 0.8);
            /* Halfway between the threshold and 1, very likely a candidate. */
            double hi = t + (1.0 - t) * 0.5;
            assert_true(band_hit(hi, b, r) > 0.85);
        }
    }
    /* For the defaults in particular. */
    sheaf_params p = defaults();
    uint32_t b, r;
    assert_int_equal(sheaf_params_choose_bands(&p, &b, &r), SHEAF_OK);
    assert_true(band_hit(0.5, b, r) > 0.6);
    assert_true(band_hit(0.8, b, r) > 0.99);
    assert_true(band_hit(0.1, b, r) < 0.1);
}

static void test_strerror(void **state)
{
    (void)state;
    const int codes[] = {SHEAF_OK,        SHEAF_EINVAL,   SHEAF_ENOMEM,
                         SHEAF_EMISMATCH, SHEAF_EEXIST,   SHEAF_ENOTFOUND,
                         SHEAF_ERANGE,    SHEAF_EIO,      SHEAF_ECORRUPT,
                         SHEAF_EBUSY,     SHEAF_EREADONLY};
    const size_t n = sizeof codes / sizeof codes[0];
    const char *unknown = sheaf_strerror(-1000);
    assert_non_null(unknown);
    assert_string_equal(unknown, "unknown error");
    for (size_t i = 0; i < n; i++) {
        const char *m = sheaf_strerror(codes[i]);
        assert_non_null(m);
        assert_true(strlen(m) > 0);
        assert_string_not_equal(m, unknown);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(m, sheaf_strerror(codes[j]));
    }
    assert_string_equal(sheaf_strerror(SHEAF_ENOMEM), "out of memory");
    const int bad[] = {1, 2, 100, -11, -100, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(sheaf_strerror(bad[i]), "unknown error");
}

static void test_version(void **state)
{
    (void)state;
    assert_non_null(sheaf_version());
    assert_string_equal(sheaf_version(), SHEAF_VERSION_STRING);
    assert_int_equal(sheaf_version_number(), SHEAF_VERSION_NUMBER);
    char s[32];
    snprintf(s, sizeof s, "%d.%d.%d", SHEAF_VERSION_MAJOR, SHEAF_VERSION_MINOR,
             SHEAF_VERSION_PATCH);
    assert_string_equal(s, sheaf_version());
    unsigned num = sheaf_version_number();
    assert_int_equal(num / 10000, SHEAF_VERSION_MAJOR);
    assert_int_equal(num / 100 % 100, SHEAF_VERSION_MINOR);
    assert_int_equal(num % 100, SHEAF_VERSION_PATCH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_validate_rejects),
        cmocka_unit_test(test_validate_accepts_edges),
        cmocka_unit_test(test_choose_bands_override),
        cmocka_unit_test(test_choose_bands_fits),
        cmocka_unit_test(test_choose_bands_monotonic),
        cmocka_unit_test(test_choose_bands_recall),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
