/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <tern/log.h>

/* The process's one sink, set before cores start (documented in log.h). */
static tern_log_fn sink_fn;
static void *sink_arg;
static enum tern_log_level sink_max = TERN_LOG_INFO;

void tern_log_set_sink(tern_log_fn fn, void *arg, enum tern_log_level max_level)
{
	sink_fn = fn;
	sink_arg = arg;
	sink_max = max_level;
}

void tern_log(enum tern_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (level > sink_max)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (sink_fn) {
		sink_fn(level, line, sink_arg);
		return;
	}
	/* One write per line keeps lines from different cores whole. */
	char out[sizeof(line) + 8];
	int len = snprintf(out, sizeof(out), "tern: %s\n", line);
	if (len > (int)sizeof(out) - 1)
		len = (int)sizeof(out) - 1;
	ssize_t w = write(STDERR_FILENO, out, (size_t)len);
	(void)w;
}
