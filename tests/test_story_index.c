/*
 * Story mode through the public index API, in memory and stored: defaults
 * and refusals, rewrites joining and other news apart, cluster names
 * surviving removal, a stored story index that decides after reopening
 * exactly as an in-memory index that got the same sequence (ties after
 * removals included), its identity parameters, read-only opening, and the
 * mission's five Obama-Putin articles (from ../shared, skipped when
 * absent).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <unistd.h>

#include "sheaf.h"
#include "testutil.h"

#define HOUR ((int64_t)3600)
#define DAY ((int64_t)86400)
#define T0 ((int64_t)1479600000) /* Nov 2016 */

/* ------------------------------------------------------------- helpers */

static char tmpdir[64];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sheaf-story-index-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_of(const char *name, char out[128])
{
    snprintf(out, 128, "%s/%s", tmpdir, name);
}

static void story_params(sheaf_params *p)
{
    sheaf_params_init_mode(p, SHEAF_MODE_STORY);
}

static sheaf_index *new_index(const sheaf_params *p)
{
    sheaf_index *idx = NULL;
    assert_int_equal(sheaf_index_new(p, &idx), SHEAF_OK);
    return idx;
}

static sheaf_index *open_index(const char *path, const sheaf_params *p,
                               unsigned flags)
{
    sheaf_index *idx = NULL;
    int rc = sheaf_index_open(path, p, flags, &idx);
    if (rc != SHEAF_OK)
        fail_msg("sheaf_index_open %s: %s", path, sheaf_errmsg());
    return idx;
}

static sheaf_article article(const char *id, const char *text, int64_t time)
{
    sheaf_article a = SHEAF_ARTICLE_INIT;
    a.id = id;
    a.text = text;
    a.len = text ? strlen(text) : 0;
    a.time = time;
    return a;
}

static int try_add(sheaf_index *idx, const char *id, const char *text,
                   int64_t time, sheaf_assignment *out)
{
    sheaf_article a = article(id, text, time);
    return sheaf_index_add(idx, &a, out);
}

static sheaf_assignment add(sheaf_index *idx, const char *id,
                            const char *text, int64_t time)
{
    sheaf_assignment as;
    assert_int_equal(try_add(idx, id, text, time, &as), SHEAF_OK);
    return as;
}

static int bits_equal(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Two indexes that got the same sequence decide alike, to the bit. */
static void same_assignment(const sheaf_assignment *a,
                            const sheaf_assignment *b)
{
    assert_string_equal(a->cluster, b->cluster);
    assert_int_equal(a->match == NULL, b->match == NULL);
    if (a->match)
        assert_string_equal(a->match, b->match);
    assert_true(bits_equal(a->similarity, b->similarity));
    assert_int_equal(a->cluster_size, b->cluster_size);
}

/* Queries of text at time on x and y agree, to the bit. */
static void same_query(const sheaf_index *x, const sheaf_index *y,
                       const char *text, int64_t time)
{
    sheaf_article a = article(NULL, text, time);
    sheaf_match m[2], n[2];
    size_t cm = 99, cn = 98;
    assert_int_equal(sheaf_index_query(x, &a, m, 2, &cm), SHEAF_OK);
    assert_int_equal(sheaf_index_query(y, &a, n, 2, &cn), SHEAF_OK);
    assert_int_equal(cm, cn);
    assert_true(cm <= 1);
    if (cm) {
        assert_string_equal(m[0].id, n[0].id);
        assert_string_equal(m[0].cluster, n[0].cluster);
        assert_true(bits_equal(m[0].similarity, n[0].similarity));
    }
}

typedef struct name_list {
    char *v[256];
    size_t n;
} name_list;

static int collect(void *ctx, const char *cluster, size_t size)
{
    (void)size;
    name_list *s = ctx;
    if (s->n == 256)
        return 1;
    s->v[s->n++] = strdup(cluster);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An index's contents as one string (to free): its counts, and each
 * cluster, by name, with its members in order. By name: a reopened index
 * lists its clusters in the order of their first live members. */
static char *contents(const sheaf_index *idx)
{
    name_list s = {{0}, 0};
    assert_int_equal(sheaf_index_clusters(idx, collect, &s), 0);
    qsort(s.v, s.n, sizeof s.v[0], by_name);
    buf b = {0};
    char line[64];
    snprintf(line, sizeof line, "%zu articles, %zu clusters\n",
             sheaf_index_size(idx), sheaf_index_cluster_count(idx));
    buf_str(&b, line);
    for (size_t i = 0; i < s.n; i++) {
        const char *ids[64];
        size_t n = 0;
        assert_int_equal(
            sheaf_index_cluster_members(idx, s.v[i], ids, 64, &n), SHEAF_OK);
        assert_true(n <= 64);
        buf_str(&b, s.v[i]);
        buf_str(&b, ":");
        for (size_t j = 0; j < n; j++) {
            buf_str(&b, " ");
            buf_str(&b, ids[j]);
        }
        buf_str(&b, "\n");
        free(s.v[i]);
    }
    return b.s;
}

static void same_contents(const sheaf_index *x, const sheaf_index *y)
{
    char *a = contents(x), *b = contents(y);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

/* ------------------------------------------------------------ articles */

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
static const char *const event_b[] = {
    "A rare astrolabe was stolen from the Kestrel Bay maritime museum "
    "overnight, police said; the 17th-century instrument was taken from a "
    "locked case and the museum director appealed for help.",
    "Thieves broke into the maritime museum at Kestrel Bay during the night "
    "and took a 17th-century astrolabe from a locked display case. Police "
    "are investigating and the director asked the public for help.",
    "Police in Kestrel Bay are hunting for a brass astrolabe, almost four "
    "centuries old, that vanished from a locked case at the maritime "
    "museum overnight. The museum's director made an appeal for witnesses.",
};
static const char *const event_c[] = {
    "Bus drivers in Halvering walked out on Monday in a dispute over "
    "shift patterns, leaving the city without public transport. The union "
    "said the strike would last 48 hours.",
    "Halvering had no buses on Monday as drivers began a two-day strike "
    "over new shift rotas. Commuters crowded onto trams and roads were "
    "jammed, while the union and the operator traded blame.",
};

/* --------------------------------------------------------------- memory */

static void defaults_and_refusals(void **state)
{
    (void)state;
    sheaf_params p;
    story_params(&p);
    assert_int_equal(p.mode, SHEAF_MODE_STORY);
    assert_true(p.threshold > 0 && p.threshold < 0.5);
    assert_int_equal(sheaf_params_validate(&p), SHEAF_OK);
    sheaf_params q;
    sheaf_params_init_mode(&q, (sheaf_mode)77);
    assert_int_equal(sheaf_params_validate(&q), SHEAF_EINVAL);

    sheaf_index *idx = new_index(&p);
    /* Story mode reads the text: it has no hasher to sign with. */
    assert_null(sheaf_index_hasher(idx));
    assert_int_equal(sheaf_index_params(idx)->mode, SHEAF_MODE_STORY);
    assert_int_equal(sheaf_index_add(idx, NULL, NULL), SHEAF_EINVAL);
    assert_int_equal(try_add(idx, NULL, "x", SHEAF_NO_TIME, NULL),
                     SHEAF_EINVAL);
    assert_int_equal(try_add(idx, "a", "x", SHEAF_NO_TIME, NULL), SHEAF_OK);
    assert_int_equal(try_add(idx, "a", "x", SHEAF_NO_TIME, NULL),
                     SHEAF_EEXIST);
    assert_int_equal(sheaf_index_size(idx), 1);
    sheaf_index_free(idx);
}

static void joins_rewrites_keeps_others_apart(void **state)
{
    (void)state;
    sheaf_params p;
    story_params(&p);
    sheaf_index *idx = new_index(&p);
    char id[8];
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "a%d", i);
        sheaf_assignment a = add(idx, id, event_a[i], SHEAF_NO_TIME);
        assert_string_equal(a.cluster, "a0");
        if (i) {
            assert_non_null(a.match);
            assert_true(a.similarity > 0);
        }
    }
    sheaf_assignment a = add(idx, "b", event_b[0], SHEAF_NO_TIME);
    assert_string_equal(a.cluster, "b");
    assert_null(a.match);

    /* A query changes nothing and names the cluster it would join. */
    sheaf_article art = article(NULL, event_a[2], SHEAF_NO_TIME);
    sheaf_match m[2];
    size_t count;
    assert_int_equal(sheaf_index_query(idx, &art, m, 2, &count), SHEAF_OK);
    assert_int_equal(count, 1);
    assert_string_equal(m[0].cluster, "a0");
    assert_int_equal(sheaf_index_size(idx), 4);

    /* The name outlives the article that gave it. */
    assert_int_equal(sheaf_index_remove(idx, "a0"), SHEAF_OK);
    const char *name;
    assert_int_equal(sheaf_index_cluster_of(idx, "a1", &name), SHEAF_OK);
    assert_string_equal(name, "a0");
    a = add(idx, "a3", event_a[0], SHEAF_NO_TIME);
    assert_string_equal(a.cluster, "a0");
    assert_int_equal(sheaf_index_cluster_count(idx), 2);
    sheaf_index_free(idx);
}

/* --------------------------------------------------------------- stored */

/* One step of a sequence: add, remove or expire. */
typedef struct op {
    char kind;      /* 'a'dd, 'r'emove, 'e'xpire */
    const char *id; /* added or removed */
    const char *text;
    int64_t time; /* added: its time; expire: before */
} op;

/* Apply ops[0..n) to x and y alike; each must give the same result. */
static void apply_both(sheaf_index *x, sheaf_index *y, const op *ops,
                       size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const op *o = &ops[i];
        if (o->kind == 'a') {
            sheaf_assignment a, b;
            int rc = try_add(x, o->id, o->text, o->time, &a);
            assert_int_equal(try_add(y, o->id, o->text, o->time, &b), rc);
            if (rc == SHEAF_OK)
                same_assignment(&a, &b);
        } else if (o->kind == 'r') {
            assert_int_equal(sheaf_index_remove(x, o->id),
                             sheaf_index_remove(y, o->id));
        } else {
            size_t rx = 0, ry = 0;
            assert_int_equal(sheaf_index_expire(x, o->time, &rx), SHEAF_OK);
            assert_int_equal(sheaf_index_expire(y, o->time, &ry), SHEAF_OK);
            assert_int_equal(rx, ry);
        }
    }
}

/* Before the first reopening: two events, other news, a cluster whose
 * namer goes (a0), an expiry. */
static const op first[] = {
    {'a', "a0", NULL, T0},
    {'a', "c0", NULL, T0 + HOUR},
    {'a', "a1", NULL, T0 + 2 * HOUR},
    {'a', "b0", NULL, T0 + 3 * HOUR},
    {'a', "a2", NULL, SHEAF_NO_TIME},
    {'r', "a0", NULL, 0},
    {'a', "b1", NULL, T0 + 4 * HOUR},
    {'e', NULL, NULL, T0 + HOUR + 1}, /* c0 */
};

/* After it: rewrites join what stayed, a removed namer's id is refused,
 * an expired article's is free. */
static const op second[] = {
    {'a', "a3", NULL, T0 + 5 * HOUR},
    {'a', "a0", NULL, T0 + 5 * HOUR}, /* names a cluster: refused */
    {'a', "c0", NULL, T0 + 6 * HOUR},
    {'a', "b2", NULL, T0 + 6 * HOUR},
    {'r', "b0", NULL, 0},
    {'a', "c1", NULL, T0 + 7 * HOUR},
};

/* The texts of the ops, by id: the letter is the event, the digit the
 * write-up. */
static const char *text_of(const char *id)
{
    const char *const *ev = id[0] == 'a' ? event_a
                            : id[0] == 'b' ? event_b
                                           : event_c;
    size_t n = id[0] == 'c' ? 2 : 3;
    return ev[(size_t)(id[1] - '0') % n];
}

static void apply_texts(sheaf_index *x, sheaf_index *y, const op *ops,
                        size_t n)
{
    op with[16];
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++) {
        with[i] = ops[i];
        if (with[i].kind == 'a')
            with[i].text = text_of(with[i].id);
    }
    apply_both(x, y, with, n);
}

/* A stored story index, filled, freed and reopened (with its parameters,
 * then with none), holds what an in-memory index that got the same
 * sequence holds, and decides every later article, query and add, as it
 * does. */
static void stored_decides_like_memory(void **state)
{
    (void)state;
    char path[128];
    path_of("same.sheaf", path);
    sheaf_params p;
    story_params(&p);
    p.window = 3 * DAY;
    sheaf_index *mem = new_index(&p), *disk = open_index(path, &p, 0);
    apply_texts(mem, disk, first, sizeof first / sizeof first[0]);
    sheaf_index_free(disk);

    disk = open_index(path, &p, 0);
    same_contents(mem, disk);
    assert_int_equal(sheaf_index_size(disk), 4);
    for (int i = 0; i < 3; i++) {
        same_query(mem, disk, event_a[i], T0 + 5 * HOUR);
        same_query(mem, disk, event_b[i], SHEAF_NO_TIME);
    }
    apply_texts(mem, disk, second, sizeof second / sizeof second[0]);
    sheaf_index_free(disk);

    disk = open_index(path, NULL, 0); /* the stored parameters */
    const sheaf_params *q = sheaf_index_params(disk);
    assert_int_equal(q->mode, SHEAF_MODE_STORY);
    assert_true(q->threshold == p.threshold && q->contrast == p.contrast);
    assert_int_equal(q->window, p.window);
    same_contents(mem, disk);
    const op third[] = {
        {'a', "a4", NULL, T0 + 8 * HOUR},
        {'a', "b3", NULL, T0 + 9 * HOUR},
        {'a', "c2", NULL, T0 + 4 * DAY}, /* beyond the window of c0, c1 */
    };
    apply_texts(mem, disk, third, 3);
    same_contents(mem, disk);
    sheaf_index_free(disk);
    sheaf_index_free(mem);
}

/* Ties after removals. Texts of distinct words, each once, weigh every
 * term alike, so all copies of one have equal vectors: ties are exact. */
static const char *const alpha =
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo "
    "lima mike november oscar papa quebec romeo sierra tango";
static const char *const fruit =
    "apple banana cherry damson elder fig grape honeydew ilama jujube kiwi "
    "lemon mango nectarine olive peach quince raspberry satsuma tangerine";
static const char *const mixed =
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo "
    "lima mike november oscar papa quebec romeo sierra tango apple banana "
    "cherry damson elder";

/* Two clusters equally near the query: the older lost its first article,
 * and its survivor came after the other cluster was made. The reopened
 * index cannot know which cluster was made first. */
static const op tied_clusters[] = {
    {'a', "x0", NULL, T0},
    {'a', "y0", NULL, T0 + 2 * HOUR}, /* out of x0's window */
    {'a', "x1", NULL, T0 + HOUR / 2},
    {'r', "x0", NULL, 0},
};

static void apply_alpha(sheaf_index *x, sheaf_index *y, const op *ops,
                        size_t n)
{
    op with[8];
    for (size_t i = 0; i < n; i++) {
        with[i] = ops[i];
        with[i].text = alpha;
    }
    apply_both(x, y, with, n);
}

/* More clusters than story mode verifies share bands with the query, in
 * two groups tied within; the only one within the query's window, f39,
 * takes the cluster slot of the removed junk, which the reopened index
 * never had. */
static void tied_candidates(sheaf_index *x, sheaf_index *y)
{
    char id[16];
    op o = {'a', "junk", "zulu yankee xray whiskey victor uniform", T0};
    apply_both(x, y, &o, 1);
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof id, "a%d", i);
        o = (op){'a', id, alpha, T0 + i * 2 * HOUR};
        apply_both(x, y, &o, 1);
    }
    for (int i = 0; i < 40; i++) {
        if (i == 39) {
            o = (op){'r', "junk", NULL, 0};
            apply_both(x, y, &o, 1);
        }
        snprintf(id, sizeof id, "f%d", i);
        o = (op){'a', id, fruit, T0 + (100 + i * 2) * HOUR};
        apply_both(x, y, &o, 1);
    }
}

/* The reopened index breaks ties as the uninterrupted one did. */
static void stored_ties_across_reopen(void **state)
{
    (void)state;
    sheaf_params p;
    story_params(&p);
    p.window = HOUR;
    char path[128];
    path_of("ties.sheaf", path);
    sheaf_index *mem = new_index(&p), *disk = open_index(path, &p, 0);
    apply_alpha(mem, disk, tied_clusters, 4);
    sheaf_index_free(disk);
    disk = open_index(path, &p, 0);
    op q = {'a', "q", alpha, T0 + 75 * 60};
    apply_both(mem, disk, &q, 1);
    sheaf_index_free(disk);
    sheaf_index_free(mem);

    path_of("ties2.sheaf", path);
    mem = new_index(&p);
    disk = open_index(path, &p, 0);
    tied_candidates(mem, disk);
    sheaf_index_free(disk);
    disk = open_index(path, &p, 0);
    same_query(mem, disk, mixed, T0 + 178 * HOUR + HOUR / 2);
    q = (op){'a', "q", mixed, T0 + 178 * HOUR + HOUR / 2};
    apply_both(mem, disk, &q, 1);
    sheaf_index_free(disk);
    sheaf_index_free(mem);
}

/* Reopening with other values of the parameters story mode uses is a
 * mismatch that names the parameter and changes nothing; those it does
 * not use are not part of its identity. */
static void stored_identity(void **state)
{
    (void)state;
    char path[128];
    path_of("identity.sheaf", path);
    sheaf_params p, q;
    story_params(&p);
    sheaf_index *idx = open_index(path, &p, 0);
    add(idx, "a0", event_a[0], T0);
    sheaf_index_free(idx);

    static const char *const other[][2] = {
        {"threshold", "0.2"}, {"contrast", "0.2"}, {"window", "1h"},
        {"seed", "7"},        {"mode", "near"},
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        q = p;
        assert_int_equal(sheaf_params_set(&q, other[i][0], other[i][1]),
                         SHEAF_OK);
        idx = (sheaf_index *)&q;
        assert_int_equal(sheaf_index_open(path, &q, 0, &idx),
                         SHEAF_EMISMATCH);
        assert_non_null(strstr(sheaf_errmsg(), other[i][0]));
        assert_ptr_equal(idx, (sheaf_index *)&q);
        assert_int_equal(
            sheaf_index_open(path, &q, SHEAF_OPEN_READONLY, &idx),
            SHEAF_EMISMATCH);
    }
    sheaf_params_init(&q); /* near mode's defaults altogether */
    assert_int_equal(sheaf_index_open(path, &q, 0, &idx), SHEAF_EMISMATCH);

    static const char *const unused[][2] = {
        {"hashes", "64"}, {"shingle", "char:3"}, {"bands", "8"},
        {"rows", "8"},    {"simd", "scalar"},
    };
    q = p;
    for (size_t i = 0; i < sizeof unused / sizeof unused[0]; i++)
        assert_int_equal(sheaf_params_set(&q, unused[i][0], unused[i][1]),
                         SHEAF_OK);
    idx = open_index(path, &q, 0);
    assert_int_equal(sheaf_index_size(idx), 1); /* nothing was changed */
    assert_true(sheaf_index_params(idx)->threshold == p.threshold);
    sheaf_index_free(idx);
}

/* Read-only: it holds and decides what the writer left, refuses every
 * change, and a missing index is not created. */
static void stored_readonly(void **state)
{
    (void)state;
    char path[128];
    path_of("readonly.sheaf", path);
    sheaf_params p;
    story_params(&p);
    sheaf_index *mem = new_index(&p), *disk = open_index(path, &p, 0);
    apply_texts(mem, disk, first, sizeof first / sizeof first[0]);
    sheaf_index_free(disk);

    disk = open_index(path, NULL, SHEAF_OPEN_READONLY);
    sheaf_index *again = open_index(path, &p, SHEAF_OPEN_READONLY);
    same_contents(mem, disk);
    for (int i = 0; i < 3; i++)
        same_query(mem, disk, event_b[i], T0 + 5 * HOUR);
    assert_int_equal(try_add(disk, "a9", event_a[0], T0, NULL),
                     SHEAF_EREADONLY);
    assert_int_equal(sheaf_index_remove(disk, "a1"), SHEAF_EREADONLY);
    assert_int_equal(sheaf_index_expire(disk, T0 + DAY, NULL),
                     SHEAF_EREADONLY);
    assert_int_equal(sheaf_index_begin(again), SHEAF_EREADONLY);
    same_contents(mem, disk);
    same_contents(mem, again);
    sheaf_index_free(again);
    sheaf_index_free(disk);

    char missing[128];
    path_of("missing.sheaf", missing);
    sheaf_index *idx = NULL;
    assert_int_equal(
        sheaf_index_open(missing, &p, SHEAF_OPEN_READONLY, &idx),
        SHEAF_ENOTFOUND);
    assert_null(idx);
    assert_int_equal(access(missing, F_OK), -1);
    sheaf_index_free(mem);
}

/* ---------------------------------------------------------------- seeds */

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

/* The .txt files of dir, in name order (as a shell glob gives them),
 * into names; their number. */
static size_t list_seeds(DIR *d, char *names[16])
{
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 16)
        if (strstr(e->d_name, ".txt"))
            names[n++] = strdup(e->d_name);
    qsort(names, n, sizeof names[0], by_name);
    return n;
}

/* The mission: four write-ups of the Lima talk together, the Hangzhou
 * meeting apart, although the Lima articles mention it; in a stored
 * index, and so again once it is reopened. */
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
    size_t n = list_seeds(d, names);
    closedir(d);
    assert_int_equal(n, 5);
    sheaf_params p;
    story_params(&p);
    char path[128];
    path_of("seeds.sheaf", path);
    sheaf_index *idx = open_index(path, &p, 0);
    for (size_t i = 0; i < n; i++) {
        char file[1024];
        snprintf(file, sizeof file, "%s/%s", dir, names[i]);
        size_t len = 0;
        char *text = slurp(file, &len);
        assert_non_null(text);
        sheaf_article a = SHEAF_ARTICLE_INIT;
        a.id = names[i];
        a.text = text;
        a.len = len;
        sheaf_assignment as;
        assert_int_equal(sheaf_index_add(idx, &a, &as), SHEAF_OK);
        printf("  %s -> %s\n", names[i], as.cluster);
        free(text);
    }
    for (int round = 0; round < 2; round++) {
        const char *c[5];
        for (size_t i = 0; i < n; i++)
            assert_int_equal(sheaf_index_cluster_of(idx, names[i], &c[i]),
                             SHEAF_OK);
        for (size_t i = 0; i < 4; i++)
            assert_string_equal(c[i], names[0]); /* 000-003: Lima */
        assert_string_equal(c[4], names[4]);     /* 004: Hangzhou */
        sheaf_index_free(idx);
        idx = round ? NULL : open_index(path, NULL, SHEAF_OPEN_READONLY);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_and_refusals),
        cmocka_unit_test(joins_rewrites_keeps_others_apart),
        cmocka_unit_test(stored_decides_like_memory),
        cmocka_unit_test(stored_ties_across_reopen),
        cmocka_unit_test(stored_identity),
        cmocka_unit_test(stored_readonly),
        cmocka_unit_test(seeds),
    };
    return cmocka_run_group_tests_name("story index", tests, setup_dir,
                                       remove_dir);
}
