/*
 * Internal parts of the SA database: the keyed hash, the inner packet
 * parser that extracts traffic selector fields, and the selector index
 * (SPD) that maps an inner packet to a Child SA.
 */
#ifndef TCPSEC_SA_INTERNAL_H
#define TCPSEC_SA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tcpsec/sa.h"

/* ---- keyed hash ----------------------------------------------------------- */

/* SipHash-2-4 of len bytes under a 128-bit key. A peer that does not know
 * the key cannot predict which bucket a value lands in. */
uint64_t tcpsec_siphash24(const uint64_t key[2], const uint8_t *data,
                          size_t len);

/* ---- inner packet fields -------------------------------------------------- */

/* The fields of an inner packet that traffic selectors look at. */
typedef struct tcpsec_flow {
  uint8_t family;    /* 4 or 6 */
  uint8_t protocol;  /* upper-layer protocol after IPv6 extension headers */
  uint8_t has_ports; /* 0 for protocols without ports and later fragments */
  uint16_t src_port; /* ICMP and ICMPv6: type * 256 + code in both */
  uint16_t dst_port;
  uint8_t src[16];   /* IPv4 in the first 4 bytes */
  uint8_t dst[16];
} tcpsec_flow;

/* Parse an IPv4 or IPv6 packet; TCPSEC_ERR_BAD_INNER_PACKET if it is not
 * one. */
int tcpsec_flow_parse(const uint8_t *packet, size_t len, tcpsec_flow *flow);

/* ---- selector index ------------------------------------------------------- */

struct sad_child;
struct spd_entry;

/* One aligned prefix of an entry's remote address range, linked into the
 * index's hash table. */
typedef struct spd_node {
  struct spd_node *next;      /* hash chain */
  struct spd_entry *entry;
  uint32_t hash;
  uint8_t family_index;       /* 0 IPv4, 1 IPv6 */
  uint8_t prefix_len;
  uint8_t prefix[16];         /* address bits beyond prefix_len are zero */
} spd_node;

/* One pair (local selector, remote selector) of a Child SA. */
typedef struct spd_entry {
  tcpsec_sa_traffic_selector local;
  tcpsec_sa_traffic_selector remote;
  struct sad_child *child;
  uint64_t order;             /* install counter: larger is newer */
  spd_node *nodes;            /* remote range split into prefixes */
  size_t node_count;
} spd_entry;

typedef struct tcpsec_spd {
  tcpsec_ctx *ctx;
  uint64_t hash_key[2];
  struct spd_node **buckets;
  size_t bucket_count;        /* power of two */
  size_t node_count;
  /* Nodes per (family, prefix length): lookups skip lengths with none.
   * Index 0 is IPv4 (lengths 0-32), index 1 IPv6 (0-128). */
  uint32_t prefix_refs[2][129];
  size_t bytes;               /* bucket array */
} tcpsec_spd;

int tcpsec_spd_init(tcpsec_spd *spd, tcpsec_ctx *ctx, const uint64_t key[2],
                    size_t initial_entries);
void tcpsec_spd_clear(tcpsec_spd *spd);

/* 0 when the selector is well formed. */
int tcpsec_spd_selector_valid(const tcpsec_sa_traffic_selector *ts);

/* Number of prefixes the remote range splits into (at most 256). */
size_t tcpsec_spd_prefix_count(const tcpsec_sa_traffic_selector *remote);

/* Fill `nodes` (tcpsec_spd_prefix_count() of them, owned by the caller and
 * kept alive until tcpsec_spd_remove()) for the entry's remote range and
 * link them into the index. The entry's selectors, child and order must be
 * set. Cannot fail: a bucket array that cannot grow only makes chains
 * longer. */
void tcpsec_spd_add(tcpsec_spd *spd, spd_entry *entry, spd_node *nodes);
void tcpsec_spd_remove(tcpsec_spd *spd, spd_entry *entry);

/* Most specific entry matching the flow (see tcpsec/sa.h), or NULL. */
const spd_entry *tcpsec_spd_lookup(const tcpsec_spd *spd,
                                   const tcpsec_flow *flow);

/* 1 when the entry's selectors match the flow. */
int tcpsec_spd_entry_matches(const spd_entry *e, const tcpsec_flow *flow);

#endif /* TCPSEC_SA_INTERNAL_H */
