/*
 * The terms of story mode: the content words of a text, each as a 64-bit
 * hash. Internal to the library; story.c says why these terms.
 *
 * Words are those of near mode (sheaf_hasher_sign in sheaf.h), folded and
 * hashed the same way, with three changes for English news:
 *  - function words (a built-in list, terms.c) are dropped;
 *  - a possessive 's (with ' or U+2019) is dropped: "Obama's" is "obama";
 *  - a plural s is dropped by the S-stemmer (Harman 1991): "-ies" becomes
 *    "-y", "-es" "-e" (not after a, e, o), "-s" nothing (not after u, s),
 *    for words of four letters or more: "talks" is "talk".
 * The last two apply to words of ASCII letters and digits (the common
 * case in English, including words next to typographic quotes, dashes and
 * no-break spaces); a word with other characters is left to the library's
 * scanner as it is. Each term also says whether it stands in a list (see
 * SHEAF__LIST_RUN), for the caller to ignore in prose.
 */
#ifndef SHEAF_TERMS_H
#define SHEAF_TERMS_H

#include <stddef.h>
#include <stdint.h>

#include "text/normalize.h"

/* Open addressing, at most half full with the built-in list. */
#define SHEAF__STOP_SLOTS 1024u

/* The hashes of the function words for one seed. */
typedef struct sheaf__stopwords {
    uint64_t seed;
    uint64_t slot[SHEAF__STOP_SLOTS]; /* 0: empty */
    int has_zero; /* a function word hashes to 0 */
} sheaf__stopwords;

/* Hash the built-in list with seed into *w. Never fails. */
void sheaf__stopwords_init(sheaf__stopwords *w, uint64_t seed);

int sheaf__stopwords_has(const sheaf__stopwords *w, uint64_t hash);

/* A content word that comes in a stretch of more than SHEAF__LIST_RUN
 * content words without a function word between them is in a list: prose
 * has a function word every few words, menus, tag clouds, share bars and
 * link lists have none. */
#define SHEAF__LIST_RUN 12

typedef struct sheaf__term {
    uint64_t hash;
    int list; /* in a list, see SHEAF__LIST_RUN */
} sheaf__term;

/* Reads the terms of one text, a chunk at a time. */
typedef struct sheaf__term_scan {
    const uint8_t *p, *end;
    const sheaf__stopwords *stop;
    sheaf__scan run; /* a word with characters beyond ASCII, being scanned */
    int in_run;
    uint64_t lib[16]; /* words the library scanned, lib_next..lib_n to go */
    size_t lib_n, lib_next;
    uint64_t pending[SHEAF__LIST_RUN]; /* content words since the last
                                          function word, not yet out */
    size_t npending;
    int in_list;
    uint64_t queue[SHEAF__LIST_RUN + 1]; /* words ready to go out */
    size_t nqueue, next;
    int queue_list;
    int at_end;
    /* Words read, and how many of them were function words: the caller
     * tells prose from text in another language by their ratio. */
    size_t words, function_words;
} sheaf__term_scan;

void sheaf__terms_init(sheaf__term_scan *t, const sheaf__stopwords *stop,
                       const char *text, size_t len);

/* The next terms, at most cap of them, into out[]; returns how many, 0
 * only at the end of the text. */
size_t sheaf__terms_next(sheaf__term_scan *t, sheaf__term *out, size_t cap);

#endif
