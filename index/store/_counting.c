/* The per-term work of preparing articles (index/store/counting.py), which in Python cost more
 * than Sudachi's own tokenising: counting a passage's terms, making and counting its fusion
 * signal terms (character bigrams and hashed word pairs, as index/ranking/fusion.py defines
 * them), and giving each distinct term of a batch its index in the batch's vocabulary.
 * Each function does exactly what the Python version beside it in counting.py does, in the same
 * order (the same dicts, the same insertion order, the same vocabulary ids); tests compare them
 * on real articles. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define BIGRAM_PREFIX 0x01
#define PAIR_PREFIX 0x02
#define PAIR_BUCKETS (1u << 20)
#define MAX_TF 65535

/* dict[key] += 1 (a new key counts 1); steals nothing. */
static int
bump(PyObject *counts, PyObject *key)
{
    PyObject *old = PyDict_GetItemWithError(counts, key); /* borrowed */
    PyObject *now;
    if (old == NULL) {
        if (PyErr_Occurred())
            return -1;
        now = PyLong_FromLong(1);
    }
    else {
        Py_ssize_t n = PyLong_AsSsize_t(old);
        if (n == -1 && PyErr_Occurred())
            return -1;
        now = PyLong_FromSsize_t(n + 1);
    }
    if (now == NULL)
        return -1;
    int rc = PyDict_SetItem(counts, key, now);
    Py_DECREF(now);
    return rc;
}

/* count_into(counts: dict, terms: list[str]) -> None: counts[t] += 1 for each term, in order */
static PyObject *
count_into(PyObject *self, PyObject *args)
{
    PyObject *counts, *terms;
    if (!PyArg_ParseTuple(args, "O!O!", &PyDict_Type, &counts, &PyList_Type, &terms))
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(terms); i++) {
        if (bump(counts, PyList_GET_ITEM(terms, i)) < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static int
is_hiragana(Py_UCS4 c)
{
    return (c >= 0x3041 && c <= 0x309f) || c == 0x30fc; /* ー counts with the hiragana */
}

static uint32_t crc_table[256];

static void
crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static inline uint32_t
crc_byte(uint32_t crc, unsigned char b)
{
    return crc_table[(crc ^ b) & 0xff] ^ (crc >> 8);
}

/* zlib.crc32 state (pre-inverted) advanced over the UTF-8 bytes of ``s``; -1 (ValueError) on
 * a lone surrogate, which str.encode() would refuse too. */
static int
crc_str(uint32_t *crc, PyObject *s)
{
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    uint32_t c = *crc;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch < 0x80) {
            c = crc_byte(c, (unsigned char)ch);
        }
        else if (ch < 0x800) {
            c = crc_byte(c, (unsigned char)(0xc0 | (ch >> 6)));
            c = crc_byte(c, (unsigned char)(0x80 | (ch & 0x3f)));
        }
        else if (ch < 0x10000) {
            if (ch >= 0xd800 && ch <= 0xdfff) {
                PyErr_SetString(PyExc_ValueError, "a word pair holds a lone surrogate");
                return -1;
            }
            c = crc_byte(c, (unsigned char)(0xe0 | (ch >> 12)));
            c = crc_byte(c, (unsigned char)(0x80 | ((ch >> 6) & 0x3f)));
            c = crc_byte(c, (unsigned char)(0x80 | (ch & 0x3f)));
        }
        else {
            c = crc_byte(c, (unsigned char)(0xf0 | (ch >> 18)));
            c = crc_byte(c, (unsigned char)(0x80 | ((ch >> 12) & 0x3f)));
            c = crc_byte(c, (unsigned char)(0x80 | ((ch >> 6) & 0x3f)));
            c = crc_byte(c, (unsigned char)(0x80 | (ch & 0x3f)));
        }
    }
    *crc = c;
    return 0;
}

/* signals_into(counts: dict, folded: str, words: list[str]) -> (bigrams, pairs): counts every
 * bigram term of ``folded`` (fusion.char_bigrams of text already folded) and then every pair
 * term of ``words`` (fusion.word_pairs) into ``counts``; returns how many of each it counted. */
static PyObject *
signals_into(PyObject *self, PyObject *args)
{
    PyObject *counts, *text, *words;
    if (!PyArg_ParseTuple(args, "O!UO!", &PyDict_Type, &counts, &text, &PyList_Type, &words))
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), bigrams = 0, pairs = 0;
    for (Py_ssize_t i = 0; i + 1 < n; i++) {
        Py_UCS4 a = PyUnicode_READ(kind, data, i), b = PyUnicode_READ(kind, data, i + 1);
        if (!Py_UNICODE_ISALNUM(a) || !Py_UNICODE_ISALNUM(b) || (is_hiragana(a) && is_hiragana(b)))
            continue;
        PyObject *key = PyUnicode_New(3, a > b ? a : b);
        if (key == NULL)
            return NULL;
        int kk = PyUnicode_KIND(key);
        void *kd = PyUnicode_DATA(key);
        PyUnicode_WRITE(kk, kd, 0, BIGRAM_PREFIX);
        PyUnicode_WRITE(kk, kd, 1, a);
        PyUnicode_WRITE(kk, kd, 2, b);
        int rc = bump(counts, key);
        Py_DECREF(key);
        if (rc < 0)
            return NULL;
        bigrams++;
    }
    static const char hex[] = "0123456789abcdef";
    for (Py_ssize_t i = 0; i + 1 < PyList_GET_SIZE(words); i++) {
        PyObject *w1 = PyList_GET_ITEM(words, i), *w2 = PyList_GET_ITEM(words, i + 1);
        if (!PyUnicode_Check(w1) || !PyUnicode_Check(w2)) {
            PyErr_SetString(PyExc_TypeError, "words must be str");
            return NULL;
        }
        uint32_t crc = 0xffffffffu;
        if (crc_str(&crc, w1) < 0)
            return NULL;
        crc = crc_byte(crc, 0);
        if (crc_str(&crc, w2) < 0)
            return NULL;
        uint32_t h = (crc ^ 0xffffffffu) % PAIR_BUCKETS;
        PyObject *key = PyUnicode_New(6, 127);
        if (key == NULL)
            return NULL;
        Py_UCS1 *kd = PyUnicode_1BYTE_DATA(key);
        kd[0] = PAIR_PREFIX;
        for (int d = 5; d >= 1; d--, h >>= 4)
            kd[d] = (Py_UCS1)hex[h & 0xf];
        int rc = bump(counts, key);
        Py_DECREF(key);
        if (rc < 0)
            return NULL;
        pairs++;
    }
    return Py_BuildValue("nn", bigrams, pairs);
}

/* intern(vocab: dict, counts: dict) -> (ids: bytes of int32, tfs: bytes of uint16): the
 * vocabulary index of each term of ``counts`` in its order (a new term gets len(vocab)), and
 * its count capped at MAX_TF. */
static PyObject *
intern(PyObject *self, PyObject *args)
{
    PyObject *vocab, *counts;
    if (!PyArg_ParseTuple(args, "O!O!", &PyDict_Type, &vocab, &PyDict_Type, &counts))
        return NULL;
    Py_ssize_t n = PyDict_GET_SIZE(counts);
    PyObject *ids = PyBytes_FromStringAndSize(NULL, n * 4);
    PyObject *tfs = PyBytes_FromStringAndSize(NULL, n * 2);
    if (ids == NULL || tfs == NULL)
        goto fail;
    int32_t *id = (int32_t *)PyBytes_AS_STRING(ids);
    uint16_t *tf = (uint16_t *)PyBytes_AS_STRING(tfs);
    Py_ssize_t pos = 0, i = 0;
    PyObject *key, *value;
    while (PyDict_Next(counts, &pos, &key, &value)) {
        PyObject *got = PyDict_GetItemWithError(vocab, key); /* borrowed */
        long t;
        if (got == NULL) {
            if (PyErr_Occurred())
                goto fail;
            Py_ssize_t next = PyDict_GET_SIZE(vocab);
            if (next > INT32_MAX) {
                PyErr_SetString(PyExc_OverflowError, "intern: vocabulary over 2^31 terms");
                goto fail;
            }
            PyObject *nid = PyLong_FromSsize_t(next);
            if (nid == NULL)
                goto fail;
            int rc = PyDict_SetItem(vocab, key, nid);
            Py_DECREF(nid);
            if (rc < 0)
                goto fail;
            t = (long)next;
        }
        else {
            t = PyLong_AsLong(got);
            if (t == -1 && PyErr_Occurred())
                goto fail;
        }
        long c = PyLong_AsLong(value);
        if (c == -1 && PyErr_Occurred())
            goto fail;
        id[i] = (int32_t)t;
        tf[i] = (uint16_t)(c > MAX_TF ? MAX_TF : (c < 0 ? 0 : c));
        i++;
    }
    return Py_BuildValue("NN", ids, tfs);
fail:
    Py_XDECREF(ids);
    Py_XDECREF(tfs);
    return NULL;
}


/* The bucket of a hashed word pair term (PAIR_PREFIX and five lower-case hex digits, as
 * fusion.pair_term writes it), or -1 for any other term. */
static Py_ssize_t
pair_bucket(PyObject *t)
{
    if (PyUnicode_GET_LENGTH(t) != 6)
        return -1;
    int kind = PyUnicode_KIND(t);
    const void *data = PyUnicode_DATA(t);
    if (PyUnicode_READ(kind, data, 0) != PAIR_PREFIX)
        return -1;
    Py_ssize_t b = 0;
    for (Py_ssize_t i = 1; i < 6; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= '0' && c <= '9')
            b = b * 16 + (c - '0');
        else if (c >= 'a' && c <= 'f')
            b = b * 16 + (c - 'a' + 10);
        else
            return -1;
    }
    return b < PAIR_BUCKETS ? b : -1;
}

/* lookup(cache: dict, pairs: int64 buffer, terms: list[str]) -> (bytes of int64, list[str]): the
 * id of each term, a word pair's from ``pairs`` (by bucket; 0 there: not known), any other's
 * from ``cache``. A term known to neither is added with the placeholder -(k+1), k its index in
 * the returned list of such terms (the distinct ones, in the order they first appear), and
 * every occurrence of it gets that placeholder: one pass over the terms, for the caller to
 * replace the placeholders (resolve) once it has given the terms their ids. */
static PyObject *
lookup(PyObject *self, PyObject *args)
{
    PyObject *cache, *terms;
    Py_buffer pb;
    if (!PyArg_ParseTuple(args, "O!w*O!", &PyDict_Type, &cache, &pb, &PyList_Type, &terms))
        return NULL;
    PyObject *out = NULL, *added = NULL;
    if (pb.len != (Py_ssize_t)(PAIR_BUCKETS * sizeof(int64_t))) {
        PyErr_SetString(PyExc_ValueError, "pairs must hold PAIR_BUCKETS int64 ids");
        goto fail;
    }
    int64_t *pairs = (int64_t *)pb.buf;
    Py_ssize_t n = PyList_GET_SIZE(terms);
    out = PyBytes_FromStringAndSize(NULL, n * 8);
    added = PyList_New(0);
    if (out == NULL || added == NULL)
        goto fail;
    int64_t *v = (int64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyList_GET_ITEM(terms, i);
        if (!PyUnicode_Check(t)) {
            PyErr_SetString(PyExc_TypeError, "terms must be str");
            goto fail;
        }
        Py_ssize_t b = pair_bucket(t);
        if (b >= 0) {
            if (pairs[b] == 0) {
                if (PyList_Append(added, t) < 0)
                    goto fail;
                pairs[b] = -(int64_t)PyList_GET_SIZE(added);
            }
            v[i] = pairs[b];
            continue;
        }
        PyObject *got = PyDict_GetItemWithError(cache, t); /* borrowed */
        if (got == NULL) {
            if (PyErr_Occurred())
                goto fail;
            if (PyList_Append(added, t) < 0)
                goto fail;
            PyObject *mark = PyLong_FromSsize_t(-PyList_GET_SIZE(added));
            if (mark == NULL)
                goto fail;
            int rc = PyDict_SetItem(cache, t, mark);
            Py_DECREF(mark);
            if (rc < 0)
                goto fail;
            v[i] = -(int64_t)PyList_GET_SIZE(added);
            continue;
        }
        long long x = PyLong_AsLongLong(got);
        if (x == -1 && PyErr_Occurred())
            goto fail;
        v[i] = (int64_t)x;
    }
    PyBuffer_Release(&pb);
    PyObject *res = PyTuple_Pack(2, out, added);
    Py_DECREF(out);
    Py_DECREF(added);
    return res;
fail:
    PyBuffer_Release(&pb);
    Py_XDECREF(out);
    Py_XDECREF(added);
    return NULL;
}

/* resolve(cache: dict, pairs: int64 buffer, added: list[str], tids: int64 buffer) -> None:
 * the id tids[k] of added[k], into ``pairs`` for a word pair, else into ``cache`` */
static PyObject *
resolve(PyObject *self, PyObject *args)
{
    PyObject *cache, *added;
    Py_buffer pb, tb;
    if (!PyArg_ParseTuple(args, "O!w*O!y*", &PyDict_Type, &cache, &pb, &PyList_Type, &added, &tb))
        return NULL;
    PyObject *res = NULL;
    Py_ssize_t n = PyList_GET_SIZE(added);
    if (pb.len != (Py_ssize_t)(PAIR_BUCKETS * sizeof(int64_t)) ||
        tb.len != n * (Py_ssize_t)sizeof(int64_t)) {
        PyErr_SetString(PyExc_ValueError, "pairs must hold PAIR_BUCKETS ids, tids one per term");
        goto done;
    }
    int64_t *pairs = (int64_t *)pb.buf;
    const int64_t *tids = (const int64_t *)tb.buf;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *t = PyList_GET_ITEM(added, k);
        if (!PyUnicode_Check(t)) {
            PyErr_SetString(PyExc_TypeError, "terms must be str");
            goto done;
        }
        Py_ssize_t b = pair_bucket(t);
        if (b >= 0) {
            pairs[b] = tids[k];
            continue;
        }
        PyObject *tid = PyLong_FromLongLong(tids[k]);
        if (tid == NULL)
            goto done;
        int rc = PyDict_SetItem(cache, t, tid);
        Py_DECREF(tid);
        if (rc < 0)
            goto done;
    }
    res = Py_None;
    Py_INCREF(res);
done:
    PyBuffer_Release(&pb);
    PyBuffer_Release(&tb);
    return res;
}

/* signal_mask(terms: list[str]) -> bytes: 1 for a fusion signal term (its first character is
 * BIGRAM_PREFIX or PAIR_PREFIX: fusion.is_signal), else 0 */
static PyObject *
signal_mask(PyObject *self, PyObject *args)
{
    PyObject *terms;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &terms))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(terms);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n);
    if (out == NULL)
        return NULL;
    char *m = PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyList_GET_ITEM(terms, i);
        if (!PyUnicode_Check(t)) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_TypeError, "terms must be str");
            return NULL;
        }
        Py_UCS4 c = PyUnicode_GET_LENGTH(t) ? PyUnicode_READ_CHAR(t, 0) : 0;
        m[i] = (char)(c == BIGRAM_PREFIX || c == PAIR_PREFIX);
    }
    return out;
}

/* Sorts keys[0:n] ascending (quicksort, insertion sort below 16). */
static void
sort_u64(uint64_t *a, Py_ssize_t n)
{
    while (n > 16) {
        uint64_t x = a[0], y = a[n / 2], z = a[n - 1];
        uint64_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        Py_ssize_t i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j)
                break;
            uint64_t t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
        /* recurse into the smaller side, loop on the larger */
        if (j + 1 < n - j - 1) {
            sort_u64(a, j + 1);
            a += j + 1;
            n -= j + 1;
        }
        else {
            sort_u64(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    for (Py_ssize_t i = 1; i < n; i++) {
        uint64_t v = a[i];
        Py_ssize_t k = i;
        while (k > 0 && a[k - 1] > v) {
            a[k] = a[k - 1];
            k--;
        }
        a[k] = v;
    }
}

/* vector_rows(pids i8[n], tids i8[n], tfs u2[n]) -> list[(pid, tids <i4 bytes, tfs <u2 bytes)]
 * | None: the signal_docs rows of (passage, term, count) triples grouped by passage (pids
 * non-decreasing), each row's term ids ascending (index.store.vectors.rows); None when the
 * pids are not grouped that way, for the caller's general sort. Term ids must fit 31 bits. */
static PyObject *
vector_rows(PyObject *self, PyObject *args)
{
    PyObject *o_pids, *o_tids, *o_tfs;
    if (!PyArg_ParseTuple(args, "OOO", &o_pids, &o_tids, &o_tfs))
        return NULL;
    Py_buffer pv, tv, fv;
    if (PyObject_GetBuffer(o_pids, &pv, PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    if (PyObject_GetBuffer(o_tids, &tv, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&pv);
        return NULL;
    }
    if (PyObject_GetBuffer(o_tfs, &fv, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&tv);
        PyBuffer_Release(&pv);
        return NULL;
    }
    PyObject *out = NULL;
    uint64_t *keys = NULL;
    Py_ssize_t n = pv.len / 8;
    if (pv.len % 8 || tv.len != pv.len || fv.len != 2 * n) {
        PyErr_SetString(PyExc_ValueError, "vector_rows: pids, tids (int64) and tfs (uint16) "
                                          "differ in length");
        goto done;
    }
    const int64_t *pid = pv.buf, *tid = tv.buf;
    const uint16_t *tf = fv.buf;
    for (Py_ssize_t i = 1; i < n; i++) {
        if (pid[i] < pid[i - 1]) {
            out = Py_None;
            Py_INCREF(out);
            goto done;
        }
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (tid[i] < 0 || tid[i] > INT32_MAX) {
            PyErr_Format(PyExc_ValueError, "vector_rows: term id %lld out of range",
                         (long long)tid[i]);
            goto done;
        }
    }
    keys = PyMem_Malloc((n ? n : 1) * sizeof(uint64_t));
    if (keys == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        keys[i] = ((uint64_t)tid[i] << 16) | tf[i];
    out = PyList_New(0);
    if (out == NULL)
        goto done;
    for (Py_ssize_t s = 0; s < n;) {
        Py_ssize_t e = s + 1;
        while (e < n && pid[e] == pid[s])
            e++;
        sort_u64(keys + s, e - s);
        PyObject *tb = PyBytes_FromStringAndSize(NULL, 4 * (e - s));
        PyObject *fb = PyBytes_FromStringAndSize(NULL, 2 * (e - s));
        PyObject *row = NULL;
        if (tb != NULL && fb != NULL) {
            int32_t *t4 = (int32_t *)PyBytes_AS_STRING(tb);
            uint16_t *f2 = (uint16_t *)PyBytes_AS_STRING(fb);
            for (Py_ssize_t k = s; k < e; k++) {
                t4[k - s] = (int32_t)(keys[k] >> 16);
                f2[k - s] = (uint16_t)(keys[k] & 0xffff);
            }
            row = Py_BuildValue("LNN", (long long)pid[s], tb, fb);
            tb = fb = NULL;
        }
        Py_XDECREF(tb);
        Py_XDECREF(fb);
        if (row == NULL || PyList_Append(out, row) < 0) {
            Py_XDECREF(row);
            Py_CLEAR(out);
            goto done;
        }
        Py_DECREF(row);
        s = e;
    }
done:
    PyMem_Free(keys);
    PyBuffer_Release(&fv);
    PyBuffer_Release(&tv);
    PyBuffer_Release(&pv);
    return out;
}

static PyMethodDef methods[] = {
    {"count_into", count_into, METH_VARARGS, "count_into(counts, terms): counts[t] += 1 each"},
    {"signals_into", signals_into, METH_VARARGS,
     "signals_into(counts, folded, words) -> (bigrams, pairs): count the fusion signal terms"},
    {"intern", intern, METH_VARARGS,
     "intern(vocab, counts) -> (ids int32 bytes, tfs uint16 bytes)"},
    {"lookup", lookup, METH_VARARGS,
     "lookup(cache, pairs, terms) -> (int64 bytes of ids, the terms added with placeholders)"},
    {"resolve", resolve, METH_VARARGS,
     "resolve(cache, pairs, added, tids): the ids of the added terms, into pairs or cache"},
    {"signal_mask", signal_mask, METH_VARARGS, "signal_mask(terms) -> bytes, 1 per signal term"},
    {"vector_rows", vector_rows, METH_VARARGS,
     "vector_rows(pids, tids, tfs) -> signal_docs rows of triples grouped by passage, or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_counting",
    "Counting a passage's terms and signal terms, and a batch's vocabulary "
    "(index/store/counting.py).",
    -1, methods,
};

PyMODINIT_FUNC
PyInit__counting(void)
{
    crc_init();
    return PyModule_Create(&module);
}
