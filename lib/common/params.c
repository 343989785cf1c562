/*
 * Parameters: one table says, for each, its name, type, range, defaults
 * per mode and help. Defaults, validation, setting and formatting by name,
 * and what the clusterer and the documentation show are all read from it,
 * so a parameter is defined once.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/params.h"
#include "common/simd.h"

typedef enum ptype {
    T_MODE,     /* sheaf_mode */
    T_SHINGLE,  /* shingle_kind and shingle_size */
    T_SCHEME,   /* sheaf_scheme */
    T_UINT,     /* uint32_t in [lo, hi] */
    T_U64,      /* uint64_t, decimal or 0x hex */
    T_DOUBLE,   /* double in the range lo, hi */
    T_DURATION, /* int64_t seconds, >= 0 */
    T_SIMD      /* sheaf_simd */
} ptype;

typedef struct pdef {
    sheaf_param_info info;
    ptype type;
    size_t off;
    double lo, hi;
    unsigned char lo_open, hi_open; /* the range excludes lo, hi */
    const char *def[3];             /* by mode: near, story */
} pdef;

#define NEAR (1u << SHEAF_MODE_NEAR)
#define STORY (1u << SHEAF_MODE_STORY)
#define AT(field) offsetof(sheaf_params, field)

static const pdef table[] = {
    {{"mode", "near or story",
      "what makes one cluster: copies of an article (near) or different "
      "write-ups of one event (story)",
      NEAR | STORY, 1},
     T_MODE, AT(mode), 0, 0, 0, 0, {NULL, "near", "story"}},
    {{"shingle", "word:K or char:K with K in 1..32",
      "what a signature is made of: runs of K words, or of K characters",
      NEAR, 1},
     T_SHINGLE, AT(shingle_kind), 1, SHEAF_MAX_SHINGLE_SIZE, 0, 0,
     {NULL, "word:5", "word:5"}},
    {{"scheme", "oph or minhash",
      "one-permutation hashing (fast) or classic k-permutation MinHash",
      NEAR, 1},
     T_SCHEME, AT(scheme), 0, 0, 0, 0, {NULL, "oph", "oph"}},
    {{"hashes", "a whole number in 1..1024",
      "MinHash values per signature: more is more exact and slower", NEAR,
      1},
     T_UINT, AT(num_hashes), 1, SHEAF_MAX_HASHES, 0, 0, {NULL, "128", "128"}},
    {{"seed", "a whole number in 0..2^64-1 (decimal, or hex after 0x)",
      "seed of every hash function", NEAR | STORY, 1},
     T_U64, AT(seed), 0, 0, 0, 0, {NULL, "0", "0"}},
    {{"threshold", "a number in (0, 1]",
      "near: the estimated Jaccard similarity that joins two articles; "
      "story: the least similarity to a cluster that joins it",
      NEAR | STORY, 1},
     T_DOUBLE, AT(threshold), 0, 1, 1, 0, {NULL, "0.5", "0.1"}},
    {{"bands", "a whole number in 0..1024 (0: chosen from the threshold)",
      "LSH bands; bands times rows is at most hashes", NEAR, 1},
     T_UINT, AT(bands), 0, SHEAF_MAX_HASHES, 0, 0, {NULL, "0", "0"}},
    {{"rows", "a whole number in 0..1024 (0: chosen from the threshold)",
      "signature values per LSH band", NEAR, 1},
     T_UINT, AT(rows), 0, SHEAF_MAX_HASHES, 0, 0, {NULL, "0", "0"}},
    {{"window", "a duration (72h, 3d, 90m, 3600s or seconds; 0: none)",
      "join only articles published within this time of each other",
      NEAR | STORY, 1},
     T_DURATION, AT(window), 0, 0, 0, 0, {NULL, "0", "0"}},
    {{"contrast", "a number in [0, 1]",
      "story: how far the best cluster's similarity must stand above the "
      "mean of the next three",
      STORY, 1},
     T_DOUBLE, AT(contrast), 0, 1, 0, 0, {NULL, "0.09", "0.09"}},
    {{"simd", "auto, scalar, avx2 or avx512",
      "the vector instructions that sign; results are the same", NEAR, 0},
     T_SIMD, AT(simd), 0, 0, 0, 0, {NULL, "auto", "auto"}},
};

#define NPARAMS (sizeof table / sizeof table[0])

static const char *const mode_names[] = {NULL, "near", "story"};
static const char *const scheme_names[] = {NULL, "oph", "minhash"};
static const char *const simd_names[] = {"auto", "scalar", "avx2", "avx512"};

const sheaf_param_info *sheaf_param_info_at(size_t i)
{
    return i < NPARAMS ? &table[i].info : NULL;
}

static const pdef *find(const char *name)
{
    for (size_t i = 0; name && i < NPARAMS; i++)
        if (strcmp(table[i].info.name, name) == 0)
            return &table[i];
    return NULL;
}

/* ------------------------------------------------------- text to value */

/* The index of s among names[0..n), or -1 (NULL entries never match). */
static int choice(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (names[i] && strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    int base = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (errno || *end || (base == 16 && end == s + 2))
        return -1;
    *out = v;
    return 0;
}

/* Whole seconds, or a whole number of seconds, minutes, hours or days
 * with the suffix s, m, h or d. */
static int parse_duration(const char *s, int64_t *out)
{
    static const struct {
        char suffix;
        int64_t seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    if (*s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    int64_t unit = 1;
    if (*end) {
        size_t i = 0, n = sizeof units / sizeof units[0];
        while (i < n && units[i].suffix != *end)
            i++;
        if (i == n || end[1])
            return -1;
        unit = units[i].seconds;
    }
    if (errno || v > (unsigned long long)(INT64_MAX / unit))
        return -1;
    *out = (int64_t)v * unit;
    return 0;
}

static int in_range(const pdef *d, double v)
{
    return (d->lo_open ? v > d->lo : v >= d->lo) &&
           (d->hi_open ? v < d->hi : v <= d->hi);
}

/* Parse value into the field(s) of d in *p; -1 when it is not one. */
static int parse(const pdef *d, const char *v, sheaf_params *p)
{
    char *at = (char *)p + d->off, *end;
    uint64_t u;
    int i;
    switch (d->type) {
    case T_MODE:
        if ((i = choice(v, mode_names, 3)) < 0)
            return -1;
        p->mode = (sheaf_mode)i;
        return 0;
    case T_SCHEME:
        if ((i = choice(v, scheme_names, 3)) < 0)
            return -1;
        p->scheme = (sheaf_scheme)i;
        return 0;
    case T_SIMD:
        if ((i = choice(v, simd_names, 4)) < 0)
            return -1;
        p->simd = (sheaf_simd)i;
        return 0;
    case T_SHINGLE: {
        const char *colon = strchr(v, ':');
        if (!colon || colon - v != 4 || parse_u64(colon + 1, &u) ||
            u < 1 || u > SHEAF_MAX_SHINGLE_SIZE)
            return -1;
        if (memcmp(v, "word", 4) == 0)
            p->shingle_kind = SHEAF_SHINGLE_WORD;
        else if (memcmp(v, "char", 4) == 0)
            p->shingle_kind = SHEAF_SHINGLE_CHAR;
        else
            return -1;
        p->shingle_size = (uint32_t)u;
        return 0;
    }
    case T_UINT:
        if (parse_u64(v, &u) || u < d->lo || u > d->hi)
            return -1;
        *(uint32_t *)(void *)at = (uint32_t)u;
        return 0;
    case T_U64:
        return parse_u64(v, (uint64_t *)(void *)at);
    case T_DURATION:
        return parse_duration(v, (int64_t *)(void *)at);
    case T_DOUBLE: {
        errno = 0;
        double x = strtod(v, &end);
        if (!*v || *end || errno || !in_range(d, x))
            return -1;
        *(double *)(void *)at = x;
        return 0;
    }
    }
    return -1;
}

/* ------------------------------------------------------- value to text */

/* The shortest of %.15g, %.16g, %.17g that reads back as x. */
static void format_double(double x, char *buf, size_t cap)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, cap, "%.*g", digits, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

static void format_duration(int64_t s, char *buf, size_t cap)
{
    if (s != 0 && s % 86400 == 0)
        snprintf(buf, cap, "%lldd", (long long)(s / 86400));
    else if (s != 0 && s % 3600 == 0)
        snprintf(buf, cap, "%lldh", (long long)(s / 3600));
    else if (s != 0 && s % 60 == 0)
        snprintf(buf, cap, "%lldm", (long long)(s / 60));
    else if (s != 0)
        snprintf(buf, cap, "%llds", (long long)s);
    else
        snprintf(buf, cap, "0");
}

static const char *name_or(const char *const *names, unsigned n, unsigned i)
{
    return i < n && names[i] ? names[i] : "?";
}

/* The text form of d's field(s) in *p into buf; the length it needs. */
static size_t format(const pdef *d, const sheaf_params *p, char *buf,
                     size_t cap)
{
    const char *at = (const char *)p + d->off;
    char tmp[64];
    switch (d->type) {
    case T_MODE:
        snprintf(tmp, sizeof tmp, "%s", name_or(mode_names, 3, p->mode));
        break;
    case T_SCHEME:
        snprintf(tmp, sizeof tmp, "%s", name_or(scheme_names, 3, p->scheme));
        break;
    case T_SIMD:
        snprintf(tmp, sizeof tmp, "%s", name_or(simd_names, 4, p->simd));
        break;
    case T_SHINGLE:
        snprintf(tmp, sizeof tmp, "%s:%u",
                 p->shingle_kind == SHEAF_SHINGLE_CHAR ? "char" : "word",
                 p->shingle_size);
        break;
    case T_UINT:
        snprintf(tmp, sizeof tmp, "%u", *(const uint32_t *)(const void *)at);
        break;
    case T_U64:
        snprintf(tmp, sizeof tmp, "%llu",
                 (unsigned long long)*(const uint64_t *)(const void *)at);
        break;
    case T_DURATION:
        format_duration(*(const int64_t *)(const void *)at, tmp, sizeof tmp);
        break;
    case T_DOUBLE:
        format_double(*(const double *)(const void *)at, tmp, sizeof tmp);
        break;
    }
    size_t n = strlen(tmp);
    if (cap)
        snprintf(buf, cap, "%s", tmp);
    return n;
}

/* ------------------------------------------------------------- public */

void sheaf_params_init_mode(sheaf_params *p, sheaf_mode mode)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->size = sizeof *p;
    int m = mode == SHEAF_MODE_STORY ? SHEAF_MODE_STORY : SHEAF_MODE_NEAR;
    for (size_t i = 0; i < NPARAMS; i++)
        parse(&table[i], table[i].def[m], p);
    p->mode = mode;
}

void sheaf_params_init(sheaf_params *p)
{
    sheaf_params_init_mode(p, SHEAF_MODE_NEAR);
}

int sheaf_params_set(sheaf_params *p, const char *name, const char *value)
{
    const pdef *d = find(name);
    if (!p || !name || !value)
        return sheaf__ret(SHEAF_EINVAL);
    if (!d)
        return sheaf__ret(sheaf__fail(SHEAF_ENOTFOUND,
                                      "%s: no such parameter", name));
    sheaf_params q = *p;
    if (p->size != sizeof *p || parse(d, value, &q) != 0)
        return sheaf__ret(sheaf__fail(SHEAF_EINVAL, "%s: '%s' is not %s",
                                      name, value, d->info.values));
    *p = q;
    return sheaf__ret(SHEAF_OK);
}

int sheaf_params_format(const sheaf_params *p, const char *name, char *buf,
                        size_t cap)
{
    const pdef *d = find(name);
    if (!p || !name || (cap && !buf))
        return sheaf__ret(SHEAF_EINVAL);
    if (!d)
        return sheaf__ret(sheaf__fail(SHEAF_ENOTFOUND,
                                      "%s: no such parameter", name));
    if (format(d, p, buf, cap) >= cap)
        return sheaf__ret(sheaf__fail(SHEAF_ERANGE,
                                      "%s: the buffer is too small", name));
    return sheaf__ret(SHEAF_OK);
}

/* The message for d's value in *p being out of its range. */
static int out_of_range(const pdef *d, const sheaf_params *p)
{
    char v[64];
    format(d, p, v, sizeof v);
    return sheaf__fail(SHEAF_EINVAL, "%s: %s is not %s", d->info.name, v,
                       d->info.values);
}

static int check_one(const pdef *d, const sheaf_params *p)
{
    const char *at = (const char *)p + d->off;
    switch (d->type) {
    case T_MODE:
        return p->mode == SHEAF_MODE_NEAR || p->mode == SHEAF_MODE_STORY;
    case T_SCHEME:
        return p->scheme == SHEAF_SCHEME_OPH ||
               p->scheme == SHEAF_SCHEME_MINHASH;
    case T_SIMD:
        return (unsigned)p->simd <= SHEAF_SIMD_AVX512;
    case T_SHINGLE:
        return (p->shingle_kind == SHEAF_SHINGLE_WORD ||
                p->shingle_kind == SHEAF_SHINGLE_CHAR) &&
               p->shingle_size >= 1 &&
               p->shingle_size <= SHEAF_MAX_SHINGLE_SIZE;
    case T_UINT: {
        uint32_t u = *(const uint32_t *)(const void *)at;
        return u >= d->lo && u <= d->hi;
    }
    case T_U64:
        return 1;
    case T_DURATION:
        return *(const int64_t *)(const void *)at >= 0;
    case T_DOUBLE:
        return in_range(d, *(const double *)(const void *)at);
    }
    return 0;
}

int sheaf__params_check(const sheaf_params *p)
{
    for (size_t i = 0; i < NPARAMS; i++)
        if (!check_one(&table[i], p))
            return out_of_range(&table[i], p);
    if ((p->bands == 0) != (p->rows == 0))
        return sheaf__fail(SHEAF_EINVAL,
                           "bands and rows: set both, or neither (%u, %u)",
                           p->bands, p->rows);
    if (p->bands && (uint64_t)p->bands * p->rows > p->num_hashes)
        return sheaf__fail(SHEAF_EINVAL,
                           "bands %u, rows %u: needs %llu hashes, more than "
                           "hashes %u",
                           p->bands, p->rows,
                           (unsigned long long)p->bands * p->rows,
                           p->num_hashes);
    if (!sheaf_simd_supported(p->simd))
        return sheaf__fail(SHEAF_EINVAL, "simd: %s: this CPU lacks it",
                           simd_names[p->simd]);
    return SHEAF_OK;
}

int sheaf__params_load(const sheaf_params *in, sheaf_params *out)
{
    if (!in)
        return sheaf__fail(SHEAF_EINVAL, "params: NULL");
    size_t least = offsetof(sheaf_params, mode) + sizeof in->mode;
    if (in->size < least || in->size > sizeof *out)
        return sheaf__fail(SHEAF_EINVAL,
                           "params: size %zu is not one this sheaf knows "
                           "(fill them with sheaf_params_init)",
                           in->size);
    sheaf_params_init_mode(out, in->mode);
    memcpy(out, in, in->size);
    out->size = sizeof *out;
    return sheaf__params_check(out);
}

int sheaf_params_validate(const sheaf_params *p)
{
    sheaf_params q;
    return sheaf__ret(sheaf__params_load(p, &q));
}

static int same_field(const pdef *d, const sheaf_params *a,
                      const sheaf_params *b)
{
    char x[64], y[64];
    format(d, a, x, sizeof x);
    format(d, b, y, sizeof y);
    return strcmp(x, y) == 0;
}

int sheaf__params_same_identity(const sheaf_params *a, const sheaf_params *b,
                                const char **name)
{
    for (size_t i = 0; i < NPARAMS; i++) {
        const pdef *d = &table[i];
        if (d->info.identity && (d->info.modes & (1u << a->mode)) &&
            !same_field(d, a, b)) {
            *name = d->info.name;
            return 0;
        }
    }
    return 1;
}
