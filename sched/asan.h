/* SPDX-License-Identifier: BSD-3-Clause */
/* Tells AddressSanitizer about stack switches, so it checks the right stack;
 * compiles to nothing in other builds. */
#ifndef TERN_SCHED_ASAN_H
#define TERN_SCHED_ASAN_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define TERN__ASAN 1
#include <sanitizer/common_interface_defs.h>
#define tern__asan_start(save, bottom, size) \
	__sanitizer_start_switch_fiber((save), (bottom), (size))
#define tern__asan_finish(save, bottom_out, size_out) \
	__sanitizer_finish_switch_fiber((save), (bottom_out), (size_out))
#else
#define TERN__ASAN 0
#define tern__asan_start(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define tern__asan_finish(save, bottom_out, size_out) \
	((void)(save), (void)(bottom_out), (void)(size_out))
#endif

#endif
