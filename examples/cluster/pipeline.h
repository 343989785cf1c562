/*
 * The signing pipeline: worker threads process batches (batch_process)
 * while the main thread reads the next ones, and the main thread takes
 * finished batches back strictly in the order it submitted them. That
 * order, not the threads' timing, decides everything the user sees, so the
 * output is the same whatever the number of threads.
 */
#ifndef CLUSTER_PIPELINE_H
#define CLUSTER_PIPELINE_H

#include <stddef.h>

#include "batch.h"

typedef struct pipeline pipeline;

/* A pipeline of `threads` workers holding at most `depth` batches in
 * flight. With threads <= 1 there are no threads: pipeline_submit
 * processes the batch at once on the calling thread. ctx must outlive the
 * pipeline. */
pipeline *pipeline_new(unsigned threads, size_t depth, const work_ctx *ctx);

/* Batches submitted and not yet taken back. */
size_t pipeline_pending(const pipeline *p);

/* Hand b over; needs pipeline_pending(p) < depth. */
void pipeline_submit(pipeline *p, batch *b);

/* Take back the oldest submitted batch once processed: waiting for it with
 * wait set, else NULL if it is not done yet. NULL when none is pending. */
batch *pipeline_take(pipeline *p, int wait);

/* Stop the workers (after the batches they are on) and free the pipeline;
 * batches still pending are left to their owner. */
void pipeline_free(pipeline *p);

#endif
