/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tasks: spawn, the switch in and out, and completion.
 *
 * Switching is asymmetric: whoever resumes a task (the core's loop, or a
 * task that spawned it eagerly) is recorded as its resumer, and the task
 * switches back there when it waits or ends. A task never frees its own
 * stack: the resumer does, after the switch back.
 */
#include <string.h>

#include "asan.h"
#include "sched_internal.h"

static void task_entry(void *arg)
{
	struct tern_task *t = arg;

	tern__asan_finish(NULL, NULL, NULL);
	intptr_t r = t->fn(t->arg);

	t->rec.value = r;
	t->state = TASK_DONE;
	/* NULL: this fiber's fake stack goes away with the task. */
	tern__asan_start(NULL, t->res_bottom, t->res_size);
	tern__ctx_switch_out(&t->ctx, t->resumer);
	__builtin_unreachable();
}

static void task_done(struct tern_sched *s, struct tern_task *t)
{
	tern__stack_put(&s->stacks, t->stack);
	t->stack = NULL; /* a task with a stack is live: see tern_sched_destroy */
	s->st.tasks_done++;
	s->st.tasks_live--;
	tern__rec_complete(&t->rec, t->rec.value);
}

void tern__task_resume(struct tern_sched *s, struct tern_task *t)
{
	struct tern_task *prev = s->current, *back;
	struct tern__ctx *from = prev ? &prev->ctx : &s->main_ctx;
	void *fake = NULL;

	t->resumer = from;
	if (TERN__ASAN) {
		t->res_bottom = prev ? prev->stack->map + TERN__STACK_GUARD : s->asan_main_bottom;
		t->res_size = prev ? prev->stack->size : s->asan_main_size;
	}
	t->state = TASK_RUNNING;
	s->current = t;
	s->switches++;
	if (TERN_UNLIKELY(t->ready_at))
		tern__latency_record(s, t);
	tern__asan_start(&fake, t->stack->map + TERN__STACK_GUARD, t->stack->size);
	tern__ctx_switch(from, &t->ctx);
	tern__asan_finish(fake, NULL, NULL);
	/* Not always t: tasks resumed by the loop hand the core to each
	 * other (see leave()), and the last one of the chain comes back. */
	back = s->current;
	s->current = prev;
	if (back->state == TASK_DONE)
		task_done(s, back);
}

/*
 * The running task @t gives up the core (it waits, or yielded and is queued).
 * If the loop resumed it and the round's budget allows, the next ready task
 * runs straight away, one switch instead of two through the loop's context;
 * if that next task is @t itself, nothing switches at all. Otherwise @t
 * returns to its resumer: the loop (budget spent: pollers are due) or the
 * task that spawned it and waits for it to first suspend.
 */
static void leave(struct tern_sched *s, struct tern_task *t)
{
	struct tern_task *next = s->rq_head;
	void *fake = NULL;

	if (t->resumer == &s->main_ctx && next && tern__budget_take(s)) {
		tern__runq_pop(s);
		next->state = TASK_RUNNING;
		if (next == t)
			return;
		next->resumer = &s->main_ctx;
		if (TERN__ASAN) {
			next->res_bottom = s->asan_main_bottom;
			next->res_size = s->asan_main_size;
		}
		s->current = next;
		if (TERN_UNLIKELY(next->ready_at))
			tern__latency_record(s, next);
		tern__asan_start(&fake, next->stack->map + TERN__STACK_GUARD, next->stack->size);
		tern__ctx_switch(&t->ctx, &next->ctx);
	} else {
		tern__asan_start(&fake, t->res_bottom, t->res_size);
		tern__ctx_switch_out(&t->ctx, t->resumer);
	}
	tern__asan_finish(fake, NULL, NULL);
}

/* strncpy would zero-fill the whole buffer on every spawn (a fifth of
 * spawn+await's instructions), and names are short: copy up to the
 * terminator inline, no library call. */
static void copy_name(char *dst, const char *src)
{
	unsigned i = 0;

	for (; i < TERN__NAME_LEN - 1 && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

static struct tern_sched *target_sched(const struct tern_task_opts *o)
{
	return o && o->sched ? o->sched : tern__tls_sched;
}

static int check_spawn(tern_task_fn fn, const struct tern_task_opts *o, tern_task_t *out,
		       struct tern_sched *s, size_t *stack)
{
	unsigned flags = o ? o->flags : 0;

	if (!fn || (!out && !(flags & TERN_TASK_DETACHED)))
		return -EINVAL;
	if (!s) {
		tern_log(TERN_LOG_ERR, "tern_task_spawn: the calling thread runs no core; "
				       "pass opts.sched or call tern_block_on()");
		return -EPERM;
	}
	if (s != tern__tls_sched && __atomic_load_n(&s->driven, __ATOMIC_RELAXED))
		return -EXDEV; /* driven by another thread */
	*stack = o && o->stack_size ? o->stack_size : s->opts.default_stack_size;
	if (*stack < TERN_STACK_MIN || *stack > TERN_STACK_MAX) {
		tern_log(TERN_LOG_ERR, "tern_task_spawn: stack size %zu outside [%u, %u]", *stack,
			 TERN_STACK_MIN, TERN_STACK_MAX);
		return -EINVAL;
	}
	return 0;
}

int tern_task_spawn(tern_task_fn fn, void *arg, const struct tern_task_opts *o,
		    tern_task_t *out)
{
	struct tern_sched *s = target_sched(o);
	unsigned flags = o ? o->flags : 0;
	struct tern_task *t;
	size_t stack;
	int rc = check_spawn(fn, o, out, s, &stack);

	if (rc < 0)
		return rc;
	if (flags & TERN_TASK_STEALABLE)
		return tern__spawn_stealable(s, fn, arg, o, stack, out);
	t = tern__slab_get(&s->tasks);
	if (!t)
		return -ENOMEM;
	rc = tern__stack_get(&s->stacks, stack, &t->stack);
	if (rc < 0) {
		tern__slab_put(&s->tasks, t);
		return rc;
	}
	tern__ctx_init(&t->ctx, tern__stack_top(t->stack), task_entry, t);
	t->sched = s;
	t->fn = fn;
	t->arg = arg;
	copy_name(t->name, o && o->name ? o->name : "task");
	t->rec = (struct tern__rec){
		.version = (t->rec.version | 1) + 1, .kind = REC_TASK, .sched = s,
		.dropped = !!(flags & TERN_TASK_DETACHED),
	};
	s->st.tasks_spawned++;
	s->st.tasks_live++;
	s->st.records_live++;
	if (out)
		out->f = (tern_future_t){ &t->rec, t->rec.version };
	/* C# semantics: run synchronously up to the first await, when we are
	 * on the task's own core. */
	if (tern__tls_sched == s && !(flags & TERN_TASK_DEFER))
		tern__task_resume(s, t);
	else
		tern__runq_push(s, t);
	return 0;
}

int tern_task_detach(tern_task_t t)
{
	return tern_future_drop(t.f);
}

int tern_yield(void)
{
	struct tern_sched *s = tern__tls_sched;
	struct tern_task *t = s ? s->current : NULL;

	if (!t) {
		tern_log(TERN_LOG_ERR, "tern_yield: not inside a task; only tasks yield");
		return -EPERM;
	}
	tern__runq_push(s, t);
	leave(s, t);
	return 0;
}

const char *tern_task_name(void)
{
	struct tern_sched *s = tern__tls_sched;

	return s && s->current ? s->current->name : NULL;
}

bool tern_in_task(void)
{
	struct tern_sched *s = tern__tls_sched;

	return s && s->current;
}

/* ---- waits ---- */

static void wait_cancelled(struct tern_cancel_reg *reg, int err)
{
	struct tern__wait *w = container_of(reg, struct tern__wait, reg);

	w->withdraw(w);
	tern__wait_wake(w, err);
}

intptr_t tern__wait(struct tern_sched *s, struct tern__wait *w, tern_token_t tok)
{
	struct tern_task *t = s->current;
	int rc;

	w->task = t;
	w->reg.src = NULL;
	rc = tern_token_register(tok, &w->reg, wait_cancelled);
	if (TERN_UNLIKELY(rc < 0)) {
		w->withdraw(w);
		return rc;
	}
	t->state = TASK_WAITING;
	leave(s, t);
	return w->result;
}

/* ---- parking: a tern__wait for code outside the runtime ---- */

static void park_withdraw(struct tern__wait *w)
{
	struct tern_parked *p = w->obj;

	p->wait = NULL;
	p->withdraw(p);
}

intptr_t tern_park(struct tern_parked *p, tern_withdraw_fn withdraw, tern_token_t tok)
{
	struct tern_sched *s = tern__tls_sched;
	struct tern__wait w = { .withdraw = park_withdraw, .obj = p };

	if (!s || !s->current) {
		tern_log(TERN_LOG_ERR, "tern_park: not inside a task; only tasks park");
		return -EPERM;
	}
	if (!p || !withdraw)
		return tern__misuse(s, -EINVAL, "tern_park: NULL parked or withdraw");
	p->wait = &w;
	p->withdraw = withdraw;
	return tern__wait(s, &w, tok);
}

int tern_unpark(struct tern_parked *p, intptr_t value)
{
	struct tern__wait *w = p ? p->wait : NULL;
	int rc;

	if (!w)
		return -EINVAL;
	rc = tern__check_owner(w->task->sched, "tern_unpark");
	if (rc < 0)
		return rc;
	p->wait = NULL;
	tern__wait_wake(w, value);
	return 0;
}

void tern__wait_wake(struct tern__wait *w, intptr_t result)
{
	struct tern_sched *s = w->task->sched;

	/* After this, the token can no longer reach the wait. */
	tern_token_unregister(&w->reg);
	w->result = result;
	/* One wake-up in 64 is timed for the ready-to-run latency histogram
	 * (the clock costs ~11 ns here); yields are not wake-ups. */
	if (TERN_UNLIKELY((++s->push_tick & 63) == 0))
		w->task->ready_at = tern__cycles();
	tern__runq_push(s, w->task);
}
