/*
 * Fortinet-style segments on Linux.
 *
 * Receiving: an AF_PACKET socket of type SOCK_DGRAM (packets start at the
 * IP header) with a classic BPF filter, attached before the socket is bound
 * to a protocol so that no unfiltered packet is ever queued. Packet sockets
 * see traffic before netfilter, so the segments arrive even when the
 * nftables rule below drops them.
 *
 * Sending: raw sockets of protocol IPPROTO_RAW, which take the caller's IP
 * header as it is (IP_HDRINCL is implied for IPv4, and for IPv6 since
 * Linux 4.5).
 *
 * Keeping segments from the TCP stack: a table of its own in nftables,
 * added and removed with the nft command.
 */
#include "platform.h"
#include "sockaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

struct platform_segment_socket {
  int packet_fd;
  int raw4_fd; /* opened on the first IPv4 send */
  int raw6_fd;
};

/* ---- filter ------------------------------------------------------------- */

/*
 * A small assembler: jumps name a label, resolved when the program is
 * complete, because classic BPF jumps are forward offsets counted in
 * instructions.
 */
enum label { LABEL_NONE, LABEL_REJECT, LABEL_IPV6, LABEL_COUNT };

#define PROGRAM_MAX 64

struct program {
  struct sock_filter code[PROGRAM_MAX];
  enum label jt[PROGRAM_MAX], jf[PROGRAM_MAX];
  size_t label_at[LABEL_COUNT];
  size_t count;
};

static void emit(struct program *p, uint16_t op, uint32_t k, enum label jt,
                 enum label jf) {
  p->code[p->count] = (struct sock_filter){op, 0, 0, k};
  p->jt[p->count] = jt;
  p->jf[p->count] = jf;
  p->count++;
}

static void place(struct program *p, enum label label) {
  p->label_at[label] = p->count;
}

/* "A == k, else reject" */
static void expect_equal(struct program *p, uint32_t k) {
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, k, LABEL_NONE, LABEL_REJECT);
}

/* "reject if A & k" */
static void reject_if_any(struct program *p, uint32_t k) {
  emit(p, BPF_JMP | BPF_JSET | BPF_K, k, LABEL_REJECT, LABEL_NONE);
}

static void load(struct program *p, uint16_t size, uint32_t offset) {
  emit(p, BPF_LD | size | BPF_ABS, offset, LABEL_NONE, LABEL_NONE);
}

static uint32_t word_at(const uint8_t *bytes) {
  return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 |
         (uint32_t)bytes[2] << 8 | bytes[3];
}

static void expect_address(struct program *p, const struct net_addr *addr,
                           uint32_t offset) {
  size_t i;

  for (i = 0; i < net_addr_size(addr); i += 4) {
    load(p, BPF_W, offset + (uint32_t)i);
    expect_equal(p, word_at(addr->bytes + i));
  }
}

/* With X = offset of the TCP header: ports, flags, and the TCP header
 * length into M[0]. */
static void expect_tcp(struct program *p,
                       const struct platform_segment_filter *filter) {
  if (filter->remote.port != 0) {
    emit(p, BPF_LD | BPF_H | BPF_IND, 0, LABEL_NONE, LABEL_NONE);
    expect_equal(p, filter->remote.port);
  }
  if (filter->local.port != 0) {
    emit(p, BPF_LD | BPF_H | BPF_IND, 2, LABEL_NONE, LABEL_NONE);
    expect_equal(p, filter->local.port);
  }
  emit(p, BPF_LD | BPF_B | BPF_IND, 13, LABEL_NONE, LABEL_NONE);
  reject_if_any(p, 0x07); /* FIN, SYN, RST */
  emit(p, BPF_LD | BPF_B | BPF_IND, 12, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_ALU | BPF_RSH | BPF_K, 2, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_ALU | BPF_AND | BPF_K, 0x3c, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_ST, 0, LABEL_NONE, LABEL_NONE);
}

/* A = bytes after the IP header; subtract the TCP header and accept only
 * a positive remainder (a short packet wraps around to a huge value). */
static void accept_if_payload(struct program *p) {
  emit(p, BPF_LDX | BPF_W | BPF_MEM, 0, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_ALU | BPF_SUB | BPF_X, 0, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_JMP | BPF_JGT | BPF_K, 0xffff, LABEL_REJECT, LABEL_NONE);
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, LABEL_REJECT, LABEL_NONE);
  emit(p, BPF_RET | BPF_K, 0x40000, LABEL_NONE, LABEL_NONE);
}

static void build_ipv4(struct program *p,
                       const struct platform_segment_filter *filter) {
  load(p, BPF_B, 9);
  expect_equal(p, IPPROTO_TCP);
  load(p, BPF_H, 6);
  reject_if_any(p, 0x1fff); /* a fragment past the first */
  if (filter->local.addr.family == NET_FAMILY_IPV4)
    expect_address(p, &filter->local.addr, 16);
  if (filter->remote.addr.family == NET_FAMILY_IPV4)
    expect_address(p, &filter->remote.addr, 12);
  emit(p, BPF_LDX | BPF_B | BPF_MSH, 0, LABEL_NONE, LABEL_NONE);
  expect_tcp(p, filter);

  /* X still contains the IP header length: A = total length - X. */
  emit(p, BPF_STX, 1, LABEL_NONE, LABEL_NONE);
  load(p, BPF_H, 2);
  emit(p, BPF_LDX | BPF_W | BPF_MEM, 1, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_ALU | BPF_SUB | BPF_X, 0, LABEL_NONE, LABEL_NONE);
  accept_if_payload(p);
}

/* IPv6 without extension headers: the TCP header follows at 40. */
static void build_ipv6(struct program *p,
                       const struct platform_segment_filter *filter) {
  load(p, BPF_B, 6);
  expect_equal(p, IPPROTO_TCP);
  if (filter->local.addr.family == NET_FAMILY_IPV6)
    expect_address(p, &filter->local.addr, 24);
  if (filter->remote.addr.family == NET_FAMILY_IPV6)
    expect_address(p, &filter->remote.addr, 8);
  emit(p, BPF_LDX | BPF_IMM, 40, LABEL_NONE, LABEL_NONE);
  expect_tcp(p, filter);
  load(p, BPF_H, 4); /* payload length: everything after the 40 bytes */
  accept_if_payload(p);
}

static int build_filter(const struct platform_segment_filter *filter,
                        struct program *p) {
  size_t i;
  int want4 = filter->local.addr.family != NET_FAMILY_IPV6 &&
              filter->remote.addr.family != NET_FAMILY_IPV6;
  int want6 = filter->local.addr.family != NET_FAMILY_IPV4 &&
              filter->remote.addr.family != NET_FAMILY_IPV4;

  memset(p, 0, sizeof(*p));
  load(p, BPF_W, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE));
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, LABEL_REJECT,
       LABEL_NONE);
  load(p, BPF_H, (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL));
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP,
       want4 ? LABEL_NONE : LABEL_REJECT, LABEL_IPV6);
  if (want4)
    build_ipv4(p, filter);
  place(p, LABEL_IPV6);
  load(p, BPF_H, (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL));
  expect_equal(p, ETH_P_IPV6);
  if (want6)
    build_ipv6(p, filter);
  place(p, LABEL_REJECT);
  emit(p, BPF_RET | BPF_K, 0, LABEL_NONE, LABEL_NONE);

  /* Resolve the labels into relative offsets. */
  for (i = 0; i < p->count; i++) {
    if (p->jt[i] != LABEL_NONE)
      p->code[i].jt = (uint8_t)(p->label_at[p->jt[i]] - i - 1);
    if (p->jf[i] != LABEL_NONE)
      p->code[i].jf = (uint8_t)(p->label_at[p->jf[i]] - i - 1);
  }
  return 0;
}

/* ---- sockets ------------------------------------------------------------ */

int platform_segment_open(const struct platform_segment_filter *filter,
                          struct platform_segment_socket **out) {
  struct platform_segment_socket *segments;
  struct sock_fprog fprog;
  struct sockaddr_ll ll;
  struct program program;
  int one = 1, rc;

  segments = calloc(1, sizeof(*segments));
  if (segments == NULL)
    return -ENOMEM;
  segments->raw4_fd = -1;
  segments->raw6_fd = -1;

  /* Protocol 0: nothing is queued until bind() below. */
  segments->packet_fd =
      socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (segments->packet_fd < 0) {
    rc = -errno;
    free(segments);
    return rc;
  }

  build_filter(filter, &program);
  fprog.len = (unsigned short)program.count;
  fprog.filter = program.code;
  if (setsockopt(segments->packet_fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog,
                 sizeof(fprog)) != 0 ||
      setsockopt(segments->packet_fd, SOL_PACKET, PACKET_AUXDATA, &one,
                 sizeof(one)) != 0) {
    rc = -errno;
    goto fail;
  }

  memset(&ll, 0, sizeof(ll));
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(ETH_P_ALL);
  ll.sll_ifindex = (int)filter->ifindex;
  if (bind(segments->packet_fd, (struct sockaddr *)&ll, sizeof(ll)) != 0) {
    rc = -errno;
    goto fail;
  }
  *out = segments;
  return 0;

fail:
  close(segments->packet_fd);
  free(segments);
  return rc;
}

void platform_segment_close(struct platform_segment_socket *segments) {
  if (segments == NULL)
    return;
  close(segments->packet_fd);
  if (segments->raw4_fd >= 0)
    close(segments->raw4_fd);
  if (segments->raw6_fd >= 0)
    close(segments->raw6_fd);
  free(segments);
}

int platform_segment_fd(const struct platform_segment_socket *segments) {
  return segments->packet_fd;
}

ssize_t platform_segment_recv(struct platform_segment_socket *segments,
                              void *buf, size_t capacity, unsigned *flags) {
  union {
    struct cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
  } control;
  struct iovec iov = {.iov_base = buf, .iov_len = capacity};
  struct msghdr msg;
  struct cmsghdr *cmsg;
  ssize_t n;

  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof(control.bytes);
  n = recvmsg(segments->packet_fd, &msg, 0);
  if (n < 0)
    return -errno;
  if (msg.msg_flags & MSG_TRUNC)
    return -EMSGSIZE;

  *flags = 0;
  for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
       cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    struct tpacket_auxdata aux;

    if (cmsg->cmsg_level != SOL_PACKET || cmsg->cmsg_type != PACKET_AUXDATA)
      continue;
    memcpy(&aux, CMSG_DATA(cmsg), sizeof(aux));
    if (aux.tp_status & TP_STATUS_CSUMNOTREADY)
      *flags |= PLATFORM_SEGMENT_CSUM_UNVERIFIED;
    if (aux.tp_status & TP_STATUS_CSUM_VALID)
      *flags |= PLATFORM_SEGMENT_CSUM_VALID;
  }
  return n;
}

static int raw_socket(int *fd, int family) {
  if (*fd >= 0)
    return 0;
  *fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
  return *fd < 0 ? -errno : 0;
}

ssize_t platform_segment_send(struct platform_segment_socket *segments,
                              const void *packet, size_t len) {
  const uint8_t *bytes = packet;
  struct sockaddr_storage ss;
  struct net_endpoint destination;
  socklen_t ss_len;
  int fd, rc;
  ssize_t n;

  memset(&destination, 0, sizeof(destination));
  if (len >= 20 && bytes[0] >> 4 == 4) {
    rc = raw_socket(&segments->raw4_fd, AF_INET);
    fd = segments->raw4_fd;
    destination.addr.family = NET_FAMILY_IPV4;
    memcpy(destination.addr.bytes, bytes + 16, 4);
  } else if (len >= 40 && bytes[0] >> 4 == 6) {
    rc = raw_socket(&segments->raw6_fd, AF_INET6);
    fd = segments->raw6_fd;
    destination.addr.family = NET_FAMILY_IPV6;
    memcpy(destination.addr.bytes, bytes + 24, 16);
  } else {
    return -EINVAL;
  }
  if (rc != 0)
    return rc;

  /* The port must be 0 for raw sockets; the address picks the route. */
  platform_sockaddr_from_endpoint(&destination, AF_INET, &ss, &ss_len);
  n = sendto(fd, packet, len, 0, (struct sockaddr *)&ss, ss_len);
  return n < 0 ? -errno : n;
}

/* ---- nftables rule ------------------------------------------------------ */

struct platform_segment_guard {
  char table[48];
};

static int run_nft(const char *script) {
  static const char *const argv[] = {"nft", "-f", "-", NULL};
  char output[512];
  int rc = platform_run_command(argv, script, output, sizeof(output));

  if (rc > 0) {
    platform_log(TCPSEC_LOG_ERROR, "platform", "nft failed (exit %d): %s",
                 rc, output);
    return -EIO;
  }
  if (rc < 0)
    platform_log(TCPSEC_LOG_ERROR, "platform", "cannot run nft: %s",
                 strerror(-rc));
  return rc;
}

/* Append "ip saddr X " or "ip6 daddr X " for a set address. */
static size_t match_address(char *buf, size_t size, const struct net_addr *addr,
                            const char *direction) {
  char text[NET_ADDR_TEXT_MAX];

  if (addr->family == NET_FAMILY_NONE)
    return 0;
  net_addr_format(addr, text, sizeof(text));
  return (size_t)snprintf(buf, size, "%s %s %s ",
                          addr->family == NET_FAMILY_IPV6 ? "ip6" : "ip",
                          direction, text);
}

int platform_segment_guard_install(
    const struct platform_segment_filter *filter, unsigned spi_offset,
    struct platform_segment_guard **out) {
  static unsigned serial;
  struct platform_segment_guard *guard;
  char match[256], interface[IF_NAMESIZE + 16] = "";
  char script[1024];
  size_t n = 0;
  int rc;

  if (spi_offset > 1024)
    return -EINVAL;
  guard = calloc(1, sizeof(*guard));
  if (guard == NULL)
    return -ENOMEM;
  snprintf(guard->table, sizeof(guard->table), "tcpsec_%ld_%u",
           (long)getpid(), serial++);

  if (filter->ifindex != 0) {
    char name[IF_NAMESIZE];

    if (if_indextoname(filter->ifindex, name) == NULL) {
      free(guard);
      return -ENODEV;
    }
    snprintf(interface, sizeof(interface), "iifname \"%s\" ", name);
  }
  n += match_address(match + n, sizeof(match) - n, &filter->remote.addr,
                     "saddr");
  n += match_address(match + n, sizeof(match) - n, &filter->local.addr,
                     "daddr");
  n += (size_t)snprintf(match + n, sizeof(match) - n, "meta l4proto tcp ");
  if (filter->remote.port != 0)
    n += (size_t)snprintf(match + n, sizeof(match) - n, "tcp sport %u ",
                          (unsigned)filter->remote.port);
  if (filter->local.port != 0)
    snprintf(match + n, sizeof(match) - n, "tcp dport %u ",
             (unsigned)filter->local.port);

  /* Priority raw (-300) runs before connection tracking, so the segments
   * never reach conntrack's window checks either. @ih is the transport
   * payload, wherever the TCP options end. */
  snprintf(script, sizeof(script),
           "table inet %s {\n"
           "  set spis { typeof @ih,%u,32; }\n"
           "  chain prerouting {\n"
           "    type filter hook prerouting priority raw; policy accept;\n"
           "    %s%s@ih,%u,32 @spis counter drop\n"
           "  }\n"
           "}\n",
           guard->table, spi_offset * 8, interface, match, spi_offset * 8);
  rc = run_nft(script);
  if (rc != 0) {
    free(guard);
    return rc;
  }
  *out = guard;
  return 0;
}

static int change_spi(struct platform_segment_guard *guard, const char *verb,
                      uint32_t spi) {
  char script[160];

  snprintf(script, sizeof(script), "%s element inet %s spis { 0x%08x }\n",
           verb, guard->table, spi);
  return run_nft(script);
}

int platform_segment_guard_add_spi(struct platform_segment_guard *guard,
                                   uint32_t spi) {
  return change_spi(guard, "add", spi);
}

int platform_segment_guard_delete_spi(struct platform_segment_guard *guard,
                                      uint32_t spi) {
  return change_spi(guard, "delete", spi);
}

void platform_segment_guard_remove(struct platform_segment_guard *guard) {
  char script[96];

  if (guard == NULL)
    return;
  snprintf(script, sizeof(script), "delete table inet %s\n", guard->table);
  run_nft(script);
  free(guard);
}

const char *
platform_segment_guard_name(const struct platform_segment_guard *guard) {
  return guard->table;
}
