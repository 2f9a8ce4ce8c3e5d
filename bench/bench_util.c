/* Helpers shared by the benchmark clients: see bench_util.h. */
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_common.h"

#include "mc_banned.h"

void bench_stats_init(struct bench_stats *st)
{
    memset(st, 0, sizeof(*st));
}

void bench_stats_release(struct bench_stats *st)
{
    free(st->lat);
    memset(st, 0, sizeof(*st));
}

void bench_stats_add(struct bench_stats *st, uint64_t ns)
{
    if (st->nlat == st->cap) {
        if (st->cap >= BENCH_MAX_SAMPLES)
            return;
        st->cap = st->cap ? st->cap * 2 : 4096;
        st->lat = mc_realloc(st->lat, st->cap * sizeof(*st->lat));
    }
    st->lat[st->nlat++] = ns;
}

void bench_stats_fail(struct bench_stats *st, const char *why)
{
    st->errors++;
    if (!st->first_error[0])
        snprintf(st->first_error, sizeof(st->first_error), "%s", why);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

void bench_stats_sort(struct bench_stats *st)
{
    if (st->nlat > 1)
        qsort(st->lat, st->nlat, sizeof(*st->lat), cmp_u64);
}

double bench_pct_us(const struct bench_stats *st, double q)
{
    size_t rank;

    if (st->nlat == 0)
        return 0;
    rank = (size_t)(q * (double)st->nlat + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > st->nlat)
        rank = st->nlat;
    return (double)st->lat[rank - 1] / 1000.0;
}

void bench_record_print(cJSON *r)
{
    char *text = cJSON_PrintUnformatted(r);

    if (!text)
        abort();
    printf("%s\n", text);
    fflush(stdout);
    cJSON_free(text);
    cJSON_Delete(r);
}

int bench_parse_num(const char *prog, const char *flag, const char *s, uint64_t lo, uint64_t hi,
                    uint64_t *out)
{
    if (mc_parse_u64(s, out) != 0 || *out < lo || *out > hi) {
        fprintf(stderr, "%s: %s wants a number in %llu..%llu, got '%s'\n", prog, flag,
                (unsigned long long)lo, (unsigned long long)hi, s);
        return MC_EINVAL;
    }
    return 0;
}
