/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The benchmarks' one EAL. DPDK's EAL starts once per process, and several
 * benchmark files need it (ports, rte_timer): each asks here, the first ask
 * starts it, and it is stopped at exit after every user's own tear-down
 * (users register their atexit handlers after bm_eal_get() succeeded, so
 * theirs run first).
 */
#ifndef TERN_BENCH_BM_EAL_H
#define TERN_BENCH_BM_EAL_H

/* 0 once the EAL runs on the current CPU only; the first call's error
 * (logged) on every call after a failure. */
int bm_eal_get(void);

#endif
