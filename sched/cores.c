/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Many cores: the group, its threads, cross-core submits, shutdown.
 *
 * A submit record lives on the caller's core (its pool, its version) and
 * carries two intrusive messages: `go`, posted to the target's inbox, and
 * `back`, posted to the caller's inbox with the result. The record stays
 * pending, so alive, until `back` is handled on the caller's core: the
 * target may read and write it meanwhile without a reference count.
 */
#define _GNU_SOURCE /* pthread_setaffinity_np, CPU_* */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <numa.h>
#include <tern/cores.h>

#include "sched_internal.h"

struct tern_cores {
	/* Written by every core on every submit: a line of their own. */
	uint64_t inflight __attribute__((aligned(64))); /* posted, not yet back */
	bool closing __attribute__((aligned(64)));      /* read on every submit */
	unsigned n;
	bool started;
	bool acked[TERN_MAX_CORES];  /* each core took its shutdown message */
	struct tern_stall_detector *detector;
	struct tern_sched *cores[TERN_MAX_CORES];
	int cpu[TERN_MAX_CORES];
	pthread_t threads[TERN_MAX_CORES];
	bool has_thread[TERN_MAX_CORES];
	struct tern__msg shutdown_msg[TERN_MAX_CORES];
	bool no_pin;
	bool main_is_worker;
	bool no_steal;
};


size_t tern__submit_size(void)
{
	return sizeof(struct tern__submit);
}

void tern__submit_release(struct tern__rec *r)
{
	struct tern__submit *sub = container_of(r, struct tern__submit, rec);

	tern__slab_put(&r->sched->submits, sub);
}

/* ---- messages ---- */

/* Posts @m to @dest from core @from; a full inbox keeps it on @from's retry
 * list (the inbox poller tries again every round): nothing is dropped. */
static void post_or_keep(struct tern_sched *from, struct tern__msg *m, struct tern_sched *dest)
{
	/* dest is written only for a kept message: a sent one must not
	 * touch a line of the record that the receiver keeps to itself. */
	if (tern__inbox_post(&dest->inbox, m) == 0)
		return;
	m->dest = dest;
	m->next = from->retry;
	from->retry = m;
	from->msgs_retried++;
}

void tern__post(struct tern__msg *m, struct tern_sched *dest)
{
	struct timespec ts = { 0, 50 * 1000 };

	if (tern__tls_sched) {
		post_or_keep(tern__tls_sched, m, dest);
		return;
	}
	/* A plain thread may wait for room; a core never does. */
	m->dest = dest;
	while (tern__inbox_post(&dest->inbox, m) == -EAGAIN)
		nanosleep(&ts, NULL);
}

static void retry_pending(struct tern_sched *s)
{
	struct tern__msg *m = s->retry, *keep = NULL;

	s->retry = NULL;
	while (m) {
		struct tern__msg *next = m->next;
		if (tern__inbox_post(&m->dest->inbox, m) < 0) {
			m->next = keep;
			keep = m;
		}
		m = next;
	}
	s->retry = keep;
}

static intptr_t submit_run(void *arg);

/* A stealable job from @s's own deque or, when it has none, from another
 * core's; run as a task here. Only when @s has nothing else ready: bound
 * work always goes first. */
static bool deque_looks_empty(const struct tern__deque *d)
{
	/* Two relaxed loads, no fence: a hint that saves pop and steal
	 * (a seq_cst fence each) on idle rounds; a miss is caught next round. */
	return __atomic_load_n(&d->top, __ATOMIC_RELAXED) >=
	       __atomic_load_n(&d->bottom, __ATOMIC_RELAXED);
}

static int run_one_job(struct tern_sched *s)
{
	struct tern__submit *sub = NULL;
	struct tern_cores *c = s->group;
	int rc;

	if (!deque_looks_empty(&s->jobs))
		sub = tern__deque_pop(&s->jobs);
	if (!sub && c && !c->no_steal && c->n > 1) {
		/* One victim per idle round, round robin: idle cores do not all
		 * sweep every deque every round. */
		unsigned v = (s->index + 1 + s->steal_next++ % (c->n - 1)) % c->n;
		if (!deque_looks_empty(&c->cores[v]->jobs)) {
			sub = tern__deque_steal(&c->cores[v]->jobs);
			if (sub)
				s->jobs_stolen++;
		}
	}
	if (!sub)
		return 0;
	s->jobs_run++;
	/* Deferred: it runs in the task phase, under the round's budget,
	 * not inside this poller. */
	rc = tern_task_spawn(submit_run, sub, &(struct tern_task_opts){
		.name = sub->name, .stack_size = sub->stack_size, .sched = s,
		.flags = TERN_TASK_DETACHED | TERN_TASK_DEFER }, NULL);
	if (rc < 0) {
		sub->result = rc;
		post_or_keep(s, &sub->back, sub->origin);
	}
	return 1;
}

int tern__spawn_stealable(struct tern_sched *s, tern_task_fn fn, void *arg,
			  const struct tern_task_opts *o, size_t stack, tern_task_t *out)
{
	bool detached = o && (o->flags & TERN_TASK_DETACHED);
	struct tern__submit *sub = tern__submit_new(s, fn, arg, o && o->name ? o->name : "task",
						    stack, detached);

	if (!sub)
		return -ENOMEM;
	if (s->group && __atomic_load_n(&s->group->closing, __ATOMIC_SEQ_CST)) {
		tern__submit_abandon(sub); /* after the inflight count: see submit */
		return -ESHUTDOWN;
	}
	if (tern__deque_push(&s->jobs, sub) < 0) {
		tern__submit_abandon(sub);
		return -EAGAIN; /* the deque is full: back off or spawn bound */
	}
	if (out)
		out->f = (tern_future_t){ &sub->rec, sub->rec.version };
	return 0;
}

int tern__inbox_poll(void *arg)
{
	struct tern_sched *s = arg;
	struct tern__msg *batch[32];
	unsigned n, total = 0;

	if (TERN_UNLIKELY(s->retry))
		retry_pending(s);
	if (!s->rq_head && run_one_job(s))
		total++;
	if (!tern__inbox_ready(&s->inbox))
		return (int)total;
	/* One batch per round: a flood of messages cannot starve the NIC. */
	n = tern__inbox_take(&s->inbox, batch, 32);
	for (unsigned i = 0; i < n; i++) {
		if (i + 1 < n)
			__builtin_prefetch(batch[i + 1]);
		batch[i]->fn(s, batch[i]);
	}
	total += n;
	s->msgs_in += n;
	return (int)total;
}

/* ---- submit ---- */

static void submit_go(struct tern_sched *s, struct tern__msg *m);

static void submit_back(struct tern_sched *s, struct tern__msg *m)
{
	struct tern__submit *sub = container_of(m, struct tern__submit, back);

	if (s->group)
		__atomic_fetch_sub(&s->group->inflight, 1, __ATOMIC_RELEASE);
	s->replies_pending--;
	if (sub->external)
		s->external_pending--;
	tern__rec_complete(&sub->rec, sub->result);
}

struct tern__submit *tern__submit_of_go(struct tern__msg *m)
{
	return container_of(m, struct tern__submit, go);
}

/* Copies @name into the record only when it differs: the target reads the
 * name's line, and a line not written since stays valid in its cache. */
static void set_name(struct tern__submit *sub, const char *name)
{
	if (strncmp(sub->name, name, sizeof(sub->name) - 1) != 0)
		snprintf(sub->name, sizeof(sub->name), "%s", name);
}

/* A pending record on @self for @fn(@arg): completed by its `back` message,
 * counted in flight when @self is in a group (shutdown waits for it). */
struct tern__submit *tern__submit_new(struct tern_sched *self, tern_task_fn fn, void *arg,
				      const char *name, size_t stack, bool detached)
{
	struct tern__submit *sub = tern__slab_get(&self->submits);

	if (!sub)
		return NULL;
	sub->rec = (struct tern__rec){
		.version = (sub->rec.version | 1) + 1, .kind = REC_SUBMIT, .sched = self,
		.dropped = detached,
	};
	sub->go.fn = submit_go;
	sub->back.fn = submit_back;
	sub->fn = fn;
	sub->arg = arg;
	sub->origin = self;
	sub->external = false;
	sub->stack_size = (uint32_t)stack;
	set_name(sub, name);
	self->st.records_live++;
	self->replies_pending++;
	/* seq_cst, then the caller reads closing (seq_cst): against the
	 * stopper's store of closing then read of inflight (Dekker), either
	 * the submit sees closing or the stopper sees it in flight. */
	if (self->group)
		__atomic_fetch_add(&self->group->inflight, 1, __ATOMIC_SEQ_CST);
	return sub;
}

/* Undoes tern__submit_new for a record that was never sent. */
void tern__submit_abandon(struct tern__submit *sub)
{
	if (sub->origin->group)
		__atomic_fetch_sub(&sub->origin->group->inflight, 1, __ATOMIC_RELEASE);
	sub->origin->replies_pending--;
	if (sub->external)
		sub->origin->external_pending--;
	sub->rec.dropped = 0;
	tern__rec_release(&sub->rec);
}

static intptr_t submit_run(void *arg)
{
	struct tern__submit *sub = arg;
	struct tern_sched *s = tern__tls_sched;

	sub->result = sub->fn(sub->arg);
	post_or_keep(s, &sub->back, sub->origin);
	return 0; /* the real result travels back; this task has no observer */
}

static void submit_go(struct tern_sched *s, struct tern__msg *m)
{
	struct tern__submit *sub = container_of(m, struct tern__submit, go);
	/* Deferred: the function runs in the task phase, under the round's
	 * budget; a batch of messages cannot starve the NIC. */
	int rc = tern_task_spawn(submit_run, sub, &(struct tern_task_opts){
		.name = sub->name, .stack_size = sub->stack_size, .sched = s,
		.flags = TERN_TASK_DETACHED | TERN_TASK_DEFER }, NULL);

	if (rc < 0) { /* the caller gets the reason as the result */
		sub->result = rc;
		post_or_keep(s, &sub->back, sub->origin);
	}
}


static int post_go(struct tern__submit *sub, struct tern_sched *target,
		   const struct tern_submit_opts *o)
{
	int rc;

	while ((rc = tern__inbox_post(&target->inbox, &sub->go)) == -EAGAIN) {
		int t;

		if (!o || o->full != TERN_SUBMIT_FULL_WAIT)
			return -EAGAIN;
		t = tern_token_status(o->tok);
		if (t < 0)
			return t;
		if (tern_yield() < 0)
			return -EAGAIN; /* not a task: cannot wait */
	}
	return rc;
}

static int check_submit(struct tern_sched *target, tern_task_fn fn,
			const struct tern_submit_opts *o, tern_future_t *out,
			struct tern_sched *self)
{
	bool detached = o && o->detached;

	if (!target || !fn || (!out && !detached) || !target->group)
		return -EINVAL;
	if (o && o->stack_size && (o->stack_size < TERN_STACK_MIN || o->stack_size > TERN_STACK_MAX))
		return -EINVAL;
	if (!self || self->group != target->group) {
		tern_log(TERN_LOG_ERR, "tern_submit: the calling thread drives no core of the "
				       "target's group; the result needs a core to return to");
		return -EPERM;
	}
	return 0;
}

int tern_submit(struct tern_sched *target, tern_task_fn fn, void *arg,
		const struct tern_submit_opts *o, tern_future_t *out)
{
	struct tern_sched *self = tern__tls_sched;
	struct tern__submit *sub;
	int rc = check_submit(target, fn, o, out, self);

	if (rc < 0)
		return rc;
	sub = tern__submit_new(self, fn, arg, o && o->name ? o->name : "submit",
			       o ? o->stack_size : 0, o && o->detached);
	if (!sub)
		return -ENOMEM;
	if (__atomic_load_n(&target->group->closing, __ATOMIC_SEQ_CST)) {
		tern__submit_abandon(sub);
		return -ESHUTDOWN;
	}
	/* The inbox's release store publishes everything written above. */
	rc = post_go(sub, target, o);
	if (rc < 0) {
		tern__submit_abandon(sub);
		return rc;
	}
	if (out)
		*out = (tern_future_t){ &sub->rec, sub->rec.version };
	return 0;
}

/* ---- the group ---- */

static void allowed_cpus(int *cpu, unsigned *n)
{
	cpu_set_t set;
	unsigned k = 0;

	if (sched_getaffinity(0, sizeof(set), &set) < 0) {
		*n = 0;
		return;
	}
	for (int c = 0; c < CPU_SETSIZE && k < TERN_MAX_CORES; c++)
		if (CPU_ISSET(c, &set))
			cpu[k++] = c;
	*n = k;
}

static void shutdown_fire(struct tern_sched *s, struct tern__msg *m)
{
	tern_cancel(s->shutdown);
	/* Pairs with tern_cores_stop's acquire: the token has fired. */
	__atomic_store_n(&s->group->acked[s->index], true, __ATOMIC_RELEASE);
}

static int node_of(int cpu)
{
	if (cpu < 0 || numa_available() < 0)
		return -1;
	return numa_node_of_cpu(cpu);
}

static int check_cpus(const struct tern_cores_opts *o)
{
	for (unsigned i = 0; o->cpus && i < o->n; i++)
		if (o->cpus[i] < 0 || o->cpus[i] >= CPU_SETSIZE)
			return -EINVAL;
	return 0;
}

static int make_core(struct tern_cores *c, unsigned i, struct tern_sched_opts so)
{
	char name[TERN__NAME_LEN];
	int rc, node = node_of(c->cpu[i]);

	snprintf(name, sizeof(name), "%s-%u", so.name ? so.name : "core", i);
	so.name = name;
	/* The core's memory (its struct, inbox, deque, pools, stacks) on
	 * its CPU's node, unless the caller chose. */
	if (!so.numa_node_set && node >= 0) {
		so.numa_node = node;
		so.numa_node_set = true;
	}
	rc = tern_sched_create(&so, &c->cores[i]);
	if (rc < 0)
		return rc;
	c->cores[i]->group = c;
	c->cores[i]->index = i;
	c->shutdown_msg[i].fn = shutdown_fire;
	return tern__cancel_make(c->cores[i], &c->cores[i]->shutdown);
}

int tern_cores_create(const struct tern_cores_opts *o, struct tern_cores **out)
{
	struct tern_cores_opts opts = o ? *o : (struct tern_cores_opts){ 0 };
	int allowed[TERN_MAX_CORES];
	unsigned n_allowed;
	struct tern_cores *c;
	int rc = 0;

	if (!out || opts.n > TERN_MAX_CORES || check_cpus(&opts) < 0)
		return -EINVAL;
	allowed_cpus(allowed, &n_allowed);
	if (!opts.n)
		opts.n = n_allowed ? n_allowed : 1;
	c = aligned_alloc(64, (sizeof(*c) + 63) & ~(size_t)63);
	if (!c)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	c->n = opts.n;
	c->no_pin = opts.no_pin;
	c->main_is_worker = opts.main_is_worker;
	c->no_steal = opts.no_steal;
	for (unsigned i = 0; i < c->n && rc == 0; i++) {
		c->cpu[i] = opts.cpus ? opts.cpus[i] : n_allowed ? allowed[i % n_allowed] : -1;
		rc = make_core(c, i, opts.sched);
	}
	if (rc < 0) {
		tern_cores_destroy(c);
		return rc;
	}
	tern__telemetry_add(c);
	*out = c;
	return 0;
}

unsigned tern_cores_count(const struct tern_cores *c)
{
	return c ? c->n : 0;
}

struct tern_sched *tern_cores_sched(const struct tern_cores *c, unsigned i)
{
	return c && i < c->n ? c->cores[i] : NULL;
}

int tern_cores_enter(struct tern_cores *c, unsigned i)
{
	if (!c || i >= c->n)
		return -EINVAL;
	if (__atomic_load_n(&c->closing, __ATOMIC_ACQUIRE))
		return -ESHUTDOWN; /* a late driver must not revive a stopped core */
	return tern_sched_run(c->cores[i]);
}

struct start_arg {
	struct tern_cores *c;
	unsigned i;
};

static void *core_thread(void *p)
{
	struct start_arg *a = p;
	struct tern_cores *c = a->c;
	unsigned i = a->i;

	free(a);
	/* A stop may already have come: tern_sched_run then returns at once
	 * (the flag is consumed on the way out, not cleared on the way in). */
	tern_sched_run(c->cores[i]);
	return NULL;
}

/* Starts core i's thread, pinned before it runs a single instruction. */
static int start_one(struct tern_cores *c, unsigned i)
{
	struct start_arg *a = malloc(sizeof(*a));
	pthread_attr_t attr;
	cpu_set_t set;
	int rc;

	if (!a)
		return ENOMEM;
	*a = (struct start_arg){ c, i };
	pthread_attr_init(&attr);
	if (!c->no_pin && c->cpu[i] >= 0) {
		CPU_ZERO(&set);
		CPU_SET(c->cpu[i], &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	rc = pthread_create(&c->threads[i], &attr, core_thread, a);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		free(a);
	return rc;
}

int tern_cores_start(struct tern_cores *c)
{
	if (!c)
		return -EINVAL;
	if (c->started)
		return -EALREADY;
	c->started = true;
	for (unsigned i = c->main_is_worker ? 1 : 0; i < c->n; i++) {
		int rc = start_one(c, i);

		if (rc != 0) {
			tern_log(TERN_LOG_ERR, "tern_cores_start: core %u: %s", i, strerror(rc));
			tern_cores_stop(c, 0);
			return -rc;
		}
		c->has_thread[i] = true;
	}
	return 0;
}

static void nap(void)
{
	struct timespec ts = { 0, 200 * 1000 };

	nanosleep(&ts, NULL);
}

static bool driven(const struct tern_sched *s)
{
	/* Pairs with unbind()'s release. */
	return __atomic_load_n(&s->driven, __ATOMIC_ACQUIRE);
}

/* Runs one round on each core nobody drives (core 0 after its
 * tern_cores_enter returned, a core never entered). True if any ran. */
static bool drive_undriven(struct tern_cores *c)
{
	bool drove = false;

	for (unsigned i = 0; i < c->n; i++) {
		if (c->has_thread[i] || driven(c->cores[i]))
			continue;
		if (tern_sched_run_once(c->cores[i]) >= 0)
			drove = true;
	}
	return drove;
}

static void post_shutdowns(struct tern_cores *c)
{
	for (unsigned i = 0; i < c->n; i++)
		while (tern__inbox_post(&c->cores[i]->inbox, &c->shutdown_msg[i]) == -EAGAIN)
			if (!drive_undriven(c)) /* a full inbox nobody drains */
				nap();
}

static bool drained(struct tern_cores *c)
{
	uint64_t live = 0;

	for (unsigned i = 0; i < c->n; i++) {
		if (!__atomic_load_n(&c->acked[i], __ATOMIC_ACQUIRE))
			return false;
		live += __atomic_load_n(&c->cores[i]->st.tasks_live, __ATOMIC_RELAXED);
	}
	/* seq_cst: the read half of the Dekker pair with submitters. */
	return live == 0 && __atomic_load_n(&c->inflight, __ATOMIC_SEQ_CST) == 0;
}

/* Waits for every loop to end and let its core go. */
static void join_all(struct tern_cores *c)
{
	for (unsigned i = 0; i < c->n; i++)
		tern_sched_stop(c->cores[i]);
	for (unsigned i = 0; i < c->n; i++) {
		if (c->has_thread[i])
			pthread_join(c->threads[i], NULL);
		c->has_thread[i] = false;
		while (driven(c->cores[i])) /* an application thread in enter */
			nap();
	}
}

/* Stealable jobs nobody ran: completed with -ECANCELED at their origin
 * (all cores are let go, so this thread may touch any), named, counted. */
static int cancel_leftover_jobs(struct tern_cores *c)
{
	int n = 0;

	for (unsigned i = 0; i < c->n; i++) {
		struct tern__submit *sub;

		while ((sub = tern__deque_pop(&c->cores[i]->jobs)) != NULL) {
			tern_log(TERN_LOG_WARN, "tern_cores_stop: stealable task %s never ran",
				 sub->name);
			sub->result = -ECANCELED;
			submit_back(sub->origin, &sub->back);
			n++;
		}
	}
	return n;
}

int tern_cores_stop(struct tern_cores *c, uint64_t grace_ns)
{
	uint64_t deadline;
	int unfinished;

	if (!c)
		return -EINVAL;
	if (tern__tls_sched && tern__tls_sched->group == c)
		return -EDEADLK; /* a core cannot wait for itself to stop */
	/* seq_cst: the write half of the Dekker pair with submitters. */
	__atomic_store_n(&c->closing, true, __ATOMIC_SEQ_CST);
	post_shutdowns(c);
	/* Every core has fired its shutdown token, nothing is in flight and
	 * no task is left, or the grace is over. Undriven cores are driven
	 * from here meanwhile. */
	deadline = tern__mono_ns() + grace_ns;
	do {
		bool drove = drive_undriven(c);
		if (drained(c))
			break;
		if (!drove)
			nap();
	} while (tern__mono_ns() < deadline);
	join_all(c);
	unfinished = cancel_leftover_jobs(c);
	for (unsigned i = 0; i < c->n; i++) {
		struct tern_sched_stats st;
		tern_sched_stats(c->cores[i], &st);
		unfinished += (int)st.tasks_live;
	}
	if (c->inflight)
		tern_log(TERN_LOG_WARN, "tern_cores_stop: %llu submits still in flight after grace",
			 (unsigned long long)c->inflight);
	return unfinished;
}

int tern__cores_attach_detector(struct tern_cores *c, struct tern_stall_detector *d)
{
	if (d && c->detector)
		return -EBUSY;
	c->detector = d;
	return 0;
}

void tern_cores_destroy(struct tern_cores *c)
{
	if (!c)
		return;
	if (c->detector) /* it reads the cores every period */
		tern_stall_detector_stop(c->detector);
	tern__telemetry_remove(c); /* waits for a reply being read */
	for (unsigned i = 0; i < c->n; i++) {
		if (c->cores[i] && c->cores[i]->shutdown.src)
			tern_cancel_dispose(c->cores[i]->shutdown);
		tern_sched_destroy(c->cores[i]);
	}
	free(c);
}

struct tern_cores *tern_sched_cores(const struct tern_sched *s)
{
	return s != NULL ? s->group : NULL;
}

int tern_core_index(void)
{
	struct tern_sched *s = tern__tls_sched;

	return s && s->group ? (int)s->index : -1;
}

tern_token_t tern_core_shutdown_token(void)
{
	struct tern_sched *s = tern__tls_sched;

	return s && s->group ? tern_cancel_token(s->shutdown) : TERN_TOKEN_NONE;
}
