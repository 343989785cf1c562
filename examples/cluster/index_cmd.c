/*
 * `sheaf index verify PATH` and `sheaf index dump PATH`: a stored index
 * checked, or listed as the runs that stored it printed it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sheaf.h"

#include "cluster.h"
#include "diag.h"
#include "index_cmd.h"
#include "xalloc.h"

void index_help(FILE *f)
{
    fputs("Usage: sheaf index verify PATH\n"
          "       sheaf index dump PATH\n"
          "Check or list an index stored by 'sheaf cluster --index PATH'.\n"
          "\n"
          "  verify  check every page in use and every article's record;\n"
          "          exit 0 when sound, 1 with a line per damaged part\n"
          "  dump    print 'id<TAB>cluster' for every stored article, in the\n"
          "          order added: the lines the storing runs printed (after\n"
          "          a kill -9, those of what the killed run committed)\n"
          "\n"
          "Both only read PATH. Exit status: 0 done, 1 damaged (verify), 2 bad\n"
          "command line, 3 the index cannot be read (absent, damaged for\n"
          "dump, an I/O error) or standard output cannot be written.\n"
          "\n"
          "  -h, --help  show this help and exit\n",
          f);
}

static void report(void *ctx, const char *what)
{
    size_t *n = ctx;
    ++*n;
    diag("%s", what);
}

static int verify(const char *path)
{
    size_t problems = 0;
    int rc = sheaf_index_verify(path, report, &problems);
    if (rc == SHEAF_OK) {
        diag("index %s: sound", path);
        return EXIT_OK;
    }
    if (rc == SHEAF_ECORRUPT) {
        if (!problems)
            diag("%s", sheaf_errmsg());
        return EXIT_SKIPPED;
    }
    diag("%s", sheaf_errmsg());
    return EXIT_FATAL;
}

/* What the clusterer printed for a key: the user's id, before the key's
 * separator. */
static void put_id(const char *key)
{
    const char *sep = strchr(key, CLUSTER_KEY_SEP);
    fwrite(key, 1, sep ? (size_t)(sep - key) : strlen(key), stdout);
}

static int dump_line(void *ctx, const char *id, const char *cluster)
{
    (void)ctx;
    put_id(id);
    putchar('\t');
    put_id(cluster);
    putchar('\n');
    return ferror(stdout) ? 1 : 0;
}

static int dump(const char *path)
{
    int rc = sheaf_index_dump(path, dump_line, NULL);
    if (rc < 0) {
        diag("%s", sheaf_errmsg());
        return EXIT_FATAL;
    }
    if (rc > 0 || fflush(stdout) != 0 || ferror(stdout)) {
        diag("<stdout>: write error: %s", strerror(errno ? errno : EIO));
        return EXIT_FATAL;
    }
    return EXIT_OK;
}

int index_main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
                      strcmp(argv[1], "--help") == 0)) {
        index_help(stdout);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FATAL;
    }
    if (argc != 3 || (strcmp(argv[1], "verify") != 0 &&
                      strcmp(argv[1], "dump") != 0)) {
        diag("%s", argc < 2 ? "index: a subcommand is needed"
             : argc == 2 && (strcmp(argv[1], "verify") == 0 ||
                             strcmp(argv[1], "dump") == 0)
                 ? "index: the index's PATH is needed"
                 : "index: expected 'verify PATH' or 'dump PATH'");
        fputs("Try 'sheaf index --help'.\n", stderr);
        return EXIT_USAGE;
    }
    return strcmp(argv[1], "verify") == 0 ? verify(argv[2]) : dump(argv[2]);
}
