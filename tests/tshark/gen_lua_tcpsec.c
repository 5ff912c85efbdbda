/*
 * Writes a capture of IKE and ESP over TCP for the Lua dissector test
 * (test_lua_tcpsec.sh). The library's RFC 9329 stream framer and segment
 * builder frame IKE messages from the library's codec and ESP packets from
 * its SAs, all under fixed test keys:
 *
 *   Connection A, 192.0.2.1:40001 -> 192.0.2.2:4500, RFC 9329 stream.
 *   IKE SA and ESP with AES-GCM-16-128. The originator's bytes are cut so
 *   that the prefix is split after "IKE", an IKE message spans two
 *   segments and one segment carries three ESP frames; that segment is
 *   retransmitted once. The originator also sends an empty frame and a
 *   NAT-keepalive frame, and one ESP frame whose last ICV byte is flipped.
 *
 *   Connection B, 192.0.2.1:40002 -> 192.0.2.2:1443, IKE in the RFC 9329
 *   stream and ESP as Fortinet-style segments (tcpsec_segment_tracker),
 *   first 2^30 behind the sender's stream position, then 2^31 ahead, in
 *   both directions. IKE SA and ESP with AES-CBC-256 and
 *   HMAC-SHA2-256-128.
 *
 * Each connection carries IKE_SA_INIT, IKE_AUTH and INFORMATIONAL
 * exchanges (four messages inside SK), and ESP packets that carry ICMP echo
 * requests (10.1.0.1 -> 10.2.0.1) and replies.
 *
 * Usage: gen_lua_tcpsec CAPTURE KEYS EXPECTED
 *   KEYS receives one tshark -o argument per line: an ikev2_decryption_table
 *   row per IKE SA and an esp_sa row per ESP SA.
 *   EXPECTED receives "name count" lines: what the capture contains.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/util.h"
#include "ike/message.h"
#include "pcap_writer.h"
#include "tcpsec/tcpsec.h"

#define CLIENT_ADDR 0xc0000201u /* 192.0.2.1 */
#define SERVER_ADDR 0xc0000202u /* 192.0.2.2 */
#define INNER_CLIENT 0x0a010001u /* 10.1.0.1 */
#define INNER_SERVER 0x0a020001u /* 10.2.0.1 */
#define MSS 1400
#define ICMP_DATA_LEN 100

/* Transforms of one connection and their names in Wireshark 4.0's tables. */
struct suite {
  uint16_t encr;
  size_t encr_key_len; /* AES key, without the AEAD salt */
  size_t salt_len;     /* 4 for AES-GCM, 0 for AES-CBC */
  uint16_t integ;
  size_t integ_key_len;
  const char *ike_encr_name;
  const char *ike_integ_name;
  const char *esp_encr_name;
  const char *esp_auth_name;
};

static const struct suite suite_gcm = {
  TCPSEC_ENCR_AES_GCM_16, 16, 4, TCPSEC_INTEG_NONE, 0,
  "AES-GCM-128 with 16 octet ICV [RFC5282]", "NONE [RFC4306]",
  "AES-GCM with 16 octet ICV [RFC4106]", "NULL"};

static const struct suite suite_cbc = {
  TCPSEC_ENCR_AES_CBC, 32, 0, TCPSEC_INTEG_HMAC_SHA2_256_128, 32,
  "AES-CBC-256 [RFC3602]", "HMAC_SHA2_256_128 [RFC4868]",
  "AES-CBC [RFC3602]", "HMAC-SHA-256-128 [RFC4868]"};

/* Keys of one direction: SK_e (with salt) and SK_a for IKE, and the ESP
 * encryption key (with salt) and integrity key. */
struct direction_keys {
  uint8_t sk_e[36], sk_a[32];
  uint8_t esp_e[36], esp_a[32];
  uint32_t esp_spi;
};

/* One TCP connection and the SAs that travel on it. */
struct conn {
  const struct suite *suite;
  uint16_t client_port, server_port;
  uint32_t seq[2]; /* next sequence number sent: [0] client, [1] server */
  tcpsec_stream *stream[2];
  tcpsec_ike_sk_cipher *sk[2];
  tcpsec_esp_sa *esp[2];
  struct direction_keys keys[2];
  uint8_t spi_i[8], spi_r[8];
  uint16_t icmp_seq;
};

/* What the capture contains, written to EXPECTED. */
struct counts {
  unsigned prefixes, ike, ike_sk, esp_stream, esp_segments, esp_bad_icv;
  unsigned keepalives, empty, icmp;
};

static FILE *capture;
static uint32_t clock_usec;
static tcpsec_ctx *ctx;
static struct counts counts;

static void die(const char *message) {
  fprintf(stderr, "gen_lua_tcpsec: %s\n", message);
  exit(1);
}

static void check(int rv, const char *what) {
  if (rv < 0) {
    fprintf(stderr, "gen_lua_tcpsec: %s: %s\n", what, tcpsec_strerror(rv));
    exit(1);
  }
}

static int fixed_random(void *user, uint8_t *buf, size_t len) {
  static uint32_t state = 0x2545f491u;
  size_t i;

  (void)user;
  for (i = 0; i < len; i++) {
    state = state * 1103515245u + 12345u;
    buf[i] = (uint8_t)(state >> 16);
  }
  return 0;
}

static void fill(uint8_t *p, size_t len, uint8_t seed) {
  size_t i;

  for (i = 0; i < len; i++)
    p[i] = (uint8_t)(seed + i * 7u);
}

static uint16_t checksum_finish(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static uint32_t checksum_add(uint32_t sum, const uint8_t *p, size_t len) {
  size_t i;

  for (i = 0; i + 1 < len; i += 2)
    sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len % 2)
    sum += (uint32_t)p[len - 1] << 8;
  return sum;
}

/* ---- packets ------------------------------------------------------------ */

static void write_packet(const uint8_t *packet, size_t len) {
  if (pcap_write(capture, packet, len, 1700000000u + clock_usec / 1000000u,
                 clock_usec % 1000000u) != 0)
    die("cannot write the capture");
  clock_usec += 1000;
}

/* One TCP segment of the real connection in IPv4, checksum filled in. */
static void write_tcp(const struct conn *c, int from_server, uint32_t seq,
                      uint32_t ack, uint8_t flags, const uint8_t *data,
                      size_t len) {
  uint8_t segment[20 + MSS], packet[40 + MSS], pseudo[12];
  uint32_t src = from_server ? SERVER_ADDR : CLIENT_ADDR;
  uint32_t dst = from_server ? CLIENT_ADDR : SERVER_ADDR;
  size_t n;

  if (len > MSS)
    die("segment longer than the MSS");
  memset(segment, 0, 20);
  tcpsec_store_be16(segment, from_server ? c->server_port : c->client_port);
  tcpsec_store_be16(segment + 2, from_server ? c->client_port : c->server_port);
  tcpsec_store_be32(segment + 4, seq);
  tcpsec_store_be32(segment + 8, ack);
  segment[12] = 5 << 4;
  segment[13] = flags;
  tcpsec_store_be16(segment + 14, 65535);
  if (len > 0)
    memcpy(segment + 20, data, len);
  tcpsec_store_be32(pseudo, src);
  tcpsec_store_be32(pseudo + 4, dst);
  pseudo[8] = 0;
  pseudo[9] = 6;
  tcpsec_store_be16(pseudo + 10, (uint16_t)(20 + len));
  tcpsec_store_be16(segment + 16,
                    checksum_finish(checksum_add(checksum_add(0, pseudo, 12),
                                                 segment, 20 + len)));
  n = pcap_build_ipv4(packet, sizeof(packet), src, dst, 6, segment, 20 + len);
  if (n == 0)
    die("cannot build a TCP packet");
  write_packet(packet, n);
}

static void handshake(struct conn *c) {
  write_tcp(c, 0, c->seq[0] - 1, 0, TCPSEC_TCP_SYN, NULL, 0);
  write_tcp(c, 1, c->seq[1] - 1, c->seq[0], TCPSEC_TCP_SYN | TCPSEC_TCP_ACK,
            NULL, 0);
  write_tcp(c, 0, c->seq[0], c->seq[1], TCPSEC_TCP_ACK, NULL, 0);
}

/* Send bytes on the real stream: the first chunks have the given sizes,
 * the rest goes in MSS-sized segments. */
static void send_stream(struct conn *c, int from_server, const uint8_t *data,
                        size_t len, const size_t *chunks, size_t nchunks) {
  size_t off = 0, i = 0;

  while (off < len) {
    size_t n = i < nchunks ? chunks[i] : MSS;

    if (n > len - off)
      n = len - off;
    write_tcp(c, from_server, c->seq[from_server], c->seq[!from_server],
              TCPSEC_TCP_PSH | TCPSEC_TCP_ACK, data + off, n);
    c->seq[from_server] += (uint32_t)n;
    off += n;
    i++;
  }
}

/* Append one frame (and the prefix, when due) with the side's framer. */
static void frame(struct conn *c, int from_server, tcpsec_encap_kind kind,
                  const uint8_t *msg, size_t len, tcpsec_buf *out) {
  static uint8_t framed[TCPSEC_STREAM_HEADER_MAX + 65535];
  ptrdiff_t n;

  n = tcpsec_stream_frame(c->stream[from_server], kind, msg, len, framed,
                          sizeof(framed));
  check((int)n, "framing a message");
  check(tcpsec_buf_append(out, framed, (size_t)n), "out of memory");
  if (kind == TCPSEC_ENCAP_IKE)
    counts.ike++;
}

/* ---- IKE messages ------------------------------------------------------- */

static void ike_start(tcpsec_ike_builder *b, const struct conn *c,
                      uint8_t exchange, int response, uint32_t message_id) {
  tcpsec_ike_header h;

  memset(&h, 0, sizeof(h));
  memcpy(h.spi_i, c->spi_i, 8);
  if (exchange != TCPSEC_IKE_EXCH_IKE_SA_INIT || response)
    memcpy(h.spi_r, c->spi_r, 8);
  h.exchange = exchange;
  h.flags = response ? TCPSEC_IKE_FLAG_RESPONSE : TCPSEC_IKE_FLAG_INITIATOR;
  h.message_id = message_id;
  tcpsec_ike_builder_init(b, ctx, &h, 0);
}

static void ike_finish(tcpsec_ike_builder *b, tcpsec_ike_sk_cipher *sk,
                       tcpsec_buf *out) {
  check(tcpsec_ike_builder_finish(b, sk, out), "building an IKE message");
  tcpsec_ike_builder_free(b);
  if (sk != NULL)
    counts.ike_sk++;
}

/* <-> IKE_SA_INIT { SA, KE, Ni/Nr } */
static void ike_sa_init(const struct conn *c, int response, tcpsec_buf *out) {
  const struct suite *s = c->suite;
  tcpsec_ike_transform tr[4] = {
    {TCPSEC_TRANSFORM_ENCR, s->encr, (uint16_t)(s->encr_key_len * 8), NULL, 0},
    {TCPSEC_TRANSFORM_PRF, TCPSEC_PRF_HMAC_SHA2_256, 0, NULL, 0},
    {TCPSEC_TRANSFORM_KE, TCPSEC_KE_ECP_256, 0, NULL, 0},
    {TCPSEC_TRANSFORM_INTEG, s->integ, 0, NULL, 0},
  };
  tcpsec_ike_proposal prop = {1, TCPSEC_IKE_PROTO_IKE, 0, {0}, tr,
                              s->integ != TCPSEC_INTEG_NONE ? 4 : 3};
  uint8_t ke[64], nonce[32];
  tcpsec_ike_builder b;

  fill(ke, sizeof(ke), (uint8_t)(0x40 + response));
  fill(nonce, sizeof(nonce), (uint8_t)(0x80 + response));
  ike_start(&b, c, TCPSEC_IKE_EXCH_IKE_SA_INIT, response, 0);
  tcpsec_ike_builder_add_sa(&b, &prop, 1);
  tcpsec_ike_builder_add_ke(&b, TCPSEC_KE_ECP_256, ke, sizeof(ke));
  tcpsec_ike_builder_add_nonce(&b, nonce, sizeof(nonce));
  ike_finish(&b, NULL, out);
}

/* <-> IKE_AUTH { SK { IDi/IDr, AUTH, SA, TSi, TSr } } */
static void ike_auth(const struct conn *c, int response, tcpsec_buf *out) {
  const struct suite *s = c->suite;
  tcpsec_ike_transform tr[3] = {
    {TCPSEC_TRANSFORM_ENCR, s->encr, (uint16_t)(s->encr_key_len * 8), NULL, 0},
    {TCPSEC_TRANSFORM_ESN, 0, 0, NULL, 0},
    {TCPSEC_TRANSFORM_INTEG, s->integ, 0, NULL, 0},
  };
  tcpsec_ike_proposal prop = {1, TCPSEC_IKE_PROTO_ESP, 4, {0}, tr,
                              s->integ != TCPSEC_INTEG_NONE ? 3 : 2};
  tcpsec_ike_selector ts[2];
  uint8_t id[4], auth[32];
  tcpsec_ike_builder b;
  int i;

  /* The SPI each side receives on. */
  tcpsec_store_be32(prop.spi, c->keys[!response].esp_spi);
  tcpsec_store_be32(id, response ? SERVER_ADDR : CLIENT_ADDR);
  fill(auth, sizeof(auth), (uint8_t)(0xc0 + response));
  memset(ts, 0, sizeof(ts));
  for (i = 0; i < 2; i++) {
    ts[i].type = TCPSEC_IKE_TS_IPV4_ADDR_RANGE;
    ts[i].end_port = 65535;
    ts[i].addr_len = 4;
    tcpsec_store_be32(ts[i].start_addr, i == 0 ? 0x0a010000u : 0x0a020000u);
    tcpsec_store_be32(ts[i].end_addr, i == 0 ? 0x0a0100ffu : 0x0a0200ffu);
  }
  ike_start(&b, c, TCPSEC_IKE_EXCH_IKE_AUTH, response, 1);
  tcpsec_ike_builder_begin_sk(&b);
  tcpsec_ike_builder_add_id(&b, response ? TCPSEC_IKE_PT_IDR : TCPSEC_IKE_PT_IDI,
                            TCPSEC_IKE_ID_IPV4_ADDR, id, sizeof(id));
  tcpsec_ike_builder_add_auth(&b, TCPSEC_IKE_AUTH_SHARED_KEY_MIC, auth, sizeof(auth));
  tcpsec_ike_builder_add_sa(&b, &prop, 1);
  tcpsec_ike_builder_add_ts(&b, TCPSEC_IKE_PT_TSI, &ts[0], 1);
  tcpsec_ike_builder_add_ts(&b, TCPSEC_IKE_PT_TSR, &ts[1], 1);
  ike_finish(&b, c->sk[response], out);
}

/* <-> INFORMATIONAL { SK { D(ESP SPI) } } */
static void informational(const struct conn *c, int response, tcpsec_buf *out) {
  tcpsec_ike_builder b;
  uint8_t spi[4];

  tcpsec_store_be32(spi, c->keys[!response].esp_spi);
  ike_start(&b, c, TCPSEC_IKE_EXCH_INFORMATIONAL, response, 2);
  tcpsec_ike_builder_begin_sk(&b);
  tcpsec_ike_builder_add_delete(&b, TCPSEC_IKE_PROTO_ESP, 4, spi, 1);
  ike_finish(&b, c->sk[response], out);
}

/* ---- ESP ---------------------------------------------------------------- */

/* Seal an ICMP echo request (client) or reply (server) with the side's
 * outbound SA, at `headroom` bytes into out; returns the ESP length. */
static size_t seal_icmp(struct conn *c, int from_server, uint8_t *out,
                        size_t cap, size_t headroom) {
  uint8_t inner[20 + 8 + ICMP_DATA_LEN];
  size_t i, len = sizeof(inner);
  ptrdiff_t n;

  memset(inner, 0, len);
  inner[0] = 0x45;
  tcpsec_store_be16(inner + 2, (uint16_t)len);
  inner[8] = 64;
  inner[9] = 1;
  tcpsec_store_be32(inner + 12, from_server ? INNER_SERVER : INNER_CLIENT);
  tcpsec_store_be32(inner + 16, from_server ? INNER_CLIENT : INNER_SERVER);
  tcpsec_store_be16(inner + 10, checksum_finish(checksum_add(0, inner, 20)));
  inner[20] = from_server ? 0 : 8; /* echo reply or request */
  tcpsec_store_be16(inner + 24, c->client_port);
  tcpsec_store_be16(inner + 26, ++c->icmp_seq);
  for (i = 28; i < len; i++)
    inner[i] = (uint8_t)i;
  tcpsec_store_be16(inner + 22, checksum_finish(checksum_add(0, inner + 20, len - 20)));

  n = tcpsec_esp_sa_seal(c->esp[from_server], inner, len, out + headroom,
                         cap - headroom, clock_usec / 1000u);
  check((int)n, "sealing an ESP packet");
  counts.icmp++;
  return (size_t)n;
}

static void esp_frames(struct conn *c, int from_server, size_t count,
                       tcpsec_buf *out) {
  uint8_t packet[256];
  size_t i, n;

  for (i = 0; i < count; i++) {
    n = seal_icmp(c, from_server, packet, sizeof(packet), 0);
    frame(c, from_server, TCPSEC_ENCAP_ESP, packet, n, out);
    counts.esp_stream++;
  }
}

/* ESP as Fortinet-style segments built by a tracker of the sending side. */
static void esp_segments(struct conn *c, int from_server,
                         tcpsec_segment_placement placement, size_t count) {
  tcpsec_segment_tracker_config cfg;
  tcpsec_segment_tracker *t;
  uint8_t packet[TCPSEC_SEGMENT_HEADROOM + 256];
  size_t i, n, start;
  ptrdiff_t len;

  tcpsec_segment_tracker_config_default(&cfg);
  cfg.local_addr.family = TCPSEC_IP_V4;
  cfg.remote_addr.family = TCPSEC_IP_V4;
  tcpsec_store_be32(cfg.local_addr.bytes, from_server ? SERVER_ADDR : CLIENT_ADDR);
  tcpsec_store_be32(cfg.remote_addr.bytes, from_server ? CLIENT_ADDR : SERVER_ADDR);
  cfg.local_port = from_server ? c->server_port : c->client_port;
  cfg.remote_port = from_server ? c->client_port : c->server_port;
  cfg.placement = placement;
  check(tcpsec_segment_tracker_new(ctx, &cfg, &t), "creating a segment tracker");
  check(tcpsec_segment_tracker_set_position(t, c->seq[from_server], c->seq[!from_server]),
        "setting the stream position");
  for (i = 0; i < count; i++) {
    n = seal_icmp(c, from_server, packet, sizeof(packet), TCPSEC_SEGMENT_HEADROOM);
    len = tcpsec_segment_tracker_build(t, packet, TCPSEC_SEGMENT_HEADROOM, n, &start);
    check((int)len, "building a segment");
    write_packet(packet + start, (size_t)len);
    counts.esp_segments++;
  }
  tcpsec_segment_tracker_free(t);
}

/* ---- set-up and keys ---------------------------------------------------- */

static void conn_init(struct conn *c, const struct suite *s, uint16_t client_port,
                      uint16_t server_port, uint8_t seed) {
  tcpsec_ike_sk_keys sk;
  tcpsec_esp_sa_config esp;
  int side;

  memset(c, 0, sizeof(*c));
  c->suite = s;
  c->client_port = client_port;
  c->server_port = server_port;
  c->seq[0] = 0x10000000u * seed + 1000;
  c->seq[1] = 0x30000000u * seed + 5000;
  fill(c->spi_i, 8, (uint8_t)(seed * 0x11));
  fill(c->spi_r, 8, (uint8_t)(seed * 0x22));
  check(tcpsec_stream_new(ctx, TCPSEC_STREAM_ORIGINATOR, NULL, &c->stream[0]),
        "creating the originator's framer");
  check(tcpsec_stream_new(ctx, TCPSEC_STREAM_RESPONDER, NULL, &c->stream[1]),
        "creating the responder's framer");

  for (side = 0; side < 2; side++) {
    struct direction_keys *k = &c->keys[side];

    fill(k->sk_e, sizeof(k->sk_e), (uint8_t)(seed * 16 + side));
    fill(k->sk_a, sizeof(k->sk_a), (uint8_t)(seed * 16 + side + 4));
    fill(k->esp_e, sizeof(k->esp_e), (uint8_t)(seed * 16 + side + 8));
    fill(k->esp_a, sizeof(k->esp_a), (uint8_t)(seed * 16 + side + 12));
    k->esp_spi = 0xa0000000u + (uint32_t)seed * 0x100u + (uint32_t)side + 1u;

    memset(&sk, 0, sizeof(sk));
    sk.encr = s->encr;
    sk.encr_key = k->sk_e;
    sk.encr_key_len = s->encr_key_len;
    sk.salt = s->salt_len ? k->sk_e + s->encr_key_len : NULL;
    sk.salt_len = s->salt_len;
    sk.integ = s->integ;
    sk.integ_key = s->integ_key_len ? k->sk_a : NULL;
    sk.integ_key_len = s->integ_key_len;
    check(tcpsec_ike_sk_cipher_new(ctx, &sk, &c->sk[side]), "creating an SK cipher");

    tcpsec_esp_sa_config_default(&esp);
    esp.spi = k->esp_spi;
    esp.direction = TCPSEC_ESP_OUTBOUND;
    esp.encr = s->encr;
    esp.encr_key = k->esp_e;
    esp.encr_key_len = s->encr_key_len + s->salt_len;
    esp.integ = s->integ;
    esp.integ_key = s->integ_key_len ? k->esp_a : NULL;
    esp.integ_key_len = s->integ_key_len;
    check(tcpsec_esp_sa_new(ctx, &esp, 0, &c->esp[side]), "creating an ESP SA");
  }
}

static void conn_free(struct conn *c) {
  int side;

  for (side = 0; side < 2; side++) {
    tcpsec_stream_free(c->stream[side]);
    tcpsec_ike_sk_cipher_free(c->sk[side]);
    tcpsec_esp_sa_free(c->esp[side]);
  }
}

static void hex(FILE *f, const uint8_t *p, size_t len) {
  size_t i;

  for (i = 0; i < len; i++)
    fprintf(f, "%02x", p[i]);
}

/* Rows for tshark's -o: the IKE table takes unquoted hex, the ESP table
 * quoted strings with 0x. */
static void write_keys(FILE *f, const struct conn *c) {
  const struct suite *s = c->suite;
  size_t e_len = s->encr_key_len + s->salt_len;
  int side;

  fputs("uat:ikev2_decryption_table:", f);
  hex(f, c->spi_i, 8);
  fputc(',', f);
  hex(f, c->spi_r, 8);
  fputc(',', f);
  hex(f, c->keys[0].sk_e, e_len);
  fputc(',', f);
  hex(f, c->keys[1].sk_e, e_len);
  fprintf(f, ",\"%s\",", s->ike_encr_name);
  hex(f, c->keys[0].sk_a, s->integ_key_len);
  fputc(',', f);
  hex(f, c->keys[1].sk_a, s->integ_key_len);
  fprintf(f, ",\"%s\"\n", s->ike_integ_name);

  for (side = 0; side < 2; side++) {
    fprintf(f, "uat:esp_sa:\"IPv4\",\"192.0.2.%d\",\"192.0.2.%d\",\"0x%08x\",\"%s\",\"0x",
            side ? 2 : 1, side ? 1 : 2, c->keys[side].esp_spi, s->esp_encr_name);
    hex(f, c->keys[side].esp_e, e_len);
    fprintf(f, "\",\"%s\",\"", s->esp_auth_name);
    if (s->integ_key_len > 0) {
      fputs("0x", f);
      hex(f, c->keys[side].esp_a, s->integ_key_len);
    }
    fputs("\"\n", f);
  }
}

/* ---- the two connections ------------------------------------------------ */

/* Connection A: everything in the RFC 9329 stream. */
static void connection_stream(struct conn *c) {
  static const size_t split_prefix[] = {3, 20};
  static const size_t split_message[] = {100};
  static const size_t split_first_frame[] = {40};
  static const uint8_t empty_and_keepalive[] = {0x00, 0x02, 0x00, 0x03, 0xff};
  tcpsec_buf out;
  uint8_t *last;
  uint32_t retransmit_seq;
  tcpsec_buf msg;

  tcpsec_buf_init(&out, ctx, 1 << 20);
  tcpsec_buf_init(&msg, ctx, 1 << 16);
  handshake(c);

  /* --> "IKETCP" IKE_SA_INIT, cut after "IKE" and after 20 bytes */
  ike_sa_init(c, 0, &msg);
  frame(c, 0, TCPSEC_ENCAP_IKE, msg.data, msg.len, &out);
  counts.prefixes++;
  send_stream(c, 0, out.data, out.len, split_prefix, 2);
  tcpsec_buf_reset(&out);
  tcpsec_buf_reset(&msg);

  /* <-- IKE_SA_INIT */
  ike_sa_init(c, 1, &msg);
  frame(c, 1, TCPSEC_ENCAP_IKE, msg.data, msg.len, &out);
  send_stream(c, 1, out.data, out.len, NULL, 0);
  tcpsec_buf_reset(&out);
  tcpsec_buf_reset(&msg);

  /* --> IKE_AUTH, spanning two segments */
  ike_auth(c, 0, &msg);
  frame(c, 0, TCPSEC_ENCAP_IKE, msg.data, msg.len, &out);
  send_stream(c, 0, out.data, out.len, split_message, 1);
  tcpsec_buf_reset(&out);
  tcpsec_buf_reset(&msg);

  /* <-- IKE_AUTH */
  ike_auth(c, 1, &msg);
  frame(c, 1, TCPSEC_ENCAP_IKE, msg.data, msg.len, &out);
  send_stream(c, 1, out.data, out.len, NULL, 0);
  tcpsec_buf_reset(&out);
  tcpsec_buf_reset(&msg);

  /* --> three ESP frames in one segment, which is then retransmitted */
  esp_frames(c, 0, 3, &out);
  retransmit_seq = c->seq[0];
  send_stream(c, 0, out.data, out.len, NULL, 0);
  write_tcp(c, 0, retransmit_seq, c->seq[1], TCPSEC_TCP_PSH | TCPSEC_TCP_ACK,
            out.data, out.len);
  tcpsec_buf_reset(&out);

  /* <-- three ESP frames, the first cut after 40 bytes */
  esp_frames(c, 1, 3, &out);
  send_stream(c, 1, out.data, out.len, split_first_frame, 1);
  tcpsec_buf_reset(&out);

  /* --> an empty frame, a keepalive, and an ESP frame with a bad ICV */
  check(tcpsec_buf_append(&out, empty_and_keepalive, sizeof(empty_and_keepalive)),
        "out of memory");
  counts.empty++;
  counts.keepalives++;
  esp_frames(c, 0, 1, &out);
  last = out.data + out.len - 1;
  *last ^= 0x01;
  counts.esp_bad_icv++;
  send_stream(c, 0, out.data, out.len, NULL, 0);
  tcpsec_buf_reset(&out);

  /* <-> INFORMATIONAL { D } */
  informational(c, 0, &msg);
  frame(c, 0, TCPSEC_ENCAP_IKE, msg.data, msg.len, &out);
  send_stream(c, 0, out.data, out.len, NULL, 0);
  tcpsec_buf_reset(&out);
  tcpsec_buf_reset(&msg);
  informational(c, 1, &msg);
  frame(c, 1, TCPSEC_ENCAP_IKE, msg.data, msg.len, &out);
  send_stream(c, 1, out.data, out.len, NULL, 0);

  tcpsec_buf_free(&msg);
  tcpsec_buf_free(&out);
}

/* Connection B: IKE in the stream, ESP as Fortinet-style segments. */
static void connection_segments(struct conn *c) {
  tcpsec_buf out, msg;
  int response;

  tcpsec_buf_init(&out, ctx, 1 << 20);
  tcpsec_buf_init(&msg, ctx, 1 << 16);
  handshake(c);
  counts.prefixes++;

  /* <-> IKE_SA_INIT, IKE_AUTH */
  for (response = 0; response < 4; response++) {
    if (response < 2)
      ike_sa_init(c, response, &msg);
    else
      ike_auth(c, response - 2, &msg);
    frame(c, response % 2, TCPSEC_ENCAP_IKE, msg.data, msg.len, &out);
    send_stream(c, response % 2, out.data, out.len, NULL, 0);
    tcpsec_buf_reset(&out);
    tcpsec_buf_reset(&msg);
  }

  /* ESP segments both ways, behind and then ahead of the stream */
  esp_segments(c, 0, TCPSEC_SEGMENT_BEHIND, 3);
  esp_segments(c, 1, TCPSEC_SEGMENT_BEHIND, 3);
  esp_segments(c, 0, TCPSEC_SEGMENT_AHEAD, 2);
  esp_segments(c, 1, TCPSEC_SEGMENT_AHEAD, 2);

  /* <-> INFORMATIONAL { D } in the stream after the segments */
  for (response = 0; response < 2; response++) {
    informational(c, response, &msg);
    frame(c, response, TCPSEC_ENCAP_IKE, msg.data, msg.len, &out);
    send_stream(c, response, out.data, out.len, NULL, 0);
    tcpsec_buf_reset(&out);
    tcpsec_buf_reset(&msg);
  }

  tcpsec_buf_free(&msg);
  tcpsec_buf_free(&out);
}

int main(int argc, char **argv) {
  tcpsec_ctx_config cfg;
  struct conn a, b;
  FILE *keys, *expected;

  if (argc != 4)
    die("usage: gen_lua_tcpsec CAPTURE KEYS EXPECTED");
  tcpsec_ctx_config_default(&cfg);
  cfg.random = fixed_random;
  check(tcpsec_ctx_new(&cfg, &ctx), "creating a context");
  capture = pcap_open_raw(argv[1]);
  keys = fopen(argv[2], "w");
  expected = fopen(argv[3], "w");
  if (capture == NULL || keys == NULL || expected == NULL)
    die("cannot create the output files");

  conn_init(&a, &suite_gcm, 40001, 4500, 1);
  conn_init(&b, &suite_cbc, 40002, 1443, 2);
  connection_stream(&a);
  connection_segments(&b);
  write_keys(keys, &a);
  write_keys(keys, &b);

  fprintf(expected,
          "prefixes %u\nike %u\nike_sk %u\nesp_stream %u\nesp_segments %u\n"
          "esp_bad_icv %u\nkeepalives %u\nempty %u\nicmp %u\n",
          counts.prefixes, counts.ike, counts.ike_sk, counts.esp_stream,
          counts.esp_segments, counts.esp_bad_icv, counts.keepalives,
          counts.empty, counts.icmp);

  conn_free(&a);
  conn_free(&b);
  if (fclose(capture) != 0 || fclose(keys) != 0 || fclose(expected) != 0)
    die("cannot write the output files");
  tcpsec_ctx_free(ctx);
  return 0;
}
