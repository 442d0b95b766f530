/* The loops of a query that numpy runs slowest: a term's BM25 weights over its postings (a
 * gather of each passage's length normalisation), adding them into the dense score array
 * (np.add.at), the passages at or above a score, and the fusion signals' BM25 over the
 * candidates' signal vectors. Each is one pass here, with the same floating-point operations
 * in the same order as the numpy code it replaces (index/search/kernels.py), so the results are
 * the same bit for bit (compiled with -ffp-contract=off: no fused multiply-add). Arrays come in through the buffer
 * protocol; kernels.py checks their types, and every length and index is checked here. */
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


/* above(scores f8[N], t): the indices i (ascending) with scores[i] >= t, as int64 bytes
 * (np.flatnonzero(scores >= t)): two passes over the array, no boolean array between them. */
static PyObject *
above(PyObject *self, PyObject *args)
{
    PyObject *o_scores;
    double t;
    if (!PyArg_ParseTuple(args, "Od", &o_scores, &t))
        return NULL;
    Py_buffer scores;
    if (take(o_scores, &scores, 0, 8, "scores") < 0)
        return NULL;
    const double *s = scores.buf;
    Py_ssize_t size = scores.len / 8, count = 0;
    for (Py_ssize_t i = 0; i < size; i++)
        count += s[i] >= t;
    PyObject *out = PyBytes_FromStringAndSize(NULL, count * 8);
    if (out != NULL) {
        int64_t *o = (int64_t *)PyBytes_AS_STRING(out);
        for (Py_ssize_t i = 0, j = 0; i < size && j < count; i++)
            if (s[i] >= t)
                o[j++] = (int64_t)i;
    }
    PyBuffer_Release(&scores);
    return out;
}

/* signal_scores(out f8[S*n], entries i4[E], tfs u2[E], ends i8[R], rows i8[R], qt i4[T],
 *               weight f8[T], signal i8[T], dls i4[n*S], avgdl f8[S], k1, b):
 * each fusion signal's Okapi BM25 over n candidates (index.ranking.fusion.candidate_scores).
 * Row r of the vectors holds entries [ends[r-1], ends[r]) and belongs to candidate rows[r]
 * (-1: none). An entry equal to query term id qt[j] adds, to signal signal[j] of its candidate,
 * weight[j] * tf * (k1 + 1) / (tf + k1 * ((1 - b) + b * dl / mean)); a candidate's terms are
 * summed in the order of j, as np.bincount sums the entries ordered by term. */
static PyObject *
signal_scores(PyObject *self, PyObject *args)
{
    PyObject *o[10];
    double k1, b;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOdd", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5],
                          &o[6], &o[7], &o[8], &o[9], &k1, &b))
        return NULL;
    static const Py_ssize_t sizes[10] = {8, 4, 2, 8, 8, 4, 8, 8, 4, 8};
    static const char *names[10] = {"out", "entries", "tfs", "ends", "rows", "qt",
                                    "weight", "signal", "dls", "avgdl"};
    Py_buffer v[10];
    int got = 0;
    PyObject *result = NULL;
    double *slot_w = NULL;
    int64_t *keys = NULL;
    for (; got < 10; got++)
        if (take(o[got], &v[got], got == 0, sizes[got], names[got]) < 0)
            goto done;
    double *out = v[0].buf;
    const int32_t *entries = v[1].buf, *qt = v[5].buf, *dls = v[8].buf;
    const uint16_t *tfs = v[2].buf;
    const int64_t *ends = v[3].buf, *rows = v[4].buf, *signal = v[7].buf;
    const double *weight = v[6].buf, *avgdl = v[9].buf;
    Py_ssize_t n_entries = v[1].len / 4, n_rows = v[3].len / 8, n_terms = v[5].len / 4;
    Py_ssize_t n_sig = v[9].len / 8, n_out = v[0].len / 8;
    if (n_sig < 1 || n_out % n_sig != 0 || v[2].len / 2 != n_entries || v[4].len / 8 != n_rows
        || v[6].len / 8 != n_terms || v[7].len / 8 != n_terms || v[8].len / 4 != n_out) {
        PyErr_SetString(PyExc_ValueError, "signal_scores: the arrays differ in length");
        goto done;
    }
    Py_ssize_t n = n_out / n_sig;
    for (Py_ssize_t j = 0; j < n_terms; j++)
        if (signal[j] < 0 || signal[j] >= n_sig) {
            PyErr_SetString(PyExc_IndexError, "signal_scores: signal out of range");
            goto done;
        }
    /* the query's term ids in an open-addressing table (keys: tid, -1 empty) */
    Py_ssize_t cap = 64;
    while (cap < 4 * n_terms)
        cap *= 2;
    keys = PyMem_Malloc(cap * sizeof(int64_t) * 2);
    slot_w = PyMem_Calloc(n_terms ? n_terms : 1, sizeof(double));
    char *present = PyMem_Calloc(n_terms ? n_terms : 1, 1);
    if (keys == NULL || slot_w == NULL || present == NULL) {
        PyMem_Free(present);
        PyErr_NoMemory();
        goto done;
    }
    int64_t *which = keys + cap;
    for (Py_ssize_t i = 0; i < cap; i++)
        keys[i] = -1;
    for (Py_ssize_t j = 0; j < n_terms; j++) {
        uint64_t h = ((uint32_t)qt[j] * 2654435761u) & (cap - 1);
        while (keys[h] != -1 && keys[h] != qt[j])
            h = (h + 1) & (cap - 1);
        keys[h] = qt[j];
        which[h] = j;
    }
    for (Py_ssize_t i = 0; i < n_out; i++)
        out[i] = 0.0;
    const double k = k1 + 1.0;
    Py_ssize_t start = 0;
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        Py_ssize_t end = ends[r];
        int64_t c = rows[r];
        if (end < start || end > n_entries || c >= n) {
            PyMem_Free(present);
            PyErr_SetString(PyExc_IndexError, "signal_scores: row out of range");
            goto done;
        }
        if (c >= 0) {
            int hits = 0;
            for (Py_ssize_t e = start; e < end; e++) {
                int32_t tid = entries[e];
                uint64_t h = ((uint32_t)tid * 2654435761u) & (cap - 1);
                while (keys[h] != -1 && keys[h] != tid)
                    h = (h + 1) & (cap - 1);
                if (keys[h] == -1)
                    continue;
                Py_ssize_t j = which[h];
                int64_t sg = signal[j];
                double mean = avgdl[sg] > 0 ? avgdl[sg] : 1.0;
                double norm = k1 * ((1.0 - b) + b * (double)dls[c * n_sig + sg] / mean);
                double t = (double)tfs[e];
                slot_w[j] = weight[j] * t * k / (t + norm);
                present[j] = 1;
                hits++;
            }
            for (Py_ssize_t j = 0; hits && j < n_terms; j++)
                if (present[j]) {
                    out[signal[j] * n + c] += slot_w[j];
                    present[j] = 0;
                    hits--;
                }
        }
        start = end;
    }
    PyMem_Free(present);
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_Free(keys);
    PyMem_Free(slot_w);
    while (got > 0)
        PyBuffer_Release(&v[--got]);
    return result;
}

static PyMethodDef methods[] = {
    {"weights", weights, METH_VARARGS,
     "weights(out, ids, tfs, norm, idf, k1): BM25 weight of each posting, into out"},
    {"add_at", add_at, METH_VARARGS, "add_at(scores, ids, w): scores[ids] += w, ids unique"},
    {"above", above, METH_VARARGS, "above(scores, t): int64 bytes of the indices with scores >= t"},
    {"signal_scores", signal_scores, METH_VARARGS,
     "signal_scores(out, entries, tfs, ends, rows, qt, weight, signal, dls, avgdl, k1, b)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "BM25 weights and score accumulation in one pass each (see index/search/kernels.py).", -1,
    methods,
};

PyMODINIT_FUNC
PyInit__kernels(void)
{
    return PyModule_Create(&module);
}
