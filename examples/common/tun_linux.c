/*
 * TUN device on Linux: /dev/net/tun with IFF_TUN | IFF_NO_PI, so reads and
 * writes carry bare IP packets. Addresses, MTU, link state and routes are
 * set over rtnetlink, one request at a time, each acknowledged by the
 * kernel.
 */
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- rtnetlink ---------------------------------------------------------- */

struct netlink_request {
  struct nlmsghdr header;
  union {
    struct ifaddrmsg ifa;
    struct rtmsg rt;
    struct ifinfomsg ifi;
  } body;
  char attributes[128];
};

static void netlink_init(struct netlink_request *request, uint16_t type,
                         uint16_t flags, size_t body_size) {
  memset(request, 0, sizeof(*request));
  request->header.nlmsg_len = (uint32_t)NLMSG_LENGTH(body_size);
  request->header.nlmsg_type = type;
  request->header.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
}

/* Append one attribute; the buffer is sized for the requests below. */
static void netlink_attribute(struct netlink_request *request, uint16_t type,
                              const void *data, size_t len) {
  struct rtattr *attribute =
      (struct rtattr *)((char *)request +
                        NLMSG_ALIGN(request->header.nlmsg_len));

  attribute->rta_type = type;
  attribute->rta_len = (unsigned short)RTA_LENGTH(len);
  memcpy(RTA_DATA(attribute), data, len);
  request->header.nlmsg_len =
      (uint32_t)(NLMSG_ALIGN(request->header.nlmsg_len) +
                 RTA_ALIGN(attribute->rta_len));
}

/* Send the request and wait for the kernel's acknowledgement. */
static int netlink_transact(struct netlink_request *request) {
  struct sockaddr_nl kernel;
  char reply[1024];
  int fd, rc = -EPROTO;
  ssize_t n;

  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return -errno;
  memset(&kernel, 0, sizeof(kernel));
  kernel.nl_family = AF_NETLINK;
  request->header.nlmsg_seq = 1;
  if (sendto(fd, request, request->header.nlmsg_len, 0,
             (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
    rc = -errno;
    close(fd);
    return rc;
  }

  for (;;) {
    struct nlmsghdr *header;
    size_t left;

    n = recv(fd, reply, sizeof(reply), 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      rc = -errno;
      break;
    }
    left = (size_t)n;
    for (header = (struct nlmsghdr *)reply; NLMSG_OK(header, left);
         header = NLMSG_NEXT(header, left)) {
      if (header->nlmsg_seq != request->header.nlmsg_seq)
        continue;
      if (header->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *error = NLMSG_DATA(header);

        if (header->nlmsg_len < NLMSG_LENGTH(sizeof(*error)))
          rc = -EPROTO;
        else
          rc = error->error; /* 0 for the acknowledgement, or -errno */
        close(fd);
        return rc;
      }
    }
  }
  close(fd);
  return rc;
}

static unsigned char family_of(const struct net_addr *addr) {
  return addr->family == NET_FAMILY_IPV6 ? AF_INET6 : AF_INET;
}

/* ---- TUN ---------------------------------------------------------------- */

int platform_tun_open(const char *name, struct platform_tun *tun) {
  struct ifreq ifr;
  int fd, rc;

  memset(tun, 0, sizeof(*tun));
  tun->fd = -1;
  if (strlen(name) >= IFNAMSIZ)
    return -ENAMETOOLONG;
  fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return -errno;

  memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, strlen(name));
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
    rc = -errno;
    close(fd);
    return rc;
  }

  tun->fd = fd;
  memcpy(tun->name, ifr.ifr_name, IFNAMSIZ);
  tun->name[IFNAMSIZ - 1] = '\0';
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

int platform_tun_add_address(const struct platform_tun *tun,
                             const struct net_prefix *address) {
  struct netlink_request request;
  size_t size = net_addr_size(&address->addr);

  if (size == 0)
    return -EAFNOSUPPORT;
  netlink_init(&request, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
               sizeof(request.body.ifa));
  request.body.ifa.ifa_family = family_of(&address->addr);
  request.body.ifa.ifa_prefixlen = address->length;
  request.body.ifa.ifa_index = tun->ifindex;
  request.body.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  /* IFA_ADDRESS equal to IFA_LOCAL: a subnet on the link, not a
   * point-to-point peer, so the kernel adds the prefix route itself. */
  netlink_attribute(&request, IFA_LOCAL, address->addr.bytes, size);
  netlink_attribute(&request, IFA_ADDRESS, address->addr.bytes, size);
  return netlink_transact(&request);
}

static int set_link(const struct platform_tun *tun, unsigned mtu, int up) {
  struct netlink_request request;
  uint32_t mtu32 = mtu;

  netlink_init(&request, RTM_NEWLINK, 0, sizeof(request.body.ifi));
  request.body.ifi.ifi_family = AF_UNSPEC;
  request.body.ifi.ifi_index = (int)tun->ifindex;
  if (up) {
    request.body.ifi.ifi_flags = IFF_UP;
    request.body.ifi.ifi_change = IFF_UP;
  }
  if (mtu != 0)
    netlink_attribute(&request, IFLA_MTU, &mtu32, sizeof(mtu32));
  return netlink_transact(&request);
}

int platform_tun_set_mtu(const struct platform_tun *tun, unsigned mtu) {
  if (mtu == 0)
    return -EINVAL;
  return set_link(tun, mtu, 0);
}

int platform_tun_up(const struct platform_tun *tun) {
  return set_link(tun, 0, 1);
}

static int change_route(const struct platform_tun *tun,
                        const struct net_prefix *destination, uint16_t type,
                        uint16_t flags) {
  struct netlink_request request;
  size_t size = net_addr_size(&destination->addr);
  uint32_t oif = tun->ifindex;

  if (size == 0)
    return -EAFNOSUPPORT;
  netlink_init(&request, type, flags, sizeof(request.body.rt));
  request.body.rt.rtm_family = family_of(&destination->addr);
  request.body.rt.rtm_dst_len = destination->length;
  request.body.rt.rtm_table = RT_TABLE_MAIN;
  request.body.rt.rtm_protocol = RTPROT_STATIC;
  request.body.rt.rtm_scope = RT_SCOPE_LINK;
  request.body.rt.rtm_type = RTN_UNICAST;
  if (destination->length > 0)
    netlink_attribute(&request, RTA_DST, destination->addr.bytes, size);
  netlink_attribute(&request, RTA_OIF, &oif, sizeof(oif));
  return netlink_transact(&request);
}

int platform_route_add(const struct platform_tun *tun,
                       const struct net_prefix *destination) {
  return change_route(tun, destination, RTM_NEWROUTE,
                      NLM_F_CREATE | NLM_F_EXCL);
}

int platform_route_delete(const struct platform_tun *tun,
                          const struct net_prefix *destination) {
  return change_route(tun, destination, RTM_DELROUTE, 0);
}

ssize_t platform_tun_read(const struct platform_tun *tun, void *buf,
                          size_t capacity) {
  ssize_t n = read(tun->fd, buf, capacity);

  return n < 0 ? -errno : n;
}

ssize_t platform_tun_write(const struct platform_tun *tun, const void *packet,
                           size_t len) {
  ssize_t n = write(tun->fd, packet, len);

  return n < 0 ? -errno : n;
}
