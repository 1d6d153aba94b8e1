/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Engines of one port on several cores: the group they join, and ARP
 * entries sent between them.
 *
 * Frames without a flow (ARP) reach one worker only, whichever the port's
 * hash gives them, so one engine learns a neighbour that the others need
 * to send to it. Each engine keeps its own table: what one learns is sent
 * to every sibling as a message that runs on the sibling's core (a
 * detached tern_submit(), Seastar's learn-on-every-shard), never written
 * into a table another core reads. A sibling whose resolution was waiting
 * for that address completes it then, sending what it queued.
 * Messages are rare (a new or changed neighbour, a reply to one of our
 * requests), so each is one malloc, freed where it lands.
 */
#include <stdlib.h>
#include <string.h>

#include <tern/cores.h>
#include <tern/log.h>

#include "engine_internal.h"

#define ENG_NS_PER_S UINT64_C(1000000000)

int tern_engine_group_create(struct tern_port *port, struct tern_engine_group **out)
{
	struct tern_engine_group *g;

	if (port == NULL || out == NULL)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	g->port = port;
	g->n = tern_port_nb_workers(port);
	g->m = calloc(g->n, sizeof(g->m[0]));
	if (g->m == NULL) {
		free(g);
		return -ENOMEM;
	}
	*out = g;
	return 0;
}

int tern_engine_group_destroy(struct tern_engine_group *g)
{
	if (g == NULL)
		return 0;
	/* Acquire: pairs with the release decrement of sync_run, so the
	 * messages' last reads of g happened before it is freed. */
	if (__atomic_load_n(&g->inflight, __ATOMIC_ACQUIRE) != 0)
		return -EBUSY;
	for (uint16_t w = 0; w < g->n; w++)
		if (__atomic_load_n(&g->m[w].eng, __ATOMIC_ACQUIRE) != NULL)
			return -EBUSY;
	free(g->m);
	free(g);
	return 0;
}

int eng_group_join(struct tern_engine *eng, struct tern_engine_group *g)
{
	struct tern_engine *none = NULL;

	if (g->port != eng->port) {
		tern_log(TERN_LOG_ERR, "engine: the group serves another port");
		return -EINVAL;
	}
	for (uint16_t w = 0; w < g->n; w++) {
		struct tern_engine *o = __atomic_load_n(&g->m[w].eng, __ATOMIC_ACQUIRE);

		if (o != NULL && (o->ip != eng->ip || !rte_is_same_ether_addr(&o->mac, &eng->mac))) {
			tern_log(TERN_LOG_ERR, "engine: a group's engines share one IP and MAC");
			return -EINVAL;
		}
	}
	/* Release: a sibling that sees eng sees it fully made (its sched,
	 * its table initialised). */
	if (!__atomic_compare_exchange_n(&g->m[eng->worker].eng, &none, eng, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		tern_log(TERN_LOG_ERR, "engine: worker %u has an engine in this group already",
			 eng->worker);
		return -EEXIST;
	}
	eng->group = g;
	return 0;
}

void eng_group_leave(struct tern_engine *eng)
{
	if (eng->group == NULL)
		return;
	/* Release: pairs with sync_run's acquire; messages that land later
	 * find the slot empty and are dropped. */
	__atomic_store_n(&eng->group->m[eng->worker].eng, NULL, __ATOMIC_RELEASE);
	eng->group = NULL;
}

/* True for the one engine of a group that announces the port's address. */
bool eng_group_first_announce(struct tern_engine *eng)
{
	if (eng->group == NULL)
		return true;
	return __atomic_exchange_n(&eng->group->announced, 1, __ATOMIC_RELAXED) == 0;
}

/* ------------------------------------------------------- ARP messages */

struct eng_arp_msg {
	struct tern_engine_group *g;
	uint16_t worker;          /* the sibling it is for */
	uint8_t state;            /* ARP_REACHABLE or ARP_STATIC */
	bool create;              /* false: update an entry that exists only */
	uint32_t ip;
	struct rte_ether_addr mac;
};

/* Runs as a task on the sibling's core. */
static intptr_t sync_run(void *arg)
{
	struct eng_arp_msg *msg = arg;
	struct tern_engine_group *g = msg->g;
	struct tern_engine *eng = __atomic_load_n(&g->m[msg->worker].eng, __ATOMIC_ACQUIRE);

	/* The slot may hold an engine made since on another core: only the
	 * engine of this core may be touched here. */
	if (eng != NULL && eng->sched == tern_sched_current())
		eng_arp_apply(eng, msg->ip, &msg->mac, msg->state, msg->create);
	free(msg);
	/* Release: pairs with the acquire of tern_engine_group_destroy(). */
	__atomic_fetch_sub(&g->inflight, 1, __ATOMIC_RELEASE);
	return 0;
}

static int sync_post(struct tern_engine *eng, uint16_t w, struct tern_sched *to,
		     uint32_t ip, const struct rte_ether_addr *mac, uint8_t state, bool create)
{
	struct eng_arp_msg *msg = malloc(sizeof(*msg));
	int rc;

	if (msg == NULL)
		return -ENOMEM;
	*msg = (struct eng_arp_msg){ .g = eng->group, .worker = w, .state = state, .ip = ip,
				     .mac = *mac, .create = create };
	__atomic_fetch_add(&eng->group->inflight, 1, __ATOMIC_RELAXED);
	rc = tern_submit(to, sync_run, msg, &(struct tern_submit_opts){
		.name = "arp-sync", .detached = true }, NULL);
	if (rc < 0) {
		__atomic_fetch_sub(&eng->group->inflight, 1, __ATOMIC_RELAXED);
		free(msg);
	}
	return rc;
}

/*
 * Sends ip -> mac to every sibling. From a thread that drives no core (set
 * up, the cores not running) the siblings' tables are written directly.
 */
void eng_group_arp_sync(struct tern_engine *eng, uint32_t ip, const struct rte_ether_addr *mac,
			uint8_t state, bool create)
{
	struct tern_engine_group *g = eng->group;
	bool direct = tern_sched_current() == NULL;

	if (g == NULL)
		return;
	for (uint16_t w = 0; w < g->n; w++) {
		struct tern_engine *sib = __atomic_load_n(&g->m[w].eng, __ATOMIC_ACQUIRE);

		if (sib == NULL || sib == eng)
			continue;
		if (direct) {
			eng_arp_apply(sib, ip, mac, state, create);
			eng->st.arp_sync_sent++;
		} else if (sync_post(eng, w, sib->sched, ip, mac, state, create) == 0) {
			eng->st.arp_sync_sent++;
		} else {
			eng->st.arp_sync_failed++;
		}
	}
}

/*
 * Token bucket of arp_sync_burst entries refilled at arp_sync_rate per
 * second, as ICMP's: each entry input teaches costs one malloc and one
 * inbox slot per sibling, and a flood of ARP from spoofed senders (every
 * frame news, the table evicting) would fill the siblings' inboxes, so
 * that other submits to them fail with -EAGAIN.
 */
static bool sync_allow(struct tern_engine *eng)
{
	uint64_t cost = ENG_NS_PER_S / eng->arp_sync_rate;
	uint64_t cap = eng->arp_sync_burst * cost;

	eng->arp_sync_tokens_ns += eng->now_ns - eng->arp_sync_last_ns;
	eng->arp_sync_last_ns = eng->now_ns;
	if (eng->arp_sync_tokens_ns > cap)
		eng->arp_sync_tokens_ns = cap;
	if (eng->arp_sync_tokens_ns < cost)
		return false;
	eng->arp_sync_tokens_ns -= cost;
	return true;
}

/* An entry input taught us, sent to the siblings within the rate; over
 * it, counted once per sibling that misses it (a sibling that needs the
 * entry asks for it itself after arp_retry_ms). */
void eng_group_arp_news(struct tern_engine *eng, uint32_t ip, const struct rte_ether_addr *mac,
			bool create)
{
	struct tern_engine_group *g = eng->group;

	if (g == NULL)
		return;
	if (sync_allow(eng)) {
		eng_group_arp_sync(eng, ip, mac, ARP_REACHABLE, create);
		return;
	}
	for (uint16_t w = 0; w < g->n; w++) {
		struct tern_engine *sib = __atomic_load_n(&g->m[w].eng, __ATOMIC_ACQUIRE);

		if (sib != NULL && sib != eng)
			eng->st.arp_sync_limited++;
	}
}

/* ------------------------------------------------------------ counters */

struct stats_req {
	const struct tern_engine_group *g;
	uint16_t w;
	struct tern_engine_stats *out;
};

static intptr_t stats_copy(void *arg)
{
	struct stats_req *r = arg;
	struct tern_engine *eng = __atomic_load_n(&r->g->m[r->w].eng, __ATOMIC_ACQUIRE);

	if (eng == NULL)
		return 0;
	tern_engine_stats(eng, r->out);
	return 1;
}

static void stats_add(struct tern_engine_stats *sum, const struct tern_engine_stats *s)
{
	uint64_t *d = (uint64_t *)sum;
	const uint64_t *c = (const uint64_t *)s;

	_Static_assert(sizeof(*s) % sizeof(uint64_t) == 0, "counters are 64-bit words");
	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		d[i] += c[i];
}

/* Worker w's counters into *out, on w's own core when we run on one. */
static intptr_t stats_of(const struct tern_engine_group *g, uint16_t w,
			 struct tern_engine_stats *out)
{
	struct stats_req r = { g, w, out };
	struct tern_sched *self = tern_sched_current();
	struct tern_engine *eng = __atomic_load_n(&g->m[w].eng, __ATOMIC_ACQUIRE);
	struct tern_sched *to;
	tern_future_t f;
	int rc;

	memset(out, 0, sizeof(*out));
	if (eng == NULL)
		return 0;
	to = eng->sched;
	if (self == NULL || self == to)
		return stats_copy(&r);
	rc = tern_submit(to, stats_copy, &r, &(struct tern_submit_opts){ .name = "eng-stats" }, &f);
	if (rc < 0)
		return rc;
	/* No token: r lives on this stack until the copy has run. */
	return tern_await(f, TERN_TOKEN_NONE);
}

intptr_t tern_engine_group_stats(const struct tern_engine_group *g,
				 struct tern_engine_stats *per, struct tern_engine_stats *sum)
{
	struct tern_engine_stats one;
	intptr_t n = 0;

	if (g == NULL)
		return -EINVAL;
	if (tern_sched_current() != NULL && !tern_in_task())
		return -EPERM;
	if (sum != NULL)
		memset(sum, 0, sizeof(*sum));
	for (uint16_t w = 0; w < g->n; w++) {
		intptr_t rc = stats_of(g, w, per != NULL ? &per[w] : &one);

		if (rc < 0)
			return rc;
		n += rc;
		if (sum != NULL)
			stats_add(sum, per != NULL ? &per[w] : &one);
	}
	return n;
}
