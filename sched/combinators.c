/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * when_all, when_any and await_timeout.
 *
 * A record has one waiter slot, which wakes one task. A combinator waits on
 * many records with one task, so it links a sub-wait into each record: a
 * struct tern__wait with no task whose wake hook (see sched_internal.h)
 * reports to the group instead. The group is the task's own wait: it wakes
 * once, when the first sub fires (any) or the last one (all), and its
 * withdraw unlinks every sub still linked, so after the combinator returns
 * no record points into its stack. Sub-waits live on the task's stack for
 * up to STACK_SUBS futures, else in one allocation for the call.
 */
#include <stdlib.h>

#include <tern/combinators.h>

#include "waitq.h"

#define STACK_SUBS 8

struct group;

struct sub {
	struct tern__wait w;     /* the record's waiter while linked */
	struct group *g;
	struct tern__rec *rec;   /* NULL: not linked */
};

struct group {
	struct tern__wait w;     /* the task's own wait */
	struct sub *subs;
	size_t n;
	size_t pending;          /* linked subs that have not fired */
	size_t first;            /* when_any: the index that fired */
	bool any;
};

static void unlink_all(struct group *g)
{
	for (size_t i = 0; i < g->n; i++) {
		if (g->subs[i].rec) {
			g->subs[i].rec->waiter = NULL; /* pending again, no consumer */
			g->subs[i].rec = NULL;
		}
	}
}

/* A record completed (it has cleared its waiter slot already). */
static void sub_fired(struct tern__wait *w)
{
	struct sub *sb = container_of(w, struct sub, w);
	struct group *g = sb->g;

	sb->rec = NULL;
	g->pending--;
	if (g->any) {
		g->first = (size_t)(sb - g->subs);
		unlink_all(g); /* the losers complete into nothing of ours */
		tern__wait_wake(&g->w, 0);
	} else if (g->pending == 0) {
		tern__wait_wake(&g->w, 0);
	}
}

static void group_withdraw(struct tern__wait *w)
{
	unlink_all(w->obj);
}

/* 0 when @f can be combined: a value, or a live record of core @s with no
 * other consumer that is not the calling task's own. */
static int check_future(tern_future_t f, struct tern_sched *s, const char *what)
{
	struct tern__rec *r = f.rec;

	if (!r)
		return 0;
	if (r->version != (uint32_t)f.v)
		return (int)tern_await(f, TERN_TOKEN_NONE); /* classifies, never waits */
	if (r->sched != s) {
		tern_log(TERN_LOG_ERR, "%s: futures of two cores in one call", what);
		return -EXDEV;
	}
	if (r->dropped || r->waiter)
		return tern__misuse(s, -EALREADY, "%s: a future is dropped, awaited elsewhere "
					       "or given twice", what);
	if (s->current && tern__tls_sched == s && r == &s->current->rec)
		return tern__misuse(s, -EDEADLK, "%s: task %s awaits itself", what, s->current->name);
	return 0;
}

/* The core of the first record in @f (NULL: all are values). */
static struct tern_sched *home(const tern_future_t *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].rec)
			return f[i].rec->sched;
	return NULL;
}

/* Same rules as tern_await: the futures' core, from the thread that
 * drives it (or from any thread while nobody does). */
static int check_args(const tern_future_t *f, size_t n, const char *what)
{
	struct tern_sched *s;
	int rc = 0;

	if (!f || n == 0 || n > TERN_WHEN_MAX) {
		tern_log(TERN_LOG_ERR, "%s: %s", what, !f ? "NULL futures" :
			 "the count must be 1 .. TERN_WHEN_MAX");
		return -EINVAL;
	}
	s = home(f, n);
	if (s)
		rc = tern__check_owner(s, what);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = check_future(f[i], s, what);
	return rc;
}

static bool done(tern_future_t f)
{
	return !f.rec || f.rec->state == REC_DONE;
}

/* Links a sub-wait into every pending record; a record met twice (the same
 * future given twice) undoes the links and fails. */
static int link_all(struct group *g, const tern_future_t *f)
{
	for (size_t i = 0; i < g->n; i++) {
		struct tern__rec *r = f[i].rec;

		g->subs[i] = (struct sub){ .w = { .wake = sub_fired }, .g = g };
		if (done(f[i]))
			continue;
		if (r->waiter) {
			unlink_all(g);
			return tern__misuse(r->sched, -EALREADY, "combinator: a future is given twice");
		}
		g->subs[i].rec = r;
		r->waiter = &g->subs[i].w;
		g->pending++;
	}
	return 0;
}

/* Suspends the calling task until the first (any) or every (all) future
 * of @f is complete, or @tok fires; consumes nothing. */
static intptr_t wait_group(const tern_future_t *f, size_t n, bool any, tern_token_t tok,
			   size_t *first, const char *what)
{
	struct tern_sched *s = home(f, n); /* some future is pending: not NULL */
	struct sub on_stack[STACK_SUBS];
	struct group g = { .n = n, .any = any, .subs = on_stack };
	intptr_t rc = tern__waitq_can_wait(s, what);

	if (rc < 0)
		return rc;
	if (n > STACK_SUBS && !(g.subs = malloc(n * sizeof(*g.subs))))
		return -ENOMEM;
	rc = link_all(&g, f);
	if (rc == 0) {
		g.w = (struct tern__wait){ .withdraw = group_withdraw, .obj = &g };
		rc = tern__wait(s, &g.w, tok);
		*first = g.first;
	}
	if (g.subs != on_stack)
		free(g.subs);
	return rc;
}

intptr_t tern_when_all(const tern_future_t *futures, size_t n, intptr_t *results,
		       tern_token_t tok)
{
	size_t all_done = 0, unused;
	intptr_t rc = check_args(futures, n, "tern_when_all");

	if (rc == 0 && !results) {
		tern_log(TERN_LOG_ERR, "tern_when_all: NULL results");
		rc = -EINVAL;
	}
	if (rc < 0)
		return rc;
	while (all_done < n && done(futures[all_done]))
		all_done++;
	if (all_done < n) {
		rc = wait_group(futures, n, false, tok, &unused, "tern_when_all");
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < n; i++)
		results[i] = tern_await(futures[i], TERN_TOKEN_NONE); /* complete: no wait */
	return 0;
}

intptr_t tern_when_any(const tern_future_t *futures, size_t n, size_t *index,
		       intptr_t *value, tern_token_t tok)
{
	size_t first = 0;
	intptr_t rc = check_args(futures, n, "tern_when_any");

	if (rc == 0 && (!index || !value)) {
		tern_log(TERN_LOG_ERR, "tern_when_any: NULL index or value");
		rc = -EINVAL;
	}
	if (rc < 0)
		return rc;
	while (first < n && !done(futures[first]))
		first++;
	if (first == n) {
		rc = wait_group(futures, n, true, tok, &first, "tern_when_any");
		if (rc < 0)
			return rc;
	}
	*index = first;
	*value = tern_await(futures[first], TERN_TOKEN_NONE);
	return 0;
}

intptr_t tern_await_timeout(tern_future_t f, uint64_t ns, tern_token_t tok)
{
	tern_cancel_t c;
	intptr_t r;
	int rc;

	if (tern_future_done(f))
		return tern_await(f, tok); /* at once: value or the handle's error */
	if (ns > TERN_MAX_DELAY_NS) {
		tern_log(TERN_LOG_ERR, "tern_await_timeout: timeout above one year");
		return -EINVAL;
	}
	rc = tern_token_status(tok); /* fired or stale: say so before linking */
	if (rc < 0)
		return rc;
	/* A child of @tok with its own deadline: either one ends the wait. */
	rc = tern_cancel_create_linked(tok, &c);
	if (rc < 0)
		return rc;
	rc = tern_cancel_after(c, ns);
	r = rc < 0 ? rc : tern_await(f, tern_cancel_token(c));
	tern_cancel_dispose(c);
	return r;
}
