/*
 * Timers of the gateway: a binary min-heap of instances keyed by their
 * next deadline, so that tcpsec_gw_next_timeout() reads the top in
 * constant time and tcpsec_gw_handle_timeout() visits only the instances
 * that are due.
 *
 * Rules:
 * - An instance's deadline is the minimum of its own timers (retry,
 *   fallback, reconnect, keepalive, reap) and its IKE SA's next timeout
 *   (gw_peer_next_timeout()).
 * - Code that changes one of those, directly or by calling into the IKE
 *   SA, touches the instance (gw_peer_touch()). Touched instances are kept
 *   in a list and re-filed in the heap when the entry point returns
 *   (gw_timer_flush(), from gw_exit()), which is also where failed IKE SAs
 *   and dial-up instances without one are freed.
 * - A deadline that only moves later need not be touched: the heap may
 *   hold a deadline earlier than the actual one, never a later one. An
 *   instance woken too early finds nothing due and is re-filed. This keeps
 *   the ESP data path, whose packets postpone the liveness check, free of
 *   heap operations.
 */
#include <string.h>

#include "core/ctx.h"
#include "core/util.h"
#include "gw/gw_internal.h"

static void heap_place(struct tcpsec_gw *gw, size_t i, struct gw_peer *p) {
  gw->timers[i] = p;
  p->timer_index = i;
}

static void sift_up(struct tcpsec_gw *gw, size_t i) {
  struct gw_peer *p = gw->timers[i];

  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (gw->timers[parent]->timer_at <= p->timer_at)
      break;
    heap_place(gw, i, gw->timers[parent]);
    i = parent;
  }
  heap_place(gw, i, p);
}

static void sift_down(struct tcpsec_gw *gw, size_t i) {
  struct gw_peer *p = gw->timers[i];

  for (;;) {
    size_t left = 2 * i + 1, right = left + 1, best = i;
    uint64_t best_at = p->timer_at;

    if (left < gw->timer_count && gw->timers[left]->timer_at < best_at) {
      best = left;
      best_at = gw->timers[left]->timer_at;
    }
    if (right < gw->timer_count && gw->timers[right]->timer_at < best_at)
      best = right;
    if (best == i)
      break;
    heap_place(gw, i, gw->timers[best]);
    i = best;
  }
  heap_place(gw, i, p);
}

void gw_timer_remove(struct tcpsec_gw *gw, struct gw_peer *peer) {
  size_t i = peer->timer_index;
  struct gw_peer *last;

  if (i == GW_NOT_QUEUED)
    return;
  peer->timer_index = GW_NOT_QUEUED;
  last = gw->timers[--gw->timer_count];
  if (last == peer)
    return;
  heap_place(gw, i, last);
  if (i > 0 && gw->timers[(i - 1) / 2]->timer_at > last->timer_at)
    sift_up(gw, i);
  else
    sift_down(gw, i);
}

/* The heap array only grows; at most one slot per instance. If it cannot
 * grow the instance stays out of the heap and its deadline is lost, so
 * the error is logged. */
static int heap_reserve(struct tcpsec_gw *gw) {
  struct gw_peer **list;
  size_t cap;

  if (gw->timer_count < gw->timer_cap)
    return 0;
  cap = gw->timer_cap ? gw->timer_cap * 2 : 16;
  list = tcpsec_realloc(gw->ctx, gw->timers, cap * sizeof(*list));
  if (list == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  gw->timers = list;
  gw->timer_cap = cap;
  return 0;
}

void gw_timer_set(struct tcpsec_gw *gw, struct gw_peer *peer, uint64_t at) {
  uint64_t old;

  if (at == UINT64_MAX) {
    gw_timer_remove(gw, peer);
    return;
  }
  if (peer->timer_index == GW_NOT_QUEUED) {
    if (heap_reserve(gw) != 0) {
      tcpsec_log(gw->ctx, TCPSEC_LOG_ERROR, "gw",
                 "%s: no memory for its timer; its deadline at %llu ms is "
                 "lost until the next event for it",
                 peer->name, (unsigned long long)at);
      return;
    }
    peer->timer_at = at;
    heap_place(gw, gw->timer_count++, peer);
    sift_up(gw, peer->timer_index);
    return;
  }
  old = peer->timer_at;
  peer->timer_at = at;
  if (at < old)
    sift_up(gw, peer->timer_index);
  else if (at > old)
    sift_down(gw, peer->timer_index);
}

struct gw_peer *gw_timer_take_due(struct tcpsec_gw *gw, uint64_t now_ms) {
  struct gw_peer *due = NULL, **tail = &due;

  while (gw->timer_count > 0 && gw->timers[0]->timer_at <= now_ms) {
    struct gw_peer *p = gw->timers[0];

    gw_timer_remove(gw, p);
    p->due_next = NULL;
    *tail = p;
    tail = &p->due_next;
  }
  return due;
}

void gw_peer_touch(struct gw_peer *peer) {
  struct tcpsec_gw *gw = peer->gw;

  if (peer->dirty)
    return;
  peer->dirty = 1;
  peer->dirty_next = gw->dirty;
  gw->dirty = peer;
}

void gw_timer_flush(struct tcpsec_gw *gw) {
  struct gw_peer *p;

  /* Reaping may touch further instances (a released connection), so the
   * list is taken one entry at a time until it stays empty. */
  while ((p = gw->dirty) != NULL) {
    gw->dirty = p->dirty_next;
    p->dirty = 0;
    p->dirty_next = NULL;
    if (p->ike_gone && p->reap_at <= gw->now_ms && gw_peer_reap(p))
      continue;
    gw_timer_set(gw, p, gw_peer_next_timeout(p));
  }
}

size_t gw_timer_check(const struct tcpsec_gw *gw) {
  size_t i, bad = 0;

  for (i = 0; i < gw->peer_count; i++) {
    const struct gw_peer *p = gw->peers[i];
    uint64_t actual = gw_peer_next_timeout(p);

    if (p->dirty)
      continue;
    if (p->timer_index == GW_NOT_QUEUED) {
      if (actual != UINT64_MAX)
        bad++;
    } else if (gw->timers[p->timer_index] != p || p->timer_at > actual) {
      bad++;
    }
  }
  return bad;
}
