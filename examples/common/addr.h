/*
 * IPv4 and IPv6 addresses and prefixes in a form that needs no socket
 * headers, with parsers for the spellings an administrator types
 * ("10.88.0.0/24", "10.88.0.0/255.255.255.0", "2001:db8::/32").
 */
#ifndef EXAMPLE_ADDR_H
#define EXAMPLE_ADDR_H

#include <stddef.h>
#include <stdint.h>

/* Address family of a net_addr; 0 means "not set". */
enum net_family {
  NET_FAMILY_NONE = 0,
  NET_FAMILY_IPV4 = 4,
  NET_FAMILY_IPV6 = 6
};

/* One address in network byte order. IPv4 uses the first 4 bytes. */
struct net_addr {
  uint8_t family; /* enum net_family */
  uint8_t bytes[16];
};

/* Address with prefix length, as in a route or a traffic selector. */
struct net_prefix {
  struct net_addr addr;
  uint8_t length; /* 0..32 for IPv4, 0..128 for IPv6 */
};

/* Address and port, as at either end of a UDP flow or TCP connection. */
struct net_endpoint {
  struct net_addr addr;
  uint16_t port; /* host byte order */
};

/* Maximum text length, with the NUL, that the *_format() functions write. */
#define NET_ADDR_TEXT_MAX 46
#define NET_PREFIX_TEXT_MAX 50
#define NET_ENDPOINT_TEXT_MAX 54

/* Byte length of an address of the family: 4, 16, or 0 when unset. */
size_t net_addr_size(const struct net_addr *addr);

/* Parse a literal IPv4 or IPv6 address (no prefix, no zone). Returns 0, or
 * -1 when the text is not an address. */
int net_addr_parse(const char *text, struct net_addr *out);

/* Parse "address/length" or "address/netmask" (IPv4 only for the netmask).
 * With host_bits_allowed 0, bits set past the prefix length are rejected,
 * as a route or traffic selector must not have them. Returns 0 or one of
 * the NET_PREFIX_* codes below. */
int net_prefix_parse(const char *text, int host_bits_allowed,
                     struct net_prefix *out);

/* Combine a separately written address and IPv4 netmask ("10.0.0.0" and
 * "255.255.255.0"). Same return codes as net_prefix_parse(). */
int net_prefix_from_mask(const char *address, const char *netmask,
                         int host_bits_allowed, struct net_prefix *out);

#define NET_PREFIX_BAD_ADDRESS -1   /* the part before '/' is no address */
#define NET_PREFIX_BAD_LENGTH -2    /* length not a number or too large */
#define NET_PREFIX_BAD_MASK -3      /* netmask not contiguous ones */
#define NET_PREFIX_HOST_BITS -4     /* address has bits past the prefix */

/* Length of a contiguous IPv4 netmask, or -1 when the ones are not
 * contiguous. */
int net_netmask_length(const uint8_t mask[4]);

/* Zero the address bits past the prefix length; returns 1 when any bit was
 * set. */
int net_prefix_clear_host_bits(struct net_prefix *prefix);

/* 1 when both addresses have the same family and bytes. */
int net_addr_equal(const struct net_addr *a, const struct net_addr *b);

/* 1 when the address lies inside the prefix. */
int net_prefix_contains(const struct net_prefix *prefix,
                        const struct net_addr *addr);

/* Write the address in its usual text form; "unset" for NET_FAMILY_NONE. */
void net_addr_format(const struct net_addr *addr, char *buf, size_t size);

/* Write "address/length". */
void net_prefix_format(const struct net_prefix *prefix, char *buf,
                       size_t size);

/* Write "192.0.2.1:1443" or "[2001:db8::1]:1443". */
void net_endpoint_format(const struct net_endpoint *endpoint, char *buf,
                         size_t size);

#endif /* EXAMPLE_ADDR_H */
