/* The choice of LSH banding for a threshold (sheaf_params_choose_bands). */
#include <math.h>

#include "common/error.h"
#include "common/params.h"
#include "near/near.h"
#include "sheaf.h"

/* Candidates are verified on their estimated similarity, so a spurious
 * candidate costs one comparison while a miss loses a pair for good: weigh
 * misses 19 times as much. Chosen on tests/test_quality.c: at 0.75/0.25,
 * recall of pairs above 0.5 was 0.967; at 0.95/0.05, 0.982-0.988 over three
 * corpora, for about 20% more candidates. */
#define WEIGHT_MISS 0.95
#define WEIGHT_SPURIOUS 0.05
#define GRID 64 /* midpoints per side of the threshold */

/* Midpoint s of cell i of the grid: GRID cells on [0, t], GRID on [t, 1]. */
static double grid_point(double t, int i, double *ds)
{
    int upper = i >= GRID;
    double lo = upper ? t : 0.0, hi = upper ? 1.0 : t;
    *ds = (hi - lo) / GRID;
    return lo + ((i % GRID) + 0.5) * *ds;
}

/* For one value of rows, add to miss[b] and spurious[b] (b = 1..max_bands)
 * the integrals of 1 - P(s) over [t, 1] and of P(s) over [0, t], where
 * P(s) = 1 - (1 - s^rows)^b is the probability that two signatures of
 * similarity s share a band. power[i] holds s^rows for grid point i; powers
 * and (1 - s^rows)^b are built by repeated multiplication, so the whole
 * search needs no pow(). */
static void integrate_rows(double t, const double *power, uint32_t max_bands,
                           double *miss, double *spurious)
{
    for (int i = 0; i < 2 * GRID; i++) {
        double ds, none = 1.0; /* probability that no band matches */
        grid_point(t, i, &ds);
        for (uint32_t b = 1; b <= max_bands; b++) {
            none *= 1.0 - power[i];
            if (i >= GRID)
                miss[b] += none * ds;
            else
                spurious[b] += (1.0 - none) * ds;
        }
    }
}

void sheaf__choose_bands(const sheaf_params *p, uint32_t *bands,
                         uint32_t *rows)
{
    if (p->bands) {
        *bands = p->bands;
        *rows = p->rows;
        return;
    }
    uint32_t h = p->num_hashes, best_b = 1, best_r = h;
    double best = INFINITY;
    double miss[SHEAF_MAX_HASHES + 1], spurious[SHEAF_MAX_HASHES + 1];
    double power[2 * GRID], point[2 * GRID], ds;
    for (int i = 0; i < 2 * GRID; i++) {
        point[i] = grid_point(p->threshold, i, &ds);
        power[i] = 1.0;
    }
    for (uint32_t r = 1; r <= h; r++) {
        for (int i = 0; i < 2 * GRID; i++)
            power[i] *= point[i];
        uint32_t max_b = h / r;
        for (uint32_t b = 1; b <= max_b; b++)
            miss[b] = spurious[b] = 0.0;
        integrate_rows(p->threshold, power, max_b, miss, spurious);
        for (uint32_t b = 1; b <= max_b; b++) {
            double cost = WEIGHT_MISS * miss[b] + WEIGHT_SPURIOUS * spurious[b];
            if (cost < best) {
                best = cost;
                best_b = b;
                best_r = r;
            }
        }
    }
    *bands = best_b;
    *rows = best_r;
}

int sheaf_params_choose_bands(const sheaf_params *in, uint32_t *bands,
                              uint32_t *rows)
{
    sheaf_params p;
    int rc = sheaf__params_load(in, &p);
    if (rc == SHEAF_OK && (!bands || !rows))
        rc = sheaf__fail(SHEAF_EINVAL, "choose_bands: NULL output");
    if (rc == SHEAF_OK)
        sheaf__choose_bands(&p, bands, rows);
    return sheaf__ret(rc);
}
