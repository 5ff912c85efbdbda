/*
 * Helper of the end-to-end topology test: drives the platform layer inside
 * a network namespace. Needs root.
 *
 *   e2e_probe tun NAME ADDRESS/LEN ROUTE/LEN MTU
 *       Open a TUN device, configure it, print "ready NAME", then reply to
 *       ICMP echo requests read from it until two were answered or 10 s
 *       passed. Exit 0 when two were answered.
 *
 *   e2e_probe segments LOCAL-ADDRESS LOCAL-PORT SPI HOLD-MS
 *       Open a segment socket for TCP to LOCAL-ADDRESS:LOCAL-PORT and
 *       install the firewall rule for SPI (hex); print "ready TABLE".
 *       Wait up to 10 s for one segment with payload, print
 *       "segment FROM -> TO payload N first XXXXXXXX", keep the rule
 *       HOLD-MS longer, remove it and exit 0.
 *
 *   e2e_probe send SOURCE SPORT DESTINATION DPORT SEQUENCE PAYLOAD-HEX
 *       Send one IPv4 TCP ACK segment with the payload through the raw
 *       socket and print "sent N".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform.h"

#define TIMEOUT_MS 10000

static int fail(const char *step, int rc) {
  fprintf(stderr, "e2e_probe: %s: %s\n", step, strerror(-rc));
  return 1;
}

static uint16_t checksum_fold(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static uint32_t checksum_add(uint32_t sum, const uint8_t *data, size_t len) {
  size_t i;

  for (i = 0; i + 1 < len; i += 2)
    sum += (uint32_t)data[i] << 8 | data[i + 1];
  if (len & 1)
    sum += (uint32_t)data[len - 1] << 8;
  return sum;
}

static void store16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/* ---- tun ---------------------------------------------------------------- */

struct tun_state {
  struct platform_tun tun;
  int answered;
  int status;
};

static void tun_readable(struct platform_loop *loop, int fd, unsigned events,
                         void *user) {
  struct tun_state *state = user;
  uint8_t packet[2048], address[4];
  ssize_t n;

  (void)fd;
  (void)events;
  while ((n = platform_tun_read(&state->tun, packet, sizeof(packet))) > 0) {
    size_t header = (size_t)(packet[0] & 0x0f) * 4;

    /* IPv4 ICMP echo request: turn it into the reply. */
    if (n < 28 || packet[0] >> 4 != 4 || packet[9] != 1 ||
        packet[header] != 8)
      continue;
    memcpy(address, packet + 12, 4);
    memcpy(packet + 12, packet + 16, 4);
    memcpy(packet + 16, address, 4);
    packet[header] = 0;
    store16(packet + header + 2, 0);
    store16(packet + header + 2,
            checksum_fold(checksum_add(0, packet + header,
                                       (size_t)n - header)));
    store16(packet + 10, 0);
    store16(packet + 10, checksum_fold(checksum_add(0, packet, header)));
    if (platform_tun_write(&state->tun, packet, (size_t)n) != n)
      continue;
    if (++state->answered == 2) {
      state->status = 0;
      platform_loop_stop(loop);
    }
  }
}

static void give_up(struct platform_loop *loop, uint64_t now_ms, void *user) {
  (void)now_ms;
  (void)user;
  fprintf(stderr, "e2e_probe: timed out\n");
  platform_loop_stop(loop);
}

static int run_tun(char **argv) {
  struct tun_state state;
  struct net_prefix address, route;
  struct platform_loop *loop;
  int rc;

  memset(&state, 0, sizeof(state));
  state.status = 1;
  if (net_prefix_parse(argv[1], 1, &address) != 0 ||
      net_prefix_parse(argv[2], 0, &route) != 0)
    return fail("address or route", -EINVAL);
  rc = platform_tun_open(argv[0], &state.tun);
  if (rc != 0)
    return fail("tun open", rc);
  rc = platform_tun_add_address(&state.tun, &address);
  if (rc == 0)
    rc = platform_tun_set_mtu(&state.tun, (unsigned)atoi(argv[3]));
  if (rc == 0)
    rc = platform_tun_up(&state.tun);
  if (rc == 0)
    rc = platform_route_add(&state.tun, &route);
  if (rc != 0)
    return fail("tun configure", rc);
  rc = platform_route_add(&state.tun, &route);
  if (rc != -EEXIST)
    return fail("second route add (expected EEXIST)", rc == 0 ? -EINVAL : rc);

  rc = platform_loop_new(&loop);
  if (rc != 0)
    return fail("loop", rc);
  platform_loop_add(loop, state.tun.fd, PLATFORM_EVENT_READ, tun_readable,
                    &state);
  platform_loop_set_timer(loop, platform_now_ms() + TIMEOUT_MS, give_up,
                          NULL);
  printf("ready %s\n", state.tun.name);
  fflush(stdout);
  platform_loop_run(loop);
  printf("answered %d\n", state.answered);

  rc = platform_route_delete(&state.tun, &route);
  if (rc != 0)
    return fail("route delete", rc);
  platform_loop_free(loop);
  platform_tun_close(&state.tun);
  return state.status;
}

/* ---- segments ----------------------------------------------------------- */

static int run_segments(char **argv) {
  struct platform_segment_filter filter;
  struct platform_segment_socket *segments;
  struct platform_segment_guard *guard;
  uint8_t packet[4096];
  uint64_t deadline;
  unsigned flags;
  uint32_t spi = (uint32_t)strtoul(argv[2], NULL, 16);
  int rc;

  memset(&filter, 0, sizeof(filter));
  if (net_addr_parse(argv[0], &filter.local.addr) != 0)
    return fail("local address", -EINVAL);
  filter.local.port = (uint16_t)atoi(argv[1]);
  rc = platform_segment_open(&filter, &segments);
  if (rc != 0)
    return fail("segment socket", rc);
  rc = platform_segment_guard_install(&filter, 0, &guard);
  if (rc != 0)
    return fail("guard install", rc);
  rc = platform_segment_guard_add_spi(guard, spi);
  if (rc != 0)
    return fail("guard SPI", rc);
  printf("ready %s\n", platform_segment_guard_name(guard));
  fflush(stdout);

  deadline = platform_now_ms() + TIMEOUT_MS;
  rc = 1;
  while (platform_now_ms() < deadline) {
    ssize_t n = platform_segment_recv(segments, packet, sizeof(packet),
                                      &flags);
    size_t ip_header, tcp_header;
    struct net_endpoint from, to;
    char from_text[NET_ENDPOINT_TEXT_MAX], to_text[NET_ENDPOINT_TEXT_MAX];

    if (n == -EAGAIN) {
      struct timespec pause = {0, 10 * 1000 * 1000};

      nanosleep(&pause, NULL);
      continue;
    }
    if (n < 0)
      return fail("segment recv", (int)n);
    ip_header = (size_t)(packet[0] & 0x0f) * 4;
    tcp_header = (size_t)(packet[ip_header + 12] >> 4) * 4;
    memset(&from, 0, sizeof(from));
    memset(&to, 0, sizeof(to));
    from.addr.family = to.addr.family = NET_FAMILY_IPV4;
    memcpy(from.addr.bytes, packet + 12, 4);
    memcpy(to.addr.bytes, packet + 16, 4);
    from.port = (uint16_t)(packet[ip_header] << 8 | packet[ip_header + 1]);
    to.port = (uint16_t)(packet[ip_header + 2] << 8 | packet[ip_header + 3]);
    net_endpoint_format(&from, from_text, sizeof(from_text));
    net_endpoint_format(&to, to_text, sizeof(to_text));
    printf("segment %s -> %s payload %zu first %02x%02x%02x%02x flags %u\n",
           from_text, to_text, (size_t)n - ip_header - tcp_header,
           packet[ip_header + tcp_header], packet[ip_header + tcp_header + 1],
           packet[ip_header + tcp_header + 2],
           packet[ip_header + tcp_header + 3], flags);
    fflush(stdout);
    rc = 0;
    break;
  }
  if (rc == 0) {
    struct timespec hold = {atoi(argv[3]) / 1000,
                            (long)(atoi(argv[3]) % 1000) * 1000000L};

    nanosleep(&hold, NULL);
  } else {
    fprintf(stderr, "e2e_probe: no segment within %d ms\n", TIMEOUT_MS);
  }
  platform_segment_guard_remove(guard);
  platform_segment_close(segments);
  return rc;
}

/* ---- send --------------------------------------------------------------- */

static int run_send(char **argv) {
  struct platform_segment_filter filter;
  struct platform_segment_socket *segments;
  struct net_addr source, destination;
  uint8_t packet[1500], pseudo[12];
  size_t payload_len = strlen(argv[5]) / 2, i, total;
  uint32_t sequence = (uint32_t)strtoul(argv[4], NULL, 0), sum;
  ssize_t n;
  int rc;

  if (net_addr_parse(argv[0], &source) != 0 ||
      net_addr_parse(argv[2], &destination) != 0 ||
      source.family != NET_FAMILY_IPV4 || payload_len > 1400)
    return fail("arguments", -EINVAL);
  total = 20 + 20 + payload_len;
  memset(packet, 0, sizeof(packet));

  /* IPv4 header */
  packet[0] = 0x45;
  store16(packet + 2, (uint16_t)total);
  packet[8] = 64;
  packet[9] = 6;
  memcpy(packet + 12, source.bytes, 4);
  memcpy(packet + 16, destination.bytes, 4);
  store16(packet + 10, checksum_fold(checksum_add(0, packet, 20)));

  /* TCP header: ACK only, no options. */
  store16(packet + 20, (uint16_t)atoi(argv[1]));
  store16(packet + 22, (uint16_t)atoi(argv[3]));
  packet[24] = (uint8_t)(sequence >> 24);
  packet[25] = (uint8_t)(sequence >> 16);
  packet[26] = (uint8_t)(sequence >> 8);
  packet[27] = (uint8_t)sequence;
  packet[32] = 5 << 4;
  packet[33] = 0x10;
  store16(packet + 34, 65535);
  for (i = 0; i < payload_len; i++)
    packet[40 + i] = (uint8_t)strtoul((char[3]){argv[5][2 * i],
                                                argv[5][2 * i + 1], 0},
                                      NULL, 16);

  /* Checksum over the pseudo-header and the segment. */
  memcpy(pseudo, source.bytes, 4);
  memcpy(pseudo + 4, destination.bytes, 4);
  pseudo[8] = 0;
  pseudo[9] = 6;
  store16(pseudo + 10, (uint16_t)(20 + payload_len));
  sum = checksum_add(0, pseudo, sizeof(pseudo));
  sum = checksum_add(sum, packet + 20, 20 + payload_len);
  store16(packet + 36, checksum_fold(sum));

  memset(&filter, 0, sizeof(filter));
  filter.local.port = 1; /* the receive side is not used here */
  rc = platform_segment_open(&filter, &segments);
  if (rc != 0)
    return fail("segment socket", rc);
  n = platform_segment_send(segments, packet, total);
  platform_segment_close(segments);
  if (n < 0)
    return fail("send", (int)n);
  printf("sent %zd\n", n);
  return 0;
}

int main(int argc, char **argv) {
  platform_log_init("e2e_probe", TCPSEC_LOG_INFO);
  if (argc == 6 && strcmp(argv[1], "tun") == 0)
    return run_tun(argv + 2);
  if (argc == 6 && strcmp(argv[1], "segments") == 0)
    return run_segments(argv + 2);
  if (argc == 8 && strcmp(argv[1], "send") == 0)
    return run_send(argv + 2);
  fprintf(stderr, "usage: see the comment at the top of e2e_probe.c\n");
  return 2;
}
