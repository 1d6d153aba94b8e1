/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL argument vector: safe defaults, "--" split, config file. No EAL start. */
#include "drv_test.h"
#include "drivers_internal.h"

static bool has_arg(const struct tern_eal_args *a, const char *s)
{
	for (int i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], s) == 0)
			return true;
	return false;
}

static void test_no_pci_by_default(void **state)
{
	char *argv[] = { "app", "-l", "0", "--vdev=net_null0", "--", "-x" };
	struct tern_eal_args a;

	assert_int_equal(tern_eal_args_build(6, argv, NULL, &a), 0);
	assert_true(has_arg(&a, "--no-pci"));
	assert_false(a.pci_allowed);
	assert_true(has_arg(&a, "--vdev=net_null0"));
	assert_false(has_arg(&a, "-x"));   /* app args stay out of EAL's */
	assert_int_equal(a.app_argind, 5);
	tern_eal_args_clear(&a);
}

static void test_allowlist_enables_pci(void **state)
{
	char *argv[] = { "app", "-a", "0000:00:04.0" };
	char *argv2[] = { "app", "--allow=0000:00:04.0" };
	struct tern_eal_args a;

	assert_int_equal(tern_eal_args_build(3, argv, NULL, &a), 0);
	assert_false(has_arg(&a, "--no-pci"));
	assert_true(a.pci_allowed);
	assert_int_equal(a.app_argind, 3);
	tern_eal_args_clear(&a);
	assert_int_equal(tern_eal_args_build(2, argv2, NULL, &a), 0);
	assert_false(has_arg(&a, "--no-pci"));
	tern_eal_args_clear(&a);
}

static void test_allow_with_no_pci_refused(void **state)
{
	char *argv[] = { "app", "-a", "0000:00:04.0", "--no-pci" };
	struct tern_eal_args a;
	struct drv_log l;
	char *log;

	drv_log_begin(&l);
	assert_int_equal(tern_eal_args_build(4, argv, NULL, &a), -EINVAL);
	log = drv_log_end(&l);
	assert_log_has(log, "-a and --no-pci together");
	free(log);
}

static void test_block_alone_still_no_pci(void **state)
{
	char *argv[] = { "app", "-b", "0000:00:04.0" };
	struct tern_eal_args a;

	assert_int_equal(tern_eal_args_build(3, argv, NULL, &a), 0);
	assert_true(has_arg(&a, "--no-pci"));
	tern_eal_args_clear(&a);
}

static void test_file_prefix_unique_or_given(void **state)
{
	char *argv[] = { "app" };
	char *argv2[] = { "app", "--file-prefix", "mine" };
	char want[64];
	struct tern_eal_args a;

	snprintf(want, sizeof(want), "--file-prefix=tern_%d", (int)getpid());
	assert_int_equal(tern_eal_args_build(1, argv, NULL, &a), 0);
	assert_true(has_arg(&a, want));
	tern_eal_args_clear(&a);
	assert_int_equal(tern_eal_args_build(3, argv2, NULL, &a), 0);
	assert_string_equal(a.file_prefix, "mine");
	for (int i = 0; i < a.argc; i++)
		assert_null(strstr(a.argv[i], "--file-prefix=tern_"));
	tern_eal_args_clear(&a);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_hugepage_detection(void **state)
{
	char mi[] = "/tmp/tern_t_meminfo_XXXXXX", mo[] = "/tmp/tern_t_mounts_XXXXXX";
	char mnt[64];

	close(mkstemp(mi));
	close(mkstemp(mo));
	write_file(mi, "MemTotal: 1 kB\nHugePages_Free:      12\n");
	write_file(mo, "proc /proc proc rw 0 0\nnodev /mnt/h hugetlbfs rw 0 0\n");
	assert_int_equal(tern__hugepages_free(mi, mo, mnt, sizeof(mnt)), 12);
	assert_string_equal(mnt, "/mnt/h");
	/* Pages reserved but nothing mounted: unusable. */
	write_file(mo, "proc /proc proc rw 0 0\n");
	assert_int_equal(tern__hugepages_free(mi, mo, NULL, 0), 0);
	write_file(mo, "nodev /mnt/h hugetlbfs rw 0 0\n");
	write_file(mi, "HugePages_Free:       0\n");
	assert_int_equal(tern__hugepages_free(mi, mo, NULL, 0), 0);
	unlink(mi);
	unlink(mo);
}

static void test_force_no_huge_warns(void **state)
{
	char *argv[] = { "app" };
	struct tern_eal_opts o = { .force_no_huge = true };
	struct tern_eal_args a;

	assert_int_equal(tern_eal_args_build(1, argv, &o, &a), 0);
	assert_true(has_arg(&a, "--no-huge"));
	assert_true(has_arg(&a, "-m"));
	assert_true(a.no_huge);
	tern_eal_args_clear(&a);
}

static void test_config_file(void **state)
{
	char path[] = "/tmp/tern_t_cfg_XXXXXX";
	char *argv[] = { "app", "-l", "1", "--", "app-arg" };
	struct tern_eal_opts o = { .config_path = path };
	struct tern_eal_args a;

	close(mkstemp(path));
	write_file(path, "[eal]\nlcores = 0\nvdev = net_null0\nno_huge = yes\n"
			 "[engine]\nwhatever = 1\n");
	assert_int_equal(tern_eal_args_build(5, argv, &o, &a), 0);
	assert_true(has_arg(&a, "--vdev=net_null0"));
	assert_true(has_arg(&a, "--no-huge"));
	/* File first, command line after: the command line wins. */
	assert_string_equal(a.argv[1], "-l");
	assert_string_equal(a.argv[2], "0");
	assert_true(has_arg(&a, "1"));
	assert_int_equal(a.app_argind, 4);
	tern_eal_args_clear(&a);
	unlink(path);
}

static void test_config_errors_name_the_fix(void **state)
{
	char path[] = "/tmp/tern_t_cfg_XXXXXX";
	char *argv[] = { "app" };
	struct tern_eal_opts o = { .config_path = path };
	struct tern_eal_args a;
	struct drv_log l;
	char *log;

	close(mkstemp(path));
	write_file(path, "[eal]\nlcore = 0\n");
	drv_log_begin(&l);
	assert_int_equal(tern_eal_args_build(1, argv, &o, &a), -EINVAL);
	log = drv_log_end(&l);
	assert_log_has(log, "unknown key 'lcore'");
	assert_log_has(log, "use lcores");
	free(log);
	unlink(path);
	assert_int_equal(tern_eal_args_build(1, argv, &o, &a), -ENOENT);
}

static void test_preset_names(void **state)
{
	enum tern_port_preset p;

	assert_int_equal(tern_port_preset_parse("memif", &p), 0);
	assert_int_equal(p, TERN_PORT_MEMIF);
	assert_int_equal(tern_port_preset_parse("af_packet", &p), 0);
	assert_int_equal(p, TERN_PORT_AF_PACKET);
	assert_int_equal(tern_port_preset_parse("ethdev", &p), 0);
	assert_int_equal(p, TERN_PORT_ETHDEV);
	assert_int_equal(tern_port_preset_parse("ring", &p), 0);
	assert_int_equal(p, TERN_PORT_RING);
	assert_int_equal(tern_port_preset_parse("Memif", &p), -EINVAL);
	assert_int_equal(tern_port_preset_parse("", &p), -EINVAL);
	assert_int_equal(tern_port_preset_parse(NULL, &p), -EINVAL);
	assert_int_equal(tern_port_preset_parse("tap", NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preset_names),
		cmocka_unit_test(test_no_pci_by_default),
		cmocka_unit_test(test_allowlist_enables_pci),
		cmocka_unit_test(test_allow_with_no_pci_refused),
		cmocka_unit_test(test_block_alone_still_no_pci),
		cmocka_unit_test(test_file_prefix_unique_or_given),
		cmocka_unit_test(test_hugepage_detection),
		cmocka_unit_test(test_force_no_huge_warns),
		cmocka_unit_test(test_config_file),
		cmocka_unit_test(test_config_errors_name_the_fix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
