/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Logging. tern logs through one sink per process (stderr by default) so an
 * application can route tern's messages into its own log.
 */
#ifndef TERN_LOG_H
#define TERN_LOG_H

#include <stdarg.h>

#include <tern/common.h>

TERN_BEGIN_DECLS

enum tern_log_level {
	TERN_LOG_ERR = 3,
	TERN_LOG_WARN = 4,
	TERN_LOG_INFO = 6,
	TERN_LOG_DEBUG = 7,
};

/**
 * A log sink. @p msg is a complete line without the trailing newline; it is
 * valid only during the call.
 */
typedef void (*tern_log_fn)(enum tern_log_level level, const char *msg, void *arg);

/**
 * Routes tern's log lines to @p fn (NULL restores the stderr sink) and drops
 * lines above @p max_level. Call before starting cores: the sink is read
 * without locking. Never fails.
 */
void tern_log_set_sink(tern_log_fn fn, void *arg, enum tern_log_level max_level);

/** Logs one line through the sink. Safe from any thread. */
void tern_log(enum tern_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

TERN_END_DECLS
#endif
