/* SPDX-License-Identifier: BSD-3-Clause */
/* sched/ private: the per-core timer wheel (see include/tern/timer.h). */
#ifndef TERN_SCHED_TIMER_INTERNAL_H
#define TERN_SCHED_TIMER_INTERNAL_H

#include <tern/timer.h>

/* 9 levels x 6 bits = 54 bits of 1.024 us ticks: the whole 64-bit ns range,
 * so no clock value, virtual or real, can file a timer past the last level. */
#define TERN__WHEEL_LEVELS 9
#define TERN__WHEEL_BITS 6
#define TERN__WHEEL_SLOTS (1u << TERN__WHEEL_BITS)
#define TERN__TICK_SHIFT 10 /* 1.024 us ticks */

struct tern__wheel {
	uint64_t now;                        /* every tick <= now is processed */
	uint64_t live;                       /* armed timers */
	uint64_t fired;
	uint64_t cascaded;
	uint64_t bitmap[TERN__WHEEL_LEVELS]; /* non-empty slots */
	struct tern_timer *due;              /* armed at or before now */
	struct tern_timer *slot[TERN__WHEEL_LEVELS][TERN__WHEEL_SLOTS];
};

struct tern_sched;
void tern__wheel_init(struct tern__wheel *w, uint64_t now_ns);
/* The timers poller: fires what is due by the core's clock. */
int tern__wheel_poll(void *sched);
/* Arms @t on @s's wheel (tern_timer_arm arms on the caller's core). */
int tern__timer_arm(struct tern_sched *s, struct tern_timer *t, uint64_t ns);

size_t tern__cancel_size(void);
size_t tern__submit_size(void);

#endif
