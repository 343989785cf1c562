/*
 * Story mode through the public index API: defaults, what it refuses, the
 * mission's five Obama-Putin articles (from ../shared, skipped when
 * absent), and cluster names surviving removal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>

#include "sheaf.h"
#include "testutil.h"

static void defaults_and_refusals(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init_mode(&p, SHEAF_MODE_STORY);
    assert_int_equal(p.mode, SHEAF_MODE_STORY);
    assert_true(p.threshold > 0 && p.threshold < 0.5);
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    sheaf_params q;
    sheaf_params_init_mode(&q, (sheaf_mode)77);
    assert_int_equal(sheaf_params_validate(&q), SHEAF_EINVAL);

    sheaf_index *idx;
    assert_int_equal(sheaf_index_new(&p, &idx), SHEAF_OK);
    sheaf_signature sig;
    assert_int_equal(sheaf_sign(&p, "a few words of text", 19, &sig), SHEAF_OK);
    /* Story mode needs the text: signatures are near mode's. */
    assert_int_equal(sheaf_index_add_signature(idx, "s", &sig, NULL), SHEAF_EINVAL);
    size_t count;
    assert_int_equal(sheaf_index_query_signature(idx, &sig, NULL, 0, &count),
                     SHEAF_EINVAL);
    assert_int_equal(sheaf_index_add(idx, NULL, "x", 1, NULL), SHEAF_EINVAL);
    assert_int_equal(sheaf_index_add(idx, "a", "x", 1, NULL), SHEAF_OK);
    assert_int_equal(sheaf_index_add(idx, "a", "x", 1, NULL), SHEAF_EEXIST);
    sheaf_index_free(idx);
    /* Not stored yet. */
    assert_int_equal(sheaf_index_open("/tmp/sheaf-story-never", &p, 0, &idx),
                     SHEAF_EINVAL);
}

static const char *const event_a[] = {
    "Flooding on the Ashby River forced 400 residents of Marlow Ferry from "
    "their homes on Tuesday, county officials said, after three days of "
    "rain. Emergency shelters opened at Marlow Ferry high school.",
    "Marlow Ferry evacuated: county emergency teams moved about 400 people "
    "as the Ashby River burst its banks on Tuesday. The high school became "
    "a shelter, and officials warned of more rain.",
    "Hundreds left Marlow Ferry on Tuesday when the swollen Ashby River "
    "flooded streets near the old bridge. County officials opened a shelter "
    "in the high school gym for 400 evacuees.",
};
static const char *const event_b =
    "A rare astrolabe was stolen from the Kestrel Bay maritime museum "
    "overnight, police said; the 17th-century instrument was taken from a "
    "locked case and the museum director appealed for help.";

static void joins_rewrites_keeps_others_apart(void **state)
{
    (void)state;
    sheaf_params p;
    sheaf_params_init_mode(&p, SHEAF_MODE_STORY);
    sheaf_index *idx;
    assert_int_equal(sheaf_index_new(&p, &idx), SHEAF_OK);
    sheaf_assignment a;
    char id[8];
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "a%d", i);
        assert_int_equal(sheaf_index_add(idx, id, event_a[i], strlen(event_a[i]), &a),
                         SHEAF_OK);
        assert_string_equal(a.cluster, "a0");
        if (i) {
            assert_non_null(a.match);
            assert_true(a.similarity > 0);
        }
    }
    assert_int_equal(sheaf_index_add(idx, "b", event_b, strlen(event_b), &a), SHEAF_OK);
    assert_string_equal(a.cluster, "b");
    assert_null(a.match);

    /* A query changes nothing and names the cluster it would join. */
    sheaf_match m[2];
    size_t count;
    assert_int_equal(sheaf_index_query(idx, event_a[2], strlen(event_a[2]), m, 2, &count),
                     SHEAF_OK);
    assert_int_equal(count, 1);
    assert_string_equal(m[0].cluster, "a0");
    assert_int_equal(sheaf_index_size(idx), 4);

    /* The name outlives the article that gave it. */
    assert_int_equal(sheaf_index_remove(idx, "a0"), SHEAF_OK);
    const char *name;
    assert_int_equal(sheaf_index_cluster_of(idx, "a1", &name), SHEAF_OK);
    assert_string_equal(name, "a0");
    assert_int_equal(sheaf_index_add(idx, "a3", event_a[0], strlen(event_a[0]), &a),
                     SHEAF_OK);
    assert_string_equal(a.cluster, "a0");
    assert_int_equal(sheaf_index_cluster_count(idx), 2);
    sheaf_index_free(idx);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    buf b = {0};
    buf_add(&b, "", 0); /* an empty file is an empty text, not NULL */
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(&b, chunk, n);
    fclose(f);
    *len = b.n;
    return b.s;
}

/* The mission: four write-ups of the Lima talk together, the Hangzhou
 * meeting apart, although the Lima articles mention it. */
static void seeds(void **state)
{
    (void)state;
    const char *shared = getenv("SHEAF_SHARED") ? getenv("SHEAF_SHARED")
                                                : "../shared";
    char dir[512];
    snprintf(dir, sizeof dir, "%s/seeds", shared);
    DIR *d = opendir(dir);
    if (!d) {
        printf("  %s absent: skipping the seeds case\n", dir);
        skip();
    }
    char *names[16];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 16)
        if (strstr(e->d_name, ".txt"))
            names[n++] = strdup(e->d_name);
    closedir(d);
    assert_int_equal(n, 5);
    for (size_t i = 1; i < n; i++) /* in name order: 000 .. 004 */
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    sheaf_params p;
    sheaf_params_init_mode(&p, SHEAF_MODE_STORY);
    sheaf_index *idx;
    assert_int_equal(sheaf_index_new(&p, &idx), SHEAF_OK);
    const char *cluster[5];
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len = 0;
        char *text = slurp(path, &len);
        assert_non_null(text);
        sheaf_assignment a;
        assert_int_equal(sheaf_index_add(idx, names[i], text, len, &a), SHEAF_OK);
        cluster[i] = a.cluster;
        printf("  %s -> %s\n", names[i], a.cluster);
        free(text);
    }
    for (size_t i = 1; i < 4; i++)
        assert_string_equal(cluster[i], cluster[0]); /* 000-003: Lima */
    assert_string_not_equal(cluster[4], cluster[0]); /* 004: Hangzhou */
    sheaf_index_free(idx);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_and_refusals),
        cmocka_unit_test(joins_rewrites_keeps_others_apart),
        cmocka_unit_test(seeds),
    };
    return cmocka_run_group_tests_name("story index", tests, NULL, NULL);
}
