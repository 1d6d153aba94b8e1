/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A core's scheduler: one per polling core, driven by one thread.
 *
 * The loop alternates two phases: every poller runs once (NIC queues, timers,
 * the cross-core inbox are pollers), then ready tasks run within a budget
 * (at most budget_tasks tasks or budget_us microseconds, checked every 8
 * tasks), so polling never starves tasks and tasks never starve polling.
 *
 * Every scheduler owns its memory (stacks, task and promise records); nothing
 * is shared between cores unless asked for.
 */
#ifndef TERN_SCHED_H
#define TERN_SCHED_H

#include <tern/common.h>
#include <tern/task.h>

TERN_BEGIN_DECLS

struct tern_sched;

/** What happens when a detached task fails (its result is negative). */
enum tern_unobserved_policy {
	TERN_UNOBSERVED_DEFAULT = 0, /**< LOG */
	TERN_UNOBSERVED_LOG,     /**< count and log */
	TERN_UNOBSERVED_HOOK,    /**< count and call unobserved_hook */
	TERN_UNOBSERVED_ABORT,   /**< log and abort: no failure passes a test */
};

/** What happens on a caller bug (double await, double complete, ...). */
enum tern_misuse_policy {
	TERN_MISUSE_DEFAULT = 0, /**< ABORT in debug builds, RETURN in release */
	TERN_MISUSE_RETURN,      /**< count, log, return the error code */
	TERN_MISUSE_ABORT,       /**< log and abort (assert) */
};

/** Called on the core for each unobserved failure; see TERN_UNOBSERVED_HOOK. */
typedef void (*tern_unobserved_fn)(const char *task_name, intptr_t error, void *arg);

/** What tern_sched_run does in a round where nothing had work. */
enum tern_idle_policy {
	TERN_IDLE_BUSY = 0, /**< poll again at once (default: lowest latency) */
	TERN_IDLE_PAUSE,    /**< a CPU pause hint per idle round (SMT siblings) */
	TERN_IDLE_SLEEP,    /**< after idle_spin_rounds idle rounds, sleep
			     *   idle_sleep_us; saves power, costs wake-up latency */
};

/** Scheduler options. Zeroed fields take their defaults. */
struct tern_sched_opts {
	const char *name;            /**< for logs; default "core" */
	int numa_node;               /**< memory placement; -1 or 0 field: auto */
	bool numa_node_set;          /**< true: use numa_node as given */
	uint32_t budget_tasks;       /**< tasks per round; default 64 */
	uint32_t budget_us;          /**< task time per round; default 100 */
	size_t default_stack_size;   /**< default 32 KiB */
	enum tern_unobserved_policy unobserved;
	tern_unobserved_fn unobserved_hook;
	void *unobserved_arg;
	enum tern_misuse_policy misuse;
	bool virtual_clock;          /**< time moves only by tern_sched_advance() */
	uint32_t inbox_size;         /**< cross-core messages; power of 2, default 4096 */
	enum tern_idle_policy idle;
	uint32_t idle_spin_rounds;   /**< TERN_IDLE_SLEEP: default 1000 */
	uint32_t idle_sleep_us;      /**< TERN_IDLE_SLEEP: default 50 */
};

/** Counters of one core, read with tern_sched_stats(). */
struct tern_sched_stats {
	uint64_t rounds;            /**< loop rounds */
	uint64_t polls;             /**< poller calls */
	uint64_t tasks_spawned;
	uint64_t tasks_run;         /**< task resumptions */
	uint64_t tasks_done;
	uint64_t tasks_live;        /**< spawned and not yet finished */
	uint64_t records_live;      /**< task and promise records not yet released */
	uint64_t budget_cut_tasks;  /**< rounds cut by budget_tasks */
	uint64_t budget_cut_time;   /**< rounds cut by budget_us */
	uint64_t unobserved;        /**< detached tasks that failed */
	uint64_t misuse;            /**< caller bugs reported */
	uint64_t stacks_mapped;     /**< stacks ever mapped (pool growth) */
	uint64_t timers_live;       /**< armed timers */
	uint64_t timers_fired;
	uint64_t timers_cascaded;   /**< moves to a lower wheel level */
	uint64_t stalls;            /**< stall reports (tern_stall_detector) */
	uint64_t jobs_run;          /**< stealable tasks this core ran */
	uint64_t jobs_stolen;       /**< of those, taken from another core */
	uint64_t idle_rounds;       /**< rounds in which nothing had work */
	uint64_t idle_sleeps;       /**< TERN_IDLE_SLEEP naps */
};

/** A source of work polled every round. */
struct tern_poller {
	const char *name;
	/** Returns > 0 when it did work, 0 when idle. Runs on the core. */
	int (*poll)(void *arg);
	void *arg;
};

/** Most pollers one core runs (two are the core's own: timers, inbox). */
#define TERN_MAX_POLLERS 16

/**
 * Makes a scheduler. Any thread may create it; one thread at a time drives it.
 * @param opts NULL for defaults.
 * @return 0; -EINVAL: @p out NULL, default_stack_size outside
 *   [TERN_STACK_MIN, TERN_STACK_MAX], an unknown policy, or the HOOK policy
 *   without a hook; -ENOMEM.
 */
int tern_sched_create(const struct tern_sched_opts *opts, struct tern_sched **out);

/**
 * Destroys @p s: unmaps its stacks and frees its records. Tasks that never
 * finished are logged by name and dropped (their stacks are unmapped, so do
 * not hold pointers into them). Must not be called while @p s runs. If
 * replies to its submits or offloads are still on their way, its memory is
 * kept (leaked, with a log line) rather than freed under them.
 * NULL is ignored.
 */
void tern_sched_destroy(struct tern_sched *s);

/**
 * Drives @p s on the calling thread until tern_sched_stop().
 * @return 0; -EINVAL: @p s NULL; -EBUSY: @p s is driven by a thread already,
 *   or the calling thread already drives a core (also from inside one of
 *   its tasks or pollers: the loops do not nest).
 */
int tern_sched_run(struct tern_sched *s);

/**
 * Runs one round (pollers, then ready tasks within the budget) on the
 * calling thread; for tests and for embedding in a loop of the caller's.
 * @return > 0 when work was done, 0 when idle; -EINVAL, -EBUSY as
 *   tern_sched_run().
 */
int tern_sched_run_once(struct tern_sched *s);

/**
 * Runs rounds until no task is ready and no poller did work, or until
 * @p max_rounds rounds (0: no limit). Returns the rounds run; -EINVAL,
 * -EBUSY as tern_sched_run().
 */
int64_t tern_sched_run_until_idle(struct tern_sched *s, uint64_t max_rounds);

/** Makes tern_sched_run() return after the current round. Same core only;
 *  NULL is ignored. */
void tern_sched_stop(struct tern_sched *s);

/**
 * Adds a poller, called every round in order of adding.
 * @return the poller's id (>= 0); -ENOSPC past TERN_MAX_POLLERS
 *   (the core's own take two); -EINVAL: NULL @p s, @p p or poll function;
 *   -EXDEV: @p s is driven by another thread.
 */
int tern_sched_add_poller(struct tern_sched *s, const struct tern_poller *p);

/**
 * Removes poller @p id.
 * @return 0; -ENOENT: no such poller; -EPERM: the core's own pollers (the
 *   timer wheel, the inbox); -EXDEV: another thread's core.
 */
int tern_sched_remove_poller(struct tern_sched *s, int id);

/**
 * The core's clock in nanoseconds: the TSC, or the virtual clock.
 * Every tern time (timers, budgets, deadlines) reads this one function.
 */
uint64_t tern_sched_now(const struct tern_sched *s);

/**
 * Moves @p s's virtual clock forward by @p ns.
 * @return 0; -ENOTSUP: @p s has a real clock; -EINVAL: @p s NULL or @p ns
 *   above TERN_MAX_DELAY_NS; -EXDEV: @p s is driven by another thread.
 */
int tern_sched_advance(struct tern_sched *s, uint64_t ns);

/** Buckets of the ready-to-run latency histogram: bucket b counts
 *  latencies in [2^b, 2^(b+1)) ns (the last bucket takes everything above). */
#define TERN_LATENCY_BUCKETS 40

/** Ready-to-run latency: from a task becoming ready to it running. */
struct tern_latency_hist {
	uint64_t count[TERN_LATENCY_BUCKETS];
	uint64_t samples; /**< one wake-up in 64 is timed */
};

/** Copies @p s's ready-to-run latency histogram (zeroes @p out for NULL @p s).
 *  From any thread: each counter is read whole, but while @p s runs not all
 *  at one instant (telemetry's /tern/sched/latency reads it so, cores.h). */
void tern_sched_ready_latency(const struct tern_sched *s, struct tern_latency_hist *out);

/**
 * A quantile of @p h to the histogram's resolution: the upper edge
 * 2^(b+1) ns of the bucket b that holds the sample of rank ceil(q * n) (n:
 * the samples in the buckets), so at least a fraction @p q of the samples
 * lie below it. @p q = 1 gives a bound on the maximum.
 * @param q clamped to [0, 1].
 * @return nanoseconds; 0 when @p h is NULL or empty; UINT64_MAX when the
 *   sample lies in the last bucket (which has no upper edge).
 */
uint64_t tern_latency_quantile(const struct tern_latency_hist *h, double q);

/** Copies @p s's counters (zeroes @p out when @p s is NULL). From any
 *  thread: each counter is read whole, but while @p s runs not all at one
 *  instant. */
void tern_sched_stats(const struct tern_sched *s, struct tern_sched_stats *out);

/** The scheduler the calling thread drives, or NULL. */
struct tern_sched *tern_sched_current(void);

/**
 * Runs @p fn(@p arg) as a task on a scheduler made for the call and driven by
 * the calling thread, and returns the task's result when it finishes
 * (C#'s GetAwaiter().GetResult(), Rust's block_on). For threads that are not
 * engine cores: on a core it refuses, since blocking a polling core would
 * stall its NIC and every task on it.
 *
 * @param opts scheduler options (NULL: defaults).
 * Returns when the task has finished and every reply owed to this core
 * (submits, offloads) has arrived.
 * @return the task's result; -EDEADLK on an engine core (logged, with what
 *   to do instead), or when the task waits for something nothing on this
 *   thread can complete (no ready task, no poller but the timers, and no
 *   timer armed or a virtual clock); -EINVAL: @p fn NULL; -ENOMEM.
 */
intptr_t tern_block_on(const struct tern_sched_opts *opts, tern_task_fn fn, void *arg);

TERN_END_DECLS
#endif
