/* The output file (see outfile.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "xalloc.h"

#define OUT_BUF ((size_t)1 << 20)

/* The temporary file to remove if the process ends before the rename. A
 * signal handler reads it, so it is set before handlers are installed and
 * cleared (with signals still installed) only after rename or unlink. */
static char *volatile pending_tmp;

void outfile_remove_temporary(void)
{
    char *t = pending_tmp;
    if (t)
        unlink(t);
}

static void on_signal(int sig)
{
    outfile_remove_temporary();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void guard_tmp(char *tmp)
{
    static int installed;
    pending_tmp = tmp;
    if (installed)
        return;
    installed = 1;
    atexit(outfile_remove_temporary);
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa;
        /* A signal ignored on entry (SIGINT in a background job of a
         * script, SIGHUP under nohup) stays ignored. */
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

/* The directory part of path ("." when there is none). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    size_t n = (size_t)(slash - path);
    char *d = xmalloc(n + 1);
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

int outfile_open(outfile *o, const char *path)
{
    struct stat st;
    memset(o, 0, sizeof *o);
    o->buf = xmalloc(OUT_BUF);
    if (!path) {
        o->fd = STDOUT_FILENO;
        o->name = "<stdout>";
        return 0;
    }
    o->name = path;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            diag("%s: is a directory", path);
            goto fail;
        }
        /* Never rename over a device or a pipe: write to it. */
        o->fd = open(path, O_WRONLY);
        if (o->fd < 0) {
            diag("%s: %s", path, strerror(errno));
            goto fail;
        }
        return 0;
    }
    /* Replace what a symbolic link points to, not the link. */
    char *real = realpath(path, NULL);
    o->target = real ? real : xstrdup(path);
    mode_t mode;
    if (stat(o->target, &st) == 0) {
        mode = st.st_mode & 07777;
    } else {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    char *dir = dir_of(o->target);
    const char *base = strrchr(o->target, '/');
    base = base ? base + 1 : o->target;
    size_t n = strlen(dir) + strlen(base) + 16;
    char *tmp = xmalloc(n);
    snprintf(tmp, n, "%s/.%s.XXXXXX", dir, base);
    free(dir);
    o->fd = mkstemp(tmp);
    if (o->fd < 0) {
        diag("%s: cannot create a temporary file beside it: %s", path,
             strerror(errno));
        free(tmp);
        goto fail;
    }
    guard_tmp(tmp);
    if (fchmod(o->fd, mode) != 0) {
        diag("%s: %s", tmp, strerror(errno));
        outfile_discard(o);
        return -1;
    }
    return 0;
fail:
    free(o->target);
    free(o->buf);
    memset(o, 0, sizeof *o);
    o->fd = -1;
    return -1;
}

static void write_all(outfile *o, const char *p, size_t len)
{
    size_t off = 0;
    while (off < len && !o->err) {
        ssize_t n = write(o->fd, p + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            o->err = n < 0 ? errno : EIO;
        else
            off += (size_t)n;
    }
}

static void flush(outfile *o)
{
    write_all(o, o->buf, o->len);
    o->len = 0;
}

void outfile_write(outfile *o, const char *p, size_t n)
{
    if (o->err)
        return;
    if (n > OUT_BUF - o->len) {
        flush(o);
        if (n >= OUT_BUF) {
            write_all(o, p, n);
            return;
        }
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

void outfile_puts(outfile *o, const char *s)
{
    outfile_write(o, s, strlen(s));
}

static void close_fd(outfile *o)
{
    if (o->fd > STDERR_FILENO && close(o->fd) != 0 && !o->err)
        o->err = errno;
    o->fd = -1;
}

void outfile_discard(outfile *o)
{
    char *tmp = pending_tmp;
    close_fd(o);
    if (o->target && tmp) {
        unlink(tmp);
        pending_tmp = NULL;
        free(tmp);
    }
    free(o->target);
    free(o->buf);
    o->target = NULL;
    o->buf = NULL;
}

/* Make the rename itself durable; not every file system can sync a
 * directory, and the data is safe either way, so errors are ignored. */
static void sync_dir(const char *target)
{
    char *dir = dir_of(target);
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int outfile_commit(outfile *o)
{
    flush(o);
    if (!o->err && o->target && fsync(o->fd) != 0)
        o->err = errno;
    close_fd(o);
    if (!o->err && o->target && rename(pending_tmp, o->target) != 0)
        o->err = errno;
    if (o->err) {
        diag("%s: write error: %s", o->name, strerror(o->err));
        outfile_discard(o);
        return -1;
    }
    if (o->target) {
        char *tmp = pending_tmp;
        pending_tmp = NULL; /* renamed: nothing to remove any more */
        free(tmp);
        sync_dir(o->target);
    }
    outfile_discard(o);
    return 0;
}
