/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every core's counters and ready-to-run latency through DPDK telemetry
 * (the dpdk_telemetry.v2 socket, dpdk-telemetry.py):
 *   /tern/cores               ids of the cores of every live group
 *   /tern/sched/stats,<id>    that core's tern_sched_stats, by field name
 *   /tern/sched/latency,<id>  its latency histogram, with p50/p99/max
 *
 * DPDK's callbacks take no argument, so the cores are found through one
 * table per process, filled by tern_cores_create and emptied by
 * tern_cores_destroy under the lock the callbacks hold: a callback never
 * reads a core that is being freed. The commands are registered once per
 * process, at the first group; registering needs no EAL (DPDK's own
 * libraries register from constructors), and without rte_eal_init there is
 * no socket, so nothing ever calls them.
 *
 * The runtime does not link DPDK: a program of tasks alone needs none of
 * it. DPDK's telemetry calls are looked up at the first group instead; a
 * process that links the EAL has librte_telemetry loaded (librte_eal needs
 * it), and then its cores are exported. (A DPDK linked statically is found
 * only if the program exports its symbols, -rdynamic.)
 *
 * Consistency: the callbacks run on telemetry's client threads while the
 * cores run. Each counter is read whole (an aligned 64-bit relaxed load,
 * as the stall detector reads): it is a value the counter really had, but
 * two counters are read a few nanoseconds apart, so a reply is not one
 * instant of the core (tasks_done may include a task spawned after
 * tasks_spawned was read; the buckets may hold a sample or two more than
 * samples). The core's hot paths pay nothing for this.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

#include <rte_telemetry.h>
#include <tern/cores.h>

#include "sched_internal.h"

#define TEL_MAX_CORES 256 /* across every live group */

/* DPDK's telemetry API, found in the process at run time (or all NULL). */
static struct {
	int (*register_cmd)(const char *cmd, telemetry_cb fn, const char *help);
	int (*start_array)(struct rte_tel_data *d, enum rte_tel_value_type type);
	int (*start_dict)(struct rte_tel_data *d);
	int (*add_array_int)(struct rte_tel_data *d, int x);
	int (*add_array_u64)(struct rte_tel_data *d, uint64_t x);
	int (*add_dict_string)(struct rte_tel_data *d, const char *name, const char *val);
	int (*add_dict_u64)(struct rte_tel_data *d, const char *name, uint64_t val);
	int (*add_dict_container)(struct rte_tel_data *d, const char *name,
				  struct rte_tel_data *val, int keep);
	struct rte_tel_data *(*alloc)(void);
	void (*free)(struct rte_tel_data *d);
} tel;

static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tern_sched *tel_core[TEL_MAX_CORES]; /* by id; NULL: free */
static pthread_once_t tel_once = PTHREAD_ONCE_INIT;

/* The core named by @params (a decimal id), or NULL. Called locked. */
static struct tern_sched *core_of(const char *params)
{
	char *end;
	unsigned long id;

	if (!params || *params < '0' || *params > '9')
		return NULL;
	id = strtoul(params, &end, 10);
	if (*end != '\0' || id >= TEL_MAX_CORES)
		return NULL;
	return tel_core[id];
}

static int cmd_cores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	tel.start_array(d, RTE_TEL_INT_VAL);
	pthread_mutex_lock(&tel_lock);
	for (int id = 0; id < TEL_MAX_CORES; id++)
		if (tel_core[id])
			tel.add_array_int(d, id);
	pthread_mutex_unlock(&tel_lock);
	return 0;
}

#define STAT(f) { #f, offsetof(struct tern_sched_stats, f) }
static const struct {
	const char *name;
	size_t off;
} stat_fields[] = {
	STAT(rounds), STAT(polls), STAT(tasks_spawned), STAT(tasks_run), STAT(tasks_done),
	STAT(tasks_live), STAT(records_live), STAT(budget_cut_tasks), STAT(budget_cut_time),
	STAT(unobserved), STAT(misuse), STAT(stacks_mapped), STAT(timers_live),
	STAT(timers_fired), STAT(timers_cascaded), STAT(stalls), STAT(jobs_run),
	STAT(jobs_stolen), STAT(idle_rounds), STAT(idle_sleeps),
};
#undef STAT

_Static_assert(sizeof(stat_fields) / sizeof(stat_fields[0]) ==
	       sizeof(struct tern_sched_stats) / sizeof(uint64_t),
	       "every counter of tern_sched_stats is exported");

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tern_sched_stats st;
	struct tern_sched *s;

	pthread_mutex_lock(&tel_lock);
	s = core_of(params);
	if (!s) {
		pthread_mutex_unlock(&tel_lock);
		return -EINVAL; /* telemetry answers {"<cmd>": null} */
	}
	tern_sched_stats(s, &st); /* relaxed loads: safe while s runs */
	tel.start_dict(d);
	tel.add_dict_string(d, "name", s->name);
	pthread_mutex_unlock(&tel_lock);
	for (size_t i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++)
		tel.add_dict_u64(d, stat_fields[i].name,
					  *(const uint64_t *)((const char *)&st + stat_fields[i].off));
	return 0;
}

static int cmd_latency(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tern_latency_hist h;
	struct rte_tel_data *buckets;
	struct tern_sched *s;

	buckets = tel.alloc();
	if (!buckets)
		return -ENOMEM;
	pthread_mutex_lock(&tel_lock);
	s = core_of(params);
	if (!s) {
		pthread_mutex_unlock(&tel_lock);
		tel.free(buckets);
		return -EINVAL;
	}
	tern_sched_ready_latency(s, &h);
	tel.start_dict(d);
	tel.add_dict_string(d, "name", s->name);
	pthread_mutex_unlock(&tel_lock);
	tel.add_dict_u64(d, "samples", h.samples);
	tel.add_dict_u64(d, "p50_ns", tern_latency_quantile(&h, 0.5));
	tel.add_dict_u64(d, "p99_ns", tern_latency_quantile(&h, 0.99));
	tel.add_dict_u64(d, "max_ns", tern_latency_quantile(&h, 1.0));
	tel.start_array(buckets, RTE_TEL_U64_VAL);
	for (unsigned b = 0; b < TERN_LATENCY_BUCKETS; b++)
		tel.add_array_u64(buckets, h.count[b]);
	/* Bucket b counts [2^b, 2^(b+1)) ns; telemetry frees the array. */
	tel.add_dict_container(d, "buckets", buckets, 0);
	return 0;
}

#define FIND(field, sym) (*(void **)&tel.field = dlsym(RTLD_DEFAULT, sym))

/* True when every call the commands use is in the process. */
static bool find_telemetry(void)
{
	return FIND(register_cmd, "rte_telemetry_register_cmd") &&
	       FIND(start_array, "rte_tel_data_start_array") &&
	       FIND(start_dict, "rte_tel_data_start_dict") &&
	       FIND(add_array_int, "rte_tel_data_add_array_int") &&
	       FIND(add_array_u64, "rte_tel_data_add_array_u64") &&
	       FIND(add_dict_string, "rte_tel_data_add_dict_string") &&
	       FIND(add_dict_u64, "rte_tel_data_add_dict_u64") &&
	       FIND(add_dict_container, "rte_tel_data_add_dict_container") &&
	       FIND(alloc, "rte_tel_data_alloc") && FIND(free, "rte_tel_data_free");
}

static void register_cmds(void)
{
	int rc;

	if (!find_telemetry())
		return; /* no DPDK in this process: nothing to export to */
	rc = tel.register_cmd("/tern/cores", cmd_cores,
			      "Returns the ids of tern's cores. Takes no parameters");
	if (rc == 0)
		rc = tel.register_cmd("/tern/sched/stats", cmd_stats,
				      "Returns a tern core's counters. Parameters: int core id");
	if (rc == 0)
		rc = tel.register_cmd("/tern/sched/latency", cmd_latency,
				      "Returns a tern core's ready-to-run latency histogram. "
				      "Parameters: int core id");
	if (rc < 0)
		tern_log(TERN_LOG_WARN, "telemetry: tern's commands not registered (error %d); "
					"the cores run, unexported", rc);
}

void tern__telemetry_add(struct tern_cores *c)
{
	unsigned n = tern_cores_count(c), i = 0;

	pthread_once(&tel_once, register_cmds);
	pthread_mutex_lock(&tel_lock);
	for (int id = 0; id < TEL_MAX_CORES && i < n; id++)
		if (!tel_core[id])
			tel_core[id] = tern_cores_sched(c, i++);
	pthread_mutex_unlock(&tel_lock);
	if (i < n)
		tern_log(TERN_LOG_WARN, "telemetry: %u cores of a group not exported: more than "
					"%d cores live in this process", n - i, TEL_MAX_CORES);
}

void tern__telemetry_remove(struct tern_cores *c)
{
	unsigned n = tern_cores_count(c);

	pthread_mutex_lock(&tel_lock);
	for (int id = 0; id < TEL_MAX_CORES; id++)
		for (unsigned i = 0; i < n && tel_core[id]; i++)
			if (tel_core[id] == tern_cores_sched(c, i))
				tel_core[id] = NULL;
	pthread_mutex_unlock(&tel_lock);
}

int tern_core_telemetry_id(const struct tern_sched *s)
{
	int found = -ENOENT;

	pthread_mutex_lock(&tel_lock);
	for (int id = 0; id < TEL_MAX_CORES && found < 0 && s; id++)
		if (tel_core[id] == s)
			found = id;
	pthread_mutex_unlock(&tel_lock);
	return found;
}
