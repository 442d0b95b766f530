/* The loops of a query that numpy runs slowest: a term's BM25 weights over its postings (a
 * gather of each passage's length normalisation), adding them into the dense score array
 * (np.add.at), and the fusion signals' BM25 over the candidates' signal vectors. Each is one
 * pass here, with the same floating-point operations in the same order as the numpy code it
 * replaces (index/search/kernels.py), so the results are the same bit for bit (compiled with
 * -ffp-contract=off: no fused multiply-add). Arrays come in through the buffer protocol;
 * kernels.py checks their types, and every length and index is checked here. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

static int
take(PyObject *obj, Py_buffer *view, int writable, Py_ssize_t itemsize, const char *what)
{
    if (PyObject_GetBuffer(obj, view, (writable ? PyBUF_WRITABLE : 0) | PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    if (view->len % itemsize != 0) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes is not a whole number of items",
                     what, view->len);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* weights(out f8[n], ids i4[n], tfs u2[n], norm f8[N], idf, k1):
 * out[i] = idf * (tf * (k1 + 1)) / (tf + norm[ids[i]]) */
static PyObject *
weights(PyObject *self, PyObject *args)
{
    PyObject *o_out, *o_ids, *o_tfs, *o_norm;
    double idf, k1;
    if (!PyArg_ParseTuple(args, "OOOOdd", &o_out, &o_ids, &o_tfs, &o_norm, &idf, &k1))
        return NULL;
    Py_buffer out, ids, tfs, norm;
    if (take(o_out, &out, 1, 8, "out") < 0)
        return NULL;
    if (take(o_ids, &ids, 0, 4, "ids") < 0)
        goto fail_out;
    if (take(o_tfs, &tfs, 0, 2, "tfs") < 0)
        goto fail_ids;
    if (take(o_norm, &norm, 0, 8, "norm") < 0)
        goto fail_tfs;
    Py_ssize_t n = ids.len / 4, size = norm.len / 8;
    if (out.len / 8 != n || tfs.len / 2 != n) {
        PyErr_SetString(PyExc_ValueError, "weights: out, ids and tfs differ in length");
        goto fail;
    }
    const int32_t *id = ids.buf;
    const uint16_t *tf = tfs.buf;
    const double *nm = norm.buf;
    double *w = out.buf;
    const double k = k1 + 1.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int32_t p = id[i];
        if (p < 0 || p >= size) {
            PyErr_Format(PyExc_IndexError, "weights: passage id %d out of range", (int)p);
            goto fail;
        }
        double t = (double)tf[i];
        w[i] = idf * (t * k) / (t + nm[p]);
    }
    PyBuffer_Release(&norm);
    PyBuffer_Release(&tfs);
    PyBuffer_Release(&ids);
    PyBuffer_Release(&out);
    Py_RETURN_NONE;
fail:
    PyBuffer_Release(&norm);
fail_tfs:
    PyBuffer_Release(&tfs);
fail_ids:
    PyBuffer_Release(&ids);
fail_out:
    PyBuffer_Release(&out);
    return NULL;
}

/* add_at(scores f8[N], ids i4[n], w f8[n]): scores[ids[i]] += w[i] (np.add.at) */
static PyObject *
add_at(PyObject *self, PyObject *args)
{
    PyObject *o_scores, *o_ids, *o_w;
    if (!PyArg_ParseTuple(args, "OOO", &o_scores, &o_ids, &o_w))
        return NULL;
    Py_buffer scores, ids, wv;
    if (take(o_scores, &scores, 1, 8, "scores") < 0)
        return NULL;
    if (take(o_ids, &ids, 0, 4, "ids") < 0)
        goto fail_scores;
    if (take(o_w, &wv, 0, 8, "w") < 0)
        goto fail_ids;
    Py_ssize_t n = ids.len / 4, size = scores.len / 8;
    if (wv.len / 8 != n) {
        PyErr_SetString(PyExc_ValueError, "add_at: ids and w differ in length");
        goto fail;
    }
    const int32_t *id = ids.buf;
    const double *w = wv.buf;
    double *s = scores.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        int32_t p = id[i];
        if (p < 0 || p >= size) {
            PyErr_Format(PyExc_IndexError, "add_at: passage id %d out of range", (int)p);
            goto fail;
        }
        s[p] += w[i];
    }
    PyBuffer_Release(&wv);
    PyBuffer_Release(&ids);
    PyBuffer_Release(&scores);
    Py_RETURN_NONE;
fail:
    PyBuffer_Release(&wv);
fail_ids:
    PyBuffer_Release(&ids);
fail_scores:
    PyBuffer_Release(&scores);
    return NULL;
}

/* An open-addressing table of int64 keys (-1: empty) to their index: a query's term ids, or
 * its candidates' passage ids. */
typedef struct {
    int64_t *keys;
    Py_ssize_t *which;
    Py_ssize_t mask;
} Table;

static int
table_init(Table *t, const void *keys, int wide, Py_ssize_t n)
{
    Py_ssize_t cap = 64;
    while (cap < 4 * n)
        cap *= 2;
    t->keys = PyMem_Malloc(cap * sizeof(int64_t));
    t->which = PyMem_Malloc(cap * sizeof(Py_ssize_t));
    t->mask = cap - 1;
    if (t->keys == NULL || t->which == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < cap; i++)
        t->keys[i] = -1;
    for (Py_ssize_t j = 0; j < n; j++) {
        int64_t key = wide ? ((const int64_t *)keys)[j] : ((const int32_t *)keys)[j];
        uint64_t h = ((uint64_t)key * 0x9E3779B97F4A7C15ull) >> 20 & t->mask;
        while (t->keys[h] != -1 && t->keys[h] != key)
            h = (h + 1) & t->mask;
        t->keys[h] = key;
        t->which[h] = j;
    }
    return 0;
}

static Py_ssize_t
table_find(const Table *t, int64_t key)
{
    uint64_t h = ((uint64_t)key * 0x9E3779B97F4A7C15ull) >> 20 & t->mask;
    while (t->keys[h] != -1) {
        if (t->keys[h] == key)
            return t->which[h];
        h = (h + 1) & t->mask;
    }
    return -1;
}

static void
table_free(Table *t)
{
    PyMem_Free(t->keys);
    PyMem_Free(t->which);
}

/* signal_scores(out f8[S*n], found, cand i8[n], qt i4[T], weight f8[T], signal i8[T],
 *               dls i4[n*S], avgdl f8[S], k1, b):
 * each fusion signal's Okapi BM25 over the n candidates (index.ranking.fusion.candidate_scores).
 * ``found`` is the list of the candidates' signal vectors as the store returns them, (passage
 * id, term ids int32 bytes, counts uint16 bytes); a vector of a passage that is not a candidate
 * adds nothing. An entry equal to query term id qt[j] adds, to signal signal[j] of its
 * candidate c, weight[j] * tf * (k1 + 1) / (tf + k1 * ((1 - b) + b * dls[c, s] / mean)); a
 * candidate's terms are summed in the order of j, as np.bincount sums the entries ordered by
 * term. */
static PyObject *
signal_scores(PyObject *self, PyObject *args)
{
    PyObject *o[8];
    double k1, b;
    if (!PyArg_ParseTuple(args, "OOOOOOOOdd", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6],
                          &o[7], &k1, &b))
        return NULL;
    /* o[1] is the list of vectors; the others are arrays */
    static const Py_ssize_t sizes[8] = {8, 0, 8, 4, 8, 8, 4, 8};
    static const char *names[8] = {"out", "found", "cand", "qt", "weight", "signal", "dls",
                                   "avgdl"};
    Py_buffer v[8];
    int got = 0;
    PyObject *result = NULL, *rows = NULL;
    double *slot_w = NULL;
    char *present = NULL;
    Table terms = {NULL, NULL, 0}, cands = {NULL, NULL, 0};
    for (; got < 8; got++) {
        if (got == 1)
            continue;
        if (take(o[got], &v[got], got == 0, sizes[got], names[got]) < 0)
            goto done;
    }
    double *out = v[0].buf;
    const int64_t *cand = v[2].buf, *signal = v[5].buf;
    const int32_t *qt = v[3].buf, *dls = v[6].buf;
    const double *weight = v[4].buf, *avgdl = v[7].buf;
    Py_ssize_t n = v[2].len / 8, n_terms = v[3].len / 4, n_sig = v[7].len / 8;
    if (n_sig < 1 || v[0].len / 8 != n * n_sig || v[6].len / 4 != n * n_sig
        || v[4].len / 8 != n_terms || v[5].len / 8 != n_terms) {
        PyErr_SetString(PyExc_ValueError, "signal_scores: the arrays differ in length");
        goto done;
    }
    for (Py_ssize_t j = 0; j < n_terms; j++)
        if (signal[j] < 0 || signal[j] >= n_sig) {
            PyErr_SetString(PyExc_IndexError, "signal_scores: signal out of range");
            goto done;
        }
    rows = PySequence_Fast(o[1], "signal_scores: found must be a sequence");
    if (rows == NULL)
        goto done;
    slot_w = PyMem_Calloc(n_terms ? n_terms : 1, sizeof(double));
    present = PyMem_Calloc(n_terms ? n_terms : 1, 1);
    if (slot_w == NULL || present == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (table_init(&terms, qt, 0, n_terms) < 0 || table_init(&cands, cand, 1, n) < 0)
        goto done;
    for (Py_ssize_t i = 0; i < n * n_sig; i++)
        out[i] = 0.0;
    const double k = k1 + 1.0;
    Py_ssize_t n_rows = PySequence_Fast_GET_SIZE(rows);
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        PyObject *row = PySequence_Fast_GET_ITEM(rows, r);
        if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != 3) {
            PyErr_SetString(PyExc_TypeError, "signal_scores: a vector is (pid, tids, tfs)");
            goto done;
        }
        long long pid = PyLong_AsLongLong(PyTuple_GET_ITEM(row, 0));
        if (pid == -1 && PyErr_Occurred())
            goto done;
        Py_ssize_t c = table_find(&cands, pid);
        if (c < 0)
            continue;
        Py_buffer tb, fb;
        if (take(PyTuple_GET_ITEM(row, 1), &tb, 0, 4, "tids") < 0)
            goto done;
        if (take(PyTuple_GET_ITEM(row, 2), &fb, 0, 2, "tfs") < 0) {
            PyBuffer_Release(&tb);
            goto done;
        }
        Py_ssize_t m = tb.len / 4;
        if (fb.len / 2 != m) {
            PyBuffer_Release(&fb);
            PyBuffer_Release(&tb);
            PyErr_SetString(PyExc_ValueError, "signal_scores: tids and tfs differ in length");
            goto done;
        }
        const int32_t *tids = tb.buf;
        const uint16_t *tfs = fb.buf;
        int hits = 0;
        for (Py_ssize_t e = 0; e < m; e++) {
            Py_ssize_t j = table_find(&terms, tids[e]);
            if (j < 0)
                continue;
            int64_t sg = signal[j];
            double mean = avgdl[sg] > 0 ? avgdl[sg] : 1.0;
            double norm = k1 * ((1.0 - b) + b * (double)dls[c * n_sig + sg] / mean);
            double t = (double)tfs[e];
            slot_w[j] = weight[j] * t * k / (t + norm);
            present[j] = 1;
            hits++;
        }
        PyBuffer_Release(&fb);
        PyBuffer_Release(&tb);
        for (Py_ssize_t j = 0; hits && j < n_terms; j++)
            if (present[j]) {
                out[signal[j] * n + c] += slot_w[j];
                present[j] = 0;
                hits--;
            }
    }
    result = Py_None;
    Py_INCREF(result);
done:
    table_free(&terms);
    table_free(&cands);
    PyMem_Free(present);
    PyMem_Free(slot_w);
    Py_XDECREF(rows);
    while (got > 0) {
        --got;
        if (got != 1)
            PyBuffer_Release(&v[got]);
    }
    return result;
}

static PyMethodDef methods[] = {
    {"weights", weights, METH_VARARGS,
     "weights(out, ids, tfs, norm, idf, k1): BM25 weight of each posting, into out"},
    {"add_at", add_at, METH_VARARGS, "add_at(scores, ids, w): scores[ids] += w, ids unique"},
    {"signal_scores", signal_scores, METH_VARARGS,
     "signal_scores(out, found, cand, qt, weight, signal, dls, avgdl, k1, b)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "BM25 weights, score accumulation and fusion signal scores (index/search/kernels.py).", -1,
    methods,
};

PyMODINIT_FUNC
PyInit__kernels(void)
{
    return PyModule_Create(&module);
}
