/* Address and prefix parsing and formatting. */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

size_t net_addr_size(const struct net_addr *addr) {
  switch (addr->family) {
  case NET_FAMILY_IPV4:
    return 4;
  case NET_FAMILY_IPV6:
    return 16;
  default:
    return 0;
  }
}

int net_addr_parse(const char *text, struct net_addr *out) {
  memset(out, 0, sizeof(*out));
  if (inet_pton(AF_INET, text, out->bytes) == 1) {
    out->family = NET_FAMILY_IPV4;
    return 0;
  }
  if (inet_pton(AF_INET6, text, out->bytes) == 1) {
    out->family = NET_FAMILY_IPV6;
    return 0;
  }
  memset(out, 0, sizeof(*out));
  return -1;
}

int net_netmask_length(const uint8_t mask[4]) {
  uint32_t m = (uint32_t)mask[0] << 24 | (uint32_t)mask[1] << 16 |
               (uint32_t)mask[2] << 8 | mask[3];
  int length = 0;

  while (length < 32 && (m & 0x80000000u) != 0) {
    m <<= 1;
    length++;
  }
  return m == 0 ? length : -1;
}

int net_prefix_clear_host_bits(struct net_prefix *prefix) {
  size_t size = net_addr_size(&prefix->addr);
  int had_host_bits = 0;
  size_t i;

  for (i = 0; i < size; i++) {
    unsigned first_bit = (unsigned)i * 8;
    uint8_t keep;

    if (first_bit + 8 <= prefix->length)
      continue;
    if (first_bit >= prefix->length)
      keep = 0;
    else
      keep = (uint8_t)(0xff << (8 - (prefix->length - first_bit)));
    if ((prefix->addr.bytes[i] & (uint8_t)~keep) != 0)
      had_host_bits = 1;
    prefix->addr.bytes[i] &= keep;
  }
  return had_host_bits;
}

/* Parse a decimal prefix length of at most three digits. */
static int parse_length(const char *text, unsigned max, uint8_t *out) {
  unsigned value = 0;
  size_t i;

  if (text[0] == '\0' || strlen(text) > 3)
    return -1;
  for (i = 0; text[i] != '\0'; i++) {
    if (text[i] < '0' || text[i] > '9')
      return -1;
    value = value * 10 + (unsigned)(text[i] - '0');
  }
  if (value > max)
    return -1;
  *out = (uint8_t)value;
  return 0;
}

/* Store the prefix in *out unless it has host bits that are not allowed. */
static int finish_prefix(const struct net_prefix *prefix,
                         int host_bits_allowed, struct net_prefix *out) {
  struct net_prefix masked = *prefix;

  if (net_prefix_clear_host_bits(&masked) && !host_bits_allowed)
    return NET_PREFIX_HOST_BITS;
  *out = *prefix;
  return 0;
}

int net_prefix_from_mask(const char *address, const char *netmask,
                         int host_bits_allowed, struct net_prefix *out) {
  struct net_prefix prefix;
  struct net_addr mask;
  int length;

  memset(&prefix, 0, sizeof(prefix));
  if (net_addr_parse(address, &prefix.addr) != 0)
    return NET_PREFIX_BAD_ADDRESS;
  if (prefix.addr.family != NET_FAMILY_IPV4)
    return NET_PREFIX_BAD_MASK;
  if (net_addr_parse(netmask, &mask) != 0 || mask.family != NET_FAMILY_IPV4)
    return NET_PREFIX_BAD_MASK;
  length = net_netmask_length(mask.bytes);
  if (length < 0)
    return NET_PREFIX_BAD_MASK;
  prefix.length = (uint8_t)length;
  return finish_prefix(&prefix, host_bits_allowed, out);
}

int net_prefix_parse(const char *text, int host_bits_allowed,
                     struct net_prefix *out) {
  char address[NET_ADDR_TEXT_MAX];
  struct net_prefix prefix;
  const char *slash = strchr(text, '/');
  size_t address_len;
  unsigned max;

  if (slash == NULL)
    return NET_PREFIX_BAD_LENGTH;
  address_len = (size_t)(slash - text);
  if (address_len == 0 || address_len >= sizeof(address))
    return NET_PREFIX_BAD_ADDRESS;
  memcpy(address, text, address_len);
  address[address_len] = '\0';

  memset(&prefix, 0, sizeof(prefix));
  if (net_addr_parse(address, &prefix.addr) != 0)
    return NET_PREFIX_BAD_ADDRESS;

  /* A dotted length is an IPv4 netmask. */
  if (strchr(slash + 1, '.') != NULL)
    return net_prefix_from_mask(address, slash + 1, host_bits_allowed, out);

  max = prefix.addr.family == NET_FAMILY_IPV4 ? 32 : 128;
  if (parse_length(slash + 1, max, &prefix.length) != 0)
    return NET_PREFIX_BAD_LENGTH;
  return finish_prefix(&prefix, host_bits_allowed, out);
}

int net_addr_equal(const struct net_addr *a, const struct net_addr *b) {
  return a->family == b->family &&
         memcmp(a->bytes, b->bytes, net_addr_size(a)) == 0;
}

int net_prefix_contains(const struct net_prefix *prefix,
                        const struct net_addr *addr) {
  struct net_prefix base = *prefix;
  struct net_prefix candidate;

  if (prefix->addr.family != addr->family)
    return 0;
  candidate.addr = *addr;
  candidate.length = prefix->length;

  /* The prefix may carry host bits (an interface address): mask both. */
  net_prefix_clear_host_bits(&base);
  net_prefix_clear_host_bits(&candidate);
  return net_addr_equal(&base.addr, &candidate.addr);
}

void net_addr_format(const struct net_addr *addr, char *buf, size_t size) {
  int af = addr->family == NET_FAMILY_IPV4 ? AF_INET : AF_INET6;

  if (size == 0)
    return;
  if (addr->family == NET_FAMILY_NONE ||
      inet_ntop(af, addr->bytes, buf, (socklen_t)size) == NULL)
    snprintf(buf, size, "%s", addr->family == NET_FAMILY_NONE ? "unset" : "?");
}

void net_prefix_format(const struct net_prefix *prefix, char *buf,
                       size_t size) {
  char text[NET_ADDR_TEXT_MAX];

  net_addr_format(&prefix->addr, text, sizeof(text));
  snprintf(buf, size, "%s/%u", text, (unsigned)prefix->length);
}

void net_endpoint_format(const struct net_endpoint *endpoint, char *buf,
                         size_t size) {
  char text[NET_ADDR_TEXT_MAX];

  net_addr_format(&endpoint->addr, text, sizeof(text));
  if (endpoint->addr.family == NET_FAMILY_IPV6)
    snprintf(buf, size, "[%s]:%u", text, (unsigned)endpoint->port);
  else
    snprintf(buf, size, "%s:%u", text, (unsigned)endpoint->port);
}
