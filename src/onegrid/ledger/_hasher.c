/* The ledger's batch hasher: RFC 9162 leaf and node hashes for a whole batch in one call.
 *
 *   leaf_hashes(entries) -> list[bytes]   SHA-256(0x00 || entry) of each entry
 *   parents(hashes) -> list[bytes]        SHA-256(0x01 || left || right) of each consecutive pair of
 *                                         the 32-byte hashes (an odd last hash is left out)
 *
 *   gather(levels, shifts, order, start, stop) -> bytes
 *                                         levels[r][j + shifts[r]] for (r, j) in order[start:stop],
 *                                         joined: ledger.tiles.cut's assembly of a tile's new bytes
 *
 * Lists of 32-byte bytes in and out, the form the ledger's Python code holds a tree level in: no
 * joining before a call and no slicing after it.
 *
 * Each hash is computed by OpenSSL's SHA-256 (libcrypto, the library CPython's hashlib uses; it picks
 * the SHA-NI or AVX2 code for the CPU it runs on). What this saves against hashlib is the Python
 * object work around every hash: a hasher object copied, updated and read per hash. The results are
 * byte for byte those of onegrid.ledger.merkle's pure-Python functions (tests/ledger/test_hasher.py).
 *
 * OpenSSL 3 marks the SHA256_Init/Update/Final functions deprecated in favour of EVP; they are still
 * part of its API and ABI, and on a 65-byte message a copied SHA256_CTX is about half the cost of an
 * EVP_MD_CTX (measured: docs/decisions/0009-ledger-batch-hasher.md).
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED
#include <Python.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

#define HASH_SIZE 32

static SHA256_CTX leaf_seed; /* holds the 0x00 byte */
static SHA256_CTX node_seed; /* holds the 0x01 byte */

/* Where a hash's input is: a bytes object's own storage, or a buffer held until released. */
typedef struct {
    const unsigned char *data;
    Py_ssize_t len;
    Py_buffer view;
    int held;
} input;

/* Item i of the sequence, or NULL with RuntimeError if it has shrunk under us (a buffer export can run
 * Python code that changes a list, from Python 3.12 on). */
static PyObject *
item_at(PyObject *seq, Py_ssize_t i)
{
    if (i >= PySequence_Fast_GET_SIZE(seq)) {
        PyErr_SetString(PyExc_RuntimeError, "the sequence changed size while it was hashed");
        return NULL;
    }
    return PySequence_Fast_GET_ITEM(seq, i);
}

static int
take(PyObject *item, input *in, const char *what, Py_ssize_t i)
{
    in->held = 0;
    if (PyBytes_CheckExact(item)) {
        in->data = (const unsigned char *)PyBytes_AS_STRING(item);
        in->len = PyBytes_GET_SIZE(item);
        return 0;
    }
    if (PyUnicode_Check(item) || PyObject_GetBuffer(item, &in->view, PyBUF_SIMPLE) != 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s %zd is %.100s, not a byte string", what, i,
                     Py_TYPE(item)->tp_name);
        return -1;
    }
    in->held = 1;
    in->data = in->view.buf;
    in->len = in->view.len;
    return 0;
}

static void
release(input *in)
{
    if (in->held) {
        PyBuffer_Release(&in->view);
    }
}

static PyObject *
digest_of(SHA256_CTX *ctx)
{
    unsigned char md[HASH_SIZE];
    SHA256_Final(md, ctx);
    return PyBytes_FromStringAndSize((const char *)md, HASH_SIZE);
}

static PyObject *
leaf_hashes(PyObject *Py_UNUSED(module), PyObject *entries)
{
    PyObject *seq = PySequence_Fast(entries, "leaf_hashes() takes an iterable of byte strings");
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        Py_DECREF(seq);
        return NULL;
    }
    SHA256_CTX ctx;
    input in;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = item_at(seq, i);
        if (item == NULL) {
            goto fail;
        }
        Py_INCREF(item);
        if (take(item, &in, "entry", i) != 0) {
            Py_DECREF(item);
            goto fail;
        }
        ctx = leaf_seed;
        SHA256_Update(&ctx, in.data, (size_t)in.len);
        release(&in);
        Py_DECREF(item);
        PyObject *h = digest_of(&ctx);
        if (h == NULL) {
            goto fail;
        }
        PyList_SET_ITEM(out, i, h);
    }
    Py_DECREF(seq);
    return out;
fail:
    Py_DECREF(out);
    Py_DECREF(seq);
    return NULL;
}

static PyObject *
parents(PyObject *Py_UNUSED(module), PyObject *hashes)
{
    PyObject *seq = PySequence_Fast(hashes, "parents() takes an iterable of 32-byte hashes");
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t pairs = PySequence_Fast_GET_SIZE(seq) / 2;
    PyObject *out = PyList_New(pairs);
    if (out == NULL) {
        Py_DECREF(seq);
        return NULL;
    }
    SHA256_CTX ctx;
    input left, right;
    for (Py_ssize_t i = 0; i < pairs; i++) {
        PyObject *a = item_at(seq, 2 * i);
        PyObject *b = a == NULL ? NULL : item_at(seq, 2 * i + 1);
        if (b == NULL) {
            goto fail;
        }
        Py_INCREF(a);
        Py_INCREF(b);
        int ok = take(a, &left, "hash", 2 * i) == 0;
        if (ok && take(b, &right, "hash", 2 * i + 1) != 0) {
            release(&left);
            ok = 0;
        }
        if (ok && (left.len != HASH_SIZE || right.len != HASH_SIZE)) {
            Py_ssize_t bad = left.len != HASH_SIZE ? 2 * i : 2 * i + 1;
            PyErr_Format(PyExc_ValueError, "hash %zd is %zd bytes, not %d", bad,
                         bad == 2 * i ? left.len : right.len, HASH_SIZE);
            release(&left);
            release(&right);
            ok = 0;
        }
        if (ok) {
            ctx = node_seed;
            SHA256_Update(&ctx, left.data, HASH_SIZE);
            SHA256_Update(&ctx, right.data, HASH_SIZE);
            release(&left);
            release(&right);
        }
        Py_DECREF(a);
        Py_DECREF(b);
        if (!ok) {
            goto fail;
        }
        PyObject *h = digest_of(&ctx);
        if (h == NULL) {
            goto fail;
        }
        PyList_SET_ITEM(out, i, h);
    }
    Py_DECREF(seq);
    return out;
fail:
    Py_DECREF(out);
    Py_DECREF(seq);
    return NULL;
}

static PyObject *
gather(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *levels, *shifts, *order;
    Py_ssize_t start, stop;
    if (!PyArg_ParseTuple(args, "O!O!O!nn:gather", &PyList_Type, &levels, &PyList_Type, &shifts, &PyList_Type,
                          &order, &start, &stop)) {
        return NULL;
    }
    Py_ssize_t depth = PyList_GET_SIZE(levels);
    if (PyList_GET_SIZE(shifts) != depth) {
        PyErr_SetString(PyExc_ValueError, "gather() needs one shift per level");
        return NULL;
    }
    if (start < 0 || stop < start || stop > PyList_GET_SIZE(order)) {
        PyErr_SetString(PyExc_IndexError, "gather(): start and stop must lie within the order");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, (stop - start) * HASH_SIZE);
    if (out == NULL) {
        return NULL;
    }
    char *dst = PyBytes_AS_STRING(out);
    for (Py_ssize_t k = start; k < stop; k++, dst += HASH_SIZE) {
        PyObject *pick = PyList_GET_ITEM(order, k);
        if (!PyTuple_Check(pick) || PyTuple_GET_SIZE(pick) != 2) {
            PyErr_Format(PyExc_TypeError, "order item %zd is not a (level, index) pair", k);
            goto fail;
        }
        Py_ssize_t r = PyLong_AsSsize_t(PyTuple_GET_ITEM(pick, 0));
        Py_ssize_t j = PyLong_AsSsize_t(PyTuple_GET_ITEM(pick, 1));
        if ((r == -1 || j == -1) && PyErr_Occurred()) {
            goto fail;
        }
        if (r < 0 || r >= depth || !PyList_Check(PyList_GET_ITEM(levels, r))) {
            PyErr_Format(PyExc_IndexError, "order item %zd names level %zd, not a list of hashes", k, r);
            goto fail;
        }
        Py_ssize_t shift = PyLong_AsSsize_t(PyList_GET_ITEM(shifts, r));
        if (shift == -1 && PyErr_Occurred()) {
            goto fail;
        }
        PyObject *level = PyList_GET_ITEM(levels, r);
        Py_ssize_t i = j + shift;
        if (i < 0 || i >= PyList_GET_SIZE(level)) {
            PyErr_Format(PyExc_IndexError, "order item %zd: level %zd has no hash %zd", k, r, i);
            goto fail;
        }
        PyObject *h = PyList_GET_ITEM(level, i);
        if (!PyBytes_Check(h) || PyBytes_GET_SIZE(h) != HASH_SIZE) {
            PyErr_Format(PyExc_TypeError, "level %zd item %zd is not a %d-byte bytes object", r, i, HASH_SIZE);
            goto fail;
        }
        memcpy(dst, PyBytes_AS_STRING(h), HASH_SIZE);
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyMethodDef methods[] = {
    {"leaf_hashes", leaf_hashes, METH_O,
     "leaf_hashes(entries) -> list[bytes]: SHA-256(0x00 || entry) of each entry."},
    {"parents", parents, METH_O,
     "parents(hashes) -> list[bytes]: SHA-256(0x01 || left || right) of each consecutive pair of the "
     "32-byte hashes; an odd last hash is left out."},
    {"gather", gather, METH_VARARGS,
     "gather(levels, shifts, order, start, stop) -> bytes: the hashes levels[r][j + shifts[r]] for (r, j) "
     "in order[start:stop], joined (tiles.cut's assembly of a tile)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "onegrid.ledger._hasher",
    "RFC 9162 leaf and node hashes of a whole batch in one call, through OpenSSL's SHA-256.",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__hasher(void)
{
    if (!SHA256_Init(&leaf_seed) || !SHA256_Update(&leaf_seed, "\x00", 1) || !SHA256_Init(&node_seed) ||
        !SHA256_Update(&node_seed, "\x01", 1)) {
        PyErr_SetString(PyExc_ImportError, "OpenSSL's SHA-256 failed to start");
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddStringConstant(m, "OPENSSL_VERSION", OpenSSL_version(OPENSSL_VERSION)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
