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
 *
 * UDP ports too are per core, but a datagram may reach a core whose
 * engine has no socket on its port while a sibling has one: fragments
 * carry no ports, so the NIC (and tern's software steering) hashes them by
 * addresses only, and the reassembled datagram lands on the addresses'
 * core, not on the core a client's ephemeral port was picked for. The
 * group keeps which workers have each port bound (written at bind and
 * close, read only when a datagram finds no socket), and such a datagram
 * travels to the owner as a message like the ARP entries, where udp_in.c
 * delivers it. Reading a sibling's socket table instead would race with
 * its binds and closes.
 */
#include <stdlib.h>
#include <string.h>

#include <tern/cores.h>
#include <tern/log.h>

#include "engine_internal.h"

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
	g->words = (g->n + 63) / 64;
	/* 512 KiB per 64 workers, mostly never touched: calloc maps zero pages. */
	g->owners = calloc((size_t)(UINT16_MAX + 1) * g->words, sizeof(g->owners[0]));
	if (g->m == NULL || g->owners == NULL) {
		free(g->m);
		free(g->owners);
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
	free(g->owners);
	free(g->m);
	free(g);
	return 0;
}

int eng_group_join(struct tern_engine *eng, struct tern_engine_group *g)
{
	struct eng_member *mb = &g->m[eng->worker];
	struct tern_sched *none = NULL;

	/* The group's port was checked with the rest of the conf. Entries
	 * travel by tern_submit, which only a core of one tern_cores group
	 * can use towards another: refused here, not per packet later. */
	if (g->n > 1 && tern_sched_cores(eng->sched) == NULL) {
		tern_log(TERN_LOG_ERR, "engine: a group's engines run on cores of one tern_cores group");
		return -EINVAL;
	}
	for (uint16_t w = 0; w < g->n; w++) {
		struct tern_engine *o = __atomic_load_n(&g->m[w].eng, __ATOMIC_ACQUIRE);

		if (o != NULL && tern_sched_cores(o->sched) != tern_sched_cores(eng->sched)) {
			tern_log(TERN_LOG_ERR, "engine: a group's engines run on cores of one tern_cores group");
			return -EINVAL;
		}
	}
	for (uint16_t w = 0; w < g->n; w++) {
		struct tern_engine *o = __atomic_load_n(&g->m[w].eng, __ATOMIC_ACQUIRE);

		if (o != NULL && (o->ip != eng->ip || !rte_is_same_ether_addr(&o->mac, &eng->mac))) {
			tern_log(TERN_LOG_ERR, "engine: a group's engines share one IP and MAC");
			return -EINVAL;
		}
	}
	/* The slot is claimed by its core first, then the engine published
	 * (release: a sibling that sees eng sees it fully made). */
	if (!__atomic_compare_exchange_n(&mb->sched, &none, eng->sched, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		tern_log(TERN_LOG_ERR, "engine: worker %u has an engine in this group already",
			 eng->worker);
		return -EEXIST;
	}
	__atomic_store_n(&mb->eng, eng, __ATOMIC_RELEASE);
	eng->group = g;
	return 0;
}

void eng_group_leave(struct tern_engine *eng)
{
	struct tern_engine_group *g = eng->group;
	struct eng_member *mb;
	struct tern_engine *self = eng;

	if (g == NULL)
		return;
	mb = &g->m[eng->worker];
	/* Its ports first: a sibling stops choosing it (one that chose it
	 * already finds the slot changed when its datagram lands). */
	for (uint32_t p = 0; p <= UINT16_MAX; p++)
		if (eng->socks[p] != NULL)
			eng_group_port_bound(eng, (uint16_t)p, false);
	/* Release, in this order: a message that reads the slot after sees
	 * no engine, or a generation it was not sent at (msg_target). */
	__atomic_store_n(&mb->eng, NULL, __ATOMIC_RELEASE);
	__atomic_fetch_add(&mb->gen, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&mb->sched, NULL, __ATOMIC_RELEASE);
	/* The next engine made announces the address again. */
	__atomic_compare_exchange_n(&g->announcer, &self, NULL, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	eng->group = NULL;
}

/* True for the one engine of a group that announces the port's address:
 * the first made, or the first made after that one left. */
bool eng_group_first_announce(struct tern_engine *eng)
{
	struct tern_engine *none = NULL;

	if (eng->group == NULL)
		return true;
	return __atomic_compare_exchange_n(&eng->group->announcer, &none, eng, false,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------- ARP messages */

/* Where a message goes: a sibling's slot as the sender saw it. */
struct eng_target {
	struct tern_engine_group *g;
	struct tern_engine *eng;  /* the sibling it is for, never read here */
	uint64_t gen;             /* its slot's generation when sent */
	uint16_t worker;          /* its slot */
};

struct eng_arp_msg {
	struct eng_target to;
	uint8_t state;            /* ARP_REACHABLE or ARP_STATIC */
	bool create;              /* false: update an entry that exists only */
	uint32_t ip;
	struct rte_ether_addr mac;
};

/*
 * The engine msg is for, if it is still in its slot and served by this
 * core; else NULL. Nothing of an engine is read before that is known:
 * the slot may hold an engine of another core by now, which that core
 * may destroy meanwhile. Generation, engine, core, generation: a leave
 * in between (it clears the engine, bumps the generation, then frees the
 * core) shows as a changed generation.
 */
static struct tern_engine *msg_target(const struct eng_target *msg)
{
	struct eng_member *mb = &msg->g->m[msg->worker];
	uint64_t g1 = __atomic_load_n(&mb->gen, __ATOMIC_ACQUIRE);
	struct tern_engine *eng = __atomic_load_n(&mb->eng, __ATOMIC_ACQUIRE);
	struct tern_sched *s = __atomic_load_n(&mb->sched, __ATOMIC_ACQUIRE);
	uint64_t g2 = __atomic_load_n(&mb->gen, __ATOMIC_ACQUIRE);

	if (g1 != msg->gen || g2 != g1 || eng != msg->eng || s != tern_sched_current())
		return NULL;
	return eng;
}

/*
 * Submits run(msg) to worker w's core, detached, counted in the group's
 * inflight; fills to from the slot as msg_target() checks it on landing
 * (generation, engine, core, in that order: a leave in between shows as a
 * changed generation). 0, or an error with msg still the caller's.
 */
static int msg_post(struct tern_engine_group *g, uint16_t w, struct eng_target *to,
		    intptr_t (*run)(void *), void *msg, const char *name)
{
	struct eng_member *mb = &g->m[w];
	struct tern_sched *core;
	int rc;

	to->g = g;
	to->worker = w;
	to->gen = __atomic_load_n(&mb->gen, __ATOMIC_ACQUIRE);
	to->eng = __atomic_load_n(&mb->eng, __ATOMIC_ACQUIRE);
	core = __atomic_load_n(&mb->sched, __ATOMIC_ACQUIRE);
	__atomic_fetch_add(&g->inflight, 1, __ATOMIC_RELAXED);
	rc = tern_submit(core, run, msg, &(struct tern_submit_opts){ .name = name,
			 .detached = true }, NULL);
	if (rc < 0)
		__atomic_fetch_sub(&g->inflight, 1, __ATOMIC_RELAXED);
	return rc;
}

/* The end of a message's task, after it freed the message. */
static void msg_landed(struct tern_engine_group *g)
{
	/* Release: pairs with the acquire of tern_engine_group_destroy(). */
	__atomic_fetch_sub(&g->inflight, 1, __ATOMIC_RELEASE);
}

/* Runs as a task on the sibling's core. */
static intptr_t sync_run(void *arg)
{
	struct eng_arp_msg *msg = arg;
	struct tern_engine_group *g = msg->to.g;
	struct tern_engine *eng = msg_target(&msg->to);

	if (eng != NULL)
		eng_arp_apply(eng, msg->ip, &msg->mac, msg->state, msg->create);
	else /* the engine left, or another took its slot: counted, not lost */
		__atomic_fetch_add(&g->m[msg->to.worker].sync_dropped, 1, __ATOMIC_RELAXED);
	free(msg);
	msg_landed(g);
	return 0;
}

static int sync_post(struct tern_engine *eng, uint16_t w, uint32_t ip,
		     const struct rte_ether_addr *mac, uint8_t state, bool create)
{
	struct eng_arp_msg *msg = malloc(sizeof(*msg));
	int rc;

	if (msg == NULL)
		return -ENOMEM;
	*msg = (struct eng_arp_msg){ .state = state, .ip = ip, .mac = *mac, .create = create };
	rc = msg_post(eng->group, w, &msg->to, sync_run, msg, "arp-sync");
	if (rc < 0)
		free(msg);
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
		struct eng_member *mb = &g->m[w];
		struct tern_engine *sib = __atomic_load_n(&mb->eng, __ATOMIC_ACQUIRE);

		/* Posted to the slot's core, not sib->sched: sib may be another
		 * core's, destroyed meanwhile; a stale slot is dropped on
		 * landing (msg_post, msg_target). */
		if (sib == NULL || sib == eng || __atomic_load_n(&mb->sched, __ATOMIC_ACQUIRE) == NULL)
			continue;
		if (direct) {
			eng_arp_apply(sib, ip, mac, state, create);
			eng->st.arp_sync_sent++;
		} else if (sync_post(eng, w, ip, mac, state, create) == 0) {
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
	return eng_bucket_take(&eng->sync_bucket, eng_now(eng));
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

/* ------------------------------------------------ UDP ports, datagrams */

/* Marks (or clears) port as bound on eng's worker. A bind or close on
 * eng's core; nothing for an engine alone. */
void eng_group_port_bound(struct tern_engine *eng, uint16_t port, bool bound)
{
	struct tern_engine_group *g = eng->group;
	uint64_t *w, bit;

	if (g == NULL)
		return;
	w = &g->owners[(size_t)port * g->words + eng->worker / 64];
	bit = UINT64_C(1) << (eng->worker % 64);
	/* Release: pairs with the acquire of port_owner(), so a sibling that
	 * sees the bit then sees this engine in its slot (joined before it
	 * could bind), not the empty slot of before. */
	if (bound)
		__atomic_fetch_or(w, bit, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(w, ~bit, __ATOMIC_RELEASE);
}

/* A sibling that has port bound and an engine in its slot, the first
 * after our own worker (so the workers without the port spread over
 * those with it); -1 when none. */
static int port_owner(const struct tern_engine *eng, uint16_t port)
{
	const struct tern_engine_group *g = eng->group;
	const uint64_t *words = &g->owners[(size_t)port * g->words];

	for (uint16_t i = 1; i < g->n; i++) {
		uint16_t w = (eng->worker + i) % g->n;
		/* Acquire: pairs with the release of eng_group_port_bound(). */
		uint64_t bits = __atomic_load_n(&words[w / 64], __ATOMIC_ACQUIRE);

		if ((bits >> (w % 64) & 1) != 0 &&
		    __atomic_load_n(&g->m[w].eng, __ATOMIC_ACQUIRE) != NULL)
			return w;
	}
	return -1;
}

struct eng_fwd_msg {
	struct eng_target to;
	uint16_t from;            /* the sender's slot: its fwd_inflight */
	struct rte_mbuf *m;       /* the datagram, Ethernet header first */
};

/* Runs as a task on the owner's core: the datagram to its socket, or
 * freed and counted by the group when the engine left meanwhile. */
static intptr_t fwd_run(void *arg)
{
	struct eng_fwd_msg *msg = arg;
	struct tern_engine_group *g = msg->to.g;
	struct tern_engine *eng = msg_target(&msg->to);

	if (eng != NULL) {
		eng_udp_fwd_in(eng, msg->m);
	} else {
		rte_pktmbuf_free(msg->m);
		__atomic_fetch_add(&g->m[msg->to.worker].fwd_dropped, 1, __ATOMIC_RELAXED);
	}
	/* Relaxed: a count for the sender's bound, no data goes with it. */
	__atomic_fetch_sub(&g->m[msg->from].fwd_inflight, 1, __ATOMIC_RELAXED);
	free(msg);
	msg_landed(g);
	return 0;
}

/* Sends m to worker w's core; 0, or an error with m still ours. */
static int fwd_post(struct tern_engine *eng, uint16_t w, struct rte_mbuf *m)
{
	struct tern_engine_group *g = eng->group;
	uint64_t *busy = &g->m[eng->worker].fwd_inflight;
	struct eng_fwd_msg *msg;
	int rc = -ENOBUFS;

	/* Relaxed: only a bound; fwd_run's decrement carries nothing. */
	if (__atomic_fetch_add(busy, 1, __ATOMIC_RELAXED) >= ENG_FWD_INFLIGHT)
		goto undo;
	rc = -ENOMEM;
	msg = malloc(sizeof(*msg));
	if (msg == NULL)
		goto undo;
	msg->from = eng->worker;
	msg->m = m;
	rc = msg_post(g, w, &msg->to, fwd_run, msg, "udp-fwd");
	if (rc == 0)
		return 0;
	free(msg);
undo:
	__atomic_fetch_sub(busy, 1, __ATOMIC_RELAXED);
	return rc;
}

/*
 * m (a whole datagram, checked, for port, which has no socket on eng)
 * goes to a sibling that has port bound. Returns false when none has:
 * m stays the caller's (port unreachable). True when m was taken: handed
 * over (udp_fwd_sent, delivered here), or freed as udp_fwd_failed (the
 * sibling's inbox full, ENG_FWD_INFLIGHT travelling, no memory, the
 * cores stopping, or not on a core: no ICMP error, the port exists).
 */
bool eng_group_udp_forward(struct tern_engine *eng, struct rte_mbuf *m, uint16_t port)
{
	int w;

	if (eng->group == NULL || (w = port_owner(eng, port)) < 0)
		return false;
	if (fwd_post(eng, (uint16_t)w, m) == 0) {
		eng->st.udp_fwd_sent++;
		eng->st.delivered++;
	} else {
		eng->st.udp_fwd_failed++;
		rte_pktmbuf_free(m);
	}
	return true;
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
	struct tern_sched *self = tern_sched_current();

	/* On a core, only that core's engine: the slot may have been given
	 * to an engine of another core since the request was sent. */
	if (eng == NULL || (self != NULL &&
			    __atomic_load_n(&r->g->m[r->w].sched, __ATOMIC_ACQUIRE) != self))
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
	to = __atomic_load_n(&g->m[w].sched, __ATOMIC_ACQUIRE);
	if (self == NULL || self == to || to == NULL)
		return stats_copy(&r);
	rc = tern_submit(to, stats_copy, &r, &(struct tern_submit_opts){ .name = "eng-stats" }, &f);
	if (rc < 0)
		return rc;
	/* No token: r lives on this stack until the copy has run. */
	return tern_await(f, TERN_TOKEN_NONE);
}

/* Worker w's counters, and the entries and datagrams for its slot that
 * found its engine gone (kept by the group: no engine was there to count
 * them). */
static intptr_t stats_of_slot(const struct tern_engine_group *g, uint16_t w,
			      struct tern_engine_stats *out)
{
	intptr_t rc = stats_of(g, w, out);

	if (rc >= 0) {
		out->arp_sync_dropped = __atomic_load_n(&g->m[w].sync_dropped, __ATOMIC_RELAXED);
		out->udp_fwd_dropped = __atomic_load_n(&g->m[w].fwd_dropped, __ATOMIC_RELAXED);
	}
	return rc;
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
		intptr_t rc = stats_of_slot(g, w, per != NULL ? &per[w] : &one);

		if (rc < 0)
			return rc;
		n += rc;
		if (sum != NULL)
			stats_add(sum, per != NULL ? &per[w] : &one);
	}
	return n;
}
