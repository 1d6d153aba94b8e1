/* SPDX-License-Identifier: BSD-3-Clause */
/* The timer wheel and tern_sleep, on the virtual clock: no test sleeps. */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define TICK 1024u

static void run(struct tern_sched *s)
{
	tern_sched_run_until_idle(s, 100000);
}

static intptr_t sleeper(void *arg)
{
	return tern_sleep((uint64_t)(uintptr_t)arg, TERN_TOKEN_NONE);
}

static void sleep_wakes_on_time(void **state)
{
	struct tern_sched *s = mk_sched(true);
	tern_task_t t;

	assert_int_equal(tern_task_spawn(sleeper, (void *)5000000, &(struct tern_task_opts){ .sched = s }, &t), 0);
	run(s);
	assert_false(tern_future_done(t.f));
	tern_sched_advance(s, 4999999);
	run(s);
	assert_false(tern_future_done(t.f)); /* never early */
	tern_sched_advance(s, TICK);
	run(s);
	assert_true(tern_future_done(t.f));
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	end_sched(s);
}

/* ---- many timers over every level, random steps: exact firing ---- */

#define NT 3000

struct probe {
	struct tern_timer tm;
	uint64_t due_ns, fired_ns;
	int fired, fired_round;
};

static struct tern_sched *cur;
static int cur_round;

static void probe_fired(struct tern_timer *t)
{
	struct probe *p = tern_timer_arg(t);

	p->fired++;
	p->fired_ns = tern_sched_now(cur);
	p->fired_round = cur_round;
}

static intptr_t arm_probes(void *arg)
{
	struct probe *ps = arg;

	for (int i = 0; i < NT; i++) {
		/* delays from 0 to ~70 s, log-spread so every level is used */
		uint64_t d = (uint64_t)rand() % (1ull << (rand() % 36));
		if (i % 100 == 0)
			d = 3600ull * 1000000000ull; /* an hour: level 5 or 6 */
		tern_timer_init(&ps[i].tm, probe_fired, &ps[i]);
		ps[i].due_ns = tern_sched_now(cur) + d;
		assert_int_equal(tern_timer_arm(&ps[i].tm, d), 0);
	}
	return 0;
}

static void fires_exactly_once_never_early(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct probe *ps = calloc(NT, sizeof(*ps));
	struct tern_sched_stats st;
	uint64_t step_max = 0;

	cur = s;
	srand(7);
	tern_sched_advance(s, 123456789); /* not aligned to anything */
	assert_int_equal(run_task(s, arm_probes, ps), 0);
	for (int k = 0; k < 4000; k++) {
		uint64_t step = (uint64_t)rand() % (1ull << (rand() % 34));
		if (step > step_max)
			step_max = step;
		uint64_t before = tern_sched_now(s);
		tern_sched_advance(s, step);
		cur_round = k + 1;
		tern_sched_run_once(s);
		for (int i = 0; i < NT; i++) {
			if (ps[i].fired && ps[i].fired_round == k + 1) {
				assert_true(ps[i].fired_ns >= ps[i].due_ns);       /* never early */
				/* and not late: due after the previous poll's tick */
				if (!(ps[i].due_ns + TICK > (before & ~(uint64_t)(TICK - 1))))
					fail_msg("timer %d due %llu fired at %llu, previous poll at %llu (k=%d)", i,
						 (unsigned long long)ps[i].due_ns, (unsigned long long)ps[i].fired_ns,
						 (unsigned long long)before, k);
			}
		}
	}
	tern_sched_advance(s, 3700ull * 1000000000ull);
	tern_sched_run_once(s);
	for (int i = 0; i < NT; i++) {
		assert_int_equal(ps[i].fired, 1);
		assert_true(ps[i].fired_ns >= ps[i].due_ns);
	}
	tern_sched_stats(s, &st);
	assert_int_equal(st.timers_live, 0);
	assert_int_equal(st.timers_fired, NT);
	/* each timer moves down at most 8 levels */
	assert_true(st.timers_cascaded <= 8ull * NT);
	free(ps);
	end_sched(s);
}

/* Expiring K timers does not touch the other N: O(K), not O(N). */
static intptr_t arm_far_and_near(void *arg)
{
	struct probe *ps = arg;

	for (int i = 0; i < 10000; i++) {
		tern_timer_init(&ps[i].tm, probe_fired, &ps[i]);
		assert_int_equal(tern_timer_arm(&ps[i].tm, 3600ull * 1000000000ull), 0);
	}
	for (int i = 10000; i < 10010; i++) {
		tern_timer_init(&ps[i].tm, probe_fired, &ps[i]);
		assert_int_equal(tern_timer_arm(&ps[i].tm, 1000000), 0);
	}
	return 0;
}

static void expiry_cost_is_o_k(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct probe *ps = calloc(10010, sizeof(*ps));
	struct tern_sched_stats a, b;

	cur = s;
	assert_int_equal(run_task(s, arm_far_and_near, ps), 0);
	tern_sched_stats(s, &a);
	tern_sched_advance(s, 2000000);
	tern_sched_run_once(s);
	tern_sched_stats(s, &b);
	assert_int_equal(b.timers_fired - a.timers_fired, 10);
	/* only the 10 near timers were moved, at most once per level */
	assert_true(b.timers_cascaded - a.timers_cascaded <= 10 * 8);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(tern_timer_cancel(&ps[i].tm), 0);
	free(ps);
	end_sched(s);
}

static int hits;

static void count_hit(struct tern_timer *t)
{
	hits++;
}

static intptr_t cancel_and_rearm(void *arg)
{
	struct tern_timer a, b;
	struct tern_timer *bt = arg;

	hits = 0;
	tern_timer_init(&a, count_hit, NULL);
	tern_timer_init(bt, count_hit, NULL);
	assert_int_equal(tern_timer_cancel(&a), -ENOENT);
	assert_int_equal(tern_timer_arm(&a, 1000), 0);
	assert_true(tern_timer_armed(&a));
	assert_int_equal(tern_timer_cancel(&a), 0);
	assert_false(tern_timer_armed(&a));
	assert_int_equal(tern_timer_cancel(&a), -ENOENT);
	assert_int_equal(tern_timer_arm(bt, 1000), 0);
	assert_int_equal(tern_timer_arm(bt, 50000), 0); /* moved later */
	/* bad input */
	assert_int_equal(tern_timer_arm(&a, TERN_MAX_DELAY_NS + 1), -EINVAL);
	assert_int_equal(tern_timer_arm(&a, (uint64_t)-5), -EINVAL); /* a negative duration */
	memset(&b, 0, sizeof(b));
	assert_int_equal(tern_timer_arm(&b, 10), -EINVAL);          /* never initialised */
	assert_int_equal(tern_sleep((uint64_t)-1, TERN_TOKEN_NONE), -EINVAL);
	return 0;
}

static void cancel_rearm_and_bad_input(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_timer b, outside;

	assert_int_equal(run_task(s, cancel_and_rearm, &b), 0);
	tern_sched_advance(s, 2000);
	run(s);
	assert_int_equal(hits, 0);
	tern_sched_advance(s, 50000);
	run(s);
	assert_int_equal(hits, 1);
	tern_timer_init(&outside, count_hit, NULL);
	assert_int_equal(tern_timer_arm(&outside, 10), -EPERM); /* no core here */
	assert_int_equal(tern_sleep(10, TERN_TOKEN_NONE), -EPERM);
	end_sched(s);
}

/* A callback re-arming its timer at delay 0 fires once per poll, also when
 * the timer came down by a cascade (a poll once looped forever on that). */
static int rearms;
static struct tern_timer self_rearm;

static void rearm_zero(struct tern_timer *t)
{
	rearms++;
	assert_int_equal(tern_timer_arm(t, 0), 0);
}

static int arm_poller(void *arg)
{
	if (!tern_timer_armed(&self_rearm) && rearms == 0)
		assert_int_equal(tern_timer_arm(&self_rearm, 65536), 0); /* level 1 */
	return 0;
}

static int arm_far(void *arg)
{
	struct probe *p = arg;

	if (!tern_timer_armed(&p->tm) && !p->fired) {
		p->due_ns = tern_sched_now(cur) + TERN_MAX_DELAY_NS;
		assert_int_equal(tern_timer_arm(&p->tm, TERN_MAX_DELAY_NS), 0);
	}
	return 0;
}

static void zero_delay_rearm_is_bounded(void **state)
{
	struct tern_sched *s = mk_sched(true);
	int id;

	rearms = 0;
	tern_timer_init(&self_rearm, rearm_zero, NULL);
	id = tern_sched_add_poller(s, &(struct tern_poller){ "arm", arm_poller, NULL });
	tern_sched_run_once(s);
	tern_sched_remove_poller(s, id);
	tern_sched_advance(s, 65536);
	tern_sched_run_once(s);
	assert_int_equal(rearms, 1);
	tern_sched_run_once(s);
	assert_int_equal(rearms, 2);
	assert_int_equal(tern_timer_cancel(&self_rearm), 0);
	end_sched(s);
}

/* Ten years of virtual clock, then a one-year timer: still filed inside
 * the wheel (it once overflowed past the last level) and fires on time. */
static void far_clock_stays_in_range(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct probe p = { 0 };
	int id;

	cur = s;
	for (int i = 0; i < 10; i++) {
		assert_int_equal(tern_sched_advance(s, TERN_MAX_DELAY_NS), 0);
		tern_sched_run_once(s);
	}
	tern_timer_init(&p.tm, probe_fired, &p);
	id = tern_sched_add_poller(s, &(struct tern_poller){ "arm", arm_far, &p });
	tern_sched_run_once(s);
	tern_sched_remove_poller(s, id);
	tern_sched_advance(s, TERN_MAX_DELAY_NS - 1);
	tern_sched_run_once(s);
	assert_int_equal(p.fired, 0);
	tern_sched_advance(s, 2048);
	tern_sched_run_once(s);
	assert_int_equal(p.fired, 1);
	assert_true(p.fired_ns >= p.due_ns);
	end_sched(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sleep_wakes_on_time),
		cmocka_unit_test(fires_exactly_once_never_early),
		cmocka_unit_test(expiry_cost_is_o_k),
		cmocka_unit_test(cancel_rearm_and_bad_input),
		cmocka_unit_test(zero_delay_rearm_is_bounded),
		cmocka_unit_test(far_clock_stays_in_range),
	};

	return cmocka_run_group_tests_name("sched_timer", tests, NULL, NULL);
}
