/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Task stacks: one mapping each, a PROT_NONE guard page below the usable
 * part, placed on the core's NUMA node, kept in per-size LIFO free lists so
 * the next spawn gets the warmest stack.
 *
 * An overflow runs into the guard page; the SIGSEGV handler, on an
 * alternate signal stack (the task's own stack is the one that overflowed),
 * names the task and aborts: past a corrupted stack nothing is safe to do.
 */
#include <numa.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sched_internal.h"

#define GUARD TERN__STACK_GUARD
#define ALTSTACK_SIZE (64u * 1024)
#define DESC_SIZE 64u

_Static_assert(sizeof(struct tern__stack) <= DESC_SIZE, "descriptor fits its slot");

static int map_stack(struct tern__stack_pool *p, size_t size, unsigned cls,
		     struct tern__stack **out)
{
	/* The descriptor takes the top cache lines of the stack itself, so a
	 * fresh task touches one page, not two. */
	size_t map_size = GUARD + size;
	char *map = mmap(NULL, map_size, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);

	if (map == MAP_FAILED) {
		tern_log(TERN_LOG_ERR, "stack: mmap of %zu KiB failed: %s", map_size / 1024,
			 strerror(errno));
		return -ENOMEM;
	}
	if (mprotect(map + GUARD, map_size - GUARD, PROT_READ | PROT_WRITE) < 0) {
		/* ENOMEM from mprotect here is the per-process mapping limit:
		 * the guard splits each stack into two mappings. */
		tern_log(TERN_LOG_ERR,
			 "stack: cannot map more task stacks (%llu mapped): raise "
			 "vm.max_map_count (scripts/setup.sh does) or use fewer live tasks",
			 (unsigned long long)p->mapped);
		munmap(map, map_size);
		return -ENOMEM;
	}
	if (p->node >= 0 && numa_available() >= 0)
		numa_tonode_memory(map + GUARD, map_size - GUARD, p->node);

	struct tern__stack *st = (struct tern__stack *)(map + map_size - DESC_SIZE);
	*st = (struct tern__stack){
		.all_next = p->all, .map = map, .map_size = map_size, .size = size, .cls = cls,
	};
	p->all = st;
	p->mapped++;
	*out = st;
	return 0;
}

int tern__stack_map(struct tern__stack_pool *p, size_t size, struct tern__stack **out)
{
	unsigned cls = tern__stack_class(size);

	return map_stack(p, (size_t)TERN_STACK_MIN << cls, cls, out);
}

void tern__stack_pool_fini(struct tern__stack_pool *p)
{
	struct tern__stack *st = p->all, *next;

	for (; st; st = next) {
		next = st->all_next;
		munmap(st->map, st->map_size);
	}
	*p = (struct tern__stack_pool){ 0 };
}

/* ---- overflow detection ---- */

static struct sigaction prev_segv;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

static void say(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));
	(void)r;
}

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
	struct tern_sched *s = tern__tls_sched;
	struct tern_task *t = s ? s->current : NULL;
	char *addr = si->si_addr;

	if (t && t->stack && addr >= t->stack->map && addr < t->stack->map + GUARD) {
		/* Only async-signal-safe calls from here on. */
		char kib[24];
		size_t n = t->stack->size / 1024, i = sizeof(kib) - 1;

		kib[i] = '\0';
		do {
			kib[--i] = (char)('0' + n % 10);
			n /= 10;
		} while (n && i);
		say("tern: task ");
		say(t->name);
		say(" overflowed its ");
		say(kib + i);
		say(" KiB stack\n");
		abort(); /* the one place tern ends the process: the stack is gone */
	}
	/* Not ours: hand over to whoever was there before, or the default. */
	if (prev_segv.sa_flags & SA_SIGINFO) {
		if (prev_segv.sa_sigaction) {
			prev_segv.sa_sigaction(sig, si, uc);
			return;
		}
	} else if (prev_segv.sa_handler != SIG_DFL && prev_segv.sa_handler != SIG_IGN) {
		prev_segv.sa_handler(sig);
		return;
	}
	signal(SIGSEGV, SIG_DFL); /* the faulting access repeats and kills */
}

static void install_handler(void)
{
	struct sigaction sa = { 0 };

	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &prev_segv);
}

int tern__stack_guard_thread_init(void **altstack)
{
	stack_t cur, ss;

	pthread_once(&handler_once, install_handler);
	*altstack = NULL;
	if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))
		return 0; /* the thread has one already */
	ss.ss_sp = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (ss.ss_sp == MAP_FAILED)
		return -ENOMEM;
	ss.ss_size = ALTSTACK_SIZE;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL) < 0) {
		munmap(ss.ss_sp, ALTSTACK_SIZE);
		return -errno;
	}
	*altstack = ss.ss_sp;
	return 0;
}

void tern__stack_guard_thread_fini(void *altstack)
{
	stack_t ss = { .ss_flags = SS_DISABLE };

	if (!altstack)
		return;
	sigaltstack(&ss, NULL);
	munmap(altstack, ALTSTACK_SIZE);
}
