/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every engine's counters through DPDK telemetry (the dpdk_telemetry.v2
 * socket, dpdk-telemetry.py), next to the cores' (sched/telemetry.c):
 *   /tern/engines                 id -> "<ip> port <p> worker <w>[ core <c>]"
 *   /tern/engine/stats,<id>       who it is, every counter of
 *                                 tern_engine_stats by name, the law
 *   /tern/engine/udp_ports,<id>   the UDP ports it has sockets on
 *
 * Lifetime. DPDK's callbacks take no argument, so the engines are found
 * through one table per process. tern_engine_create fills a slot last,
 * once the engine is whole; tern_engine_destroy empties it first, before
 * it frees anything. Both take tel_lock, and every callback holds it for
 * as long as it reads an engine: a callback finds the engine in its slot
 * and destroy then waits in pthread_mutex_lock until the reply is read,
 * or finds the slot empty and answers null. Nothing else is needed: the
 * only memory of the engine a callback touches (its counters, its socket
 * table) is freed by destroy after the slot is emptied; what tells the
 * engines apart (address, port, worker, core) is copied into the slot at
 * create, so a callback never follows the engine's port or core, which
 * the application may free right after destroy. The engine's core never
 * takes the lock: its packet path pays nothing, and create and destroy
 * pay one uncontended lock (or wait out one reply, a few ms at most).
 *
 * Reads. Each counter is written by the engine's core alone, with plain
 * increments, and read here whole, with a relaxed load (an aligned 64-bit
 * word: a value it really had), as sched/telemetry.c reads a core's; the
 * counters of one read are taken one after another. The law (engine.h:
 * rx_packets + udp_fwd_recv == delivered + drops + ip_frag_held) holds
 * between two bursts; a read that lands in the middle of one sees the
 * burst's frames received and not all of them ended yet. So a stats reply
 * is taken from the first of up to LAW_READS reads in which the law holds
 * (the first, on an idle engine), some tens of microseconds apart after
 * the first few: law_ok 0 means that no read in about 2 ms found the
 * engine between bursts (a core saturated or preempted all that time), or
 * that its counters do not add up.
 *
 * The engine links DPDK, so it calls the telemetry library directly: the
 * run-time lookup of sched/telemetry.c is there because the runtime links
 * no DPDK, which does not apply here. Commands are registered at the first
 * engine; without the EAL's telemetry socket (--no-telemetry) nothing ever
 * calls them.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include <rte_telemetry.h>

#include <tern/cores.h>
#include <tern/log.h>

#include "engine_internal.h"
#include "telemetry.h"

#define TEL_MAX_ENGINES 256    /* live in one process; /tern/engines is a
                                  dict of at most RTE_TEL_MAX_DICT_ENTRIES */
#define LAW_READS 32           /* reads of a stats reply, at most */
#define LAW_QUICK 4            /* of which back to back */
#define LAW_PAUSE_NS 20000     /* between the others */

#define ENG_F(f) { #f, offsetof(struct tern_engine_stats, f) },
#define ENG_D(f) { #f, offsetof(struct tern_engine_stats, drops.f) },
const struct eng_stat_field eng_stat_fields[] = { ENG_STATS_FIELDS(ENG_F, ENG_D) };
#undef ENG_F
#undef ENG_D
const size_t eng_stat_nfields = sizeof(eng_stat_fields) / sizeof(eng_stat_fields[0]);

_Static_assert(sizeof(eng_stat_fields) / sizeof(eng_stat_fields[0]) ==
	       sizeof(struct tern_engine_stats) / sizeof(uint64_t),
	       "every counter of tern_engine_stats has a name");
_Static_assert(sizeof(struct tern_engine_stats) % sizeof(uint64_t) == 0,
	       "tern_engine_stats is a row of uint64_t counters");

/* A live engine and what tells it apart, copied at create. */
struct tel_slot {
	const struct tern_engine *eng; /* NULL: free */
	uint32_t ip;
	uint16_t port, worker;
	int core;                      /* tern_core_telemetry_id, or -1 */
};

static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tel_slot tel_slot[TEL_MAX_ENGINES]; /* by id */
static pthread_once_t tel_once = PTHREAD_ONCE_INIT;

/* The live engine named by @params (a decimal id), or NULL. Called locked. */
static const struct tel_slot *slot_of(const char *params)
{
	unsigned id;
	int end = 0;

	if (params == NULL || sscanf(params, "%u%n", &id, &end) != 1 || params[end] != '\0' ||
	    id >= TEL_MAX_ENGINES || tel_slot[id].eng == NULL)
		return NULL;
	return &tel_slot[id];
}

static void ip_str(uint32_t ip, char out[INET_ADDRSTRLEN])
{
	struct in_addr a = { htonl(ip) };

	inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
}

static int cmd_engines(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char id[16], ip[INET_ADDRSTRLEN], desc[80], core[24];

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&tel_lock);
	for (int i = 0; i < TEL_MAX_ENGINES; i++) {
		const struct tel_slot *s = &tel_slot[i];

		if (s->eng == NULL)
			continue;
		ip_str(s->ip, ip);
		core[0] = '\0';
		if (s->core >= 0)
			snprintf(core, sizeof(core), " core %d", s->core);
		snprintf(id, sizeof(id), "%d", i);
		snprintf(desc, sizeof(desc), "%s port %u worker %u%s", ip, s->port, s->worker,
			 core);
		rte_tel_data_add_dict_string(d, id, desc);
	}
	pthread_mutex_unlock(&tel_lock);
	return 0;
}

/* Copies @eng's counters, each with a relaxed load (see the top). */
static void stats_peek(const struct tern_engine *eng, struct tern_engine_stats *out)
{
	const uint64_t *src = (const uint64_t *)&eng->st;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

static uint64_t law_in(const struct tern_engine_stats *st)
{
	return st->rx_packets + st->udp_fwd_recv;
}

static uint64_t law_out(const struct tern_engine_stats *st)
{
	return st->delivered + tern_engine_drops_total(st) + st->ip_frag_held;
}

/* Reads @eng's counters until a read sees the law hold (see the top);
 * true if one did, *st then that read, else the last. Called locked. */
static bool stats_settled(const struct tern_engine *eng, struct tern_engine_stats *st)
{
	for (int i = 0; i < LAW_READS; i++) {
		if (i >= LAW_QUICK)
			nanosleep(&(struct timespec){ 0, LAW_PAUSE_NS }, NULL);
		stats_peek(eng, st);
		if (law_in(st) == law_out(st))
			return true;
	}
	return false;
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tern_engine_stats st;
	const struct tel_slot *s;
	char ip[INET_ADDRSTRLEN];
	bool law;

	pthread_mutex_lock(&tel_lock);
	s = slot_of(params);
	if (s == NULL) {
		pthread_mutex_unlock(&tel_lock);
		return -EINVAL; /* telemetry answers {"<cmd>": null} */
	}
	law = stats_settled(s->eng, &st);
	ip_str(s->ip, ip);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "ip", ip);
	rte_tel_data_add_dict_int(d, "port", s->port);
	rte_tel_data_add_dict_int(d, "worker", s->worker);
	rte_tel_data_add_dict_int(d, "core", s->core);
	pthread_mutex_unlock(&tel_lock);
	for (size_t i = 0; i < eng_stat_nfields; i++)
		rte_tel_data_add_dict_u64(d, eng_stat_fields[i].name,
			*(const uint64_t *)((const char *)&st + eng_stat_fields[i].off));
	rte_tel_data_add_dict_u64(d, "drops_total", tern_engine_drops_total(&st));
	rte_tel_data_add_dict_u64(d, "law_in", law_in(&st));
	rte_tel_data_add_dict_u64(d, "law_out", law_out(&st));
	rte_tel_data_add_dict_int(d, "law_ok", law);
	return 0;
}

/* The ports of the engine's sockets, lowest first, at most
 * RTE_TEL_MAX_ARRAY_ENTRIES. Reads only whether each of its 65536 slots
 * holds a socket (a pointer, loaded whole, never followed: a socket may be
 * closed, and freed, by the core meanwhile); the table itself lives until
 * the engine is freed. */
static int cmd_udp_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct tel_slot *s;
	struct tern_udp_sock **socks;

	pthread_mutex_lock(&tel_lock);
	s = slot_of(params);
	if (s == NULL) {
		pthread_mutex_unlock(&tel_lock);
		return -EINVAL;
	}
	socks = s->eng->socks;
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	for (uint32_t p = 0; p <= UINT16_MAX; p++)
		if (__atomic_load_n(&socks[p], __ATOMIC_RELAXED) != NULL &&
		    rte_tel_data_add_array_int(d, (int)p) < 0)
			break; /* the array is full */
	pthread_mutex_unlock(&tel_lock);
	return 0;
}

static void register_cmds(void)
{
	int rc = rte_telemetry_register_cmd("/tern/engines", cmd_engines,
		"Returns tern's engines: id -> address, port, worker, core. Takes no parameters");

	if (rc == 0)
		rc = rte_telemetry_register_cmd("/tern/engine/stats", cmd_stats,
			"Returns a tern engine's counters. Parameters: int engine id");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/tern/engine/udp_ports", cmd_udp_ports,
			"Returns the UDP ports a tern engine has sockets on. Parameters: int engine id");
	if (rc < 0)
		tern_log(TERN_LOG_WARN, "telemetry: the engine commands not registered (error %d); "
					"the engines run, unexported", rc);
}

void eng_tel_add(struct tern_engine *eng)
{
	int core = tern_core_telemetry_id(eng->sched);
	struct tel_slot s = { .eng = eng, .ip = eng->ip, .port = tern_port_id(eng->port),
			      .worker = eng->worker, .core = core < 0 ? -1 : core };
	int id;

	pthread_once(&tel_once, register_cmds);
	pthread_mutex_lock(&tel_lock);
	for (id = 0; id < TEL_MAX_ENGINES && tel_slot[id].eng != NULL; id++)
		;
	if (id < TEL_MAX_ENGINES)
		tel_slot[id] = s;
	pthread_mutex_unlock(&tel_lock);
	if (id == TEL_MAX_ENGINES)
		tern_log(TERN_LOG_WARN, "telemetry: an engine not exported: %d engines live "
					"in this process already", TEL_MAX_ENGINES);
}

void eng_tel_remove(const struct tern_engine *eng)
{
	pthread_mutex_lock(&tel_lock);
	for (int id = 0; id < TEL_MAX_ENGINES; id++)
		if (tel_slot[id].eng == eng)
			tel_slot[id].eng = NULL;
	pthread_mutex_unlock(&tel_lock);
}

int tern_engine_telemetry_id(const struct tern_engine *eng)
{
	int found = -ENOENT;

	pthread_mutex_lock(&tel_lock);
	for (int id = 0; id < TEL_MAX_ENGINES && eng != NULL; id++)
		if (tel_slot[id].eng == eng) {
			found = id;
			break;
		}
	pthread_mutex_unlock(&tel_lock);
	return found;
}
