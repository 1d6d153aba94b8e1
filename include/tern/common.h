/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Conventions shared by every tern header.
 *
 * Errors: functions returning `int` return 0 or a negative errno; burst
 * functions return a count; awaiting calls return an `intptr_t` that is the
 * awaited value (>= 0) or a negative errno. Constructors are
 * `int tern_x_create(..., struct tern_x **out)`.
 */
#ifndef TERN_COMMON_H
#define TERN_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define TERN_BEGIN_DECLS extern "C" {
#define TERN_END_DECLS }
#else
#define TERN_BEGIN_DECLS
#define TERN_END_DECLS
#endif

#define TERN_LIKELY(x) __builtin_expect(!!(x), 1)
#define TERN_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TERN_CACHE_LINE 64
#define TERN_NODISCARD __attribute__((warn_unused_result))

/** Longest delay or deadline any tern call accepts: 1 year, in ns. Larger
 *  values (including negative durations cast to uint64_t) get -EINVAL. */
#define TERN_MAX_DELAY_NS (UINT64_C(365) * 24 * 3600 * 1000000000)

#endif
