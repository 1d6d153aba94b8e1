/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Cancellation: C#'s CancellationTokenSource and CancellationToken.
 *
 * One token type is accepted by every waiting call in tern. A source is
 * cancelled by hand (tern_cancel()), by a deadline (tern_cancel_after(),
 * which needs the core's timers), or when the parent it is linked to is
 * cancelled. A wait whose token fires returns -ECANCELED, or -ETIMEDOUT when
 * a deadline fired, and is fully withdrawn before the waiting call returns:
 * nothing completes into the waiter's memory afterwards.
 *
 * Sources live in a per-core pool and belong to the core that made them;
 * tokens are (source, version) values, so a token whose source was disposed
 * is detected (-ESTALE and a log line), never a use after free.
 */
#ifndef TERN_CANCEL_H
#define TERN_CANCEL_H

#include <tern/common.h>

TERN_BEGIN_DECLS

struct tern__cancel;

/** A token: what waiting calls take. Copy by value. */
typedef struct tern_token {
	struct tern__cancel *src; /**< NULL: never cancelled */
	uint32_t version;
} tern_token_t;

/** A source: what the owner cancels and disposes. Copy by value. */
typedef struct tern_cancel {
	struct tern__cancel *src;
	uint32_t version;
} tern_cancel_t;

/** The token that is never cancelled. */
#define TERN_TOKEN_NONE ((tern_token_t){ NULL, 0 })

/**
 * A registration of a callback on a token. Embed it in the waiter's own
 * memory (often the awaiting task's stack); it must stay valid until
 * tern_token_unregister() returns or the callback has run.
 */
struct tern_cancel_reg {
	struct tern_cancel_reg *next, *prev;
	struct tern__cancel *src;
	void (*fn)(struct tern_cancel_reg *reg, int err);
};

/**
 * Makes a cancellation source on the calling thread's core.
 * @return 0; -EPERM outside a core; -ENOMEM.
 */
int tern_cancel_create(tern_cancel_t *out);

/**
 * Makes a source that is cancelled when @p parent is (with the parent's
 * error), or by hand. Disposing the child unlinks it from the parent.
 * @return 0; -EPERM outside a core; -ENOMEM; -ESTALE: @p parent disposed;
 *   -EXDEV: @p parent belongs to another core. On error no source is made.
 */
int tern_cancel_create_linked(tern_token_t parent, tern_cancel_t *out);

/** The token of @p c (stale if @p c was disposed). */
tern_token_t tern_cancel_token(tern_cancel_t c);

/**
 * Cancels @p c with -ECANCELED: every wait on its token (and on linked
 * children) is withdrawn and returns -ECANCELED. Callbacks run inside this
 * call, on this core.
 * @return 0; -EALREADY: cancelled before (a log line says so);
 *   -ESTALE: disposed; -EXDEV: another core's source.
 */
int tern_cancel(tern_cancel_t c);

/**
 * Arms a deadline: @p c is cancelled with -ETIMEDOUT @p ns nanoseconds from
 * now on the core's clock. Re-arming moves the deadline.
 * @return 0; -EINVAL: @p ns above TERN_MAX_DELAY_NS; -EALREADY: already
 *   cancelled; -ESTALE: disposed; -EXDEV: the calling thread does not drive
 *   @p c's core (the deadline runs on that core's wheel).
 */
int tern_cancel_after(tern_cancel_t c, uint64_t ns);

/**
 * Releases @p c back to its core's pool. Waits still registered on its token
 * stay as they are but can no longer be cancelled through it. Its tokens
 * become stale. Disposing does not cancel.
 * @return 0; -ESTALE: disposed before; -EXDEV.
 */
int tern_cancel_dispose(tern_cancel_t c);

/**
 * The token's state: 0 not cancelled (TERN_TOKEN_NONE is never),
 * -ECANCELED or -ETIMEDOUT when fired, -ESTALE when its source was disposed.
 */
int tern_token_status(tern_token_t t);

/**
 * Registers @p fn on @p t. If the token has already fired, @p fn is not
 * called and the error is returned: the caller handles it inline.
 * @return 0 registered (or @p t is TERN_TOKEN_NONE: nothing to do);
 *   -ECANCELED / -ETIMEDOUT: fired already; -ESTALE; -EXDEV.
 */
int tern_token_register(tern_token_t t, struct tern_cancel_reg *reg,
			void (*fn)(struct tern_cancel_reg *reg, int err));

/**
 * Removes @p reg if it is still registered; afterwards its callback cannot
 * run. Safe after the callback ran or the source was disposed.
 */
void tern_token_unregister(struct tern_cancel_reg *reg);

TERN_END_DECLS
#endif
