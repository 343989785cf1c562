/*
 * sheaf: the command-line front end of the library. One command so far,
 * `sheaf cluster`; the others of later issues slot in beside it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "diag.h"
#include "index_cmd.h"
#include "options.h"
#include "xalloc.h"

static void help(FILE *f)
{
    fputs("Usage: sheaf COMMAND [OPTION]... [ARG]...\n"
          "Group news articles that tell the same story.\n"
          "\n"
          "Commands:\n"
          "  cluster [FILE|DIR]...  cluster articles and print each one's\n"
          "                         cluster ('sheaf cluster --help' for more)\n"
          "  index verify|dump PATH check a stored index, or list its\n"
          "                         articles ('sheaf index --help')\n"
          "\n"
          "Options:\n"
          "  -h, --help     show this help and exit\n"
          "  -V, --version  show the version and exit\n",
          f);
}

/* The status after printing help or the version: a full disk is an error
 * here too. */
static int flushed(void)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return EXIT_OK;
    diag("<stdout>: write error: %s", strerror(errno ? errno : EIO));
    return EXIT_FATAL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        help(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "help") == 0) {
        if (argc > 2 && strcmp(argv[2], "cluster") == 0)
            options_help(stdout);
        else if (argc > 2 && strcmp(argv[2], "index") == 0)
            index_help(stdout);
        else
            help(stdout);
        return flushed();
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        options_version(stdout);
        return flushed();
    }
    if (strcmp(cmd, "index") == 0)
        return index_main(argc - 1, argv + 1);
    if (strcmp(cmd, "cluster") != 0) {
        diag("unknown command '%s'", cmd);
        fputs("Try 'sheaf --help'.\n", stderr);
        return EXIT_USAGE;
    }
    options o;
    switch (options_parse(&o, argc - 1, argv + 1)) {
    case 0:
        return cluster_run(&o);
    case OPTIONS_DONE:
        return flushed();
    default:
        return EXIT_USAGE;
    }
}
