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

	if (t && t->stack && addr >= t->stack->map && addr < t->stack->map + GUARD &&
	    si->si_code > 0) {
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
	/* Not ours: put back whoever was there before (its own flags, mask and
	 * stack) and let the access fault again into it. A SIGSEGV that was
	 * sent, not a fault, would not repeat: raise it again. */
	sigaction(SIGSEGV, &prev_segv, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

static void install_handler(void)
{
	struct sigaction sa = { 0 };

	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &prev_segv);
}

/* One alternate signal stack per thread, made on the thread's first bind
 * and freed when the thread exits: binding a core to a thread again (every
 * tern_sched_run_once) costs a TLS load, not three syscalls and an mmap. */
static pthread_key_t alt_key;
static pthread_once_t alt_once = PTHREAD_ONCE_INIT;
static __thread bool alt_ready __attribute__((tls_model("initial-exec")));

static void alt_free(void *mem)
{
	stack_t ss = { .ss_flags = SS_DISABLE }, cur;

	/* Only if it is still ours: the application may have put its own. */
	if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == mem)
		sigaltstack(&ss, NULL);
	munmap(mem, ALTSTACK_SIZE);
}

static void alt_key_make(void)
{
	pthread_key_create(&alt_key, alt_free);
}

int tern__stack_guard_thread_init(void)
{
	stack_t cur, ss;

	if (TERN_LIKELY(alt_ready))
		return 0;
	pthread_once(&handler_once, install_handler);
	pthread_once(&alt_once, alt_key_make);
	if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE)) {
		alt_ready = true; /* the thread has one already */
		return 0;
	}
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
	pthread_setspecific(alt_key, ss.ss_sp);
	alt_ready = true;
	return 0;
}
