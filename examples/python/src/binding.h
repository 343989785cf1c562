/*
 * The CPython binding of sheaf, over the public C API (sheaf.h) only.
 * module.c: the module, its exceptions and types; convert.c: Python
 * values to parameters, texts, ids and times; index.c: the Index type;
 * calls.c: its calls on articles and clusters; utf8.c: texts as UTF-8
 * off the GIL; add_many.c: batches signed on worker threads with the
 * GIL released.
 */
#ifndef SHEAF_BINDING_H
#define SHEAF_BINDING_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

#include "sheaf.h"

/* An Index. lock serialises every call into idx and the copying of the
 * strings it returns, which a removal (from another Python thread, while
 * a call has the GIL released) would invalidate. */
typedef struct {
    PyObject_HEAD
    sheaf_index *idx;
    PyThread_type_lock lock;
    int64_t window;   /* the index's window, 0: none */
    int64_t cut;      /* the last expiry's cut, when have_cut */
    int have_cut;
} sheaf_py_index;

/* The module's state, set once at import. */
extern PyObject *sheaf_py_error;          /* sheaf.Error */
extern PyObject *sheaf_py_not_found;      /* sheaf.NotFoundError */
extern PyTypeObject sheaf_py_index_type;
extern PyTypeObject *sheaf_py_assignment; /* struct sequences */
extern PyTypeObject *sheaf_py_match;
extern PyTypeObject *sheaf_py_cluster;

/* Raise sheaf.Error (NotFoundError for SHEAF_ENOTFOUND, MemoryError for
 * SHEAF_ENOMEM) with the library's message for rc; returns NULL. */
PyObject *sheaf_py_raise(int rc);

/* One article as the binding holds it: pointers into Python objects that
 * refs keeps alive (the id's str, the text's str or bytes, the title's).
 * A text that is bytes or an ASCII str is text, len; another str is left
 * in CPython's own form (wide, kind, chars), turned into UTF-8 by
 * sheaf_py_text without the GIL: on the signing threads, and without
 * CPython's cached UTF-8 copy, which would double the texts' memory. */
typedef struct {
    const char *id;
    const char *text;
    Py_ssize_t len;
    const void *wide;
    int kind;
    Py_ssize_t chars;
    const char *title;
    Py_ssize_t title_len;
    int64_t time;
    PyObject *refs[3];
} sheaf_py_article;

/* Parameters from a mode (NULL or None: near) and keyword options with the
 * clusterer's names, each parsed by sheaf_params_set: TypeError for an
 * unknown name or a value of the wrong type, ValueError with the library's
 * message (the option and its range) for a bad value. 0 or -1. */
int sheaf_py_params(PyObject *mode, PyObject *options, sheaf_params *p);

/* Set one option on *p; the same errors. 0 or -1. */
int sheaf_py_set_option(sheaf_params *p, PyObject *name, PyObject *value);

/* Fill *a from id, text (str or bytes), time and title (None: absent);
 * what = "add", "add_many: item 3", for messages. 0, or -1 with an
 * exception set; sheaf_py_article_clear releases it either way. */
int sheaf_py_article_from(sheaf_py_article *a, PyObject *id, PyObject *text,
                          PyObject *time, PyObject *title, const char *what);
/* An id: a non-empty str without NUL, or an int (in decimal, as the
 * clusterer writes a number id); *ref receives the str that holds it,
 * also on failure (release it with Py_XDECREF). NULL on failure. */
const char *sheaf_py_id(PyObject *o, PyObject **ref, const char *what);

/* The text (and title, time) of a query: no id. */
int sheaf_py_query_from(sheaf_py_article *a, PyObject *text, PyObject *time,
                        PyObject *title);
void sheaf_py_article_clear(sheaf_py_article *a);

/* A thread's buffer for texts turned into UTF-8. */
typedef struct {
    char *buf;
    size_t cap;
} sheaf_py_scratch;

/* The UTF-8 text of *a into *text, *len, through s when it must be
 * encoded (a lone surrogate as its three bytes, which the library reads
 * as invalid UTF-8). Needs no GIL. 0, or -1 when out of memory. */
int sheaf_py_text(const sheaf_py_article *a, sheaf_py_scratch *s,
                  const char **text, size_t *len);
void sheaf_py_scratch_free(sheaf_py_scratch *s);

/* The sheaf_article of *a with its text (or its signature, made
 * beforehand, when sig is not NULL). */
sheaf_article sheaf_py_article_c(const sheaf_py_article *a, const char *text,
                                 size_t len, const sheaf_signature *sig);

/* A time: None, int or float seconds since the epoch, datetime (naive
 * meaning UTC) or an ISO 8601 / RFC 3339 str. 0 or -1. */
int sheaf_py_time(PyObject *o, int64_t *out);

/* An Assignment from what the library returned (strings copied). */
PyObject *sheaf_py_assignment_new(const sheaf_assignment *as);

/* Take and give back the index's lock; take releases the GIL while it
 * waits. Fails (ValueError) when the index is closed. 0 or -1. */
int sheaf_py_lock(sheaf_py_index *self);
void sheaf_py_unlock(sheaf_py_index *self);

/* What the clusterer does after every add with a window: expire what lies
 * two windows behind the newest article, on a grid of quarter windows.
 * Called with the lock held, GIL released or not. SHEAF_OK or an error. */
int sheaf_py_expire_window(sheaf_py_index *self);

/* Imports the datetime C API for convert.c; 0 or -1. */
int sheaf_py_convert_init(void);

/* The methods of Index (calls.c, add_many.c). */
PyObject *sheaf_py_add(sheaf_py_index *self, PyObject *args, PyObject *kw);
PyObject *sheaf_py_add_many(sheaf_py_index *self, PyObject *args,
                            PyObject *kw);
PyObject *sheaf_py_query(sheaf_py_index *self, PyObject *args, PyObject *kw);
PyObject *sheaf_py_cluster_of(sheaf_py_index *self, PyObject *id);
int sheaf_py_contains(sheaf_py_index *self, PyObject *id);
PyObject *sheaf_py_remove(sheaf_py_index *self, PyObject *id);
PyObject *sheaf_py_expire(sheaf_py_index *self, PyObject *before);
PyObject *sheaf_py_members(sheaf_py_index *self, PyObject *cluster);
PyObject *sheaf_py_clusters(sheaf_py_index *self, PyObject *unused);

#endif
