/*
 * libFuzzer target for the stored index: open (read-only and for
 * writing, then an add), verify and dump over damaged files. Two sound
 * indexes are built at start (near and story mode, a few pages each, one
 * record on overflow pages); an input says which, then how to damage it:
 * a first byte below 128 then records of 3-byte offset and xor value
 * flip bytes, a first byte of 128 or more truncates the file at the
 * offset that follows; bit 1 of the first byte adds an article too. The oracle is the issue's: no crash (AddressSanitizer, no
 * signal), and either every call refuses or each gives exactly what the
 * sound index gives (dump's lines, verify's SHEAF_OK), and verify and
 * dump agree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sheaf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

typedef struct {
    uint8_t *bytes;
    size_t size;
    char *dump; /* the sound index's dump */
} base;

static base bases[2];
static char dir[64], path[96], lock[104];

typedef struct {
    char *s;
    size_t n, cap;
} text;

static int collect(void *ctx, const char *id, const char *cluster)
{
    text *t = ctx;
    size_t need = t->n + strlen(id) + strlen(cluster) + 3;
    if (need > t->cap) {
        t->cap = need * 2;
        t->s = realloc(t->s, t->cap);
        CHECK(t->s);
    }
    t->n += (size_t)sprintf(t->s + t->n, "%s\t%s\n", id, cluster);
    return 0;
}

static int dump(char **out)
{
    text t = {calloc(1, 1), 0, 1};
    CHECK(t.s);
    int rc = sheaf_index_dump(path, collect, &t);
    *out = t.s;
    return rc;
}

static int add(sheaf_index *idx, int i)
{
    char id[1200], body[600];
    int n = snprintf(id, sizeof id, "a%d", i);
    if (i == 7) /* a record too big for a page: overflow pages */
        for (int k = 0; k < 250; k++)
            n += snprintf(id + n, sizeof id - (size_t)n, "long");
    size_t m = 0;
    for (int k = 0; k < 30; k++)
        m += (size_t)snprintf(body + m, sizeof body - m, "w%dx%d ", i / 3, k);
    sheaf_article a = SHEAF_ARTICLE_INIT;
    a.id = id;
    a.text = body;
    a.len = m;
    a.time = 1600000000 + i;
    return sheaf_index_add(idx, &a, NULL);
}

static void build(base *b, sheaf_mode mode)
{
    unlink(path);
    unlink(lock);
    sheaf_params p;
    sheaf_params_init_mode(&p, mode);
    sheaf_index *idx;
    CHECK(sheaf_index_open(path, &p, 0, &idx) == SHEAF_OK);
    for (int i = 0; i < 60; i++)
        CHECK(add(idx, i) == SHEAF_OK);
    sheaf_index_free(idx);
    FILE *f = fopen(path, "rb");
    CHECK(f);
    fseek(f, 0, SEEK_END);
    b->size = (size_t)ftell(f);
    rewind(f);
    b->bytes = malloc(b->size);
    CHECK(b->bytes && fread(b->bytes, 1, b->size, f) == b->size);
    fclose(f);
    CHECK(dump(&b->dump) == SHEAF_OK);
}

static void cleanup(void)
{
    unlink(path);
    unlink(lock);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(dir, sizeof dir, "/tmp/sheaf-fuzz-store-XXXXXX");
    CHECK(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ix", dir);
    snprintf(lock, sizeof lock, "%s/ix-lock", dir);
    atexit(cleanup);
    build(&bases[0], SHEAF_MODE_NEAR);
    build(&bases[1], SHEAF_MODE_STORY);
    return 0;
}

static size_t offset(const uint8_t *p, size_t size)
{
    return ((size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2]) % size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const base *b = &bases[data[0] & 1];
    uint8_t *f = malloc(b->size);
    CHECK(f);
    memcpy(f, b->bytes, b->size);
    size_t len = b->size;
    if (data[0] >= 128 && size >= 4)
        len = offset(data + 1, b->size);
    else
        for (size_t i = 1; i + 4 <= size; i += 4)
            f[offset(data + i, b->size)] ^= data[i + 3];
    unlink(lock);
    FILE *out = fopen(path, "wb");
    CHECK(out && fwrite(f, 1, len, out) == len && fclose(out) == 0);
    free(f);

    int verified = sheaf_index_verify(path, NULL, NULL);
    char *lines;
    int dumped = dump(&lines);
    CHECK((verified == SHEAF_OK) == (dumped == SHEAF_OK));
    if (dumped == SHEAF_OK)
        CHECK(strcmp(lines, b->dump) == 0);
    free(lines);

    sheaf_index *idx;
    int rc = sheaf_index_open(path, NULL, SHEAF_OPEN_READONLY, &idx);
    CHECK((rc == SHEAF_OK) == (verified == SHEAF_OK));
    if (rc == SHEAF_OK) {
        CHECK(sheaf_index_size(idx) == 60);
        sheaf_index_free(idx);
    }
    if (!(data[0] & 2))
        return 0; /* writing syncs the disk: slow, so for some inputs */
    rc = sheaf_index_open(path, NULL, 0, &idx);
    CHECK((rc == SHEAF_OK) == (verified == SHEAF_OK));
    if (rc == SHEAF_OK) {
        CHECK(add(idx, 60) == SHEAF_OK);
        sheaf_index_free(idx);
        CHECK(sheaf_index_verify(path, NULL, NULL) == SHEAF_OK);
    }
    return 0;
}
