/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual-device presets as a const table: driver name, the Debian package
 * that ships it (for the "not found" message), how to build its devargs,
 * and a queue cap where the PMD cannot steer flows by Toeplitz RSS or the
 * peer must agree on the queue count.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers_internal.h"

static int need(const char *v, const char *what, const char *preset)
{
	if (v != NULL && v[0] != '\0')
		return 0;
	DRV_LOG(ERR, "%s port needs conf.%s", preset, what);
	return -EINVAL;
}

static int args_none(const struct tern_port_conf *c, char *b, size_t n)
{
	return snprintf(b, n, "size=64") >= (int)n ? -E2BIG : 0;
}

static int args_memif(const struct tern_port_conf *c, char *b, size_t n)
{
	int rc = need(c->socket, "socket (unix socket path)", "memif");

	/* socket-abstract=no: a file both processes can see and we can remove. */
	if (rc == 0 && snprintf(b, n, "role=%s,id=0,socket=%s,socket-abstract=no",
				c->memif_server ? "server" : "client",
				c->socket) >= (int)n)
		rc = -E2BIG;
	return rc;
}

static int args_iface(const struct tern_port_conf *c, char *b, size_t n,
		      const char *preset)
{
	int rc = need(c->iface, "iface (interface name)", preset);

	if (rc == 0 && snprintf(b, n, "iface=%s", c->iface) >= (int)n)
		rc = -E2BIG;
	return rc;
}

static int args_tap(const struct tern_port_conf *c, char *b, size_t n)
{
	return args_iface(c, b, n, "tap");
}

static int args_af_packet(const struct tern_port_conf *c, char *b, size_t n)
{
	return args_iface(c, b, n, "af_packet");
}

static int args_pcap(const struct tern_port_conf *c, char *b, size_t n)
{
	int rc = need(c->rx_pcap, "rx_pcap (file to replay)", "pcap");

	/* Without a capture file, transmitted packets go to /dev/null. */
	if (rc == 0 && snprintf(b, n, "rx_pcap=%s,tx_pcap=%s", c->rx_pcap,
				c->tx_pcap != NULL ? c->tx_pcap : "/dev/null") >= (int)n)
		rc = -E2BIG;
	return rc;
}

static const struct tern_preset presets[TERN_PORT_PRESET_COUNT] = {
	[TERN_PORT_ETHDEV] = { "", "", NULL, 0 },
	[TERN_PORT_NULL] = { "net_null", "librte-net-null23", args_none, 1 },
	[TERN_PORT_MEMIF] = { "net_memif", "librte-net-memif23", args_memif, 1 },
	[TERN_PORT_TAP] = { "net_tap", "librte-net-tap23", args_tap, 1 },
	[TERN_PORT_AF_PACKET] = { "net_af_packet", "librte-net-af-packet23",
				  args_af_packet, 1 },
	[TERN_PORT_PCAP] = { "net_pcap", "librte-net-pcap23", args_pcap, 1 },
	[TERN_PORT_RING] = { "net_ring", "librte-net-ring23", NULL, 1 },
};

const struct tern_preset *tern__preset(enum tern_port_preset p)
{
	if ((unsigned int)p >= TERN_PORT_PRESET_COUNT)
		return NULL;
	return &presets[p];
}

int tern_port_preset_parse(const char *name, enum tern_port_preset *out)
{
	static const char *const names[TERN_PORT_PRESET_COUNT] = {
		[TERN_PORT_ETHDEV] = "ethdev", [TERN_PORT_NULL] = "null",
		[TERN_PORT_MEMIF] = "memif",   [TERN_PORT_TAP] = "tap",
		[TERN_PORT_AF_PACKET] = "af_packet", [TERN_PORT_PCAP] = "pcap",
		[TERN_PORT_RING] = "ring",
	};

	if (!name || !out)
		return -EINVAL;
	for (int p = 0; p < TERN_PORT_PRESET_COUNT; p++)
		if (strcmp(name, names[p]) == 0) {
			*out = (enum tern_port_preset)p;
			return 0;
		}
	return -EINVAL;
}
