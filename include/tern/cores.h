/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Many cores: a group of schedulers, one per worker core, each driven by
 * its own thread, and work sent between them.
 *
 * Every core has an inbox: a bounded lock-free ring that any thread posts to
 * and only the core takes from, drained in batches by a poller every round.
 * tern_submit() runs a function as a task on another core and gives the
 * caller a future that completes back on the caller's core (Seastar's
 * submit_to, C#'s Task.Run onto a chosen thread). Messages are intrusive
 * (no allocation per message once the caller's pool is warm), and a reply
 * that finds the caller's inbox full is kept and retried, never dropped.
 *
 * Tasks stay on the core that runs them. Work moves only when asked.
 */
#ifndef TERN_CORES_H
#define TERN_CORES_H

#include <tern/common.h>
#include <tern/cancel.h>
#include <tern/future.h>
#include <tern/sched.h>
#include <tern/task.h>

TERN_BEGIN_DECLS

struct tern_cores;

/** Most cores in one group. */
#define TERN_MAX_CORES 128

/** Group options. Zeroed fields take their defaults. */
struct tern_cores_opts {
	unsigned n;                   /**< cores; 0: one per CPU the process may use */
	const int *cpus;              /**< CPU of core i (NULL: the allowed CPUs in order) */
	bool no_pin;                  /**< do not pin threads started by tern_cores_start */
	bool main_is_worker;          /**< tern_cores_start leaves core 0 to the
				       *   caller, who drives it with tern_cores_enter */
	bool no_steal;                /**< idle cores do not steal stealable tasks */
	struct tern_sched_opts sched; /**< every core's options (name gets "-<i>") */
};

/**
 * Makes @p opts->n schedulers (not yet running), each with its memory on
 * its CPU's NUMA node unless opts->sched.numa_node_set says otherwise.
 * @return 0; -EINVAL: n above TERN_MAX_CORES, a CPU outside
 *   [0, CPU_SETSIZE), or bad scheduler options; -ENOMEM.
 */
int tern_cores_create(const struct tern_cores_opts *opts, struct tern_cores **out);

/** The number of cores in @p c. */
unsigned tern_cores_count(const struct tern_cores *c);

/** Core @p i's scheduler, or NULL when @p i is out of range. */
struct tern_sched *tern_cores_sched(const struct tern_cores *c, unsigned i);

/**
 * Starts one thread per core (pinned to its CPU unless no_pin), each
 * driving its core until tern_cores_stop(); with main_is_worker, core 0 is
 * left for the caller to drive (tern_cores_enter(c, 0)).
 * @return 0; -EALREADY: started before; -errno from pthread_create (the
 *   threads already started are stopped again).
 */
int tern_cores_start(struct tern_cores *c);

/**
 * Drives core @p i on the calling thread until tern_cores_stop(): for
 * threads the application made itself, such as DPDK lcores launched with
 * rte_eal_remote_launch(). Do not mix with tern_cores_start() for a core.
 * @return 0 after the stop; -EINVAL: @p i out of range; -EBUSY: the core
 *   or the thread is driven already; -ESHUTDOWN: the group is stopping.
 */
int tern_cores_enter(struct tern_cores *c, unsigned i);

/**
 * Stops @p c without losing work: new submits are refused (-ESHUTDOWN);
 * each core's shutdown token (tern_core_shutdown_token()) is cancelled, so
 * tasks waiting with it return -ECANCELED and can finish; the cores keep
 * running, draining inboxes, until no submit is in flight or @p grace_ns
 * has passed (a core no thread drives any more, such as core 0 after its
 * tern_cores_enter() returned, is driven by the calling thread meanwhile);
 * then every loop ends and started threads are joined.
 * Call from a thread that drives none of the cores.
 * Stealable tasks no core ran are completed with -ECANCELED and logged by
 * name. Returns only after every loop has ended, including those driven by
 * the application's own threads through tern_cores_enter().
 * @return the number of tasks that did not finish, stealable ones never run
 *   included (each is logged by name); -EDEADLK when called from one of the
 *   cores.
 */
int tern_cores_stop(struct tern_cores *c, uint64_t grace_ns);

/** Destroys a stopped group, its schedulers and its stall detector if one
 *  still runs. NULL is ignored. */
void tern_cores_destroy(struct tern_cores *c);

/**
 * The id under which DPDK telemetry exports core @p s: every group's cores
 * get ids when the group is created (the lowest free ones, in core order)
 * and lose them at tern_cores_destroy(). Over the telemetry socket
 * (dpdk_telemetry.v2 in the EAL's runtime directory, when the process
 * started the EAL):
 *   /tern/cores               the ids of every live core
 *   /tern/sched/stats,<id>    "name" and every field of tern_sched_stats
 *   /tern/sched/latency,<id>  "name", "samples", "p50_ns", "p99_ns",
 *                             "max_ns" (tern_latency_quantile at 0.5, 0.99,
 *                             1) and "buckets" (tern_latency_hist.count)
 * An unknown id answers null. Replies are read while the core runs, with
 * no cost to it: each counter is a value it really had, but the counters
 * of one reply are read one after another, not at a single instant.
 * @return the id (>= 0); -ENOENT: @p s is not a core of a live group, or
 *   more than 256 cores live in the process.
 */
int tern_core_telemetry_id(const struct tern_sched *s);

/** The calling thread's core index in its group, or -1. */
int tern_core_index(void);

/**
 * The group @p s is a core of: tern_cores_sched(c, i) gives c back; NULL
 * when @p s was made alone (tern_sched_create) or is NULL. Callable from
 * any thread; the group is fixed for the life of the core. Nothing is
 * owned by the caller.
 */
struct tern_cores *tern_sched_cores(const struct tern_sched *s);

/**
 * The calling core's shutdown token: cancelled by tern_cores_stop().
 * TERN_TOKEN_NONE outside a group's core.
 */
tern_token_t tern_core_shutdown_token(void);

/** What tern_submit does when the target's inbox is full. */
enum tern_submit_full {
	TERN_SUBMIT_FULL_EAGAIN = 0, /**< fail at once with -EAGAIN */
	TERN_SUBMIT_FULL_WAIT,       /**< yield and retry until room or tok fires */
};

/** Submit options. Zeroed fields take their defaults. */
struct tern_submit_opts {
	const char *name;          /**< the remote task's name; default "submit" */
	size_t stack_size;         /**< 0: the target core's default */
	bool detached;             /**< no future; a failure goes to the caller
				    *   core's unobserved-failure policy */
	enum tern_submit_full full;
	tern_token_t tok;          /**< bounds a FULL_WAIT */
};

/**
 * Runs @p fn(@p arg) as a task on core @p target; its result completes
 * @p out's future on the calling core (await it there, or drop it). @p arg
 * is read on the target core: it must stay valid until the future completes.
 * Submitting to the calling core itself is allowed (it goes through the
 * inbox like any other).
 *
 * @param out receives the future; NULL only with opts->detached.
 * @return 0; -EINVAL: NULL @p target or @p fn, @p out NULL without detached,
 *   a stack size outside [TERN_STACK_MIN, TERN_STACK_MAX], or @p target in
 *   no group; -EPERM: the calling thread drives no core of
 *   @p target's group (the result needs a core to come back to);
 *   -ESHUTDOWN: the group is stopping; -EAGAIN: the target's inbox is full
 *   (FULL_EAGAIN), nothing was sent; -ECANCELED/-ETIMEDOUT: @p opts->tok
 *   fired while waiting for room (FULL_WAIT); -ENOMEM.
 */
int tern_submit(struct tern_sched *target, tern_task_fn fn, void *arg,
		const struct tern_submit_opts *opts, tern_future_t *out);

/* ---- starvation guard ---- */

struct tern_stall_detector;

/** Called on the detector's thread for each report. Strings are valid during
 *  the call only. */
typedef void (*tern_stall_fn)(const char *core, const char *task, uint64_t running_ns,
			      void *arg);

/** Stall detector options. Zeroed fields take their defaults. */
struct tern_stall_opts {
	uint64_t threshold_ns;   /**< report a task running this long; default 10 ms */
	uint64_t period_ns;      /**< sampling period; default threshold / 4 */
	tern_stall_fn report;    /**< NULL: a warning through tern_log */
	void *arg;
};

/**
 * Starts a thread (not a worker core) that samples every core of @p c and
 * reports a task that has run longer than the threshold without awaiting or
 * yielding: by name, core and duration. Reports are rate limited: once when
 * a stall crosses the threshold, then at each doubling of its duration.
 * Each report bumps that core's tern_sched_stats.stalls. Sampling reads
 * counters the cores keep anyway: it adds nothing to their hot paths.
 * One detector per group; tern_cores_destroy() stops it if it still runs.
 * @return 0; -EINVAL: NULL @p c or @p out, or a period above the threshold;
 *   -EBUSY: @p c has a detector already; -ENOMEM; -errno from pthread_create.
 */
int tern_stall_detector_start(struct tern_cores *c, const struct tern_stall_opts *opts,
			      struct tern_stall_detector **out);

/** Stops and joins the detector. NULL is ignored. */
void tern_stall_detector_stop(struct tern_stall_detector *d);

TERN_END_DECLS
#endif
