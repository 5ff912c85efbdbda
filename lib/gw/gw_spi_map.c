/* Inbound SPI to instance map for the ESP input path: O(1) per packet. */
#include <string.h>

#include "core/ctx.h"
#include "gw/gw_internal.h"

/* SPIs are random (the IKE layer draws them), so a multiplicative hash of
 * the SPI spreads them; a peer cannot choose our inbound SPIs. */
static size_t slot_of(uint32_t spi, size_t cap) {
  return (size_t)((spi * 2654435761u) & (uint32_t)(cap - 1));
}

static void insert(struct gw_spi_slot *map, size_t cap, uint32_t spi,
                   struct gw_peer *peer) {
  size_t i = slot_of(spi, cap);

  while (map[i].spi != 0)
    i = (i + 1) & (cap - 1);
  map[i].spi = spi;
  map[i].peer = peer;
}

static int grow(struct tcpsec_gw *gw) {
  size_t cap = gw->spi_map_cap ? gw->spi_map_cap * 2 : 64, i;
  struct gw_spi_slot *map = tcpsec_calloc(gw->ctx, cap, sizeof(*map));

  if (map == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  for (i = 0; i < gw->spi_map_cap; i++)
    if (gw->spi_map[i].spi != 0)
      insert(map, cap, gw->spi_map[i].spi, gw->spi_map[i].peer);
  tcpsec_free(gw->ctx, gw->spi_map);
  gw->spi_map = map;
  gw->spi_map_cap = cap;
  return 0;
}

int gw_spi_map_put(struct tcpsec_gw *gw, uint32_t spi, struct gw_peer *peer) {
  int rv;

  if (spi == 0)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  if (gw_spi_map_get(gw, spi) != NULL)
    return TCPSEC_ERR_EXISTS;
  if ((gw->spi_map_count + 1) * 2 > gw->spi_map_cap) {
    rv = grow(gw);
    if (rv != 0)
      return rv;
  }
  insert(gw->spi_map, gw->spi_map_cap, spi, peer);
  gw->spi_map_count++;
  return 0;
}

struct gw_peer *gw_spi_map_get(const struct tcpsec_gw *gw, uint32_t spi) {
  size_t i;

  if (gw->spi_map_cap == 0 || spi == 0)
    return NULL;
  i = slot_of(spi, gw->spi_map_cap);
  while (gw->spi_map[i].spi != 0) {
    if (gw->spi_map[i].spi == spi)
      return gw->spi_map[i].peer;
    i = (i + 1) & (gw->spi_map_cap - 1);
  }
  return NULL;
}

void gw_spi_map_del(struct tcpsec_gw *gw, uint32_t spi) {
  size_t cap = gw->spi_map_cap, i, j;

  if (cap == 0 || spi == 0)
    return;
  i = slot_of(spi, cap);
  while (gw->spi_map[i].spi != spi) {
    if (gw->spi_map[i].spi == 0)
      return;
    i = (i + 1) & (cap - 1);
  }
  gw->spi_map[i].spi = 0;
  gw->spi_map_count--;
  /* Re-insert the rest of the probe run so lookups do not stop early. */
  for (j = (i + 1) & (cap - 1); gw->spi_map[j].spi != 0;
       j = (j + 1) & (cap - 1)) {
    struct gw_spi_slot s = gw->spi_map[j];
    gw->spi_map[j].spi = 0;
    insert(gw->spi_map, cap, s.spi, s.peer);
  }
}
