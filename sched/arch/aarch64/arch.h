/* SPDX-License-Identifier: BSD-3-Clause */
/* AArch64 (AAPCS64): saved context and cycle counter. See sched/ctx.h. */
#ifndef TERN_ARCH_AARCH64_H
#define TERN_ARCH_AARCH64_H

#include <stddef.h>
#include <stdint.h>

/* Callee-saved: x19-x28, fp (x29), lr (x30, the resume address), sp, and
 * the low halves d8-d15 of v8-v15. */
struct tern__ctx {
	uint64_t x19_x28[10];
	uint64_t fp, lr;
	uint64_t sp;
	uint64_t d8_d15[8];
	uint64_t fpcr;        /* rounding mode, FZ, DN: per context, as on x86 */
};

_Static_assert(offsetof(struct tern__ctx, fp) == 80, "switch.S layout");
_Static_assert(offsetof(struct tern__ctx, sp) == 96, "switch.S layout");
_Static_assert(offsetof(struct tern__ctx, d8_d15) == 104, "switch.S layout");
_Static_assert(offsetof(struct tern__ctx, fpcr) == 168, "switch.S layout");

void tern__ctx_trampoline(void);

static inline void tern__ctx_init(struct tern__ctx *c, void *stack_top,
				  void (*entry)(void *), void *arg)
{
	*c = (struct tern__ctx){ 0 };
	c->x19_x28[0] = (uint64_t)(uintptr_t)arg;
	c->x19_x28[1] = (uint64_t)(uintptr_t)entry;
	c->sp = (uint64_t)(uintptr_t)stack_top & ~(uint64_t)15;
	c->lr = (uint64_t)(uintptr_t)tern__ctx_trampoline;
	c->fpcr = 0; /* the ABI's initial state: round to nearest, no FZ/DN */
}

static inline uint64_t tern__cycles(void)
{
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static inline void tern__cpu_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

#endif
