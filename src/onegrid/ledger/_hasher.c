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
 *   extend_tiles(border, size, leaves) -> (list[bytes], dict[int, bytes])
 *                                         a batch of leaf hashes added to the tree of `size` leaves
 *                                         whose right border is `border`: the new border and what the
 *                                         batch adds to each tile (ledger.tiles.grow: the work of
 *                                         CompactRange.extend and tiles.cut, with each tree level held
 *                                         in one buffer instead of a list of bytes objects)
 *
 *   sha_extensions() -> bool, set_sha_extensions(on) -> bool
 *                                         whether 65-byte messages are hashed two at a time with the
 *                                         CPU's SHA extensions (below), and turning that off or on
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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HASH_SIZE 32

/* SHA-256 of 65-byte messages (the prefix byte and 64 bytes: every leaf of a 64-byte entry and every
 * inner node) two at a time with the x86 SHA extensions, when the CPU has them. OpenSSL uses the same
 * instructions, one message at a time: each round waits on the one before, so a second, independent
 * message interleaved with the first fills those waits (~90 ns a hash here against ~140 ns through
 * OpenSSL). The same bytes as OpenSSL's SHA-256 (tests/ledger/test_hasher.py checks both ways). */
#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_SHANI 1
#include <cpuid.h>
#include <immintrin.h>

#define SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

static int
cpu_has_sha_extensions(void)
{
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19))) { /* SSSE3, SSE4.1 */
        return 0;
    }
    if (__get_cpuid_max(0, NULL) < 7) {
        return 0;
    }
    __cpuid_count(7, 0, a, b, c, d);
    return (b & (1u << 29)) != 0; /* SHA */
}

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
static const uint32_t sha256_h0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* One 64-byte block into each of two states (ABEF, CDGH halves), the two streams' instructions
 * interleaved so that one's rounds run while the other's wait on their latency. */
SHANI_TARGET static inline void
shani_blocks2(__m128i st[2][2], const unsigned char *block[2])
{
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i w[2][4], save[2][2], msg[2], tmp[2];
#pragma GCC unroll 2
    for (int s = 0; s < 2; s++) {
        save[s][0] = st[s][0];
        save[s][1] = st[s][1];
        for (int q = 0; q < 4; q++) {
            w[s][q] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block[s] + 16 * q)), swap);
        }
    }
#pragma GCC unroll 16
    for (int q = 0; q < 16; q++) {
        const __m128i k = _mm_loadu_si128((const __m128i *)(sha256_k + 4 * q));
#pragma GCC unroll 2
        for (int s = 0; s < 2; s++) {
            msg[s] = _mm_add_epi32(w[s][q & 3], k);
            st[s][1] = _mm_sha256rnds2_epu32(st[s][1], st[s][0], msg[s]);
        }
        if (q >= 3 && q <= 14) { /* the words of rounds 4(q+1)…: W[q+1] from W[q-3..q] */
    #pragma GCC unroll 2
        for (int s = 0; s < 2; s++) {
                tmp[s] = _mm_alignr_epi8(w[s][q & 3], w[s][(q - 1) & 3], 4);
                w[s][(q + 1) & 3] = _mm_add_epi32(w[s][(q + 1) & 3], tmp[s]);
                w[s][(q + 1) & 3] = _mm_sha256msg2_epu32(w[s][(q + 1) & 3], w[s][q & 3]);
            }
        }
#pragma GCC unroll 2
        for (int s = 0; s < 2; s++) {
            msg[s] = _mm_shuffle_epi32(msg[s], 0x0E);
            st[s][0] = _mm_sha256rnds2_epu32(st[s][0], st[s][1], msg[s]);
        }
        if (q >= 1 && q <= 12) {
    #pragma GCC unroll 2
        for (int s = 0; s < 2; s++) {
                w[s][(q + 3) & 3] = _mm_sha256msg1_epu32(w[s][(q + 3) & 3], w[s][q & 3]);
            }
        }
    }
    for (int s = 0; s < 2; s++) {
        st[s][0] = _mm_add_epi32(st[s][0], save[s][0]);
        st[s][1] = _mm_add_epi32(st[s][1], save[s][1]);
    }
}

/* SHA-256(prefix || lo[s] || hi[s]) into out[s] for s = 0, 1; lo and hi 32 bytes each. */
SHANI_TARGET static void
shani_hash65x2(unsigned char prefix, const unsigned char *const lo[2], const unsigned char *const hi[2],
               unsigned char *const out[2])
{
    unsigned char padded[2][128];
    for (int s = 0; s < 2; s++) {
        padded[s][0] = prefix;
        memcpy(padded[s] + 1, lo[s], 32);
        memcpy(padded[s] + 33, hi[s], 32);
        padded[s][65] = 0x80;
        memset(padded[s] + 66, 0, 60);
        padded[s][126] = (65 * 8) >> 8;
        padded[s][127] = (65 * 8) & 0xff;
    }
    __m128i st[2][2];
    /* the initial state as ABEF and CDGH */
    __m128i abcd = _mm_loadu_si128((const __m128i *)sha256_h0);
    __m128i efgh = _mm_loadu_si128((const __m128i *)(sha256_h0 + 4));
    __m128i cdab = _mm_shuffle_epi32(abcd, 0xB1);
    __m128i efgh_r = _mm_shuffle_epi32(efgh, 0x1B);
    __m128i abef = _mm_alignr_epi8(cdab, efgh_r, 8);
    __m128i cdgh = _mm_blend_epi16(efgh_r, cdab, 0xF0);
    for (int s = 0; s < 2; s++) {
        st[s][0] = abef;
        st[s][1] = cdgh;
    }
    const unsigned char *first[2] = {padded[0], padded[1]};
    const unsigned char *second[2] = {padded[0] + 64, padded[1] + 64};
    shani_blocks2(st, first);
    shani_blocks2(st, second);
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    for (int s = 0; s < 2; s++) {
        __m128i feba = _mm_shuffle_epi32(st[s][0], 0x1B);
        __m128i dchg = _mm_shuffle_epi32(st[s][1], 0xB1);
        __m128i dcba = _mm_blend_epi16(feba, dchg, 0xF0);
        __m128i hgfe = _mm_alignr_epi8(dchg, feba, 8);
        _mm_storeu_si128((__m128i *)out[s], _mm_shuffle_epi8(dcba, swap));
        _mm_storeu_si128((__m128i *)(out[s] + 16), _mm_shuffle_epi8(hgfe, swap));
    }
}
#endif

static int sha_extensions = 0; /* in use: the CPU has them and nobody turned them off */
static int cpu_sha_extensions = 0;

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
    for (Py_ssize_t i = 0; i < n;) {
        PyObject *item = item_at(seq, i);
        if (item == NULL) {
            goto fail;
        }
        Py_INCREF(item);
        if (take(item, &in, "entry", i) != 0) {
            Py_DECREF(item);
            goto fail;
        }
#ifdef HAVE_SHANI
        if (sha_extensions && in.len == 64 && i + 1 < n) { /* two 64-byte entries at a time */
            PyObject *next = item_at(seq, i + 1);
            input in2;
            if (next == NULL) {
                release(&in);
                Py_DECREF(item);
                goto fail;
            }
            Py_INCREF(next);
            if (take(next, &in2, "entry", i + 1) != 0) {
                Py_DECREF(next);
                release(&in);
                Py_DECREF(item);
                goto fail;
            }
            if (in2.len == 64) {
                unsigned char md[2][HASH_SIZE];
                const unsigned char *const lo[2] = {in.data, in2.data};
                const unsigned char *const hi[2] = {in.data + 32, in2.data + 32};
                unsigned char *const dst[2] = {md[0], md[1]};
                shani_hash65x2(0x00, lo, hi, dst);
                release(&in2);
                Py_DECREF(next);
                release(&in);
                Py_DECREF(item);
                for (int s = 0; s < 2; s++) {
                    PyObject *h = PyBytes_FromStringAndSize((const char *)md[s], HASH_SIZE);
                    if (h == NULL) {
                        goto fail;
                    }
                    PyList_SET_ITEM(out, i + s, h);
                }
                i += 2;
                continue;
            }
            release(&in2);
            Py_DECREF(next);
        }
#endif
        ctx = leaf_seed;
        SHA256_Update(&ctx, in.data, (size_t)in.len);
        release(&in);
        Py_DECREF(item);
        PyObject *h = digest_of(&ctx);
        if (h == NULL) {
            goto fail;
        }
        PyList_SET_ITEM(out, i, h);
        i++;
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

/* The tile layout of ledger.tiles: tiles of 256 entries per tile level (8 tree levels), each entry
 * followed by the in-tile nodes it completes; tile key = tile level << 56 | tile index. */
#define TILE_HEIGHT 8
#define TILE_WIDTH 256
#define TILE_HASHES 511
#define LEVEL_SHIFT 56
#define MAX_LEVELS 65

static int tile_offset[TILE_WIDTH + 1];  /* hashes a tile stores before entry e (tiles.offset) */
static unsigned char order_r[TILE_HASHES]; /* position p of a full tile holds the node at in-tile */
static unsigned char order_j[TILE_HASHES]; /* level order_r[p], in-tile index order_j[p] (tiles._ORDER) */

static void
init_tile_layout(void)
{
    int p = 0;
    for (int e = 0; e <= TILE_WIDTH; e++) {
        int sum = 0;
        for (int r = 0; r < TILE_HEIGHT; r++) {
            sum += e >> r;
        }
        tile_offset[e] = sum;
    }
    for (int j = 0; j < TILE_WIDTH; j++) {
        int completes = 0;
        while ((j >> completes) & 1) {
            completes++;
        }
        for (int r = 0; r <= (completes < TILE_HEIGHT - 1 ? completes : TILE_HEIGHT - 1); r++) {
            order_r[p] = (unsigned char)r;
            order_j[p] = (unsigned char)(j >> r);
            p++;
        }
    }
}

/* One 32-byte hash of a sequence into dst; TypeError / ValueError naming it otherwise. */
static int
copy_hash(PyObject *seq, Py_ssize_t i, const char *what, unsigned char *dst)
{
    PyObject *item = item_at(seq, i);
    if (item == NULL) {
        return -1;
    }
    Py_INCREF(item);
    input in;
    if (take(item, &in, what, i) != 0) {
        Py_DECREF(item);
        return -1;
    }
    int ok = in.len == HASH_SIZE;
    if (ok) {
        memcpy(dst, in.data, HASH_SIZE);
    } else {
        PyErr_Format(PyExc_ValueError, "%s %zd is %zd bytes, not %d", what, i, in.len, HASH_SIZE);
    }
    release(&in);
    Py_DECREF(item);
    return ok ? 0 : -1;
}

static PyObject *
extend_tiles(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *border_arg, *size_obj, *leaves_arg;
    if (!PyArg_ParseTuple(args, "OO!O:extend_tiles", &border_arg, &PyLong_Type, &size_obj, &leaves_arg)) {
        return NULL;
    }
    const unsigned long long size_arg = PyLong_AsUnsignedLongLong(size_obj);
    if (size_arg == (unsigned long long)-1 && PyErr_Occurred()) {
        return NULL;
    }
    const uint64_t n = (uint64_t)size_arg;
    PyObject *border = PySequence_Fast(border_arg, "extend_tiles() takes the border as a sequence of hashes");
    if (border == NULL) {
        return NULL;
    }
    PyObject *leaves = PySequence_Fast(leaves_arg, "extend_tiles() takes an iterable of 32-byte leaf hashes");
    if (leaves == NULL) {
        Py_DECREF(border);
        return NULL;
    }
    PyObject *new_border = NULL, *parts = NULL, *result = NULL;
    unsigned char *level[MAX_LEVELS] = {NULL};
    uint64_t first[MAX_LEVELS] = {0}, count[MAX_LEVELS] = {0};
    unsigned char old[64][HASH_SIZE]; /* the old border by tree level */
    const Py_ssize_t k = PySequence_Fast_GET_SIZE(leaves);
    const uint64_t end = n + (uint64_t)k;
    if (end < n) {
        PyErr_SetString(PyExc_OverflowError, "the tree would outgrow 64 bits");
        goto done;
    }
    if (PySequence_Fast_GET_SIZE(border) != __builtin_popcountll(n)) {
        PyErr_Format(PyExc_ValueError, "a tree of size %llu has %d border hashes, not %zd", size_arg,
                     __builtin_popcountll(n), PySequence_Fast_GET_SIZE(border));
        goto done;
    }
    Py_ssize_t b = 0;
    for (int lv = 63; lv >= 0; lv--) {
        if ((n >> lv) & 1) {
            if (copy_hash(border, b++, "border hash", old[lv]) != 0) {
                goto done;
            }
        }
    }
    /* level 0: the leaves; level L + 1: the new nodes over level L (the first one's left child may be
     * the old border's node of level L) */
    int depth = 0;
    if (k > 0) {
        level[0] = PyMem_Malloc((size_t)k * HASH_SIZE);
        if (level[0] == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t i = 0; i < k; i++) {
            if (copy_hash(leaves, i, "hash", level[0] + i * HASH_SIZE) != 0) {
                goto done;
            }
        }
        first[0] = n;
        count[0] = (uint64_t)k;
        depth = 1;
    }
    while (depth > 0 && depth < 64) {
        const int lv = depth - 1;
        const uint64_t f = first[lv], next_first = f >> 1, next_end = (f + count[lv]) >> 1;
        if (next_end == next_first) {
            break;
        }
        unsigned char *out = PyMem_Malloc((size_t)(next_end - next_first) * HASH_SIZE);
        if (out == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        level[depth] = out;
        first[depth] = next_first;
        count[depth] = next_end - next_first;
        uint64_t i = next_first;
#ifdef HAVE_SHANI
        for (; sha_extensions && i + 1 < next_end; i += 2, out += 2 * HASH_SIZE) {
            const unsigned char *const lo[2] = {
                2 * i >= f ? level[lv] + (2 * i - f) * HASH_SIZE : old[lv], level[lv] + (2 * i + 2 - f) * HASH_SIZE};
            const unsigned char *const hi[2] = {level[lv] + (2 * i + 1 - f) * HASH_SIZE,
                                                level[lv] + (2 * i + 3 - f) * HASH_SIZE};
            unsigned char *const dst[2] = {out, out + HASH_SIZE};
            shani_hash65x2(0x01, lo, hi, dst);
        }
#endif
        for (; i < next_end; i++, out += HASH_SIZE) {
            const unsigned char *left = 2 * i >= f ? level[lv] + (2 * i - f) * HASH_SIZE : old[lv];
            SHA256_CTX ctx = node_seed;
            SHA256_Update(&ctx, left, HASH_SIZE);
            SHA256_Update(&ctx, level[lv] + (2 * i + 1 - f) * HASH_SIZE, HASH_SIZE);
            SHA256_Final(out, &ctx);
        }
        depth++;
    }
    new_border = PyList_New(__builtin_popcountll(end));
    if (new_border == NULL) {
        goto done;
    }
    b = 0;
    for (int lv = 63; lv >= 0; lv--) {
        if (!((end >> lv) & 1)) {
            continue;
        }
        const uint64_t index = (end >> lv) - 1;
        const unsigned char *h = lv < depth && index >= first[lv] ? level[lv] + (index - first[lv]) * HASH_SIZE
                                                                   : old[lv];
        PyObject *hash = PyBytes_FromStringAndSize((const char *)h, HASH_SIZE);
        if (hash == NULL) {
            goto done;
        }
        PyList_SET_ITEM(new_border, b++, hash);
    }
    /* cut: for each tile a new node falls in, its new positions in stored order */
    parts = PyDict_New();
    if (parts == NULL) {
        goto done;
    }
    for (int tile_level = 0; TILE_HEIGHT * tile_level < depth; tile_level++) {
        const int base = TILE_HEIGHT * tile_level;
        const uint64_t f = n >> base, l = end >> base;
        for (uint64_t index = f >> TILE_HEIGHT; index <= (l - 1) >> TILE_HEIGHT; index++) {
            const uint64_t start_entry = index << TILE_HEIGHT;
            const int a = f > start_entry ? (int)(f - start_entry) : 0;
            const int z = l - start_entry < TILE_WIDTH ? (int)(l - start_entry) : TILE_WIDTH;
            PyObject *part = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(tile_offset[z] - tile_offset[a]) * HASH_SIZE);
            if (part == NULL) {
                goto done;
            }
            unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(part);
            for (int p = tile_offset[a]; p < tile_offset[z]; p++, dst += HASH_SIZE) {
                const int lv = base + order_r[p];
                const uint64_t node = (index << (TILE_HEIGHT - order_r[p])) + order_j[p];
                if (lv >= depth || node < first[lv] || node - first[lv] >= count[lv]) {
                    PyErr_SetString(PyExc_RuntimeError, "extend_tiles(): a tile position outside the new nodes");
                    Py_DECREF(part);
                    goto done;
                }
                memcpy(dst, level[lv] + (node - first[lv]) * HASH_SIZE, HASH_SIZE);
            }
            PyObject *key = PyLong_FromUnsignedLongLong(((uint64_t)tile_level << LEVEL_SHIFT) | index);
            int failed = key == NULL || PyDict_SetItem(parts, key, part) != 0;
            Py_XDECREF(key);
            Py_DECREF(part);
            if (failed) {
                goto done;
            }
        }
    }
    result = PyTuple_Pack(2, new_border, parts);
done:
    for (int lv = 0; lv < MAX_LEVELS; lv++) {
        PyMem_Free(level[lv]);
    }
    Py_XDECREF(new_border);
    Py_XDECREF(parts);
    Py_DECREF(leaves);
    Py_DECREF(border);
    return result;
}

static PyObject *
get_sha_extensions(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(unused))
{
    return PyBool_FromLong(sha_extensions);
}

static PyObject *
set_sha_extensions(PyObject *Py_UNUSED(module), PyObject *on)
{
    int wanted = PyObject_IsTrue(on);
    if (wanted < 0) {
        return NULL;
    }
    sha_extensions = wanted && cpu_sha_extensions;
    return PyBool_FromLong(sha_extensions);
}

static PyMethodDef methods[] = {
    {"sha_extensions", get_sha_extensions, METH_NOARGS,
     "sha_extensions() -> bool: whether 65-byte messages are hashed two at a time with the CPU's SHA "
     "extensions (else one at a time through OpenSSL)."},
    {"set_sha_extensions", set_sha_extensions, METH_O,
     "set_sha_extensions(on) -> bool: use the CPU's SHA extensions (if it has them) or not; returns "
     "whether they are in use."},
    {"leaf_hashes", leaf_hashes, METH_O,
     "leaf_hashes(entries) -> list[bytes]: SHA-256(0x00 || entry) of each entry."},
    {"parents", parents, METH_O,
     "parents(hashes) -> list[bytes]: SHA-256(0x01 || left || right) of each consecutive pair of the "
     "32-byte hashes; an odd last hash is left out."},
    {"gather", gather, METH_VARARGS,
     "gather(levels, shifts, order, start, stop) -> bytes: the hashes levels[r][j + shifts[r]] for (r, j) "
     "in order[start:stop], joined (tiles.cut's assembly of a tile)."},
    {"extend_tiles", extend_tiles, METH_VARARGS,
     "extend_tiles(border, size, leaves) -> (list[bytes], dict[int, bytes]): the leaf hashes added to the "
     "tree of `size` leaves with right border `border`: the new border, and per tile key the bytes the "
     "batch adds to that tile."},
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
    init_tile_layout();
#ifdef HAVE_SHANI
    cpu_sha_extensions = cpu_has_sha_extensions();
#endif
    sha_extensions = cpu_sha_extensions;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddStringConstant(m, "OPENSSL_VERSION", OpenSSL_version(OPENSSL_VERSION)) < 0 ||
        PyModule_AddObjectRef(m, "CPU_HAS_SHA_EXTENSIONS", cpu_sha_extensions ? Py_True : Py_False) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
