/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A core's inbox: a bounded multi-producer, single-consumer ring of message
 * pointers. Any thread may post; only the owning core takes.
 *
 * A producer claims a position with one CAS on the tail, writes its
 * message into the slot, then publishes it by storing seq = pos + 1
 * (release); the consumer takes slots in order while seq says they are
 * published, then moves its head on once per batch (release). Whether a
 * slot is free is read from the head, not from the slot: producers keep a
 * copy of the head on their own line and reload the real one only when the
 * copy says the ring is full. So on the fast path a message costs one
 * handover of its slot's line (the producer writes it, the consumer reads
 * it), as a bare cache-line ping-pong does; the consumer never writes a
 * line the producers use, and producers never read the consumer's.
 *
 * Messages are intrusive: struct tern__msg lives inside whatever it is
 * about (a submit record), so posting allocates nothing.
 */
#ifndef TERN_SCHED_INBOX_H
#define TERN_SCHED_INBOX_H

#include <stdbool.h>
#include <stdint.h>

struct tern_sched;
struct tern__msg;

/* Runs on the receiving core, from its inbox poller. */
typedef void (*tern__msg_fn)(struct tern_sched *s, struct tern__msg *m);

struct tern__msg {
	tern__msg_fn fn;
	struct tern__msg *next;  /* the sender's retry list when the inbox is full */
	struct tern_sched *dest; /* where a kept message is to go */
};

struct tern__slot {
	uint64_t seq;
	struct tern__msg *msg;
};

struct tern__inbox {
	/* The producers' line: read-only copies of the geometry, so a post
	 * never reads the consumer's line while the ring has room. */
	uint64_t tail __attribute__((aligned(64)));
	uint64_t head_seen;                         /* a head the consumer passed */
	uint64_t posted_full;                       /* posts refused: full */
	uint64_t mask;
	struct tern__slot *slots;
	/* The consumer's line: producers read it only when the ring looks full. */
	uint64_t head __attribute__((aligned(64)));
	uint64_t cmask;
	struct tern__slot *cslots;
};

int tern__inbox_init(struct tern__inbox *q, uint32_t size, int node);
void tern__inbox_fini(struct tern__inbox *q);
/* Any thread. 0, or -EAGAIN when full (nothing was posted). */
int tern__inbox_post(struct tern__inbox *q, struct tern__msg *m);
/* The owner only. Takes up to @max messages into @out; returns how many. */
unsigned tern__inbox_take(struct tern__inbox *q, struct tern__msg **out, unsigned max);
/* The owner only: true when a message is waiting (one load). */
bool tern__inbox_ready(const struct tern__inbox *q);

#endif
