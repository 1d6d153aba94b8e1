/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A core's scheduler: creation, the loop, pollers, the clock, policies.
 *
 * One round = every poller once, then ready tasks within the budget. The
 * budget's time half is checked every 8 tasks: reading the cycle counter per
 * task would cost more than the switch it guards.
 */
#define _GNU_SOURCE /* sched_getcpu, pthread_getattr_np */
#include <numa.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asan.h"
#include "sched_internal.h"

__thread struct tern_sched *tern__tls_sched __attribute__((tls_model("initial-exec")));

#define DEFAULT_BUDGET_TASKS 64
#define DEFAULT_BUDGET_US 100
#define DEFAULT_STACK (32u * 1024)
#define TIMER_POLLER 0 /* the first poller added, at create */
#define INBOX_POLLER 1 /* the second */
#define DEFAULT_INBOX 4096

static int this_node(void)
{
	int cpu = sched_getcpu();

	if (cpu < 0 || numa_available() < 0)
		return -1;
	return numa_node_of_cpu(cpu);
}

static int apply_defaults(struct tern_sched_opts *o)
{
	if (!o->budget_tasks)
		o->budget_tasks = DEFAULT_BUDGET_TASKS;
	if (!o->budget_us)
		o->budget_us = DEFAULT_BUDGET_US;
	if (!o->default_stack_size)
		o->default_stack_size = DEFAULT_STACK;
	if (!o->inbox_size)
		o->inbox_size = DEFAULT_INBOX;
	if (o->idle > TERN_IDLE_SLEEP)
		return -EINVAL;
	if (!o->idle_spin_rounds)
		o->idle_spin_rounds = 1000;
	if (!o->idle_sleep_us)
		o->idle_sleep_us = 50;
	if (o->idle_sleep_us >= 1000000)
		return -EINVAL;
	if (o->inbox_size < 2 || (o->inbox_size & (o->inbox_size - 1)))
		return -EINVAL;
	if (o->default_stack_size < TERN_STACK_MIN || o->default_stack_size > TERN_STACK_MAX)
		return -EINVAL;
	if (o->unobserved > TERN_UNOBSERVED_ABORT || o->misuse > TERN_MISUSE_ABORT ||
	    (o->unobserved == TERN_UNOBSERVED_HOOK && !o->unobserved_hook))
		return -EINVAL;
	if (o->unobserved == TERN_UNOBSERVED_DEFAULT)
		o->unobserved = TERN_UNOBSERVED_LOG;
	if (o->misuse == TERN_MISUSE_DEFAULT) {
#ifdef NDEBUG
		o->misuse = TERN_MISUSE_RETURN;
#else
		o->misuse = TERN_MISUSE_ABORT;
#endif
	}
	if (!o->numa_node_set)
		o->numa_node = this_node();
	return 0;
}

int tern_sched_create(const struct tern_sched_opts *opts, struct tern_sched **out)
{
	struct tern_sched_opts o = opts ? *opts : (struct tern_sched_opts){ 0 };
	struct tern_sched *s;
	int rc;

	if (!out)
		return -EINVAL;
	rc = apply_defaults(&o);
	if (rc < 0) {
		tern_log(TERN_LOG_ERR, "tern_sched_create: invalid options");
		return rc;
	}
	s = tern__mem_alloc(sizeof(*s), o.numa_node);
	if (!s)
		return -ENOMEM;
	s->opts = o;
	strncpy(s->name, o.name ? o.name : "core", sizeof(s->name) - 1);
	s->opts.name = s->name;
	s->budget_tasks = o.budget_tasks;
	s->budget_ns = (uint64_t)o.budget_us * 1000;
	s->virtual_clock = o.virtual_clock;
	s->ns_per_cycle_q32 = tern__ns_per_cycle_q32();
	s->clock_base = tern__cycles();
	tern__slab_init(&s->tasks, sizeof(struct tern_task), 64, o.numa_node);
	tern__slab_init(&s->promises, sizeof(struct tern__promise), 256, o.numa_node);
	tern__slab_init(&s->cancels, tern__cancel_size(), 64, o.numa_node);
	tern__slab_init(&s->submits, tern__submit_size(), 64, o.numa_node);
	s->stacks.node = o.numa_node;
	tern__wheel_init(&s->wheel, tern_sched_now(s));
	rc = tern__inbox_init(&s->inbox, o.inbox_size, o.numa_node);
	if (rc == 0) {
		rc = tern__deque_init(&s->jobs, o.inbox_size, o.numa_node);
		if (rc < 0)
			tern__inbox_fini(&s->inbox);
	}
	if (rc < 0) {
		tern__mem_free(s, sizeof(*s));
		return rc;
	}
	tern_sched_add_poller(s, &(struct tern_poller){ "timers", tern__wheel_poll, s });
	tern_sched_add_poller(s, &(struct tern_poller){ "inbox", tern__inbox_poll, s });
	*out = s;
	return 0;
}

void tern_sched_destroy(struct tern_sched *s)
{
	struct tern_task *t;

	if (!s)
		return;
	uint64_t outside = s->external_pending + __atomic_load_n(&s->xpending, __ATOMIC_ACQUIRE) +
			   (s->group ? 0 : s->replies_pending);

	/* Replies from the core's own (stopped) group can no longer come; an
	 * offload thread or a foreign completer still can, and would write
	 * into this core's inbox and records: then keep the memory. */
	if (outside) {
		tern_log(TERN_LOG_ERR, "core %s: destroyed with %llu replies on their way; "
				       "its memory is kept (leaked) so they land safely",
			 s->name, (unsigned long long)outside);
		return;
	}
	/* A task holds a stack from spawn to its end: those still holding one
	 * never finished. The pool's chunks hold every task there is. */
	for (size_t c = 0; c < s->tasks.n_chunks; c++) {
		for (unsigned i = 0; i < s->tasks.per_chunk; i++) {
			t = (struct tern_task *)((char *)s->tasks.chunks[c] + i * s->tasks.obj_size);
			if (t->stack)
				tern_log(TERN_LOG_WARN,
					 "core %s: task %s never finished (dropped at destroy)",
					 s->name, t->name);
		}
	}
	tern__stack_pool_fini(&s->stacks);
	tern__slab_fini(&s->tasks);
	tern__slab_fini(&s->promises);
	tern__slab_fini(&s->cancels);
	tern__slab_fini(&s->submits);
	tern__inbox_fini(&s->inbox);
	tern__deque_fini(&s->jobs);
	tern__mem_free(s, sizeof(*s));
}

/* ---- binding a thread to the core ---- */

static int bind(struct tern_sched *s)
{
	bool free_ = false;

	if (tern__tls_sched)
		return -EBUSY; /* one core per thread */
	/* One thread per core: take it with a CAS. Acquire pairs with
	 * unbind()'s release: the previous driver's writes are visible. */
	if (!__atomic_compare_exchange_n(&s->driven, &free_, true, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return -EBUSY;
	if (tern__stack_guard_thread_init() < 0) {
		__atomic_store_n(&s->driven, false, __ATOMIC_RELEASE);
		return -ENOMEM;
	}
	if (TERN__ASAN && !s->asan_main_bottom) {
		/* The thread's own stack, for ASan's fiber bookkeeping. */
		pthread_attr_t a;

		if (pthread_getattr_np(pthread_self(), &a) == 0) {
			pthread_attr_getstack(&a, &s->asan_main_bottom, &s->asan_main_size);
			pthread_attr_destroy(&a);
		}
	}
	s->driver = pthread_self();
	tern__tls_sched = s;
	return 0;
}

static void unbind(struct tern_sched *s)
{
	tern__tls_sched = NULL;
	s->asan_main_bottom = NULL; /* another thread may drive it next */
	/* Pairs with bind()'s CAS and with tern_cores_stop's wait for the
	 * core to be let go: everything this thread wrote is visible. */
	__atomic_store_n(&s->driven, false, __ATOMIC_RELEASE);
}

/* ---- the loop ---- */

static bool run_pollers(struct tern_sched *s)
{
	bool did = false;

	for (unsigned i = 0; i < s->n_pollers; i++) {
		if (!s->poller_used[i])
			continue;
		s->st.polls++;
		if (s->pollers[i].poll(s->pollers[i].arg) > 0)
			did = true;
	}
	return did;
}

static bool run_tasks(struct tern_sched *s)
{
	uint64_t before = s->st.tasks_run;
	struct tern_task *t;

	if (!s->rq_head)
		return false; /* an idle round reads no clock */
	s->budget_left = s->budget_tasks;
	s->round_start = tern_sched_now(s);
	s->cut_by_time = false;
	/* Each resumption may hand the core on to further ready tasks; they
	 * all draw on this one budget. */
	while ((t = s->rq_head) != NULL && tern__budget_take(s)) {
		tern__runq_pop(s);
		tern__task_resume(s, t);
	}
	if (s->rq_head) {
		if (s->cut_by_time)
			s->st.budget_cut_time++;
		else
			s->st.budget_cut_tasks++;
	}
	/* No hand-offs while pollers run: a task a poller spawns returns to
	 * the poller when it first waits. */
	s->budget_left = 0;
	return s->st.tasks_run != before;
}

static bool round_once(struct tern_sched *s)
{
	bool did = run_pollers(s);

	did |= run_tasks(s);
	s->st.rounds++;
	return did;
}

static void idle(struct tern_sched *s)
{
	s->st.idle_rounds++;
	switch (s->opts.idle) {
	case TERN_IDLE_PAUSE:
		tern__cpu_relax();
		break;
	case TERN_IDLE_SLEEP:
		if (++s->idle_streak >= s->opts.idle_spin_rounds) {
			struct timespec ts = { 0, (long)s->opts.idle_sleep_us * 1000 };
			nanosleep(&ts, NULL);
			s->st.idle_sleeps++;
			s->idle_streak = 0;
		}
		break;
	default:
		break; /* busy polling: the next round starts now */
	}
}

int tern_sched_run(struct tern_sched *s)
{
	int rc = s ? bind(s) : -EINVAL;

	if (rc < 0)
		return rc;
	/* A stop that came before the loop started still counts: the flag is
	 * consumed on the way out, never cleared on the way in. Acquire pairs
	 * with tern_sched_stop's release. */
	while (!__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE)) {
		if (round_once(s))
			s->idle_streak = 0;
		else
			idle(s);
	}
	__atomic_store_n(&s->stopping, false, __ATOMIC_RELAXED);
	unbind(s);
	return 0;
}

int tern_sched_run_once(struct tern_sched *s)
{
	int rc = s ? bind(s) : -EINVAL;
	bool did;

	if (rc < 0)
		return rc;
	did = round_once(s);
	unbind(s);
	return did ? 1 : 0;
}

int64_t tern_sched_run_until_idle(struct tern_sched *s, uint64_t max_rounds)
{
	int rc = s ? bind(s) : -EINVAL;
	int64_t rounds = 0;

	if (rc < 0)
		return rc;
	while (!max_rounds || (uint64_t)rounds < max_rounds) {
		bool did = round_once(s);
		rounds++;
		if (!did && !s->rq_head)
			break;
	}
	unbind(s);
	return rounds;
}

void tern_sched_stop(struct tern_sched *s)
{
	if (s)
		__atomic_store_n(&s->stopping, true, __ATOMIC_RELEASE);
}

int tern_sched_add_poller(struct tern_sched *s, const struct tern_poller *p)
{
	int rc;

	if (!s || !p || !p->poll)
		return -EINVAL;
	rc = tern__check_owner(s, "tern_sched_add_poller");
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < TERN_MAX_POLLERS; i++) {
		if (s->poller_used[i])
			continue;
		s->pollers[i] = *p;
		s->poller_used[i] = true;
		if (i >= s->n_pollers)
			s->n_pollers = i + 1;
		return (int)i;
	}
	return -ENOSPC;
}

int tern_sched_remove_poller(struct tern_sched *s, int id)
{
	int rc;

	if (!s || id < 0 || id >= TERN_MAX_POLLERS || !s->poller_used[id])
		return -ENOENT;
	if (id == TIMER_POLLER || id == INBOX_POLLER)
		return -EPERM; /* timers, deadlines and cross-core work need them */
	rc = tern__check_owner(s, "tern_sched_remove_poller");
	if (rc < 0)
		return rc;
	s->poller_used[id] = false;
	return 0;
}

static unsigned pollers_in_use(const struct tern_sched *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n_pollers; i++)
		n += s->poller_used[i];
	return n;
}

/* ---- clock ---- */

uint64_t tern_sched_now(const struct tern_sched *s)
{
	if (s->virtual_clock)
		return s->vnow;
	return tern__sched_cycles_to_ns(s, tern__cycles() - s->clock_base);
}

int tern_sched_advance(struct tern_sched *s, uint64_t ns)
{
	int rc;

	if (!s)
		return -EINVAL;
	rc = tern__check_owner(s, "tern_sched_advance");
	if (rc < 0)
		return rc;
	if (!s->virtual_clock)
		return -ENOTSUP;
	if (ns > TERN_MAX_DELAY_NS)
		return -EINVAL;
	s->vnow += ns;
	return 0;
}

static uint64_t stat_peek(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

_Static_assert(sizeof(struct tern_sched_stats) % sizeof(uint64_t) == 0,
	       "tern_sched_stats is a row of uint64_t counters");

void tern_sched_stats(const struct tern_sched *s, struct tern_sched_stats *out)
{
	if (!s || !out) {
		if (out)
			*out = (struct tern_sched_stats){ 0 };
		return;
	}
	/* Relaxed loads, each counter whole: telemetry reads this from its own
	 * thread while the core runs (telemetry.c); on the core they cost what
	 * plain loads do. */
	const uint64_t *src = (const uint64_t *)&s->st;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = stat_peek(&src[i]);
	out->stacks_mapped = stat_peek(&s->stacks.mapped);
	out->timers_live = stat_peek(&s->wheel.live);
	out->timers_fired = stat_peek(&s->wheel.fired);
	out->timers_cascaded = stat_peek(&s->wheel.cascaded);
	out->stalls = stat_peek(&s->stalls);
	out->jobs_run = stat_peek(&s->jobs_run);
	out->jobs_stolen = stat_peek(&s->jobs_stolen);
}

struct tern_sched *tern_sched_current(void)
{
	return tern__tls_sched;
}

/* ---- ready-to-run latency ---- */

void tern__latency_record(struct tern_sched *s, struct tern_task *t)
{
	uint64_t ns = tern__sched_cycles_to_ns(s, tern__cycles() - t->ready_at);
	unsigned b = ns ? 63u - (unsigned)__builtin_clzll(ns) : 0;

	s->lat_hist[b < TERN_LATENCY_BUCKETS ? b : TERN_LATENCY_BUCKETS - 1]++;
	s->lat_samples++;
	t->ready_at = 0;
}

void tern_sched_ready_latency(const struct tern_sched *s, struct tern_latency_hist *out)
{
	if (!out)
		return;
	*out = (struct tern_latency_hist){ 0 };
	if (!s)
		return;
	for (unsigned b = 0; b < TERN_LATENCY_BUCKETS; b++)
		out->count[b] = stat_peek(&s->lat_hist[b]);
	out->samples = stat_peek(&s->lat_samples);
}

uint64_t tern_latency_quantile(const struct tern_latency_hist *h, double q)
{
	uint64_t total = 0, rank, seen = 0;

	if (!h)
		return 0;
	for (unsigned b = 0; b < TERN_LATENCY_BUCKETS; b++)
		total += h->count[b];
	if (!total)
		return 0;
	q = q < 0 ? 0 : q > 1 ? 1 : q;
	rank = (uint64_t)(q * (double)total);
	if ((double)rank < q * (double)total || rank == 0)
		rank++; /* ceil, and at least the first sample */
	for (unsigned b = 0; b < TERN_LATENCY_BUCKETS; b++) {
		seen += h->count[b];
		if (seen >= rank)
			return b + 1 < TERN_LATENCY_BUCKETS ? 2ull << b : UINT64_MAX;
	}
	return UINT64_MAX; /* not reached: rank <= total */
}

/* ---- policies ---- */

int tern__misuse(struct tern_sched *s, int err, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->st.misuse++;
	tern_log(TERN_LOG_ERR, "%s (caller bug, error %d)", msg, err);
	if (s->opts.misuse == TERN_MISUSE_ABORT)
		abort(); /* the debug builds' assertion, by policy */
	return err;
}

void tern__unobserved(struct tern_sched *s, const char *name, intptr_t err)
{
	s->st.unobserved++;
	switch (s->opts.unobserved) {
	case TERN_UNOBSERVED_HOOK:
		s->opts.unobserved_hook(name, err, s->opts.unobserved_arg);
		break;
	case TERN_UNOBSERVED_ABORT:
		tern_log(TERN_LOG_ERR, "core %s: detached task %s failed: %s (policy: abort)",
			 s->name, name, strerror((int)-err));
		abort(); /* asked for by the policy: no failure passes unseen */
	default:
		tern_log(TERN_LOG_WARN, "core %s: detached task %s failed: %s", s->name, name,
			 strerror((int)-err));
	}
}

int tern__wrong_owner(const struct tern_sched *s, const char *what)
{
	tern_log(TERN_LOG_ERR, "%s: called from a thread that does not drive core %s",
		 what, s->name);
	return -EXDEV;
}

/* ---- block_on ---- */

intptr_t tern_block_on(const struct tern_sched_opts *opts, tern_task_fn fn, void *arg)
{
	struct tern_sched *s;
	tern_task_t root;
	intptr_t r;
	int rc;

	if (tern__tls_sched) {
		tern_log(TERN_LOG_ERR,
			 "tern_block_on: called on core %s; blocking a polling core stalls its NIC "
			 "and every task on it: await the work (tern_await) or spawn it instead",
			 tern__tls_sched->name);
		return -EDEADLK;
	}
	if (!fn)
		return -EINVAL;
	rc = tern_sched_create(opts, &s);
	if (rc < 0)
		return rc;
	rc = tern_task_spawn(fn, arg, &(struct tern_task_opts){ .name = "block_on", .sched = s },
			     &root);
	if (rc < 0) {
		tern_sched_destroy(s);
		return rc;
	}
	rc = bind(s);
	if (rc < 0) {
		tern_sched_destroy(s);
		return rc;
	}
	while (!tern_future_done(root.f)) {
		/* Nothing ran, nothing is ready, no reply is on its way, no
		 * poller but the core's own:
		 * with no timer armed, or a virtual clock nobody can move, the
		 * task can never be woken. */
		if (!round_once(s) && !s->rq_head && pollers_in_use(s) <= 2 &&
		    !s->replies_pending && !s->shared_live &&
		    (s->wheel.live == 0 || s->virtual_clock)) {
			tern_log(TERN_LOG_ERR, "tern_block_on: the task waits for something "
					       "nothing on this thread can complete");
			break;
		}
	}
	r = tern_future_done(root.f) ? tern_await(root.f, TERN_TOKEN_NONE) : -EDEADLK;
	/* Replies still owed (a dropped offload, say) write into this core's
	 * memory when they land: wait for them before it goes away. */
	while (s->replies_pending || __atomic_load_n(&s->xpending, __ATOMIC_ACQUIRE))
		if (!round_once(s))
			tern__cpu_relax();
	unbind(s);
	tern_sched_destroy(s);
	return r;
}
