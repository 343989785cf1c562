/*
 * Index.add_many: articles taken from the iterable a batch at a time with
 * the GIL held (only pointers into the Python objects, no copies of the
 * texts), then, with the GIL released, signed on worker threads and added
 * in order by the calling thread, which signs too while the next article
 * is not ready: the clusterer's --threads scheme (examples/cluster), so
 * the assignments do not depend on the number of threads.
 */
#include "binding.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define BATCH 1024      /* articles per pass: 4 MiB of signatures */
#define MAX_THREADS 256 /* as the clusterer's --threads */

typedef struct {
    sheaf_py_article arts[BATCH];
    size_t n;
    const sheaf_hasher *hasher; /* NULL: story mode, nothing to sign */
    sheaf_signature *sigs;
    atomic_uchar done[BATCH];
    atomic_size_t next; /* the next article to sign */
    /* The assignments, their strings copied into names: an expiry later
     * in the batch may free the index's. */
    sheaf_assignment as[BATCH];
    size_t cluster_at[BATCH], match_at[BATCH];
    char *names;
    size_t names_len, names_cap;
} batch;

/* Sign the next unclaimed article; 0 when none is left. A text that
 * cannot be encoded (out of memory) is signed as empty and marked. */
static int sign_next(batch *b, sheaf_py_scratch *s)
{
    size_t i = atomic_fetch_add(&b->next, 1);
    if (i >= b->n)
        return 0;
    const char *text;
    size_t len;
    unsigned char mark = 1;
    if (sheaf_py_text(&b->arts[i], s, &text, &len) < 0) {
        text = NULL;
        len = 0;
        mark = 2;
    }
    (void)sheaf_hasher_sign(b->hasher, text, len, &b->sigs[i]);
    atomic_store_explicit(&b->done[i], mark, memory_order_release);
    return 1;
}

static void *worker(void *arg)
{
    sheaf_py_scratch s = {NULL, 0};
    while (sign_next(arg, &s))
        ;
    sheaf_py_scratch_free(&s);
    return NULL;
}

/* Copy s into the batch's names; its offset, or (size_t)-1 when out of
 * memory. */
static size_t keep_name(batch *b, const char *s)
{
    size_t n = strlen(s) + 1;
    if (b->names_len + n > b->names_cap) {
        size_t cap = (b->names_cap + n) * 2;
        char *p = PyMem_RawRealloc(b->names, cap);
        if (!p)
            return (size_t)-1;
        b->names = p;
        b->names_cap = cap;
    }
    memcpy(b->names + b->names_len, s, n);
    b->names_len += n;
    return b->names_len - n;
}

/* Add the batch in order, GIL released; how many were added, *rc the
 * first failure. */
static size_t add_batch(sheaf_py_index *self, batch *b, unsigned threads,
                        int *rc)
{
    pthread_t tid[MAX_THREADS];
    unsigned started = 0;
    atomic_store(&b->next, 0);
    for (size_t i = 0; i < b->n; i++)
        atomic_store_explicit(&b->done[i], 0, memory_order_relaxed);
    for (; b->hasher && started + 1 < threads && started + 1 < b->n; started++)
        if (pthread_create(&tid[started], NULL, worker, b) != 0)
            break; /* fewer threads are slower, not wrong */
    b->names_len = 0;
    *rc = sheaf_index_begin(self->idx);
    size_t i = 0;
    sheaf_py_scratch s = {NULL, 0};
    for (; *rc == SHEAF_OK && i < b->n; i++) {
        unsigned char mark = 0;
        while (b->hasher && !(mark = atomic_load_explicit(
                                  &b->done[i], memory_order_acquire)))
            if (!sign_next(b, &s))
                sched_yield(); /* another thread is signing it */
        const char *text = NULL;
        size_t len = 0;
        /* Story mode reads the text itself. */
        if (mark == 2 || (!b->hasher && sheaf_py_text(&b->arts[i], &s, &text,
                                                       &len) < 0)) {
            *rc = SHEAF_ENOMEM;
            break;
        }
        sheaf_article c = sheaf_py_article_c(&b->arts[i], text, len,
                                             b->hasher ? &b->sigs[i] : NULL);
        sheaf_assignment *as = &b->as[i];
        if ((*rc = sheaf_index_add(self->idx, &c, as)) != SHEAF_OK)
            break;
        b->cluster_at[i] = keep_name(b, as->cluster);
        b->match_at[i] = as->match ? keep_name(b, as->match) : (size_t)-1;
        if (b->cluster_at[i] == (size_t)-1 ||
            (as->match && b->match_at[i] == (size_t)-1)) {
            *rc = SHEAF_ENOMEM;
            i++; /* it is in the index */
            break;
        }
        if ((*rc = sheaf_py_expire_window(self)) != SHEAF_OK) {
            i++;
            break;
        }
    }
    sheaf_py_scratch_free(&s);
    atomic_store(&b->next, b->n); /* stop the workers after an error */
    for (unsigned t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    int commit = sheaf_index_commit(self->idx);
    if (*rc == SHEAF_OK)
        *rc = commit;
    return i;
}

/* Append the first n assignments of the batch to list; 0 or -1. */
static int append_results(PyObject *list, const batch *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sheaf_assignment as = b->as[i];
        as.cluster = b->names + b->cluster_at[i];
        as.match = as.match ? b->names + b->match_at[i] : NULL;
        PyObject *r = sheaf_py_assignment_new(&as);
        if (!r || PyList_Append(list, r) < 0) {
            Py_XDECREF(r);
            return -1;
        }
        Py_DECREF(r);
    }
    return 0;
}

/* One item of the iterable into *a: (id, text[, time]) or a dict. */
static int take_item(PyObject *item, size_t at, sheaf_py_article *a)
{
    char what[48];
    snprintf(what, sizeof what, "add_many: item %zu", at);
    PyObject *id = NULL, *text = NULL, *time = NULL, *title = NULL;
    if (PyTuple_Check(item) || PyList_Check(item)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(item);
        PyObject **v = PySequence_Fast_ITEMS(item);
        if (n == 2 || n == 3) {
            id = v[0];
            text = v[1];
            time = n == 3 ? v[2] : NULL;
        }
    } else if (PyDict_Check(item)) {
        id = PyDict_GetItemString(item, "id");
        text = PyDict_GetItemString(item, "text");
        time = PyDict_GetItemString(item, "time");
        title = PyDict_GetItemString(item, "title");
    }
    if (!id || !text) {
        memset(a, 0, sizeof *a);
        PyErr_Format(PyExc_TypeError,
                     "%s: expected (id, text), (id, text, time) or a dict "
                     "with 'id' and 'text', not %.80s",
                     what, Py_TYPE(item)->tp_name);
        return -1;
    }
    return sheaf_py_article_from(a, id, text, time, title, what);
}

static int thread_count(PyObject *o, unsigned *out)
{
    long n;
    if (!o || o == Py_None) {
        n = sysconf(_SC_NPROCESSORS_ONLN);
        n = n < 1 ? 1 : n;
    } else if (PyLong_Check(o) && !PyBool_Check(o)) {
        n = PyLong_AsLong(o);
        if (n == -1 && PyErr_Occurred())
            return -1;
        if (n < 1 || n > MAX_THREADS) {
            PyErr_Format(PyExc_ValueError,
                         "threads: %ld is not a whole number in 1..%d", n,
                         MAX_THREADS);
            return -1;
        }
    } else {
        PyErr_Format(PyExc_TypeError, "threads must be an int or None, not "
                     "%.80s", Py_TYPE(o)->tp_name);
        return -1;
    }
    *out = (unsigned)(n > MAX_THREADS ? MAX_THREADS : n);
    return 0;
}

/* Fill the batch from the iterator; -1 when an item failed (the batch
 * then holds the good ones before it), 0 at the end, 1 when full. */
static int fill(batch *b, PyObject *it, size_t *seen)
{
    b->n = 0;
    while (b->n < BATCH) {
        PyObject *item = PyIter_Next(it);
        if (!item)
            return PyErr_Occurred() ? -1 : 0;
        int rc = take_item(item, (*seen)++, &b->arts[b->n]);
        Py_DECREF(item);
        if (rc < 0) {
            sheaf_py_article_clear(&b->arts[b->n]);
            return -1;
        }
        b->n++;
    }
    return 1;
}

static void release(batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        sheaf_py_article_clear(&b->arts[i]);
    b->n = 0;
}

/* Sign and add the batch under the index's lock, its assignments onto
 * out. 0, or -1 with an exception set. */
static int add_locked(sheaf_py_index *self, batch *b, unsigned threads,
                      Py_ssize_t *hint, PyObject *out)
{
    if (sheaf_py_lock(self) < 0)
        return -1;
    b->hasher = sheaf_index_hasher(self->idx);
    if (b->hasher && !b->sigs &&
        !(b->sigs = PyMem_RawMalloc(BATCH * sizeof *b->sigs))) {
        sheaf_py_unlock(self);
        PyErr_NoMemory();
        return -1;
    }
    if (*hint > 0 && !self->window)
        (void)sheaf_index_reserve(self->idx, sheaf_index_size(self->idx) +
                                                 (size_t)*hint);
    *hint = 0;
    int rc = SHEAF_OK;
    size_t added;
    Py_BEGIN_ALLOW_THREADS
    added = add_batch(self, b, threads, &rc);
    Py_END_ALLOW_THREADS
    int bad = append_results(out, b, added) < 0;
    if (!bad && rc != SHEAF_OK) {
        sheaf_py_raise(rc);
        bad = 1;
    }
    sheaf_py_unlock(self);
    return bad ? -1 : 0;
}

PyObject *sheaf_py_add_many(sheaf_py_index *self, PyObject *args,
                            PyObject *kw)
{
    static char *names[] = {"articles", "threads", NULL};
    PyObject *items, *threads_arg = Py_None;
    unsigned threads;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:add_many", names, &items,
                                     &threads_arg) ||
        thread_count(threads_arg, &threads) < 0)
        return NULL;
    /* A sized input gets room at once, as the clusterer reserves for its
     * files (not with a window, which holds only the window). */
    Py_ssize_t hint = PyObject_LengthHint(items, 0);
    if (hint < 0)
        PyErr_Clear();
    PyObject *it = PyObject_GetIter(items);
    if (!it)
        return NULL;
    batch *b = PyMem_RawCalloc(1, sizeof *b);
    PyObject *out = PyList_New(0);
    int more = b && out ? 1 : -1;
    if (!b)
        PyErr_NoMemory();
    size_t seen = 0;
    /* The index's lock is not held while Python code may run (the
     * iterator, the release of an item), since that code may call the
     * index. */
    while (more == 1) {
        more = fill(b, it, &seen);
        /* A bad item is raised after the good ones before it are added,
         * unless the library fails on one of those first. */
        PyObject *type = NULL, *value = NULL, *tb = NULL;
        if (more < 0)
            PyErr_Fetch(&type, &value, &tb);
        if (add_locked(self, b, threads, &hint, out) < 0)
            more = -1;
        else if (type) {
            PyErr_Restore(type, value, tb);
            type = value = tb = NULL;
        }
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        release(b);
    }
    if (b) {
        PyMem_RawFree(b->sigs);
        PyMem_RawFree(b->names);
    }
    PyMem_RawFree(b);
    Py_DECREF(it);
    if (more < 0)
        Py_CLEAR(out);
    return out;
}
