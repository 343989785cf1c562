/*
 * sheaf.h: group news articles that tell the same story.
 *
 * This header is the manual. An index takes articles one at a time and
 * puts each in a cluster at once: in near mode the cluster of its closest
 * earlier copy (MinHash signatures of its shingles, an LSH banding index,
 * every candidate verified), in story mode the cluster of the earlier
 * write-ups of the same event (term vectors weighted by the stream's own
 * statistics). Clusters never merge and never change name.
 *
 *   sheaf_params p;
 *   sheaf_params_init(&p);                   // near mode, the defaults
 *   sheaf_index *idx;
 *   if (sheaf_index_new(&p, &idx) != SHEAF_OK)
 *       fprintf(stderr, "sheaf: %s\n", sheaf_errmsg());
 *   sheaf_article a = SHEAF_ARTICLE_INIT;
 *   a.id = "article-1";
 *   a.text = text;
 *   a.len = strlen(text);
 *   sheaf_assignment as;
 *   if (sheaf_index_add(idx, &a, &as) == SHEAF_OK)
 *       printf("%s joins %s\n", a.id, as.cluster);
 *   sheaf_index_free(idx);
 *
 * Conventions
 * - Functions that can fail return int: SHEAF_OK (0) or a negative
 *   SHEAF_E* code from the one list below, and sheaf_errmsg() then says
 *   what failed in words (the path and the system's reason, or the
 *   parameter and its valid range). Output parameters are written only on
 *   success. After any error, out-of-memory included, every object is
 *   unchanged and usable.
 * - Strings are UTF-8. Texts are (pointer, length) and need no terminating
 *   NUL; ids and names are NUL-terminated.
 * - Ownership: the caller owns everything it passes in, and every
 *   sheaf_params, sheaf_article, sheaf_signature and sheaf_hasher; sheaf
 *   copies what it keeps and holds no pointer into them after the call.
 * - Returned strings, one rule: a string an index returns (an id, a
 *   cluster name, in an assignment, a match or a lookup) stays valid until
 *   a call removes articles from that index (sheaf_index_remove,
 *   sheaf_index_expire, sheaf_index_rollback, a failed write in a group,
 *   see sheaf_index_begin) or frees it. Adds and queries never invalidate
 *   one. Copy what must outlive that.
 * - Threads: the library has no global mutable state (sheaf_errmsg's text
 *   is per thread). Calls on distinct objects may run concurrently. An
 *   index carries a reader-writer lock: any of its functions may be called
 *   from any thread at any time, except sheaf_index_free (and see
 *   sheaf_index_begin for groups); queries and lookups run in parallel,
 *   adds, removes and expiries one at a time, waiting for the queries in
 *   progress.
 * - The library never reads the environment and never prints.
 *
 * Versions and evolution. The soname (libsheaf.so.N) changes with every
 * release that breaks binary compatibility; within one soname, functions
 * are only added. sheaf_params and sheaf_article begin with their own
 * size, which sheaf_params_init and SHEAF_ARTICLE_INIT set: a later release
 * appends fields, and reads only the fields of the size the caller was
 * compiled with, giving the rest their defaults. A struct that cannot grow
 * that way (sheaf_assignment, sheaf_match) is extended by a new function
 * with a _v2 name beside the old one.
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
#define SHEAF_VERSION_MINOR 3
#define SHEAF_VERSION_PATCH 0
#define SHEAF_VERSION_NUMBER                                                   \
    (SHEAF_VERSION_MAJOR * 10000 + SHEAF_VERSION_MINOR * 100 +                 \
     SHEAF_VERSION_PATCH)
#define SHEAF_VERSION_STRING "0.3.0"

/* The library's version as "MAJOR.MINOR.PATCH"; may differ from the header's
 * SHEAF_VERSION_STRING when linked dynamically against another release.
 * Static, thread-safe. */
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
    SHEAF_ENOTFOUND = -5, /* no such id, cluster or stored index */
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

/* What the last sheaf call that failed in the calling thread failed on, in
 * one line: "threshold: 1.5 is not a number in (0, 1]", "news.idx: No
 * space left on device", or sheaf_strerror's text when there is nothing
 * more to say. Never NULL; "" before any failure. Per thread, like errno,
 * so that threads sharing an index each read their own; the text stays
 * until the next call that fails in this thread. */
SHEAF_API const char *sheaf_errmsg(void);

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
     * among the articles in the index (so any language works), and joins
     * the cluster whose members it resembles most when that stands out from
     * the other clusters of its topic. Uses threshold (a cosine floor;
     * default 0.1), contrast, window and seed; not the shingle settings,
     * num_hashes or the banding, and it needs the text: signatures are for
     * near mode. */
    SHEAF_MODE_STORY = 2
} sheaf_mode;

/* The vector instructions that signing uses. They give identical
 * signatures; only the speed differs. */
typedef enum sheaf_simd {
    SHEAF_SIMD_AUTO = 0,   /* the best this CPU has (default) */
    SHEAF_SIMD_SCALAR = 1, /* portable C, the reference */
    SHEAF_SIMD_AVX2 = 2,
    SHEAF_SIMD_AVX512 = 3 /* F, BW, DQ, VL, VBMI, VBMI2 */
} sheaf_simd;

/* Whether this CPU (and build) can run a level; AUTO and SCALAR always. */
SHEAF_API int sheaf_simd_supported(sheaf_simd level);

#define SHEAF_MAX_HASHES 1024     /* largest num_hashes */
#define SHEAF_MAX_SHINGLE_SIZE 32 /* largest shingle_size */

/* An index's parameters. Fill one with sheaf_params_init or
 * sheaf_params_init_mode, then change fields directly or by name with
 * sheaf_params_set. Each field is described, with its range, by the
 * parameter of the same name in sheaf_param_info_at. */
typedef struct sheaf_params {
    size_t size;                     /* sizeof(sheaf_params), set by init */
    sheaf_mode mode;                 /* "mode": default SHEAF_MODE_NEAR */
    sheaf_shingle_kind shingle_kind; /* "shingle": word:5 by default */
    uint32_t shingle_size;
    sheaf_scheme scheme;  /* "scheme": default SHEAF_SCHEME_OPH */
    uint32_t num_hashes;  /* "hashes": 1..SHEAF_MAX_HASHES, default 128 */
    uint64_t seed;        /* "seed": default 0 */
    /* "threshold", in (0, 1]. Near mode: the estimated Jaccard similarity
     * at or above which two articles are copies (default 0.5). Story mode:
     * the least similarity (a cosine of term vectors) to a cluster that
     * joins it (default 0.1), a floor under contrast. */
    double threshold;
    /* "bands", "rows": LSH banding, bands * rows <= num_hashes. 0 and 0
     * (the default) choose them from the threshold
     * (sheaf_params_choose_bands); set both to override. Near mode. */
    uint32_t bands;
    uint32_t rows;
    /* "window": seconds, >= 0; 0 (the default): none. With a window, an
     * article joins only a cluster with an earlier member published
     * within the window of its own time (in near mode: only articles
     * within it), and articles without a time are compared with all. */
    int64_t window;
    /* "contrast", story mode, in [0, 1]; default 0.09. An article joins its
     * most similar cluster only when that similarity exceeds by contrast
     * the mean similarity of the next three clusters: it must stand out
     * from the background of its topic. Higher: fewer, purer clusters. */
    double contrast;
    /* "simd": which vector instructions sign (default AUTO). Not part of a
     * stored index's identity: it changes speed, never results. */
    sheaf_simd simd;
} sheaf_params;

/* Fill *p with the defaults of near mode. */
SHEAF_API void sheaf_params_init(sheaf_params *p);

/* Fill *p with the defaults of a mode. An unknown mode gets near's
 * defaults with that mode, which then fails validation. */
SHEAF_API void sheaf_params_init_mode(sheaf_params *p, sheaf_mode mode);

/* SHEAF_OK when *p is usable, else SHEAF_EINVAL with sheaf_errmsg naming
 * the first parameter at fault and its valid range. */
SHEAF_API int sheaf_params_validate(const sheaf_params *p);

/* One parameter, as the command-line tools, sheaf_params_set and the
 * documentation know it. Static data. */
typedef struct sheaf_param_info {
    const char *name;   /* "threshold"; the clusterer's --threshold */
    const char *values; /* what it takes: "a number in (0, 1]" */
    const char *help;   /* one sentence */
    unsigned modes;     /* bit 1 << mode for each mode that uses it */
    int identity;       /* part of a stored index's identity: an index
                           opened with another value is a mismatch */
} sheaf_param_info;

/* Parameter i, in a fixed order, for i from 0 until it returns NULL. */
SHEAF_API const sheaf_param_info *sheaf_param_info_at(size_t i);

/* Set the parameter called name from its text form (as the clusterer's
 * option takes it: "0.5", "word:5", "72h", "story"). SHEAF_ENOTFOUND for
 * an unknown name, SHEAF_EINVAL for a value outside what it takes
 * (sheaf_errmsg: "threshold: '1.5' is not a number in (0, 1]"); *p is
 * unchanged on error. Setting "mode" changes only the mode: use
 * sheaf_params_init_mode first for a mode's defaults. */
SHEAF_API int sheaf_params_set(sheaf_params *p, const char *name,
                               const char *value);

/* The text form of parameter name of *p into buf (cap bytes, NUL
 * included): what sheaf_params_set reads back. SHEAF_ENOTFOUND,
 * SHEAF_ERANGE when cap is too small. */
SHEAF_API int sheaf_params_format(const sheaf_params *p, const char *name,
                                  char *buf, size_t cap);

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
 * sheaf_hasher_init, so one hasher may sign from many threads at once. Its
 * fields are private. */
typedef struct sheaf_hasher {
    uint64_t seed;
    uint32_t num_hashes, shingle_size;
    uint8_t scheme, shingle_kind, level, reserved;
    uint64_t table[2 * SHEAF_MAX_HASHES];
} sheaf_hasher;

/* Prepare *h for *p. SHEAF_EINVAL when *p does not validate, or asks for
 * SIMD instructions this CPU lacks (see sheaf_simd_supported). */
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
 * on every run, platform and SIMD level. text may be NULL when len is 0.
 * Thread-safe. Returns SHEAF_EINVAL for NULL pointers. */
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

/* ---------------------------------------------------------------- banding */

/* Near mode's candidate rule, one step at a time, for callers that spread
 * an index's work over processes (examples/mpi does: band keys go to the
 * process owning that part of the band tables, candidate pairs back to
 * where the signatures are). An index with the same parameters decides
 * exactly as these say: an article's match is, among the earlier articles
 * that sheaf_banding_verify accepts, the one of highest similarity, on a
 * tie the earliest; none, and it starts a cluster. (With a window, only
 * articles within it count.) Caller-owned, fixed-size, never allocates,
 * read-only after sheaf_banding_init so threads may share one; its fields
 * are private. It cannot grow: later releases add a _v2. */
typedef struct sheaf_banding {
    uint64_t seed;
    uint32_t num_hashes, bands, rows, min_same;
    uint8_t scheme, shingle_kind, shingle_size, reserved;
} sheaf_banding;

/* Prepare *b for near-mode parameters *p (bands and rows chosen as
 * sheaf_params_choose_bands does when 0). SHEAF_EINVAL when *p does not
 * validate or is not near mode. */
SHEAF_API int sheaf_banding_init(sheaf_banding *b, const sheaf_params *p);

/* The number of bands, each signature's count of band keys. */
SHEAF_API uint32_t sheaf_banding_bands(const sheaf_banding *b);

/* The band keys of sig, keys[k] for band k, as the index files them (on
 * the low 16 bits of each value): two signatures share band k exactly
 * when their values there agree, and then their keys[k] are equal (equal
 * keys may, rarely, hide unequal values: verification checks). *count
 * receives sheaf_banding_bands(b), or 0 for a signature of a text without
 * shingles, which is in no band. SHEAF_EMISMATCH for a signature of other
 * parameters, SHEAF_ERANGE when cap is below the count (nothing written),
 * SHEAF_EINVAL for NULL pointers. Thread-safe. */
SHEAF_API int sheaf_banding_keys(const sheaf_banding *b,
                                 const sheaf_signature *sig, uint64_t *keys,
                                 size_t cap, size_t *count);

/* Whether an index would accept the earlier article `earlier` as a
 * candidate match for `a`: they share a band (on the low 16 bits of the
 * values, as the index keeps them) and the fraction of equal values
 * reaches the verification floor, threshold - sqrt(t (1 - t) / hashes).
 * *accepted receives 1 or 0, *similarity that fraction: what
 * sheaf_assignment.similarity says of the match. SHEAF_EMISMATCH for
 * signatures of other parameters, SHEAF_EINVAL for NULL pointers.
 * Thread-safe. */
SHEAF_API int sheaf_banding_verify(const sheaf_banding *b,
                                   const sheaf_signature *a,
                                   const sheaf_signature *earlier,
                                   int *accepted, double *similarity);

/* ------------------------------------------------------------------ index */

/* An index of articles and their clusters. Opaque. */
typedef struct sheaf_index sheaf_index;

/* "No publication time". Times are seconds since the Unix epoch. */
#define SHEAF_NO_TIME INT64_MIN

/* One article, to add or to query with. Start from SHEAF_ARTICLE_INIT,
 * which sets size and leaves every optional field empty. The index reads
 * the article during the call only. */
typedef struct sheaf_article {
    size_t size;      /* sizeof(sheaf_article), set by SHEAF_ARTICLE_INIT */
    const char *id;   /* NUL-terminated, not empty; needed to add, unused by
                         queries */
    const char *text; /* UTF-8; may be NULL when len is 0 */
    size_t len;
    /* Its headline, when kept apart from the text (NULL: none): story mode
     * weighs it as the strong signal it is. Near mode ignores it. */
    const char *title;
    size_t title_len;
    int64_t time; /* publication time, or SHEAF_NO_TIME */
    /* Near mode: its signature, computed beforehand with the index's
     * hasher (sheaf_index_hasher), for instance in worker threads; text is
     * then not read. NULL: the index signs text. */
    const sheaf_signature *signature;
} sheaf_article;

#define SHEAF_ARTICLE_INIT                                                     \
    {sizeof(sheaf_article), NULL, NULL, 0, NULL, 0, SHEAF_NO_TIME, NULL}

/* What sheaf_index_add decided for one article. Its strings follow the
 * rule of returned strings (see Conventions). */
typedef struct sheaf_assignment {
    const char *cluster; /* the cluster's name: the id of its first article */
    const char *match;   /* the earlier article that decided it: in near
                            mode the copy it matched, in story mode the
                            member most similar to it; NULL when it starts
                            the cluster */
    double similarity;   /* what the decision used, in [0, 1]: estimated
                            Jaccard with match (near), similarity to the
                            cluster (story); 0 when it starts the cluster */
    size_t cluster_size; /* articles in the cluster, this one included */
} sheaf_assignment;

/* One match returned by a query. */
typedef struct sheaf_match {
    const char *id;      /* the matching article */
    const char *cluster; /* its cluster */
    double similarity;   /* as in sheaf_assignment */
} sheaf_match;

/* A new, empty in-memory index for *p into *out.
 * SHEAF_EINVAL (bad parameters, see sheaf_params_validate) or SHEAF_ENOMEM.
 * Thread-safe. */
SHEAF_API int sheaf_index_new(const sheaf_params *p, sheaf_index **out);

enum {
    /* Open for queries only: adds and removes fail with SHEAF_EREADONLY.
     * Any number of processes may open an index read-only; each sees the
     * index as it was when opened. */
    SHEAF_OPEN_READONLY = 1
};

/* Open the index stored at path (a file, with path-lock beside it), near
 * or story mode, creating it when absent unless SHEAF_OPEN_READONLY. *p
 * gives the parameters to create it with, or to check an existing index
 * against (those sheaf_param_info marks as identity); NULL takes the
 * stored ones. Every add, remove and expiry that returns SHEAF_OK outside
 * a group (sheaf_index_begin) is on disk, and survives the process being
 * killed at any instant; a reopened index assigns clusters exactly as the
 * uninterrupted one would. Storage is LMDB, with a checksum on every
 * record. Errors: SHEAF_EMISMATCH (other parameters, or another sheaf
 * format), SHEAF_ECORRUPT (damaged, or not a sheaf index), SHEAF_ENOTFOUND
 * (absent, and read-only or p NULL), SHEAF_EBUSY (another process has it
 * open for writing: one writer at a time), SHEAF_EIO, SHEAF_ENOMEM; on
 * error nothing on disk has changed. Thread-safe. */
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
 * invalidates every string the index has returned. For an in-memory index
 * begin and commit do nothing. SHEAF_EINVAL when a group is already open
 * (begin) or none is (commit). */
SHEAF_API int sheaf_index_begin(sheaf_index *idx);
SHEAF_API int sheaf_index_commit(sheaf_index *idx);
/* Undo the open group, in memory too. SHEAF_EINVAL when no group is open,
 * and always for an in-memory index, which cannot undo. */
SHEAF_API int sheaf_index_rollback(sheaf_index *idx);

/* Free the index and everything it owns; an open group is undone (its
 * changes never reach the disk). NULL is a no-op. Not concurrently with
 * any other call on idx. */
SHEAF_API void sheaf_index_free(sheaf_index *idx);

/* The parameters the index was made with, bands and rows resolved (owned by
 * the index, valid for its lifetime; NULL only for a NULL idx). */
SHEAF_API const sheaf_params *sheaf_index_params(const sheaf_index *idx);

/* Near mode: the hasher matching the index's parameters, to sign texts
 * for sheaf_article.signature outside the index (in worker threads,
 * concurrently with anything but sheaf_index_free). Owned by the index;
 * NULL for a NULL idx and in story mode, which has no signatures. */
SHEAF_API const sheaf_hasher *sheaf_index_hasher(const sheaf_index *idx);

/* Add an article and assign it a cluster at once; *out may be NULL.
 *
 * Near mode: the cluster of its most similar earlier article among those
 * that share an LSH band with it and pass verification (on a tie, the
 * article added first), else a new cluster named by its own id.
 * Verification: the estimated similarity is at least threshold -
 * sqrt(t (1 - t) / num_hashes), one standard error of the estimate below
 * the threshold t, because half the pairs exactly at the threshold are
 * estimated below it (0.456 for the defaults). The index keeps the low 16
 * bits of each signature value (half the memory), so two different values
 * agree there with probability 1/65536: its similarities may exceed
 * sheaf_signature_similarity's by that much.
 *
 * Story mode: the cluster whose members the article resembles most, when
 * that similarity reaches threshold and stands out by contrast from the
 * next clusters (see sheaf_params), else a new cluster.
 *
 * Both modes: with a window, only clusters with a member published within
 * the window of the article's time are candidates. Clusters never merge
 * and never change name, so adding articles one at a time gives exactly
 * the clusters of a batch run over the same sequence. Articles may arrive
 * out of time order; an article that arrives after articles within the
 * window of it have expired (sheaf_index_expire) does not meet them.
 *
 * SHEAF_EEXIST when the id is already in the index or still names a
 * cluster, SHEAF_EINVAL for a NULL or empty id or a bad article,
 * SHEAF_EMISMATCH for a signature made with other parameters. */
SHEAF_API int sheaf_index_add(sheaf_index *idx, const sheaf_article *a,
                              sheaf_assignment *out);

/* What adding the article would decide, without adding anything (its id
 * is not read). Near mode: every article that passes verification, most
 * similar first (ties: the article added first). Story mode: at most one,
 * the member most similar to the article of the cluster it would join. Up
 * to cap of them go to matches; *count receives how many there are in
 * all, so a caller can retry with a larger array. matches may be NULL
 * when cap is 0. */
SHEAF_API int sheaf_index_query(const sheaf_index *idx, const sheaf_article *a,
                                sheaf_match *matches, size_t cap,
                                size_t *count);

/* Remove an article. Its cluster keeps its name, also when the removed
 * article named it; an emptied cluster is gone. SHEAF_ENOTFOUND when
 * absent. */
SHEAF_API int sheaf_index_remove(sheaf_index *idx, const char *id);

/* Remove every article published before `before` (articles without a time
 * stay); *removed (may be NULL) receives how many. Everything the index
 * kept for them goes: their ids, their band entries and term vectors, and
 * their share of the term statistics, so an index that expires as time
 * advances holds memory bounded by the window. A backend with a window
 * calls it now and then, for instance with sheaf_index_newest_time(idx) -
 * 2 * window, so that articles up to one window late still meet
 * everything within the window of them. Their clusters keep their names. */
SHEAF_API int sheaf_index_expire(sheaf_index *idx, int64_t before,
                                 size_t *removed);

/* The latest publication time added so far; SHEAF_NO_TIME when none. A
 * reopened index knows the times of the articles it holds, so after the
 * newest was removed it may say an earlier time than the index that
 * removed it. */
SHEAF_API int64_t sheaf_index_newest_time(const sheaf_index *idx);

/* The cluster of article id into *cluster. SHEAF_ENOTFOUND when absent. */
SHEAF_API int sheaf_index_cluster_of(const sheaf_index *idx, const char *id,
                                     const char **cluster);

/* The members of a cluster, in the order they were added: up to cap ids to
 * ids, the total into *count. SHEAF_ENOTFOUND when no cluster has that
 * name. */
SHEAF_API int sheaf_index_cluster_members(const sheaf_index *idx,
                                          const char *cluster,
                                          const char **ids, size_t cap,
                                          size_t *count);

/* Call each(ctx, name, size) for every cluster, in the order the clusters
 * were made (in a reopened index: the order of their earliest member it
 * holds), under the index's read lock: each must not call functions
 * that modify idx. A nonzero return from each stops the walk and is
 * returned. */
SHEAF_API int sheaf_index_clusters(const sheaf_index *idx,
                                   int (*each)(void *ctx, const char *cluster,
                                               size_t size),
                                   void *ctx);

/* Make room for `articles` articles in all, counting those already in, so
 * that adds up to that count never regrow the index's arrays and (in near
 * mode) LSH band tables: growing the tables places every article again in
 * every band, the largest cost of adding to an index that grows from
 * empty. A hint for a caller that knows or can estimate the size of its
 * input; asking for fewer than the room there is already does nothing.
 * Ask for more than will come and the surplus is memory spent: about 520
 * bytes per article at the near defaults, doubled at worst by rounding to
 * a power of two. SHEAF_ENOMEM or SHEAF_ERANGE when it cannot be had: the
 * index's contents are unchanged, though part of the room may have been
 * made. */
SHEAF_API int sheaf_index_reserve(sheaf_index *idx, size_t articles);

/* Check the index stored at path, changing nothing: the LMDB file's
 * pages in use, the parameters, and every article's record (checksum,
 * fields, the engine's payload). report(ctx, what) is called for each
 * damaged part found, what naming the file and the part ("PATH: record 17:
 * damaged (checksum)"); report may be NULL. SHEAF_OK when sound,
 * SHEAF_ECORRUPT when anything is damaged, else the errors of
 * sheaf_index_open read-only (SHEAF_ENOTFOUND, SHEAF_EIO, SHEAF_ENOMEM).
 * Beside a writer it sees the last commit. Thread-safe. Like every open
 * of a stored index, not in a process that has that index open already
 * (LMDB's rule): verify from another process. */
SHEAF_API int sheaf_index_verify(const char *path,
                                 void (*report)(void *ctx, const char *what),
                                 void *ctx);

/* Every article stored at path, in the order it was added: each(ctx, id,
 * cluster) with its id and its cluster's name, both valid during the call.
 * The index is checked first as sheaf_index_open read-only checks it, so
 * a damaged one gives its error (SHEAF_ECORRUPT, ...) before any call. A
 * nonzero return from each stops the walk and is returned. Changes
 * nothing; thread-safe; as for verify, not in a process that has the
 * index open. */
SHEAF_API int sheaf_index_dump(const char *path,
                               int (*each)(void *ctx, const char *id,
                                           const char *cluster),
                               void *ctx);

/* Articles and clusters currently in the index (0 for a NULL idx). */
SHEAF_API size_t sheaf_index_size(const sheaf_index *idx);
SHEAF_API size_t sheaf_index_cluster_count(const sheaf_index *idx);

#ifdef __cplusplus
}
#endif

#endif /* SHEAF_H */
