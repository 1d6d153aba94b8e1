/* SPDX-License-Identifier: BSD-3-Clause */
/** @file Everything an application needs. */
#ifndef TERN_TERN_H
#define TERN_TERN_H

#include <tern/common.h>
#include <tern/log.h>
#include <tern/cancel.h>
#include <tern/future.h>
#include <tern/task.h>
#include <tern/sched.h>
#include <tern/cores.h>
#include <tern/offload.h>
#include <tern/timer.h>
#include <tern/sync.h>
#include <tern/chan.h>
#include <tern/combinators.h>

#endif
