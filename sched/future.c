/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Completion records behind futures, and promises.
 *
 * A record's version is even while it is live and odd while it sits in its
 * pool; every reuse moves it on by two. A future or promise holds the
 * version it was made with, so a handle one step behind (odd) was consumed
 * (-EALREADY) and one further behind was reused (-ESTALE). The pool never
 * frees the memory early, so reading the version of a stale handle is safe.
 */
#include "sched_internal.h"

void tern__rec_release(struct tern__rec *r)
{
	struct tern_sched *s = r->sched;

	r->version |= 1;
	s->st.records_live--;
	if (r->kind == REC_TASK)
		tern__slab_put(&s->tasks, container_of(r, struct tern_task, rec));
	else if (r->kind == REC_SUBMIT)
		tern__submit_release(r);
	else
		tern__slab_put(&s->promises, container_of(r, struct tern__promise, rec));
}

static const char *rec_name(const struct tern__rec *r)
{
	if (r->kind == REC_TASK)
		return container_of(r, struct tern_task, rec)->name;
	if (r->kind == REC_SUBMIT)
		return container_of(r, struct tern__submit, rec)->name;
	return "promise";
}

/* Task-like records (tasks, submits, stealable tasks) report failures
 * nobody will look at; a promise's value is its completer's business. */
static bool observable(const struct tern__rec *r)
{
	return r->kind == REC_TASK || r->kind == REC_SUBMIT;
}

void tern__rec_complete(struct tern__rec *r, intptr_t value)
{
	struct tern__wait *w = r->waiter;

	r->state = REC_DONE;
	r->value = value;
	if (w) {
		r->waiter = NULL;
		if (w->wake)
			w->wake(w); /* a combinator's sub-wait */
		else
			tern__wait_wake(w, 0);
	} else if (r->dropped) {
		if (value < 0 && observable(r))
			tern__unobserved(r->sched, rec_name(r), value);
		tern__rec_release(r);
	}
}

/* Classifies a handle whose version no longer matches its record. */
static int stale(const struct tern__rec *r, uint32_t version, const char *what)
{
	if (r->version == (version | 1))
		return tern__misuse(r->sched, -EALREADY,
				    "%s: %s already awaited to completion or dropped", what,
				    "future");
	return tern__misuse(r->sched, -ESTALE, "%s: stale handle (its record was reused)", what);
}

static intptr_t consume(struct tern__rec *r)
{
	intptr_t v = r->value;

	tern__rec_release(r);
	return v;
}

static void await_withdraw(struct tern__wait *w)
{
	struct tern__rec *r = w->obj;

	/* Back to pending with no consumer: it may be awaited again. */
	r->waiter = NULL;
}

intptr_t tern__await_slow(tern_future_t f, tern_token_t tok)
{
	struct tern__rec *r = f.rec;
	struct tern_sched *s = r->sched;
	uint32_t ver = (uint32_t)f.v;
	int rc;

	if (TERN_UNLIKELY(r->version != ver))
		return stale(r, ver, "tern_await");
	rc = tern__check_owner(s, "tern_await");
	if (rc < 0)
		return rc;
	if (r->state == REC_DONE)
		return consume(r);
	if (r->dropped || r->waiter)
		return tern__misuse(s, -EALREADY, "tern_await: future %s by another consumer",
				    r->dropped ? "was dropped" : "is already awaited");
	if (!s->current || tern__tls_sched != s) {
		tern_log(TERN_LOG_ERR, "tern_await: the future is not complete and the caller "
				       "is not a task; await inside a task, or use tern_block_on() "
				       "from a thread that is not a core");
		return -EPERM;
	}
	if (r == &s->current->rec)
		return tern__misuse(s, -EDEADLK, "tern_await: task %s awaits itself",
				    s->current->name);

	struct tern__wait w = { .withdraw = await_withdraw, .obj = r };
	r->waiter = &w;
	intptr_t res = tern__wait(s, &w, tok);
	if (res < 0)
		return res; /* withdrawn: r is pending again */
	return consume(r);
}

bool tern_future_done(tern_future_t f)
{
	struct tern__rec *r = f.rec;

	return !r || r->version != (uint32_t)f.v || r->state == REC_DONE;
}

int tern_future_drop(tern_future_t f)
{
	struct tern__rec *r = f.rec;
	int rc;

	if (!r)
		return 0;
	if (r->version != (uint32_t)f.v)
		return stale(r, (uint32_t)f.v, "tern_future_drop");
	rc = tern__check_owner(r->sched, "tern_future_drop");
	if (rc < 0)
		return rc;
	if (r->waiter)
		return tern__misuse(r->sched, -EBUSY, "tern_future_drop: a task awaits it");
	if (r->dropped)
		return tern__misuse(r->sched, -EALREADY, "tern_future_drop: dropped before");
	if (r->state == REC_DONE) {
		/* A failure nobody will look at now is unobserved. */
		if (r->value < 0 && observable(r))
			tern__unobserved(r->sched, rec_name(r), r->value);
		tern__rec_release(r);
		return 0;
	}
	r->dropped = 1;
	return 0;
}

static int promise_make(tern_promise_t *out, bool shared)
{
	struct tern_sched *s = tern__tls_sched;
	struct tern__promise *p;

	if (!out)
		return -EINVAL;
	if (!s) {
		tern_log(TERN_LOG_ERR, "tern_promise_create: the calling thread runs no core");
		return -EPERM;
	}
	p = tern__slab_get(&s->promises);
	if (!p)
		return -ENOMEM;
	p->rec = (struct tern__rec){
		.version = (p->rec.version | 1) + 1, .kind = REC_PROMISE, .sched = s,
	};
	p->shared = shared;
	/* A shared promise is claimed from this incarnation's version to its
	 * odd successor; a stale completer's CAS (older version) must fail,
	 * and 1 never matches an even version. Release pairs with the
	 * completers' CAS. */
	__atomic_store_n(&p->claimed, shared ? p->rec.version : 1u, __ATOMIC_RELEASE);
	s->st.records_live++;
	if (shared)
		s->shared_live++;
	*out = (tern_promise_t){ &p->rec, p->rec.version, shared };
	return 0;
}

int tern_promise_create(tern_promise_t *out)
{
	return promise_make(out, false);
}

int tern_promise_create_shared(tern_promise_t *out)
{
	return promise_make(out, true);
}

/* On the owner: a completion that came from another thread. */
static void shared_landed(struct tern_sched *s, struct tern__msg *m)
{
	struct tern__promise *p = container_of(m, struct tern__promise, xmsg);

	/* Pairs with complete_shared's increment before posting. */
	__atomic_fetch_sub(&s->xpending, 1, __ATOMIC_RELEASE);
	s->shared_live--;
	tern__rec_complete(&p->rec, p->xvalue);
}

/*
 * Only the claim touches the record before it is won: the winner holds this
 * incarnation (it cannot be released before it completes), a loser learns
 * nothing but that it lost, and writes nothing to the owner.
 */
static int complete_shared(tern_promise_t h, intptr_t value)
{
	struct tern__promise *p = container_of(h.rec, struct tern__promise, rec);
	uint32_t expect = h.version;
	struct tern_sched *owner;

	/* acq_rel: pairs with promise_make's release of claimed (and with
	 * other completers' claims). */
	if (!__atomic_compare_exchange_n(&p->claimed, &expect, h.version | 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return expect == (h.version | 1) ? -EALREADY : -ESTALE;
	owner = p->rec.sched;
	if (tern__tls_sched == owner) {
		owner->shared_live--;
		tern__rec_complete(&p->rec, value);
		return 0;
	}
	p->xvalue = value;
	p->xmsg.fn = shared_landed;
	/* Counted before posting, so the owner never sees the message
	 * without the count (it waits for xpending at block_on and destroy). */
	__atomic_fetch_add(&owner->xpending, 1, __ATOMIC_ACQ_REL);
	tern__post(&p->xmsg, owner); /* the inbox's release publishes xvalue */
	return 0;
}

tern_future_t tern_promise_future(tern_promise_t p)
{
	return (tern_future_t){ p.rec, (intptr_t)p.version };
}

int tern_promise_complete(tern_promise_t p, intptr_t value)
{
	struct tern__rec *r = p.rec;
	int rc;

	if (!r)
		return -EINVAL;
	if (p.shared)
		return complete_shared(p, value);
	if (r->version != p.version) {
		if (r->version == (p.version | 1))
			return tern__misuse(r->sched, -EALREADY,
					    "tern_promise_complete: completed before");
		return tern__misuse(r->sched, -ESTALE, "tern_promise_complete: stale promise");
	}
	rc = tern__check_owner(r->sched, "tern_promise_complete");
	if (rc < 0)
		return rc;
	if (r->state == REC_DONE)
		return tern__misuse(r->sched, -EALREADY,
				    "tern_promise_complete: completed before (first value stands)");
	tern__rec_complete(r, value);
	return 0;
}
