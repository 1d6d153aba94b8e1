/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * serve-style dispatch (ASYNC_MODEL.md "Per-packet dispatch", item 2): a
 * handler task per datagram, at most max_handlers at once.
 *
 * Datagrams go through the socket's bounded queue as for tern_udp_recv():
 * udp_in.c queues one and kicks; a kick takes queued datagrams while a
 * handler slot is free and spawns a detached task for each, deferred so
 * the RX burst is demultiplexed first. A handler that returns frees its
 * slot and kicks again, so the queue drains as handlers finish. Slots are
 * made once per serve: no allocation per datagram beyond the task, whose
 * record and stack come from the core's pools.
 */
#include <stdlib.h>
#include <string.h>

#include <tern/task.h>

#include "engine_internal.h"

#define SERVE_MAX (1u << 16)
#define SERVE_DEFAULT 64

struct serve_slot {
	struct eng_serve *sv;
	struct serve_slot *next;  /* free list */
	struct tern_udp_dgram d;  /* the handler's datagram */
};

struct eng_serve {
	struct tern_udp_sock *sock;
	tern_udp_handler_fn fn;
	void *arg;
	size_t stack_size;
	uint32_t running;
	bool stopping;
	char name[32];
	struct serve_slot *free;
	struct eng_waitlist drain; /* tern_udp_serve_stop() awaiting running == 0 */
	struct serve_slot slots[];
};

bool eng_serve_active(const struct tern_udp_sock *s)
{
	return s->serve != NULL && !s->serve->stopping;
}

uint32_t eng_serve_running(const struct tern_udp_sock *s)
{
	return s->serve != NULL ? s->serve->running : 0;
}

bool eng_serve_busy(const struct tern_udp_sock *s)
{
	return s->serve != NULL && (s->serve->running > 0 || s->serve->drain.busy > 0);
}

/* Only once no handler runs (close and destroy check it first). */
void eng_serve_free(struct tern_udp_sock *s)
{
	free(s->serve);
	s->serve = NULL;
}

static intptr_t serve_task(void *arg)
{
	struct serve_slot *sl = arg;
	struct eng_serve *sv = sl->sv;
	intptr_t r = sv->fn(sv->sock, &sl->d, sv->arg);

	sl->next = sv->free;
	sv->free = sl;
	sv->running--;
	if (sv->running == 0 && sv->drain.n > 0)
		eng_wake_all(&sv->drain, 0);
	eng_serve_kick(sv, 0);
	return r; /* detached: a failure goes to the unobserved-failure policy */
}

/*
 * A datagram leaves the queue only once its task exists: a refused spawn
 * (no stack could be mapped) leaves it queued for the next kick, which
 * the next arrival or the next handler to finish makes. Once serving
 * stopped, what arrives is for tern_udp_recv(): the @p arrived datagrams
 * wake as many of the socket's waiters.
 */
void eng_serve_kick(struct eng_serve *sv, uint32_t arrived)
{
	struct tern_udp_sock *s = sv->sock;
	struct tern_task_opts o = { .name = sv->name, .stack_size = sv->stack_size,
				    .sched = s->eng->sched,
				    .flags = TERN_TASK_DEFER | TERN_TASK_DETACHED };

	if (sv->stopping) {
		for (; arrived > 0 && s->waiters.n > 0; arrived--)
			eng_wake_one(&s->waiters, 0);
		return;
	}
	while (sv->free != NULL && s->head != s->tail) {
		struct serve_slot *sl = sv->free;

		tern_udp_describe(s->q[s->head & s->mask], &sl->d);
		if (tern_task_spawn(serve_task, sl, &o, NULL) < 0) {
			s->st.serve_spawn_failed++;
			return;
		}
		sv->free = sl->next;
		s->head++;
		sv->running++;
		s->st.served++;
	}
}

static int serve_check(const struct tern_udp_sock *s, tern_udp_handler_fn fn,
		       const struct tern_udp_serve_opts *o)
{
	if (s == NULL || fn == NULL)
		return -EINVAL;
	if (o != NULL && (o->max_handlers > SERVE_MAX ||
			  (o->stack_size != 0 && (o->stack_size < TERN_STACK_MIN ||
						  o->stack_size > TERN_STACK_MAX))))
		return -EINVAL;
	if (eng_serve_active(s) || eng_serve_busy(s) || s->waiters.busy > 0)
		return -EBUSY;
	return 0;
}

int tern_udp_serve(struct tern_udp_sock *s, tern_udp_handler_fn fn, void *arg,
		   const struct tern_udp_serve_opts *opts)
{
	struct tern_udp_serve_opts o = opts != NULL ? *opts : (struct tern_udp_serve_opts){ 0 };
	struct eng_serve *sv;
	int rc = serve_check(s, fn, opts);

	if (rc < 0)
		return rc;
	if (o.max_handlers == 0)
		o.max_handlers = SERVE_DEFAULT;
	sv = calloc(1, sizeof(*sv) + o.max_handlers * sizeof(sv->slots[0]));
	if (sv == NULL)
		return -ENOMEM;
	sv->sock = s;
	sv->fn = fn;
	sv->arg = arg;
	sv->stack_size = o.stack_size;
	snprintf(sv->name, sizeof(sv->name), "%s", o.name != NULL ? o.name : "udp-serve");
	eng_waitlist_init(&sv->drain);
	for (uint32_t i = o.max_handlers; i-- > 0;) {
		sv->slots[i].sv = sv;
		sv->slots[i].next = sv->free;
		sv->free = &sv->slots[i];
	}
	eng_serve_free(s); /* a stopped serve whose handlers all ended */
	s->serve = sv;
	eng_serve_kick(sv, 0);
	return 0;
}

intptr_t tern_udp_serve_stop(struct tern_udp_sock *s, tern_token_t tok)
{
	struct eng_serve *sv;

	if (s == NULL || (sv = s->serve) == NULL)
		return -EINVAL;
	sv->stopping = true;
	while (sv->running > 0) {
		intptr_t v;

		if (!tern_in_task())
			return -EINPROGRESS;
		v = eng_wait(&sv->drain, tok);
		if (v < 0)
			return v;
	}
	return 0;
}
