/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the toolkit tests (sync, chan, combinators). */
#ifndef TERN_TESTS_SCHED_TK_HELPERS_H
#define TERN_TESTS_SCHED_TK_HELPERS_H

#include "helpers.h"

#define MS 1000000ull

/* Spawns fn(arg) on s, queued: it runs at the next run(s). */
static inline tern_task_t spawn(struct tern_sched *s, tern_task_fn fn, void *arg)
{
	tern_task_t t;

	assert_int_equal(tern_task_spawn(fn, arg, &(struct tern_task_opts){ .sched = s }, &t), 0);
	return t;
}

/* Runs s until nothing is ready (bounded). */
static inline void run(struct tern_sched *s)
{
	tern_sched_run_until_idle(s, 1000000);
}

#endif
