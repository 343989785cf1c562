/*
 * Short forms of the article calls for the test suites, which add and
 * query by (id, text) or (id, signature) a great deal: each fills a
 * sheaf_article and makes the one public call.
 */
#ifndef SHEAF_TESTS_API_H
#define SHEAF_TESTS_API_H

#include "sheaf.h"

static inline int t_add_at(sheaf_index *idx, const char *id, int64_t time,
                           const char *text, size_t len, sheaf_assignment *out)
{
    sheaf_article a = SHEAF_ARTICLE_INIT;
    a.id = id;
    a.text = text;
    a.len = len;
    a.time = time;
    return sheaf_index_add(idx, &a, out);
}

static inline int t_add(sheaf_index *idx, const char *id, const char *text,
                        size_t len, sheaf_assignment *out)
{
    return t_add_at(idx, id, SHEAF_NO_TIME, text, len, out);
}

static inline int t_add_sig_at(sheaf_index *idx, const char *id, int64_t time,
                               const sheaf_signature *sig,
                               sheaf_assignment *out)
{
    sheaf_article a = SHEAF_ARTICLE_INIT;
    a.id = id;
    a.time = time;
    a.signature = sig;
    return sheaf_index_add(idx, &a, out);
}

static inline int t_add_sig(sheaf_index *idx, const char *id,
                            const sheaf_signature *sig, sheaf_assignment *out)
{
    return t_add_sig_at(idx, id, SHEAF_NO_TIME, sig, out);
}

static inline int t_query(const sheaf_index *idx, const char *text,
                          size_t len, sheaf_match *m, size_t cap, size_t *n)
{
    sheaf_article a = SHEAF_ARTICLE_INIT;
    a.text = text;
    a.len = len;
    return sheaf_index_query(idx, &a, m, cap, n);
}

static inline int t_query_sig_at(const sheaf_index *idx,
                                 const sheaf_signature *sig, int64_t time,
                                 sheaf_match *m, size_t cap, size_t *n)
{
    sheaf_article a = SHEAF_ARTICLE_INIT;
    a.signature = sig;
    a.time = time;
    return sheaf_index_query(idx, &a, m, cap, n);
}

static inline int t_query_sig(const sheaf_index *idx,
                              const sheaf_signature *sig, sheaf_match *m,
                              size_t cap, size_t *n)
{
    return t_query_sig_at(idx, sig, SHEAF_NO_TIME, m, cap, n);
}

#endif
