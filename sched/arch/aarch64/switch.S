/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * void tern__ctx_switch(struct tern__ctx *from, const struct tern__ctx *to)
 *
 * Saves the callee-saved state of the caller (and FPCR, the FP control
 * state each context keeps as its own) into *from and resumes *to with br
 * (not ret), so the return-address predictor is not thrown off by an
 * address that belongs to another stack.
 */
	.text
	.globl	tern__ctx_switch
	.hidden	tern__ctx_switch
	.type	tern__ctx_switch, %function
	.p2align 4
tern__ctx_switch:
	stp	x19, x20, [x0, #0]
	stp	x21, x22, [x0, #16]
	stp	x23, x24, [x0, #32]
	stp	x25, x26, [x0, #48]
	stp	x27, x28, [x0, #64]
	stp	x29, x30, [x0, #80]
	mov	x9, sp
	str	x9, [x0, #96]
	stp	d8, d9, [x0, #104]
	stp	d10, d11, [x0, #120]
	stp	d12, d13, [x0, #136]
	stp	d14, d15, [x0, #152]
	mrs	x11, fpcr
	str	x11, [x0, #168]

	ldp	x19, x20, [x1, #0]
	ldp	x21, x22, [x1, #16]
	ldp	x23, x24, [x1, #32]
	ldp	x25, x26, [x1, #48]
	ldp	x27, x28, [x1, #64]
	ldp	x29, x30, [x1, #80]
	ldr	x9, [x1, #96]
	mov	sp, x9
	ldp	d8, d9, [x1, #104]
	ldp	d10, d11, [x1, #120]
	ldp	d12, d13, [x1, #136]
	ldp	d14, d15, [x1, #152]
	/* Writing FPCR is slow on many cores and it rarely differs: compare. */
	ldr	x10, [x1, #168]
	cmp	x11, x10
	b.eq	1f
	msr	fpcr, x10
1:	br	x30
	.size	tern__ctx_switch, .-tern__ctx_switch

/* One copy serves both directions here. */
	.globl	tern__ctx_switch_out
	.hidden	tern__ctx_switch_out
	.set	tern__ctx_switch_out, tern__ctx_switch

/* First code on a new stack: entry (x20) called with arg (x19). */
	.globl	tern__ctx_trampoline
	.hidden	tern__ctx_trampoline
	.type	tern__ctx_trampoline, %function
	.p2align 4
tern__ctx_trampoline:
	.cfi_startproc
	.cfi_undefined x30		/* outermost frame for unwinders */
	mov	x29, xzr
	mov	x30, xzr
	mov	x0, x19
	blr	x20
	brk	#0
	.cfi_endproc
	.size	tern__ctx_trampoline, .-tern__ctx_trampoline

	.section .note.GNU-stack,"",%progbits
