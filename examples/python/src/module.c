/* The module sheaf._sheaf: exceptions, result types, the parameter table. */
#include "binding.h"

PyObject *sheaf_py_error;
PyObject *sheaf_py_not_found;
PyTypeObject *sheaf_py_assignment;
PyTypeObject *sheaf_py_match;
PyTypeObject *sheaf_py_cluster;

PyObject *sheaf_py_raise(int rc)
{
    if (rc == SHEAF_ENOMEM)
        return PyErr_NoMemory();
    const char *msg = sheaf_errmsg();
    if (!*msg)
        msg = sheaf_strerror(rc);
    PyObject *type = rc == SHEAF_ENOTFOUND ? sheaf_py_not_found : sheaf_py_error;
    PyObject *e = PyObject_CallFunction(type, "s", msg);
    PyObject *code = e ? PyLong_FromLong(rc) : NULL;
    if (code && PyObject_SetAttrString(e, "code", code) == 0)
        PyErr_SetObject(type, e);
    Py_XDECREF(code);
    Py_XDECREF(e);
    return NULL;
}

PyObject *sheaf_py_assignment_new(const sheaf_assignment *as)
{
    PyObject *r = PyStructSequence_New(sheaf_py_assignment);
    if (!r)
        return NULL;
    PyObject *match = as->match ? PyUnicode_FromString(as->match) : Py_None;
    if (match == Py_None)
        Py_INCREF(match);
    PyStructSequence_SET_ITEM(r, 0, PyUnicode_FromString(as->cluster));
    PyStructSequence_SET_ITEM(r, 1, match);
    PyStructSequence_SET_ITEM(r, 2, PyFloat_FromDouble(as->similarity));
    PyStructSequence_SET_ITEM(r, 3, PyLong_FromSize_t(as->cluster_size));
    for (Py_ssize_t i = 0; i < 4; i++)
        if (!PyStructSequence_GET_ITEM(r, i)) {
            Py_DECREF(r);
            return NULL;
        }
    return r;
}

static PyStructSequence_Field assignment_fields[] = {
    {"cluster", "the cluster's name: the id of its first article, as the "
                "clusterer's TSV output prints it"},
    {"match", "the earlier article that decided it (near: the copy it "
              "matched; story: the most similar member), or None when it "
              "starts the cluster"},
    {"similarity", "what the decision used, in [0, 1]; 0.0 when it starts "
                   "the cluster"},
    {"size", "articles in the cluster, this one included"},
    {NULL, NULL}};
static PyStructSequence_Desc assignment_desc = {
    "sheaf.Assignment", "What Index.add decided for one article.",
    assignment_fields, 4};

static PyStructSequence_Field match_fields[] = {
    {"id", "the matching article"},
    {"cluster", "its cluster"},
    {"similarity", "as in Assignment"},
    {NULL, NULL}};
static PyStructSequence_Desc match_desc = {
    "sheaf.Match", "One article an Index.query found.", match_fields, 3};

static PyStructSequence_Field cluster_fields[] = {
    {"name", "the cluster's name"},
    {"size", "its articles"},
    {NULL, NULL}};
static PyStructSequence_Desc cluster_desc = {
    "sheaf.Cluster", "One cluster of an index, from Index.clusters.",
    cluster_fields, 2};

static PyObject *parameters(PyObject *mod, PyObject *unused)
{
    (void)mod;
    (void)unused;
    PyObject *list = PyList_New(0);
    const sheaf_param_info *pi;
    for (size_t i = 0; list && (pi = sheaf_param_info_at(i)); i++) {
        PyObject *modes = PyList_New(0);
        for (int m = SHEAF_MODE_NEAR; modes && m <= SHEAF_MODE_STORY; m++) {
            if (!(pi->modes & (1u << m)))
                continue;
            PyObject *s =
                PyUnicode_FromString(m == SHEAF_MODE_NEAR ? "near" : "story");
            if (!s || PyList_Append(modes, s) < 0)
                Py_CLEAR(modes);
            Py_XDECREF(s);
        }
        PyObject *d = modes ? Py_BuildValue("{sssssssNsO}", "name", pi->name,
                                            "values", pi->values, "help",
                                            pi->help, "modes", modes,
                                            "identity",
                                            pi->identity ? Py_True : Py_False)
                            : NULL;
        if (!d || PyList_Append(list, d) < 0)
            Py_CLEAR(list);
        Py_XDECREF(d);
    }
    return list;
}

static PyMethodDef module_methods[] = {
    {"parameters", parameters, METH_NOARGS,
     "parameters() -> list of dict\n\n"
     "The library's parameter table: each option Index() takes, with "
     "'name', 'values' (what it takes), 'help', 'modes' (the modes that "
     "use it) and 'identity' (whether a stored index is bound to it)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "sheaf._sheaf",
    "The C extension behind the sheaf package; import sheaf instead.", -1,
    module_methods, NULL, NULL, NULL, NULL};

/* An exception class whose str() is its message, also when it is a
 * KeyError too (KeyError's own str() would quote it). */
static PyObject *new_error(const char *name, const char *doc, PyObject *bases)
{
    PyObject *dict = PyDict_New();
    PyObject *str = PyObject_GetAttrString(PyExc_Exception, "__str__");
    PyObject *e = NULL;
    if (dict && str && PyDict_SetItemString(dict, "__str__", str) == 0)
        e = PyErr_NewExceptionWithDoc(name, doc, bases, dict);
    Py_XDECREF(str);
    Py_XDECREF(dict);
    return e;
}

static int add_codes(PyObject *m)
{
    static const struct {
        const char *name;
        int code;
    } codes[] = {{"EINVAL", SHEAF_EINVAL},       {"ENOMEM", SHEAF_ENOMEM},
                 {"EMISMATCH", SHEAF_EMISMATCH}, {"EEXIST", SHEAF_EEXIST},
                 {"ENOTFOUND", SHEAF_ENOTFOUND}, {"ERANGE", SHEAF_ERANGE},
                 {"EIO", SHEAF_EIO},             {"ECORRUPT", SHEAF_ECORRUPT},
                 {"EBUSY", SHEAF_EBUSY},         {"EREADONLY", SHEAF_EREADONLY}};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (PyModule_AddIntConstant(m, codes[i].name, codes[i].code) < 0)
            return -1;
    return 0;
}

static int add_object(PyObject *m, const char *name, PyObject *o)
{
    if (!o)
        return -1;
    Py_INCREF(o);
    if (PyModule_AddObject(m, name, o) < 0) {
        Py_DECREF(o);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__sheaf(void)
{
    if (sheaf_py_convert_init() < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    sheaf_py_error = new_error(
        "sheaf.Error",
        "A failure the library reports, with its message; .code is the "
        "library's code, one of the E* constants.",
        NULL);
    PyObject *bases = sheaf_py_error
                          ? PyTuple_Pack(2, sheaf_py_error, PyExc_KeyError)
                          : NULL;
    sheaf_py_not_found = bases ? new_error("sheaf.NotFoundError",
                                           "No such id or cluster (also a "
                                           "KeyError), or no stored index.",
                                           bases)
                               : NULL;
    Py_XDECREF(bases);
    sheaf_py_assignment = PyStructSequence_NewType(&assignment_desc);
    sheaf_py_match = PyStructSequence_NewType(&match_desc);
    sheaf_py_cluster = PyStructSequence_NewType(&cluster_desc);
    if (add_object(m, "Error", sheaf_py_error) < 0 ||
        add_object(m, "NotFoundError", sheaf_py_not_found) < 0 ||
        add_object(m, "Assignment", (PyObject *)sheaf_py_assignment) < 0 ||
        add_object(m, "Match", (PyObject *)sheaf_py_match) < 0 ||
        add_object(m, "Cluster", (PyObject *)sheaf_py_cluster) < 0 ||
        PyType_Ready(&sheaf_py_index_type) < 0 ||
        add_object(m, "Index", (PyObject *)&sheaf_py_index_type) < 0 ||
        PyModule_AddStringConstant(m, "library_version", sheaf_version()) < 0 ||
        add_codes(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
