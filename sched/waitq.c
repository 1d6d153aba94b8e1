/* SPDX-License-Identifier: BSD-3-Clause */
/* FIFO wait queues (see waitq.h). */
#include "waitq.h"

static void unlink_waiter(struct tern__waitq *q, struct tern__waiter *wt)
{
	if (wt->prev)
		wt->prev->next = wt->next;
	else
		q->head = wt->next;
	if (wt->next)
		wt->next->prev = wt->prev;
	else
		q->tail = wt->prev;
	wt->next = wt->prev = NULL;
	q->len--;
}

struct tern__waiter *tern__waitq_pop(struct tern__waitq *q)
{
	struct tern__waiter *wt = q->head;

	if (wt)
		unlink_waiter(q, wt);
	return wt;
}

/* The token fired: leave the queue, so nothing is handed to this waiter. */
static void waiter_withdraw(struct tern__wait *w)
{
	unlink_waiter(w->obj, container_of(w, struct tern__waiter, w));
}

intptr_t tern__waitq_wait(struct tern_sched *s, struct tern__waitq *q,
			  struct tern__waiter *wt, tern_token_t tok)
{
	wt->w = (struct tern__wait){ .withdraw = waiter_withdraw, .obj = q };
	wt->next = NULL;
	wt->prev = q->tail;
	if (q->tail)
		q->tail->next = wt;
	else
		q->head = wt;
	q->tail = wt;
	q->len++;
	return tern__wait(s, &wt->w, tok);
}

bool tern__waitq_wake_one(struct tern__waitq *q, intptr_t result)
{
	struct tern__waiter *wt = tern__waitq_pop(q);

	if (!wt)
		return false;
	tern__wait_wake(&wt->w, result);
	return true;
}

void tern__waitq_wake_all(struct tern__waitq *q, intptr_t result)
{
	while (tern__waitq_wake_one(q, result))
		;
}

int tern__waitq_can_wait(const struct tern_sched *s, const char *what)
{
	int rc = tern__check_owner(s, what);

	if (rc < 0)
		return rc;
	if (tern__tls_sched != s || !s->current) {
		tern_log(TERN_LOG_ERR, "%s: would wait, but the caller is not a task of core %s; "
				       "use the try_ variant outside tasks", what, s->name);
		return -EPERM;
	}
	return 0;
}

struct tern_sched *tern__sync_home(struct tern_sched *opt_sched, const char *what)
{
	struct tern_sched *s = opt_sched ? opt_sched : tern__tls_sched;

	if (!s)
		tern_log(TERN_LOG_ERR, "%s: no opts.sched and the calling thread runs no core", what);
	return s;
}
