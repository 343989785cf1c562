/* Graceful stops (see interrupt.h). */
#include "interrupt.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "outfile.h"

static const int SIGNALS[] = {SIGINT, SIGTERM, SIGHUP};
#define NSIGNALS (sizeof SIGNALS / sizeof SIGNALS[0])

/* The first signal caught. Atomic, not volatile sig_atomic_t: the decoder
 * thread reads it too (a lock-free atomic is safe in a handler, C11
 * 7.14.1.1). */
static atomic_int caught;
static int catching; /* interrupt_catch was called, before any thread */

static void on_interrupt(int sig)
{
    int none = 0;
    if (atomic_compare_exchange_strong(&caught, &none, sig))
        return;
    /* The user insists: stop now. A stored index loses at most its open
     * group, which is what it is built to survive. */
    outfile_remove_temporary();
    signal(sig, SIG_DFL);
    raise(sig);
}

void interrupt_catch(void)
{
    catching = 1;
    for (size_t i = 0; i < NSIGNALS; i++) {
        struct sigaction old, sa;
        if (sigaction(SIGNALS[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
            continue;
        memset(&sa, 0, sizeof sa);
        /* No SA_RESTART: an open waiting for a fifo's writer returns
         * EINTR, so the run notices the signal without waiting. */
        sa.sa_handler = on_interrupt;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGNALS[i], &sa, NULL);
    }
}

int interrupt_signal(void)
{
    return atomic_load_explicit(&caught, memory_order_relaxed);
}

void interrupt_reraise(void)
{
    int sig = interrupt_signal();
    if (!sig)
        return;
    signal(sig, SIG_DFL);
    raise(sig);
}

static void signal_set(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < NSIGNALS; i++)
        sigaddset(set, SIGNALS[i]);
}

/* Wait until fd is readable or a signal is caught. The check of the flag
 * and the wait must be one step, or a signal between them would leave the
 * wait blocked: so the signals are blocked for the check, and pselect
 * unblocks them and waits atomically. */
static void wait_readable(int fd)
{
    sigset_t block, old;
    fd_set in;
    signal_set(&block);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    if (!interrupt_signal()) {
        FD_ZERO(&in);
        FD_SET(fd, &in);
        /* An error here (EINTR included) is left to read to report. */
        (void)pselect(fd + 1, &in, NULL, NULL, NULL, &old);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

ssize_t interrupt_read(int fd, void *buf, size_t n)
{
    for (;;) {
        if (catching && fd < FD_SETSIZE)
            wait_readable(fd);
        if (interrupt_signal()) {
            errno = EINTR;
            return -1;
        }
        ssize_t r = read(fd, buf, n);
        if (r >= 0 || errno != EINTR)
            return r;
    }
}

int interrupt_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t block, old;
    signal_set(&block);
    /* The new thread inherits the mask in force when it is created. */
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}
