/*
 * What the benchmark clients in bench/ share: latency samples and their
 * percentiles, one JSON record per measurement on stdout, and bounded number
 * options. Every client reports numbers and never asserts them.
 */
#ifndef MC_BENCH_UTIL_H
#define MC_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define BENCH_MAX_SAMPLES (16u << 20)   /* latency samples kept per measurement */

/* One measurement's counters; the samples are latencies in ns. */
struct bench_stats {
    uint64_t ok;
    uint64_t errors;
    uint64_t *lat;
    size_t nlat;
    size_t cap;
    char first_error[256];
};

void bench_stats_init(struct bench_stats *st);
void bench_stats_release(struct bench_stats *st);
/* Keeps a sample while under BENCH_MAX_SAMPLES (enough for minutes of load). */
void bench_stats_add(struct bench_stats *st, uint64_t ns);
/* Counts an error; the first one's text is kept for the record. */
void bench_stats_fail(struct bench_stats *st, const char *why);
/* Sorts the samples: call once before bench_pct_us. */
void bench_stats_sort(struct bench_stats *st);
/* Nearest-rank percentile in µs of the sorted samples; 0 when there are none. */
double bench_pct_us(const struct bench_stats *st, double q);

/* Prints r as one line of JSON on stdout (flushed) and frees it. */
void bench_record_print(cJSON *r);

/* Parses a number in lo..hi for option flag; else a message naming prog on
 * stderr and MC_EINVAL. */
int bench_parse_num(const char *prog, const char *flag, const char *s, uint64_t lo, uint64_t hi,
                    uint64_t *out);

#endif
