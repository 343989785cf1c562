/*
 * Story mode: clusters of articles that report the same event in their own
 * words. Internal to the library; the design and its measurements are at
 * the top of story.c.
 *
 * The caller names documents by 32-bit numbers of its own choosing (the
 * index's document slots, so dense), each present at most once at a time;
 * a number may be reused after sheaf__story_remove. The module names
 * clusters by numbers too, dense, and reused once a cluster has lost all
 * its members.
 *
 * Every function that can fail returns SHEAF_OK or a negative SHEAF_E*
 * code and, on failure, has changed nothing. Calls on one sheaf__story
 * need exclusive access, except that sheaf__story_query and the other
 * const functions may run concurrently with each other.
 */
#ifndef SHEAF_STORY_H
#define SHEAF_STORY_H

#include <stddef.h>
#include <stdint.h>

#define SHEAF__NO_TIME INT64_MIN        /* publication time not known */
#define SHEAF__NO_CLUSTER UINT32_MAX    /* no cluster */
#define SHEAF__STORY_NO_DOC UINT32_MAX  /* no document */
#define SHEAF__STORY_MAX_HASHES 1024
#define SHEAF__STORY_MAX_TERMS 4096

typedef struct sheaf__story_params {
    /* An article joins the cluster it is most similar to when that
     * similarity (its mean cosine to the members' term vectors, times the
     * time factor below) is at least threshold, in (0, 1] (default 0.1),
     * and exceeds by at least contrast, in [0, 1] (default 0.09), the mean
     * similarity of the three next most similar clusters: the article must
     * stand out from the background of its topic, not only match it. */
    double threshold;
    double contrast;
    /* The most weighted terms that represent an article, 1..4096
     * (default 64). */
    uint32_t max_terms;
    /* Weighted MinHash values per article, each one LSH band of one row,
     * 1..1024 (default 64). */
    uint32_t num_hashes;
    /* Clusters verified per article: those whose members share the most
     * bands with it, per member (default 64, >= 1). */
    uint32_t max_candidates;
    /* Seed of the word hashes and the MinHash (default 0). */
    uint64_t seed;
    /* Publication times: the similarity of an article to a cluster whose
     * members' times span [t0, t1] is multiplied by s / (s + dt), where
     * s = time_scale in seconds and dt is the article's distance in
     * seconds from that span (0 inside it). So with the default, one day,
     * an article two days off a story needs three times the similarity.
     * 0 ignores times; articles or clusters without times get factor 1. */
    double time_scale;
} sheaf__story_params;

/* Fill *p with the defaults. */
void sheaf__story_params_init(sheaf__story_params *p);
/* SHEAF_OK when *p is usable, else SHEAF_EINVAL. */
int sheaf__story_params_validate(const sheaf__story_params *p);

typedef struct sheaf__story sheaf__story;

/* What adding (or querying) an article decided. */
typedef struct sheaf__story_result {
    uint32_t cluster;  /* its cluster; SHEAF__NO_CLUSTER from a query that
                          would start a new one */
    int joined;        /* 1: an existing cluster, 0: a new one */
    double similarity; /* to the most similar cluster (the one joined if
                          joined), as defined at threshold; 0 if none */
    double background; /* mean similarity to the next three clusters */
    uint32_t match;    /* the member of the joined cluster most similar to
                          the article (on a tie the earlier added), else
                          SHEAF__STORY_NO_DOC */
    double match_similarity; /* cosine with match; 0 if none */
    size_t cluster_size;     /* members, this article included */
} sheaf__story_result;

/* A new story clusterer for *p into *out: SHEAF_EINVAL, SHEAF_ENOMEM. */
int sheaf__story_new(const sheaf__story_params *p, sheaf__story **out);
/* Free it; NULL is a no-op. */
void sheaf__story_free(sheaf__story *s);

/* Add document doc with its text (UTF-8) and publication time (seconds
 * since the epoch, or SHEAF__NO_TIME), assign it a cluster, and learn the
 * text's term statistics. *out may be NULL. SHEAF_EEXIST when doc is
 * present, SHEAF_ERANGE for doc SHEAF__STORY_NO_DOC, SHEAF_EINVAL,
 * SHEAF_ENOMEM. */
int sheaf__story_add(sheaf__story *s, uint32_t doc, const char *text,
                     size_t len, int64_t time, sheaf__story_result *out);

/* What sheaf__story_add would decide for this text now, changing nothing
 * (the statistics do not learn from it). SHEAF_EINVAL, SHEAF_ENOMEM. */
int sheaf__story_query(const sheaf__story *s, const char *text, size_t len,
                       int64_t time, sheaf__story_result *out);

/* Remove a document: its cluster loses it, and is gone when emptied. The
 * term statistics keep what they learnt from it (forgetting would need
 * the text). SHEAF_ENOTFOUND when absent. Never fails otherwise. */
int sheaf__story_remove(sheaf__story *s, uint32_t doc);

/* The cluster of a document, SHEAF__NO_CLUSTER when absent. */
uint32_t sheaf__story_cluster_of(const sheaf__story *s, uint32_t doc);

/* Documents and clusters present (0 for NULL). */
size_t sheaf__story_size(const sheaf__story *s);
size_t sheaf__story_cluster_count(const sheaf__story *s);

#endif
