/*
 * Traffic selector arithmetic for Child SA negotiation (RFC 7296 section
 * 2.9): intersection for the responder's narrowing, containment for the
 * initiator's check of the narrowed result, and a text form for logs.
 *
 * A selector is an address range, a port range and an IP protocol (0 for
 * any). The port range 65535-0 is OPAQUE (section 3.13.1): it matches only
 * packets whose ports cannot be read, so it lies inside 0-65535 but inside
 * no narrower range.
 */
#include <stdio.h>
#include <string.h>

#include "ike/ike_sa.h"

#define PORT_ANY_START 0
#define PORT_ANY_END 65535

static size_t ts_addr_len(const tcpsec_ike_traffic_selector *ts) {
  return ts->family == TCPSEC_IKE_FAMILY_IPV6 ? 16 : 4;
}

static int ts_ports_opaque(const tcpsec_ike_traffic_selector *ts) {
  return ts->start_port == PORT_ANY_END && ts->end_port == PORT_ANY_START;
}

static int ts_ports_any(const tcpsec_ike_traffic_selector *ts) {
  return ts->start_port == PORT_ANY_START && ts->end_port == PORT_ANY_END;
}

int tcpsec_ike_ts_valid(const tcpsec_ike_traffic_selector *ts) {
  if (ts->family != TCPSEC_IKE_FAMILY_IPV4 &&
      ts->family != TCPSEC_IKE_FAMILY_IPV6)
    return 0;
  if (memcmp(ts->start_addr, ts->end_addr, ts_addr_len(ts)) > 0)
    return 0;
  return ts->start_port <= ts->end_port || ts_ports_opaque(ts);
}

/* Intersect the port ranges; 0 when empty. */
static int ports_intersect(const tcpsec_ike_traffic_selector *a,
                           const tcpsec_ike_traffic_selector *b,
                           tcpsec_ike_traffic_selector *out) {
  if (ts_ports_opaque(a) || ts_ports_opaque(b)) {
    const tcpsec_ike_traffic_selector *other = ts_ports_opaque(a) ? b : a;

    if (!ts_ports_opaque(other) && !ts_ports_any(other))
      return 0;
    out->start_port = PORT_ANY_END;
    out->end_port = PORT_ANY_START;
    return 1;
  }
  out->start_port = TCPSEC_MAX(a->start_port, b->start_port);
  out->end_port = TCPSEC_MIN(a->end_port, b->end_port);
  return out->start_port <= out->end_port;
}

int tcpsec_ike_ts_intersect(const tcpsec_ike_traffic_selector *a,
                            const tcpsec_ike_traffic_selector *b,
                            tcpsec_ike_traffic_selector *out) {
  size_t alen = ts_addr_len(a);
  tcpsec_ike_traffic_selector r;

  if (a->family != b->family)
    return 0;
  memset(&r, 0, sizeof(r));
  r.family = a->family;

  if (a->ip_proto != 0 && b->ip_proto != 0 && a->ip_proto != b->ip_proto)
    return 0;
  r.ip_proto = a->ip_proto != 0 ? a->ip_proto : b->ip_proto;

  if (!ports_intersect(a, b, &r))
    return 0;

  memcpy(r.start_addr,
         memcmp(a->start_addr, b->start_addr, alen) >= 0 ? a->start_addr
                                                         : b->start_addr,
         alen);
  memcpy(r.end_addr,
         memcmp(a->end_addr, b->end_addr, alen) <= 0 ? a->end_addr
                                                     : b->end_addr,
         alen);
  if (memcmp(r.start_addr, r.end_addr, alen) > 0)
    return 0;
  *out = r;
  return 1;
}

int tcpsec_ike_ts_contains(const tcpsec_ike_traffic_selector *outer,
                           const tcpsec_ike_traffic_selector *inner) {
  size_t alen = ts_addr_len(outer);

  if (outer->family != inner->family)
    return 0;
  if (outer->ip_proto != 0 && outer->ip_proto != inner->ip_proto)
    return 0;
  if (ts_ports_opaque(inner)) {
    if (!ts_ports_opaque(outer) && !ts_ports_any(outer))
      return 0;
  } else if (ts_ports_opaque(outer) || inner->start_port < outer->start_port ||
             inner->end_port > outer->end_port) {
    return 0;
  }
  return memcmp(outer->start_addr, inner->start_addr, alen) <= 0 &&
         memcmp(inner->end_addr, outer->end_addr, alen) <= 0;
}

static int ts_list_has(const tcpsec_ike_traffic_selector *list, size_t n,
                       const tcpsec_ike_traffic_selector *ts) {
  size_t i;

  for (i = 0; i < n; i++)
    if (memcmp(&list[i], ts, sizeof(*ts)) == 0)
      return 1;
  return 0;
}

/*
 * Narrow the proposed selectors to the policy: every non-empty intersection
 * of a proposed selector with a policy selector, in the order of the
 * proposal, so the initiator's first choice comes first (section 2.9).
 * Intersections beyond `max` are dropped; duplicates are kept once.
 */
size_t tcpsec_ike_ts_narrow(const tcpsec_ike_traffic_selector *proposed,
                            size_t n, const tcpsec_ike_traffic_selector *policy,
                            size_t m, tcpsec_ike_traffic_selector *out,
                            size_t max) {
  size_t i, j, count = 0;
  tcpsec_ike_traffic_selector r;

  for (i = 0; i < n; i++) {
    for (j = 0; j < m && count < max; j++) {
      if (!tcpsec_ike_ts_intersect(&proposed[i], &policy[j], &r))
        continue;
      if (!ts_list_has(out, count, &r))
        out[count++] = r;
    }
  }
  return count;
}

int tcpsec_ike_ts_subset(const tcpsec_ike_traffic_selector *got, size_t n,
                         const tcpsec_ike_traffic_selector *proposed,
                         size_t m) {
  size_t i, j;

  if (n == 0)
    return 0;
  for (i = 0; i < n; i++) {
    for (j = 0; j < m; j++)
      if (tcpsec_ike_ts_contains(&proposed[j], &got[i]))
        break;
    if (j == m)
      return 0;
  }
  return 1;
}

static void format_addr(const tcpsec_ike_traffic_selector *ts, const uint8_t *a,
                        char *buf, size_t len) {
  if (ts->family == TCPSEC_IKE_FAMILY_IPV4) {
    snprintf(buf, len, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    return;
  }
  snprintf(buf, len, "%x:%x:%x:%x:%x:%x:%x:%x", tcpsec_load_be16(a),
           tcpsec_load_be16(a + 2), tcpsec_load_be16(a + 4),
           tcpsec_load_be16(a + 6), tcpsec_load_be16(a + 8),
           tcpsec_load_be16(a + 10), tcpsec_load_be16(a + 12),
           tcpsec_load_be16(a + 14));
}

/* "10.88.0.0-10.88.0.255 proto 0 ports 0-65535" */
void tcpsec_ike_ts_format(const tcpsec_ike_traffic_selector *ts, char *buf,
                          size_t len) {
  char start[48], end[48];

  format_addr(ts, ts->start_addr, start, sizeof(start));
  format_addr(ts, ts->end_addr, end, sizeof(end));
  snprintf(buf, len, "%s-%s proto %u ports %u-%u", start, end, ts->ip_proto,
           ts->start_port, ts->end_port);
}

size_t tcpsec_ike_ts_from_payload(const tcpsec_ike_ts *payload,
                                  tcpsec_ike_traffic_selector *out,
                                  size_t max) {
  size_t i, count = 0;

  for (i = 0; i < payload->count && count < max; i++) {
    const tcpsec_ike_selector *sel = &payload->selectors[i];
    tcpsec_ike_traffic_selector *ts = &out[count];

    if (sel->type != TCPSEC_IKE_TS_IPV4_ADDR_RANGE &&
        sel->type != TCPSEC_IKE_TS_IPV6_ADDR_RANGE)
      continue;
    memset(ts, 0, sizeof(*ts));
    ts->family = sel->type == TCPSEC_IKE_TS_IPV4_ADDR_RANGE
                     ? TCPSEC_IKE_FAMILY_IPV4
                     : TCPSEC_IKE_FAMILY_IPV6;
    ts->ip_proto = sel->ip_protocol;
    ts->start_port = sel->start_port;
    ts->end_port = sel->end_port;
    memcpy(ts->start_addr, sel->start_addr, sel->addr_len);
    memcpy(ts->end_addr, sel->end_addr, sel->addr_len);
    /* A selector whose start lies above its end covers nothing. */
    if (tcpsec_ike_ts_valid(ts))
      count++;
  }
  return count;
}

void tcpsec_ike_ts_to_selector(const tcpsec_ike_traffic_selector *ts,
                               tcpsec_ike_selector *out) {
  size_t alen = ts_addr_len(ts);

  memset(out, 0, sizeof(*out));
  out->type = ts->family == TCPSEC_IKE_FAMILY_IPV6
                  ? TCPSEC_IKE_TS_IPV6_ADDR_RANGE
                  : TCPSEC_IKE_TS_IPV4_ADDR_RANGE;
  out->ip_protocol = ts->ip_proto;
  out->length =
      (uint16_t)(alen == 16 ? TCPSEC_IKE_TS_IPV6_LEN : TCPSEC_IKE_TS_IPV4_LEN);
  out->start_port = ts->start_port;
  out->end_port = ts->end_port;
  out->addr_len = (uint8_t)alen;
  memcpy(out->start_addr, ts->start_addr, alen);
  memcpy(out->end_addr, ts->end_addr, alen);
}
