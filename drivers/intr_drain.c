/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A barrier on the EAL interrupt thread, for memif's ordered stop.
 *
 * DPDK 22.11's memif runs its disconnect on the interrupt thread when the
 * peer leaves, and marks the link down *first*, then closes the control
 * channel and frees the shared regions (memif_disconnect()). A side that
 * saw its link go down and stopped its port at once ran memif_disconnect()
 * a second time, on its own thread, concurrently, on the same regions:
 * tern-gen died of SIGSEGV after a complete run, once, in a CI run whose
 * parallel tests loaded both CPUs (the interrupt thread preempted halfway).
 * The interrupt thread runs its callbacks one at a time, so a callback of
 * ours on an eventfd we signal runs only once that disconnect returned.
 * (An EAL alarm would do the same, but 22.11 frees the alarms' interrupt
 * handle at exit while the thread may still read it: test_drv_ports died
 * at exit in 5 runs of 6 that way.)
 */
/* rte_intr_instance_alloc() and its setters are experimental in 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <stdbool.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_interrupts.h>

#include "drivers_internal.h"

struct intr_drain {
	int fd;
	bool done;
};

static void intr_drained(void *arg)
{
	struct intr_drain *d = arg;
	uint64_t v;

	if (read(d->fd, &v, sizeof(v)) < 0) {
		/* nothing to read is fine: the flag below is what counts */
	}
	__atomic_store_n(&d->done, true, __ATOMIC_RELEASE);
}

void tern__intr_thread_drain(void)
{
	struct timespec ms = { 0, 1000 * 1000 };
	struct intr_drain d = { .fd = -1 };
	struct rte_intr_handle *h = NULL;
	uint64_t one = 1;

	if (rte_thread_is_intr())
		return; /* it would wait for itself */
	d.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (d.fd < 0 || h == NULL || rte_intr_fd_set(h, d.fd) < 0 ||
	    rte_intr_type_set(h, RTE_INTR_HANDLE_EXT) < 0 ||
	    rte_intr_callback_register(h, intr_drained, &d) < 0) {
		DRV_LOG(WARNING, "cannot wait for the EAL interrupt thread: stopping the port at once");
		goto out;
	}
	if (write(d.fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		for (int i = 0; i < 1000 && !__atomic_load_n(&d.done, __ATOMIC_ACQUIRE); i++)
			nanosleep(&ms, NULL);
	if (!__atomic_load_n(&d.done, __ATOMIC_ACQUIRE))
		DRV_LOG(WARNING, "EAL interrupt thread busy for 1 s: stopping the port anyway");
	/* d lives on this stack: the callback must be gone before it is */
	rte_intr_callback_unregister_sync(h, intr_drained, &d);
out:
	rte_intr_instance_free(h);
	if (d.fd >= 0)
		close(d.fd);
}
