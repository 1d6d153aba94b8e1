/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL bootstrap: argument vector with safe defaults, start, clean stop. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "drivers_internal.h"

RTE_LOG_REGISTER(tern__drv_logtype, tern.drivers, INFO);

struct tern_eal {
	struct tern_eal_args args;
	char runtime_dir[256];
	char huge_mnt[256];
};

int tern__eal_args_push(struct tern_eal_args *args, const char *arg)
{
	if (args->argc >= TERN_EAL_MAX_ARGS - 1) {
		DRV_LOG(ERR, "more than %d EAL arguments", TERN_EAL_MAX_ARGS);
		return -E2BIG;
	}
	args->argv[args->argc] = strdup(arg);
	if (args->argv[args->argc] == NULL)
		return -ENOMEM;
	args->argc++;
	return 0;
}

void tern_eal_args_clear(struct tern_eal_args *args)
{
	for (int i = 0; i < args->argc; i++)
		free(args->argv[i]);
	memset(args, 0, sizeof(*args));
}

static long meminfo_free_pages(const char *path)
{
	char line[256];
	long n = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

long tern__hugepages_free(const char *meminfo_path, const char *mounts_path,
			  char *mnt, size_t mnt_len)
{
	char dev[128], dir[256], type[64];
	bool mounted = false;
	FILE *f = fopen(mounts_path, "r");

	if (f == NULL)
		return 0;
	while (!mounted && fscanf(f, "%127s %255s %63s %*[^\n]", dev, dir, type) == 3)
		mounted = strcmp(type, "hugetlbfs") == 0;
	fclose(f);
	if (!mounted)
		return 0;
	if (mnt != NULL)
		snprintf(mnt, mnt_len, "%s", dir);
	return meminfo_free_pages(meminfo_path);
}

/* Option that takes a value: "-a X", "-aX", "--allow X", "--allow=X". */
static bool opt_is(const char *arg, const char *s, const char *l)
{
	size_t ln = strlen(l);

	if (s != NULL && strncmp(arg, s, 2) == 0)
		return true;
	return strncmp(arg, l, ln) == 0 && (arg[ln] == '\0' || arg[ln] == '=');
}

/* Value of an option at argv[*i]; advances *i past a separate value. */
static const char *opt_value(const struct tern_eal_args *a, int *i)
{
	const char *arg = a->argv[*i];
	const char *eq = strchr(arg, '=');

	if (arg[1] != '-' && arg[2] != '\0')
		return arg + 2;
	if (arg[1] == '-' && eq != NULL)
		return eq + 1;
	if (*i + 1 < a->argc)
		return a->argv[++(*i)];
	return NULL;
}

struct eal_seen {
	bool allow, block, no_pci, no_huge, prefix, mem;
};

static void scan_args(struct tern_eal_args *a, struct eal_seen *s)
{
	for (int i = 1; i < a->argc; i++) {
		const char *arg = a->argv[i];
		const char *v;

		if (opt_is(arg, "-a", "--allow")) {
			s->allow = opt_value(a, &i) != NULL;
		} else if (opt_is(arg, "-b", "--block")) {
			s->block = opt_value(a, &i) != NULL;
		} else if (opt_is(arg, "-m", "--socket-mem")) {
			s->mem = opt_value(a, &i) != NULL;
		} else if (opt_is(arg, NULL, "--file-prefix")) {
			v = opt_value(a, &i);
			s->prefix = v != NULL;
			if (v != NULL)
				snprintf(a->file_prefix, sizeof(a->file_prefix), "%s", v);
		} else if (strcmp(arg, "--no-pci") == 0) {
			s->no_pci = true;
		} else if (strcmp(arg, "--no-huge") == 0) {
			s->no_huge = true;
		}
	}
}

/* Never probe a PCI device the user did not name with -a. */
static int add_pci_default(struct tern_eal_args *a, const struct eal_seen *s)
{
	a->pci_allowed = s->allow;
	if (s->allow && s->no_pci) {
		DRV_LOG(ERR, "-a and --no-pci together: drop --no-pci to use the allowlisted devices, or drop -a");
		return -EINVAL;
	}
	if (s->block && !s->allow)
		DRV_LOG(WARNING, "-b has no effect without -a: tern probes no PCI device unless -a names it");
	if (s->allow || s->no_pci)
		return 0;
	return tern__eal_args_push(a, "--no-pci");
}

static int add_prefix_default(struct tern_eal_args *a, const struct eal_seen *s,
			      const struct tern_eal_opts *opts)
{
	char buf[96];

	if (s->prefix)
		return 0;
	if (opts != NULL && opts->file_prefix != NULL)
		snprintf(a->file_prefix, sizeof(a->file_prefix), "%s", opts->file_prefix);
	else
		snprintf(a->file_prefix, sizeof(a->file_prefix), "tern_%d", (int)getpid());
	snprintf(buf, sizeof(buf), "--file-prefix=%s", a->file_prefix);
	return tern__eal_args_push(a, buf);
}

static int add_huge_default(struct tern_eal_args *a, const struct eal_seen *s,
			    const struct tern_eal_opts *opts)
{
	int rc;

	a->no_huge = s->no_huge;
	if (s->no_huge)
		return 0;
	if (opts == NULL || !opts->force_no_huge) {
		if (tern__hugepages_free("/proc/meminfo", "/proc/mounts", NULL, 0) > 0)
			return 0;
		DRV_LOG(WARNING, "no hugepages: run scripts/setup.sh or pass --no-huge; continuing with --no-huge");
	}
	a->no_huge = true;
	rc = tern__eal_args_push(a, "--no-huge");
	/* The EAL's 64 MiB default without hugepages is too small for pools. */
	if (rc == 0 && !s->mem)
		rc = tern__eal_args_push(a, "-m") ?: tern__eal_args_push(a, "512");
	return rc;
}

static int copy_cmdline(struct tern_eal_args *a, int argc, char *const argv[])
{
	int i, rc;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		rc = tern__eal_args_push(a, argv[i]);
		if (rc < 0)
			return rc;
	}
	a->app_argind = i < argc ? i + 1 : argc;
	return 0;
}

int tern_eal_args_build(int argc, char *const argv[],
			const struct tern_eal_opts *opts,
			struct tern_eal_args *out)
{
	struct eal_seen seen = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = tern__eal_args_push(out, argc > 0 ? argv[0] : "tern");
	if (rc == 0 && opts != NULL && opts->config_path != NULL)
		rc = tern__eal_config_load(opts->config_path, out);
	if (rc == 0)
		rc = copy_cmdline(out, argc, argv);
	if (rc == 0) {
		scan_args(out, &seen);
		rc = add_pci_default(out, &seen);
	}
	if (rc == 0)
		rc = add_prefix_default(out, &seen, opts);
	if (rc == 0)
		rc = add_huge_default(out, &seen, opts);
	if (rc < 0)
		tern_eal_args_clear(out);
	return rc;
}

static int eal_init_error(int err)
{
	switch (err) {
	case EALREADY:
		DRV_LOG(ERR, "EAL already started in this process: create one tern_eal");
		return -EALREADY;
	case EACCES:
		DRV_LOG(ERR, "EAL: permission denied: run as root or grant access to /dev/hugepages and vfio");
		return -EACCES;
	case ENOMEM:
		DRV_LOG(ERR, "EAL: out of memory: no hugepages? run scripts/setup.sh or pass --no-huge");
		return -ENOMEM;
	case EINVAL:
		DRV_LOG(ERR, "EAL rejected its arguments (see above): EAL arguments go before --");
		return -EINVAL;
	default:
		DRV_LOG(ERR, "EAL failed: %s", rte_strerror(err));
		return -EPROTO;
	}
}

int tern_eal_create(int argc, char *const argv[],
		    const struct tern_eal_opts *opts, struct tern_eal **out)
{
	struct tern_eal *eal = calloc(1, sizeof(*eal));
	char *argv_copy[TERN_EAL_MAX_ARGS];
	int rc;

	if (eal == NULL)
		return -ENOMEM;
	rc = tern_eal_args_build(argc, argv, opts, &eal->args);
	if (rc < 0) {
		free(eal);
		return rc;
	}
	tern__hugepages_free("/proc/meminfo", "/proc/mounts",
			     eal->huge_mnt, sizeof(eal->huge_mnt));
	/* rte_eal_init permutes argv: give it a copy of the pointers. */
	memcpy(argv_copy, eal->args.argv, sizeof(argv_copy));
	if (rte_eal_init(eal->args.argc, argv_copy) < 0) {
		rc = eal_init_error(rte_errno);
		tern_eal_args_clear(&eal->args);
		free(eal);
		return rc;
	}
	snprintf(eal->runtime_dir, sizeof(eal->runtime_dir), "%s",
		 rte_eal_get_runtime_dir());
	*out = eal;
	return 0;
}

int tern_eal_app_argind(const struct tern_eal *eal)
{
	return eal->args.app_argind;
}

const char *tern_eal_file_prefix(const struct tern_eal *eal)
{
	return eal->args.file_prefix;
}

bool tern_eal_no_huge(const struct tern_eal *eal)
{
	return eal->args.no_huge;
}

/* Removes dir/<prefix>* files (or every file when prefix is NULL). */
static void remove_files(const char *dir, const char *prefix)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (prefix != NULL && strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

int tern_eal_destroy(struct tern_eal *eal)
{
	char prefix[80];
	int rc;

	if (eal == NULL)
		return 0;
	rc = rte_eal_cleanup();
	/* The EAL leaves its hugepage files and runtime dir (config, telemetry
	 * and mp sockets) behind; they are ours alone thanks to the prefix. */
	if (eal->huge_mnt[0] != '\0' && eal->args.file_prefix[0] != '\0') {
		snprintf(prefix, sizeof(prefix), "%smap_", eal->args.file_prefix);
		remove_files(eal->huge_mnt, prefix);
	}
	if (eal->runtime_dir[0] != '\0') {
		remove_files(eal->runtime_dir, NULL);
		rmdir(eal->runtime_dir);
	}
	tern_eal_args_clear(&eal->args);
	free(eal);
	return rc < 0 ? -rte_errno : 0;
}
