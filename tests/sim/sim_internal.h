/*
 * Internal state of the network simulation, shared by sim.c (network,
 * NAT, gateway callbacks, running) and sim_inspect.c (counters and views
 * into the gateways for the checks of the tests).
 */
#ifndef TCPSEC_SIM_INTERNAL_H
#define TCPSEC_SIM_INTERNAL_H

#include "sim.h"

#define SIM_HUB 0
#define SIM_MAX_IDS (1u << 22)
#define SIM_BUF 70000
#define GW_SIM_MAX_CHILDREN 4
#define SIM_MAX_ATTEMPTS 64 /* TCP connection attempts recorded per spoke */

enum ev_kind { EV_UDP, EV_ESP, EV_TCP_CONNECT, EV_TCP_DATA, EV_TCP_CLOSE,
               EV_RAW, EV_INNER, EV_TCP_REFUSED };

struct sim_ev {
  uint64_t at;
  uint64_t order;
  int kind;
  int node;
  unsigned tcp; /* index into tcps */
  tcpsec_ike_endpoint local;
  tcpsec_ike_endpoint remote;
  uint8_t *data;
  size_t len;
};

struct sim_tcp {
  int alive;
  int client;             /* spoke node */
  tcpsec_gw_conn c_handle;
  tcpsec_gw_conn s_handle;
  tcpsec_ike_endpoint c_ep;   /* spoke's view of itself */
  tcpsec_ike_endpoint pub_ep; /* hub's view of the spoke */
  tcpsec_ike_endpoint s_ep;   /* hub */
  uint32_t isn_c, isn_s;
  uint32_t c_sent, s_sent;
  uint64_t c_last, s_last; /* last delivery time per direction */
};

struct sim_node {
  sim *s;
  int index;
  tcpsec_ctx *ctx;
  test_rng rng;
  tcpsec_gw *gw;
  int up;
  uint32_t wan; /* host byte order */
  uint32_t lan; /* network, /24 */
  long live_blocks;       /* allocations of the node's context not freed */
  sim_keepalives keepalives;
  uint64_t attempts[SIM_MAX_ATTEMPTS]; /* times of TCP connection attempts */
  size_t attempt_count;
  unsigned failures;       /* NEGOTIATION_FAILED events */
  int last_failure_reason; /* reason of the latest one */
};

struct nat_entry {
  uint8_t proto;
  uint32_t priv_addr;
  uint16_t priv_port;
  uint16_t pub_port;
  uint64_t last_out_ms; /* last packet from the private side */
};

struct sim {
  sim_options o;
  uint64_t now;
  uint64_t order;
  test_rng rng;
  struct sim_node nodes[SIM_MAX_NODES + 1];
  unsigned node_count;

  struct sim_ev *heap;
  size_t heap_len, heap_cap;

  struct sim_tcp *tcps;
  size_t tcp_count, tcp_cap;

  struct nat_entry *nat;
  size_t nat_count, nat_cap;
  uint16_t nat_next_port;
  uint16_t next_ephemeral;
  uint64_t nat_expired; /* UDP mappings removed after being idle */
  int refuse_tcp;       /* the hub refuses TCP connections */

  uint8_t *seen;
  uint64_t next_id;
  sim_counts counts;
  uint8_t buf[SIM_BUF]; /* inner packets handed to the gateways */
  uint8_t raw[SIM_BUF]; /* segments rewritten by the NAT */
};

/* Instances, in all gateways, whose deadline in the timer heap lies after
 * their actual next timeout (sim_inspect.c). */
size_t sim_timer_errors(const sim *s);

#endif /* TCPSEC_SIM_INTERNAL_H */
