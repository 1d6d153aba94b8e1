/* SPDX-License-Identifier: BSD-3-Clause */
/* Tasks, futures, promises and every error path of theirs. */
#include <string.h>

#include "helpers.h"

static intptr_t ret_arg(void *arg)
{
	return (intptr_t)arg;
}

static void spawn_and_await(void **state)
{
	struct tern_sched *s = mk_sched(false);

	assert_int_equal(run_task(s, ret_arg, (void *)42), 42);
	assert_int_equal(run_task(s, ret_arg, (void *)(intptr_t)-EIO), -EIO);
	end_sched(s);
}

/* ---- eager start: a child runs up to its first await inside spawn ---- */

static int order[8], n_order;

static intptr_t child_marks(void *arg)
{
	order[n_order++] = 2;
	tern_yield();
	order[n_order++] = 4;
	return 7;
}

static intptr_t parent_eager(void *arg)
{
	tern_task_t c;

	order[n_order++] = 1;
	assert_int_equal(tern_task_spawn(child_marks, NULL, NULL, &c), 0);
	order[n_order++] = 3; /* the child yielded back to us */
	intptr_t r = tern_task_await(c, TERN_TOKEN_NONE);
	order[n_order++] = 5;
	return r;
}

static void eager_start(void **state)
{
	struct tern_sched *s = mk_sched(false);

	n_order = 0;
	assert_int_equal(run_task(s, parent_eager, NULL), 7);
	assert_int_equal(n_order, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(order[i], i + 1);
	end_sched(s);
}

static intptr_t parent_defer(void *arg)
{
	tern_task_t c;

	n_order = 0;
	assert_int_equal(tern_task_spawn(child_marks, NULL,
					 &(struct tern_task_opts){ .flags = TERN_TASK_DEFER }, &c), 0);
	assert_int_equal(n_order, 0); /* queued, not started */
	return tern_task_await(c, TERN_TOKEN_NONE);
}

static void deferred_start(void **state)
{
	struct tern_sched *s = mk_sched(false);

	assert_int_equal(run_task(s, parent_defer, NULL), 7);
	end_sched(s);
}

/* ---- yield: FIFO among ready tasks ---- */

static char trace[64];
static int n_trace;

static intptr_t yielder(void *arg)
{
	for (int i = 0; i < 3; i++) {
		trace[n_trace++] = (char)(intptr_t)arg;
		assert_int_equal(tern_yield(), 0);
	}
	return 0;
}

static void yield_round_robin(void **state)
{
	struct tern_sched *s = mk_sched(false);
	tern_task_t a, b;

	n_trace = 0;
	assert_int_equal(tern_task_spawn(yielder, (void *)'a', &(struct tern_task_opts){ .sched = s }, &a), 0);
	assert_int_equal(tern_task_spawn(yielder, (void *)'b', &(struct tern_task_opts){ .sched = s }, &b), 0);
	tern_sched_run_until_idle(s, 1000);
	trace[n_trace] = '\0';
	assert_string_equal(trace, "ababab");
	assert_int_equal(tern_task_await(a, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_task_await(b, TERN_TOKEN_NONE), 0);
	end_sched(s);
}

/* ---- promises ---- */

static tern_promise_t gp;

static intptr_t awaits_gp(void *arg)
{
	return tern_await(tern_promise_future(gp), TERN_TOKEN_NONE);
}

static intptr_t completes_gp(void *arg)
{
	return tern_promise_complete(gp, (intptr_t)arg);
}

static intptr_t promise_between_tasks(void *arg)
{
	tern_task_t w, c;

	assert_int_equal(tern_promise_create(&gp), 0);
	assert_int_equal(tern_task_spawn(awaits_gp, NULL, NULL, &w), 0);
	assert_false(tern_future_done(tern_task_future(w)));
	assert_int_equal(tern_task_spawn(completes_gp, (void *)99, NULL, &c), 0);
	assert_int_equal(tern_task_await(c, TERN_TOKEN_NONE), 0);
	return tern_task_await(w, TERN_TOKEN_NONE);
}

static void promise_completes_waiter(void **state)
{
	struct tern_sched *s = mk_sched(false);

	assert_int_equal(run_task(s, promise_between_tasks, NULL), 99);
	end_sched(s);
}

/* A poller (not a task) completes the promise: TaskCompletionSource. */
static int poll_count;

static int completing_poller(void *arg)
{
	/* Busy (returns 1) for three rounds, then completes the promise. */
	if (++poll_count == 3)
		return tern_promise_complete(gp, 5) == 0;
	return poll_count < 3;
}

static intptr_t make_and_await(void *arg)
{
	assert_int_equal(tern_promise_create(&gp), 0);
	return tern_await(tern_promise_future(gp), TERN_TOKEN_NONE);
}

static void promise_from_poller(void **state)
{
	struct tern_sched *s = mk_sched(false);

	poll_count = 0;
	assert_true(tern_sched_add_poller(s, &(struct tern_poller){ "p", completing_poller, NULL }) >= 0);
	assert_int_equal(run_task(s, make_and_await, NULL), 5);
	end_sched(s);
}

static intptr_t ready_paths(void *arg)
{
	tern_promise_t p;

	assert_int_equal(tern_await(tern_future_ready(17), TERN_TOKEN_NONE), 17);
	assert_int_equal(tern_promise_create(&p), 0);
	assert_int_equal(tern_promise_complete(p, 3), 0);
	tern_future_t f = tern_promise_future(p);
	assert_true(tern_future_done(f));
	return tern_await(f, TERN_TOKEN_NONE); /* no switch: already complete */
}

static void await_ready(void **state)
{
	struct tern_sched *s = mk_sched(false);
	struct tern_sched_stats a, b;

	tern_sched_stats(s, &a);
	assert_int_equal(run_task(s, ready_paths, NULL), 3);
	tern_sched_stats(s, &b);
	/* One resumption: the task ran through without suspending. */
	assert_int_equal(b.tasks_run - a.tasks_run, 1);
	end_sched(s);
}

/* ---- caller bugs ---- */

static intptr_t double_await(void *arg)
{
	tern_promise_t p, q;

	assert_int_equal(tern_promise_create(&p), 0);
	tern_future_t f = tern_promise_future(p);
	assert_int_equal(tern_promise_complete(p, 1), 0);
	assert_int_equal(tern_promise_complete(p, 2), -EALREADY); /* consumed? no: done */
	assert_int_equal(tern_await(f, TERN_TOKEN_NONE), 1);
	assert_int_equal(tern_await(f, TERN_TOKEN_NONE), -EALREADY);
	assert_int_equal(tern_promise_complete(p, 3), -EALREADY);
	/* The record is reused by the next promise: the old handles go stale. */
	assert_int_equal(tern_promise_create(&q), 0);
	assert_ptr_equal(q.rec, p.rec);
	assert_int_equal(tern_await(f, TERN_TOKEN_NONE), -ESTALE);
	assert_int_equal(tern_promise_complete(p, 4), -ESTALE);
	assert_int_equal(tern_future_drop(tern_promise_future(q)), 0);
	assert_int_equal(tern_promise_complete(q, 0), 0); /* released now */
	return 0;
}

static void double_await_and_complete(void **state)
{
	struct tern_sched *s = mk_sched(false);
	struct tern_sched_stats st;

	assert_int_equal(run_task(s, double_await, NULL), 0);
	tern_sched_stats(s, &st);
	assert_int_equal(st.misuse, 5);
	end_sched(s);
}

static intptr_t two_awaiters_first(void *arg)
{
	return tern_await(tern_promise_future(gp), TERN_TOKEN_NONE);
}

static intptr_t two_awaiters(void *arg)
{
	tern_task_t a;

	assert_int_equal(tern_promise_create(&gp), 0);
	assert_int_equal(tern_task_spawn(two_awaiters_first, NULL, NULL, &a), 0);
	/* a second consumer of the same pending record is refused */
	assert_int_equal(tern_await(tern_promise_future(gp), TERN_TOKEN_NONE), -EALREADY);
	assert_int_equal(tern_future_drop(tern_promise_future(gp)), -EBUSY);
	assert_int_equal(tern_promise_complete(gp, 8), 0);
	return tern_task_await(a, TERN_TOKEN_NONE);
}

static void second_awaiter_refused(void **state)
{
	struct tern_sched *s = mk_sched(false);

	assert_int_equal(run_task(s, two_awaiters, NULL), 8);
	end_sched(s);
}

static tern_task_t self_handle;

static intptr_t awaits_self(void *arg)
{
	tern_yield(); /* let the spawner store our handle */
	return tern_task_await(self_handle, TERN_TOKEN_NONE);
}

static void self_await_deadlock(void **state)
{
	struct tern_sched *s = mk_sched(false);

	assert_int_equal(tern_task_spawn(awaits_self, NULL, &(struct tern_task_opts){ .sched = s },
					 &self_handle), 0);
	tern_sched_run_until_idle(s, 100);
	assert_int_equal(tern_task_await(self_handle, TERN_TOKEN_NONE), -EDEADLK);
	end_sched(s);
}

static intptr_t yield_once(void *arg)
{
	tern_yield();
	return 3;
}

static void outside_a_task(void **state)
{
	struct tern_sched *s = mk_sched(false);
	tern_promise_t p;
	tern_task_t t;

	assert_int_equal(tern_yield(), -EPERM);
	assert_int_equal(tern_promise_create(&p), -EPERM);
	assert_int_equal(tern_task_spawn(ret_arg, NULL, NULL, &t), -EPERM);
	assert_null(tern_task_name());
	assert_false(tern_in_task());
	/* A pending future awaited by a non-task: -EPERM, never a block. */
	assert_int_equal(tern_task_spawn(yield_once, NULL, &(struct tern_task_opts){ .sched = s }, &t), 0);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), -EPERM);
	tern_sched_run_until_idle(s, 100);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 3); /* still valid */
	end_sched(s);
}

static void spawn_bad_args(void **state)
{
	struct tern_sched *s = mk_sched(false);
	tern_task_t t;

	assert_int_equal(tern_task_spawn(NULL, NULL, &(struct tern_task_opts){ .sched = s }, &t), -EINVAL);
	assert_int_equal(tern_task_spawn(ret_arg, NULL, &(struct tern_task_opts){ .sched = s }, NULL), -EINVAL);
	assert_int_equal(tern_task_spawn(ret_arg, NULL, &(struct tern_task_opts){ .sched = s, .stack_size = 1 }, &t), -EINVAL);
	assert_int_equal(tern_task_spawn(ret_arg, NULL, &(struct tern_task_opts){ .sched = s, .stack_size = SIZE_MAX }, &t), -EINVAL);
	assert_int_equal(tern_task_spawn(ret_arg, NULL, &(struct tern_task_opts){ .sched = s, .stack_size = TERN_STACK_MAX + 1 }, &t), -EINVAL);
	/* 0 is the options-struct default (32 KiB), not an error. */
	assert_int_equal(tern_task_spawn(ret_arg, (void *)1, &(struct tern_task_opts){ .sched = s, .stack_size = 0 }, &t), 0);
	tern_sched_run_until_idle(s, 10);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 1);
	struct tern_sched_opts bad = { .default_stack_size = 100 };
	struct tern_sched *s2 = NULL;
	assert_int_equal(tern_sched_create(&bad, &s2), -EINVAL);
	assert_int_equal(tern_sched_create(NULL, NULL), -EINVAL);
	end_sched(s);
}

/* A task with a 1 MiB stack may use most of it. */
static intptr_t deep(void *arg)
{
	volatile char buf[900 * 1024];

	memset((char *)buf, 1, sizeof(buf));
	return buf[12345];
}

static void big_stack(void **state)
{
	struct tern_sched *s = mk_sched(false);
	tern_task_t t;

	assert_int_equal(tern_task_spawn(deep, NULL, &(struct tern_task_opts){ .sched = s, .stack_size = 1 << 20 }, &t), 0);
	tern_sched_run_until_idle(s, 10);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 1);
	end_sched(s);
}

/* ---- detached tasks and the unobserved-failure policy ---- */

static int hook_calls;
static intptr_t hook_err;
static char hook_name[32];

static void hook(const char *name, intptr_t err, void *arg)
{
	hook_calls++;
	hook_err = err;
	strncpy(hook_name, name, sizeof(hook_name) - 1);
	assert_ptr_equal(arg, &hook_calls);
}

static void unobserved_hook(void **state)
{
	struct tern_sched *s = mk_sched_opts((struct tern_sched_opts){
		.unobserved = TERN_UNOBSERVED_HOOK, .unobserved_hook = hook, .unobserved_arg = &hook_calls });
	struct tern_sched_stats st;
	tern_task_t t;

	hook_calls = 0;
	/* detached at spawn, fails */
	assert_int_equal(tern_task_spawn(ret_arg, (void *)(intptr_t)-ENOBUFS,
					 &(struct tern_task_opts){ .sched = s, .name = "lost", .flags = TERN_TASK_DETACHED }, NULL), 0);
	/* detached at spawn, succeeds: not a failure */
	assert_int_equal(tern_task_spawn(ret_arg, (void *)1,
					 &(struct tern_task_opts){ .sched = s, .flags = TERN_TASK_DETACHED }, NULL), 0);
	tern_sched_run_until_idle(s, 10);
	assert_int_equal(hook_calls, 1);
	assert_int_equal(hook_err, -ENOBUFS);
	assert_string_equal(hook_name, "lost");
	/* detached after it failed */
	assert_int_equal(tern_task_spawn(ret_arg, (void *)(intptr_t)-EPIPE, &(struct tern_task_opts){ .sched = s, .name = "late" }, &t), 0);
	tern_sched_run_until_idle(s, 10);
	assert_int_equal(tern_task_detach(t), 0);
	assert_int_equal(hook_calls, 2);
	assert_int_equal(hook_err, -EPIPE);
	assert_int_equal(tern_task_detach(t), -EALREADY);
	tern_sched_stats(s, &st);
	assert_int_equal(st.unobserved, 2);
	end_sched(s);
}

static void unobserved_log_counts(void **state)
{
	struct tern_sched *s = mk_sched_opts((struct tern_sched_opts){ .unobserved = TERN_UNOBSERVED_LOG });
	struct tern_sched_stats st;

	/* mk_sched_opts keeps an explicit LOG policy */
	assert_int_equal(tern_task_spawn(ret_arg, (void *)(intptr_t)-EIO,
					 &(struct tern_task_opts){ .sched = s, .flags = TERN_TASK_DETACHED }, NULL), 0);
	tern_sched_run_until_idle(s, 10);
	tern_sched_stats(s, &st);
	assert_int_equal(st.unobserved, 1);
	end_sched(s);
}

/* ---- tern_park / tern_unpark ---- */

/* A list of one parked task, as code outside the runtime keeps it. */
static struct {
	struct tern_parked *linked;  /* NULL: nobody parked */
	int withdrawn;
	intptr_t got;
	bool done;
} P;

static void park_withdraw(struct tern_parked *p)
{
	assert_ptr_equal(p, P.linked);
	P.linked = NULL;
	P.withdrawn++;
}

static intptr_t parker(void *arg)
{
	struct tern_parked p;
	tern_token_t tok = arg ? *(tern_token_t *)arg : TERN_TOKEN_NONE;

	P.linked = &p;
	P.got = tern_park(&p, park_withdraw, tok);
	P.done = true;
	return 0;
}

/* Unparks the one parked, from a task of the same core. */
static intptr_t unparker(void *arg)
{
	struct tern_parked *p = P.linked;

	P.linked = NULL;
	return tern_unpark(p, (intptr_t)arg);
}

static tern_task_t spawn_on(struct tern_sched *s, tern_task_fn fn, void *arg)
{
	tern_task_t t;

	assert_int_equal(tern_task_spawn(fn, arg, &(struct tern_task_opts){ .sched = s }, &t), 0);
	return t;
}

/* Parked until unparked, with the waker's value; a second unpark and an
 * unpark of a never-parked one are refused. */
static void park_unpark(void **state)
{
	struct tern_sched *s = mk_sched(false);
	struct tern_parked never = { 0 };
	tern_task_t a, b;

	memset(&P, 0, sizeof(P));
	a = spawn_on(s, parker, NULL);
	tern_sched_run_until_idle(s, 100);
	assert_false(P.done);
	assert_non_null(P.linked);
	b = spawn_on(s, unparker, (void *)(intptr_t)77);
	tern_sched_run_until_idle(s, 100);
	assert_int_equal(tern_task_await(b, TERN_TOKEN_NONE), 0);
	assert_true(P.done);
	assert_int_equal(P.got, 77);
	assert_int_equal(P.withdrawn, 0);
	assert_int_equal(tern_task_await(a, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_unpark(&never, 1), -EINVAL);
	assert_int_equal(tern_unpark(NULL, 1), -EINVAL);
	end_sched(s);
}

static intptr_t cancel_it(void *arg)
{
	return tern_cancel(*(tern_cancel_t *)arg);
}

static intptr_t make_source(void *arg)
{
	return tern_cancel_create(arg);
}

static intptr_t dispose_source(void *arg)
{
	tern_cancel_dispose(*(tern_cancel_t *)arg);
	return 0;
}

/* A cancellation source on s, and a task parked with its token (*tok,
 * which the caller keeps); P reset. */
static tern_task_t park_on_source(struct tern_sched *s, tern_cancel_t *c, tern_token_t *tok)
{
	tern_task_t a;

	memset(&P, 0, sizeof(P));
	assert_int_equal(run_task(s, make_source, c), 0);
	*tok = tern_cancel_token(*c);
	a = spawn_on(s, parker, tok);
	tern_sched_run_until_idle(s, 100);
	assert_false(P.done);
	assert_non_null(P.linked);
	return a;
}

/* The token fires: withdraw runs once, before the task is woken with
 * -ECANCELED; an unpark after is refused. A token that fired before the
 * call: withdraw at once, -ECANCELED without a switch. A deadline: the
 * same with -ETIMEDOUT. */
static void park_cancelled(void **state)
{
	struct tern_sched *s = mk_sched(true);
	tern_cancel_t c;
	tern_token_t tok;
	tern_task_t a = park_on_source(s, &c, &tok), b;

	b = spawn_on(s, cancel_it, &c);
	tern_sched_run_until_idle(s, 100);
	assert_int_equal(tern_task_await(b, TERN_TOKEN_NONE), 0);
	assert_true(P.done);
	assert_int_equal(P.got, -ECANCELED);
	assert_int_equal(P.withdrawn, 1);
	assert_null(P.linked);
	assert_int_equal(tern_task_await(a, TERN_TOKEN_NONE), 0);
	/* fired already */
	memset(&P, 0, sizeof(P));
	assert_int_equal(run_task(s, parker, &tok), 0);
	assert_int_equal(P.got, -ECANCELED);
	assert_int_equal(P.withdrawn, 1);
	assert_int_equal(run_task(s, dispose_source, &c), 0);
	/* a deadline */
	memset(&P, 0, sizeof(P));
	assert_int_equal(run_task(s, make_source, &c), 0);
	tok = tern_cancel_token(c);
	assert_int_equal(tern_cancel_after(c, 1000000), 0);
	a = spawn_on(s, parker, &tok);
	tern_sched_run_until_idle(s, 100);
	assert_false(P.done);
	assert_int_equal(tern_sched_advance(s, 2000000), 0);
	tern_sched_run_until_idle(s, 100);
	assert_true(P.done);
	assert_int_equal(P.got, -ETIMEDOUT);
	assert_int_equal(P.withdrawn, 1);
	assert_int_equal(tern_task_await(a, TERN_TOKEN_NONE), 0);
	assert_int_equal(run_task(s, dispose_source, &c), 0);
	end_sched(s);
}

/* Woken first: a token that fires before the task runs does not reach it
 * (no withdraw), and it returns the waker's value. */
static intptr_t unpark_then_cancel(void *arg)
{
	struct tern_parked *p = P.linked;

	P.linked = NULL;
	assert_int_equal(tern_unpark(p, 5), 0);
	return tern_cancel(*(tern_cancel_t *)arg);
}

static void park_woken_then_cancelled(void **state)
{
	struct tern_sched *s = mk_sched(false);
	tern_cancel_t c;
	tern_token_t tok;
	tern_task_t a = park_on_source(s, &c, &tok), b;

	b = spawn_on(s, unpark_then_cancel, &c);
	tern_sched_run_until_idle(s, 100);
	assert_int_equal(tern_task_await(b, TERN_TOKEN_NONE), 0);
	assert_int_equal(P.got, 5);
	assert_int_equal(P.withdrawn, 0);
	assert_int_equal(tern_task_await(a, TERN_TOKEN_NONE), 0);
	assert_int_equal(run_task(s, dispose_source, &c), 0);
	end_sched(s);
}

/* A second unpark before the parked task ran: refused, one wake only. */
static intptr_t unpark_twice(void *arg)
{
	struct tern_parked *p = P.linked;

	P.linked = NULL;
	assert_int_equal(tern_unpark(p, 3), 0);
	return tern_unpark(p, 4);
}

/* The token fires under the unparker's hands: the withdrawn one is not
 * woken again by an unpark that still holds it. */
static intptr_t cancel_then_unpark(void *arg)
{
	struct tern_parked *p = P.linked;

	assert_int_equal(tern_cancel(*(tern_cancel_t *)arg), 0);
	assert_int_equal(P.withdrawn, 1);
	return tern_unpark(p, 9);
}

/* Parks on a token that fired already; the parked record, still in scope,
 * refuses an unpark after the call returned. */
static intptr_t park_fired_then_unpark(void *arg)
{
	struct tern_parked p;

	P.linked = &p;
	P.got = tern_park(&p, park_withdraw, *(tern_token_t *)arg);
	return tern_unpark(&p, 1);
}

static void park_no_second_wake(void **state)
{
	struct tern_sched *s = mk_sched(false);
	tern_cancel_t c;
	tern_token_t tok;
	tern_task_t a = park_on_source(s, &c, &tok);

	assert_int_equal(run_task(s, unpark_twice, NULL), -EINVAL);
	assert_true(P.done);
	assert_int_equal(P.got, 3);
	assert_int_equal(P.withdrawn, 0);
	assert_int_equal(tern_task_await(a, TERN_TOKEN_NONE), 0);
	assert_int_equal(run_task(s, dispose_source, &c), 0);
	a = park_on_source(s, &c, &tok);
	assert_int_equal(run_task(s, cancel_then_unpark, &c), -EINVAL);
	assert_int_equal(P.got, -ECANCELED);
	assert_int_equal(tern_task_await(a, TERN_TOKEN_NONE), 0);
	memset(&P, 0, sizeof(P));
	assert_int_equal(run_task(s, park_fired_then_unpark, &tok), -EINVAL);
	assert_int_equal(P.got, -ECANCELED);
	assert_int_equal(P.withdrawn, 1);
	assert_int_equal(run_task(s, dispose_source, &c), 0);
	end_sched(s);
}

/* Outside a task, and NULL arguments. */
static intptr_t park_null(void *arg)
{
	assert_int_equal(tern_park(NULL, park_withdraw, TERN_TOKEN_NONE), -EINVAL);
	assert_int_equal(tern_park(arg, NULL, TERN_TOKEN_NONE), -EINVAL);
	return 0;
}

static void park_misuse(void **state)
{
	struct tern_sched *s = mk_sched(false);
	struct tern_parked p;

	assert_int_equal(tern_park(&p, park_withdraw, TERN_TOKEN_NONE), -EPERM);
	assert_int_equal(run_task(s, park_null, &p), 0);
	end_sched(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spawn_and_await),
		cmocka_unit_test(eager_start),
		cmocka_unit_test(deferred_start),
		cmocka_unit_test(yield_round_robin),
		cmocka_unit_test(promise_completes_waiter),
		cmocka_unit_test(promise_from_poller),
		cmocka_unit_test(await_ready),
		cmocka_unit_test(double_await_and_complete),
		cmocka_unit_test(second_awaiter_refused),
		cmocka_unit_test(self_await_deadlock),
		cmocka_unit_test(outside_a_task),
		cmocka_unit_test(spawn_bad_args),
		cmocka_unit_test(big_stack),
		cmocka_unit_test(unobserved_hook),
		cmocka_unit_test(unobserved_log_counts),
		cmocka_unit_test(park_unpark),
		cmocka_unit_test(park_cancelled),
		cmocka_unit_test(park_woken_then_cancelled),
		cmocka_unit_test(park_no_second_wake),
		cmocka_unit_test(park_misuse),
	};

	return cmocka_run_group_tests_name("sched_task", tests, NULL, NULL);
}
