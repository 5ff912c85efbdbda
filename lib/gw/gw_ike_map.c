/*
 * IKE initiator SPI to instance map for the dispatch of received IKE
 * messages: O(1) per message whatever the number of instances.
 *
 * An instance has one entry for its current IKE SA and, after IKE SA
 * rekeys, one for each older generation whose Delete exchange may still
 * be running (RFC 7296 section 2.8). Initiator SPIs are chosen by the
 * peers, so the table is keyed with SipHash under a random key: a peer
 * that does not know the key cannot make its SPIs collide with others.
 */
#include <string.h>

#include "core/ctx.h"
#include "gw/gw_internal.h"
#include "sa/sa_internal.h"

int gw_ike_map_init(struct tcpsec_gw *gw) {
  return tcpsec_random(gw->ctx, (uint8_t *)gw->ike_map_key,
                       sizeof(gw->ike_map_key));
}

static size_t home_of(const struct tcpsec_gw *gw, const uint8_t spi[8],
                      size_t cap) {
  return (size_t)tcpsec_siphash24(gw->ike_map_key, spi, 8) & (cap - 1);
}

static void insert(const struct tcpsec_gw *gw, struct gw_ike_slot *map,
                   size_t cap, const uint8_t spi[8], struct gw_peer *peer) {
  size_t i = home_of(gw, spi, cap);

  while (map[i].peer != NULL)
    i = (i + 1) & (cap - 1);
  memcpy(map[i].spi, spi, 8);
  map[i].peer = peer;
}

static int grow(struct tcpsec_gw *gw) {
  size_t cap = gw->ike_map_cap ? gw->ike_map_cap * 2 : 64, i;
  struct gw_ike_slot *map = tcpsec_calloc(gw->ctx, cap, sizeof(*map));

  if (map == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  for (i = 0; i < gw->ike_map_cap; i++)
    if (gw->ike_map[i].peer != NULL)
      insert(gw, map, cap, gw->ike_map[i].spi, gw->ike_map[i].peer);
  tcpsec_free(gw->ctx, gw->ike_map);
  gw->ike_map = map;
  gw->ike_map_cap = cap;
  return 0;
}

static size_t find(const struct tcpsec_gw *gw, const uint8_t spi[8]) {
  size_t i;

  if (gw->ike_map_cap == 0)
    return SIZE_MAX;
  i = home_of(gw, spi, gw->ike_map_cap);
  while (gw->ike_map[i].peer != NULL) {
    if (memcmp(gw->ike_map[i].spi, spi, 8) == 0)
      return i;
    i = (i + 1) & (gw->ike_map_cap - 1);
  }
  return SIZE_MAX;
}

int gw_ike_map_put(struct tcpsec_gw *gw, const uint8_t spi[8],
                   struct gw_peer *peer) {
  size_t i = find(gw, spi);
  int rv;

  if (i != SIZE_MAX)
    return gw->ike_map[i].peer == peer ? 0 : TCPSEC_ERR_EXISTS;
  if ((gw->ike_map_count + 1) * 2 > gw->ike_map_cap) {
    rv = grow(gw);
    if (rv != 0)
      return rv;
  }
  insert(gw, gw->ike_map, gw->ike_map_cap, spi, peer);
  gw->ike_map_count++;
  return 0;
}

struct gw_peer *gw_ike_map_get(const struct tcpsec_gw *gw,
                               const uint8_t spi[8]) {
  size_t i = find(gw, spi);

  return i == SIZE_MAX ? NULL : gw->ike_map[i].peer;
}

void gw_ike_map_del(struct tcpsec_gw *gw, const uint8_t spi[8],
                    const struct gw_peer *peer) {
  size_t cap = gw->ike_map_cap, i = find(gw, spi), j;

  if (i == SIZE_MAX || gw->ike_map[i].peer != peer)
    return;
  gw->ike_map[i].peer = NULL;
  gw->ike_map_count--;
  /* Re-insert the rest of the probe run so lookups do not stop early. */
  for (j = (i + 1) & (cap - 1); gw->ike_map[j].peer != NULL;
       j = (j + 1) & (cap - 1)) {
    struct gw_ike_slot s = gw->ike_map[j];

    gw->ike_map[j].peer = NULL;
    insert(gw, gw->ike_map, cap, s.spi, s.peer);
  }
}
