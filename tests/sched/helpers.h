/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared helpers for sched/ tests: a core per test, run a task to the end. */
#ifndef TERN_TESTS_SCHED_HELPERS_H
#define TERN_TESTS_SCHED_HELPERS_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <tern/tern.h>

/* A core whose caller bugs return errors (the tests check the codes) and
 * whose unobserved failures abort, so no failure in a test goes unseen. */
static inline struct tern_sched *mk_sched_opts(struct tern_sched_opts o)
{
	struct tern_sched *s = NULL;

	if (!o.misuse)
		o.misuse = TERN_MISUSE_RETURN;
	if (!o.unobserved && !o.unobserved_hook)
		o.unobserved = TERN_UNOBSERVED_ABORT;
	assert_int_equal(tern_sched_create(&o, &s), 0);
	return s;
}

static inline struct tern_sched *mk_sched(bool virtual_clock)
{
	return mk_sched_opts((struct tern_sched_opts){ .virtual_clock = virtual_clock });
}

/* Spawns fn(arg) on s, runs s until idle (bounded), returns the result. */
static inline intptr_t run_task(struct tern_sched *s, tern_task_fn fn, void *arg)
{
	tern_task_t t;

	assert_int_equal(tern_task_spawn(fn, arg, &(struct tern_task_opts){ .sched = s, .name = "test" },
					 &t), 0);
	assert_true(tern_sched_run_until_idle(s, 1000000) > 0);
	assert_true(tern_future_done(tern_task_future(t)));
	return tern_task_await(t, TERN_TOKEN_NONE);
}

/* Checks nothing is left behind, then destroys s. */
static inline void end_sched(struct tern_sched *s)
{
	struct tern_sched_stats st;

	tern_sched_stats(s, &st);
	assert_int_equal(st.tasks_live, 0);
	assert_int_equal(st.records_live, 0);
	tern_sched_destroy(s);
}

#endif
