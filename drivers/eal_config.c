/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * [eal] section of an INI config file (Debian's libinih), turned into EAL
 * arguments. Other sections belong to other layers and are skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ini.h>

#include "drivers_internal.h"

struct cfg_ctx {
	const char *path;
	struct tern_eal_args *args;
	int err;
};

/* key -> EAL option; "=" options take the value glued, others separately. */
static const struct cfg_key {
	const char *key;
	const char *opt;
	bool glued;
} cfg_keys[] = {
	{ "lcores", "-l", false },
	{ "allow", "-a", false },
	{ "memory", "-m", false },
	{ "vdev", "--vdev=", true },
	{ "file_prefix", "--file-prefix=", true },
	{ "log_level", "--log-level=", true },
	{ "huge_dir", "--huge-dir=", true },
	{ "arg", "", true },
};

static bool cfg_true(const char *v)
{
	return strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
	       strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0;
}

static int cfg_push(struct cfg_ctx *c, const struct cfg_key *k, const char *v)
{
	char buf[512];

	if (!k->glued)
		return tern__eal_args_push(c->args, k->opt) ?:
		       tern__eal_args_push(c->args, v);
	snprintf(buf, sizeof(buf), "%s%s", k->opt, v);
	return tern__eal_args_push(c->args, buf);
}

static int cfg_handler(void *user, const char *section, const char *key,
		       const char *value)
{
	struct cfg_ctx *c = user;

	if (strcmp(section, "eal") != 0 || c->err != 0)
		return 1;
	if (strcmp(key, "no_huge") == 0) {
		if (cfg_true(value))
			c->err = tern__eal_args_push(c->args, "--no-huge");
		return c->err == 0;
	}
	for (size_t i = 0; i < RTE_DIM(cfg_keys); i++)
		if (strcmp(key, cfg_keys[i].key) == 0) {
			c->err = cfg_push(c, &cfg_keys[i], value);
			return c->err == 0;
		}
	DRV_LOG(ERR, "config %s: unknown key '%s' in [eal]: use lcores, allow, memory, vdev, file_prefix, log_level, huge_dir, no_huge or arg",
		c->path, key);
	c->err = -EINVAL;
	return 0;
}

int tern__eal_config_load(const char *path, struct tern_eal_args *args)
{
	struct cfg_ctx c = { .path = path, .args = args };
	int rc = ini_parse(path, cfg_handler, &c);

	if (rc == -1) {
		DRV_LOG(ERR, "config %s: cannot open: %s", path, strerror(errno));
		return -ENOENT;
	}
	if (c.err != 0)
		return c.err;
	if (rc != 0) {
		DRV_LOG(ERR, "config %s:%d: syntax error (expected key = value or [section])",
			path, rc);
		return -EINVAL;
	}
	return 0;
}
