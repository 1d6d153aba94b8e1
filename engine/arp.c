/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP (RFC 826) in and out, and the neighbour table.
 *
 * Input follows RFC 826's packet reception: merge the sender into an entry
 * that exists, then, if the target is us, add the sender and answer a
 * request. Output queues the last few packets per unresolved destination
 * (RFC 1122 2.3.2.2), sends at most one request per arp_retry_ms to one
 * destination (RFC 1122 2.3.2.1), and fails the resolution after
 * arp_timeout_ms, freeing what it queued. Learnt entries older than
 * arp_ttl_ms are flushed when next used and resolved again.
 * Deadlines are checked by the poller: no timer is armed, so the engine can
 * be destroyed from any thread.
 * In a group, what input learns (and static entries) is sent to the sibling
 * engines (group.c); eng_arp_apply() takes it on their side.
 */
#include <string.h>

#include <rte_arp.h>

#include "engine_internal.h"
#include "neigh.h"

#define ARP_NEVER UINT64_MAX

static uint32_t arp_hash(uint32_t ip)
{
	return (ip * 2654435761u) >> 24; /* Knuth's multiplicative hash, 8 bits */
}

static struct eng_arp_entry *arp_slot(struct tern_engine *eng, uint32_t ip, int i)
{
	return &eng->arp.e[(arp_hash(ip) + i) & (ENG_ARP_SLOTS - 1)];
}

struct eng_arp_entry *eng_arp_lookup(struct tern_engine *eng, uint32_t ip)
{
	for (int i = 0; i < ENG_ARP_PROBE; i++) {
		struct eng_arp_entry *e = arp_slot(eng, ip, i);

		if (e->state != ARP_FREE && e->ip == ip)
			return e;
	}
	return NULL;
}

/* A free slot near ip's hash, else the oldest learnt entry there. */
static struct eng_arp_entry *arp_insert(struct tern_engine *eng, uint32_t ip)
{
	struct eng_arp_entry *victim = NULL;

	for (int i = 0; i < ENG_ARP_PROBE; i++) {
		struct eng_arp_entry *e = arp_slot(eng, ip, i);

		if (e->state == ARP_FREE) {
			victim = e;
			break;
		}
		if (e->state == ARP_REACHABLE &&
		    (victim == NULL || e->updated_ns < victim->updated_ns))
			victim = e;
	}
	if (victim != NULL) {
		victim->ip = ip;
		victim->state = ARP_FREE;
		victim->npend = 0;
		victim->last_req_ns = ARP_NEVER;
		victim->synced_ns = 0;
	}
	return victim;
}

/* Builds and queues an ARP packet; tha/dst NULL: a broadcast request. */
static int arp_send(struct tern_engine *eng, uint16_t op, uint32_t tip,
		    const struct rte_ether_addr *tha)
{
	static const struct rte_ether_addr bcast = {{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }};
	struct rte_mbuf *m = rte_pktmbuf_alloc(eng->mp);
	struct rte_arp_hdr *a;
	int rc;

	/* 46 bytes: ARP plus padding to Ethernet's 60-byte minimum frame. */
	a = m == NULL ? NULL : (struct rte_arp_hdr *)rte_pktmbuf_append(m, 46);
	if (a == NULL) {
		rte_pktmbuf_free(m);
		return -ENOMEM;
	}
	memset(a, 0, 46);
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&eng->mac, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = rte_cpu_to_be_32(eng->ip);
	if (tha != NULL)
		rte_ether_addr_copy(tha, &a->arp_data.arp_tha);
	a->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	rc = eng_eth_out(eng, m, tha != NULL ? tha : &bcast, RTE_ETHER_TYPE_ARP);
	if (rc < 0)
		rte_pktmbuf_free(m);
	return rc;
}

/* RFC 5227 announcement: a request for our own address. */
int eng_arp_announce(struct tern_engine *eng)
{
	int rc = arp_send(eng, RTE_ARP_OP_REQUEST, eng->ip, NULL);

	if (rc == 0)
		eng->st.arp_requests++;
	return rc;
}

/* A request for e unless one went out less than arp_retry_ms ago. */
static void arp_request(struct tern_engine *eng, struct eng_arp_entry *e)
{
	if (e->last_req_ns != ARP_NEVER && eng_now(eng) - e->last_req_ns < eng->arp_retry_ns) {
		eng->st.arp_rate_limited++;
		return;
	}
	e->last_req_ns = eng_now(eng);
	if (arp_send(eng, RTE_ARP_OP_REQUEST, e->ip, NULL) == 0)
		eng->st.arp_requests++;
}

static void arp_check_at(struct tern_engine *eng, uint64_t t)
{
	if (t < eng->arp.next_check_ns)
		eng->arp.next_check_ns = t;
}

/* Turns e (free or stale) into a resolution in progress and asks. */
static void arp_start(struct tern_engine *eng, struct eng_arp_entry *e)
{
	if (e->state == ARP_INCOMPLETE)
		return;
	if (e->state == ARP_REACHABLE)
		eng->st.arp_stale++;
	e->state = ARP_INCOMPLETE;
	e->updated_ns = eng_now(eng);
	e->npend = 0;
	eng->arp.n_incomplete++;
	arp_request(eng, e);
	arp_check_at(eng, eng_now(eng) + RTE_MIN(eng->arp_retry_ns, eng->arp_timeout_ns));
}

/* The resolution ended with mac: queued packets leave, waiters wake. */
static void arp_resolved(struct tern_engine *eng, struct eng_arp_entry *e,
			 const struct rte_ether_addr *mac, uint8_t state)
{
	bool was_incomplete = e->state == ARP_INCOMPLETE;

	rte_ether_addr_copy(mac, &e->mac);
	e->state = state;
	e->updated_ns = eng_now(eng);
	if (!was_incomplete)
		return;
	eng->arp.n_incomplete--;
	for (uint8_t i = 0; i < e->npend; i++)
		if (eng_eth_out(eng, e->pend[i], &e->mac, RTE_ETHER_TYPE_IPV4) < 0)
			rte_pktmbuf_free(e->pend[i]); /* counted in tx_full */
	e->npend = 0;
	eng_wake_all(&e->waiters, 0);
}

/* No answer in time: queued packets are freed, waiters get -EHOSTUNREACH. */
static void arp_fail(struct tern_engine *eng, struct eng_arp_entry *e)
{
	eng->st.arp_timeouts++;
	eng->st.arp_pending_dropped += e->npend;
	rte_pktmbuf_free_bulk(e->pend, e->npend);
	e->npend = 0;
	e->state = ARP_FREE;
	eng->arp.n_incomplete--;
	eng_wake_all(&e->waiters, -EHOSTUNREACH);
}

/* Retries and deadlines of every resolution in progress. */
void eng_arp_poll(struct tern_engine *eng)
{
	uint64_t now = eng_now(eng), next = UINT64_MAX;

	for (int i = 0; i < ENG_ARP_SLOTS; i++) {
		struct eng_arp_entry *e = &eng->arp.e[i];

		if (e->state != ARP_INCOMPLETE)
			continue;
		if (now - e->updated_ns >= eng->arp_timeout_ns) {
			arp_fail(eng, e);
			continue;
		}
		arp_request(eng, e);
		next = RTE_MIN(next, e->updated_ns + eng->arp_timeout_ns);
		next = RTE_MIN(next, e->last_req_ns + eng->arp_retry_ns);
	}
	eng->arp.next_check_ns = next;
}

/* ---------------------------------------------------------------- input */

static bool arp_valid(const struct rte_mbuf *m, const struct rte_arp_hdr *a)
{
	return rte_pktmbuf_data_len(m) >= RTE_ETHER_HDR_LEN + sizeof(*a) &&
	       a->arp_hardware == RTE_BE16(RTE_ARP_HRD_ETHER) &&
	       a->arp_protocol == RTE_BE16(RTE_ETHER_TYPE_IPV4) &&
	       a->arp_hlen == RTE_ETHER_ADDR_LEN && a->arp_plen == 4 &&
	       rte_is_unicast_ether_addr(&a->arp_data.arp_sha);
}

/* A learnt entry is new to the siblings: it was not reachable here, or
 * its address moved. */
static bool arp_news(const struct eng_arp_entry *e, const struct rte_ether_addr *sha)
{
	return e->state != ARP_REACHABLE || !rte_is_same_ether_addr(&e->mac, sha);
}

/* RFC 826: "If the pair <protocol type, sender protocol address> is
 * already in my translation table, update the sender hardware address". */
static struct eng_arp_entry *arp_merge(struct tern_engine *eng, uint32_t spa,
				       const struct rte_ether_addr *sha, bool *news)
{
	struct eng_arp_entry *e = eng_arp_lookup(eng, spa);

	if (e == NULL || e->state == ARP_STATIC)
		return e;
	*news = arp_news(e, sha);
	arp_resolved(eng, e, sha, ARP_REACHABLE);
	return e;
}

static struct eng_arp_entry *arp_learn(struct tern_engine *eng, uint32_t spa,
				       const struct rte_ether_addr *sha)
{
	struct eng_arp_entry *e = arp_insert(eng, spa);

	if (e != NULL) /* table full of resolutions in progress: not learnt */
		arp_resolved(eng, e, sha, ARP_REACHABLE);
	return e;
}

/*
 * Tells the siblings what input taught us: always when it is news, and
 * for a reply to us also when it is not (a sibling may have asked: the
 * reply came here because ARP has no flow to steer by), but then at most
 * once per quarter of arp_retry_ms per neighbour, so unsolicited replies
 * cannot flood the inboxes; a sibling that missed one asks again after
 * arp_retry_ms and that reply goes through.
 */
static void arp_sync_learnt(struct tern_engine *eng, struct eng_arp_entry *e, bool news,
			    bool reply)
{
	if (eng->group == NULL || e->state != ARP_REACHABLE)
		return;
	if (!news && !(reply && eng_now(eng) - e->synced_ns >= eng->arp_retry_ns / 4))
		return;
	e->synced_ns = eng_now(eng);
	eng_group_arp_news(eng, e->ip, &e->mac, true);
}

/* Turns the request in m into our reply, in place. */
static void arp_reply(struct tern_engine *eng, struct rte_mbuf *m, struct rte_arp_hdr *a)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	a->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&a->arp_data.arp_sha, &a->arp_data.arp_tha);
	a->arp_data.arp_tip = a->arp_data.arp_sip;
	rte_ether_addr_copy(&eng->mac, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = rte_cpu_to_be_32(eng->ip);
	rte_ether_addr_copy(&a->arp_data.arp_tha, &eh->dst_addr);
	rte_ether_addr_copy(&eng->mac, &eh->src_addr);
	if (eng_tx(eng, m) == 0)
		eng->st.arp_replies++;
	else
		rte_pktmbuf_free(m); /* counted in tx_full */
}

void eng_arp_in(struct tern_engine *eng, struct rte_mbuf *m)
{
	struct rte_arp_hdr *a = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *,
							RTE_ETHER_HDR_LEN);
	struct eng_arp_entry *e = NULL;
	uint32_t spa, tpa;
	bool merged = false, news = false;

	if (!arp_valid(m, a))
		goto malformed;
	spa = rte_be_to_cpu_32(a->arp_data.arp_sip);
	tpa = rte_be_to_cpu_32(a->arp_data.arp_tip);
	/* Probes (sender 0) and claims of our own address teach nothing. */
	if (spa != 0 && spa != eng->ip) {
		e = arp_merge(eng, spa, &a->arp_data.arp_sha, &news);
		merged = e != NULL;
	}
	/* A merge into a frame not for us stays here: siblings' entries
	 * refresh by their own requests when they go stale. */
	if (tpa != eng->ip)
		goto not_for_us;
	if (!merged && spa != 0 && spa != eng->ip) {
		e = arp_learn(eng, spa, &a->arp_data.arp_sha);
		news = true;
		/* Not learnt here (our slots all wait for answers), yet a
		 * sibling may need it, and sending needs no slot of ours. */
		if (e == NULL)
			eng_group_arp_news(eng, spa, &a->arp_data.arp_sha, true);
	}
	if (e != NULL)
		arp_sync_learnt(eng, e, news, a->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY));
	/* RFC 826: "?Is the opcode ares_op$REQUEST? (NOW look at the opcode!!)" */
	if (a->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST)) {
		eng->st.delivered++;
		arp_reply(eng, m, a);
		return;
	}
	if (a->arp_opcode != RTE_BE16(RTE_ARP_OP_REPLY))
		goto bad_op;
	eng->st.delivered++;
	rte_pktmbuf_free(m);
	return;
not_for_us:
	/* RFC 826's merge on the host: siblings update the entry if they
	 * have it (a neighbour that moved), and create none. */
	if (merged && news && eng->group != NULL && e->state == ARP_REACHABLE)
		eng_group_arp_news(eng, e->ip, &e->mac, false);
	if (merged) { /* it updated our table: consumed */
		eng->st.delivered++;
		rte_pktmbuf_free(m);
		return;
	}
	ENG_DROP(eng, m, arp_not_ours);
	return;
bad_op:
	ENG_DROP(eng, m, arp_op);
	return;
malformed:
	ENG_DROP(eng, m, arp_malformed);
}

/* --------------------------------------------------------------- output */

/* Finds or starts the resolution of nh. NULL: table full. */
static struct eng_arp_entry *arp_get(struct tern_engine *eng, uint32_t nh)
{
	struct eng_arp_entry *e = eng_arp_lookup(eng, nh);

	if (e == NULL)
		e = arp_insert(eng, nh);
	if (e != NULL && !eng_neigh_fresh(eng, e))
		arp_start(eng, e);
	return e;
}

/* Keeps the newest ENG_ARP_PENDING packets (RFC 1122 2.3.2.2: at least the latest). */
static void arp_queue(struct tern_engine *eng, struct eng_arp_entry *e, struct rte_mbuf *m)
{
	if (e->npend == ENG_ARP_PENDING) {
		rte_pktmbuf_free(e->pend[0]);
		memmove(e->pend, e->pend + 1, (ENG_ARP_PENDING - 1) * sizeof(e->pend[0]));
		e->npend--;
		eng->st.arp_pending_dropped++;
	}
	e->pend[e->npend++] = m;
}

/*
 * m (data at its IP header) to next hop nh, whose entry is missing or
 * stale. Sends at once if the entry turns out usable; otherwise queues m
 * and, in a task, awaits the resolution.
 */
intptr_t eng_arp_out_slow(struct tern_engine *eng, struct rte_mbuf *m, uint32_t nh,
			  tern_token_t tok)
{
	struct eng_arp_entry *e = arp_get(eng, nh);
	intptr_t rc;

	if (e == NULL)
		return -ENOSPC;
	if (e->state != ARP_INCOMPLETE)
		return eng_eth_out(eng, m, &e->mac, RTE_ETHER_TYPE_IPV4);
	arp_queue(eng, e, m);
	if (!tern_in_task())
		return 0;
	rc = eng_wait(&e->waiters, tok);
	/* m is queued, so it is the engine's whatever the wait says: a wait
	 * that could not be made (a disposed token: -ESTALE, another core's:
	 * -EXDEV) must not read as one of the errors that leave m to its
	 * sender (udp_out.c). */
	if (rc < 0 && rc != -EHOSTUNREACH && rc != -ECANCELED && rc != -ETIMEDOUT)
		return -EINPROGRESS;
	return rc;
}

int tern_arp_add_static(struct tern_engine *eng, uint32_t ip, const uint8_t mac[6])
{
	struct rte_ether_addr a;
	struct eng_arp_entry *e;

	if (eng == NULL || mac == NULL || ip == 0)
		return -EINVAL;
	e = eng_arp_lookup(eng, ip);
	if (e == NULL)
		e = arp_insert(eng, ip);
	if (e == NULL)
		return -ENOSPC;
	memcpy(a.addr_bytes, mac, 6);
	arp_resolved(eng, e, &a, ARP_STATIC);
	eng_group_arp_sync(eng, ip, &a, ARP_STATIC, true);
	return 0;
}

/*
 * An entry a sibling sent: taken as if learnt here (a static one as
 * static), never sent on. A static entry here is not replaced by a learnt
 * one, as with input.
 */
void eng_arp_apply(struct tern_engine *eng, uint32_t ip, const struct rte_ether_addr *mac,
		   uint8_t state, bool create)
{
	struct eng_arp_entry *e = eng_arp_lookup(eng, ip);

	if (e != NULL && e->state == ARP_STATIC && state != ARP_STATIC)
		return;
	if (e == NULL && !create)
		return;
	if (e == NULL)
		e = arp_insert(eng, ip);
	if (e == NULL) {
		eng->st.arp_sync_failed++;
		return;
	}
	/* Called outside the poll: its clock may be a round old. */
	eng->now_read = false;
	arp_resolved(eng, e, mac, state);
	/* It is as fresh here as where it was learnt: no need to echo it. */
	e->synced_ns = eng_now(eng);
	eng->st.arp_sync_recv++;
}

intptr_t tern_arp_resolve(struct tern_engine *eng, uint32_t ip, uint8_t mac[6],
			  tern_token_t tok)
{
	/* Twice at most: an entry evicted between the answer and our turn to
	 * run is asked for once more. */
	for (int round = 0; round < 2; round++) {
		struct eng_arp_entry *e = arp_get(eng, ip);
		intptr_t v;

		if (e == NULL)
			return -ENOSPC;
		if (e->state != ARP_INCOMPLETE) {
			if (mac != NULL)
				memcpy(mac, e->mac.addr_bytes, 6);
			return 0;
		}
		v = eng_wait(&e->waiters, tok);
		if (v < 0)
			return v;
	}
	return -EHOSTUNREACH;
}

bool eng_arp_busy(const struct tern_engine *eng)
{
	for (int i = 0; i < ENG_ARP_SLOTS; i++)
		if (eng->arp.e[i].waiters.busy > 0)
			return true;
	return false;
}

void eng_arp_fini(struct tern_engine *eng)
{
	for (int i = 0; i < ENG_ARP_SLOTS; i++) {
		struct eng_arp_entry *e = &eng->arp.e[i];

		rte_pktmbuf_free_bulk(e->pend, e->npend);
		e->npend = 0;
	}
}
