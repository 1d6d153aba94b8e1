/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-gen's state that is neither options nor the port: the histograms,
 * the flows' reply windows and sockets, the clock's scale. Shared by gen.c
 * and bench/cg/cg_gen_path.c, so the workload runs what tern-gen runs.
 */
#include <stdlib.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "gen.h"

int gen_alloc(struct gen_app *a)
{
	a->tick = calloc(1, sizeof(*a->tick));
	a->total = calloc(1, sizeof(*a->total));
	if (a->tick == NULL || a->total == NULL)
		return -ENOMEM;
	for (uint16_t i = 0; i < a->o.flows; i++) {
		a->flows[i].app = a;
		a->flows[i].seen = calloc(GEN_WINDOW / 64, sizeof(uint64_t));
		if (a->flows[i].seen == NULL)
			return -ENOMEM;
	}
	hist_reset(a->tick);
	hist_reset(a->total);
	a->ns_per_tsc = 1e9 / (double)rte_get_tsc_hz();
	a->ns_per_tsc_q32 = (uint64_t)(a->ns_per_tsc * 4294967296.0 + 0.5);
	a->magic = (uint16_t)(GEN_MAGIC ^ getpid() ^ (rte_rdtsc() >> 7)) | GEN_MAGIC_FIXED;
	return 0;
}

int gen_bind(struct gen_app *a)
{
	for (uint16_t i = 0; i < a->o.flows; i++) {
		int rc = tern_udp_bind(a->eng, (uint16_t)(a->o.src_port + i),
				       &(struct tern_udp_opts){ .queue = GEN_SOCK_QUEUE },
				       &a->flows[i].sock);
		if (rc < 0)
			return rc;
		/* --udp-cksum off: checksum 0 (RFC 768), nothing summed either
		 * side; the echo sends the 0 back unchanged */
		rc = tern_udp_sock_set_tx_cksum(a->flows[i].sock, !a->o.no_udp_cksum);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void gen_free(struct gen_app *a)
{
	for (uint16_t i = 0; i < GEN_FLOWS_MAX; i++)
		free(a->flows[i].seen);
	free(a->tick);
	free(a->total);
	gen_replay_free(a);
}
