/*
 * TCP 4-tuple to connection map for received Fortinet-style segments:
 * tcpsec_gw_raw_input() finds the connection of each captured segment in
 * O(1) whatever the number of connections.
 *
 * Only connections with a segment tracker are in it. The key is the
 * address family, remote address and port, and local address and port;
 * a received segment's source is the remote end. Remote ends are chosen
 * by peers, so the table is keyed with SipHash under a random key, as the
 * IKE SPI map is.
 */
#include <string.h>

#include "core/ctx.h"
#include "core/util.h"
#include "gw/gw_internal.h"
#include "sa/sa_internal.h"

/* family, remote address, remote port, local address, local port */
static void make_key(const tcpsec_ip_addr *remote, uint16_t remote_port,
                     const tcpsec_ip_addr *local, uint16_t local_port,
                     uint8_t key[GW_SEG_KEY_LEN]) {
  /* IPv4 uses the first 4 bytes; the rest of the key stays zero whatever
   * the caller left there. */
  size_t n = remote->family == TCPSEC_IP_V4 ? 4 : 16;

  memset(key, 0, GW_SEG_KEY_LEN);
  key[0] = remote->family;
  memcpy(key + 1, remote->bytes, n);
  tcpsec_store_be16(key + 17, remote_port);
  memcpy(key + 19, local->bytes, n);
  tcpsec_store_be16(key + 35, local_port);
}

static size_t home_of(const struct tcpsec_gw *gw, const uint8_t *key,
                      size_t cap) {
  return (size_t)tcpsec_siphash24(gw->seg_map_key, key, GW_SEG_KEY_LEN) &
         (cap - 1);
}

static void insert(const struct tcpsec_gw *gw, struct gw_seg_slot *map,
                   size_t cap, const uint8_t *key, tcpsec_gw_conn conn) {
  size_t i = home_of(gw, key, cap);

  while (map[i].conn != 0)
    i = (i + 1) & (cap - 1);
  memcpy(map[i].key, key, GW_SEG_KEY_LEN);
  map[i].conn = conn;
}

static int grow(struct tcpsec_gw *gw) {
  size_t cap = gw->seg_map_cap ? gw->seg_map_cap * 2 : 32, i;
  struct gw_seg_slot *map = tcpsec_calloc(gw->ctx, cap, sizeof(*map));

  if (map == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  for (i = 0; i < gw->seg_map_cap; i++)
    if (gw->seg_map[i].conn != 0)
      insert(gw, map, cap, gw->seg_map[i].key, gw->seg_map[i].conn);
  tcpsec_free(gw->ctx, gw->seg_map);
  gw->seg_map = map;
  gw->seg_map_cap = cap;
  return 0;
}

static size_t find(const struct tcpsec_gw *gw, const uint8_t *key) {
  size_t i;

  if (gw->seg_map_cap == 0)
    return SIZE_MAX;
  i = home_of(gw, key, gw->seg_map_cap);
  while (gw->seg_map[i].conn != 0) {
    if (memcmp(gw->seg_map[i].key, key, GW_SEG_KEY_LEN) == 0)
      return i;
    i = (i + 1) & (gw->seg_map_cap - 1);
  }
  return SIZE_MAX;
}

int gw_seg_map_init(struct tcpsec_gw *gw) {
  return tcpsec_random(gw->ctx, (uint8_t *)gw->seg_map_key,
                       sizeof(gw->seg_map_key));
}

int gw_seg_map_put(struct tcpsec_gw *gw, struct gw_conn *c,
                   const tcpsec_ip_addr *local, const tcpsec_ip_addr *remote) {
  uint8_t key[GW_SEG_KEY_LEN];
  int rv;

  make_key(remote, c->remote.port, local, c->local.port, key);
  if (find(gw, key) != SIZE_MAX)
    return TCPSEC_ERR_EXISTS;
  if ((gw->seg_map_count + 1) * 2 > gw->seg_map_cap) {
    rv = grow(gw);
    if (rv != 0)
      return rv;
  }
  insert(gw, gw->seg_map, gw->seg_map_cap, key, c->id);
  gw->seg_map_count++;
  memcpy(c->seg_key, key, GW_SEG_KEY_LEN);
  c->seg_mapped = 1;
  return 0;
}

struct gw_conn *gw_seg_map_get(struct tcpsec_gw *gw,
                               const tcpsec_segment_info *info) {
  uint8_t key[GW_SEG_KEY_LEN];
  size_t i;

  make_key(&info->src, info->src_port, &info->dst, info->dst_port, key);
  i = find(gw, key);
  return i == SIZE_MAX ? NULL : gw_conn_get(gw, gw->seg_map[i].conn);
}

void gw_seg_map_del(struct tcpsec_gw *gw, struct gw_conn *c) {
  size_t cap = gw->seg_map_cap, i, j;

  if (!c->seg_mapped)
    return;
  c->seg_mapped = 0;
  i = find(gw, c->seg_key);
  if (i == SIZE_MAX || gw->seg_map[i].conn != c->id)
    return;
  gw->seg_map[i].conn = 0;
  gw->seg_map_count--;
  /* Re-insert the rest of the probe run so lookups do not stop early. */
  for (j = (i + 1) & (cap - 1); gw->seg_map[j].conn != 0;
       j = (j + 1) & (cap - 1)) {
    struct gw_seg_slot s = gw->seg_map[j];

    gw->seg_map[j].conn = 0;
    insert(gw, gw->seg_map, cap, s.key, s.conn);
  }
}
