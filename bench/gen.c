/*
 * sheaf-bench gen: a dump of news-like JSONL of any size from any text,
 * with near-duplicates of known edit rates and a ground-truth file.
 *
 *   sheaf-bench gen [--articles N] [--seed S] [--dups P] [--length B]
 *                   [--truth FILE] [--out FILE] [SOURCE...]
 *
 * Each original article strings together paragraphs of two to five
 * consecutive sentences taken from anywhere in the sources (JSONL "text"
 * fields or plain text), about B bytes long typically (--length, default
 * 3000), from a tenth of that to four times it, log-normally,
 * under a headline taken from its first words, with an outlet and a
 * publication time; drawn so, originals are unlike each other however
 * small the source. With probability P (default 0.3) an
 * original gets one to three copies, printed a few articles later as
 * syndication would: retitled, edited word by word at a rate drawn from
 * 0, 1, 2, 5, 10, 20 and 30 %, the end sometimes trimmed, a boilerplate
 * line sometimes appended. The truth file has a line per article: its id,
 * the id of the original it copies (itself for originals), the edit rate
 * and the fraction of the original kept. Without SOURCE, the Multi-News
 * validation text when present, else a built-in paragraph.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define MAX_PENDING 4096

/* Sentences of the sources, as (article, offset, length). */
typedef struct sentence {
    uint32_t article, off, len;
} sentence;

typedef struct copy {
    size_t original; /* its number */
    size_t due;      /* printed once this many articles are out */
    double rate, keep;
    char *title, *text;
    size_t len;
} copy;

static const char *const outlets[] = {
    "Reuters",   "Associated Press", "The Guardian", "BBC News",
    "Bloomberg", "Al Jazeera",       "CNN",          "Le Monde",
    "The Hindu", "ABC News",         "NPR",          "Deutsche Welle",
    "The Times", "Yahoo News",       "MSN",          "Local Herald",
};

static const char *const boilerplate[] = {
    "\n\nSign up for our daily newsletter to get the top stories in your "
    "inbox.",
    "\n\nCopyright 2024. All rights reserved. This material may not be "
    "published, "
    "broadcast, rewritten or redistributed.",
    "\n\nRead more: the latest news and analysis from our correspondents.",
    "\n\nThis article was updated with additional reporting.",
};

static const double rates[] = {0.0, 0.01, 0.02, 0.05, 0.10, 0.20, 0.30};

static const char builtin[] =
    "The city council voted on Tuesday to approve a new budget that raises "
    "spending on public transport and schools. Officials said the plan would "
    "be paid for by a mix of new taxes and cuts elsewhere. Critics argued "
    "that the measures went too far, while supporters said they did not go "
    "far enough. The mayor welcomed the decision and promised a review next "
    "year. Markets were calm after the announcement, and analysts expect "
    "little change in the coming weeks. Residents will be able to comment "
    "on the proposals at a series of public meetings.";

static void split_sentences(const corpus *src, sentence **out, size_t *n)
{
    size_t cap = 1024;
    *out = malloc(cap * sizeof **out);
    *n = 0;
    for (size_t a = 0; a < src->n; a++) {
        const char *t = src->a[a].text;
        size_t len = src->a[a].len, start = 0;
        for (size_t i = 0; i < len; i++) {
            int end = (t[i] == '.' || t[i] == '?' || t[i] == '!') &&
                      (i + 1 == len || t[i + 1] == ' ' || t[i + 1] == '\n');
            if (!end && t[i] != '\n' && i + 1 != len)
                continue;
            size_t stop = i + 1;
            while (start < stop && (t[start] == ' ' || t[start] == '\n'))
                start++;
            if (stop - start >= 20 && stop - start < 2000) {
                if (*n == cap) {
                    cap *= 2;
                    *out = realloc(*out, cap * sizeof **out);
                }
                if (!*out) {
                    fprintf(stderr, "sheaf-bench: out of memory\n");
                    exit(1);
                }
                (*out)[(*n)++] = (sentence){(uint32_t)a, (uint32_t)start,
                                            (uint32_t)(stop - start)};
            }
            start = stop;
        }
    }
}

/* A JSON string literal of s. */
static void json_quote(buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_char(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        buf_add(out, s + run, i - run);
        run = i + 1;
        char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (c == '"' || c == '\\') {
            e[1] = (char)c;
            buf_add(out, e, 2);
        } else if (c == '\n') {
            buf_add(out, "\\n", 2);
        } else if (c == '\t') {
            buf_add(out, "\\t", 2);
        } else {
            buf_add(out, e, 6);
        }
    }
    buf_add(out, s + run, n - run);
    buf_char(out, '"');
}

/* A headline: the first words of text, at most about 70 bytes. */
static char *headline(const char *text, size_t len)
{
    size_t n = len < 70 ? len : 70;
    while (n < len && n < 90 && text[n] != ' ')
        n++;
    while (n > 0 && (text[n - 1] == '.' || text[n - 1] == ' '))
        n--;
    char *h = malloc(n + 1);
    if (!h)
        exit(1);
    for (size_t i = 0; i < n; i++)
        h[i] = text[i] == '\n' ? ' ' : text[i];
    h[n] = 0;
    return h;
}

static void emit(FILE *out, FILE *truth, buf *line, size_t number,
                 size_t original, const char *title, const char *text,
                 size_t len, uint64_t when, rng *r, double rate, double keep)
{
    char id[64], stamp[64];
    snprintf(id, sizeof id, "gen-%zu", number);
    time_t t = (time_t)when;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    line->n = 0;
    buf_str(line, "{\"id\": \"");
    buf_str(line, id);
    buf_str(line, "\", \"source\": \"");
    buf_str(line, outlets[rng_below(r, sizeof outlets / sizeof outlets[0])]);
    buf_str(line, "\", \"published\": \"");
    buf_str(line, stamp);
    buf_str(line, "\", \"title\": ");
    json_quote(line, title, strlen(title));
    buf_str(line, ", \"text\": ");
    json_quote(line, text, len);
    buf_str(line, "}\n");
    fwrite(line->s, 1, line->n, out);
    if (truth)
        fprintf(truth, "%s\tgen-%zu\t%.2f\t%.2f\n", id, original, rate, keep);
}

int gen_main(int argc, char **argv)
{
    size_t articles = 10000;
    uint64_t seed = 1;
    double dups = 0.3, typical = 3000.0;
    const char *out_path = NULL, *truth_path = NULL;
    corpus src = {0};
    int sources = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--articles") && i + 1 < argc)
            articles = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--dups") && i + 1 < argc)
            dups = atof(argv[++i]);
        else if (!strcmp(argv[i], "--length") && i + 1 < argc &&
                 (typical = atof(argv[i + 1])) >= 100 && typical <= 1e6)
            i++;
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out_path = argv[++i];
        else if (!strcmp(argv[i], "--truth") && i + 1 < argc)
            truth_path = argv[++i];
        else if (argv[i][0] == '-') {
            fprintf(stderr,
                    "usage: sheaf-bench gen [--articles N] [--seed S] "
                    "[--dups P] [--length B (100 to 1000000)]\n"
                    "                       [--truth FILE] [--out FILE] "
                    "[SOURCE...]\n");
            return 2;
        } else {
            if (corpus_load(&src, argv[i], 0) != 0) {
                fprintf(stderr, "sheaf-bench: %s: no text\n", argv[i]);
                return 1;
            }
            sources++;
        }
    }
    if (!sources) {
        const char *d = default_input();
        if (!d || corpus_load(&src, d, 0) != 0)
            corpus_add(&src, "builtin", NULL, builtin, sizeof builtin - 1);
    }
    FILE *out = out_path ? fopen(out_path, "w") : stdout;
    FILE *truth = truth_path ? fopen(truth_path, "w") : NULL;
    if (!out || (truth_path && !truth)) {
        fprintf(stderr, "sheaf-bench: cannot write the output\n");
        return 1;
    }
    if (truth)
        fprintf(truth, "id\toriginal\tedit_rate\tkept\n");

    sentence *sent;
    size_t nsent;
    split_sentences(&src, &sent, &nsent);
    if (!nsent) {
        fprintf(stderr, "sheaf-bench: the sources have no sentences\n");
        return 1;
    }
    rng r = {seed};
    buf text = {0}, edited = {0}, line = {0};
    copy *pending = calloc(MAX_PENDING, sizeof *pending);
    size_t npending = 0, number = 0;
    uint64_t when = 1704067200; /* 2024-01-01 */

    while (number < articles) {
        /* Copies that are due, first. */
        int printed = 0;
        for (size_t i = 0; i < npending && number < articles; i++)
            if (pending[i].due <= number) {
                copy c = pending[i];
                pending[i] = pending[--npending];
                emit(out, truth, &line, ++number, c.original, c.title, c.text,
                     c.len, when += rng_below(&r, 300), &r, c.rate, c.keep);
                free(c.title);
                free(c.text);
                printed = 1;
                break;
            }
        if (printed || number == articles)
            continue;

        /* An original: consecutive sentences from a random one, about
         * typical bytes (a log-normal length, as article lengths are). */
        double target =
            typical *
            exp(0.6 * (rng_unit(&r) + rng_unit(&r) + rng_unit(&r) - 1.5));
        if (target < typical / 10)
            target = typical / 10;
        if (target > typical * 4)
            target = typical * 4;
        text.n = 0;
        buf_add(&text, "", 0);
        while (text.n < (size_t)target) {
            /* A paragraph: 2 to 5 consecutive sentences from anywhere, so
             * that originals rarely share one and stay unlike each other,
             * however many are drawn from a small source. */
            size_t s = rng_below(&r, (uint32_t)nsent);
            if (text.n)
                buf_str(&text, "\n\n");
            uint32_t k = 2 + rng_below(&r, 4);
            for (uint32_t i = 0; i < k && text.n < (size_t)target; i++) {
                const sentence *se = &sent[(s + i) % nsent];
                if (i)
                    buf_char(&text, ' ');
                buf_add(&text, src.a[se->article].text + se->off, se->len);
            }
        }
        char *title = headline(text.s, text.n);
        size_t me = ++number;
        emit(out, truth, &line, me, me, title, text.s, text.n,
             when += rng_below(&r, 300), &r, 0.0, 1.0);
        free(title);

        if (rng_unit(&r) >= dups)
            continue;
        for (uint32_t k = 1 + rng_below(&r, 3); k > 0 && npending < MAX_PENDING;
             k--) {
            copy c;
            c.original = me;
            c.due = number + 1 + rng_below(&r, 50);
            c.rate = rates[rng_below(&r, sizeof rates / sizeof rates[0])];
            c.keep = rng_below(&r, 3) ? 1.0 : 0.6 + 0.4 * rng_unit(&r);
            size_t keep = (size_t)((double)text.n * c.keep);
            while (keep < text.n &&
                   ((unsigned char)text.s[keep] & 0xC0) == 0x80)
                keep--; /* not inside a character */
            edit_words(&r, text.s, keep, c.rate, &src, &edited);
            if (rng_below(&r, 2))
                buf_str(&edited,
                        boilerplate[rng_below(&r, sizeof boilerplate /
                                                      sizeof boilerplate[0])]);
            c.text = malloc(edited.n + 1);
            if (!c.text)
                exit(1);
            memcpy(c.text, edited.s, edited.n + 1);
            c.len = edited.n;
            /* A new headline: the original's, words edited at twice the
             * rate, or the copy's own first words. */
            if (rng_below(&r, 2)) {
                char *h = headline(text.s, text.n);
                edit_words(&r, h, strlen(h), 2 * c.rate + 0.1, &src, &edited);
                free(h);
                c.title = headline(edited.s, edited.n);
            } else {
                c.title = headline(c.text, c.len);
            }
            pending[npending++] = c;
        }
    }
    for (size_t i = 0; i < npending; i++) {
        free(pending[i].title);
        free(pending[i].text);
    }
    free(pending);
    free(sent);
    free(text.s);
    free(edited.s);
    free(line.s);
    corpus_free(&src);
    if (truth)
        fclose(truth);
    if (out != stdout)
        fclose(out);
    else
        fflush(out);
    return 0;
}
