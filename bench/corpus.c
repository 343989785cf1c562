/*
 * Reading articles for the harness: JSONL (the "text", "id" and "story"
 * string members; gzip or plain) or plain text, and the small utilities the
 * other files share.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "bench.h"

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fprintf(stderr, "sheaf-bench: out of memory\n");
        exit(1);
    }
    return p;
}

void buf_add(buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

void buf_str(buf *b, const char *s) { buf_add(b, s, strlen(s)); }

void buf_char(buf *b, char c) { buf_add(b, &c, 1); }

static char *dup_n(const char *s, size_t n)
{
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void corpus_add(corpus *c, const char *id, const char *story, const char *text,
                size_t len)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->a = xrealloc(c->a, c->cap * sizeof *c->a);
    }
    article *a = &c->a[c->n++];
    a->id = dup_n(id, strlen(id));
    a->story = story ? dup_n(story, strlen(story)) : NULL;
    a->text = dup_n(text, len);
    a->len = len;
    c->bytes += len;
}

void corpus_free(corpus *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->a[i].id);
        free(c->a[i].story);
        free(c->a[i].text);
    }
    free(c->a);
    *c = (corpus){0};
}

/* ------------------------------------------------------------------ JSON */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

static void put_utf8(buf *out, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_add(out, u, n);
}

static int hex4(const char *p, const char *end, uint32_t *v)
{
    *v = 0;
    if (end - p < 4)
        return 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        uint32_t d = c >= '0' && c <= '9'   ? (uint32_t)(c - '0')
                     : c >= 'a' && c <= 'f' ? (uint32_t)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (uint32_t)(c - 'A' + 10)
                                            : 16;
        if (d == 16)
            return 0;
        *v = *v << 4 | d;
    }
    return 1;
}

/* The string starting after its opening quote at p: unescaped into out
 * when out is not NULL. Returns the position after the closing quote, or
 * NULL when malformed. A lone surrogate becomes U+FFFD. */
static const char *json_str(const char *p, const char *end, buf *out)
{
    while (p < end) {
        const char *q = p;
        while (q < end && *q != '"' && *q != '\\')
            q++;
        if (out)
            buf_add(out, p, (size_t)(q - p));
        if (q == end)
            return NULL;
        if (*q == '"')
            return q + 1;
        if (++q == end)
            return NULL;
        char c = *q++, e = 0;
        switch (c) {
        case '"':
            e = '"';
            break;
        case '\\':
            e = '\\';
            break;
        case '/':
            e = '/';
            break;
        case 'b':
            e = '\b';
            break;
        case 'f':
            e = '\f';
            break;
        case 'n':
            e = '\n';
            break;
        case 'r':
            e = '\r';
            break;
        case 't':
            e = '\t';
            break;
        case 'u': {
            uint32_t v, lo;
            if (!hex4(q, end, &v))
                return NULL;
            q += 4;
            if (v >= 0xD800 && v < 0xDC00 && end - q >= 6 && q[0] == '\\' &&
                q[1] == 'u' && hex4(q + 2, end, &lo) && lo >= 0xDC00 &&
                lo < 0xE000) {
                v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                q += 6;
            } else if (v >= 0xD800 && v < 0xE000) {
                v = 0xFFFD;
            }
            if (out)
                put_utf8(out, v);
            p = q;
            continue;
        }
        default:
            return NULL;
        }
        if (out)
            buf_char(out, e);
        p = q;
    }
    return NULL;
}

/* Past one JSON value of any kind at p, or NULL when malformed. */
static const char *json_skip(const char *p, const char *end, int depth)
{
    p = skip_ws(p, end);
    if (p == end || depth > 64)
        return NULL;
    if (*p == '"')
        return json_str(p + 1, end, NULL);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = skip_ws(p + 1, end);
        if (p < end && *p == close)
            return p + 1;
        for (;;) {
            if (close == '}') {
                p = skip_ws(p, end);
                if (p == end || *p != '"' || !(p = json_str(p + 1, end, NULL)))
                    return NULL;
                p = skip_ws(p, end);
                if (p == end || *p++ != ':')
                    return NULL;
            }
            if (!(p = json_skip(p, end, depth + 1)))
                return NULL;
            p = skip_ws(p, end);
            if (p == end)
                return NULL;
            if (*p == close)
                return p + 1;
            if (*p++ != ',')
                return NULL;
        }
    }
    /* A number or a literal: up to a delimiter. */
    const char *q = p;
    while (q < end && *q != ',' && *q != '}' && *q != ']' && *q != ' ' &&
           *q != '\t' && *q != '\r' && *q != '\n')
        q++;
    return q > p ? q : NULL;
}

/* The value of the top-level member key of the JSON object in line[0..n):
 * *val at its first byte (maybe end). 1 when found, 0 when absent, -1 when
 * the line is not a JSON object. */
static int json_find(const char *line, size_t n, const char *key,
                     const char **val)
{
    const char *p = line, *end = line + n;
    size_t klen = strlen(key);
    p = skip_ws(p, end);
    if (p == end || *p++ != '{')
        return -1;
    p = skip_ws(p, end);
    if (p < end && *p == '}')
        return 0;
    for (;;) {
        p = skip_ws(p, end);
        if (p == end || *p != '"')
            return -1;
        const char *k = p + 1;
        if (!(p = json_str(k, end, NULL)))
            return -1;
        int match = (size_t)(p - 1 - k) == klen && memcmp(k, key, klen) == 0;
        p = skip_ws(p, end);
        if (p == end || *p++ != ':')
            return -1;
        p = skip_ws(p, end);
        if (match) {
            *val = p;
            return 1;
        }
        if (!(p = json_skip(p, end, 0)))
            return -1;
        p = skip_ws(p, end);
        if (p == end)
            return -1;
        if (*p == '}')
            return 0;
        if (*p++ != ',')
            return -1;
    }
}

int json_string(const char *line, size_t n, const char *key, buf *out)
{
    const char *p, *end = line + n;
    out->n = 0;
    if (out->s)
        out->s[0] = 0;
    int found = json_find(line, n, key, &p);
    if (found != 1)
        return found;
    if (p == end || *p != '"')
        return 0;
    buf_add(out, "", 0);
    return json_str(p + 1, end, out) ? 1 : -1;
}

int json_integer(const char *line, size_t n, const char *key, int64_t *out)
{
    const char *p, *end = line + n;
    int found = json_find(line, n, key, &p);
    if (found != 1)
        return found;
    if (p == end || !(*p == '-' || (*p >= '0' && *p <= '9')))
        return 0;
    /* Its leading sign and digits, as strtoll reads them. */
    char num[40];
    size_t k = 0;
    while (p + k < end && k < sizeof num - 1 &&
           (p[k] == '-' || (p[k] >= '0' && p[k] <= '9')))
        k++;
    memcpy(num, p, k);
    num[k] = 0;
    errno = 0;
    long long v = strtoll(num, NULL, 10);
    if (errno)
        return -1;
    *out = (int64_t)v;
    return 1;
}

/* ------------------------------------------------------------ reading */

int read_line(gz f, buf *line)
{
    char chunk[1 << 16];
    line->n = 0;
    buf_add(line, "", 0);
    while (gzgets(f, chunk, sizeof chunk)) {
        size_t n = strlen(chunk);
        if (n && chunk[n - 1] == '\n') {
            buf_add(line, chunk, n - 1);
            return 1;
        }
        buf_add(line, chunk, n);
    }
    return line->n > 0;
}

static void add_numbered(corpus *c, const char *text, size_t len)
{
    char num[32];
    snprintf(num, sizeof num, "%zu", c->n + 1);
    corpus_add(c, num, NULL, text, len);
}

int corpus_load(corpus *c, const char *path, size_t max)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return -1;
    buf line = {0}, text = {0}, id = {0}, story = {0};
    int more = read_line(f, &line);
    size_t lead = 0;
    while (lead < line.n && (line.s[lead] == ' ' || line.s[lead] == '\t'))
        lead++;
    if (more && lead < line.n && line.s[lead] == '{') {
        size_t lineno = 0;
        for (; more && (!max || c->n < max); more = read_line(f, &line)) {
            lineno++;
            if (json_string(line.s, line.n, "text", &text) != 1)
                continue;
            if (json_string(line.s, line.n, "id", &id) != 1) {
                char num[32];
                snprintf(num, sizeof num, "%zu", lineno);
                id.n = 0;
                buf_str(&id, num);
            }
            int has_story = json_string(line.s, line.n, "story", &story) == 1 ||
                            json_string(line.s, line.n, "cluster", &story) == 1;
            corpus_add(c, id.s, has_story ? story.s : NULL, text.s, text.n);
        }
    } else {
        /* Plain text: articles of about 3 KB, cut at a line end. */
        for (; more && (!max || c->n < max); more = read_line(f, &line)) {
            buf_add(&text, line.s, line.n);
            buf_char(&text, '\n');
            if (text.n >= 3000) {
                add_numbered(c, text.s, text.n - 1);
                text.n = 0;
            }
        }
        if (text.n > 1 && (!max || c->n < max))
            add_numbered(c, text.s, text.n - 1);
    }
    free(line.s);
    free(text.s);
    free(id.s);
    free(story.s);
    gzclose(f);
    return c->n ? 0 : -1;
}

const char *default_input(void)
{
    static const char *const candidates[] = {
        "../shared/corpora/multinews/val.jsonl.gz",
        "../../shared/corpora/multinews/val.jsonl.gz",
    };
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (access(candidates[i], R_OK) == 0)
            return candidates[i];
    return NULL;
}

/* ------------------------------------------------------------- utilities */

uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)((rng_next(r) >> 32) * n >> 32);
}

double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

static int is_word_byte(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') ||
           ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '\'';
}

/* A random word of a random article of vocab, into out. */
static void random_word(rng *r, const corpus *vocab, buf *out)
{
    for (int tries = 0; tries < 8; tries++) {
        const article *a = &vocab->a[rng_below(r, (uint32_t)vocab->n)];
        if (!a->len)
            continue;
        size_t i = rng_below(r, (uint32_t)a->len);
        while (i > 0 && is_word_byte((unsigned char)a->text[i - 1]))
            i--;
        size_t j = i;
        while (j < a->len && is_word_byte((unsigned char)a->text[j]))
            j++;
        if (j > i) {
            buf_add(out, a->text + i, j - i);
            return;
        }
    }
    buf_str(out, "said");
}

void edit_words(rng *r, const char *text, size_t len, double rate,
                const corpus *vocab, buf *out)
{
    out->n = 0;
    buf_add(out, "", 0);
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && !is_word_byte((unsigned char)text[j]))
            j++;
        buf_add(out, text + i, j - i); /* the separators */
        i = j;
        while (j < len && is_word_byte((unsigned char)text[j]))
            j++;
        if (j == i)
            break;
        if (rng_unit(r) >= rate) {
            buf_add(out, text + i, j - i);
        } else {
            switch (rng_below(r, 3)) {
            case 0: /* substitute */
                random_word(r, vocab, out);
                break;
            case 1: /* delete: the separators before it stay */
                break;
            default: /* insert one after it */
                buf_add(out, text + i, j - i);
                buf_char(out, ' ');
                random_word(r, vocab, out);
            }
        }
        i = j;
    }
}

void json_fprint_raw(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            putc(c, f);
    }
}

void json_print_string(const char *s)
{
    putchar('"');
    json_fprint_raw(stdout, s);
    putchar('"');
}

double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double minimum(const double *v, size_t n)
{
    double m = v[0];
    for (size_t i = 1; i < n; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

size_t peak_rss(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (size_t)u.ru_maxrss * 1024;
}

size_t current_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0, resident = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%lu %lu", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}
