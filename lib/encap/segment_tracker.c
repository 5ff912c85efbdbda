/*
 * Per-connection state of the Fortinet-style segment mode.
 *
 * Rules:
 * - The local send position is the highest acknowledgement number seen in
 *   segments of the real connection from the peer. The receive position is
 *   the end of the highest segment seen: seq + payload length, + 1 for SYN
 *   or FIN. Both move forward only, in sequence-number arithmetic.
 * - Each position has a base. ESP segments carry seq = send base + offset
 *   and ack = receive base + offset, where the offset is -2^30 (behind,
 *   default) or +2^31 (ahead). The numbers stay constant while the base
 *   stays.
 * - A base is re-set to its position once the position has moved more
 *   than 2^29 past it. A behind sequence number then always lies between
 *   2^30 and 1.5 * 2^30 behind the real position, far outside any TCP
 *   window (at most 2^30 with window scaling), and never drifts towards
 *   the window as the stream advances.
 * - The acknowledgement number is kept away from the real receive
 *   position: a NAT that rejects a segment responds with a RST whose
 *   sequence number is that field, and such a RST must not land in the
 *   local receive window.
 */
#include <string.h>

#include "core/ctx.h"
#include "core/util.h"
#include "encap/encap_internal.h"

#define LOG_SUBSYSTEM "encap"
#define OFFSET_BEHIND 0xc0000000u /* -2^30 modulo 2^32 */
#define OFFSET_AHEAD 0x80000000u  /* +2^31 */

/* One learned position and the base the constant number derives from. */
struct tracked_position {
  int known;
  uint32_t pos;
  uint32_t base;
};

struct tcpsec_segment_tracker {
  tcpsec_ctx *ctx;
  tcpsec_segment_tracker_config cfg;
  struct tracked_position snd;
  struct tracked_position rcv;
};

void tcpsec_segment_tracker_config_default(
    tcpsec_segment_tracker_config *cfg) {
  if (cfg == NULL)
    return;
  memset(cfg, 0, sizeof(*cfg));
  cfg->size = sizeof(*cfg);
  cfg->placement = TCPSEC_SEGMENT_BEHIND;
  cfg->window = 65535;
  cfg->ttl = 64;
  cfg->ip_header = 1;
}

static int family_valid(uint8_t family) {
  return family == TCPSEC_IP_V4 || family == TCPSEC_IP_V6;
}

int tcpsec_segment_tracker_new(tcpsec_ctx *ctx,
                               const tcpsec_segment_tracker_config *cfg,
                               tcpsec_segment_tracker **out) {
  tcpsec_segment_tracker_config c;
  tcpsec_segment_tracker *t;

  if (out != NULL)
    *out = NULL;
  if (ctx == NULL || cfg == NULL || out == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  tcpsec_segment_tracker_config_default(&c);
  if (tcpsec_encap_load_sized(&c, sizeof(c), cfg) != 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (!family_valid(c.local_addr.family) ||
      c.local_addr.family != c.remote_addr.family)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (c.placement != TCPSEC_SEGMENT_BEHIND &&
      c.placement != TCPSEC_SEGMENT_AHEAD)
    return TCPSEC_ERR_INVALID_ARGUMENT;

  t = tcpsec_calloc(ctx, 1, sizeof(*t));
  if (t == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  t->ctx = ctx;
  t->cfg = c;
  *out = t;
  return 0;
}

void tcpsec_segment_tracker_free(tcpsec_segment_tracker *t) {
  if (t == NULL)
    return;
  tcpsec_free(t->ctx, t);
}

/* Move a position forward and re-base when it has moved far enough. */
static void position_update(tcpsec_segment_tracker *t,
                            struct tracked_position *p, uint32_t value,
                            const char *which) {
  uint32_t moved;

  if (!p->known) {
    p->known = 1;
    p->pos = value;
    p->base = value;
    return;
  }

  /* Forward means 1 to 2^31 - 1 ahead; anything else is old or reordered. */
  moved = value - p->pos;
  if (moved == 0 || moved >= 0x80000000u)
    return;
  p->pos = value;

  if (p->pos - p->base > TCPSEC_SEGMENT_REBASE_DISTANCE) {
    tcpsec_log(t->ctx, TCPSEC_LOG_DEBUG, LOG_SUBSYSTEM,
               "segment %s base moved from %u to %u after the stream "
               "advanced %u bytes",
               which, p->base, p->pos, p->pos - p->base);
    p->base = p->pos;
  }
}

int tcpsec_segment_tracker_observe(tcpsec_segment_tracker *t, uint32_t seq,
                                   uint32_t ack, uint8_t flags,
                                   size_t payload_len) {
  uint32_t end;

  if (t == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  /* A RST ends the connection; its numbers teach nothing. */
  if (flags & TCPSEC_TCP_RST)
    return 0;

  if (flags & TCPSEC_TCP_ACK)
    position_update(t, &t->snd, ack, "send");

  /* SYN and FIN each take one sequence number. */
  end = seq + (uint32_t)payload_len;
  if (flags & TCPSEC_TCP_SYN)
    end++;
  if (flags & TCPSEC_TCP_FIN)
    end++;
  position_update(t, &t->rcv, end, "receive");
  return 0;
}

int tcpsec_segment_tracker_set_position(tcpsec_segment_tracker *t,
                                        uint32_t snd_pos, uint32_t rcv_pos) {
  if (t == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  t->snd.known = 1;
  t->snd.pos = snd_pos;
  t->snd.base = snd_pos;
  t->rcv.known = 1;
  t->rcv.pos = rcv_pos;
  t->rcv.base = rcv_pos;
  return 0;
}

int tcpsec_segment_tracker_fill(const tcpsec_segment_tracker *t,
                                tcpsec_segment_info *info) {
  tcpsec_segment_info f;
  uint32_t offset;

  if (t == NULL || info == NULL)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  tcpsec_segment_info_default(&f);
  if (tcpsec_encap_load_sized(&f, sizeof(f), info) != 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (!t->snd.known || !t->rcv.known)
    return TCPSEC_ERR_INVALID_STATE;

  offset = t->cfg.placement == TCPSEC_SEGMENT_AHEAD ? OFFSET_AHEAD
                                                    : OFFSET_BEHIND;
  f.src = t->cfg.local_addr;
  f.dst = t->cfg.remote_addr;
  f.src_port = t->cfg.local_port;
  f.dst_port = t->cfg.remote_port;
  f.seq = t->snd.base + offset;
  f.ack = t->rcv.base + offset;
  f.flags = TCPSEC_TCP_ACK;
  f.window = t->cfg.window;
  f.ttl = t->cfg.ttl;
  f.ip_header = t->cfg.ip_header;
  f.payload = NULL;
  f.payload_len = 0;
  tcpsec_encap_store_sized(info, &f, sizeof(f));
  return 0;
}

ptrdiff_t tcpsec_segment_tracker_build(const tcpsec_segment_tracker *t,
                                       uint8_t *buf, size_t headroom,
                                       size_t payload_len, size_t *start) {
  tcpsec_segment_info info;
  int rv;

  if (start != NULL)
    *start = 0;
  tcpsec_segment_info_default(&info);
  rv = tcpsec_segment_tracker_fill(t, &info);
  if (rv != 0)
    return rv;
  return tcpsec_segment_build(&info, buf, headroom, payload_len, start);
}

static int addr_equal(const tcpsec_ip_addr *a, const tcpsec_ip_addr *b) {
  size_t len = a->family == TCPSEC_IP_V4 ? 4 : 16;

  return a->family == b->family && memcmp(a->bytes, b->bytes, len) == 0;
}

int tcpsec_segment_tracker_matches(const tcpsec_segment_tracker *t,
                                   const tcpsec_segment_info *info) {
  tcpsec_segment_info f;

  if (t == NULL || info == NULL)
    return 0;
  tcpsec_segment_info_default(&f);
  if (tcpsec_encap_load_sized(&f, sizeof(f), info) != 0)
    return 0;
  return addr_equal(&f.src, &t->cfg.remote_addr) &&
         addr_equal(&f.dst, &t->cfg.local_addr) &&
         f.src_port == t->cfg.remote_port && f.dst_port == t->cfg.local_port;
}
