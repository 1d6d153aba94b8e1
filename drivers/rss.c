/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSS: one key and one redirection table per port, mirrored in software so
 * the engine can tell which worker owns a flow and pick source ports whose
 * replies come back to the sending worker.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_thash.h>

#include "drivers_internal.h"

/* The widely used Microsoft key: NICs default to it, so do we. Repeated to
 * fill longer keys (i40e takes 52 bytes). */
static const uint8_t default_key[TERN_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static void set_reta(struct tern_port *p, uint16_t size)
{
	p->reta_size = size;
	for (uint16_t i = 0; i < size; i++)
		p->reta[i] = i % p->nb_workers;
}

void tern__rss_init(struct tern_port *p)
{
	for (size_t i = 0; i < TERN_RSS_KEY_MAX; i++)
		p->rss_key[i] = default_key[i % TERN_RSS_KEY_LEN];
	p->rss_key_len = TERN_RSS_KEY_LEN;
	/* rte_softrss_be wants the key pre-swapped into 32-bit words. */
	rte_convert_rss_key((const uint32_t *)p->rss_key,
			    (uint32_t *)p->rss_key_be, TERN_RSS_KEY_MAX);
	set_reta(p, TERN_RETA_SW);
}

void tern__rss_conf(struct tern_port *p, const struct rte_eth_dev_info *di,
		    struct rte_eth_conf *ec)
{
	/* A ring_rss pair has no RSS engine to configure: its sender applies
	 * our key and table, as they are. */
	if (p->nb_rxq < 2 || p->ring_rss)
		return;
	if (di->hash_key_size > 0 && di->hash_key_size <= TERN_RSS_KEY_MAX)
		p->rss_key_len = di->hash_key_size;
	ec->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	ec->rx_adv_conf.rss_conf.rss_key = p->rss_key;
	ec->rx_adv_conf.rss_conf.rss_key_len = p->rss_key_len;
	ec->rx_adv_conf.rss_conf.rss_hf = di->flow_type_rss_offloads &
		(RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_UDP |
		 RTE_ETH_RSS_NONFRAG_IPV4_TCP);
	if (di->reta_size > 0 && di->reta_size <= TERN_RETA_MAX &&
	    rte_is_power_of_2(di->reta_size))
		set_reta(p, di->reta_size);
}

/* Writes our table to the device so hardware and software agree. */
int tern__rss_program(struct tern_port *p)
{
	struct rte_eth_rss_reta_entry64 conf[TERN_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	int rc;

	if (p->nb_rxq < 2 || p->ring_rss)
		return 0;
	memset(conf, 0, sizeof(conf));
	for (uint16_t i = 0; i < p->reta_size; i++) {
		conf[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
		conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = p->reta[i];
	}
	rc = rte_eth_dev_rss_reta_update(p->port_id, conf, p->reta_size);
	/* Without an update the PMD's default table is round robin too. */
	if (rc < 0)
		DRV_LOG(WARNING, "port %u: RSS table update failed (%s): using the PMD's default table",
			p->port_id, strerror(-rc));
	return 0;
}

uint32_t tern__softrss_v4(const uint8_t *key_be, uint32_t src, uint32_t dst,
			  uint16_t sport, uint16_t dport, bool l4)
{
	uint32_t tuple[3] = { src, dst, (uint32_t)sport << 16 | dport };

	return rte_softrss_be(tuple, l4 ? 3 : 2, key_be);
}

uint32_t tern_port_rss_hash_v4(const struct tern_port *p, uint32_t src_ip,
			       uint32_t dst_ip, uint16_t src_port,
			       uint16_t dst_port)
{
	return tern__softrss_v4(p->rss_key_be, src_ip, dst_ip, src_port,
				dst_port, true);
}

uint16_t tern_port_rss_worker(const struct tern_port *p, uint32_t hash)
{
	return p->reta[hash & (p->reta_size - 1)];
}

int tern_port_rss_pick_sport(const struct tern_port *p, uint16_t worker,
			     uint32_t local_ip, uint32_t remote_ip,
			     uint16_t remote_port, uint16_t lo, uint16_t hi,
			     uint16_t *sport)
{
	uint32_t span = (uint32_t)hi - lo + 1;
	uint32_t start = (*sport >= lo && *sport <= hi) ? *sport - lo : 0;

	if (lo == 0 || hi < lo || worker >= p->nb_workers)
		return -EINVAL;
	for (uint32_t k = 0; k < span; k++) {
		uint16_t cand = lo + (start + k) % span;
		/* Replies travel remote -> local: hash them as the NIC will. */
		uint32_t h = tern_port_rss_hash_v4(p, remote_ip, local_ip,
						   remote_port, cand);

		if (tern_port_rss_worker(p, h) == worker) {
			*sport = cand;
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}
