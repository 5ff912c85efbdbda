/*
 * Writes a capture for tcpsec-decode's stream and decryption paths:
 *
 *   - an RFC 9329 TCP connection on port 4500: handshake, "IKETCP" prefix,
 *     IKE_SA_INIT request and response, one ESP frame, IKE_AUTH request and
 *     response inside SK; the initiator's bytes are cut into odd-sized
 *     segments, one of them sent out of order and one retransmitted;
 *   - UDP 4500 with the non-ESP marker: an INFORMATIONAL request sent as
 *     RFC 7383 fragments.
 *
 * Usage: gen_decode_tcp CAPTURE KEYS_FILE. KEYS_FILE receives the key line
 * for tcpsec-decode --keys-file (ChaCha20-Poly1305, fixed test keys).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/util.h"
#include "ike/message.h"
#include "pcap_writer.h"

#define CLIENT 0xc0000201u /* 192.0.2.1 */
#define SERVER 0xc0000202u /* 192.0.2.2 */
#define CLIENT_PORT 40000
#define SERVER_PORT 4500

static uint8_t spi_i[8] = {0x1a, 0x1a, 0x1a, 0x1a, 0x1a, 0x1a, 0x1a, 0x01};
static uint8_t spi_r[8] = {0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x02};
static uint32_t timestamp;

static int fixed_random(void *user, uint8_t *buf, size_t len) {
  (void)user;
  memset(buf, 0x3e, len);
  return 0;
}

static void die(const char *message) {
  fprintf(stderr, "gen_decode_tcp: %s\n", message);
  exit(1);
}

/* TCP segment with flags (0x02 SYN, 0x10 ACK, 0x18 PSH|ACK) in IPv4. */
static void write_tcp(FILE *f, int from_client, uint32_t seq, uint32_t ack,
                      uint8_t flags, const uint8_t *data, size_t len) {
  uint8_t seg[2048], pkt[2100];
  size_t n;

  if (len + 20 > sizeof(seg))
    die("segment too long");
  memset(seg, 0, 20);
  tcpsec_store_be16(seg, from_client ? CLIENT_PORT : SERVER_PORT);
  tcpsec_store_be16(seg + 2, from_client ? SERVER_PORT : CLIENT_PORT);
  tcpsec_store_be32(seg + 4, seq);
  tcpsec_store_be32(seg + 8, ack);
  seg[12] = 5 << 4;
  seg[13] = flags;
  tcpsec_store_be16(seg + 14, 65535);
  if (len > 0)
    memcpy(seg + 20, data, len);
  n = pcap_build_ipv4(pkt, sizeof(pkt), from_client ? CLIENT : SERVER,
                      from_client ? SERVER : CLIENT, 6, seg, len + 20);
  if (n == 0 || pcap_write(f, pkt, n, 1700000000, timestamp++) != 0)
    die("cannot write a TCP packet");
}

static void write_udp(FILE *f, const uint8_t *data, size_t len) {
  uint8_t dgram[2048], pkt[2100];
  size_t n;

  if (len + 4 > sizeof(dgram))
    die("datagram too long");
  memset(dgram, 0, 4); /* non-ESP marker */
  memcpy(dgram + 4, data, len);
  n = pcap_build_ipv4_udp(pkt, sizeof(pkt), CLIENT, SERVER, 4500, 4500, dgram, len + 4);
  if (n == 0 || pcap_write(f, pkt, n, 1700000000, timestamp++) != 0)
    die("cannot write a UDP packet");
}

/* Append one RFC 9329 frame: 16-bit length (counting itself), marker, IKE. */
static void frame_ike(tcpsec_buf *stream, const tcpsec_buf *msg) {
  if (tcpsec_buf_append_be16(stream, (uint16_t)(msg->len + 6)) != 0 ||
      tcpsec_buf_append_be32(stream, 0) != 0 ||
      tcpsec_buf_append(stream, msg->data, msg->len) != 0)
    die("cannot frame a message");
}

static void start(tcpsec_ike_builder *b, tcpsec_ctx *ctx, uint8_t exchange,
                  uint8_t flags, uint32_t message_id) {
  tcpsec_ike_header h;

  memset(&h, 0, sizeof(h));
  memcpy(h.spi_i, spi_i, 8);
  if (exchange != TCPSEC_IKE_EXCH_IKE_SA_INIT || (flags & TCPSEC_IKE_FLAG_RESPONSE))
    memcpy(h.spi_r, spi_r, 8);
  h.exchange = exchange;
  h.flags = flags;
  h.message_id = message_id;
  tcpsec_ike_builder_init(b, ctx, &h, 0);
}

static void finish(tcpsec_ike_builder *b, tcpsec_ike_sk_cipher *c, tcpsec_buf *out) {
  if (tcpsec_ike_builder_finish(b, c, out) != 0)
    die("cannot build a message");
  tcpsec_ike_builder_free(b);
}

int main(int argc, char **argv) {
  static const uint8_t nonce[32] = {1}, ke[32] = {2}, ts_end[4] = {255, 255, 255, 255};
  uint8_t sk_ei[36], sk_er[36], cert[1200];
  tcpsec_ike_transform tr[] = {
    {TCPSEC_TRANSFORM_ENCR, TCPSEC_ENCR_CHACHA20_POLY1305, 0, NULL, 0},
    {TCPSEC_TRANSFORM_PRF, TCPSEC_PRF_HMAC_SHA2_256, 0, NULL, 0},
    {TCPSEC_TRANSFORM_KE, TCPSEC_KE_CURVE25519, 0, NULL, 0},
  };
  tcpsec_ike_proposal prop = {1, TCPSEC_IKE_PROTO_IKE, 0, {0}, tr, 3};
  tcpsec_ike_sk_cipher *ci, *cr;
  tcpsec_ike_sk_keys keys;
  tcpsec_ike_selector ts;
  tcpsec_ike_builder b;
  tcpsec_ctx_config cfg;
  tcpsec_buf client, server, msg, frags;
  tcpsec_ctx *ctx;
  size_t lens[16], count, i, off, cut[8], ncut;
  uint32_t cseq = 1000, sseq = 5000;
  FILE *f, *kf;

  if (argc != 3)
    die("usage: gen_decode_tcp CAPTURE KEYS_FILE");
  tcpsec_ctx_config_default(&cfg);
  cfg.random = fixed_random;
  if (tcpsec_ctx_new(&cfg, &ctx) != 0)
    die("cannot create a context");
  for (i = 0; i < sizeof(sk_ei); i++) {
    sk_ei[i] = (uint8_t)(0x10 + i);
    sk_er[i] = (uint8_t)(0x90 + i);
  }
  for (i = 0; i < sizeof(cert); i++)
    cert[i] = (uint8_t)(i * 13);

  /* SK_e = key (32) | salt (4), as IKEv2 derives it for AEAD. */
  memset(&keys, 0, sizeof(keys));
  keys.encr = TCPSEC_ENCR_CHACHA20_POLY1305;
  keys.encr_key_len = 32;
  keys.salt_len = 4;
  keys.encr_key = sk_ei;
  keys.salt = sk_ei + 32;
  if (tcpsec_ike_sk_cipher_new(ctx, &keys, &ci) != 0)
    die("cannot create the initiator cipher");
  keys.encr_key = sk_er;
  keys.salt = sk_er + 32;
  if (tcpsec_ike_sk_cipher_new(ctx, &keys, &cr) != 0)
    die("cannot create the responder cipher");

  kf = fopen(argv[2], "w");
  if (kf == NULL)
    die("cannot write the keys file");
  fprintf(kf, "# SPIi:SPIr:SK_ei:SK_er:ENCR:SK_ai:SK_ar:INTEG\n");
  for (i = 0; i < 8; i++)
    fprintf(kf, "%02x", spi_i[i]);
  fputc(':', kf);
  for (i = 0; i < 8; i++)
    fprintf(kf, "%02x", spi_r[i]);
  fputc(':', kf);
  for (i = 0; i < sizeof(sk_ei); i++)
    fprintf(kf, "%02x", sk_ei[i]);
  fputc(':', kf);
  for (i = 0; i < sizeof(sk_er); i++)
    fprintf(kf, "%02x", sk_er[i]);
  fprintf(kf, ":chacha20-poly1305:-:-:none\n");
  fclose(kf);

  tcpsec_buf_init(&client, ctx, 1 << 20);
  tcpsec_buf_init(&server, ctx, 1 << 20);
  if (tcpsec_buf_append(&client, "IKETCP", 6) != 0)
    die("out of memory");

  /* --> IKE_SA_INIT { SA, KE, Ni, N(FRAGMENTATION_SUPPORTED) } */
  start(&b, ctx, TCPSEC_IKE_EXCH_IKE_SA_INIT, TCPSEC_IKE_FLAG_INITIATOR, 0);
  tcpsec_ike_builder_add_sa(&b, &prop, 1);
  tcpsec_ike_builder_add_ke(&b, TCPSEC_KE_CURVE25519, ke, sizeof(ke));
  tcpsec_ike_builder_add_nonce(&b, nonce, sizeof(nonce));
  tcpsec_ike_builder_add_notify(&b, 0, NULL, 0, TCPSEC_IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
                                NULL, 0);
  tcpsec_buf_init(&msg, ctx, 1 << 16);
  finish(&b, NULL, &msg);
  frame_ike(&client, &msg);
  tcpsec_buf_reset(&msg);

  /* An ESP frame between the IKE messages: SPI 0x11223344, sequence 1. */
  if (tcpsec_buf_append(&client, "\x00\x12\x11\x22\x33\x44\x00\x00\x00\x01"
                        "\xaa\xbb\xcc\xdd\xee\xff\x00\x11", 18) != 0)
    die("out of memory");

  /* --> IKE_AUTH { IDi, AUTH, TSi, TSr } inside SK */
  memset(&ts, 0, sizeof(ts));
  ts.type = TCPSEC_IKE_TS_IPV4_ADDR_RANGE;
  ts.end_port = 65535;
  ts.addr_len = 4;
  memcpy(ts.end_addr, ts_end, 4);
  start(&b, ctx, TCPSEC_IKE_EXCH_IKE_AUTH, TCPSEC_IKE_FLAG_INITIATOR, 1);
  tcpsec_ike_builder_begin_sk(&b);
  tcpsec_ike_builder_add_id(&b, TCPSEC_IKE_PT_IDI, TCPSEC_IKE_ID_FQDN,
                            (const uint8_t *)"spoke.example", 13);
  tcpsec_ike_builder_add_auth(&b, TCPSEC_IKE_AUTH_SHARED_KEY_MIC, nonce, 32);
  tcpsec_ike_builder_add_ts(&b, TCPSEC_IKE_PT_TSI, &ts, 1);
  tcpsec_ike_builder_add_ts(&b, TCPSEC_IKE_PT_TSR, &ts, 1);
  finish(&b, ci, &msg);
  frame_ike(&client, &msg);
  tcpsec_buf_reset(&msg);

  /* <-- IKE_SA_INIT { SA, KE, Nr } and IKE_AUTH { IDr, AUTH } inside SK */
  start(&b, ctx, TCPSEC_IKE_EXCH_IKE_SA_INIT, TCPSEC_IKE_FLAG_RESPONSE, 0);
  tcpsec_ike_builder_add_sa(&b, &prop, 1);
  tcpsec_ike_builder_add_ke(&b, TCPSEC_KE_CURVE25519, ke, sizeof(ke));
  tcpsec_ike_builder_add_nonce(&b, nonce, sizeof(nonce));
  finish(&b, NULL, &msg);
  frame_ike(&server, &msg);
  tcpsec_buf_reset(&msg);
  start(&b, ctx, TCPSEC_IKE_EXCH_IKE_AUTH, TCPSEC_IKE_FLAG_RESPONSE, 1);
  tcpsec_ike_builder_begin_sk(&b);
  tcpsec_ike_builder_add_id(&b, TCPSEC_IKE_PT_IDR, TCPSEC_IKE_ID_FQDN,
                            (const uint8_t *)"hub.example", 11);
  tcpsec_ike_builder_add_auth(&b, TCPSEC_IKE_AUTH_SHARED_KEY_MIC, nonce, 32);
  finish(&b, cr, &msg);
  frame_ike(&server, &msg);

  f = pcap_open_raw(argv[1]);
  if (f == NULL)
    die("cannot write the capture");

  /* Handshake. */
  write_tcp(f, 1, cseq - 1, 0, 0x02, NULL, 0);
  write_tcp(f, 0, sseq - 1, cseq, 0x12, NULL, 0);
  write_tcp(f, 1, cseq, sseq, 0x10, NULL, 0);

  /* Initiator bytes in odd pieces: segment 2 arrives before segment 1, and
   * segment 3 is sent twice. */
  ncut = 0;
  cut[ncut++] = 0;
  cut[ncut++] = 5;
  cut[ncut++] = 61;
  cut[ncut++] = 200;
  cut[ncut++] = client.len;
  write_tcp(f, 1, cseq + (uint32_t)cut[1], sseq, 0x18, client.data + cut[1],
            cut[2] - cut[1]);
  write_tcp(f, 1, cseq, sseq, 0x18, client.data, cut[1]);
  for (i = 2; i + 1 < ncut; i++) {
    write_tcp(f, 1, cseq + (uint32_t)cut[i], sseq, 0x18, client.data + cut[i],
              cut[i + 1] - cut[i]);
    if (i == 2)
      write_tcp(f, 1, cseq + (uint32_t)cut[i], sseq, 0x18, client.data + cut[i],
                cut[i + 1] - cut[i]);
  }
  write_tcp(f, 0, sseq, cseq + (uint32_t)client.len, 0x18, server.data, server.len);

  /* --> INFORMATIONAL { CERT, N(INITIAL_CONTACT) } in fragments over UDP. */
  start(&b, ctx, TCPSEC_IKE_EXCH_INFORMATIONAL, TCPSEC_IKE_FLAG_INITIATOR, 2);
  tcpsec_ike_builder_begin_sk(&b);
  tcpsec_ike_builder_add_cert(&b, TCPSEC_IKE_CERT_X509_SIGNATURE, cert, sizeof(cert));
  tcpsec_ike_builder_add_notify(&b, 0, NULL, 0, TCPSEC_IKE_N_INITIAL_CONTACT, NULL, 0);
  tcpsec_buf_init(&frags, ctx, 1 << 20);
  if (tcpsec_ike_builder_finish_fragments(&b, ci, 500, &frags, lens, 16, &count) != 0)
    die("cannot build fragments");
  tcpsec_ike_builder_free(&b);
  for (i = 0, off = 0; i < count; i++) {
    write_udp(f, frags.data + off, lens[i]);
    off += lens[i];
  }

  fclose(f);
  tcpsec_buf_free(&frags);
  tcpsec_buf_free(&msg);
  tcpsec_buf_free(&client);
  tcpsec_buf_free(&server);
  tcpsec_ike_sk_cipher_free(ci);
  tcpsec_ike_sk_cipher_free(cr);
  tcpsec_ctx_free(ctx);
  return 0;
}
