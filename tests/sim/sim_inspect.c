/*
 * Counters of the simulated network and views into the gateways that the
 * tests check: keepalives, TCP attempts, NAT expiry, SA database and IKE
 * SPI map sizes, rekey counters and timer heap consistency. The gateway
 * internals are read, never changed.
 */
#include <string.h>

#include "gw/gw_internal.h"
#include "sim_internal.h"

void sim_get_keepalives(const sim *s, unsigned node, sim_keepalives *out) {
  *out = s->nodes[node].keepalives;
}

void sim_reset_keepalives(sim *s) {
  unsigned i;

  for (i = 0; i < s->node_count; i++)
    memset(&s->nodes[i].keepalives, 0, sizeof(s->nodes[i].keepalives));
}

void sim_set_refuse_tcp(sim *s, int refuse) { s->refuse_tcp = refuse; }

size_t sim_tcp_attempts(const sim *s, unsigned i, uint64_t *times,
                        size_t max) {
  const struct sim_node *n = &s->nodes[i];
  size_t k;

  for (k = 0; k < max && k < n->attempt_count && k < SIM_MAX_ATTEMPTS; k++)
    times[k] = n->attempts[k];
  return n->attempt_count;
}

uint64_t sim_nat_expired(const sim *s) { return s->nat_expired; }

long sim_live_blocks(const sim *s, unsigned node) {
  return s->nodes[node].live_blocks;
}

static void add_instance(const struct tcpsec_gw *gw, size_t index,
                         uint64_t now, sim_node_totals *t) {
  tcpsec_gw_ike_status st;
  tcpsec_gw_child_status cs;
  size_t k;

  memset(&st, 0, sizeof(st));
  st.size = sizeof(st);
  if (tcpsec_gw_get_ike_status(gw, index, now, &st) != 0)
    return;
  t->instances++;
  if (st.state == TCPSEC_IKE_SA_ESTABLISHED)
    t->established++;
  t->ike_created += st.ike_created;
  t->child_created += st.child_created;
  t->ike_rekeys += st.ike_rekeys;
  t->child_rekeys += st.child_rekeys;
  t->rekey_collisions += st.rekey_collisions;
  t->create_child_refused += st.create_child_refused;
  for (k = 0; k < st.child_count; k++) {
    memset(&cs, 0, sizeof(cs));
    cs.size = sizeof(cs);
    if (tcpsec_gw_get_child_status(gw, index, k, now, &cs) != 0)
      continue;
    t->child_pairs++;
    if (cs.pfs_group != 0)
      t->pfs_pairs++;
  }
}

void sim_get_totals(const sim *s, unsigned node, sim_node_totals *out) {
  const struct tcpsec_gw *gw = s->nodes[node].gw;
  tcpsec_sad_stats sad;
  size_t i;

  memset(out, 0, sizeof(*out));
  for (i = 0; i < gw->peer_count; i++) {
    add_instance(gw, i, s->now, out);
    out->old_ike_spis += gw->peers[i]->old_spi_count;
  }
  memset(&sad, 0, sizeof(sad));
  sad.size = sizeof(sad);
  if (tcpsec_sad_get_stats(gw->sad, &sad) == 0) {
    out->sad_children = sad.child_sas;
    out->sad_reserved = sad.reserved_spis;
  }
  out->ike_map_entries = gw->ike_map_count;
  out->timer_errors = gw_timer_check(gw);
}

size_t sim_timer_errors(const sim *s) {
  size_t errors = 0;
  unsigned i;

  for (i = 0; i < s->node_count; i++)
    errors += gw_timer_check(s->nodes[i].gw);
  return errors;
}
