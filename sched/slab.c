/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core object pools. Objects are cache-line aligned, handed out LIFO (the
 * most recently freed object is the warmest), and their memory is kept until
 * the core is destroyed, so a stale handle always reads a live version word.
 */
#include <numa.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sched_internal.h"

void *tern__mem_alloc(size_t bytes, int node)
{
	void *p;

	if (node >= 0 && numa_available() >= 0)
		return numa_alloc_onnode(bytes, node);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void tern__mem_free(void *p, size_t bytes)
{
	/* numa_free is munmap: one call frees either kind. */
	munmap(p, bytes);
}

void tern__slab_init(struct tern__slab *sl, size_t obj_size, unsigned per_chunk, int node)
{
	*sl = (struct tern__slab){
		.obj_size = (obj_size + TERN_CACHE_LINE - 1) & ~(size_t)(TERN_CACHE_LINE - 1),
		.per_chunk = per_chunk,
		.node = node,
	};
}

static int grow(struct tern__slab *sl)
{
	size_t bytes = sl->obj_size * sl->per_chunk;
	char *chunk;

	if (sl->n_chunks == sl->cap_chunks) {
		size_t cap = sl->cap_chunks ? sl->cap_chunks * 2 : 8;
		void **c = realloc(sl->chunks, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		sl->chunks = c;
		sl->cap_chunks = cap;
	}
	/* Whole pages from mmap (via libnuma when placing): zeroed, so each
	 * object's version starts at 0 and its first use makes it 2. */
	chunk = tern__mem_alloc(bytes, sl->node);
	if (!chunk)
		return -ENOMEM;
	sl->chunks[sl->n_chunks++] = chunk;
	for (unsigned i = sl->per_chunk; i-- > 0;)
		tern__slab_put(sl, chunk + (size_t)i * sl->obj_size);
	return 0;
}

void *tern__slab_grow_get(struct tern__slab *sl)
{
	if (grow(sl) < 0)
		return NULL;
	return tern__slab_get(sl);
}

void tern__slab_fini(struct tern__slab *sl)
{
	for (size_t i = 0; i < sl->n_chunks; i++)
		tern__mem_free(sl->chunks[i], sl->obj_size * sl->per_chunk);
	free(sl->chunks);
	*sl = (struct tern__slab){ 0 };
}
