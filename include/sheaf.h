/*
 * sheaf.h: group news articles that tell the same story.
 *
 * This header is the manual. sheaf turns each article into a MinHash
 * signature of its shingles, finds candidate matches through an LSH banding
 * index, verifies every candidate on its estimated similarity and assigns the
 * article to a cluster at once.
 *
 *   sheaf_params p;
 *   sheaf_params_init(&p);                  // defaults: word 5-shingles,
 *   p.threshold = 0.5;                      // 128 hashes, threshold 0.5
 *   sheaf_index *idx;
 *   if (sheaf_index_new(&p, &idx) != SHEAF_OK) ...
 *   sheaf_assignment a;
 *   int rc = sheaf_index_add(idx, "article-1", text, text_len, &a);
 *   if (rc != SHEAF_OK) fprintf(stderr, "%s\n", sheaf_strerror(rc));
 *   printf("%s joins %s\n", "article-1", a.cluster);
 *   sheaf_index_free(idx);
 *
 * Conventions
 * - Functions that can fail return int: SHEAF_OK (0) or a negative
 *   SHEAF_E* code. Output parameters are written only on success. After any
 *   error, out-of-memory included, every object is unchanged and usable.
 * - Strings are UTF-8. Texts are (pointer, length) and need no terminating
 *   NUL; ids are NUL-terminated.
 * - Ownership: the caller owns everything it passes in and every
 *   sheaf_signature and sheaf_hasher; sheaf copies what it keeps. Strings
 *   sheaf returns (ids, cluster names) belong to the index. Adding never
 *   invalidates them: an id stays valid until its article is removed or
 *   expired, a cluster name until its cluster's last article goes, and all
 *   of them until the index is freed or a group is undone (see
 *   sheaf_index_begin).
 * - Thread safety: there is no global mutable state, except the choice of
 *   CPU code path, made once and safely on first use. Functions on distinct
 *   objects may run concurrently. An index carries a reader-writer lock:
 *   any of its functions may be called from any thread at any time, except
 *   sheaf_index_free (and see sheaf_index_begin for groups); queries and
 *   lookups run in parallel, adds, removes and expiries one at a time,
 *   waiting for the queries in progress.
 *
 * Version 0.x: the API may still change between minor versions.
 */
#ifndef SHEAF_H
#define SHEAF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SHEAF_BUILDING) && defined(__GNUC__)
#define SHEAF_API __attribute__((visibility("default")))
#else
#define SHEAF_API
#endif

/* ---------------------------------------------------------------- version */

#define SHEAF_VERSION_MAJOR 0
#define SHEAF_VERSION_MINOR 2
#define SHEAF_VERSION_PATCH 0
#define SHEAF_VERSION_NUMBER                                                   \
    (SHEAF_VERSION_MAJOR * 10000 + SHEAF_VERSION_MINOR * 100 +                 \
     SHEAF_VERSION_PATCH)
#define SHEAF_VERSION_STRING "0.2.0"

/* The library's version as "MAJOR.MINOR.PATCH"; may differ from the header's
 * SHEAF_VERSION_STRING when linked dynamically against another release. */
SHEAF_API const char *sheaf_version(void);
/* The same as a number, MAJOR * 10000 + MINOR * 100 + PATCH. */
SHEAF_API unsigned sheaf_version_number(void);

/* ----------------------------------------------------------------- errors */

enum {
    SHEAF_OK = 0,
    SHEAF_EINVAL = -1,    /* invalid argument or parameter value */
    SHEAF_ENOMEM = -2,    /* out of memory; nothing was changed */
    SHEAF_EMISMATCH = -3, /* signatures or index made with other parameters */
    SHEAF_EEXIST = -4,    /* the id is already in the index */
    SHEAF_ENOTFOUND = -5, /* no such id or cluster */
    SHEAF_ERANGE = -6,    /* a size or count beyond what sheaf supports */
    SHEAF_EIO = -7,       /* reading or writing storage failed */
    SHEAF_ECORRUPT = -8,  /* stored data is damaged or not sheaf's */
    SHEAF_EBUSY = -9,     /* another process has the stored index open for
                             writing */
    SHEAF_EREADONLY = -10 /* the index was opened read-only */
};

/* A static English message for an error code; never NULL (unknown codes get
 * "unknown error"). Thread-safe. */
SHEAF_API const char *sheaf_strerror(int code);

/* ------------------------------------------------------------- parameters */

typedef enum sheaf_shingle_kind {
    /* Word k-shingles: runs of k consecutive words of the normalised text. */
    SHEAF_SHINGLE_WORD = 1,
    /* Character k-grams of the normalised text, spaces included. */
    SHEAF_SHINGLE_CHAR = 2
} sheaf_shingle_kind;

typedef enum sheaf_scheme {
    /* One-permutation hashing with optimal densification (Shrivastava 2017):
     * one hash per shingle, so cost does not grow with num_hashes. Default. */
    SHEAF_SCHEME_OPH = 1,
    /* Classic k-permutation MinHash: num_hashes independent hash functions
     * per shingle. The reference for accuracy; slower. */
    SHEAF_SCHEME_MINHASH = 2
} sheaf_scheme;

typedef enum sheaf_mode {
    /* Near-duplicates: copies, reprints, trimmed and retitled versions.
     * Similarity: estimated Jaccard of the shingle sets. */
    SHEAF_MODE_NEAR = 1,
    /* Stories: different outlets' own write-ups of one event. Each article
     * becomes a vector of its salient terms, weighted by how rare they are
     * in the stream so far; a weighted MinHash finds candidate clusters,
     * and an article joins the cluster whose members it resembles most
     * (mean cosine), when that stands out from the next clusters of its
     * topic. Publication times weigh in: an article a day off a story needs
     * twice the similarity. Uses threshold (a cosine; default 0.1),
     * num_hashes (default 48) and seed; not the shingle settings, and it
     * needs the text: signatures are for near mode. In memory only in this
     * release (sheaf_index_open refuses it). */
    SHEAF_MODE_STORY = 2
} sheaf_mode;

#define SHEAF_MAX_HASHES 1024     /* largest num_hashes */
#define SHEAF_MAX_SHINGLE_SIZE 32 /* largest shingle_size */

typedef struct sheaf_params {
    sheaf_mode mode;                 /* default SHEAF_MODE_NEAR */
    sheaf_shingle_kind shingle_kind; /* default SHEAF_SHINGLE_WORD */
    uint32_t shingle_size;           /* k, 1..32; default 5 */
    sheaf_scheme scheme;             /* default SHEAF_SCHEME_OPH */
    uint32_t num_hashes;             /* 1..SHEAF_MAX_HASHES; default 128 */
    uint64_t seed;                   /* default 0 */
    /* Estimated Jaccard similarity at or above which two articles are the
     * same story, in (0, 1]; default 0.5. */
    double threshold;
    /* LSH banding: bands * rows <= num_hashes. 0 and 0 (the default) choose
     * them from the threshold (sheaf_params_choose_bands); set both to
     * override. */
    uint32_t bands;
    uint32_t rows;
    /* Seconds, >= 0; 0 (the default): none. With a window, an article joins
     * only articles whose publication time is within the window of its
     * own (articles without a time are compared with all). */
    int64_t window;
    /* Story mode only, in [0, 1]; default 0.09. An article joins its most
     * similar cluster only when that similarity exceeds by contrast the mean
     * similarity of the next three clusters: it must stand out from the
     * background of its topic. The main knob of story mode: higher makes
     * fewer, purer clusters; threshold is only a floor there. */
    double contrast;
} sheaf_params;

/* Fill *p with the defaults above (near mode). */
SHEAF_API void sheaf_params_init(sheaf_params *p);

/* Fill *p with the defaults of a mode: near as above; story with threshold
 * 0.1 and 48 hashes. An unknown mode gets near's defaults with that mode,
 * which then fails validation. */
SHEAF_API void sheaf_params_init_mode(sheaf_params *p, sheaf_mode mode);

/* SHEAF_OK when *p is usable, else SHEAF_EINVAL (an unknown enum value,
 * shingle_size or num_hashes out of range, threshold outside (0, 1] or NaN,
 * only one of bands/rows set, bands * rows > num_hashes, window < 0,
 * contrast outside [0, 1]). */
SHEAF_API int sheaf_params_validate(const sheaf_params *p);

/* The banding that sheaf uses for *p: the override when set, else the
 * (bands, rows) with bands * rows <= num_hashes minimising the weighted
 * probability of missing a pair above the threshold plus that of proposing
 * one below it, weighted towards recall because every candidate is verified
 * afterwards. Pure and thread-safe. */
SHEAF_API int sheaf_params_choose_bands(const sheaf_params *p, uint32_t *bands,
                                        uint32_t *rows);

/* -------------------------------------------------------------- signature */

/* A MinHash signature. Caller-owned and fixed-size (about 4 KiB), so it can
 * live on the stack; computing one never allocates. The fields record the
 * parameters that made it; treat them as read-only. */
typedef struct sheaf_signature {
    uint64_t seed;
    uint32_t num_hashes;
    uint8_t scheme;       /* sheaf_scheme */
    uint8_t shingle_kind; /* sheaf_shingle_kind */
    uint8_t shingle_size;
    uint8_t reserved;     /* zero */
    /* Shingles hashed, repeats included. 0 means the text had no word (or
     * no character): such a signature matches nothing, itself included. */
    uint64_t num_shingles;
    uint32_t values[SHEAF_MAX_HASHES]; /* the first num_hashes are used */
} sheaf_signature;

/* Everything needed to sign texts with one set of parameters, precomputed.
 * Caller-owned, fixed-size (about 16 KiB), never allocates; read-only after
 * sheaf_hasher_init, so one hasher may sign from many threads at once. */
typedef struct sheaf_hasher {
    sheaf_params params;
    uint64_t table[2 * SHEAF_MAX_HASHES]; /* private: laid out per scheme */
} sheaf_hasher;

/* Prepare *h for *p. SHEAF_EINVAL when *p does not validate. */
SHEAF_API int sheaf_hasher_init(sheaf_hasher *h, const sheaf_params *p);

/* Sign text[0..len) into *out.
 *
 * Normalisation: the text is UTF-8; each byte that does not start or
 * continue a valid sequence (overlong forms and surrogates included) counts
 * as U+FFFD, a letter. Letters are case-folded (Unicode 14 simple case
 * folding); letters, marks and digits make words, apostrophes inside a
 * word are dropped ("don't" = "dont"), everything else separates words.
 * Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao,
 * Khmer, Myanmar) make one word per character, so word shingles over them
 * are character shingles. A text of fewer than k words is one shingle.
 * Character shingles run over the same normalised text with every run of
 * separators replaced by one space.
 *
 * The result is a function of the text and the parameters only: identical
 * on every run and platform. text may be NULL when len is 0. Thread-safe.
 * Returns SHEAF_EINVAL for NULL pointers. */
SHEAF_API int sheaf_hasher_sign(const sheaf_hasher *h, const char *text,
                                size_t len, sheaf_signature *out);

/* One-shot: sheaf_hasher_init then sheaf_hasher_sign (slower when signing
 * many texts: the hasher is rebuilt each call). */
SHEAF_API int sheaf_sign(const sheaf_params *p, const char *text, size_t len,
                         sheaf_signature *out);

/* Estimated Jaccard similarity of the shingle sets behind a and b, in
 * [0, 1], into *similarity. SHEAF_EMISMATCH when they were made with
 * different parameters (seed, scheme, shingle kind or size, num_hashes).
 * A signature of a text without shingles has similarity 0 with everything.
 * Thread-safe. */
SHEAF_API int sheaf_signature_similarity(const sheaf_signature *a,
                                         const sheaf_signature *b,
                                         double *similarity);

/* ------------------------------------------------------------------ index */

/* An LSH index of articles and their clusters. Opaque. */
typedef struct sheaf_index sheaf_index;

/* What sheaf_index_add decided for one article. The strings belong to the
 * index and stay valid until the next call that modifies it. */
typedef struct sheaf_assignment {
    const char *cluster; /* the cluster's name: the id of its first article */
    const char *match;   /* the article it matched; NULL when it starts the
                            cluster */
    double similarity;   /* estimated similarity with match; 0 when none */
    size_t cluster_size; /* articles in the cluster, this one included */
} sheaf_assignment;

/* One verified match returned by a query. */
typedef struct sheaf_match {
    const char *id;      /* the matching article; owned by the index */
    const char *cluster; /* its cluster; owned by the index */
    double similarity;   /* estimated similarity */
} sheaf_match;

/* "No publication time". Times are seconds since the Unix epoch. */
#define SHEAF_NO_TIME INT64_MIN

/* A new, empty in-memory index for *p into *out.
 * SHEAF_EINVAL (bad parameters) or SHEAF_ENOMEM. */
SHEAF_API int sheaf_index_new(const sheaf_params *p, sheaf_index **out);

enum {
    /* Open for queries only: adds and removes fail with SHEAF_EREADONLY.
     * Any number of processes may open an index read-only; each sees the
     * index as it was when opened. */
    SHEAF_OPEN_READONLY = 1
};

/* Open the index stored at path (a file, with path-lock beside it),
 * creating it when absent unless SHEAF_OPEN_READONLY. *p gives the
 * parameters to create it with, or to check an existing index against; NULL
 * takes the stored ones. Every add and remove that returns SHEAF_OK outside
 * a group (sheaf_index_begin) is on disk, and survives the process being
 * killed at any instant; a reopened index assigns clusters exactly as the
 * uninterrupted one would. Storage is LMDB, with a checksum on every record.
 * Errors: SHEAF_EMISMATCH (other parameters, or another sheaf format),
 * SHEAF_ECORRUPT (damaged, or not a sheaf index), SHEAF_ENOTFOUND (absent,
 * and read-only or p NULL), SHEAF_EBUSY (another process has it open for
 * writing: one writer at a time), SHEAF_EIO, SHEAF_ENOMEM. On error nothing
 * on disk has changed. */
SHEAF_API int sheaf_index_open(const char *path, const sheaf_params *p,
                               unsigned flags, sheaf_index **out);

/* Group the following adds, removes and expiries of a stored index into
 * one transaction, committed by sheaf_index_commit: much faster for
 * batches, and a crash loses at most the uncommitted group, never damages
 * the index. If a write inside the group fails, the whole group is undone,
 * in memory too, and the error says so. A group belongs to the thread that
 * began it (an LMDB write transaction does): while it is open, adds,
 * removes, expiries, commit and rollback from other threads fail with
 * SHEAF_EINVAL (queries from any thread are fine), and an index with an
 * open group should be freed by that thread. Undoing a group (rollback, a
 * failed write or commit in it) rebuilds the index from the disk and so
 * invalidates every id and cluster name the index has returned, as
 * sheaf_index_free does. For an in-memory index begin and
 * commit do nothing. SHEAF_EINVAL when a group is already open (begin) or
 * none is (commit). */
SHEAF_API int sheaf_index_begin(sheaf_index *idx);
SHEAF_API int sheaf_index_commit(sheaf_index *idx);
/* Undo the open group, in memory too. SHEAF_EINVAL when no group is open,
 * and always for an in-memory index, which cannot undo. */
SHEAF_API int sheaf_index_rollback(sheaf_index *idx);

/* Free the index and everything it owns; an open group is undone (its
 * changes never reach the disk). NULL is a no-op. */
SHEAF_API void sheaf_index_free(sheaf_index *idx);

/* The parameters the index was made with, bands and rows resolved (owned by
 * the index, valid for its lifetime; NULL only for a NULL idx). */
SHEAF_API const sheaf_params *sheaf_index_params(const sheaf_index *idx);

/* The hasher matching the index's parameters, to sign texts for it outside
 * the index (for example in worker threads, concurrently with anything but
 * sheaf_index_free). Owned by the index; NULL only for a NULL idx. */
SHEAF_API const sheaf_hasher *sheaf_index_hasher(const sheaf_index *idx);

/* Add an article and assign it a cluster at once: the cluster of its most
 * similar earlier article among those that share an LSH band with it and
 * pass verification (on a tie, the article added first), else a new cluster
 * named by its own id. Verification: the
 * estimated similarity is at least threshold - sqrt(t (1 - t) / num_hashes),
 * one standard error of the estimate below the threshold t, because half
 * the pairs exactly at the threshold are estimated below it (0.456 for the
 * defaults). Clusters never merge and never change name, so adding articles one at
 * a time gives exactly the clusters of a batch run over the same sequence.
 * A shared LSH band only proposes a candidate; the similarity decides.
 * The index keeps the low 16 bits of each signature value (half the
 * memory), so two different values agree there with probability 1/65536:
 * its similarities may exceed sheaf_signature_similarity's by that much.
 * *out may be NULL. SHEAF_EEXIST when id is already in the index or
 * still names a cluster, SHEAF_EINVAL for NULL or empty id. */
SHEAF_API int sheaf_index_add(sheaf_index *idx, const char *id,
                              const char *text, size_t len,
                              sheaf_assignment *out);

/* The same with a signature computed beforehand (sheaf_index_hasher);
 * SHEAF_EMISMATCH when it was made with other parameters. Gives the same
 * result as sheaf_index_add on the signed text. */
SHEAF_API int sheaf_index_add_signature(sheaf_index *idx, const char *id,
                                        const sheaf_signature *sig,
                                        sheaf_assignment *out);

/* sheaf_index_add and sheaf_index_add_signature for an article published
 * at time (SHEAF_NO_TIME: none); see sheaf_params.window. Articles may
 * arrive out of time order. */
SHEAF_API int sheaf_index_add_at(sheaf_index *idx, const char *id,
                                 int64_t time, const char *text, size_t len,
                                 sheaf_assignment *out);
SHEAF_API int sheaf_index_add_signature_at(sheaf_index *idx, const char *id,
                                           int64_t time,
                                           const sheaf_signature *sig,
                                           sheaf_assignment *out);

/* Remove an article. Its cluster keeps its name, also when the removed
 * article named it; an emptied cluster is gone. SHEAF_ENOTFOUND when absent.
 */
SHEAF_API int sheaf_index_remove(sheaf_index *idx, const char *id);

/* Articles in the index that pass verification (see sheaf_index_add) against
 * the signature, most similar first (ties: the article added
 * first), without adding anything. Up to cap of them go to matches; *count
 * receives how many there are in all, so a caller can retry with a larger
 * array. matches may be NULL when cap is 0. */
SHEAF_API int sheaf_index_query_signature(const sheaf_index *idx,
                                          const sheaf_signature *sig,
                                          sheaf_match *matches, size_t cap,
                                          size_t *count);

/* The same for a text, signed with the index's hasher. */
SHEAF_API int sheaf_index_query(const sheaf_index *idx, const char *text,
                                size_t len, sheaf_match *matches, size_t cap,
                                size_t *count);

/* The same for an article published at time (SHEAF_NO_TIME: none). */
SHEAF_API int sheaf_index_query_signature_at(const sheaf_index *idx,
                                             const sheaf_signature *sig,
                                             int64_t time,
                                             sheaf_match *matches, size_t cap,
                                             size_t *count);

/* Remove every article published before `before` (articles without a time
 * stay); *removed (may be NULL) receives how many. A backend with a window
 * calls it now and then with sheaf_index_newest_time(idx) - window. Their
 * clusters keep their names. */
SHEAF_API int sheaf_index_expire(sheaf_index *idx, int64_t before,
                                 size_t *removed);

/* The latest publication time added so far; SHEAF_NO_TIME when none. */
SHEAF_API int64_t sheaf_index_newest_time(const sheaf_index *idx);

/* The cluster of article id into *cluster (owned by the index).
 * SHEAF_ENOTFOUND when absent. */
SHEAF_API int sheaf_index_cluster_of(const sheaf_index *idx, const char *id,
                                     const char **cluster);

/* The members of a cluster, in the order they were added: up to cap ids to
 * ids (owned by the index), the total into *count. SHEAF_ENOTFOUND when no
 * cluster has that name. */
SHEAF_API int sheaf_index_cluster_members(const sheaf_index *idx,
                                          const char *cluster,
                                          const char **ids, size_t cap,
                                          size_t *count);

/* Make room for `articles` articles in all, counting those already in, so
 * that adds up to that count never regrow the index's arrays and LSH band
 * tables: growing the tables places every article again in every band,
 * the largest cost of adding to an index that grows from empty. A hint
 * for a caller that knows or can estimate the size of its input; asking
 * for fewer than the room there is already does nothing (story mode keeps
 * tables of its own, which grow as before). Ask for more than will come
 * and the surplus is memory spent: about 520 bytes per article at the
 * defaults (the 256 of a stored signature, 208 of band tables), doubled at
 * worst by rounding to a power of two. SHEAF_ENOMEM or SHEAF_ERANGE when
 * it cannot be had: the index's contents are unchanged, though part of the
 * room may have been made. */
SHEAF_API int sheaf_index_reserve(sheaf_index *idx, size_t articles);

/* Articles and clusters currently in the index (0 for a NULL idx). */
SHEAF_API size_t sheaf_index_size(const sheaf_index *idx);
SHEAF_API size_t sheaf_index_cluster_count(const sheaf_index *idx);

#ifdef __cplusplus
}
#endif

#endif /* SHEAF_H */
