/* The signing pipeline (see pipeline.h): a ring of submitted batches
 * under one mutex; workers claim the next unclaimed one, the main thread
 * takes back the oldest. Batches are large (about a megabyte of input), so
 * one lock round trip per batch costs nothing measurable. */
#include "pipeline.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "interrupt.h"
#include "xalloc.h"

struct pipeline {
    const work_ctx *ctx;
    batch **ring;
    size_t depth;
    size_t head;  /* oldest pending: the next to take back */
    size_t claim; /* the next to hand to a worker */
    size_t tail;  /* the next free slot; positions grow, index mod depth */
    int stop;
    pthread_mutex_t lock;
    pthread_cond_t work; /* a batch was submitted, or stop */
    pthread_cond_t done; /* a batch was processed */
    pthread_t *threads;
    unsigned nthreads;
};

static void *worker(void *arg)
{
    pipeline *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stop && p->claim == p->tail)
            pthread_cond_wait(&p->work, &p->lock);
        if (p->stop)
            break;
        batch *b = p->ring[p->claim++ % p->depth];
        pthread_mutex_unlock(&p->lock);
        batch_process(b, p->ctx);
        pthread_mutex_lock(&p->lock);
        b->done = 1;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

pipeline *pipeline_new(unsigned threads, size_t depth, const work_ctx *ctx)
{
    pipeline *p = xcalloc(1, sizeof *p);
    p->ctx = ctx;
    p->depth = depth ? depth : 1;
    p->ring = xcalloc(p->depth, sizeof *p->ring);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    if (threads <= 1)
        return p;
    p->threads = xcalloc(threads, sizeof *p->threads);
    for (unsigned i = 0; i < threads; i++) {
        if (interrupt_thread_create(&p->threads[i], worker, p) != 0) {
            /* Fewer workers are slower, not wrong. */
            if (i == 0) {
                diag("warning: cannot start threads; signing on one");
                free(p->threads);
                p->threads = NULL;
            }
            break;
        }
        p->nthreads++;
    }
    return p;
}

size_t pipeline_pending(const pipeline *p)
{
    return p->tail - p->head;
}

void pipeline_submit(pipeline *p, batch *b)
{
    b->done = 0;
    if (!p->nthreads) {
        batch_process(b, p->ctx);
        b->done = 1;
        p->ring[p->tail++ % p->depth] = b;
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->ring[p->tail++ % p->depth] = b;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->lock);
}

batch *pipeline_take(pipeline *p, int wait)
{
    batch *b = NULL;
    if (p->head == p->tail)
        return NULL;
    if (!p->nthreads) {
        b = p->ring[p->head++ % p->depth];
        return b;
    }
    pthread_mutex_lock(&p->lock);
    batch *oldest = p->ring[p->head % p->depth];
    while (wait && !oldest->done)
        pthread_cond_wait(&p->done, &p->lock);
    if (oldest->done) {
        b = oldest;
        p->head++;
    }
    pthread_mutex_unlock(&p->lock);
    return b;
}

void pipeline_free(pipeline *p)
{
    if (!p)
        return;
    if (p->nthreads) {
        pthread_mutex_lock(&p->lock);
        p->stop = 1;
        pthread_cond_broadcast(&p->work);
        pthread_mutex_unlock(&p->lock);
        for (unsigned i = 0; i < p->nthreads; i++)
            pthread_join(p->threads[i], NULL);
    }
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p->threads);
    free(p->ring);
    free(p);
}
