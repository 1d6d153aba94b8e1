/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The build found no libpcap (Debian: libpcap-dev): --replay and
 * --reply-pcap say so instead of failing later. Chosen by apps/gen/meson.build.
 */
#include <stdio.h>

#include "gen.h"

int gen_pcap_load(struct gen_app *a, const char *path)
{
	fprintf(stderr, "gen: --replay %s: built without libpcap (install libpcap-dev, "
		"then rebuild)\n", path);
	return -ENOTSUP;
}

int gen_pcap_write(struct gen_app *a, const char *path)
{
	fprintf(stderr, "gen: --reply-pcap %s: built without libpcap\n", path);
	return -ENOTSUP;
}
