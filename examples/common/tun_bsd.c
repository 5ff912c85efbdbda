/*
 * TUN device on FreeBSD and OpenBSD.
 *
 * The device is /dev/tunN. Every packet read or written starts with a
 * 4-byte address family in network byte order: OpenBSD always adds it,
 * FreeBSD after TUNSIFHEAD is set. Addresses and MTU are set with the
 * classic interface ioctls (SIOCAIFADDR, SIOCAIFADDR_IN6, SIOCSIFMTU,
 * SIOCSIFFLAGS) and routes with a PF_ROUTE socket.
 *
 * NOTE: written against the FreeBSD and OpenBSD headers and manual pages
 * (tun(4), netintro(4), route(4)) but never compiled or run; see
 * docs/platforms.md.
 */
#include "platform.h"
#include "sockaddr.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/sockio.h>
#include <sys/uio.h>

#include <net/if.h>
#include <net/if_dl.h>
#include <net/if_tun.h>
#include <net/route.h>
#include <netinet/in.h>
#include <netinet/in_var.h>
#include <netinet6/in6_var.h>
#include <netinet6/nd6.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define TUN_UNITS_MAX 256

/* Open the named unit, or the first free one. FreeBSD clones a new unit
 * when /dev/tun itself is opened; OpenBSD has fixed units to try. */
static int open_unit(const char *name, char *opened, size_t size) {
  char path[32];
  int fd, unit;

  if (name[0] != '\0') {
    snprintf(path, sizeof(path), "/dev/%s", name);
    fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
      return -errno;
    snprintf(opened, size, "%s", name);
    return fd;
  }
#if defined(__FreeBSD__)
  fd = open("/dev/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0) {
    if (fdevname_r(fd, opened, (int)size) == NULL) {
      close(fd);
      return -ENODEV;
    }
    return fd;
  }
#endif
  for (unit = 0; unit < TUN_UNITS_MAX; unit++) {
    snprintf(path, sizeof(path), "/dev/tun%d", unit);
    fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      snprintf(opened, size, "tun%d", unit);
      return fd;
    }
    if (errno != EBUSY)
      break;
  }
  return -errno;
}

int platform_tun_open(const char *name, struct platform_tun *tun) {
  int fd, rc;

  memset(tun, 0, sizeof(*tun));
  tun->fd = -1;
  if (strlen(name) >= sizeof(tun->name))
    return -ENAMETOOLONG;
  fd = open_unit(name, tun->name, sizeof(tun->name));
  if (fd < 0)
    return fd;
  tun->fd = fd;

#if defined(__FreeBSD__)
  {
    int on = 1;

    /* The address family header on every packet, as on OpenBSD. */
    if (ioctl(fd, TUNSIFHEAD, &on) != 0) {
      rc = -errno;
      platform_tun_close(tun);
      return rc;
    }
  }
#endif
  tun->ifindex = if_nametoindex(tun->name);
  if (tun->ifindex == 0) {
    rc = -errno;
    platform_tun_close(tun);
    return rc;
  }
  return 0;
}

void platform_tun_close(struct platform_tun *tun) {
  if (tun->fd >= 0)
    close(tun->fd);
  tun->fd = -1;
}

static void fill_sin(struct sockaddr_in *sin, const uint8_t bytes[4]) {
  memset(sin, 0, sizeof(*sin));
  sin->sin_len = sizeof(*sin);
  sin->sin_family = AF_INET;
  memcpy(&sin->sin_addr, bytes, 4);
}

static void fill_sin6(struct sockaddr_in6 *sin6, const uint8_t bytes[16]) {
  memset(sin6, 0, sizeof(*sin6));
  sin6->sin6_len = sizeof(*sin6);
  sin6->sin6_family = AF_INET6;
  memcpy(&sin6->sin6_addr, bytes, 16);
}

/* Netmask bytes of a prefix length. */
static void prefix_mask(unsigned length, uint8_t *mask, size_t size) {
  size_t i;

  for (i = 0; i < size; i++) {
    unsigned bits = length > 8 * i ? length - 8 * (unsigned)i : 0;

    mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
  }
}

static int interface_ioctl(int family, unsigned long request, void *arg) {
  int fd = socket(family, SOCK_DGRAM, 0), rc = 0;

  if (fd < 0)
    return -errno;
  if (ioctl(fd, request, arg) != 0)
    rc = -errno;
  close(fd);
  return rc;
}

int platform_tun_add_address(const struct platform_tun *tun,
                             const struct net_prefix *address) {
  if (address->addr.family == NET_FAMILY_IPV4) {
    struct in_aliasreq request;
    uint8_t mask[4];

    memset(&request, 0, sizeof(request));
    snprintf(request.ifra_name, sizeof(request.ifra_name), "%s", tun->name);
    prefix_mask(address->length, mask, sizeof(mask));
    fill_sin(&request.ifra_addr, address->addr.bytes);
    fill_sin(&request.ifra_mask, mask);
    /* tun is point-to-point: the destination is required; using the
     * local address makes the prefix route below the only route. */
    fill_sin(&request.ifra_dstaddr, address->addr.bytes);
    return interface_ioctl(AF_INET, SIOCAIFADDR, &request);
  }
  if (address->addr.family == NET_FAMILY_IPV6) {
    struct in6_aliasreq request;
    uint8_t mask[16];

    memset(&request, 0, sizeof(request));
    snprintf(request.ifra_name, sizeof(request.ifra_name), "%s", tun->name);
    prefix_mask(address->length, mask, sizeof(mask));
    fill_sin6(&request.ifra_addr, address->addr.bytes);
    fill_sin6(&request.ifra_prefixmask, mask);
    request.ifra_lifetime.ia6t_vltime = ND6_INFINITE_LIFETIME;
    request.ifra_lifetime.ia6t_pltime = ND6_INFINITE_LIFETIME;
    return interface_ioctl(AF_INET6, SIOCAIFADDR_IN6, &request);
  }
  return -EAFNOSUPPORT;
}

int platform_tun_set_mtu(const struct platform_tun *tun, unsigned mtu) {
  struct ifreq request;

  memset(&request, 0, sizeof(request));
  snprintf(request.ifr_name, sizeof(request.ifr_name), "%s", tun->name);
  request.ifr_mtu = (int)mtu;
  return interface_ioctl(AF_INET, SIOCSIFMTU, &request);
}

int platform_tun_up(const struct platform_tun *tun) {
  struct ifreq request;
  int rc;

  memset(&request, 0, sizeof(request));
  snprintf(request.ifr_name, sizeof(request.ifr_name), "%s", tun->name);
  rc = interface_ioctl(AF_INET, SIOCGIFFLAGS, &request);
  if (rc != 0)
    return rc;
  request.ifr_flags |= IFF_UP;
  return interface_ioctl(AF_INET, SIOCSIFFLAGS, &request);
}

/* Sockaddrs in a routing message are padded to the size of a long. */
#define ROUNDUP(a) \
  ((a) > 0 ? (1 + (((a)-1) | (sizeof(long) - 1))) : sizeof(long))

static size_t append_sockaddr(char *buf, size_t used, const void *sa,
                              size_t len) {
  memcpy(buf + used, sa, len);
  return used + ROUNDUP(len);
}

static int change_route(const struct platform_tun *tun,
                        const struct net_prefix *destination, int type) {
  struct {
    struct rt_msghdr header;
    char addresses[512];
  } message;
  char *buf = (char *)&message;
  struct sockaddr_dl gateway;
  size_t used = sizeof(message.header);
  int fd, rc = 0;

  memset(&message, 0, sizeof(message));
  message.header.rtm_version = RTM_VERSION;
  message.header.rtm_type = (unsigned char)type;
  message.header.rtm_flags = RTF_UP | RTF_STATIC;
  message.header.rtm_addrs = RTA_DST | RTA_GATEWAY | RTA_NETMASK;
  message.header.rtm_seq = 1;
  message.header.rtm_pid = getpid();
#if defined(__OpenBSD__)
  message.header.rtm_hdrlen = sizeof(message.header);
  message.header.rtm_tableid = 0;
  message.header.rtm_priority = RTP_STATIC;
#endif

  /* Destination, then the interface as a link-layer gateway, then the
   * netmask: the order of the RTA_* bits. */
  if (destination->addr.family == NET_FAMILY_IPV4) {
    struct sockaddr_in dst, mask;
    uint8_t mask_bytes[4];

    prefix_mask(destination->length, mask_bytes, sizeof(mask_bytes));
    fill_sin(&dst, destination->addr.bytes);
    fill_sin(&mask, mask_bytes);
    used = append_sockaddr(buf, used, &dst, sizeof(dst));
    memset(&gateway, 0, sizeof(gateway));
    gateway.sdl_len = sizeof(gateway);
    gateway.sdl_family = AF_LINK;
    gateway.sdl_index = (unsigned short)tun->ifindex;
    used = append_sockaddr(buf, used, &gateway, sizeof(gateway));
    used = append_sockaddr(buf, used, &mask, sizeof(mask));
  } else if (destination->addr.family == NET_FAMILY_IPV6) {
    struct sockaddr_in6 dst, mask;
    uint8_t mask_bytes[16];

    prefix_mask(destination->length, mask_bytes, sizeof(mask_bytes));
    fill_sin6(&dst, destination->addr.bytes);
    fill_sin6(&mask, mask_bytes);
    used = append_sockaddr(buf, used, &dst, sizeof(dst));
    memset(&gateway, 0, sizeof(gateway));
    gateway.sdl_len = sizeof(gateway);
    gateway.sdl_family = AF_LINK;
    gateway.sdl_index = (unsigned short)tun->ifindex;
    used = append_sockaddr(buf, used, &gateway, sizeof(gateway));
    used = append_sockaddr(buf, used, &mask, sizeof(mask));
  } else {
    return -EAFNOSUPPORT;
  }
  message.header.rtm_msglen = (unsigned short)used;

  fd = socket(PF_ROUTE, SOCK_RAW, 0);
  if (fd < 0)
    return -errno;
  if (write(fd, &message, used) < 0)
    rc = -errno;
  close(fd);
  return rc;
}

int platform_route_add(const struct platform_tun *tun,
                       const struct net_prefix *destination) {
  return change_route(tun, destination, RTM_ADD);
}

int platform_route_delete(const struct platform_tun *tun,
                          const struct net_prefix *destination) {
  return change_route(tun, destination, RTM_DELETE);
}

ssize_t platform_tun_read(const struct platform_tun *tun, void *buf,
                          size_t capacity) {
  uint32_t family;
  struct iovec iov[2] = {{&family, sizeof(family)}, {buf, capacity}};
  ssize_t n = readv(tun->fd, iov, 2);

  if (n < 0)
    return -errno;
  if ((size_t)n < sizeof(family))
    return -EIO;
  return n - (ssize_t)sizeof(family);
}

ssize_t platform_tun_write(const struct platform_tun *tun, const void *packet,
                           size_t len) {
  const uint8_t *bytes = packet;
  uint32_t family;
  struct iovec iov[2];
  ssize_t n;

  if (len == 0)
    return -EINVAL;
  family = htonl(bytes[0] >> 4 == 6 ? AF_INET6 : AF_INET);
  iov[0].iov_base = &family;
  iov[0].iov_len = sizeof(family);
  iov[1].iov_base = (void *)(uintptr_t)packet;
  iov[1].iov_len = len;
  n = writev(tun->fd, iov, 2);
  if (n < 0)
    return -errno;
  return n - (ssize_t)sizeof(family);
}
