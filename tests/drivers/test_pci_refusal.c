/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Default start probes no PCI device: the machine's own NIC stays with the
 * kernel. Runs the real EAL (with --no-huge if no hugepages are free).
 */
/* rte_dev_iterator is still experimental in 22.11; a test may use it. */
#define ALLOW_EXPERIMENTAL_API
#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "drv_test.h"

static struct tern_eal *eal;

static int setup(void **state)
{
	eal = drv_test_eal("pci", NULL);
	return eal == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	return drv_test_eal_destroy(eal, "pci");
}

static void test_no_pci_device_probed(void **state)
{
	struct rte_dev_iterator it;
	struct rte_device *dev;
	unsigned int n = 0;
	uint16_t port;

	RTE_DEV_FOREACH(dev, "bus=pci", &it)
		n++;
	assert_int_equal(n, 0);
	RTE_ETH_FOREACH_DEV(port) {
		struct rte_eth_dev_info di;

		assert_int_equal(rte_eth_dev_info_get(port, &di), 0);
		assert_string_not_equal(rte_bus_name(rte_dev_bus(di.device)), "pci");
	}
	assert_int_equal(rte_eth_dev_count_total(), 0);
}

static void test_unknown_port_id_names_fix(void **state)
{
	struct tern_mbuf_pool_conf pc = { .nb_ports = 1, .nb_workers = 1,
					   .rx_desc = 64, .tx_desc = 64 };
	struct tern_port_conf c = { .preset = TERN_PORT_ETHDEV, .port_id = 0,
				    .nb_workers = 1 };
	struct tern_port *p;
	struct drv_log l;
	char *log;

	assert_int_equal(tern_mbuf_pool_create(&pc, &c.pool), 0);
	drv_log_begin(&l);
	assert_int_equal(tern_port_create(&c, &p), -ENOENT);
	log = drv_log_end(&l);
	assert_log_has(log, "name the device with -a");
	free(log);
	assert_int_equal(tern_mbuf_pool_destroy(c.pool), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_pci_device_probed),
		cmocka_unit_test(test_unknown_port_id_names_fix),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
