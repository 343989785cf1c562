/* sheaf.Index: the type, an index in memory or stored and its lifetime
 * (its calls are in calls.c and add_many.c). */
#include "binding.h"

#include <string.h>

int sheaf_py_lock(sheaf_py_index *self)
{
    if (!PyThread_acquire_lock(self->lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(self->lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
    if (!self->idx) {
        PyThread_release_lock(self->lock);
        PyErr_SetString(PyExc_ValueError, "the index is closed");
        return -1;
    }
    return 0;
}

void sheaf_py_unlock(sheaf_py_index *self)
{
    PyThread_release_lock(self->lock);
}

/* As examples/cluster/cluster.c (expire_window) does, so that windowed
 * runs decide as the clusterer does, story mode's statistics included. */
int sheaf_py_expire_window(sheaf_py_index *self)
{
    int64_t newest = sheaf_index_newest_time(self->idx), w = self->window;
    if (!w || w > INT64_MAX / 4 || newest == SHEAF_NO_TIME ||
        newest < INT64_MIN + 2 * w)
        return SHEAF_OK;
    int64_t step = w / 4 ? w / 4 : 1, cut = newest - 2 * w;
    cut -= (cut % step + step) % step;
    if (self->have_cut && cut <= self->cut)
        return SHEAF_OK;
    int rc = sheaf_index_expire(self->idx, cut, NULL);
    if (rc == SHEAF_OK) {
        self->cut = cut;
        self->have_cut = 1;
    }
    return rc;
}

static void adopt(sheaf_py_index *self, sheaf_index *idx)
{
    self->idx = idx;
    self->window = sheaf_index_params(idx)->window;
    self->have_cut = 0;
}

/* Take key out of the dict d: a new reference, or NULL when absent. */
static PyObject *pop_key(PyObject *d, const char *key)
{
    PyObject *v = PyDict_GetItemString(d, key);
    if (v) {
        Py_INCREF(v);
        PyDict_DelItemString(d, key);
    }
    return v;
}

static PyObject *index_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)args;
    (void)kw;
    sheaf_py_index *self = (sheaf_py_index *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    self->lock = PyThread_allocate_lock();
    if (!self->lock) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

static void index_dealloc(sheaf_py_index *self)
{
    /* The last reference: a stored index commits (no group is ever left
     * open) and closes, so its path can be opened again at once. */
    sheaf_index_free(self->idx);
    if (self->lock)
        PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Index(mode="near", **options) */
static int index_init(sheaf_py_index *self, PyObject *args, PyObject *kw)
{
    PyObject *mode = NULL;
    if (self->idx) {
        PyErr_SetString(PyExc_TypeError, "Index.__init__ called twice");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "|O:Index", &mode))
        return -1;
    PyObject *opts = kw ? PyDict_Copy(kw) : PyDict_New();
    if (!opts)
        return -1;
    PyObject *m = pop_key(opts, "mode");
    if (m && mode) {
        PyErr_SetString(PyExc_TypeError, "Index: mode given twice");
        Py_DECREF(m);
        Py_DECREF(opts);
        return -1;
    }
    if (m)
        mode = m;
    else
        Py_XINCREF(mode);
    sheaf_params p;
    int bad = sheaf_py_params(mode, opts, &p);
    Py_XDECREF(mode);
    Py_DECREF(opts);
    if (bad)
        return -1;
    sheaf_index *idx;
    int rc = sheaf_index_new(&p, &idx);
    if (rc != SHEAF_OK) {
        sheaf_py_raise(rc);
        return -1;
    }
    adopt(self, idx);
    return 0;
}

/* Whether the options change any parameter of *have: then the index must
 * be opened with them, for the library to check them. -1 on error. */
static int changes(const sheaf_params *have, PyObject *opts, sheaf_params *p)
{
    *p = *have;
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    int differ = 0;
    while (PyDict_Next(opts, &pos, &key, &value)) {
        if (sheaf_py_set_option(p, key, value) < 0)
            return -1;
        const char *name = PyUnicode_AsUTF8(key);
        char a[128], b[128];
        if (!name || sheaf_params_format(have, name, a, sizeof a) ||
            sheaf_params_format(p, name, b, sizeof b))
            return -1;
        differ |= strcmp(a, b) != 0;
    }
    return differ;
}

/* The stored index at path: with neither mode nor options, as stored (or
 * created with the defaults); with options only, as stored and checked
 * against them; with a mode, created or checked with that mode's
 * parameters. */
static int open_stored(const char *path, PyObject *mode, PyObject *opts,
                       unsigned flags, sheaf_index **idx)
{
    sheaf_params p;
    int rc;
    if (mode && mode != Py_None) {
        if (sheaf_py_params(mode, opts, &p) < 0)
            return 1;
        Py_BEGIN_ALLOW_THREADS
        rc = sheaf_index_open(path, &p, flags, idx);
        Py_END_ALLOW_THREADS
        return rc;
    }
    Py_BEGIN_ALLOW_THREADS
    rc = sheaf_index_open(path, NULL, flags, idx);
    Py_END_ALLOW_THREADS
    if (rc == SHEAF_OK && PyDict_Size(opts)) {
        int differ = changes(sheaf_index_params(*idx), opts, &p);
        if (differ) {
            sheaf_index_free(*idx);
            if (differ < 0)
                return 1;
            Py_BEGIN_ALLOW_THREADS
            rc = sheaf_index_open(path, &p, flags, idx);
            Py_END_ALLOW_THREADS
        }
    } else if (rc == SHEAF_ENOTFOUND && !(flags & SHEAF_OPEN_READONLY)) {
        if (sheaf_py_params(NULL, opts, &p) < 0)
            return 1;
        Py_BEGIN_ALLOW_THREADS
        rc = sheaf_index_open(path, &p, flags, idx);
        Py_END_ALLOW_THREADS
    }
    return rc;
}

/* Index.open(path, mode=None, *, readonly=False, **options) */
static PyObject *index_open(PyObject *cls, PyObject *args, PyObject *kw)
{
    PyObject *path = NULL, *mode = NULL, *fs = NULL, *self = NULL;
    if (!PyArg_ParseTuple(args, "O|O:open", &path, &mode))
        return NULL;
    PyObject *opts = kw ? PyDict_Copy(kw) : PyDict_New();
    if (!opts)
        return NULL;
    PyObject *m = pop_key(opts, "mode"), *ro = pop_key(opts, "readonly");
    if (m && mode) {
        PyErr_SetString(PyExc_TypeError, "open: mode given twice");
        Py_DECREF(m);
        Py_XDECREF(ro);
        goto done;
    }
    if (m)
        mode = m;
    else
        Py_XINCREF(mode);
    int readonly = ro ? PyObject_IsTrue(ro) : 0;
    Py_XDECREF(ro);
    if (readonly < 0 || !PyUnicode_FSConverter(path, &fs))
        goto done_mode;
    sheaf_index *idx = NULL;
    int rc = open_stored(PyBytes_AS_STRING(fs), mode, opts,
                         readonly ? SHEAF_OPEN_READONLY : 0, &idx);
    if (rc < 0)
        sheaf_py_raise(rc);
    if (rc != SHEAF_OK)
        goto done_mode;
    self = index_new((PyTypeObject *)cls, NULL, NULL);
    if (self)
        adopt((sheaf_py_index *)self, idx);
    else
        sheaf_index_free(idx);
done_mode:
    Py_XDECREF(mode);
done:
    Py_XDECREF(fs);
    Py_DECREF(opts);
    return self;
}

static PyObject *index_close(sheaf_py_index *self, PyObject *unused)
{
    (void)unused;
    if (!PyThread_acquire_lock(self->lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(self->lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
    sheaf_index *idx = self->idx;
    self->idx = NULL;
    Py_BEGIN_ALLOW_THREADS
    sheaf_index_free(idx);
    Py_END_ALLOW_THREADS
    PyThread_release_lock(self->lock);
    Py_RETURN_NONE;
}

static PyObject *index_enter(PyObject *self, PyObject *unused)
{
    (void)unused;
    if (!((sheaf_py_index *)self)->idx) {
        PyErr_SetString(PyExc_ValueError, "the index is closed");
        return NULL;
    }
    return Py_NewRef(self);
}

static PyObject *index_exit(sheaf_py_index *self, PyObject *args)
{
    (void)args;
    PyObject *r = index_close(self, NULL);
    Py_XDECREF(r);
    return r ? Py_NewRef(Py_False) : NULL;
}

static Py_ssize_t index_len(sheaf_py_index *self)
{
    if (sheaf_py_lock(self) < 0)
        return -1;
    size_t n = sheaf_index_size(self->idx);
    sheaf_py_unlock(self);
    return (Py_ssize_t)n;
}

static PyObject *index_params(sheaf_py_index *self, void *unused)
{
    (void)unused;
    if (sheaf_py_lock(self) < 0)
        return NULL;
    const sheaf_params *p = sheaf_index_params(self->idx);
    PyObject *d = PyDict_New();
    const sheaf_param_info *pi;
    for (size_t i = 0; d && (pi = sheaf_param_info_at(i)); i++) {
        char buf[128];
        PyObject *v = sheaf_params_format(p, pi->name, buf, sizeof buf) == 0
                          ? PyUnicode_FromString(buf)
                          : NULL;
        if (!v || PyDict_SetItemString(d, pi->name, v) < 0)
            Py_CLEAR(d);
        Py_XDECREF(v);
    }
    sheaf_py_unlock(self);
    return d;
}

static PyObject *index_mode(sheaf_py_index *self, void *unused)
{
    (void)unused;
    if (sheaf_py_lock(self) < 0)
        return NULL;
    int story = sheaf_index_params(self->idx)->mode == SHEAF_MODE_STORY;
    sheaf_py_unlock(self);
    return PyUnicode_FromString(story ? "story" : "near");
}

static PyObject *index_closed(sheaf_py_index *self, void *unused)
{
    (void)unused;
    return PyBool_FromLong(self->idx == NULL);
}

static PyObject *index_repr(sheaf_py_index *self)
{
    if (!self->idx)
        return PyUnicode_FromString("<sheaf.Index closed>");
    if (sheaf_py_lock(self) < 0)
        return NULL;
    const char *mode = sheaf_index_params(self->idx)->mode == SHEAF_MODE_STORY
                           ? "story"
                           : "near";
    size_t n = sheaf_index_size(self->idx);
    size_t c = sheaf_index_cluster_count(self->idx);
    sheaf_py_unlock(self);
    return PyUnicode_FromFormat("<sheaf.Index mode=%s articles=%zu clusters=%zu>",
                                mode, n, c);
}

#include "index_doc.h"

static PyMethodDef index_methods[] = {
    {"open", (PyCFunction)(void (*)(void))index_open,
     METH_CLASS | METH_VARARGS | METH_KEYWORDS, DOC_OPEN},
    {"add", (PyCFunction)(void (*)(void))sheaf_py_add,
     METH_VARARGS | METH_KEYWORDS, DOC_ADD},
    {"add_many", (PyCFunction)(void (*)(void))sheaf_py_add_many,
     METH_VARARGS | METH_KEYWORDS, DOC_ADD_MANY},
    {"query", (PyCFunction)(void (*)(void))sheaf_py_query,
     METH_VARARGS | METH_KEYWORDS, DOC_QUERY},
    {"cluster_of", (PyCFunction)sheaf_py_cluster_of, METH_O, DOC_CLUSTER_OF},
    {"remove", (PyCFunction)sheaf_py_remove, METH_O, DOC_REMOVE},
    {"expire", (PyCFunction)sheaf_py_expire, METH_O, DOC_EXPIRE},
    {"members", (PyCFunction)sheaf_py_members, METH_O, DOC_MEMBERS},
    {"clusters", (PyCFunction)sheaf_py_clusters, METH_NOARGS, DOC_CLUSTERS},
    {"close", (PyCFunction)index_close, METH_NOARGS, DOC_CLOSE},
    {"__enter__", index_enter, METH_NOARGS, "Returns the index."},
    {"__exit__", (PyCFunction)index_exit, METH_VARARGS, "Closes the index."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef index_getset[] = {
    {"params", (getter)index_params, NULL,
     "The index's parameters, each in its text form (what Index() takes), "
     "bands and rows resolved.",
     NULL},
    {"mode", (getter)index_mode, NULL, "'near' or 'story'.", NULL},
    {"closed", (getter)index_closed, NULL, "Whether close() was called.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PySequenceMethods index_sequence = {
    .sq_length = (lenfunc)index_len,
    .sq_contains = (objobjproc)sheaf_py_contains,
};

PyTypeObject sheaf_py_index_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "sheaf.Index",
    .tp_basicsize = sizeof(sheaf_py_index),
    .tp_dealloc = (destructor)index_dealloc,
    .tp_repr = (reprfunc)index_repr,
    .tp_as_sequence = &index_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = DOC_INDEX,
    .tp_methods = index_methods,
    .tp_getset = index_getset,
    .tp_init = (initproc)index_init,
    .tp_new = index_new,
};
