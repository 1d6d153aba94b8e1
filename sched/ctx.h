/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one interface every architecture implements (sched/arch/<cpu>/):
 *
 *   struct tern__ctx            saved callee-saved registers of a context
 *   tern__ctx_init(c, top, entry, arg)
 *                               prepare c to start entry(arg) on a new stack
 *   tern__ctx_switch(from, to)  save the caller into from, resume to
 *   tern__ctx_switch_out(from, to)
 *                               the same, called when a task leaves (an
 *                               arch may make it a second copy so each
 *                               indirect jump site predicts one target)
 *   tern__cycles()              a constant-rate cycle counter
 *   tern__cpu_relax()           spin-wait hint
 *
 * meson puts sched/arch/<cpu_family>/ on the include path; no #ifdef here.
 */
#ifndef TERN_SCHED_CTX_H
#define TERN_SCHED_CTX_H

#include "arch.h"

void tern__ctx_switch(struct tern__ctx *from, const struct tern__ctx *to);
void tern__ctx_switch_out(struct tern__ctx *from, const struct tern__ctx *to);

#endif
