/*
 * The byte formats of a stored index. Integers are little-endian, written
 * byte by byte, so a store moves between platforms; every record ends
 * with the XXH3 of the bytes before it.
 *
 * Parameters (table "meta", key "params"):
 *   format 2: "sheafidx" u32 2, u32 mode, shingle kind, shingle size,
 *   scheme, num_hashes, u64 seed, f64 threshold, u32 bands, rows,
 *   i64 window, f64 contrast, u64 checksum (96 bytes);
 *   format 1 (sheaf 0.2, near mode only): the same up to window.
 * Article (table "docs", key: u64 seq big-endian):
 *   format 2: u8 2, u8 0, i64 time, u32 id length, u32 cluster length,
 *   u32 payload length, id, cluster, payload (the engine's, see
 *   near/engine.c and story/state.c), u64 checksum;
 *   format 1: u8 1, u8 flags, u16 num_hashes, i64 time, u32 id length,
 *   u32 cluster length, u16 values[num_hashes], id, cluster, u64 checksum.
 */
#include <string.h>

#include "common/bytes.h"
#include "store/store.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

static const char MAGIC[8] = {'s', 'h', 'e', 'a', 'f', 'i', 'd', 'x'};
#define FORMAT 2u
#define PARAMS_V1 (8 + 4 + 5 * 4 + 8 + 8 + 2 * 4 + 8 + 8)
#define PARAMS_V2 (PARAMS_V1 + 8)

static void put_f64(uint8_t *p, double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    sheaf__put_u64(p, bits);
}

static double get_f64(const uint8_t *p)
{
    uint64_t bits = sheaf__get_u64(p);
    double x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

static int sound(const uint8_t *b, size_t n)
{
    return n >= 8 && sheaf__get_u64(b + n - 8) == XXH3_64bits(b, n - 8);
}

size_t sheaf__record_params(const sheaf_params *p, uint8_t *b)
{
    uint8_t *q = b + 12;
    memcpy(b, MAGIC, sizeof MAGIC);
    sheaf__put_u32(b + 8, FORMAT);
    sheaf__put_u32(q, (uint32_t)p->mode);
    sheaf__put_u32(q + 4, (uint32_t)p->shingle_kind);
    sheaf__put_u32(q + 8, p->shingle_size);
    sheaf__put_u32(q + 12, (uint32_t)p->scheme);
    sheaf__put_u32(q + 16, p->num_hashes);
    sheaf__put_u64(q + 20, p->seed);
    put_f64(q + 28, p->threshold);
    sheaf__put_u32(q + 36, p->bands);
    sheaf__put_u32(q + 40, p->rows);
    sheaf__put_u64(q + 44, (uint64_t)p->window);
    put_f64(q + 52, p->contrast);
    sheaf__put_u64(b + PARAMS_V2 - 8, XXH3_64bits(b, PARAMS_V2 - 8));
    return PARAMS_V2;
}

int sheaf__record_read_params(const uint8_t *b, size_t n, sheaf_params *p)
{
    if (n < 12 || memcmp(b, MAGIC, sizeof MAGIC) != 0 || !sound(b, n))
        return SHEAF_ECORRUPT;
    uint32_t format = sheaf__get_u32(b + 8);
    if (format != 1 && format != FORMAT)
        return SHEAF_EMISMATCH;
    if (n != (format == 1 ? PARAMS_V1 : PARAMS_V2))
        return SHEAF_ECORRUPT;
    const uint8_t *q = b + 12;
    sheaf_params_init_mode(p, (sheaf_mode)sheaf__get_u32(q));
    p->shingle_kind = (sheaf_shingle_kind)sheaf__get_u32(q + 4);
    p->shingle_size = sheaf__get_u32(q + 8);
    p->scheme = (sheaf_scheme)sheaf__get_u32(q + 12);
    p->num_hashes = sheaf__get_u32(q + 16);
    p->seed = sheaf__get_u64(q + 20);
    p->threshold = get_f64(q + 28);
    p->bands = sheaf__get_u32(q + 36);
    p->rows = sheaf__get_u32(q + 40);
    p->window = (int64_t)sheaf__get_u64(q + 44);
    if (format == 1 && p->mode != SHEAF_MODE_NEAR)
        return SHEAF_ECORRUPT; /* 0.2 stored only near mode */
    if (format == FORMAT)
        p->contrast = get_f64(q + 52);
    return sheaf_params_validate(p) == SHEAF_OK ? SHEAF_OK : SHEAF_ECORRUPT;
}

#define DOC_HEADER 22
#define V1_HEADER 20
#define V1_SHINGLES 1u

size_t sheaf__record_doc_size(const sheaf__stored_doc *d)
{
    return DOC_HEADER + d->id_len + d->cluster_len + d->payload_len + 8;
}

void sheaf__record_doc(const sheaf__stored_doc *d, uint8_t *b)
{
    size_t body = sheaf__record_doc_size(d) - 8;
    b[0] = (uint8_t)FORMAT;
    b[1] = 0;
    sheaf__put_u64(b + 2, (uint64_t)d->time);
    sheaf__put_u32(b + 10, (uint32_t)d->id_len);
    sheaf__put_u32(b + 14, (uint32_t)d->cluster_len);
    sheaf__put_u32(b + 18, (uint32_t)d->payload_len);
    uint8_t *q = b + DOC_HEADER;
    memcpy(q, d->id, d->id_len);
    memcpy(q + d->id_len, d->cluster, d->cluster_len);
    if (d->payload_len)
        memcpy(q + d->id_len + d->cluster_len, d->payload, d->payload_len);
    sheaf__put_u64(b + body, XXH3_64bits(b, body));
}

/* Format 1: its flags, count and values become the near payload
 * [u8 flags][u16 n][u16 values...]. */
static int read_v1(const uint8_t *b, size_t body, uint8_t *scratch,
                   sheaf__stored_doc *d)
{
    if (body < V1_HEADER || (b[1] & ~V1_SHINGLES))
        return SHEAF_ECORRUPT;
    uint32_t hashes = sheaf__get_u16(b + 2);
    d->time = (int64_t)sheaf__get_u64(b + 4);
    d->id_len = sheaf__get_u32(b + 12);
    d->cluster_len = sheaf__get_u32(b + 16);
    /* In 64 bits: the lengths come from the file, and must not wrap a
     * 32-bit size_t into agreeing with the record's size. */
    if (hashes > SHEAF_MAX_HASHES ||
        V1_HEADER + 2 * (uint64_t)hashes + (uint64_t)d->id_len +
                (uint64_t)d->cluster_len != (uint64_t)body)
        return SHEAF_ECORRUPT;
    scratch[0] = b[1];
    memcpy(scratch + 1, b + 2, 2);
    memcpy(scratch + 3, b + V1_HEADER, 2 * (size_t)hashes);
    d->payload = scratch;
    d->payload_len = 3 + 2 * (size_t)hashes;
    d->id = (const char *)b + V1_HEADER + 2 * (size_t)hashes;
    d->cluster = d->id + d->id_len;
    return SHEAF_OK;
}

int sheaf__record_read_doc(uint64_t seq, const uint8_t *b, size_t n,
                           uint8_t *scratch, sheaf__stored_doc *d)
{
    if (n < 9 || !sound(b, n))
        return SHEAF_ECORRUPT;
    size_t body = n - 8;
    d->seq = seq;
    if (b[0] == 1)
        return read_v1(b, body, scratch, d);
    if (b[0] != FORMAT)
        return SHEAF_EMISMATCH;
    if (body < DOC_HEADER || b[1] != 0)
        return SHEAF_ECORRUPT;
    d->time = (int64_t)sheaf__get_u64(b + 2);
    d->id_len = sheaf__get_u32(b + 10);
    d->cluster_len = sheaf__get_u32(b + 14);
    d->payload_len = sheaf__get_u32(b + 18);
    if (DOC_HEADER + (uint64_t)d->id_len + (uint64_t)d->cluster_len +
            (uint64_t)d->payload_len != (uint64_t)body)
        return SHEAF_ECORRUPT;
    d->id = (const char *)b + DOC_HEADER;
    d->cluster = d->id + d->id_len;
    d->payload = (const uint8_t *)d->cluster + d->cluster_len;
    return SHEAF_OK;
}
