/*
 * Deterministic network simulation for gateways: one hub and many spokes
 * in one process, a simulated clock, seeded randomness, a NAT in front of
 * the spokes, and a carrier that can drop UDP, lose, duplicate, reorder and
 * delay datagrams, split TCP byte streams into random chunks, and reset TCP
 * connections.
 *
 * Nothing touches a real network: every "packet" is a buffer in a queue.
 */
#ifndef TCPSEC_SIM_H
#define TCPSEC_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "tcpsec/gw.h"
#include "testutil.h"

#define SIM_MAX_NODES 256

/* One-way delay of every datagram and TCP segment, in milliseconds. */
#define SIM_LATENCY_MS 5

typedef struct sim_options {
  uint64_t seed;
  unsigned spokes;          /* number of spokes */
  int transport;            /* TCPSEC_GW_TRANSPORT_* of the spokes */
  int hub_transport;        /* TCPSEC_GW_TRANSPORT_* of the hub */
  int fortinet_esp;         /* segment mode on both sides */
  int nat;                  /* spokes behind one masquerading NAT */
  int block_udp;            /* carrier drops every UDP datagram */
  unsigned loss_pct;        /* datagram loss, percent */
  unsigned dup_pct;         /* datagram duplication, percent */
  unsigned reorder_pct;     /* datagram extra delay (reordering), percent */
  int split_tcp;            /* deliver TCP bytes in random chunks */
  uint32_t auto_threshold_ms;
  const char *ike_proposal; /* NULL: gateway default */
  const char *esp_proposal;
  const uint16_t *groups;
  size_t group_count;
  /* Lifetimes of hub and spokes in ms; 0 keeps the gateway default. */
  uint64_t ike_lifetime_ms;
  uint64_t ike_rekey_ms;
  uint64_t child_lifetime_ms;
  uint64_t child_rekey_ms;
  uint16_t pfs_group;       /* PFS group of the spokes pfs_spokes selects */
  int pfs_spokes;           /* 0: no spoke, 1: all, 2: odd-numbered ones */
  uint32_t dpd_interval_ms; /* default 10000; 0 disables */
  uint32_t nat_keepalive_ms; /* default 20000; 0 disables */
  uint32_t nat_udp_idle_ms; /* the NAT removes UDP mappings without
                               outbound packets for this long; 0: never */
  uint32_t tcp_reconnect_ms;     /* 0: gateway default */
  uint32_t tcp_reconnect_max_ms; /* 0: gateway default */
  uint64_t child_lifetime_bytes; /* Child SA limits per direction; 0: none */
  uint64_t child_rekey_bytes;
  uint64_t child_lifetime_packets;
  uint64_t child_rekey_packets;
  int no_rekey; /* hub and spokes only respond to rekeys, start none */
  /* Called for every node (SIM_HUB is 0, spokes 1...) with its tunnel
   * settings before the tunnel is added, to change them (credentials,
   * per-spoke transport). NULL: none. */
  void (*tunnel_hook)(void *user, unsigned node, tcpsec_gw_tunnel_config *t);
  void *hook_user;
  /* Calendar time (seconds since 1970) the gateways' wall_clock callback
   * returns; 0: the gateways get no wall_clock callback. */
  uint64_t wall_clock_s;
} sim_options;

void sim_options_default(sim_options *o);

typedef struct sim sim;

/* Build the hub and spokes; returns NULL on failure (message on stderr). */
sim *sim_new(const sim_options *o);
void sim_free(sim *s);

/* Start every gateway and run until `until_ms` of simulated time. */
void sim_start(sim *s);
void sim_run_until(sim *s, uint64_t until_ms);
uint64_t sim_now(const sim *s);

/* Number of spokes whose tunnel is up (TUNNEL_UP seen, not down since). */
unsigned sim_tunnels_up(const sim *s);
/* Transport the hub's status shows for the instance of spoke `i`
 * (TCPSEC_GW_ON_*), or -1 if there is none. */
int sim_spoke_transport(const sim *s, unsigned i);

/* Send `count` inner packets from spoke i's LAN to the hub's LAN, and as
 * many back; packets carry unique ids. Spoke-to-spoke: from spoke i's LAN
 * to spoke j's LAN, through the hub. */
void sim_send_spoke_to_hub(sim *s, unsigned i, unsigned count);
void sim_send_hub_to_spoke(sim *s, unsigned i, unsigned count);
void sim_send_spoke_to_spoke(sim *s, unsigned i, unsigned j, unsigned count);

/* Packets sent, delivered to the right LAN, delivered twice (must be 0),
 * delivered to a wrong LAN (must be 0). */
typedef struct sim_counts {
  uint64_t sent;
  uint64_t delivered;
  uint64_t duplicates;
  uint64_t misdelivered;
  uint64_t send_errors;
} sim_counts;
void sim_get_counts(const sim *s, sim_counts *c);
void sim_reset_counts(sim *s);

/* Reset every TCP connection of spoke i (both ends see the close). */
void sim_reset_tcp(sim *s, unsigned i);
/* The NAT drops its mappings, so the spokes get new public ports. */
void sim_nat_rebind(sim *s);
/* Set loss and the other impairments while running. */
void sim_set_impairments(sim *s, unsigned loss, unsigned dup, unsigned reorder,
                         int split_tcp);

/* Let the carrier drop (1) or pass (0) UDP from now on. */
void sim_set_block_udp(sim *s, int block);
/* State of spoke i's IKE SA as its status shows it (tcpsec_ike_sa_state),
 * or -1 when it has none. */
int sim_spoke_ike_state(const sim *s, unsigned i);

/* NEGOTIATION_FAILED events node `node` reported; *last_reason receives
 * the reason of the latest one (0 when there was none). */
unsigned sim_failures(const sim *s, unsigned node, int *last_reason);
/* The gateway of node `node`, for status checks. */
tcpsec_gw *sim_gateway(const sim *s, unsigned node);

/* Check invariants (no duplicate, no misdelivery, SA counts bounded);
 * returns 0 when they hold, else prints and returns -1. */
int sim_check_invariants(const sim *s);

/* Installed Child SAs in all gateways (for leak checks). */
size_t sim_total_children(const sim *s);
/* How many IKE SAs the hub status shows established. */
unsigned sim_hub_instances(const sim *s);

/* ---- sim_inspect.c --------------------------------------------------- */

/* NAT keepalives (1-byte 0xFF datagrams) a node sent, and the gaps between
 * them. */
typedef struct sim_keepalives {
  uint64_t count;
  uint64_t first_ms;
  uint64_t last_ms;
  uint64_t min_gap_ms;
  uint64_t max_gap_ms;
} sim_keepalives;
void sim_get_keepalives(const sim *s, unsigned node, sim_keepalives *out);
void sim_reset_keepalives(sim *s);

/* The hub refuses (1) or accepts (0) TCP connections from now on. */
void sim_set_refuse_tcp(sim *s, int refuse);
/* Times of the TCP connection attempts of spoke i (at most 64 kept);
 * returns how many were made. */
size_t sim_tcp_attempts(const sim *s, unsigned i, uint64_t *times,
                        size_t max);
/* UDP mappings the NAT removed because they were idle. */
uint64_t sim_nat_expired(const sim *s);

/* Sum of the status of every instance of a node (its IKE SA and rekey
 * counters), for the checks after many rekeys. */
typedef struct sim_node_totals {
  unsigned instances;
  unsigned established;
  uint64_t ike_created;
  uint64_t child_created;      /* Child SA pairs installed so far */
  uint64_t ike_rekeys;
  uint64_t child_rekeys;
  uint64_t rekey_collisions;
  uint64_t create_child_refused;
  uint64_t child_pairs;        /* Child SA pairs in the status */
  uint64_t pfs_pairs;          /* of those, made with a key exchange */
  uint64_t sad_children;       /* Child SAs in the node's SA database */
  uint64_t sad_reserved;       /* SPIs reserved but not installed */
  uint64_t old_ike_spis;       /* initiator SPIs of rekeyed IKE SAs routed */
  uint64_t ike_map_entries;    /* entries in the IKE SPI map */
  uint64_t timer_errors;       /* deadlines filed later than due */
} sim_node_totals;
void sim_get_totals(const sim *s, unsigned node, sim_node_totals *out);
/* Blocks the node's context allocated and has not freed. */
long sim_live_blocks(const sim *s, unsigned node);

#endif /* TCPSEC_SIM_H */
