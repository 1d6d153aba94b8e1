/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The context switch alone, with no runtime around it: built natively and
 * for AArch64 (run under qemu-user). Checks that control moves both ways,
 * that callee-saved integer and FP registers survive a switch, that the new
 * stack is 16-byte aligned, and that arguments reach the entry function.
 */
#include <fenv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctx.h"

static struct tern__ctx main_ctx, co_ctx;
static char stack[64 * 1024] __attribute__((aligned(16)));
static int steps;
static uintptr_t seen_arg, seen_sp;

static int co_round_ok = 1;

static void co(void *arg)
{
	volatile char probe;

	seen_arg = (uintptr_t)arg;
	seen_sp = (uintptr_t)&probe;
	/* A new context starts with the ABI's FP state, whatever main has... */
	if (fegetround() != FE_TONEAREST)
		co_round_ok = 0;
	/* ...and keeps its own rounding mode across switches. */
	fesetround(FE_UPWARD);
	for (;;) {
		steps++;
		tern__ctx_switch_out(&co_ctx, &main_ctx);
		if (fegetround() != FE_UPWARD)
			co_round_ok = 0;
	}
}

/* Values held in registers across switches: the compiler keeps these in
 * callee-saved registers (integer and FP), which the switch must keep. */
__attribute__((noinline)) static int run(void)
{
	register uint64_t a = 0x1111, b = 0x2222, c = 0x3333;
	register double x = 1.5, y = 2.25;
	int bad = 0;

	for (int i = 0; i < 1000; i++) {
		tern__ctx_switch(&main_ctx, &co_ctx);
		a += 1; b += 2; c += 3; x += 0.5; y *= 1.0;
		__asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c));
	}
	if (a != 0x1111 + 1000 || b != 0x2222 + 2000 || c != 0x3333 + 3000)
		bad |= 1;
	if (x != 1.5 + 500 || y != 2.25)
		bad |= 2;
	return bad;
}

int main(void)
{
	int bad;

	tern__ctx_init(&co_ctx, stack + sizeof(stack), co, (void *)0xfeed);
	fesetround(FE_DOWNWARD);
	bad = run();
	if (fegetround() != FE_DOWNWARD) bad |= 32; /* co's mode leaked into main */
	if (!co_round_ok) bad |= 64;
	fesetround(FE_TONEAREST);
	if (steps != 1000) bad |= 4;
	if (seen_arg != 0xfeed) bad |= 8;
	if (seen_sp < (uintptr_t)stack || seen_sp >= (uintptr_t)(stack + sizeof(stack))) bad |= 16;
	printf("%s: switch test %s (steps %d, code %d)\n",
#if defined(__aarch64__)
	       "aarch64",
#else
	       "x86_64",
#endif
	       bad ? "FAILED" : "passed", steps, bad);
	return bad ? 1 : 0;
}
