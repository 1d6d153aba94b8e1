/* SPDX-License-Identifier: BSD-3-Clause */
/* x86-64 (System V): saved context and cycle counter. See sched/ctx.h. */
#ifndef TERN_ARCH_X86_64_H
#define TERN_ARCH_X86_64_H

#include <stddef.h>
#include <stdint.h>

/* Only what the ABI makes callee-saved: rbx, rbp, r12-r15, rsp, the resume
 * address, and the control bits of MXCSR and the x87 FPU. */
struct tern__ctx {
	uint64_t rbx, rbp, r12, r13, r14, r15;
	uint64_t rsp;
	uint64_t rip;
	uint32_t mxcsr;
	uint16_t fpucw;
	uint16_t pad;
};

/* switch.S addresses the fields by these offsets. */
_Static_assert(offsetof(struct tern__ctx, rsp) == 48, "switch.S layout");
_Static_assert(offsetof(struct tern__ctx, rip) == 56, "switch.S layout");
_Static_assert(offsetof(struct tern__ctx, mxcsr) == 64, "switch.S layout");
_Static_assert(offsetof(struct tern__ctx, fpucw) == 68, "switch.S layout");

void tern__ctx_trampoline(void);

/* The new context starts in tern__ctx_trampoline, which calls entry(arg) on
 * the new stack; the FP control state is the ABI's initial one. */
static inline void tern__ctx_init(struct tern__ctx *c, void *stack_top,
				  void (*entry)(void *), void *arg)
{
	uintptr_t top = (uintptr_t)stack_top & ~(uintptr_t)15;

	*c = (struct tern__ctx){ 0 };
	c->r12 = (uint64_t)(uintptr_t)arg;
	c->r13 = (uint64_t)(uintptr_t)entry;
	/* Entered by jmp, the trampoline's call pushes the return address, so
	 * rsp is 16-aligned at the call as the ABI requires. */
	c->rsp = top;
	c->rip = (uint64_t)(uintptr_t)tern__ctx_trampoline;
	c->mxcsr = 0x1f80; /* all exceptions masked, round to nearest */
	c->fpucw = 0x037f; /* same, 64-bit precision */
}

static inline uint64_t tern__cycles(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void tern__cpu_relax(void)
{
	__asm__ volatile("pause");
}

#endif
