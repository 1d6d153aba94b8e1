/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern/eal.h: starting DPDK's EAL with safe defaults.
 *
 * tern programs take EAL arguments first, then "--", then their own arguments
 * (the testpmd convention). The same EAL settings may come from an INI file
 * (section [eal]); the command line is appended after the file, so it wins.
 *
 * Safe defaults added unless the user said otherwise:
 *  - "--no-pci" unless a device is allowlisted with -a/--allow, so a machine's
 *    own NIC is never probed by accident;
 *  - "--file-prefix=tern_<pid>" so instances never share hugepage files;
 *  - "--no-huge" with a warning when no free hugepages are mounted;
 *  - telemetry left on, so dpdk-telemetry.py can attach.
 *
 * The EAL is process-global: one tern_eal per process, created once.
 */
#ifndef TERN_EAL_H
#define TERN_EAL_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest EAL argument vector tern builds (file + command line + defaults). */
#define TERN_EAL_MAX_ARGS 128

struct tern_eal;

struct tern_eal_opts {
	const char *config_path;  /* INI file with an [eal] section; NULL: none */
	const char *file_prefix;  /* NULL: "tern_<pid>" */
	bool force_no_huge;       /* true: --no-huge even if hugepages exist */
};

/* The EAL argument vector tern would pass to rte_eal_init(). */
struct tern_eal_args {
	int argc;
	char *argv[TERN_EAL_MAX_ARGS];  /* owned by the struct; argv[0] is the program */
	int app_argind;                 /* index in the caller's argv of its first own arg */
	bool pci_allowed;               /* the user named devices with -a */
	bool no_huge;                   /* --no-huge is in argv */
	char file_prefix[64];
};

/*
 * Builds the EAL argument vector from the config file (if any), argv[1..] up
 * to "--", and the safe defaults above. Does not start the EAL.
 * argv is only read. On success *out is filled and must be released with
 * tern_eal_args_clear(); on failure nothing needs releasing.
 * Returns 0, -EINVAL (bad argument or config line, logged with the fix),
 * -ENOENT (config file missing), -E2BIG (more than TERN_EAL_MAX_ARGS),
 * -ENOMEM.
 */
int tern_eal_args_build(int argc, char *const argv[],
			const struct tern_eal_opts *opts,
			struct tern_eal_args *out);

/* Frees the strings held by args; safe on a zeroed or cleared struct. */
void tern_eal_args_clear(struct tern_eal_args *args);

/*
 * Builds the arguments (see tern_eal_args_build) and starts the EAL.
 * opts may be NULL for defaults. On success *out owns the EAL; release it
 * with tern_eal_destroy(). The caller's arguments start at
 * argv[tern_eal_app_argind(*out)].
 * Returns 0, the errors of tern_eal_args_build(), -EALREADY (EAL already
 * started in this process), -EACCES (no permission for hugepages or
 * devices), -ENOMEM (no memory: "run scripts/setup.sh or pass --no-huge"),
 * -EPROTO (other EAL failure; the EAL's log says which).
 */
int tern_eal_create(int argc, char *const argv[],
		    const struct tern_eal_opts *opts, struct tern_eal **out);

/* Index in argv of the first application argument (after "--"), or argc. */
int tern_eal_app_argind(const struct tern_eal *eal);

/* The --file-prefix in use (names hugepage files and the runtime dir). */
const char *tern_eal_file_prefix(const struct tern_eal *eal);

/* True when running with --no-huge. */
bool tern_eal_no_huge(const struct tern_eal *eal);

/*
 * Stops the EAL (rte_eal_cleanup) and removes the hugepage files and the
 * runtime directory its file prefix left behind. Ports must be destroyed
 * first. NULL is a no-op. Returns 0 or the negative errno of the cleanup;
 * the EAL cannot be started again in this process.
 */
int tern_eal_destroy(struct tern_eal *eal);

#ifdef __cplusplus
}
#endif
#endif /* TERN_EAL_H */
