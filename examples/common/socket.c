/*
 * UDP and TCP sockets. Portable POSIX code; the few option names that
 * differ between Linux and the BSDs are chosen by #ifdef.
 */
#include "platform.h"
#include "sockaddr.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int platform_sockaddr_from_endpoint(const struct net_endpoint *endpoint,
                                    int family_if_unset,
                                    struct sockaddr_storage *out,
                                    socklen_t *len) {
  memset(out, 0, sizeof(*out));
  if (endpoint->addr.family == NET_FAMILY_IPV6 ||
      (endpoint->addr.family == NET_FAMILY_NONE &&
       family_if_unset == AF_INET6)) {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(endpoint->port);
    if (endpoint->addr.family == NET_FAMILY_IPV6)
      memcpy(&sin6->sin6_addr, endpoint->addr.bytes, 16);
    *len = sizeof(*sin6);
  } else {
    struct sockaddr_in *sin = (struct sockaddr_in *)out;

    sin->sin_family = AF_INET;
    sin->sin_port = htons(endpoint->port);
    if (endpoint->addr.family == NET_FAMILY_IPV4)
      memcpy(&sin->sin_addr, endpoint->addr.bytes, 4);
    *len = sizeof(*sin);
  }
#if defined(__FreeBSD__) || defined(__OpenBSD__)
  ((struct sockaddr *)out)->sa_len = (uint8_t)*len;
#endif
  return 0;
}

int platform_endpoint_from_sockaddr(const struct sockaddr *sa,
                                    struct net_endpoint *out) {
  memset(out, 0, sizeof(*out));
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

    out->addr.family = NET_FAMILY_IPV4;
    memcpy(out->addr.bytes, &sin->sin_addr, 4);
    out->port = ntohs(sin->sin_port);
    return 0;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

    out->addr.family = NET_FAMILY_IPV6;
    memcpy(out->addr.bytes, &sin6->sin6_addr, 16);
    out->port = ntohs(sin6->sin6_port);
    return 0;
  }
  return -EAFNOSUPPORT;
}

int platform_set_nonblocking_cloexec(int fd) {
  int flags = fcntl(fd, F_GETFL);

  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
      fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
    return -errno;
  return 0;
}

/* socket() plus non-blocking and close-on-exec; -errno on failure. */
static int open_socket(int family, int type, int protocol) {
  int fd = socket(family, type, protocol);

  if (fd < 0)
    return -errno;
  if (platform_set_nonblocking_cloexec(fd) != 0) {
    int rc = -errno;

    close(fd);
    return rc;
  }
  return fd;
}

static int set_int_option(int fd, int level, int name, int value) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) != 0)
    return -errno;
  return 0;
}

static int close_with(int fd, int rc) {
  close(fd);
  return rc;
}

/* ---- UDP ---------------------------------------------------------------- */

int platform_udp_open(const struct net_endpoint *local, int *fd_out) {
  struct sockaddr_storage ss;
  socklen_t len;
  int fd, rc;

  platform_sockaddr_from_endpoint(local, AF_INET, &ss, &len);
  fd = open_socket(ss.ss_family, SOCK_DGRAM, IPPROTO_UDP);
  if (fd < 0)
    return fd;
  rc = set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1);

  /* Ask for the destination address of each datagram. */
  if (rc == 0 && ss.ss_family == AF_INET) {
#if defined(IP_PKTINFO)
    rc = set_int_option(fd, IPPROTO_IP, IP_PKTINFO, 1);
#elif defined(IP_RECVDSTADDR)
    rc = set_int_option(fd, IPPROTO_IP, IP_RECVDSTADDR, 1);
#endif
  } else if (rc == 0) {
    rc = set_int_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
    if (rc == 0)
      rc = set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
  }
  if (rc == 0 && bind(fd, (struct sockaddr *)&ss, len) != 0)
    rc = -errno;
  if (rc != 0)
    return close_with(fd, rc);
  *fd_out = fd;
  return 0;
}

/* Take the destination address from the control messages. */
static void read_destination(struct msghdr *msg, struct net_endpoint *to) {
  struct cmsghdr *cmsg;

  for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
       cmsg = CMSG_NXTHDR(msg, cmsg)) {
#if defined(IP_PKTINFO)
    if (cmsg->cmsg_level == IPPROTO_IP && cmsg->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo info;

      memcpy(&info, CMSG_DATA(cmsg), sizeof(info));
      to->addr.family = NET_FAMILY_IPV4;
      memcpy(to->addr.bytes, &info.ipi_addr, 4);
    }
#elif defined(IP_RECVDSTADDR)
    if (cmsg->cmsg_level == IPPROTO_IP && cmsg->cmsg_type == IP_RECVDSTADDR) {
      to->addr.family = NET_FAMILY_IPV4;
      memcpy(to->addr.bytes, CMSG_DATA(cmsg), 4);
    }
#endif
    if (cmsg->cmsg_level == IPPROTO_IPV6 && cmsg->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo info;

      memcpy(&info, CMSG_DATA(cmsg), sizeof(info));
      to->addr.family = NET_FAMILY_IPV6;
      memcpy(to->addr.bytes, &info.ipi6_addr, 16);
    }
  }
}

ssize_t platform_udp_recv(int fd, void *buf, size_t capacity,
                          struct net_endpoint *from, struct net_endpoint *to) {
  union {
    struct cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
               CMSG_SPACE(sizeof(struct in6_addr))];
  } control;
  struct sockaddr_storage source, bound;
  socklen_t bound_len = sizeof(bound);
  struct iovec iov = {.iov_base = buf, .iov_len = capacity};
  struct msghdr msg;
  ssize_t n;

  memset(&msg, 0, sizeof(msg));
  msg.msg_name = &source;
  msg.msg_namelen = sizeof(source);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof(control.bytes);
  n = recvmsg(fd, &msg, 0);
  if (n < 0)
    return -errno;
  if (msg.msg_flags & MSG_TRUNC)
    return -EMSGSIZE;

  if (from != NULL)
    platform_endpoint_from_sockaddr((struct sockaddr *)&source, from);
  if (to != NULL) {
    memset(to, 0, sizeof(*to));
    if (getsockname(fd, (struct sockaddr *)&bound, &bound_len) == 0)
      platform_endpoint_from_sockaddr((struct sockaddr *)&bound, to);
    read_destination(&msg, to);
  }
  return n;
}

ssize_t platform_udp_send(int fd, const void *buf, size_t len,
                          const struct net_endpoint *to,
                          const struct net_endpoint *from) {
  union {
    struct cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(struct in6_pktinfo))];
  } control;
  struct sockaddr_storage ss;
  socklen_t ss_len;
  struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
  struct msghdr msg;
  ssize_t n;

  platform_sockaddr_from_endpoint(to, AF_INET, &ss, &ss_len);
  memset(&msg, 0, sizeof(msg));
  memset(&control, 0, sizeof(control));
  msg.msg_name = &ss;
  msg.msg_namelen = ss_len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;

  /* Pick the source address when the socket is bound to "any". */
  if (from != NULL && from->addr.family == NET_FAMILY_IPV6) {
    struct in6_pktinfo info;
    struct cmsghdr *cmsg;

    memset(&info, 0, sizeof(info));
    memcpy(&info.ipi6_addr, from->addr.bytes, 16);
    msg.msg_control = control.bytes;
    msg.msg_controllen = CMSG_SPACE(sizeof(info));
    cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = IPPROTO_IPV6;
    cmsg->cmsg_type = IPV6_PKTINFO;
    cmsg->cmsg_len = CMSG_LEN(sizeof(info));
    memcpy(CMSG_DATA(cmsg), &info, sizeof(info));
  }
#if defined(IP_PKTINFO)
  else if (from != NULL && from->addr.family == NET_FAMILY_IPV4) {
    struct in_pktinfo info;
    struct cmsghdr *cmsg;

    memset(&info, 0, sizeof(info));
    memcpy(&info.ipi_spec_dst, from->addr.bytes, 4);
    msg.msg_control = control.bytes;
    msg.msg_controllen = CMSG_SPACE(sizeof(info));
    cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = IPPROTO_IP;
    cmsg->cmsg_type = IP_PKTINFO;
    cmsg->cmsg_len = CMSG_LEN(sizeof(info));
    memcpy(CMSG_DATA(cmsg), &info, sizeof(info));
  }
#elif defined(IP_SENDSRCADDR)
  else if (from != NULL && from->addr.family == NET_FAMILY_IPV4) {
    struct cmsghdr *cmsg;

    msg.msg_control = control.bytes;
    msg.msg_controllen = CMSG_SPACE(sizeof(struct in_addr));
    cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = IPPROTO_IP;
    cmsg->cmsg_type = IP_SENDSRCADDR;
    cmsg->cmsg_len = CMSG_LEN(sizeof(struct in_addr));
    memcpy(CMSG_DATA(cmsg), from->addr.bytes, 4);
  }
#endif

  n = sendmsg(fd, &msg, 0);
  return n < 0 ? -errno : n;
}

/* ---- TCP ---------------------------------------------------------------- */

static int set_nodelay(int fd) {
  return set_int_option(fd, IPPROTO_TCP, TCP_NODELAY, 1);
}

#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
/* The BSDs have no MSG_NOSIGNAL on every version: set it per socket. */
static int set_nosigpipe(int fd) {
  return set_int_option(fd, SOL_SOCKET, SO_NOSIGPIPE, 1);
}
#else
static int set_nosigpipe(int fd) {
  (void)fd;
  return 0;
}
#endif

int platform_tcp_listen(const struct net_endpoint *local, int backlog,
                        int *fd_out) {
  struct sockaddr_storage ss;
  socklen_t len;
  int fd, rc;

  platform_sockaddr_from_endpoint(local, AF_INET, &ss, &len);
  fd = open_socket(ss.ss_family, SOCK_STREAM, IPPROTO_TCP);
  if (fd < 0)
    return fd;
  rc = set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  if (rc == 0 && ss.ss_family == AF_INET6)
    rc = set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
  if (rc == 0 && bind(fd, (struct sockaddr *)&ss, len) != 0)
    rc = -errno;
  if (rc == 0 && listen(fd, backlog) != 0)
    rc = -errno;
  if (rc != 0)
    return close_with(fd, rc);
  *fd_out = fd;
  return 0;
}

int platform_tcp_endpoints(int fd, struct net_endpoint *local,
                           struct net_endpoint *remote) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  int rc;

  if (local != NULL) {
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
      return -errno;
    rc = platform_endpoint_from_sockaddr((struct sockaddr *)&ss, local);
    if (rc != 0)
      return rc;
  }
  if (remote != NULL) {
    len = sizeof(ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
      return -errno;
    rc = platform_endpoint_from_sockaddr((struct sockaddr *)&ss, remote);
    if (rc != 0)
      return rc;
  }
  return 0;
}

int platform_tcp_accept(int listen_fd, int *fd_out,
                        struct net_endpoint *local,
                        struct net_endpoint *remote) {
  int fd, rc;

  fd = accept(listen_fd, NULL, NULL);
  if (fd < 0)
    return -errno;
  rc = platform_set_nonblocking_cloexec(fd);
  if (rc == 0)
    rc = set_nodelay(fd);
  if (rc == 0)
    rc = set_nosigpipe(fd);
  if (rc == 0)
    rc = platform_tcp_endpoints(fd, local, remote);
  if (rc != 0)
    return close_with(fd, rc);
  *fd_out = fd;
  return 0;
}

int platform_tcp_connect(const struct net_endpoint *remote,
                         const struct net_endpoint *local, int *fd_out) {
  struct sockaddr_storage ss;
  socklen_t len;
  int fd, rc;

  platform_sockaddr_from_endpoint(remote, AF_INET, &ss, &len);
  fd = open_socket(ss.ss_family, SOCK_STREAM, IPPROTO_TCP);
  if (fd < 0)
    return fd;
  rc = set_nodelay(fd);
  if (rc == 0)
    rc = set_nosigpipe(fd);
  if (rc == 0 && local != NULL) {
    struct sockaddr_storage bind_ss;
    socklen_t bind_len;

    platform_sockaddr_from_endpoint(local, ss.ss_family, &bind_ss, &bind_len);
    if (bind(fd, (struct sockaddr *)&bind_ss, bind_len) != 0)
      rc = -errno;
  }
  if (rc == 0 && connect(fd, (struct sockaddr *)&ss, len) != 0 &&
      errno != EINPROGRESS)
    rc = -errno;
  if (rc != 0)
    return close_with(fd, rc);
  *fd_out = fd;
  return 0;
}

int platform_tcp_connect_result(int fd) {
  int error = 0;
  socklen_t len = sizeof(error);

  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0)
    return -errno;
  return -error;
}

int platform_tcp_keepalive(int fd, unsigned idle_s, unsigned interval_s,
                           unsigned count) {
  int rc = set_int_option(fd, SOL_SOCKET, SO_KEEPALIVE, 1);

#if defined(TCP_KEEPIDLE)
  if (rc == 0)
    rc = set_int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE, (int)idle_s);
#else
  (void)idle_s; /* OpenBSD: only the system-wide net.inet.tcp.keepidle */
#endif
#if defined(TCP_KEEPINTVL)
  if (rc == 0)
    rc = set_int_option(fd, IPPROTO_TCP, TCP_KEEPINTVL, (int)interval_s);
#else
  (void)interval_s;
#endif
#if defined(TCP_KEEPCNT)
  if (rc == 0)
    rc = set_int_option(fd, IPPROTO_TCP, TCP_KEEPCNT, (int)count);
#else
  (void)count;
#endif
  return rc;
}
