/* Python values to what the library takes (see binding.h). */
#include "binding.h"

#include <datetime.h>
#include <math.h>
#include <string.h>

/* The text form of an option's value, as the command line would give it:
 * a str as it is, an int in decimal, a float by repr (which reads back
 * exactly), a timedelta in whole seconds. A new str, or NULL. */
static PyObject *option_text(PyObject *name, PyObject *value)
{
    if (PyUnicode_Check(value)) {
        Py_INCREF(value);
        return value;
    }
    if (PyLong_Check(value) && !PyBool_Check(value))
        return PyObject_Str(value);
    if (PyFloat_Check(value))
        return PyObject_Repr(value);
    if (PyDelta_Check(value)) {
        PyDateTime_Delta *d = (PyDateTime_Delta *)value;
        if (PyDateTime_DELTA_GET_MICROSECONDS(d)) {
            PyErr_Format(PyExc_ValueError,
                         "%U: %R is not a whole number of seconds", name, value);
            return NULL;
        }
        long long s = (long long)PyDateTime_DELTA_GET_DAYS(d) * 86400 +
                      PyDateTime_DELTA_GET_SECONDS(d);
        return PyUnicode_FromFormat("%lld", s);
    }
    PyErr_Format(PyExc_TypeError, "%U: expected str, int or float, not %.80s",
                 name, Py_TYPE(value)->tp_name);
    return NULL;
}

/* "mode, shingle, ...": the options the table knows, for a message. */
static PyObject *option_names(void)
{
    PyObject *list = PyList_New(0);
    if (!list)
        return NULL;
    const sheaf_param_info *pi;
    for (size_t i = 0; (pi = sheaf_param_info_at(i)); i++) {
        PyObject *s = PyUnicode_FromString(pi->name);
        if (!s || PyList_Append(list, s) < 0) {
            Py_XDECREF(s);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(s);
    }
    PyObject *sep = PyUnicode_FromString(", ");
    PyObject *joined = sep ? PyUnicode_Join(sep, list) : NULL;
    Py_XDECREF(sep);
    Py_DECREF(list);
    return joined;
}

int sheaf_py_set_option(sheaf_params *p, PyObject *name, PyObject *value)
{
    if (!PyUnicode_Check(name)) {
        PyErr_SetString(PyExc_TypeError, "option names must be str");
        return -1;
    }
    PyObject *text = option_text(name, value);
    if (!text)
        return -1;
    const char *n = PyUnicode_AsUTF8(name), *v = PyUnicode_AsUTF8(text);
    int rc = n && v ? sheaf_params_set(p, n, v) : SHEAF_EINVAL;
    Py_DECREF(text);
    if (!n || !v)
        return -1;
    if (rc == SHEAF_ENOTFOUND) {
        PyObject *names = option_names();
        if (names)
            PyErr_Format(PyExc_TypeError,
                         "unknown option '%U' (the options are: %U)", name,
                         names);
        Py_XDECREF(names);
        return -1;
    }
    if (rc != SHEAF_OK) {
        PyErr_SetString(PyExc_ValueError, sheaf_errmsg());
        return -1;
    }
    return 0;
}

int sheaf_py_params(PyObject *mode, PyObject *options, sheaf_params *p)
{
    sheaf_params_init(p);
    if (mode && mode != Py_None) {
        PyObject *name = PyUnicode_FromString("mode");
        int rc = name ? sheaf_py_set_option(p, name, mode) : -1;
        Py_XDECREF(name);
        if (rc < 0)
            return -1;
        sheaf_params_init_mode(p, p->mode);
    }
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (options && PyDict_Next(options, &pos, &key, &value))
        if (sheaf_py_set_option(p, key, value) < 0)
            return -1;
    if (sheaf_params_validate(p) != SHEAF_OK) {
        PyErr_SetString(PyExc_ValueError, sheaf_errmsg());
        return -1;
    }
    return 0;
}

/* Seconds of an aware datetime; a naive one is taken as UTC. */
static int datetime_seconds(PyObject *dt, int64_t *out)
{
    PyObject *aware;
    if (((PyDateTime_DateTime *)dt)->hastzinfo &&
        ((PyDateTime_DateTime *)dt)->tzinfo != Py_None) {
        Py_INCREF(dt);
        aware = dt;
    } else {
        PyObject *kw = Py_BuildValue("{sO}", "tzinfo", PyDateTime_TimeZone_UTC);
        PyObject *replace = kw ? PyObject_GetAttrString(dt, "replace") : NULL;
        PyObject *none = PyTuple_New(0);
        aware = replace && none ? PyObject_Call(replace, none, kw) : NULL;
        Py_XDECREF(kw);
        Py_XDECREF(replace);
        Py_XDECREF(none);
    }
    if (!aware)
        return -1;
    PyObject *ts = PyObject_CallMethod(aware, "timestamp", NULL);
    Py_DECREF(aware);
    if (!ts)
        return -1;
    double s = PyFloat_AsDouble(ts);
    Py_DECREF(ts);
    if (s == -1.0 && PyErr_Occurred())
        return -1;
    *out = (int64_t)floor(s);
    return 0;
}

int sheaf_py_time(PyObject *o, int64_t *out)
{
    if (o == NULL || o == Py_None) {
        *out = SHEAF_NO_TIME;
        return 0;
    }
    if (PyLong_Check(o) && !PyBool_Check(o)) {
        long long v = PyLong_AsLongLong(o);
        if (v == -1 && PyErr_Occurred())
            return -1;
        if (v == SHEAF_NO_TIME) {
            PyErr_SetString(PyExc_ValueError, "time: out of range");
            return -1;
        }
        *out = v;
        return 0;
    }
    if (PyFloat_Check(o)) {
        /* Rounded down, as the clusterer rounds fractions of a second. */
        double v = floor(PyFloat_AS_DOUBLE(o));
        if (!(v > -9.2e18 && v < 9.2e18)) {
            PyErr_Format(PyExc_ValueError, "time: %R is not a time", o);
            return -1;
        }
        *out = (int64_t)v;
        return 0;
    }
    if (PyDateTime_Check(o))
        return datetime_seconds(o, out);
    if (PyUnicode_Check(o)) {
        PyObject *cls = (PyObject *)PyDateTimeAPI->DateTimeType;
        PyObject *dt = PyObject_CallMethod(cls, "fromisoformat", "O", o);
        if (!dt) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError,
                         "time: %R is not an ISO 8601 date and time", o);
            return -1;
        }
        int rc = datetime_seconds(dt, out);
        Py_DECREF(dt);
        return rc;
    }
    PyErr_Format(PyExc_TypeError,
                 "time must be None, int, float, datetime or str, not %.80s",
                 Py_TYPE(o)->tp_name);
    return -1;
}

/* The article's text: bytes or an ASCII str as they are, another str in
 * its own form (see sheaf_py_article); its owner into refs[1]. */
static int article_text(PyObject *o, const char *what, sheaf_py_article *a)
{
    if (PyUnicode_Check(o) && !PyUnicode_IS_ASCII(o)) {
        a->wide = PyUnicode_DATA(o);
        a->kind = (int)PyUnicode_KIND(o);
        a->chars = PyUnicode_GET_LENGTH(o);
    } else if (PyUnicode_Check(o)) {
        a->text = PyUnicode_DATA(o);
        a->len = PyUnicode_GET_LENGTH(o);
    } else if (PyBytes_Check(o)) {
        a->text = PyBytes_AS_STRING(o);
        a->len = PyBytes_GET_SIZE(o);
    } else {
        PyErr_Format(PyExc_TypeError, "%s: text must be str or bytes, not %.80s",
                     what, Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_INCREF(o);
    a->refs[1] = o;
    return 0;
}

/* A title (str as UTF-8, or bytes) into *s, *len; its owner into *ref. */
static int text_of(PyObject *o, const char *field, const char *what,
                   const char **s, Py_ssize_t *len, PyObject **ref)
{
    if (PyUnicode_Check(o)) {
        *s = PyUnicode_AsUTF8AndSize(o, len);
        if (!*s)
            return -1;
    } else if (PyBytes_Check(o)) {
        *s = PyBytes_AS_STRING(o);
        *len = PyBytes_GET_SIZE(o);
    } else {
        PyErr_Format(PyExc_TypeError, "%s: %s must be str or bytes, not %.80s",
                     what, field, Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_INCREF(o);
    *ref = o;
    return 0;
}

const char *sheaf_py_id(PyObject *o, PyObject **ref, const char *what)
{
    PyObject *s;
    if (PyUnicode_Check(o)) {
        Py_INCREF(o);
        s = o;
    } else if (PyLong_Check(o) && !PyBool_Check(o)) {
        if (!(s = PyObject_Str(o)))
            return NULL;
    } else {
        PyErr_Format(PyExc_TypeError, "%s: id must be str or int, not %.80s",
                     what, Py_TYPE(o)->tp_name);
        return NULL;
    }
    *ref = s;
    Py_ssize_t n;
    const char *id = PyUnicode_AsUTF8AndSize(s, &n);
    if (!id)
        return NULL;
    if (n == 0 || (Py_ssize_t)strlen(id) != n) {
        PyErr_Format(PyExc_ValueError, "%s: id %R is %s", what, o,
                     n ? "not text (it holds a NUL)" : "empty");
        return NULL;
    }
    return id;
}

int sheaf_py_query_from(sheaf_py_article *a, PyObject *text, PyObject *time,
                        PyObject *title)
{
    memset(a, 0, sizeof *a);
    if (article_text(text, "query", a) < 0)
        return -1;
    if (title && title != Py_None &&
        text_of(title, "title", "query", &a->title, &a->title_len,
                &a->refs[2]) < 0)
        return -1;
    return sheaf_py_time(time, &a->time);
}

int sheaf_py_article_from(sheaf_py_article *a, PyObject *id, PyObject *text,
                          PyObject *time, PyObject *title, const char *what)
{
    memset(a, 0, sizeof *a);
    if (!(a->id = sheaf_py_id(id, &a->refs[0], what)) ||
        article_text(text, what, a) < 0)
        return -1;
    if (title && title != Py_None &&
        text_of(title, "title", what, &a->title, &a->title_len,
                &a->refs[2]) < 0)
        return -1;
    return sheaf_py_time(time, &a->time);
}

void sheaf_py_article_clear(sheaf_py_article *a)
{
    for (int i = 0; i < 3; i++)
        Py_CLEAR(a->refs[i]);
}

sheaf_article sheaf_py_article_c(const sheaf_py_article *a, const char *text,
                                 size_t len, const sheaf_signature *sig)
{
    sheaf_article c = SHEAF_ARTICLE_INIT;
    c.id = a->id;
    c.text = text;
    c.len = len;
    c.title = a->title;
    c.title_len = (size_t)a->title_len;
    c.time = a->time;
    c.signature = sig;
    return c;
}

int sheaf_py_convert_init(void)
{
    PyDateTime_IMPORT;
    return PyDateTimeAPI ? 0 : -1;
}
