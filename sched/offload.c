/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload pool: blocking work on plain threads. A job is a submit
 * record of the calling core (its pool, its version): the queue links jobs
 * through the record's `go` message, and the result goes back through the
 * caller's inbox as the record's `back` message, like any cross-core reply.
 * The threads block on a condition variable: they are not polling cores.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <tern/offload.h>

#include "sched_internal.h"

struct tern_offload_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct tern__msg *head, *tail; /* queued jobs, FIFO */
	bool closing;
	unsigned n;
	pthread_t threads[TERN_OFFLOAD_MAX_THREADS];
};

static void run_job(struct tern__msg *m)
{
	struct tern__submit *sub = tern__submit_of_go(m);
	struct timespec ts = { 0, 50 * 1000 };

	sub->result = sub->fn(sub->arg);
	/* A plain thread may wait for room in the core's inbox. */
	while (tern__inbox_post(&sub->origin->inbox, &sub->back) == -EAGAIN)
		nanosleep(&ts, NULL);
}

static void *worker(void *arg)
{
	struct tern_offload_pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct tern__msg *m = p->head;

		if (!m) {
			if (p->closing)
				break;
			pthread_cond_wait(&p->work, &p->lock);
			continue;
		}
		p->head = m->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->lock);
		run_job(m);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int tern_offload_pool_create(unsigned threads, struct tern_offload_pool **out)
{
	struct tern_offload_pool *p;

	if (!out || threads == 0 || threads > TERN_OFFLOAD_MAX_THREADS)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	for (; p->n < threads; p->n++) {
		int rc = pthread_create(&p->threads[p->n], NULL, worker, p);
		if (rc != 0) {
			tern_offload_pool_destroy(p);
			return -rc;
		}
	}
	*out = p;
	return 0;
}

void tern_offload_pool_destroy(struct tern_offload_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->closing = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int tern_offload(struct tern_offload_pool *p, tern_task_fn fn, void *arg, tern_future_t *out)
{
	struct tern_sched *self = tern__tls_sched;
	struct tern__submit *sub;

	if (!p || !fn || !out)
		return -EINVAL;
	if (!self) {
		tern_log(TERN_LOG_ERR, "tern_offload: the calling thread drives no core; "
				       "call the function directly instead");
		return -EPERM;
	}
	sub = tern__submit_new(self, fn, arg, "offload", 0, false);
	if (!sub)
		return -ENOMEM;
	sub->external = true; /* its reply may land whatever the group does */
	self->external_pending++;
	sub->go.next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->closing) {
		pthread_mutex_unlock(&p->lock);
		tern__submit_abandon(sub);
		return -ESHUTDOWN;
	}
	if (p->tail)
		p->tail->next = &sub->go;
	else
		p->head = &sub->go;
	p->tail = &sub->go;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	*out = (tern_future_t){ &sub->rec, sub->rec.version };
	return 0;
}
