/*
 * Selector index: finds the Child SA whose traffic selectors match an
 * outbound inner packet. It is the SPD lookup of RFC 4301 reduced to the
 * PROTECT entries that Child SAs install.
 *
 * Each (local selector, remote selector) pair of a Child SA is an entry.
 * The remote address range of an entry is split into the fewest aligned
 * prefixes that cover it exactly, and each prefix is a node in a hash table
 * keyed by (family, prefix length, prefix bits). A lookup hashes the
 * packet's destination once for every prefix length that has nodes, longest
 * first, checks the rest of each candidate entry and keeps the most
 * specific one (order documented in tcpsec/sa.h). The cost is bounded by
 * the number of distinct prefix lengths (33 for IPv4, 129 for IPv6) plus
 * the entries that share a prefix, whatever the number of Child SAs.
 */
#include <string.h>

#include "core/ctx.h"
#include "core/util.h"
#include "sa/sa_internal.h"

/* ---- 128-bit unsigned arithmetic on big-endian addresses ----------------- */

typedef struct u128 {
  uint64_t hi, lo;
} u128;

static u128 u128_from_addr(const uint8_t *addr, size_t len) {
  u128 v = {0, 0};

  if (len == 4) {
    v.lo = tcpsec_load_be32(addr);
  } else {
    v.hi = tcpsec_load_be64(addr);
    v.lo = tcpsec_load_be64(addr + 8);
  }
  return v;
}

static void u128_to_addr(u128 v, uint8_t *addr, size_t len) {
  memset(addr, 0, 16);
  if (len == 4) {
    tcpsec_store_be32(addr, (uint32_t)v.lo);
  } else {
    tcpsec_store_be64(addr, v.hi);
    tcpsec_store_be64(addr + 8, v.lo);
  }
}

static int u128_cmp(u128 a, u128 b) {
  if (a.hi != b.hi)
    return a.hi < b.hi ? -1 : 1;
  if (a.lo != b.lo)
    return a.lo < b.lo ? -1 : 1;
  return 0;
}

static u128 u128_sub(u128 a, u128 b) {
  u128 r;

  r.lo = a.lo - b.lo;
  r.hi = a.hi - b.hi - (a.lo < b.lo);
  return r;
}

/* 2^k - 1 for k in 0..128. */
static u128 u128_low_mask(unsigned k) {
  u128 r;

  if (k >= 128) {
    r.hi = r.lo = UINT64_MAX;
  } else if (k >= 64) {
    r.lo = UINT64_MAX;
    r.hi = k == 64 ? 0 : UINT64_MAX >> (128 - k);
  } else {
    r.hi = 0;
    r.lo = k == 0 ? 0 : UINT64_MAX >> (64 - k);
  }
  return r;
}

static int u128_is_zero_under(u128 v, u128 mask) {
  return (v.hi & mask.hi) == 0 && (v.lo & mask.lo) == 0;
}

static u128 u128_or(u128 a, u128 b) {
  u128 r = {a.hi | b.hi, a.lo | b.lo};
  return r;
}

/* a + 1, saturating at the maximum (callers stop before that). */
static u128 u128_inc(u128 a) {
  a.lo++;
  if (a.lo == 0)
    a.hi++;
  return a;
}

/* ---- selectors ----------------------------------------------------------- */

static size_t ts_addr_len(const tcpsec_sa_traffic_selector *ts) {
  return ts->ts_type == TCPSEC_TS_IPV4_ADDR_RANGE ? 4 : 16;
}

int tcpsec_spd_selector_valid(const tcpsec_sa_traffic_selector *ts) {
  size_t n;

  if (ts->ts_type != TCPSEC_TS_IPV4_ADDR_RANGE &&
      ts->ts_type != TCPSEC_TS_IPV6_ADDR_RANGE)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  n = ts_addr_len(ts);
  if (memcmp(ts->start_addr, ts->end_addr, n) > 0 ||
      ts->start_port > ts->end_port)
    return TCPSEC_ERR_INVALID_ARGUMENT;
  return 0;
}

static int addr_in_range(const tcpsec_sa_traffic_selector *ts,
                         const uint8_t *addr) {
  size_t n = ts_addr_len(ts);

  return memcmp(addr, ts->start_addr, n) >= 0 &&
         memcmp(addr, ts->end_addr, n) <= 0;
}

static int full_port_range(const tcpsec_sa_traffic_selector *ts) {
  return ts->start_port == 0 && ts->end_port == 0xffff;
}

int tcpsec_spd_entry_matches(const spd_entry *e, const tcpsec_flow *flow) {
  uint8_t type = flow->family == 4 ? TCPSEC_TS_IPV4_ADDR_RANGE
                                   : TCPSEC_TS_IPV6_ADDR_RANGE;

  if (e->local.ts_type != type || e->remote.ts_type != type)
    return 0;
  if ((e->local.ip_protocol != 0 && e->local.ip_protocol != flow->protocol) ||
      (e->remote.ip_protocol != 0 && e->remote.ip_protocol != flow->protocol))
    return 0;
  if (!addr_in_range(&e->local, flow->src) ||
      !addr_in_range(&e->remote, flow->dst))
    return 0;
  if (!flow->has_ports)
    return full_port_range(&e->local) && full_port_range(&e->remote);
  return flow->src_port >= e->local.start_port &&
         flow->src_port <= e->local.end_port &&
         flow->dst_port >= e->remote.start_port &&
         flow->dst_port <= e->remote.end_port;
}

static u128 range_size(const tcpsec_sa_traffic_selector *ts) {
  size_t n = ts_addr_len(ts);

  return u128_sub(u128_from_addr(ts->end_addr, n),
                  u128_from_addr(ts->start_addr, n));
}

static int cmp_u32(uint32_t a, uint32_t b) {
  return a < b ? -1 : a > b;
}

/* Negative when a is preferred over b (the order of tcpsec/sa.h). */
static int entry_cmp(const spd_entry *a, const spd_entry *b) {
  int r;
  int a_any = a->local.ip_protocol == 0 && a->remote.ip_protocol == 0;
  int b_any = b->local.ip_protocol == 0 && b->remote.ip_protocol == 0;

  if ((r = u128_cmp(range_size(&a->remote), range_size(&b->remote))) != 0)
    return r;
  if ((r = u128_cmp(range_size(&a->local), range_size(&b->local))) != 0)
    return r;
  if (a_any != b_any)
    return a_any - b_any;
  if ((r = cmp_u32((uint32_t)(a->remote.end_port - a->remote.start_port),
                   (uint32_t)(b->remote.end_port - b->remote.start_port))) != 0)
    return r;
  if ((r = cmp_u32((uint32_t)(a->local.end_port - a->local.start_port),
                   (uint32_t)(b->local.end_port - b->local.start_port))) != 0)
    return r;
  return a->order > b->order ? -1 : a->order < b->order;
}

/* ---- hash table of prefix nodes ------------------------------------------ */

static uint32_t node_hash(const tcpsec_spd *spd, uint8_t family_index,
                          uint8_t prefix_len, const uint8_t *prefix) {
  uint8_t key[18];

  key[0] = family_index;
  key[1] = prefix_len;
  memcpy(key + 2, prefix, 16);
  return (uint32_t)tcpsec_siphash24(spd->hash_key, key, sizeof(key));
}

static size_t pow2_at_least(size_t n) {
  size_t p = 16;

  while (p < n && p < ((size_t)1 << (sizeof(size_t) * 8 - 2)))
    p <<= 1;
  return p;
}

int tcpsec_spd_init(tcpsec_spd *spd, tcpsec_ctx *ctx, const uint64_t key[2],
                    size_t initial_entries) {
  memset(spd, 0, sizeof(*spd));
  spd->ctx = ctx;
  spd->hash_key[0] = key[0];
  spd->hash_key[1] = key[1];
  spd->bucket_count = pow2_at_least(initial_entries);
  spd->buckets = tcpsec_calloc(ctx, spd->bucket_count, sizeof(*spd->buckets));
  if (spd->buckets == NULL)
    return TCPSEC_ERR_NO_MEMORY;
  spd->bytes = spd->bucket_count * sizeof(*spd->buckets);
  return 0;
}

void tcpsec_spd_clear(tcpsec_spd *spd) {
  tcpsec_free(spd->ctx, spd->buckets);
  spd->buckets = NULL;
  spd->bucket_count = 0;
}

/* Double the bucket array when chains would average more than one node. A
 * failed allocation keeps the old array: lookups stay correct, only
 * slower, so growth never makes an install fail. */
static void maybe_grow(tcpsec_spd *spd, size_t extra) {
  spd_node **nb;
  size_t nc, i;

  if (spd->node_count + extra <= spd->bucket_count)
    return;
  nc = pow2_at_least(spd->node_count + extra);
  nb = tcpsec_calloc(spd->ctx, nc, sizeof(*nb));
  if (nb == NULL)
    return;
  for (i = 0; i < spd->bucket_count; i++) {
    spd_node *n = spd->buckets[i], *next;
    for (; n != NULL; n = next) {
      next = n->next;
      n->next = nb[n->hash & (nc - 1)];
      nb[n->hash & (nc - 1)] = n;
    }
  }
  tcpsec_free(spd->ctx, spd->buckets);
  spd->bytes += (nc - spd->bucket_count) * sizeof(*nb);
  spd->buckets = nb;
  spd->bucket_count = nc;
}

/*
 * Split [start, end] into aligned prefixes, filling nodes[] (or only
 * counting them when nodes is NULL). Each step takes the largest block
 * 2^k that starts at `start`, is aligned to its size and ends no later than
 * `end`. Returns the number of prefixes (at most 2 * bits).
 */
static size_t split_range(u128 start, u128 end, unsigned bits,
                          spd_node *nodes, uint8_t family_index,
                          size_t addr_len) {
  size_t count = 0;

  for (;;) {
    unsigned k = bits;

    while (k > 0 && (!u128_is_zero_under(start, u128_low_mask(k)) ||
                     u128_cmp(u128_or(start, u128_low_mask(k)), end) > 0))
      k--;
    if (nodes != NULL) {
      spd_node *n = &nodes[count];
      n->family_index = family_index;
      n->prefix_len = (uint8_t)(bits - k);
      u128_to_addr(start, n->prefix, addr_len);
    }
    count++;
    if (u128_cmp(u128_or(start, u128_low_mask(k)), end) >= 0)
      break;
    start = u128_inc(u128_or(start, u128_low_mask(k)));
  }
  return count;
}

size_t tcpsec_spd_prefix_count(const tcpsec_sa_traffic_selector *remote) {
  size_t len = ts_addr_len(remote);

  return split_range(u128_from_addr(remote->start_addr, len),
                     u128_from_addr(remote->end_addr, len),
                     (unsigned)len * 8, NULL, 0, len);
}

void tcpsec_spd_add(tcpsec_spd *spd, spd_entry *e, spd_node *nodes) {
  size_t len = ts_addr_len(&e->remote), i;
  uint8_t family_index = len == 4 ? 0 : 1;

  e->nodes = nodes;
  e->node_count = split_range(u128_from_addr(e->remote.start_addr, len),
                              u128_from_addr(e->remote.end_addr, len),
                              (unsigned)len * 8, nodes, family_index, len);
  maybe_grow(spd, e->node_count);
  for (i = 0; i < e->node_count; i++) {
    spd_node *n = &nodes[i];
    size_t b;

    n->entry = e;
    n->hash = node_hash(spd, n->family_index, n->prefix_len, n->prefix);
    b = n->hash & (spd->bucket_count - 1);
    n->next = spd->buckets[b];
    spd->buckets[b] = n;
    spd->prefix_refs[n->family_index][n->prefix_len]++;
  }
  spd->node_count += e->node_count;
}

void tcpsec_spd_remove(tcpsec_spd *spd, spd_entry *e) {
  size_t i;

  for (i = 0; i < e->node_count; i++) {
    spd_node *n = &e->nodes[i], **pp;

    pp = &spd->buckets[n->hash & (spd->bucket_count - 1)];
    while (*pp != NULL && *pp != n)
      pp = &(*pp)->next;
    if (*pp == n)
      *pp = n->next;
    spd->prefix_refs[n->family_index][n->prefix_len]--;
  }
  spd->node_count -= e->node_count;
  e->nodes = NULL;
  e->node_count = 0;
}

/* Destination address with the bits beyond prefix_len cleared. */
static void mask_address(const uint8_t *addr, size_t len, unsigned prefix_len,
                         uint8_t *out) {
  size_t i;

  memset(out, 0, 16);
  for (i = 0; i < len; i++) {
    unsigned bit = (unsigned)i * 8;
    if (bit + 8 <= prefix_len)
      out[i] = addr[i];
    else if (bit < prefix_len)
      out[i] = (uint8_t)(addr[i] & (0xff << (8 - (prefix_len - bit))));
  }
}

const spd_entry *tcpsec_spd_lookup(const tcpsec_spd *spd,
                                   const tcpsec_flow *flow) {
  uint8_t family_index = flow->family == 4 ? 0 : 1;
  size_t len = flow->family == 4 ? 4 : 16;
  const spd_entry *best = NULL;
  int plen;

  for (plen = (int)len * 8; plen >= 0; plen--) {
    const spd_node *n;
    uint8_t prefix[16];
    uint32_t h;

    if (spd->prefix_refs[family_index][plen] == 0)
      continue;
    mask_address(flow->dst, len, (unsigned)plen, prefix);
    h = node_hash(spd, family_index, (uint8_t)plen, prefix);
    for (n = spd->buckets[h & (spd->bucket_count - 1)]; n != NULL;
         n = n->next) {
      if (n->hash != h || n->family_index != family_index ||
          n->prefix_len != plen || memcmp(n->prefix, prefix, 16) != 0)
        continue;
      if (!tcpsec_spd_entry_matches(n->entry, flow))
        continue;
      if (best == NULL || entry_cmp(n->entry, best) < 0)
        best = n->entry;
    }
  }
  return best;
}
