/* The command line of `sheaf cluster` (see options.h). Every bad value is
 * reported naming its option, before anything is read. */
#include "options.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

#define DEFAULT_MAX_RECORD ((size_t)64 << 20)
#define MAX_THREADS 256u

void options_help(FILE *f)
{
    fputs(
        "Usage: sheaf cluster [OPTION]... [FILE|DIR]...\n"
        "Group news articles that tell the same story (near-duplicates, by\n"
        "MinHash and LSH) and print each article's cluster.\n"
        "\n"
        "Input: JSONL files (*.jsonl, *.ndjson, *.json), one object per line;\n"
        "other files are plain text, one article per file, named by its path.\n"
        "A DIR stands for every file below it, sorted by name, hidden ones\n"
        "left out. gzip and zstd files are read transparently (recognised by\n"
        "their first bytes). With no FILE, or FILE -, reads standard input\n"
        "as JSONL.\n"
        "\n"
        "Output, one line per article in input order: ID<TAB>CLUSTER, where\n"
        "CLUSTER is the id of the cluster's first article.\n"
        "\n"
        "Input options:\n"
        "      --input-format F  auto (by file name, the default), jsonl or\n"
        "                        text (every input, standard input too, is\n"
        "                        one article)\n"
        "      --id-field NAME   JSON field of the id (default id): a string\n"
        "                        or a number, written as it appears; a record\n"
        "                        without one is named FILE:LINE\n"
        "      --text-field NAME JSON field of the text (default text)\n"
        "      --time-field NAME JSON field of the publication time, if any:\n"
        "                        RFC 3339 (2016-11-20T16:31:00Z, or a date,\n"
        "                        2016-11-20, for its midnight UTC) or epoch\n"
        "                        seconds (1479659460); null or no field: no\n"
        "                        time\n"
        "      --max-record-bytes N  skip longer JSONL lines and text files\n"
        "                        (default 64M; suffixes K, M, G)\n"
        "Output options:\n"
        "  -o, --output FILE     write FILE (atomically: a temporary file\n"
        "                        renamed when complete) instead of stdout\n"
        "      --format F        tsv (default); jsonl: {\"id\",\"cluster\",\n"
        "                        \"match\" (the earlier article it matched, "
        "or\n"
        "                        null), \"similarity\" (with it, or null),\n"
        "                        \"size\" (of its cluster at the end)}; "
        "groups:\n"
        "                        the clusters of two or more, for reading\n"
        "Clustering options:\n"
        "      --mode near       near-duplicates: copies, reprints, trimmed\n"
        "                        and retitled versions (the default)\n"
        "      --mode story      different write-ups of the same event\n"
        "                        (threshold 0.1 by default)\n"
        "      --threshold T     estimated Jaccard similarity that joins two\n"
        "                        articles, in (0, 1] (default 0.5; story mode:\n"
        "                        a cosine floor, default 0.1)\n"
        "      --contrast C      story mode: how far the best cluster must\n"
        "                        stand above the next ones, in [0, 1]\n"
        "                        (default 0.09; higher: fewer, purer clusters)\n"
        "      --shingle KIND:K  word:K or char:K shingles, K in 1..32\n"
        "                        (default word:5)\n"
        "      --hashes N        MinHash values per signature, 1..1024\n"
        "                        (default 128)\n"
        "      --bands B --rows R  LSH banding, B * R <= N (default: chosen\n"
        "                        from the threshold)\n"
        "      --seed S          hash seed (default 0)\n"
        "      --window DURATION  join only articles published within\n"
        "                        DURATION of each other (72h, 3d, 90m, 3600s\n"
        "                        or seconds; default 0: no window); articles\n"
        "                        without a time are compared with all. With\n"
        "                        --time-field, articles two windows older\n"
        "                        than the newest expire, and TSV lines are\n"
        "                        written as decided\n"
        "      --threads N       signing threads, and with more than one a\n"
        "                        thread for decompression (default: all\n"
        "                        cores); the output is the same whatever N\n"
        "                        is\n"
        "Index options:\n"
        "      --index PATH      add the articles to the index stored at PATH\n"
        "                        (created when absent, with the clustering\n"
        "                        options given or their defaults), joining\n"
        "                        the clusters of earlier runs, and write the\n"
        "                        lines of this run's articles. An existing\n"
        "                        index keeps its own parameters: clustering\n"
        "                        options that differ from them are an error\n"
        "      --skip-articles N  read past the first N articles without\n"
        "                        adding or writing them, to resume a run that\n"
        "                        was interrupted after adding N\n"
        "Other options:\n"
        "      --strict          stop at the first bad record or file\n"
        "  -q, --quiet           no progress line and no summary\n"
        "  -h, --help            show this help and exit\n"
        "  -V, --version         show the version and exit\n"
        "\n"
        "Bad records (malformed JSON, a missing, empty or non-string text, an\n"
        "id that is not a string or number, an over-long line) and unreadable\n"
        "or corrupt files are reported on stderr as FILE:LINE: what is wrong,\n"
        "and skipped; every good record is still clustered and written.\n"
        "A time field that is present but not a valid time skips its record\n"
        "too. Invalid UTF-8 and repeated ids (also ids already in the\n"
        "--index) are warnings: those articles are clustered and written\n"
        "too.\n"
        "\n"
        "Exit status:\n"
        "  0  every record was clustered and the output written\n"
        "  1  some records or files were skipped (the output has all the\n"
        "     others); with --strict, stopped at the first and wrote nothing\n"
        "  2  bad command line, or clustering options that differ from\n"
        "     those of the --index; nothing was read\n"
        "  3  fatal error (output not writable, disk full, out of memory, the\n"
        "     index unusable or in use by another process); no output file\n"
        "     was left behind\n"
        "On SIGINT, SIGTERM or SIGHUP a run with --index stops after the\n"
        "article in hand, commits the articles added so far, writes their\n"
        "lines and says how far it got, then ends by the signal; a second\n"
        "signal ends it at once, losing only the articles added since the\n"
        "last commit (one per 10000 articles).\n",
        f);
}

void options_version(FILE *f)
{
    fprintf(f, "sheaf %s (library %s)\n", SHEAF_VERSION_STRING,
            sheaf_version());
}

static int bad(const char *opt, const char *value, const char *want)
{
    diag("%s: '%s' is not %s", opt, value, want);
    return -1;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16;
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (errno || *end)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static int parse_uint(const char *opt, const char *s, uint64_t lo, uint64_t hi,
                      uint32_t *out)
{
    uint64_t v;
    if (parse_u64(s, &v) || v < lo || v > hi) {
        char want[64];
        snprintf(want, sizeof want, "a whole number in %llu..%llu",
                 (unsigned long long)lo, (unsigned long long)hi);
        return bad(opt, s, want);
    }
    *out = (uint32_t)v;
    return 0;
}

/* A byte count with an optional binary suffix: 64M = 64 MiB. */
static int parse_size(const char *opt, const char *s, size_t *out)
{
    char *end;
    const char *want = "a size in bytes (suffixes K, M, G)";
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return bad(opt, s, want);
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    switch (*end) {
    case 'K':
    case 'k':
        shift = 10;
        end++;
        break;
    case 'M':
    case 'm':
        shift = 20;
        end++;
        break;
    case 'G':
    case 'g':
        shift = 30;
        end++;
        break;
    default:
        break;
    }
    if (errno || *end || end == s || v == 0 || v > (SIZE_MAX >> 1) >> shift)
        return bad(opt, s, want);
    *out = (size_t)(v << shift);
    return 0;
}

void options_format_duration(int64_t seconds, char *buf, size_t n)
{
    /* As the library writes the window parameter, so that messages and
     * sheaf_params_format agree. */
    sheaf_params p;
    sheaf_params_init(&p);
    p.window = seconds;
    if (sheaf_params_format(&p, "window", buf, n) != SHEAF_OK && n)
        buf[0] = 0;
}

/* A parameter of the library, set through its table (common/params.c),
 * which also words the complaint: "--window: '1x' is not a duration ...". */
static int set_param(sheaf_params *p, const char *name, const char *v)
{
    if (sheaf_params_set(p, name, v) == SHEAF_OK)
        return 0;
    diag("--%s", sheaf_errmsg());
    return -1;
}

/* Which option an argument is, and the value it takes if it takes one. */
typedef enum opt_id {
    OPT_NONE,
    OPT_OUTPUT,
    OPT_FORMAT,
    OPT_INPUT_FORMAT,
    OPT_ID_FIELD,
    OPT_TEXT_FIELD,
    OPT_TIME_FIELD,
    OPT_MAX_RECORD,
    OPT_MODE,
    OPT_THRESHOLD,
    OPT_CONTRAST,
    OPT_SHINGLE,
    OPT_HASHES,
    OPT_BANDS,
    OPT_ROWS,
    OPT_SEED,
    OPT_WINDOW,
    OPT_INDEX,
    OPT_SKIP_ARTICLES,
    OPT_THREADS,
    OPT_STRICT,
    OPT_QUIET,
    OPT_HELP,
    OPT_VERSION
} opt_id;

typedef struct opt_def {
    const char *name; /* long name without the dashes */
    char short_name;
    int takes_value;
    opt_id id;
} opt_def;

static const opt_def OPTIONS[] = {
    {"output", 'o', 1, OPT_OUTPUT},
    {"format", 0, 1, OPT_FORMAT},
    {"input-format", 0, 1, OPT_INPUT_FORMAT},
    {"id-field", 0, 1, OPT_ID_FIELD},
    {"text-field", 0, 1, OPT_TEXT_FIELD},
    {"time-field", 0, 1, OPT_TIME_FIELD},
    {"max-record-bytes", 0, 1, OPT_MAX_RECORD},
    {"mode", 0, 1, OPT_MODE},
    {"threshold", 0, 1, OPT_THRESHOLD},
    {"contrast", 0, 1, OPT_CONTRAST},
    {"shingle", 0, 1, OPT_SHINGLE},
    {"hashes", 0, 1, OPT_HASHES},
    {"bands", 0, 1, OPT_BANDS},
    {"rows", 0, 1, OPT_ROWS},
    {"seed", 0, 1, OPT_SEED},
    {"window", 0, 1, OPT_WINDOW},
    {"index", 0, 1, OPT_INDEX},
    {"skip-articles", 0, 1, OPT_SKIP_ARTICLES},
    {"threads", 0, 1, OPT_THREADS},
    {"strict", 0, 0, OPT_STRICT},
    {"quiet", 'q', 0, OPT_QUIET},
    {"help", 'h', 0, OPT_HELP},
    {"version", 'V', 0, OPT_VERSION},
};

static const opt_def *find_option(const char *arg, size_t *name_len)
{
    size_t n = sizeof OPTIONS / sizeof OPTIONS[0];
    if (arg[1] != '-') {
        for (size_t i = 0; i < n; i++)
            if (OPTIONS[i].short_name && OPTIONS[i].short_name == arg[1]) {
                *name_len = 2;
                return &OPTIONS[i];
            }
        return NULL;
    }
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    for (size_t i = 0; i < n; i++)
        if (strlen(OPTIONS[i].name) == len - 2 &&
            memcmp(OPTIONS[i].name, arg + 2, len - 2) == 0) {
            *name_len = len;
            return &OPTIONS[i];
        }
    return NULL;
}

/* Apply one option; -1 after reporting a bad value. */
static int apply(options *o, opt_id id, const char *opt, const char *v)
{
    sheaf_params *p = &o->params;
    switch (id) {
    case OPT_OUTPUT:
        if (!*v)
            return bad(opt, v, "a file name");
        o->output = v;
        return 0;
    case OPT_FORMAT:
        if (strcmp(v, "tsv") == 0)
            o->format = FORMAT_TSV;
        else if (strcmp(v, "jsonl") == 0)
            o->format = FORMAT_JSONL;
        else if (strcmp(v, "groups") == 0)
            o->format = FORMAT_GROUPS;
        else
            return bad(opt, v, "tsv, jsonl or groups");
        return 0;
    case OPT_INPUT_FORMAT:
        if (strcmp(v, "auto") == 0)
            o->input_format = INPUT_AUTO;
        else if (strcmp(v, "jsonl") == 0)
            o->input_format = INPUT_JSONL;
        else if (strcmp(v, "text") == 0)
            o->input_format = INPUT_TEXT;
        else
            return bad(opt, v, "auto, jsonl or text");
        return 0;
    case OPT_ID_FIELD:
    case OPT_TEXT_FIELD:
    case OPT_TIME_FIELD:
        if (!*v)
            return bad(opt, v, "a field name");
        if (id == OPT_ID_FIELD)
            o->id_field = v;
        else if (id == OPT_TEXT_FIELD)
            o->text_field = v;
        else
            o->time_field = v;
        return 0;
    case OPT_MAX_RECORD:
        return parse_size(opt, v, &o->max_record);
    case OPT_MODE:
        o->given |= GIVEN_MODE;
        return set_param(p, "mode", v);
    case OPT_THRESHOLD:
        o->given |= GIVEN_THRESHOLD;
        return set_param(p, "threshold", v);
    case OPT_CONTRAST:
        return set_param(p, "contrast", v);
    case OPT_SHINGLE:
        o->given |= GIVEN_SHINGLE;
        return set_param(p, "shingle", v);
    case OPT_HASHES:
        o->given |= GIVEN_HASHES;
        return set_param(p, "hashes", v);
    case OPT_BANDS:
        o->given |= GIVEN_BANDS;
        return parse_uint(opt, v, 1, SHEAF_MAX_HASHES, &p->bands);
    case OPT_ROWS:
        o->given |= GIVEN_BANDS;
        return parse_uint(opt, v, 1, SHEAF_MAX_HASHES, &p->rows);
    case OPT_SEED:
        o->given |= GIVEN_SEED;
        return set_param(p, "seed", v);
    case OPT_WINDOW:
        o->given |= GIVEN_WINDOW;
        return set_param(p, "window", v);
    case OPT_INDEX:
        if (!*v)
            return bad(opt, v, "a file name");
        o->index = v;
        return 0;
    case OPT_SKIP_ARTICLES:
        if (parse_u64(v, &o->skip_articles))
            return bad(opt, v, "a whole number");
        return 0;
    case OPT_THREADS:
        return parse_uint(opt, v, 1, MAX_THREADS, &o->threads);
    case OPT_STRICT:
        o->strict = 1;
        return 0;
    case OPT_QUIET:
        o->quiet = 1;
        return 0;
    case OPT_NONE:
    case OPT_HELP:
    case OPT_VERSION:
        break;
    }
    return 0;
}

/* SHEAF_SIMD=scalar|avx2|avx512|auto forces the vector level that signs
 * (the results are identical; for measuring and testing). The library
 * never reads the environment: the tool does, and one this CPU lacks
 * gets a warning and the best there is. */
static void simd_from_environment(sheaf_params *p)
{
    const char *v = getenv("SHEAF_SIMD");
    if (!v || !*v)
        return;
    sheaf_params q = *p;
    if (sheaf_params_set(&q, "simd", v) != SHEAF_OK)
        diag("warning: SHEAF_SIMD=%s: not one of auto, scalar, avx2, "
             "avx512; using auto", v);
    else if (!sheaf_simd_supported(q.simd))
        diag("warning: SHEAF_SIMD=%s: this CPU lacks it; using auto", v);
    else
        *p = q;
}

/* Checks across options, each naming the options involved. */
static int check(options *o)
{
    /* A mode has its own defaults (story: a cosine threshold, fewer
     * hashes); what was given on the command line stays. */
    if (o->params.mode != SHEAF_MODE_NEAR) {
        sheaf_params d;
        sheaf_params_init_mode(&d, o->params.mode);
        if (!(o->given & GIVEN_THRESHOLD))
            o->params.threshold = d.threshold;
        if (!(o->given & GIVEN_HASHES))
            o->params.num_hashes = d.num_hashes;
    }
    const sheaf_params *p = &o->params;
    if ((p->bands == 0) != (p->rows == 0)) {
        diag("--bands and --rows must be given together");
        return -1;
    }
    if (p->bands && (uint64_t)p->bands * p->rows > p->num_hashes) {
        diag("--bands %u --rows %u: needs %llu hashes, more than --hashes %u",
             p->bands, p->rows, (unsigned long long)p->bands * p->rows,
             p->num_hashes);
        return -1;
    }
    if (strcmp(o->id_field, o->text_field) == 0) {
        diag("--id-field and --text-field are both '%s'", o->id_field);
        return -1;
    }
    if (o->time_field && (strcmp(o->time_field, o->id_field) == 0 ||
                          strcmp(o->time_field, o->text_field) == 0)) {
        diag("--time-field and --%s-field are both '%s'",
             strcmp(o->time_field, o->id_field) == 0 ? "id" : "text",
             o->time_field);
        return -1;
    }
    simd_from_environment(&o->params);
    /* The library has the last word; the checks above name the option
     * for everything it is documented to reject. */
    int rc = sheaf_params_validate(p);
    if (rc != SHEAF_OK) {
        diag("invalid parameters: --%s", sheaf_errmsg());
        return -1;
    }
    return 0;
}

static unsigned default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > (long)MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

int options_parse(options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    sheaf_params_init(&o->params);
    o->input_format = INPUT_AUTO;
    o->format = FORMAT_TSV;
    o->id_field = "id";
    o->text_field = "text";
    o->max_record = DEFAULT_MAX_RECORD;
    o->threads = default_threads();
    /* Operands are gathered in argv's own array, in order, so no
     * allocation is needed: argv[1..] is rewritten behind the scan. */
    o->inputs = argv + 1;
    int only_operands = 0;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (only_operands || arg[0] != '-' || arg[1] == '\0') {
            o->inputs[o->ninputs++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_operands = 1;
            continue;
        }
        size_t name_len;
        const opt_def *d = find_option(arg, &name_len);
        if (!d) {
            diag("unknown option '%s'", arg);
            goto usage;
        }
        if (d->id == OPT_HELP) {
            options_help(stdout);
            return OPTIONS_DONE;
        }
        if (d->id == OPT_VERSION) {
            options_version(stdout);
            return OPTIONS_DONE;
        }
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)name_len, arg);
        const char *value = NULL;
        if (arg[name_len] == '=' && arg[1] == '-') {
            value = arg + name_len + 1;
        } else if (arg[name_len] != '\0') {
            if (d->takes_value && arg[1] != '-') {
                value = arg + name_len; /* -oFILE */
            } else {
                diag("unknown option '%s'", arg);
                goto usage;
            }
        }
        if (!d->takes_value && value) {
            diag("%s takes no value", name);
            goto usage;
        }
        if (d->takes_value && !value) {
            if (i + 1 >= argc) {
                diag("%s needs a value", name);
                goto usage;
            }
            value = argv[++i];
        }
        if (apply(o, d->id, name, value ? value : "") != 0)
            goto usage;
    }
    if (check(o) != 0)
        goto usage;
    return 0;
usage:
    fputs("Try 'sheaf cluster --help'.\n", stderr);
    return OPTIONS_BAD;
}
