/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cancellation sources. A source keeps its registrations in a circular list;
 * cancelling pops and calls them one at a time, so a callback may register
 * or unregister others safely. A linked child is one more registration on
 * its parent.
 */
#include "sched_internal.h"
#include "timer_internal.h"

struct tern__cancel {
	void *slab_link;            /* free list; not over the version word */
	uint32_t version;           /* even while live, odd in the pool */
	int err;                    /* 0, -ECANCELED or -ETIMEDOUT */
	struct tern_sched *sched;
	struct tern_cancel_reg regs;     /* sentinel */
	struct tern_cancel_reg parent;   /* our registration on a parent */
	struct tern_timer deadline;
};

size_t tern__cancel_size(void)
{
	return sizeof(struct tern__cancel);
}

static void list_init(struct tern_cancel_reg *h)
{
	h->next = h->prev = h;
}

static bool live(const struct tern__cancel *c, uint32_t version)
{
	return c && c->version == version;
}

static void fire(struct tern__cancel *c, int err)
{
	struct tern_cancel_reg *r;

	if (c->err)
		return; /* the first error stands (a child cancelled by hand
			 * stays -ECANCELED when its parent fires later) */
	c->err = err;
	tern_token_unregister(&c->parent);
	tern_timer_cancel(&c->deadline);
	while ((r = c->regs.next) != &c->regs) {
		r->prev->next = r->next;
		r->next->prev = r->prev;
		r->src = NULL;
		r->fn(r, err);
	}
}

static void parent_fired(struct tern_cancel_reg *reg, int err)
{
	fire(container_of(reg, struct tern__cancel, parent), err);
}

static void deadline_fired(struct tern_timer *t)
{
	fire(container_of(t, struct tern__cancel, deadline), -ETIMEDOUT);
}

static int make_on(struct tern_sched *s, tern_cancel_t *out, struct tern__cancel **cp)
{
	struct tern__cancel *c = tern__slab_get(&s->cancels);

	if (!c)
		return -ENOMEM;
	c->version = (c->version | 1) + 1;
	c->err = 0;
	c->sched = s;
	list_init(&c->regs);
	c->parent.src = NULL;
	tern_timer_init(&c->deadline, deadline_fired, NULL);
	*out = (tern_cancel_t){ c, c->version };
	*cp = c;
	return 0;
}

int tern__cancel_make(struct tern_sched *s, tern_cancel_t *out)
{
	struct tern__cancel *c;

	return make_on(s, out, &c);
}

static int make(tern_cancel_t *out, struct tern__cancel **cp)
{
	struct tern_sched *s = tern__tls_sched;

	if (!out)
		return -EINVAL;
	if (!s) {
		tern_log(TERN_LOG_ERR, "tern_cancel_create: the calling thread runs no core");
		return -EPERM;
	}
	return make_on(s, out, cp);
}

int tern_cancel_create(tern_cancel_t *out)
{
	struct tern__cancel *c;

	return make(out, &c);
}

int tern_cancel_create_linked(tern_token_t parent, tern_cancel_t *out)
{
	struct tern__cancel *c;
	int rc = make(out, &c);

	if (rc < 0)
		return rc;
	rc = tern_token_register(parent, &c->parent, parent_fired);
	if (rc == -ECANCELED || rc == -ETIMEDOUT) {
		c->err = rc; /* the parent fired already: born cancelled */
	} else if (rc < 0) {
		/* a disposed parent, or another core's: no child */
		tern_cancel_dispose(*out);
		*out = (tern_cancel_t){ 0 };
		return rc;
	}
	return 0;
}

tern_token_t tern_cancel_token(tern_cancel_t c)
{
	return (tern_token_t){ c.src, c.version };
}

static int check(struct tern__cancel *c, uint32_t version, const char *what)
{
	if (!c)
		return -EINVAL;
	if (!live(c, version))
		return tern__misuse(c->sched, -ESTALE, "%s: the source was disposed", what);
	return tern__check_owner(c->sched, what);
}

int tern_cancel(tern_cancel_t cs)
{
	struct tern__cancel *c = cs.src;
	int rc = check(c, cs.version, "tern_cancel");

	if (rc < 0)
		return rc;
	if (c->err) {
		tern_log(TERN_LOG_WARN, "tern_cancel: cancelled before");
		return -EALREADY;
	}
	fire(c, -ECANCELED);
	return 0;
}

int tern_cancel_after(tern_cancel_t cs, uint64_t ns)
{
	struct tern__cancel *c = cs.src;
	int rc = check(c, cs.version, "tern_cancel_after");

	if (rc < 0)
		return rc;
	if (c->err)
		return -EALREADY;
	if (ns > TERN_MAX_DELAY_NS)
		return -EINVAL;
	/* On the source's own core, whichever thread asks. */
	return tern__timer_arm(c->sched, &c->deadline, ns);
}

int tern_cancel_dispose(tern_cancel_t cs)
{
	struct tern__cancel *c = cs.src;
	struct tern_cancel_reg *r;
	int rc = check(c, cs.version, "tern_cancel_dispose");

	if (rc < 0)
		return rc;
	tern_timer_cancel(&c->deadline);
	tern_token_unregister(&c->parent);
	/* Waits stay, uncancellable through this source from now on. */
	while ((r = c->regs.next) != &c->regs) {
		c->regs.next = r->next;
		r->src = NULL;
	}
	c->version |= 1;
	tern__slab_put(&c->sched->cancels, c);
	return 0;
}

int tern_token_status(tern_token_t t)
{
	struct tern__cancel *c = t.src;

	if (!c)
		return 0;
	if (!live(c, t.version)) {
		tern_log(TERN_LOG_ERR, "tern token: its source was disposed");
		return -ESTALE;
	}
	return c->err;
}

int tern_token_register(tern_token_t t, struct tern_cancel_reg *reg,
			void (*fn)(struct tern_cancel_reg *reg, int err))
{
	struct tern__cancel *c = t.src;
	int rc;

	reg->src = NULL;
	if (!c)
		return 0;
	if (!live(c, t.version))
		return tern__misuse(c->sched, -ESTALE, "token: its source was disposed");
	rc = tern__check_owner(c->sched, "token");
	if (rc < 0)
		return rc;
	if (c->err)
		return c->err;
	reg->fn = fn;
	reg->src = c;
	reg->next = &c->regs;
	reg->prev = c->regs.prev;
	c->regs.prev->next = reg;
	c->regs.prev = reg;
	return 0;
}

void tern_token_unregister(struct tern_cancel_reg *reg)
{
	if (!reg->src)
		return;
	reg->prev->next = reg->next;
	reg->next->prev = reg->prev;
	reg->src = NULL;
}
