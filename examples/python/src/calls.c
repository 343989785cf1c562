/* sheaf.Index's calls on articles and clusters: add, query, lookups,
 * removal, expiry (the type itself is in index.c, add_many in
 * add_many.c). */
#include "binding.h"

/* The article's UTF-8 text; -1 with MemoryError. */
static int utf8(const sheaf_py_article *a, sheaf_py_scratch *s,
                const char **text, size_t *len)
{
    if (sheaf_py_text(a, s, text, len) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

PyObject *sheaf_py_add(sheaf_py_index *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"id", "text", "time", "title", NULL};
    PyObject *id, *text, *time = Py_None, *title = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OO:add", names, &id, &text,
                                     &time, &title))
        return NULL;
    sheaf_py_article a;
    PyObject *r = NULL;
    sheaf_py_scratch s = {NULL, 0};
    const char *t;
    size_t n;
    if (sheaf_py_article_from(&a, id, text, time, title, "add") < 0 ||
        utf8(&a, &s, &t, &n) < 0 || sheaf_py_lock(self) < 0) {
        sheaf_py_article_clear(&a);
        sheaf_py_scratch_free(&s);
        return NULL;
    }
    sheaf_article c = sheaf_py_article_c(&a, t, n, NULL);
    sheaf_assignment as;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = sheaf_index_add(self->idx, &c, &as);
    Py_END_ALLOW_THREADS
    if (rc == SHEAF_OK)
        r = sheaf_py_assignment_new(&as);
    else
        sheaf_py_raise(rc);
    /* After the assignment is copied: expiry may free its strings. */
    if (r && (rc = sheaf_py_expire_window(self)) != SHEAF_OK) {
        Py_CLEAR(r);
        sheaf_py_raise(rc);
    }
    sheaf_py_unlock(self);
    sheaf_py_article_clear(&a);
    sheaf_py_scratch_free(&s);
    return r;
}

static PyObject *matches_list(const sheaf_match *m, size_t n)
{
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *x = PyStructSequence_New(sheaf_py_match);
        if (!x) {
            Py_CLEAR(list);
            break;
        }
        PyStructSequence_SET_ITEM(x, 0, PyUnicode_FromString(m[i].id));
        PyStructSequence_SET_ITEM(x, 1, PyUnicode_FromString(m[i].cluster));
        PyStructSequence_SET_ITEM(x, 2, PyFloat_FromDouble(m[i].similarity));
        PyList_SET_ITEM(list, (Py_ssize_t)i, x);
        if (!PyStructSequence_GET_ITEM(x, 0) ||
            !PyStructSequence_GET_ITEM(x, 1) || !PyStructSequence_GET_ITEM(x, 2))
            Py_CLEAR(list);
    }
    return list;
}

PyObject *sheaf_py_query(sheaf_py_index *self, PyObject *args,
                             PyObject *kw)
{
    static char *names[] = {"text", "time", "title", NULL};
    PyObject *text, *time = Py_None, *title = Py_None, *r = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OO:query", names, &text,
                                     &time, &title))
        return NULL;
    sheaf_py_article a;
    sheaf_py_scratch s = {NULL, 0};
    const char *t;
    size_t n;
    if (sheaf_py_query_from(&a, text, time, title) < 0 ||
        utf8(&a, &s, &t, &n) < 0 || sheaf_py_lock(self) < 0) {
        sheaf_py_article_clear(&a);
        sheaf_py_scratch_free(&s);
        return NULL;
    }
    sheaf_article c = sheaf_py_article_c(&a, t, n, NULL);
    sheaf_match small[16], *m = small;
    size_t cap = 16, count = 0;
    int rc;
    for (;;) {
        Py_BEGIN_ALLOW_THREADS
        rc = sheaf_index_query(self->idx, &c, m, cap, &count);
        Py_END_ALLOW_THREADS
        if (rc != SHEAF_OK || count <= cap)
            break;
        if (m != small)
            PyMem_Free(m);
        cap = count;
        if (!(m = PyMem_Malloc(cap * sizeof *m))) {
            PyErr_NoMemory();
            break;
        }
    }
    if (m && rc == SHEAF_OK)
        r = matches_list(m, count);
    else if (m)
        sheaf_py_raise(rc);
    if (m != small)
        PyMem_Free(m);
    sheaf_py_unlock(self);
    sheaf_py_article_clear(&a);
    sheaf_py_scratch_free(&s);
    return r;
}

/* NotFoundError naming what is absent, else what the library said. */
static PyObject *not_found(int rc, const char *what, PyObject *key)
{
    if (rc != SHEAF_ENOTFOUND)
        return sheaf_py_raise(rc);
    PyObject *e = PyObject_CallFunction(sheaf_py_not_found, "N",
                                        PyUnicode_FromFormat("%s %R in the "
                                                             "index", what, key));
    PyObject *code = e ? PyLong_FromLong(rc) : NULL;
    if (code && PyObject_SetAttrString(e, "code", code) == 0)
        PyErr_SetObject(sheaf_py_not_found, e);
    Py_XDECREF(code);
    Py_XDECREF(e);
    return NULL;
}

PyObject *sheaf_py_cluster_of(sheaf_py_index *self, PyObject *arg)
{
    PyObject *ref = NULL, *r = NULL;
    const char *id = sheaf_py_id(arg, &ref, "cluster_of");
    if (id && sheaf_py_lock(self) == 0) {
        const char *cluster;
        int rc = sheaf_index_cluster_of(self->idx, id, &cluster);
        r = rc == SHEAF_OK ? PyUnicode_FromString(cluster)
                           : not_found(rc, "no article", arg);
        sheaf_py_unlock(self);
    }
    Py_XDECREF(ref);
    return r;
}

int sheaf_py_contains(sheaf_py_index *self, PyObject *arg)
{
    PyObject *ref = NULL;
    int r = -1;
    const char *id = sheaf_py_id(arg, &ref, "in");
    if (!id && (PyErr_ExceptionMatches(PyExc_TypeError) ||
                PyErr_ExceptionMatches(PyExc_ValueError))) {
        PyErr_Clear();
        r = 0; /* what is not an id is in no index */
    } else if (id && sheaf_py_lock(self) == 0) {
        const char *cluster;
        r = sheaf_index_cluster_of(self->idx, id, &cluster) == SHEAF_OK;
        sheaf_py_unlock(self);
    }
    Py_XDECREF(ref);
    return r;
}

PyObject *sheaf_py_remove(sheaf_py_index *self, PyObject *arg)
{
    PyObject *ref = NULL, *r = NULL;
    const char *id = sheaf_py_id(arg, &ref, "remove");
    if (id && sheaf_py_lock(self) == 0) {
        int rc;
        Py_BEGIN_ALLOW_THREADS
        rc = sheaf_index_remove(self->idx, id);
        Py_END_ALLOW_THREADS
        r = rc == SHEAF_OK ? Py_NewRef(Py_None)
                           : not_found(rc, "no article", arg);
        sheaf_py_unlock(self);
    }
    Py_XDECREF(ref);
    return r;
}

PyObject *sheaf_py_expire(sheaf_py_index *self, PyObject *arg)
{
    int64_t before;
    if (sheaf_py_time(arg, &before) < 0)
        return NULL;
    if (before == SHEAF_NO_TIME) {
        PyErr_SetString(PyExc_ValueError, "expire: a time is needed");
        return NULL;
    }
    if (sheaf_py_lock(self) < 0)
        return NULL;
    size_t n = 0;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = sheaf_index_expire(self->idx, before, &n);
    Py_END_ALLOW_THREADS
    sheaf_py_unlock(self);
    return rc == SHEAF_OK ? PyLong_FromSize_t(n) : sheaf_py_raise(rc);
}

PyObject *sheaf_py_members(sheaf_py_index *self, PyObject *arg)
{
    if (!PyUnicode_Check(arg))
        return PyErr_Format(PyExc_TypeError, "members: a cluster name is a "
                            "str, not %.80s", Py_TYPE(arg)->tp_name);
    const char *name = PyUnicode_AsUTF8(arg);
    if (!name || sheaf_py_lock(self) < 0)
        return NULL;
    PyObject *r = NULL;
    size_t count = 0;
    int rc = sheaf_index_cluster_members(self->idx, name, NULL, 0, &count);
    const char **ids = rc == SHEAF_OK ? PyMem_Calloc(count + 1, sizeof *ids)
                                      : NULL;
    if (rc != SHEAF_OK)
        not_found(rc, "no cluster", arg);
    else if (!ids)
        PyErr_NoMemory();
    else if ((rc = sheaf_index_cluster_members(self->idx, name, ids, count,
                                               &count)) != SHEAF_OK)
        sheaf_py_raise(rc);
    else if ((r = PyList_New((Py_ssize_t)count)))
        for (size_t i = 0; i < count; i++) {
            PyObject *s = PyUnicode_FromString(ids[i]);
            if (!s) {
                Py_CLEAR(r);
                break;
            }
            PyList_SET_ITEM(r, (Py_ssize_t)i, s);
        }
    PyMem_Free(ids);
    sheaf_py_unlock(self);
    return r;
}

static int each_cluster(void *ctx, const char *name, size_t size)
{
    PyObject *c = PyStructSequence_New(sheaf_py_cluster);
    if (!c)
        return -1;
    PyStructSequence_SET_ITEM(c, 0, PyUnicode_FromString(name));
    PyStructSequence_SET_ITEM(c, 1, PyLong_FromSize_t(size));
    int bad = !PyStructSequence_GET_ITEM(c, 0) ||
              !PyStructSequence_GET_ITEM(c, 1) || PyList_Append(ctx, c) < 0;
    Py_DECREF(c);
    return bad ? -1 : 0;
}

PyObject *sheaf_py_clusters(sheaf_py_index *self, PyObject *unused)
{
    (void)unused;
    if (sheaf_py_lock(self) < 0)
        return NULL;
    PyObject *list = PyList_New(0);
    if (list && sheaf_index_clusters(self->idx, each_cluster, list) != 0)
        Py_CLEAR(list);
    sheaf_py_unlock(self);
    return list;
}

