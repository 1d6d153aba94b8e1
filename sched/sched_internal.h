/* SPDX-License-Identifier: BSD-3-Clause */
/* sched/ private: the structures behind tasks, records and a core's loop. */
#ifndef TERN_SCHED_INTERNAL_H
#define TERN_SCHED_INTERNAL_H

#include <errno.h>
#include <pthread.h>

#include <tern/log.h>
#include <tern/sched.h>

#include "ctx.h"
#include "deque.h"
#include "inbox.h"
#include "timer_internal.h"

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

/* ---- slabs: per-core object pools that never return memory early ---- */

struct tern__slab {
	size_t obj_size;
	unsigned per_chunk;
	int node;
	void *free;       /* LIFO free list through each object's first word */
	void **chunks;
	size_t n_chunks, cap_chunks;
};

/* Page-granular memory placed on @node (-1: anywhere), zeroed. */
void *tern__mem_alloc(size_t bytes, int node);
void tern__mem_free(void *p, size_t bytes);

void tern__slab_init(struct tern__slab *sl, size_t obj_size, unsigned per_chunk, int node);
void *tern__slab_grow_get(struct tern__slab *sl);

/* Fast path inline; growing the pool is out of line. */
static inline void *tern__slab_get(struct tern__slab *sl)
{
	void *obj = sl->free;

	if (TERN_UNLIKELY(!obj))
		return tern__slab_grow_get(sl);
	sl->free = *(void **)obj;
	return obj;
}

static inline void tern__slab_put(struct tern__slab *sl, void *obj)
{
	*(void **)obj = sl->free;
	sl->free = obj;
}
void tern__slab_fini(struct tern__slab *sl);

/* ---- stacks ---- */

/* Lives in the top bytes of its own mapping, above the usable stack. */
struct tern__stack {
	struct tern__stack *next;      /* free list of its class */
	struct tern__stack *all_next;  /* every mapped stack, for destroy */
	char *map;                     /* mapping start: the guard page */
	size_t map_size;
	size_t size;                   /* usable bytes, a power of two */
	unsigned cls;
};

#define TERN__STACK_CLASSES 14     /* 8 KiB .. 64 MiB */
/* PROT_NONE reservation below each stack: address space only (still one
 * mapping), wide enough that no single frame of code built without
 * -fstack-clash-protection steps over it into the neighbouring stack. */
#define TERN__STACK_GUARD (64u * 1024)

struct tern__stack_pool {
	struct tern__stack *free[TERN__STACK_CLASSES];
	struct tern__stack *all;
	int node;
	uint64_t mapped;
};

int tern__stack_map(struct tern__stack_pool *p, size_t size, struct tern__stack **out);
void tern__stack_pool_fini(struct tern__stack_pool *p);

/* Class c holds stacks of TERN_STACK_MIN << c bytes. */
static inline unsigned tern__stack_class(size_t size)
{
	if (size <= TERN_STACK_MIN)
		return 0;
	return 64u - (unsigned)__builtin_clzll((size - 1) / TERN_STACK_MIN);
}

/* The warmest free stack of @size's class; mapping a new one is out of line. */
static inline int tern__stack_get(struct tern__stack_pool *p, size_t size,
				  struct tern__stack **out)
{
	struct tern__stack *st = p->free[tern__stack_class(size)];

	if (TERN_UNLIKELY(!st))
		return tern__stack_map(p, size, out);
	p->free[st->cls] = st->next;
	*out = st;
	return 0;
}

static inline void tern__stack_put(struct tern__stack_pool *p, struct tern__stack *st)
{
	st->next = p->free[st->cls];
	p->free[st->cls] = st;
}

/* The descriptor sits at the top of its stack: the stack grows down from it. */
static inline void *tern__stack_top(const struct tern__stack *st)
{
	return (void *)st;
}
/* Installs the process's SIGSEGV handler once, and gives the calling thread
 * an alternate signal stack once (freed at thread exit). */
int tern__stack_guard_thread_init(void);

/* ---- records: completions behind futures ---- */

enum { REC_PROMISE = 1, REC_TASK = 2, REC_SUBMIT = 3 };
enum { REC_PENDING = 0, REC_DONE = 1 };

struct tern__wait;

struct tern__rec {
	uint32_t version;          /* even while live, odd while in the pool */
	uint8_t kind;
	uint8_t state;
	uint8_t dropped;           /* the consumer gave up: release on completion */
	uint8_t pad;
	intptr_t value;
	struct tern__wait *waiter; /* the one awaiting consumer */
	struct tern_sched *sched;
};

/* The slab's free-list link must not overlay the version word. */
struct tern__promise {
	void *slab_link;
	struct tern__rec rec;
	uint32_t shared;        /* tern_promise_create_shared: any thread completes */
	uint32_t claimed;       /* shared: the first completion's claim (atomic) */
	intptr_t xvalue;        /* shared: the value travelling in xmsg */
	struct tern__msg xmsg;  /* shared: a foreign completion, to the owner's inbox */
};

/* ---- waits: one record per waiting task, on that task's stack ---- */

struct tern__wait {
	struct tern_task *task;
	intptr_t result;
	/* Unlinks the wait from what it waits on; called before a cancelled
	 * wait returns, so no completion can arrive afterwards. */
	void (*withdraw)(struct tern__wait *w);
	void *obj;
	struct tern_cancel_reg reg;
	/* NULL for a task's own wait. Set on a combinator's per-future
	 * sub-wait (combinators.c), which has no task of its own: the
	 * record's completion calls it instead of waking w->task, and it
	 * decides when the one waiting task wakes. */
	void (*wake)(struct tern__wait *w);
};

/* Suspends the current task until tern__wait_wake(w) or @tok fires.
 * w->withdraw and w->obj must be set; the wait must already be linked where
 * its completer finds it. Returns w->result or the token's error. */
intptr_t tern__wait(struct tern_sched *s, struct tern__wait *w, tern_token_t tok);
/* Completes a linked wait (the completer has unlinked it): the task becomes
 * ready with @result. */
void tern__wait_wake(struct tern__wait *w, intptr_t result);

/* ---- tasks ---- */

enum task_state { TASK_READY, TASK_RUNNING, TASK_WAITING, TASK_DONE };

#define TERN__NAME_LEN 32

struct tern_task {
	struct tern__ctx ctx;
	struct tern__ctx *resumer;     /* who to return to when suspending */
	void *res_bottom;              /* the resumer's stack, for ASan */
	size_t res_size;
	struct tern_task *next;        /* run queue */
	struct tern_sched *sched;
	struct tern__stack *stack;
	tern_task_fn fn;
	void *arg;
	uint8_t state;
	uint64_t ready_at;             /* cycles; sampled wake-ups only */
	struct tern__rec rec;
	char name[TERN__NAME_LEN];
};

/* ---- the core ---- */

struct tern_sched {
	/* Line 0: what every switch and every round touches. */
	struct tern_task *current;
	struct tern_task *rq_head, *rq_tail;
	uint32_t budget_tasks;
	uint32_t budget_left;          /* resumptions left this round */
	uint64_t round_start;          /* ns, for the time budget */
	uint64_t budget_ns;
	uint64_t vnow;                 /* virtual clock, ns */
	bool virtual_clock;
	bool stopping;
	bool cut_by_time;
	bool driven;
	uint32_t push_tick;            /* samples 1 in 64 wake-ups for latency */

	/* Line 1 on: colder. */
	uint64_t rq_len;
	uint64_t clock_base;           /* cycles at creation */
	pthread_t driver;              /* valid while driven */
	struct tern__ctx main_ctx;
	void *asan_main_bottom;
	size_t asan_main_size;

	struct tern_poller pollers[TERN_MAX_POLLERS];
	bool poller_used[TERN_MAX_POLLERS];
	unsigned n_pollers;            /* highest used index + 1 */

	struct tern_sched_stats st;

	struct tern__wheel wheel;
	struct tern__slab tasks, promises, cancels;
	struct tern__stack_pool stacks;
	uint64_t ns_per_cycle_q32;     /* the process's calibration, cached */

	/* Many cores (cores.c). */
	struct tern__inbox inbox;
	struct tern__msg *retry;       /* replies waiting for room in an inbox */
	struct tern__slab submits;
	struct tern_cores *group;      /* NULL when alone */
	unsigned index;                /* in the group */
	tern_cancel_t shutdown;        /* cancelled by tern_cores_stop */
	uint64_t msgs_in, msgs_retried;
	uint64_t replies_pending;      /* submits, jobs, offloads not yet back */
	uint64_t external_pending;     /* of those, offloads: from outside the group */
	uint64_t xpending;             /* foreign completions of shared promises
					* in flight (atomic: completers add) */
	uint64_t shared_live;          /* shared promises not yet completed */
	uint64_t switches;             /* task resumptions; the stall detector
					* reads it from its own thread */
	uint64_t stalls;               /* written by the stall detector */
	struct tern__deque jobs;       /* stealable tasks spawned here */
	unsigned steal_next;           /* the next victim to try */
	uint64_t jobs_run, jobs_stolen;
	uint32_t idle_streak;          /* idle rounds in a row */
	uint64_t lat_hist[TERN_LATENCY_BUCKETS];
	uint64_t lat_samples;

	struct tern_sched_opts opts;
	char name[TERN__NAME_LEN];
};

_Static_assert(offsetof(struct tern_sched, rq_len) == TERN_CACHE_LINE,
	       "the loop's hot fields fill exactly the first cache line");


/* initial-exec: the default model for PIC code calls __tls_get_addr on
 * every access, which costs more than a switch. */
extern __thread struct tern_sched *tern__tls_sched __attribute__((tls_model("initial-exec")));

static inline void tern__runq_push(struct tern_sched *s, struct tern_task *t)
{
	t->state = TASK_READY;
	t->next = NULL;
	if (s->rq_tail)
		s->rq_tail->next = t;
	else
		s->rq_head = t;
	s->rq_tail = t;
	s->rq_len++;
}

void tern__task_resume(struct tern_sched *s, struct tern_task *t);
/* Files a sampled wake-up's ready-to-run latency (sched.c). */
void tern__latency_record(struct tern_sched *s, struct tern_task *t);
static inline struct tern_task *tern__runq_pop(struct tern_sched *s)
{
	struct tern_task *t = s->rq_head;

	if (t) {
		s->rq_head = t->next;
		if (!s->rq_head)
			s->rq_tail = NULL;
		s->rq_len--;
	}
	return t;
}

uint64_t tern_sched_now(const struct tern_sched *s);

/* Takes one resumption from the round's budget; false when it is spent.
 * The time half is checked every 8 resumptions (the clock costs ~11 ns). */
static inline bool tern__budget_take(struct tern_sched *s)
{
	if (s->budget_left == 0)
		return false;
	s->budget_left--;
	s->st.tasks_run++;
	if (((s->budget_tasks - s->budget_left) & 7) == 0 &&
	    tern_sched_now(s) - s->round_start > s->budget_ns) {
		s->budget_left = 0;
		s->cut_by_time = true;
	}
	return true;
}

/* Releases a record to its pool; its version becomes odd. */
void tern__rec_release(struct tern__rec *r);
/* Completes a record: wakes its awaiter, or releases it if dropped. */
void tern__rec_complete(struct tern__rec *r, intptr_t value);
void tern__unobserved(struct tern_sched *s, const char *name, intptr_t err);
/* Reports a caller bug by policy; returns @err (or aborts). */
int tern__misuse(struct tern_sched *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int tern__wrong_owner(const struct tern_sched *s, const char *what);

/* 0 when the calling thread drives @s (or nobody does), else -EXDEV. */
static inline int tern__check_owner(const struct tern_sched *s, const char *what)
{
	if (TERN_LIKELY(tern__tls_sched == s || !__atomic_load_n(&s->driven, __ATOMIC_RELAXED)))
		return 0;
	return tern__wrong_owner(s, what);
}

/* Clock: cycles to nanoseconds, calibrated once per process. */
/* ns per cycle in 32.32 fixed point (schedulers cache it at create). */
uint64_t tern__ns_per_cycle_q32(void);
/* CLOCK_MONOTONIC in ns: for threads that are not cores (waits, sampling). */
uint64_t tern__mono_ns(void);

/* @cycles of @s's counter in ns, with the factor @s cached at create. */
static inline uint64_t tern__sched_cycles_to_ns(const struct tern_sched *s, uint64_t cycles)
{
	return (uint64_t)(((unsigned __int128)cycles * s->ns_per_cycle_q32) >> 32);
}

/* Work sent off the calling core (cores.c, offload.c): the record lives on
 * the caller's core and carries both messages, there and back.
 *
 * Laid out by who touches what while it is away, so that one line crosses
 * each way, as little as a round trip can move: line 0 never leaves the
 * caller (the record its task awaits and writes, and the reply message,
 * which the target writes only if it must keep it for a retry); line 1 is
 * what the target reads, and result, the one word it writes; line 2 is the
 * name, which the target reads and the caller rewrites only when it
 * changes, so a record reused for the same work stays in both caches. */
struct tern__submit {
	void *slab_link;
	struct tern__rec rec;        /* owned by origin */
	struct tern__msg back;
	struct tern__msg go __attribute__((aligned(TERN_CACHE_LINE)));
	tern_task_fn fn;
	void *arg;
	struct tern_sched *origin;
	intptr_t result;
	uint32_t stack_size;         /* 0: the target's default */
	bool external;               /* the reply comes from an offload thread */
	char name[TERN__NAME_LEN] __attribute__((aligned(TERN_CACHE_LINE)));
};

_Static_assert(offsetof(struct tern__submit, go) == TERN_CACHE_LINE &&
	       offsetof(struct tern__submit, name) == 2 * TERN_CACHE_LINE,
	       "a submit record's caller, travelling and name lines");
_Static_assert(TERN_STACK_MAX <= UINT32_MAX, "stack sizes fit stack_size");

struct tern__submit *tern__submit_new(struct tern_sched *self, tern_task_fn fn, void *arg,
				      const char *name, size_t stack, bool detached);
void tern__submit_abandon(struct tern__submit *sub);
struct tern__submit *tern__submit_of_go(struct tern__msg *m);
/* Posts @m to @dest's inbox; from a core, a full inbox keeps @m on that
 * core's retry list; from a plain thread, waits for room (cores.c). */
void tern__post(struct tern__msg *m, struct tern_sched *dest);

/* A group's one stall detector, stopped by tern_cores_destroy (cores.c);
 * NULL detaches. -EBUSY when one is attached already. */
struct tern_stall_detector;
int tern__cores_attach_detector(struct tern_cores *c, struct tern_stall_detector *d);

/* Exports a new group's cores through DPDK telemetry, registering the
 * commands at the first call in the process; forgets them before the group
 * is freed (telemetry.c). */
void tern__telemetry_add(struct tern_cores *c);
void tern__telemetry_remove(struct tern_cores *c);

/* A TERN_TASK_STEALABLE spawn (cores.c). */
int tern__spawn_stealable(struct tern_sched *s, tern_task_fn fn, void *arg,
			  const struct tern_task_opts *o, size_t stack, tern_task_t *out);

/* The inbox poller (cores.c): runs arrived messages, retries replies. */
int tern__inbox_poll(void *sched);
/* Releases a submit record (cores.c). */
void tern__submit_release(struct tern__rec *r);

/* A cancellation source on @s, from any thread that may touch @s (cancel.c). */
int tern__cancel_make(struct tern_sched *s, tern_cancel_t *out);

/* Cancellation sources (cancel.c). */
void tern__cancel_fini_all(struct tern_sched *s);

#endif
