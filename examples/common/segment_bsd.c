/*
 * Fortinet-style segments on FreeBSD and OpenBSD.
 *
 * Receiving: a bpf(4) device bound to one interface, in immediate mode,
 * incoming direction only, with a classic BPF filter that starts after the
 * interface's link-layer header. bpf taps packets before pf and the TCP
 * stack see them.
 *
 * Sending: IPv4 through a raw socket with IP_HDRINCL, which takes the
 * caller's IP header. The BSDs have no IPv6 header-include option, so an
 * IPv6 segment is sent through a raw IPPROTO_TCP socket: the kernel writes
 * the IPv6 header from the socket's addresses and the TCP part is the
 * caller's, checksum included.
 *
 * Keeping segments from the TCP stack: pf cannot match the payload, but a
 * pf state tracks the connection's sequence window and drops segments far
 * outside it, after bpf has seen them. The guard loads rules that keep
 * state for the IKE connection into an anchor; the main ruleset must
 * contain `anchor "tcpsec/*"` (see docs/platforms.md).
 *
 * NOTE: written against the FreeBSD and OpenBSD headers and manual pages
 * (bpf(4), ip(4), ip6(4), pf.conf(5), pfctl(8)) but never compiled or run.
 */
#include "platform.h"
#include "sockaddr.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <net/bpf.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BPF_BUFFER_SIZE (256 * 1024)
#define PROGRAM_MAX 64

struct platform_segment_socket {
  int bpf_fd;
  unsigned link_header; /* bytes before the IP header */
  int raw4_fd;
  int raw6_fd;
  unsigned char *buffer; /* one read() of the bpf device */
  size_t buffer_length;
  size_t buffer_offset;
};

/* ---- filter ------------------------------------------------------------- */

enum label { LABEL_NONE, LABEL_REJECT, LABEL_IPV6, LABEL_COUNT };

struct program {
  struct bpf_insn code[PROGRAM_MAX];
  enum label jt[PROGRAM_MAX], jf[PROGRAM_MAX];
  size_t label_at[LABEL_COUNT];
  size_t count;
  uint32_t base; /* link-layer header length */
};

static void emit(struct program *p, uint16_t op, uint32_t k, enum label jt,
                 enum label jf) {
  p->code[p->count] = (struct bpf_insn){op, 0, 0, k};
  p->jt[p->count] = jt;
  p->jf[p->count] = jf;
  p->count++;
}

static void load(struct program *p, uint16_t size, uint32_t offset) {
  emit(p, BPF_LD | size | BPF_ABS, p->base + offset, LABEL_NONE, LABEL_NONE);
}

static void expect_equal(struct program *p, uint32_t k) {
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, k, LABEL_NONE, LABEL_REJECT);
}

static void reject_if_any(struct program *p, uint32_t k) {
  emit(p, BPF_JMP | BPF_JSET | BPF_K, k, LABEL_REJECT, LABEL_NONE);
}

static void expect_address(struct program *p, const struct net_addr *addr,
                           uint32_t offset) {
  size_t i;

  for (i = 0; i < net_addr_size(addr); i += 4) {
    load(p, BPF_W, offset + (uint32_t)i);
    expect_equal(p, (uint32_t)addr->bytes[i] << 24 |
                        (uint32_t)addr->bytes[i + 1] << 16 |
                        (uint32_t)addr->bytes[i + 2] << 8 |
                        addr->bytes[i + 3]);
  }
}

/* X = offset of the TCP header from the start of the capture. */
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
  reject_if_any(p, 0x07);
  emit(p, BPF_LD | BPF_B | BPF_IND, 12, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_ALU | BPF_RSH | BPF_K, 2, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_ALU | BPF_AND | BPF_K, 0x3c, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_ST, 0, LABEL_NONE, LABEL_NONE);
}

static void accept_if_payload(struct program *p) {
  emit(p, BPF_LDX | BPF_W | BPF_MEM, 0, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_ALU | BPF_SUB | BPF_X, 0, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_JMP | BPF_JGT | BPF_K, 0xffff, LABEL_REJECT, LABEL_NONE);
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, LABEL_REJECT, LABEL_NONE);
  emit(p, BPF_RET | BPF_K, 0x40000, LABEL_NONE, LABEL_NONE);
}

static void build_filter(const struct platform_segment_filter *filter,
                         uint32_t base, struct program *p) {
  size_t i;

  memset(p, 0, sizeof(*p));
  p->base = base;

  /* The version nibble distinguishes IPv4 from IPv6 on every link type. */
  load(p, BPF_B, 0);
  emit(p, BPF_ALU | BPF_AND | BPF_K, 0xf0, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0x40, LABEL_NONE, LABEL_IPV6);

  /* IPv4 */
  load(p, BPF_B, 9);
  expect_equal(p, IPPROTO_TCP);
  load(p, BPF_H, 6);
  reject_if_any(p, 0x1fff);
  if (filter->local.addr.family == NET_FAMILY_IPV4)
    expect_address(p, &filter->local.addr, 16);
  if (filter->remote.addr.family == NET_FAMILY_IPV4)
    expect_address(p, &filter->remote.addr, 12);
  emit(p, BPF_LDX | BPF_B | BPF_MSH, base, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_STX, 1, LABEL_NONE, LABEL_NONE); /* IP header length */
  emit(p, BPF_MISC | BPF_TXA, 0, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_ALU | BPF_ADD | BPF_K, base, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_MISC | BPF_TAX, 0, LABEL_NONE, LABEL_NONE);
  expect_tcp(p, filter);
  load(p, BPF_H, 2);
  emit(p, BPF_LDX | BPF_W | BPF_MEM, 1, LABEL_NONE, LABEL_NONE);
  emit(p, BPF_ALU | BPF_SUB | BPF_X, 0, LABEL_NONE, LABEL_NONE);
  accept_if_payload(p);

  /* IPv6 without extension headers. */
  p->label_at[LABEL_IPV6] = p->count;
  expect_equal(p, 0x60);
  load(p, BPF_B, 6);
  expect_equal(p, IPPROTO_TCP);
  if (filter->local.addr.family == NET_FAMILY_IPV6)
    expect_address(p, &filter->local.addr, 24);
  if (filter->remote.addr.family == NET_FAMILY_IPV6)
    expect_address(p, &filter->remote.addr, 8);
  emit(p, BPF_LDX | BPF_IMM, base + 40, LABEL_NONE, LABEL_NONE);
  expect_tcp(p, filter);
  load(p, BPF_H, 4);
  accept_if_payload(p);

  p->label_at[LABEL_REJECT] = p->count;
  emit(p, BPF_RET | BPF_K, 0, LABEL_NONE, LABEL_NONE);

  for (i = 0; i < p->count; i++) {
    if (p->jt[i] != LABEL_NONE)
      p->code[i].jt = (u_char)(p->label_at[p->jt[i]] - i - 1);
    if (p->jf[i] != LABEL_NONE)
      p->code[i].jf = (u_char)(p->label_at[p->jf[i]] - i - 1);
  }
}

/* ---- bpf device --------------------------------------------------------- */

static int open_bpf(void) {
  char path[32];
  int fd, unit;

  fd = open("/dev/bpf", O_RDWR | O_CLOEXEC);
  if (fd >= 0)
    return fd;
  for (unit = 0; unit < 256; unit++) {
    snprintf(path, sizeof(path), "/dev/bpf%d", unit);
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd >= 0 || errno != EBUSY)
      break;
  }
  return fd >= 0 ? fd : -errno;
}

static int link_header_length(unsigned dlt, unsigned *length) {
  switch (dlt) {
  case DLT_EN10MB:
    *length = 14;
    return 0;
  case DLT_NULL:
  case DLT_LOOP:
    *length = 4;
    return 0;
  case DLT_RAW:
    *length = 0;
    return 0;
  default:
    return -EPROTONOSUPPORT;
  }
}

int platform_segment_open(const struct platform_segment_filter *filter,
                          struct platform_segment_socket **out) {
  struct platform_segment_socket *segments;
  struct program program;
  struct bpf_program bpf_program;
  struct ifreq ifr;
  u_int size = BPF_BUFFER_SIZE, on = 1, dlt;
  int fd, rc;

  /* bpf listens on one interface: the caller must name it. */
  if (filter->ifindex == 0)
    return -EINVAL;
  segments = calloc(1, sizeof(*segments));
  if (segments == NULL)
    return -ENOMEM;
  segments->raw4_fd = -1;
  segments->raw6_fd = -1;
  fd = open_bpf();
  if (fd < 0) {
    free(segments);
    return fd;
  }
  segments->bpf_fd = fd;

  memset(&ifr, 0, sizeof(ifr));
  if (if_indextoname(filter->ifindex, ifr.ifr_name) == NULL) {
    rc = -errno;
    goto fail;
  }
  if (ioctl(fd, BIOCSBLEN, &size) != 0 || ioctl(fd, BIOCSETIF, &ifr) != 0 ||
      ioctl(fd, BIOCIMMEDIATE, &on) != 0 || ioctl(fd, BIOCGDLT, &dlt) != 0) {
    rc = -errno;
    goto fail;
  }
#if defined(__OpenBSD__)
  {
    u_int direction = BPF_DIRECTION_OUT; /* drop what we send */

    if (ioctl(fd, BIOCSDIRFILT, &direction) != 0) {
      rc = -errno;
      goto fail;
    }
  }
#elif defined(BIOCSDIRECTION)
  {
    u_int direction = BPF_D_IN;

    if (ioctl(fd, BIOCSDIRECTION, &direction) != 0) {
      rc = -errno;
      goto fail;
    }
  }
#endif
  rc = link_header_length(dlt, &segments->link_header);
  if (rc != 0)
    goto fail;

  build_filter(filter, segments->link_header, &program);
  bpf_program.bf_len = (u_int)program.count;
  bpf_program.bf_insns = program.code;
  if (ioctl(fd, BIOCSETF, &bpf_program) != 0 ||
      ioctl(fd, BIOCGBLEN, &size) != 0) {
    rc = -errno;
    goto fail;
  }
  segments->buffer = malloc(size);
  if (segments->buffer == NULL) {
    rc = -ENOMEM;
    goto fail;
  }
  segments->buffer_length = 0;
  rc = platform_set_nonblocking_cloexec(fd);
  if (rc != 0)
    goto fail;
  *out = segments;
  return 0;

fail:
  close(fd);
  free(segments->buffer);
  free(segments);
  return rc;
}

void platform_segment_close(struct platform_segment_socket *segments) {
  if (segments == NULL)
    return;
  close(segments->bpf_fd);
  if (segments->raw4_fd >= 0)
    close(segments->raw4_fd);
  if (segments->raw6_fd >= 0)
    close(segments->raw6_fd);
  free(segments->buffer);
  free(segments);
}

int platform_segment_fd(const struct platform_segment_socket *segments) {
  return segments->bpf_fd;
}

/* One read() returns several records, each a bpf_hdr and the captured
 * bytes, padded to BPF_WORDALIGN; hand them out one per call. */
ssize_t platform_segment_recv(struct platform_segment_socket *segments,
                              void *buf, size_t capacity, unsigned *flags) {
  struct bpf_hdr header;
  size_t packet_length;

  *flags = 0; /* bpf reports nothing about checksums */
  if (segments->buffer_offset >= segments->buffer_length) {
    u_int size;
    ssize_t n;

    if (ioctl(segments->bpf_fd, BIOCGBLEN, &size) != 0)
      return -errno;
    n = read(segments->bpf_fd, segments->buffer, size);
    if (n < 0)
      return -errno;
    segments->buffer_length = (size_t)n;
    segments->buffer_offset = 0;
    if (n == 0)
      return -EAGAIN;
  }

  if (segments->buffer_length - segments->buffer_offset < sizeof(header)) {
    segments->buffer_offset = segments->buffer_length;
    return -EIO;
  }
  memcpy(&header, segments->buffer + segments->buffer_offset, sizeof(header));
  if (header.bh_hdrlen + (size_t)header.bh_caplen >
      segments->buffer_length - segments->buffer_offset) {
    segments->buffer_offset = segments->buffer_length;
    return -EIO;
  }
  packet_length = header.bh_caplen;
  {
    const unsigned char *packet =
        segments->buffer + segments->buffer_offset + header.bh_hdrlen;

    segments->buffer_offset +=
        BPF_WORDALIGN(header.bh_hdrlen + header.bh_caplen);
    if (packet_length < segments->link_header)
      return -EIO;
    packet_length -= segments->link_header;
    if (packet_length > capacity)
      return -EMSGSIZE;
    memcpy(buf, packet + segments->link_header, packet_length);
  }
  return (ssize_t)packet_length;
}

ssize_t platform_segment_send(struct platform_segment_socket *segments,
                              const void *packet, size_t len) {
  const uint8_t *bytes = packet;
  struct sockaddr_storage ss;
  struct net_endpoint destination;
  socklen_t ss_len;
  ssize_t n;

  memset(&destination, 0, sizeof(destination));
  if (len >= 20 && bytes[0] >> 4 == 4) {
    if (segments->raw4_fd < 0) {
      int on = 1;

      segments->raw4_fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
      if (segments->raw4_fd < 0)
        return -errno;
      if (setsockopt(segments->raw4_fd, IPPROTO_IP, IP_HDRINCL, &on,
                     sizeof(on)) != 0)
        return -errno;
    }
    destination.addr.family = NET_FAMILY_IPV4;
    memcpy(destination.addr.bytes, bytes + 16, 4);
    platform_sockaddr_from_endpoint(&destination, AF_INET, &ss, &ss_len);
    n = sendto(segments->raw4_fd, packet, len, 0, (struct sockaddr *)&ss,
               ss_len);
    return n < 0 ? -errno : n;
  }
  if (len >= 40 && bytes[0] >> 4 == 6) {
    struct net_endpoint source;
    struct sockaddr_storage source_ss;
    socklen_t source_len;

    /* A fresh socket per packet would be simpler but slow; keep one and
     * bind it to the first source address seen. */
    memset(&source, 0, sizeof(source));
    source.addr.family = NET_FAMILY_IPV6;
    memcpy(source.addr.bytes, bytes + 8, 16);
    if (segments->raw6_fd < 0) {
      segments->raw6_fd = socket(AF_INET6, SOCK_RAW, IPPROTO_TCP);
      if (segments->raw6_fd < 0)
        return -errno;
      platform_sockaddr_from_endpoint(&source, AF_INET6, &source_ss,
                                      &source_len);
      if (bind(segments->raw6_fd, (struct sockaddr *)&source_ss,
               source_len) != 0)
        return -errno;
    }
    destination.addr.family = NET_FAMILY_IPV6;
    memcpy(destination.addr.bytes, bytes + 24, 16);
    platform_sockaddr_from_endpoint(&destination, AF_INET6, &ss, &ss_len);
    n = sendto(segments->raw6_fd, bytes + 40, len - 40, 0,
               (struct sockaddr *)&ss, ss_len);
    return n < 0 ? -errno : n + 40;
  }
  return -EINVAL;
}

/* ---- pf anchor ---------------------------------------------------------- */

struct platform_segment_guard {
  char anchor[48];
};

static int run_pfctl(const char *anchor, const char *action,
                     const char *rules) {
  const char *argv[] = {"pfctl", "-a", anchor, action, "-", NULL};
  char output[512];
  int rc;

  if (rules == NULL) {
    argv[3] = "-F";
    argv[4] = "rules";
  }
  rc = platform_run_command(argv, rules, output, sizeof(output));
  if (rc > 0) {
    platform_log(TCPSEC_LOG_ERROR, "platform", "pfctl failed (exit %d): %s",
                 rc, output);
    return -EIO;
  }
  return rc;
}

int platform_segment_guard_install(
    const struct platform_segment_filter *filter, unsigned spi_offset,
    struct platform_segment_guard **out) {
  static unsigned serial;
  struct platform_segment_guard *guard;
  char local[NET_ADDR_TEXT_MAX] = "any", remote[NET_ADDR_TEXT_MAX] = "any";
  char local_port[16] = "", remote_port[16] = "";
  char rules[512];
  int rc;

  (void)spi_offset; /* pf cannot look into the payload */
  guard = calloc(1, sizeof(*guard));
  if (guard == NULL)
    return -ENOMEM;
  snprintf(guard->anchor, sizeof(guard->anchor), "tcpsec/%ld_%u",
           (long)getpid(), serial++);
  if (filter->local.addr.family != NET_FAMILY_NONE)
    net_addr_format(&filter->local.addr, local, sizeof(local));
  if (filter->remote.addr.family != NET_FAMILY_NONE)
    net_addr_format(&filter->remote.addr, remote, sizeof(remote));
  if (filter->local.port != 0)
    snprintf(local_port, sizeof(local_port), " port %u",
             (unsigned)filter->local.port);
  if (filter->remote.port != 0)
    snprintf(remote_port, sizeof(remote_port), " port %u",
             (unsigned)filter->remote.port);

  /* Stateful rules for both directions of the IKE connection: the state
   * created by its SYN tracks the sequence window, so pf drops the
   * out-of-window ESP segments before TCP replies to them. No "sloppy"
   * state, which would skip that check. */
  snprintf(rules, sizeof(rules),
           "pass quick proto tcp from %s%s to %s%s flags S/SA keep state\n"
           "pass quick proto tcp from %s%s to %s%s flags S/SA keep state\n",
           remote, remote_port, local, local_port, local, local_port, remote,
           remote_port);
  rc = run_pfctl(guard->anchor, "-f", rules);
  if (rc != 0) {
    free(guard);
    return rc;
  }
  *out = guard;
  return 0;
}

int platform_segment_guard_add_spi(struct platform_segment_guard *guard,
                                   uint32_t spi) {
  (void)guard;
  (void)spi;
  return 0; /* the pf rules do not depend on SPIs */
}

int platform_segment_guard_delete_spi(struct platform_segment_guard *guard,
                                      uint32_t spi) {
  (void)guard;
  (void)spi;
  return 0;
}

void platform_segment_guard_remove(struct platform_segment_guard *guard) {
  if (guard == NULL)
    return;
  run_pfctl(guard->anchor, "-F", NULL);
  free(guard);
}

const char *
platform_segment_guard_name(const struct platform_segment_guard *guard) {
  return guard->anchor;
}
