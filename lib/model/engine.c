/* The small containers of the engine contract (engine.h). */
#include <stdlib.h>

#include "model/engine.h"

int sheaf__hits_push(sheaf__hits *h, uint32_t doc, double similarity)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        sheaf__hit *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return SHEAF_ENOMEM;
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n++] = (sheaf__hit){doc, similarity};
    return SHEAF_OK;
}

int sheaf__buf_reserve(sheaf__buf *b, size_t n)
{
    if (n <= b->cap - b->n)
        return SHEAF_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->n < n) {
        if (cap > SIZE_MAX / 2)
            return SHEAF_ERANGE;
        cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        return SHEAF_ENOMEM;
    b->p = p;
    b->cap = cap;
    return SHEAF_OK;
}
