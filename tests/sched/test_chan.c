/* SPDX-License-Identifier: BSD-3-Clause */
/* Bounded channels: order, every full-channel policy and its counters,
 * waiting senders and receivers, cancellation, close, bad input. */
#include <stdlib.h>

#include "tk_helpers.h"

static struct tern_chan *mk_chan(struct tern_sched *s, uint32_t cap, enum tern_chan_full full)
{
	struct tern_chan *ch;

	assert_int_equal(tern_chan_create(&(struct tern_chan_opts){ .sched = s, .capacity = cap,
					  .full = full }, &ch), 0);
	return ch;
}

static struct tern_chan_stats stats(struct tern_chan *ch)
{
	struct tern_chan_stats st;

	assert_int_equal(tern_chan_stats(ch, &st), 0);
	return st;
}

static void expect_items(struct tern_chan *ch, const intptr_t *want, int n)
{
	intptr_t v;

	for (int i = 0; i < n; i++) {
		assert_int_equal(tern_chan_try_recv(ch, &v), 0);
		assert_int_equal(v, want[i]);
	}
	assert_int_equal(tern_chan_try_recv(ch, &v), -EAGAIN);
}

/* ---- full-channel policies (no task needed: nothing waits) ---- */

static intptr_t dropped[16];
static int n_dropped;

static void on_drop(intptr_t item, void *arg)
{
	assert_ptr_equal(arg, &n_dropped);
	dropped[n_dropped++] = item;
}

static struct tern_chan *fill(struct tern_sched *s, enum tern_chan_full full)
{
	struct tern_chan *ch;

	n_dropped = 0;
	assert_int_equal(tern_chan_create(&(struct tern_chan_opts){ .sched = s, .capacity = 3,
					  .full = full, .drop_fn = on_drop, .drop_arg = &n_dropped },
					  &ch), 0);
	for (intptr_t i = 1; i <= 3; i++)
		assert_int_equal(tern_chan_send(ch, i, TERN_TOKEN_NONE), 0);
	return ch;
}

static void full_drop_oldest(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_chan *ch = fill(s, TERN_CHAN_DROP_OLDEST);

	assert_int_equal(tern_chan_send(ch, 4, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_chan_try_send(ch, 5), 0);
	assert_int_equal(stats(ch).dropped_oldest, 2);
	assert_int_equal(stats(ch).dropped_newest, 0);
	assert_int_equal(stats(ch).sent, 5);
	assert_int_equal(n_dropped, 2);
	assert_int_equal(dropped[0], 1);
	assert_int_equal(dropped[1], 2);
	expect_items(ch, (intptr_t[]){ 3, 4, 5 }, 3);
	assert_int_equal(tern_chan_destroy(ch), 0);
	end_sched(s);
}

static void full_drop_newest(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_chan *ch = fill(s, TERN_CHAN_DROP_NEWEST);

	assert_int_equal(tern_chan_send(ch, 4, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_chan_send(ch, 5, TERN_TOKEN_NONE), 0);
	assert_int_equal(stats(ch).dropped_newest, 2);
	assert_int_equal(stats(ch).dropped_oldest, 0);
	assert_int_equal(n_dropped, 2);
	assert_int_equal(dropped[0], 3);
	assert_int_equal(dropped[1], 4);
	expect_items(ch, (intptr_t[]){ 1, 2, 5 }, 3);
	assert_int_equal(tern_chan_destroy(ch), 0);
	end_sched(s);
}

static void full_reject(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_chan *ch = fill(s, TERN_CHAN_REJECT);

	assert_int_equal(tern_chan_send(ch, 4, TERN_TOKEN_NONE), -EAGAIN);
	assert_int_equal(tern_chan_try_send(ch, 5), -EAGAIN);
	assert_int_equal(stats(ch).rejected, 2);
	assert_int_equal(stats(ch).sent, 3);
	assert_int_equal(n_dropped, 0); /* refused items stay the caller's */
	expect_items(ch, (intptr_t[]){ 1, 2, 3 }, 3);
	/* destroy hands what is left to drop_fn, without counting drops */
	assert_int_equal(tern_chan_send(ch, 9, TERN_TOKEN_NONE), 0);
	assert_int_equal(tern_chan_destroy(ch), 0);
	assert_int_equal(n_dropped, 1);
	assert_int_equal(dropped[0], 9);
	end_sched(s);
}

/* ---- TERN_CHAN_WAIT: senders wait for room, in FIFO order ---- */

struct sender {
	struct tern_chan *ch;
	intptr_t item;
	tern_cancel_t c;
};

static intptr_t send_task(void *arg)
{
	struct sender *sd = arg;

	return tern_chan_send(sd->ch, sd->item, tern_cancel_token(sd->c));
}

static intptr_t make_sources(void *arg)
{
	struct sender *sd = arg;

	for (int i = 0; i < 4; i++)
		assert_int_equal(tern_cancel_create(&sd[i].c), 0);
	return 0;
}

static void dispose_sources(struct sender *sd)
{
	for (int i = 0; i < 4; i++)
		assert_int_equal(tern_cancel_dispose(sd[i].c), 0);
}

/* Four senders wait on a full channel; the third is cancelled during its
 * wait; receives drain in FIFO order and let the others in, in order. */
static void full_wait_fifo_and_cancel(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_chan *ch = mk_chan(s, 2, TERN_CHAN_WAIT);
	struct sender sd[4];
	tern_task_t t[4];

	assert_int_equal(tern_chan_try_send(ch, 1), 0);
	assert_int_equal(tern_chan_try_send(ch, 2), 0);
	assert_int_equal(tern_chan_try_send(ch, 99), -EAGAIN); /* WAIT, not waiting */
	assert_int_equal(tern_chan_send(ch, 99, TERN_TOKEN_NONE), -EPERM); /* not a task */
	assert_int_equal(run_task(s, make_sources, sd), 0);
	for (int i = 0; i < 4; i++) {
		sd[i].ch = ch;
		sd[i].item = 10 + i;
		t[i] = spawn(s, send_task, &sd[i]);
	}
	run(s);
	assert_int_equal(stats(ch).send_waiters, 4);
	assert_int_equal(tern_cancel(sd[2].c), 0);
	run(s);
	assert_int_equal(tern_task_await(t[2], TERN_TOKEN_NONE), -ECANCELED);
	assert_int_equal(stats(ch).send_waiters, 3);
	expect_items(ch, (intptr_t[]){ 1, 2, 10, 11, 13 }, 5);
	run(s);
	for (int i = 0; i < 4; i++)
		if (i != 2)
			assert_int_equal(tern_task_await(t[i], TERN_TOKEN_NONE), 0);
	assert_int_equal(stats(ch).sent, 5);
	assert_int_equal(stats(ch).received, 5);
	assert_int_equal(stats(ch).rejected, 1);
	assert_int_equal(tern_chan_destroy(ch), 0);
	dispose_sources(sd);
	end_sched(s);
}

/* ---- receivers ---- */

struct receiver {
	struct tern_chan *ch;
	tern_cancel_t c;
	intptr_t got;
};

static intptr_t recv_task(void *arg)
{
	struct receiver *rv = arg;

	return tern_chan_recv(rv->ch, &rv->got, tern_cancel_token(rv->c));
}

static intptr_t make_rsources(void *arg)
{
	struct receiver *rv = arg;

	for (int i = 0; i < 3; i++)
		assert_int_equal(tern_cancel_create(&rv[i].c), 0);
	return 0;
}

/* Waiting receivers get items handed over in FIFO order; one cancelled
 * during its wait is skipped, and one whose cancel comes after the hand-off
 * keeps its item. */
static void recv_waiters_fifo_and_cancel(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_chan *ch = mk_chan(s, 4, TERN_CHAN_WAIT);
	struct receiver rv[3] = { { .ch = ch }, { .ch = ch }, { .ch = ch } };
	tern_task_t t[3];

	assert_int_equal(run_task(s, make_rsources, rv), 0);
	for (int i = 0; i < 3; i++)
		t[i] = spawn(s, recv_task, &rv[i]);
	run(s);
	assert_int_equal(stats(ch).recv_waiters, 3);
	assert_int_equal(tern_cancel(rv[1].c), 0);  /* during the wait */
	assert_int_equal(tern_chan_try_send(ch, 7), 0);
	assert_int_equal(tern_chan_try_send(ch, 8), 0);
	assert_int_equal(tern_cancel(rv[2].c), 0);  /* after its hand-off */
	run(s);
	assert_int_equal(tern_task_await(t[0], TERN_TOKEN_NONE), 0);
	assert_int_equal(rv[0].got, 7);
	assert_int_equal(tern_task_await(t[1], TERN_TOKEN_NONE), -ECANCELED);
	assert_int_equal(tern_task_await(t[2], TERN_TOKEN_NONE), 0);
	assert_int_equal(rv[2].got, 8);
	assert_int_equal(stats(ch).len, 0);
	assert_int_equal(tern_chan_destroy(ch), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(tern_cancel_dispose(rv[i].c), 0);
	end_sched(s);
}

/* A receive whose deadline expires gets -ETIMEDOUT and takes nothing. */
static intptr_t recv_deadline(void *arg)
{
	struct tern_chan *ch = arg;
	tern_cancel_t c;
	intptr_t v = -1, r;

	assert_int_equal(tern_cancel_create(&c), 0);
	assert_int_equal(tern_cancel_after(c, 1000000), 0);
	r = tern_chan_recv(ch, &v, tern_cancel_token(c));
	assert_int_equal(v, -1);
	assert_int_equal(tern_cancel_dispose(c), 0);
	return r;
}

static void recv_times_out(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_chan *ch = mk_chan(s, 1, TERN_CHAN_WAIT);
	tern_task_t t = spawn(s, recv_deadline, ch);

	run(s);
	tern_sched_advance(s, 2000000);
	run(s);
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), -ETIMEDOUT);
	assert_int_equal(stats(ch).recv_waiters, 0);
	assert_int_equal(tern_chan_try_send(ch, 5), 0); /* queued, nobody took it */
	assert_int_equal(stats(ch).len, 1);
	assert_int_equal(tern_chan_destroy(ch), 0);
	end_sched(s);
}

/* ---- ping-pong between two tasks ---- */

struct pp {
	struct tern_chan *ab, *ba;
	int n;
};

static intptr_t pong(void *arg)
{
	struct pp *p = arg;
	intptr_t v;

	for (int i = 0; i < p->n; i++) {
		assert_int_equal(tern_chan_recv(p->ab, &v, TERN_TOKEN_NONE), 0);
		assert_int_equal(tern_chan_send(p->ba, v + 1, TERN_TOKEN_NONE), 0);
	}
	return 0;
}

static intptr_t ping(void *arg)
{
	struct pp *p = arg;
	tern_task_t t;
	intptr_t v = 0;

	assert_int_equal(tern_task_spawn(pong, p, NULL, &t), 0);
	for (int i = 0; i < p->n; i++) {
		assert_int_equal(tern_chan_send(p->ab, v, TERN_TOKEN_NONE), 0);
		assert_int_equal(tern_chan_recv(p->ba, &v, TERN_TOKEN_NONE), 0);
	}
	assert_int_equal(tern_task_await(t, TERN_TOKEN_NONE), 0);
	return v;
}

static void ping_pong(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct pp p = { mk_chan(s, 1, TERN_CHAN_WAIT), mk_chan(s, 1, TERN_CHAN_WAIT), 1000 };

	assert_int_equal(run_task(s, ping, &p), 1000);
	assert_int_equal(tern_chan_destroy(p.ab), 0);
	assert_int_equal(tern_chan_destroy(p.ba), 0);
	end_sched(s);
}

/* ---- close ---- */

/* Close wakes waiting receivers and senders with -EPIPE; queued items are
 * still received, then -EPIPE. */
static void close_wakes_and_drains(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_chan *rx = mk_chan(s, 1, TERN_CHAN_WAIT);
	struct tern_chan *tx = mk_chan(s, 1, TERN_CHAN_WAIT);
	struct receiver rv = { .ch = rx };
	struct sender sd = { .ch = tx, .item = 5 };
	tern_task_t tr, ts;
	intptr_t v;

	tr = spawn(s, recv_task, &rv);
	assert_int_equal(tern_chan_try_send(tx, 4), 0);
	ts = spawn(s, send_task, &sd);
	run(s);
	assert_int_equal(tern_chan_destroy(rx), -EBUSY);
	assert_int_equal(tern_chan_close(rx), 0);
	assert_int_equal(tern_chan_close(tx), 0);
	assert_int_equal(tern_chan_close(tx), -EALREADY);
	run(s);
	assert_int_equal(tern_task_await(tr, TERN_TOKEN_NONE), -EPIPE);
	assert_int_equal(tern_task_await(ts, TERN_TOKEN_NONE), -EPIPE);
	assert_int_equal(tern_chan_try_send(tx, 6), -EPIPE);
	assert_int_equal(tern_chan_try_recv(tx, &v), 0); /* drains what was queued */
	assert_int_equal(v, 4);
	assert_int_equal(tern_chan_try_recv(tx, &v), -EPIPE);
	assert_true(stats(tx).closed);
	assert_int_equal(tern_chan_destroy(rx), 0);
	assert_int_equal(tern_chan_destroy(tx), 0);
	end_sched(s);
}

/* ---- bad input ---- */

static void bad_input(void **state)
{
	struct tern_sched *s = mk_sched(true);
	struct tern_chan *ch = NULL;
	struct tern_chan_stats st;
	intptr_t v;

	assert_int_equal(tern_chan_create(NULL, &ch), -EINVAL);
	assert_int_equal(tern_chan_create(&(struct tern_chan_opts){ .sched = s }, &ch), -EINVAL);
	assert_int_equal(tern_chan_create(&(struct tern_chan_opts){ .sched = s, .capacity = UINT32_MAX },
					  &ch), -EINVAL);
	assert_int_equal(tern_chan_create(&(struct tern_chan_opts){ .sched = s, .capacity = 1,
					  .full = (enum tern_chan_full)42 }, &ch), -EINVAL);
	assert_int_equal(tern_chan_create(&(struct tern_chan_opts){ .sched = s, .capacity = 1 },
					  NULL), -EINVAL);
	assert_int_equal(tern_chan_create(&(struct tern_chan_opts){ .capacity = 1 }, &ch), -EPERM);
	assert_null(ch);
	assert_int_equal(tern_chan_send(NULL, 1, TERN_TOKEN_NONE), -EINVAL);
	assert_int_equal(tern_chan_try_send(NULL, 1), -EINVAL);
	assert_int_equal(tern_chan_recv(NULL, &v, TERN_TOKEN_NONE), -EINVAL);
	assert_int_equal(tern_chan_close(NULL), -EINVAL);
	assert_int_equal(tern_chan_stats(NULL, &st), -EINVAL);
	assert_int_equal(tern_chan_destroy(NULL), 0);
	ch = mk_chan(s, 1, TERN_CHAN_WAIT);
	assert_int_equal(tern_chan_recv(ch, NULL, TERN_TOKEN_NONE), -EINVAL);
	assert_int_equal(tern_chan_stats(ch, NULL), -EINVAL);
	assert_int_equal(tern_chan_recv(ch, &v, TERN_TOKEN_NONE), -EPERM); /* would wait */
	assert_int_equal(tern_chan_destroy(ch), 0);
	end_sched(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_drop_oldest),
		cmocka_unit_test(full_drop_newest),
		cmocka_unit_test(full_reject),
		cmocka_unit_test(full_wait_fifo_and_cancel),
		cmocka_unit_test(recv_waiters_fifo_and_cancel),
		cmocka_unit_test(recv_times_out),
		cmocka_unit_test(ping_pong),
		cmocka_unit_test(close_wakes_and_drains),
		cmocka_unit_test(bad_input),
	};

	return cmocka_run_group_tests_name("sched_chan", tests, NULL, NULL);
}
