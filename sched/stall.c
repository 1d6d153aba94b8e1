/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stall detector: a plain thread that samples each core's running task
 * and its progress counters (resumptions, rounds, budget draws). A core
 * whose task is the same and whose counters have not moved since the last
 * sample has been running that task without a break; after the threshold it
 * is reported, then again at each doubling. The cores pay nothing for it:
 * the counters exist for the loop anyway. Reads race with the core's plain
 * writes by design (aligned words, relaxed loads): a sample may be one
 * period stale, never wrong about a task that ran the whole time.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tern/cores.h>

#include "sched_internal.h"

struct watch {
	uint64_t progress;
	struct tern_task *task;
	uint64_t since_ns;       /* when this task was first seen stuck */
	uint64_t next_report_ns; /* running time that triggers the next report */
};

struct tern_stall_detector {
	struct tern_cores *c;
	struct tern_stall_opts o;
	pthread_t thread;
	bool stop;
	struct watch w[TERN_MAX_CORES];
};

static void log_report(const char *core, const char *task, uint64_t ns, void *arg)
{
	tern_log(TERN_LOG_WARN, "core %s: task %s has run %llu us without awaiting (stall)",
		 core, task, (unsigned long long)(ns / 1000));
}

static uint64_t progress_of(const struct tern_sched *s)
{
	return __atomic_load_n(&s->switches, __ATOMIC_RELAXED) +
	       __atomic_load_n(&s->st.tasks_run, __ATOMIC_RELAXED) +
	       __atomic_load_n(&s->st.rounds, __ATOMIC_RELAXED);
}

static void sample(struct tern_stall_detector *d, unsigned i, uint64_t now)
{
	struct tern_sched *s = tern_cores_sched(d->c, i);
	struct tern_task *t = __atomic_load_n(&s->current, __ATOMIC_RELAXED);
	uint64_t p = progress_of(s);
	struct watch *w = &d->w[i];

	if (!t || t != w->task || p != w->progress) {
		*w = (struct watch){ .progress = p, .task = t, .since_ns = now,
				     .next_report_ns = d->o.threshold_ns };
		return;
	}
	uint64_t ran = now - w->since_ns;
	if (ran < w->next_report_ns)
		return;
	/* Pooled task memory outlives the task: the name may be stale, never
	 * unmapped. Copy it bounded. */
	char name[TERN__NAME_LEN];
	memcpy(name, t->name, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	__atomic_fetch_add(&s->stalls, 1, __ATOMIC_RELAXED);
	d->o.report(s->name, name, ran, d->o.arg);
	w->next_report_ns *= 2;
}

static void *detector(void *arg)
{
	struct tern_stall_detector *d = arg;
	struct timespec ts = { (time_t)(d->o.period_ns / 1000000000u),
			       (long)(d->o.period_ns % 1000000000u) };

	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		uint64_t now = tern__mono_ns();

		for (unsigned i = 0; i < tern_cores_count(d->c); i++)
			sample(d, i, now);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int tern_stall_detector_start(struct tern_cores *c, const struct tern_stall_opts *opts,
			      struct tern_stall_detector **out)
{
	struct tern_stall_detector *d;
	int rc;

	if (!c || !out)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->c = c;
	d->o = opts ? *opts : (struct tern_stall_opts){ 0 };
	if (!d->o.threshold_ns)
		d->o.threshold_ns = 10 * 1000 * 1000;
	if (!d->o.period_ns)
		d->o.period_ns = d->o.threshold_ns / 4 ? d->o.threshold_ns / 4 : 1;
	if (!d->o.report)
		d->o.report = log_report;
	if (d->o.period_ns > d->o.threshold_ns) {
		free(d);
		return -EINVAL;
	}
	if (tern__cores_attach_detector(c, d) < 0) {
		free(d);
		return -EBUSY;
	}
	rc = pthread_create(&d->thread, NULL, detector, d);
	if (rc != 0) {
		tern__cores_attach_detector(c, NULL);
		free(d);
		return -rc;
	}
	*out = d;
	return 0;
}

void tern_stall_detector_stop(struct tern_stall_detector *d)
{
	if (!d)
		return;
	__atomic_store_n(&d->stop, true, __ATOMIC_RELEASE);
	pthread_join(d->thread, NULL);
	tern__cores_attach_detector(d->c, NULL);
	free(d);
}
