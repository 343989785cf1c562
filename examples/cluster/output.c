/* The output formats (see output.h). */
#include "output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "xalloc.h"

void output_json_string(outfile *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    outfile_write(o, "\"", 1);
    size_t i = 0;
    while (i < n) {
        size_t valid = i + utf8_invalid_at(s + i, n - i);
        size_t run = i;
        for (; i < valid; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c >= 0x20 && c != '"' && c != '\\')
                continue;
            outfile_write(o, s + run, i - run);
            run = i + 1;
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            switch (c) {
            case '"':
                outfile_write(o, "\\\"", 2);
                break;
            case '\\':
                outfile_write(o, "\\\\", 2);
                break;
            case '\n':
                outfile_write(o, "\\n", 2);
                break;
            case '\t':
                outfile_write(o, "\\t", 2);
                break;
            case '\r':
                outfile_write(o, "\\r", 2);
                break;
            default:
                outfile_write(o, esc, sizeof esc);
                break;
            }
        }
        outfile_write(o, s + run, i - run);
        if (i < n) {
            outfile_write(o, "\\ufffd", 6);
            i++;
        }
    }
    outfile_write(o, "\"", 1);
}

/* An id as the input had it: a number bare, a string quoted. */
static void json_id(outfile *o, const article *a)
{
    if (a->id_number)
        outfile_puts(o, a->id);
    else
        output_json_string(o, a->id, strlen(a->id));
}

/* The shortest of %.15g and %.17g that reads back as the same double. */
static void json_double(outfile *o, double x)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.15g", x);
    if (strtod(buf, NULL) != x)
        snprintf(buf, sizeof buf, "%.17g", x);
    outfile_puts(o, buf);
}

static void write_tsv(outfile *o, const articles *a)
{
    for (size_t i = 0; i < a->count; i++) {
        const article *x = &a->v[i];
        if (x->earlier)
            continue;
        outfile_puts(o, x->id);
        outfile_write(o, "\t", 1);
        outfile_puts(o, a->v[x->cluster].id);
        outfile_write(o, "\n", 1);
    }
}

static void write_jsonl(outfile *o, const articles *a, const size_t *sizes)
{
    for (size_t i = 0; i < a->count; i++) {
        const article *x = &a->v[i];
        char size[32];
        if (x->earlier)
            continue;
        outfile_puts(o, "{\"id\":");
        json_id(o, x);
        outfile_puts(o, ",\"cluster\":");
        json_id(o, &a->v[x->cluster]);
        if (x->match == NO_MATCH) {
            outfile_puts(o, ",\"match\":null,\"similarity\":null");
        } else {
            outfile_puts(o, ",\"match\":");
            json_id(o, &a->v[x->match]);
            outfile_puts(o, ",\"similarity\":");
            json_double(o, x->similarity);
        }
        snprintf(size, sizeof size, ",\"size\":%zu}\n", sizes[x->cluster]);
        outfile_puts(o, size);
    }
}

#define ID_WIDTH_MAX 40

static void write_groups(outfile *o, const articles *a, const size_t *sizes)
{
    size_t groups = 0, grouped = 0, ours = 0;
    /* This run's members of each cluster in input order: one pass per
     * cluster would be quadratic, so chain each article to the next of its
     * cluster. Earlier runs' articles are counted in sizes, not listed:
     * their texts are not at hand. */
    size_t *next = xreallocarray(NULL, a->count + 1, sizeof *next);
    size_t *head = xreallocarray(NULL, a->count + 1, sizeof *head);
    size_t *last = xreallocarray(NULL, a->count + 1, sizeof *last);
    for (size_t i = 0; i < a->count; i++)
        head[i] = NO_MATCH;
    for (size_t i = 0; i < a->count; i++) {
        if (a->v[i].earlier)
            continue;
        ours++;
        next[i] = NO_MATCH;
        size_t c = a->v[i].cluster;
        if (head[c] == NO_MATCH)
            head[c] = i;
        else
            next[last[c]] = i;
        last[c] = i;
    }
    for (size_t c = 0; c < a->count; c++) {
        if (a->v[c].cluster != c || sizes[c] < 2 || head[c] == NO_MATCH)
            continue;
        char line[96];
        int width = 0;
        size_t members = 0;
        for (size_t i = head[c]; i != NO_MATCH; i = next[i]) {
            size_t w = strlen(a->v[i].id);
            if (w > (size_t)width)
                width = w > ID_WIDTH_MAX ? ID_WIDTH_MAX : (int)w;
            members++;
        }
        groups++;
        grouped += members;
        if (members < sizes[c])
            snprintf(line, sizeof line,
                     "%s%zu articles, %zu of them added by earlier runs:\n",
                     groups > 1 ? "\n" : "", sizes[c], sizes[c] - members);
        else
            snprintf(line, sizeof line, "%s%zu articles:\n",
                     groups > 1 ? "\n" : "", sizes[c]);
        outfile_puts(o, line);
        for (size_t i = head[c]; i != NO_MATCH; i = next[i]) {
            const article *x = &a->v[i];
            snprintf(line, sizeof line, "  %-*s  ", width, x->id);
            outfile_puts(o, line);
            if (x->match == NO_MATCH)
                snprintf(line, sizeof line, "%-5s", "-");
            else
                snprintf(line, sizeof line, "%.3f", x->similarity);
            outfile_puts(o, line);
            if (x->match != NO_MATCH && x->match != c) {
                outfile_puts(o, " (with ");
                outfile_puts(o, a->v[x->match].id);
                outfile_puts(o, ")");
            }
            outfile_puts(o, "  ");
            outfile_puts(o, x->snippet ? x->snippet : "");
            outfile_puts(o, "\n");
        }
    }
    char summary[160];
    size_t alone = ours - grouped;
    snprintf(summary, sizeof summary,
             "%s%zu cluster%s of two or more hold%s %zu articles; %zu "
             "article%s stand%s alone.\n",
             groups ? "\n" : "", groups, groups == 1 ? "" : "s",
             groups == 1 ? "s" : "", grouped, alone, alone == 1 ? "" : "s",
             alone == 1 ? "s" : "");
    outfile_puts(o, summary);
    free(next);
    free(head);
    free(last);
}

void output_write(outfile *o, out_format f, const articles *a,
                  const size_t *sizes)
{
    switch (f) {
    case FORMAT_TSV:
        write_tsv(o, a);
        return;
    case FORMAT_JSONL:
        write_jsonl(o, a, sizes);
        return;
    case FORMAT_GROUPS:
        write_groups(o, a, sizes);
        return;
    }
}

size_t output_snippet(const char *text, size_t len, char *buf, size_t cap)
{
    size_t n = 0, i = 0, space = 0;
    if (cap < 8) {
        if (cap)
            buf[0] = '\0';
        return 0;
    }
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        if (c <= ' ' || c == 0x7f) {
            space = n > 0;
            i++;
            continue;
        }
        size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        /* A bad byte shows as '?', so the snippet is valid UTF-8. */
        int ok = k <= len - i && utf8_invalid_at(text + i, k) == k;
        if (!ok)
            k = 1;
        if (n + space + k > cap - 4)
            break;
        if (space)
            buf[n++] = ' ';
        space = 0;
        if (ok)
            memcpy(buf + n, text + i, k);
        else
            buf[n] = '?';
        n += k;
        i += k;
    }
    if (i < len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return n;
}
