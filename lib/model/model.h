/*
 * The model: the articles of an index and their clusters, the one cluster
 * model every engine shares. Internal to the library.
 *
 * Articles ("docs") live in a dense array addressed by a 32-bit number,
 * clusters in another; engines keep their own per-doc and per-cluster data
 * in arrays indexed by the same numbers, and read the model (times,
 * members, sizes, order) but never change it. Slots of removed articles
 * and emptied clusters are reused through free lists. Ids and cluster
 * names share one table of names, so an add learns in one lookup whether
 * its id is free, and an article that starts a cluster costs one record.
 *
 * Adding is two-phase, so that an error leaves everything as it was:
 * sheaf__model_prepare makes every allocation and enters the names,
 * then either sheaf__model_abandon undoes that or sheaf__model_finish
 * completes the addition, which cannot fail.
 */
#ifndef SHEAF_MODEL_MODEL_H
#define SHEAF_MODEL_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <uthash.h>

#define SHEAF__NONE UINT32_MAX /* no doc, no cluster */
/* Doc numbers stay below this (near/lsh.h keeps them in 32 bits with a
 * marker for empty slots). */
#define SHEAF__MAX_DOCS 0xffff0000u

/* A name: an article's id, a cluster's name, or both at once (the usual
 * case, since a cluster is named by the id of its first article). A
 * cluster keeps its name after its first article goes; the record goes
 * when it names neither. */
typedef struct sheaf__name {
    UT_hash_handle hh;
    uint32_t doc;     /* the article with this id, or SHEAF__NONE */
    uint32_t cluster; /* the cluster with this name, or SHEAF__NONE */
    char s[];         /* the key, NUL-terminated */
} sheaf__name;

typedef struct sheaf__doc {
    sheaf__name *id;  /* NULL while the slot is free */
    uint32_t cluster;
    uint32_t prev, next; /* the cluster's members in order of addition;
                            next also links free slots */
    uint64_t seq;        /* order of addition: ties go to the earlier */
    int64_t time;        /* SHEAF_NO_TIME when unknown */
} sheaf__doc;

typedef struct sheaf__cluster {
    sheaf__name *name;     /* NULL while the slot is free */
    uint32_t head, tail;   /* members; head also links free slots */
    uint32_t size;
    uint32_t older, newer; /* the live clusters in order of creation */
    uint64_t seq;          /* order of creation: ties go to the older */
} sheaf__cluster;

typedef struct sheaf__model {
    sheaf__doc *docs;
    uint32_t used, cap, free_doc; /* slots handed out, allocated, free */
    size_t live;
    sheaf__cluster *clus;
    uint32_t clus_used, clus_cap, free_clus;
    uint32_t oldest, newest_clus; /* ends of the creation order */
    size_t clusters;
    sheaf__name *names;
    uint64_t next_seq;
    int64_t newest; /* the latest publication time; SHEAF_NO_TIME */
} sheaf__model;

/* An article on its way in: everything allocated and in the table of
 * names, nothing else changed yet. */
typedef struct sheaf__pending {
    sheaf__name *e;  /* its id */
    sheaf__name *c;  /* the name of its cluster */
    uint32_t doc;    /* the slot it will take */
    uint32_t cluster;
    uint8_t new_e;   /* e was made for it */
    uint8_t new_c;   /* c was made for it, apart from e */
    uint8_t new_cluster; /* the cluster is made for it */
} sheaf__pending;

void sheaf__model_init(sheaf__model *m);
void sheaf__model_free(sheaf__model *m);

sheaf__name *sheaf__model_find(const sheaf__model *m, const char *s,
                               size_t len);

/* Room for n doc slots in all: SHEAF_ENOMEM, SHEAF_ERANGE. Engines size
 * their per-doc arrays to m->cap, clusters to m->clus_cap. */
int sheaf__model_reserve(sheaf__model *m, uint64_t n);

/* Prepare the addition of article id (e: its name record if it has one,
 * which must name no article) to cluster `join`, or, when join is
 * SHEAF__NONE, to the cluster named cname (c: its record, or NULL when
 * there is none yet), made for it if that name names none. */
int sheaf__model_prepare(sheaf__model *m, sheaf__name *e, const char *id,
                         size_t id_len, uint32_t join, sheaf__name *c,
                         const char *cname, size_t cname_len,
                         sheaf__pending *out);
void sheaf__model_abandon(sheaf__model *m, const sheaf__pending *p);
/* Complete it; returns the doc number (p->doc). */
uint32_t sheaf__model_finish(sheaf__model *m, const sheaf__pending *p,
                             uint64_t seq, int64_t time);

/* Take doc d out of its cluster and free its slot and names; an emptied
 * cluster's slot is freed too. */
void sheaf__model_unlink(sheaf__model *m, uint32_t d);

/* Whether cluster c has a member published within window seconds of t
 * (always, when t or window is unknown or 0). Members without a time
 * count as within. Walks from the newest member, which in a stream in
 * time order is the nearest. */
int sheaf__model_within(const sheaf__model *m, uint32_t c, int64_t t,
                        int64_t window);

/* Whether times a and b may join under window. */
static inline int sheaf__within(int64_t a, int64_t b, int64_t window)
{
    if (window == 0 || a == INT64_MIN || b == INT64_MIN)
        return 1;
    uint64_t gap =
        a > b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
    return gap <= (uint64_t)window;
}

#endif
