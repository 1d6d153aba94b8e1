/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The context switch alone, with no runtime around it: built natively and
 * for AArch64 (run under qemu-user). Checks that control moves both ways,
 * that callee-saved integer and FP registers survive a switch, that the new
 * stack is 16-byte aligned, and that arguments reach the entry function.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctx.h"

static struct tern__ctx main_ctx, co_ctx;
static char stack[64 * 1024] __attribute__((aligned(16)));
static int steps;
static uintptr_t seen_arg, seen_sp;

static void co(void *arg)
{
	volatile char probe;

	seen_arg = (uintptr_t)arg;
	seen_sp = (uintptr_t)&probe;
	for (;;) {
		steps++;
		tern__ctx_switch_out(&co_ctx, &main_ctx);
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
	bad = run();
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
