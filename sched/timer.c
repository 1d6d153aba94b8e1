/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-core hierarchical timer wheel (Varghese and Lauck's scheme 6).
 *
 * A timer expiring at tick e sits at the level of the highest 6-bit digit in
 * which e differs from now, in the slot named by e's digit there. Invariant:
 * every timer's digit at its level is above now's digit there, so a slot is
 * due exactly when now's digits reach it, and the lowest non-empty level's
 * lowest set bitmap bit is the next event. Advancing jumps from event to
 * event: cascading a slot re-files its timers one level or more down.
 */
#include "sched_internal.h"
#include "timer_internal.h"

#define DUE_LEVEL 0xff

static unsigned digit(uint64_t tick, unsigned level)
{
	return (tick >> (level * TERN__WHEEL_BITS)) & (TERN__WHEEL_SLOTS - 1);
}

void tern__wheel_init(struct tern__wheel *w, uint64_t now_ns)
{
	*w = (struct tern__wheel){ .now = now_ns >> TERN__TICK_SHIFT };
}

static void link_at(struct tern_timer **head, struct tern_timer *t)
{
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = head;
	*head = t;
}

static void file(struct tern__wheel *w, struct tern_timer *t)
{
	uint64_t e = t->expires;

	if (e <= w->now) {
		t->level = DUE_LEVEL;
		link_at(&w->due, t);
		return;
	}
	unsigned level = (63 - (unsigned)__builtin_clzll(e ^ w->now)) / TERN__WHEEL_BITS;
	unsigned slot = digit(e, level);

	t->level = (uint8_t)level;
	t->slot = (uint8_t)slot;
	link_at(&w->slot[level][slot], t);
	w->bitmap[level] |= UINT64_C(1) << slot;
}

static void unfile(struct tern__wheel *w, struct tern_timer *t)
{
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	if (t->level != DUE_LEVEL && !w->slot[t->level][t->slot])
		w->bitmap[t->level] &= ~(UINT64_C(1) << t->slot);
}

void tern_timer_init(struct tern_timer *t, tern_timer_fn fn, void *arg)
{
	*t = (struct tern_timer){ .fn = fn, .arg = arg };
}

static inline int arm_on(struct tern_sched *s, struct tern_timer *t, uint64_t ns)
{
	struct tern__wheel *w = &s->wheel;
	uint64_t now = tern_sched_now(s);

	if (t->armed && t->sched != s)
		return -EXDEV;
	if (t->armed) {
		unfile(w, t);
	} else {
		if (!w->live) /* the poll skipped the clock while empty */
			w->now = now >> TERN__TICK_SHIFT;
		w->live++;
	}
	/* Round up: a timer never fires before its time. */
	t->expires = (now + ns + (1u << TERN__TICK_SHIFT) - 1) >> TERN__TICK_SHIFT;
	t->sched = s;
	t->armed = 1;
	file(w, t);
	return 0;
}

int tern__timer_arm(struct tern_sched *s, struct tern_timer *t, uint64_t ns)
{
	return arm_on(s, t, ns);
}

int tern_timer_arm(struct tern_timer *t, uint64_t ns)
{
	struct tern_sched *s = tern__tls_sched;

	if (!t || !t->fn || ns > TERN_MAX_DELAY_NS) {
		tern_log(TERN_LOG_ERR, "tern_timer_arm: %s", !t || !t->fn ?
			 "timer not initialised (tern_timer_init)" : "delay above one year");
		return -EINVAL;
	}
	if (!s) {
		tern_log(TERN_LOG_ERR, "tern_timer_arm: the calling thread runs no core");
		return -EPERM;
	}
	return arm_on(s, t, ns);
}

int tern_timer_cancel(struct tern_timer *t)
{
	int rc;

	if (!t || !t->armed)
		return -ENOENT;
	rc = tern__check_owner(t->sched, "tern_timer_cancel");
	if (rc < 0)
		return rc;
	unfile(&t->sched->wheel, t);
	t->armed = 0;
	t->sched->wheel.live--;
	return 0;
}

static unsigned fire_list(struct tern__wheel *w, struct tern_timer **head)
{
	struct tern_timer *t;
	unsigned n = 0;

	/* Pop one at a time: a callback may cancel or re-arm any timer. */
	while ((t = *head) != NULL) {
		unfile(w, t);
		t->armed = 0;
		w->live--;
		n++;
		t->fn(t);
	}
	w->fired += n;
	return n;
}

/* Fires the timers due now. Detached first: one a callback re-arms at delay
 * 0 lands on the live due list and waits for the next poll, so a poll is
 * bounded however callbacks re-arm. */
static unsigned fire_due(struct tern__wheel *w)
{
	struct tern_timer *due = w->due;

	if (!due)
		return 0;
	w->due = NULL;
	due->pprev = &due;
	return fire_list(w, &due);
}

static void cascade(struct tern__wheel *w, unsigned level, unsigned slot)
{
	struct tern_timer *t = w->slot[level][slot];

	w->slot[level][slot] = NULL;
	w->bitmap[level] &= ~(UINT64_C(1) << slot);
	while (t) {
		struct tern_timer *next = t->next;
		w->cascaded++;
		file(w, t);
		t = next;
	}
}

/* The next event after w->now: the lowest non-empty level's next slot.
 * Returns false when the wheel holds nothing. */
static bool next_event(const struct tern__wheel *w, unsigned *level_out, uint64_t *tick_out)
{
	for (unsigned l = 0; l < TERN__WHEEL_LEVELS; l++) {
		if (!w->bitmap[l])
			continue;
		/* By the invariant every set bit is above now's digit. */
		unsigned slot = (unsigned)__builtin_ctzll(w->bitmap[l]);
		unsigned shift = l * TERN__WHEEL_BITS;
		uint64_t block = (w->now >> (shift + TERN__WHEEL_BITS)) << (shift + TERN__WHEEL_BITS);

		*level_out = l;
		*tick_out = block | ((uint64_t)slot << shift);
		return true;
	}
	return false;
}

static unsigned advance(struct tern__wheel *w, uint64_t target)
{
	unsigned n = 0, level;
	uint64_t tick;

	while (w->now < target) {
		if (!next_event(w, &level, &tick) || tick > target) {
			w->now = target;
			break;
		}
		w->now = tick;
		if (level == 0) {
			n += fire_list(w, &w->slot[0][digit(tick, 0)]);
		} else {
			/* Timers due exactly now are re-filed as due. */
			cascade(w, level, digit(tick, level));
			n += fire_due(w);
		}
	}
	return n;
}

int tern__wheel_poll(void *arg)
{
	struct tern_sched *s = arg;
	struct tern__wheel *w = &s->wheel;
	uint64_t target;
	unsigned n = 0;

	/* An empty wheel costs no clock read (11 ns here); arming catches
	 * w->now up instead. */
	if (!w->live)
		return 0;
	target = tern_sched_now(s) >> TERN__TICK_SHIFT;

	if (target > w->now || w->due) {
		n += fire_due(w);
		n += advance(w, target);
	}
	return (int)n;
}

/* ---- tern_sleep ---- */

struct sleep_wait {
	struct tern__wait w;
	struct tern_timer tm;
};

static void sleep_fired(struct tern_timer *t)
{
	struct sleep_wait *sw = container_of(t, struct sleep_wait, tm);

	tern__wait_wake(&sw->w, 0);
}

static void sleep_withdraw(struct tern__wait *w)
{
	struct sleep_wait *sw = container_of(w, struct sleep_wait, w);

	tern_timer_cancel(&sw->tm);
}

intptr_t tern_sleep(uint64_t ns, tern_token_t tok)
{
	struct tern_sched *s = tern__tls_sched;
	struct sleep_wait sw;
	int rc;

	if (!s || !s->current) {
		tern_log(TERN_LOG_ERR, "tern_sleep: not inside a task; arm a tern_timer instead");
		return -EPERM;
	}
	tern_timer_init(&sw.tm, sleep_fired, NULL);
	rc = tern_timer_arm(&sw.tm, ns);
	if (rc < 0)
		return rc;
	sw.w = (struct tern__wait){ .withdraw = sleep_withdraw };
	return tern__wait(s, &sw.w, tok);
}
