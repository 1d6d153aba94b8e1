/* SPDX-License-Identifier: BSD-3-Clause */
/* Paths that end the process, each run in a forked child whose stderr and
 * exit the parent checks: stack overflow, the abort policies. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

/* Runs fn in a child with stderr captured; returns its wait status. */
static int in_child(void (*fn)(void), char *err, size_t cap)
{
	int pfd[2];
	pid_t pid;
	int status = 0;
	size_t len = 0;
	ssize_t r;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], STDERR_FILENO);
		close(pfd[0]);
		fn();
		_exit(0);
	}
	close(pfd[1]);
	while (len < cap - 1 && (r = read(pfd[0], err + len, cap - 1 - len)) > 0)
		len += (size_t)r;
	err[len] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

__attribute__((noinline)) static int recurse(int n)
{
	volatile char pad[512];

	pad[0] = (char)n;
	return n <= 0 ? pad[0] : recurse(n - 1) + pad[0];
}

static intptr_t overflow(void *arg)
{
	return recurse(1 << 20); /* far beyond 16 KiB */
}

static void child_overflow(void)
{
	struct tern_sched *s = mk_sched(false);
	tern_task_t t;

	tern_task_spawn(overflow, NULL, &(struct tern_task_opts){ .sched = s, .name = "deep-recursion",
								  .stack_size = 16 * 1024 }, &t);
	tern_sched_run_until_idle(s, 10);
}

static void stack_overflow_named(void **state)
{
	char err[4096];
	int st = in_child(child_overflow, err, sizeof(err));

	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	assert_non_null(strstr(err, "task deep-recursion overflowed its 16 KiB stack"));
}

static intptr_t fails(void *arg)
{
	return -ECONNRESET;
}

/* One frame far larger than a page: without stack-clash probing (and with
 * a one-page guard) it stepped over the guard into the neighbouring stack
 * and corrupted it silently. */
__attribute__((noinline)) static int big_frame(void)
{
	volatile char big[40 * 1024];

	big[0] = 1;
	return big[0];
}

static intptr_t big_frame_task(void *arg)
{
	return big_frame();
}

static void child_big_frame(void)
{
	struct tern_sched *s = mk_sched(false);
	tern_task_t t, neighbour;

	/* a neighbour mapped just below, as in the review's reproducer */
	tern_task_spawn(fails, NULL, &(struct tern_task_opts){ .sched = s, .name = "neighbour" },
			&neighbour);
	tern_task_spawn(big_frame_task, NULL, &(struct tern_task_opts){ .sched = s, .name = "big-frame",
									.stack_size = 16 * 1024 }, &t);
	tern_sched_run_until_idle(s, 10);
}

static void big_frame_overflow_named(void **state)
{
	char err[4096];
	int st = in_child(child_big_frame, err, sizeof(err));

	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	assert_non_null(strstr(err, "task big-frame overflowed its 16 KiB stack"));
}


static void child_unobserved_abort(void)
{
	struct tern_sched *s = mk_sched_opts((struct tern_sched_opts){ .unobserved = TERN_UNOBSERVED_ABORT });

	tern_task_spawn(fails, NULL, &(struct tern_task_opts){ .sched = s, .name = "doomed",
							      .flags = TERN_TASK_DETACHED }, NULL);
	tern_sched_run_until_idle(s, 10);
}

static void unobserved_abort(void **state)
{
	char err[4096];
	int st = in_child(child_unobserved_abort, err, sizeof(err));

	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	assert_non_null(strstr(err, "detached task doomed failed"));
}

static intptr_t awaits_twice(void *arg)
{
	tern_promise_t p;

	tern_promise_create(&p);
	tern_promise_complete(p, 1);
	tern_await(tern_promise_future(p), TERN_TOKEN_NONE);
	return tern_await(tern_promise_future(p), TERN_TOKEN_NONE);
}

static void child_misuse_abort(void)
{
	struct tern_sched *s = mk_sched_opts((struct tern_sched_opts){ .misuse = TERN_MISUSE_ABORT });

	tern_task_spawn(awaits_twice, NULL, &(struct tern_task_opts){ .sched = s, .flags = TERN_TASK_DETACHED }, NULL);
	tern_sched_run_until_idle(s, 10);
}

/* Debug builds assert on caller bugs (TERN_MISUSE_DEFAULT); forcing the
 * ABORT policy checks the same path in every build. */
static void misuse_asserts(void **state)
{
	char err[4096];
	int st = in_child(child_misuse_abort, err, sizeof(err));

	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	assert_non_null(strstr(err, "caller bug"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stack_overflow_named),
		cmocka_unit_test(big_frame_overflow_named),
		cmocka_unit_test(unobserved_abort),
		cmocka_unit_test(misuse_asserts),
	};

	return cmocka_run_group_tests_name("sched_crash", tests, NULL, NULL);
}
