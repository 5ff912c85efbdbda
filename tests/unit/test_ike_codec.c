/*
 * Unit tests for the IKEv2 message codec: parsing of published messages,
 * round trips, the builder, and one table of malformed shapes with the
 * exact error code, payload type and offset of each.
 *
 * The published messages are read at run time from ikev2_messages/ in the
 * vectors folder. Its INDEX.json lists exchange, flags, Message ID, length
 * and first payload of every file. The test skips them when the folder is
 * absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "core/buf.h"
#include "core/util.h"
#include "ike/message.h"

/* Context for buffers in helpers; created by the group setup. */
static tcpsec_ctx *g_ctx;
static test_rng g_rng;

static int group_setup(void **state) {
  (void)state;
  g_ctx = test_ctx_new(&g_rng, 42);
  return g_ctx != NULL ? 0 : -1;
}

static int group_teardown(void **state) {
  (void)state;
  tcpsec_ctx_free(g_ctx);
  return 0;
}

/* ---- message assembly helpers ------------------------------------------- */

/* One payload of a hand-made message: type, generic header flags, body. */
struct piece {
  uint8_t type;
  uint8_t flags;
  const char *hex;
};

/*
 * Assemble header + pieces into out, chaining the next payload fields and
 * filling every length. offsets[i] receives the offset of piece i.
 */
static size_t assemble(uint8_t *out, size_t cap, uint8_t exchange,
                       uint8_t flags, const struct piece *pieces, size_t n,
                       size_t *offsets) {
  size_t pos = TCPSEC_IKE_HEADER_LEN, i;

  memset(out, 0, TCPSEC_IKE_HEADER_LEN);
  memset(out, 0x11, 8);
  memset(out + 8, 0x22, 8);
  out[16] = n > 0 ? pieces[0].type : 0;
  out[17] = 0x20;
  out[18] = exchange;
  out[19] = flags;
  tcpsec_store_be32(out + 20, 7);

  for (i = 0; i < n; i++) {
    long body = test_hex_decode(pieces[i].hex, out + pos + 4, cap - pos - 4);
    assert_true(body >= 0);
    out[pos] = i + 1 < n ? pieces[i + 1].type : 0;
    out[pos + 1] = pieces[i].flags;
    tcpsec_store_be16(out + pos + 2, (uint16_t)(body + 4));
    if (offsets != NULL)
      offsets[i] = pos;
    pos += (size_t)body + 4;
  }
  tcpsec_store_be32(out + 24, (uint32_t)pos);
  return pos;
}

static tcpsec_ike_msg *msg_new(void) {
  tcpsec_ike_msg *m = calloc(1, sizeof(*m));

  assert_non_null(m);
  return m;
}

/* Parse, then check that re-encoding gives the same bytes. */
static void assert_round_trip(const uint8_t *data, size_t len) {
  tcpsec_ike_msg *m = msg_new();
  tcpsec_ike_parse_error err;
  tcpsec_buf out;

  assert_int_equal(tcpsec_ike_msg_parse(m, data, len, &err), 0);
  tcpsec_buf_init(&out, g_ctx, 1 << 20);
  assert_int_equal(tcpsec_ike_msg_serialize(m, &out), 0);
  assert_int_equal(out.len, len);
  assert_memory_equal(out.data, data, len);
  tcpsec_buf_free(&out);
  free(m);
}

/* ---- published messages -------------------------------------------------- */

/* Value of "key": in one INDEX.json object, as a string (quotes removed). */
static int json_field(const char *obj, const char *end, const char *key,
                      char *val, size_t cap) {
  char pattern[64];
  const char *p, *q;
  size_t n;

  snprintf(pattern, sizeof(pattern), "\"%s\":", key);
  p = strstr(obj, pattern);
  if (p == NULL || p > end)
    return 0;
  p += strlen(pattern);
  while (*p == ' ')
    p++;
  if (*p == '"')
    p++;
  q = p;
  while (*q != '"' && *q != ',' && *q != '\n' && *q != '}')
    q++;
  n = (size_t)(q - p);
  if (n >= cap)
    return 0;
  memcpy(val, p, n);
  val[n] = '\0';
  return 1;
}

struct index_entry {
  char file[128];
  char exchange[32];
  unsigned flags;
  unsigned long message_id;
  unsigned long length;
  unsigned long header_length;
  unsigned first_payload;
};

static int index_next(const char **pos, struct index_entry *e) {
  const char *obj = strstr(*pos, "\"file\":");
  const char *end;
  char v[64];

  if (obj == NULL)
    return 0;
  end = strchr(obj, '}');
  assert_non_null(end);
  memset(e, 0, sizeof(*e));
  assert_true(json_field(obj, end, "file", e->file, sizeof(e->file)));
  assert_true(json_field(obj, end, "exchange", e->exchange, sizeof(e->exchange)));
  assert_true(json_field(obj, end, "flags", v, sizeof(v)));
  e->flags = (unsigned)strtoul(v, NULL, 16);
  assert_true(json_field(obj, end, "message_id", v, sizeof(v)));
  e->message_id = strtoul(v, NULL, 10);
  assert_true(json_field(obj, end, "length", v, sizeof(v)));
  e->length = strtoul(v, NULL, 10);
  e->header_length = e->length;
  if (json_field(obj, end, "header_length_field", v, sizeof(v)))
    e->header_length = strtoul(v, NULL, 10);
  assert_true(json_field(obj, end, "first_payload", v, sizeof(v)));
  e->first_payload = (unsigned)strtoul(v, NULL, 10);
  *pos = end;
  return 1;
}

static void assert_header_matches(const tcpsec_ike_header *h,
                                  const struct index_entry *e) {
  const char *name = tcpsec_ike_exchange_name(h->exchange);

  assert_non_null(name);
  assert_string_equal(name, e->exchange);
  assert_int_equal(h->flags, e->flags);
  assert_int_equal(h->message_id, e->message_id);
  assert_int_equal(h->length, e->header_length);
  assert_int_equal(h->next_payload, e->first_payload);
  assert_int_equal(h->version, 0x20);
}

/* A file whose SK payload was replaced by its decrypted inner payloads:
 * the header is real, the bytes after it are the inner chain. */
static void check_decrypted_file(const uint8_t *data, size_t len,
                                 const struct index_entry *e) {
  tcpsec_ike_msg *m = msg_new();
  tcpsec_ike_parse_error err;
  tcpsec_buf out;

  assert_int_equal(len, e->length);
  assert_int_equal(tcpsec_ike_header_parse(&m->header, data, len), 0);
  assert_header_matches(&m->header, e);
  m->count = 0;
  m->sk_index = -1;
  m->inner_index = -1;
  assert_int_equal(tcpsec_ike_msg_parse_inner(m, m->header.next_payload,
                                              data + 28, len - 28, &err), 0);
  assert_true(m->count > 0);
  assert_int_equal(m->inner_index, 0);

  tcpsec_buf_init(&out, g_ctx, 1 << 20);
  assert_int_equal(tcpsec_ike_msg_serialize_inner(m, &out), 0);
  assert_int_equal(out.len, len - 28);
  assert_memory_equal(out.data, data + 28, len - 28);
  tcpsec_buf_free(&out);
  free(m);
}

static void check_wire_file(const uint8_t *data, size_t len,
                            const struct index_entry *e) {
  tcpsec_ike_msg *m = msg_new();
  tcpsec_ike_parse_error err;

  assert_int_equal(len, e->length);
  if (tcpsec_ike_msg_parse(m, data, len, &err) != 0)
    fail_msg("%s: %s (%s) at offset %zu in payload %u", e->file,
             tcpsec_strerror_name(err.code), err.reason, err.offset,
             err.payload_type);
  assert_header_matches(&m->header, e);
  assert_true(m->count > 0);
  free(m);
  assert_round_trip(data, len);
}

static void vectors_parse_and_round_trip(void **state) {
  const char *path = test_vector_path("ikev2_messages/INDEX.json");
  struct index_entry e;
  const char *pos;
  char *index, dir[4096];
  size_t index_len, files = 0;

  (void)state;
  if (path == NULL)
    skip();
  index = (char *)test_read_file(path, &index_len);
  assert_non_null(index);
  index = realloc(index, index_len + 1);
  index[index_len] = '\0';
  snprintf(dir, sizeof(dir), "%s", path);
  *strrchr(dir, '/') = '\0';

  pos = index;
  while (index_next(&pos, &e)) {
    char file[4400];
    uint8_t *data;
    size_t len;

    snprintf(file, sizeof(file), "%s/%s", dir, e.file);
    data = test_read_file(file, &len);
    assert_non_null(data);
    if (strstr(e.file, "DECRYPTED") != NULL)
      check_decrypted_file(data, len, &e);
    else
      check_wire_file(data, len, &e);
    free(data);
    files++;
  }
  assert_int_equal(files, 66);
  free(index);
}

/* Decoded SA, KE and Nonce fields of a published IKE_SA_INIT request. */
static void vectors_decoded_fields(void **state) {
  const char *path = test_vector_path(
      "ikev2_messages/tcpdump-ikev2four_f01_IKE_SA_INIT_Ireq_mid0.bin");
  tcpsec_ike_msg *m;
  tcpsec_ike_parse_error err;
  const tcpsec_ike_payload *sa, *ke, *nonce;
  uint8_t *data;
  size_t len, i;

  (void)state;
  if (path == NULL)
    skip();
  data = test_read_file(path, &len);
  assert_non_null(data);
  m = msg_new();
  assert_int_equal(tcpsec_ike_msg_parse(m, data, len, &err), 0);

  sa = tcpsec_ike_msg_find(m, TCPSEC_IKE_PT_SA, 0);
  assert_non_null(sa);
  assert_true(sa->u.sa.count >= 1);
  assert_int_equal(sa->u.sa.proposals[0].number, 1);
  assert_int_equal(sa->u.sa.proposals[0].protocol, TCPSEC_IKE_PROTO_IKE);
  for (i = 0; i < sa->u.sa.proposals[0].transform_count; i++) {
    const tcpsec_ike_transform *t = &sa->u.sa.proposals[0].transforms[i];
    assert_true(t->type >= 1 && t->type <= 5);
  }

  ke = tcpsec_ike_msg_find(m, TCPSEC_IKE_PT_KE, 0);
  assert_non_null(ke);
  assert_int_equal(ke->u.ke.len + 8, (size_t)tcpsec_load_be16(data + ke->offset + 2));

  nonce = tcpsec_ike_msg_find(m, TCPSEC_IKE_PT_NONCE, 0);
  assert_non_null(nonce);
  assert_true(nonce->u.opaque.len >= 16);
  free(m);
  free(data);
}

/* ---- builder ------------------------------------------------------------- */

static const tcpsec_ike_transform ike_transforms[] = {
  {TCPSEC_TRANSFORM_ENCR, TCPSEC_ENCR_AES_CBC, 256, NULL, 0},
  {TCPSEC_TRANSFORM_PRF, TCPSEC_PRF_HMAC_SHA2_256, 0, NULL, 0},
  {TCPSEC_TRANSFORM_INTEG, TCPSEC_INTEG_HMAC_SHA2_256_128, 0, NULL, 0},
  {TCPSEC_TRANSFORM_KE, TCPSEC_KE_CURVE25519, 0, NULL, 0},
};

static const tcpsec_ike_proposal ike_proposals[] = {
  {1, TCPSEC_IKE_PROTO_IKE, 0, {0}, ike_transforms, 4},
  {2, TCPSEC_IKE_PROTO_IKE, 0, {0}, ike_transforms + 1, 3},
};

static void build_all_payloads(tcpsec_ike_builder *b) {
  static const uint8_t key[32] = {1, 2, 3};
  static const uint8_t nonce[32] = {4, 5, 6};
  static const uint8_t ipv4[4] = {192, 0, 2, 1};
  static const uint8_t nat[20] = {7};
  static const uint8_t spis[8] = {0xc0, 0, 0, 1, 0xc0, 0, 0, 2};
  static const uint8_t cp_attrs[] = {0, 1, 0, 0, 0, 3, 0, 0};
  static const uint8_t eap[] = {1, 1, 0, 5, 1};
  tcpsec_ike_selector ts[2];

  memset(ts, 0, sizeof(ts));
  ts[0].type = TCPSEC_IKE_TS_IPV4_ADDR_RANGE;
  ts[0].end_port = 65535;
  ts[0].addr_len = 4;
  memset(ts[0].end_addr, 0xff, 4);
  ts[1].type = TCPSEC_IKE_TS_IPV6_ADDR_RANGE;
  ts[1].ip_protocol = 6;
  ts[1].start_port = 443;
  ts[1].end_port = 443;
  ts[1].addr_len = 16;
  ts[1].start_addr[0] = 0x20;
  ts[1].end_addr[0] = 0x20;

  assert_int_equal(tcpsec_ike_builder_add_sa(b, ike_proposals, 2), 0);
  assert_int_equal(tcpsec_ike_builder_add_ke(b, TCPSEC_KE_CURVE25519, key, 32), 0);
  assert_int_equal(tcpsec_ike_builder_add_nonce(b, nonce, 32), 0);
  assert_int_equal(tcpsec_ike_builder_add_notify(b, 0, NULL, 0,
                   TCPSEC_IKE_N_NAT_DETECTION_SOURCE_IP, nat, 20), 0);
  assert_int_equal(tcpsec_ike_builder_add_vendor(b, (const uint8_t *)"tcpsec", 6), 0);
  assert_int_equal(tcpsec_ike_builder_add_id(b, TCPSEC_IKE_PT_IDI,
                   TCPSEC_IKE_ID_IPV4_ADDR, ipv4, 4), 0);
  assert_int_equal(tcpsec_ike_builder_add_cert(b, TCPSEC_IKE_CERT_X509_SIGNATURE,
                   (const uint8_t *)"\x30\x00", 2), 0);
  assert_int_equal(tcpsec_ike_builder_add_certreq(b, TCPSEC_IKE_CERT_X509_SIGNATURE,
                   nat, 20), 0);
  assert_int_equal(tcpsec_ike_builder_add_auth(b, TCPSEC_IKE_AUTH_SHARED_KEY_MIC,
                   key, 32), 0);
  assert_int_equal(tcpsec_ike_builder_add_ts(b, TCPSEC_IKE_PT_TSI, ts, 2), 0);
  assert_int_equal(tcpsec_ike_builder_add_ts(b, TCPSEC_IKE_PT_TSR, ts, 1), 0);
  assert_int_equal(tcpsec_ike_builder_add_delete(b, TCPSEC_IKE_PROTO_ESP, 4, spis, 2), 0);
  assert_int_equal(tcpsec_ike_builder_add_cp(b, TCPSEC_IKE_CFG_REQUEST, cp_attrs,
                   sizeof(cp_attrs)), 0);
  assert_int_equal(tcpsec_ike_builder_add_eap(b, eap, sizeof(eap)), 0);
}

static void builder_clear_round_trip(void **state) {
  tcpsec_ike_header hdr;
  tcpsec_ike_builder b;
  tcpsec_ike_msg *m = msg_new();
  tcpsec_ike_parse_error err;
  const tcpsec_ike_payload *p;
  tcpsec_buf out;
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 1);
  uint16_t type;
  const uint8_t *value;
  uint16_t vlen;
  size_t pos = 0;

  (void)state;
  memset(&hdr, 0, sizeof(hdr));
  memset(hdr.spi_i, 0xab, 8);
  hdr.exchange = TCPSEC_IKE_EXCH_IKE_SA_INIT;
  hdr.flags = TCPSEC_IKE_FLAG_INITIATOR;
  tcpsec_ike_builder_init(&b, ctx, &hdr, 0);
  build_all_payloads(&b);
  tcpsec_buf_init(&out, ctx, 1 << 20);
  assert_int_equal(tcpsec_ike_builder_finish(&b, NULL, &out), 0);
  tcpsec_ike_builder_free(&b);

  assert_int_equal(tcpsec_ike_msg_parse(m, out.data, out.len, &err), 0);
  assert_int_equal(m->count, 14);
  assert_int_equal(m->header.exchange, TCPSEC_IKE_EXCH_IKE_SA_INIT);
  assert_int_equal(m->header.length, out.len);

  p = tcpsec_ike_msg_find(m, TCPSEC_IKE_PT_SA, 0);
  assert_non_null(p);
  assert_int_equal(p->u.sa.count, 2);
  assert_int_equal(p->u.sa.proposals[0].transform_count, 4);
  assert_int_equal(p->u.sa.proposals[0].transforms[0].key_bits, 256);
  assert_int_equal(p->u.sa.proposals[0].transforms[0].attr_count, 1);
  assert_int_equal(p->u.sa.proposals[1].transform_count, 3);
  assert_int_equal(p->u.sa.proposals[1].transforms[2].id, TCPSEC_KE_CURVE25519);

  p = tcpsec_ike_msg_find_notify(m, TCPSEC_IKE_N_NAT_DETECTION_SOURCE_IP);
  assert_non_null(p);
  assert_int_equal(p->u.notify.decoded.nat_hash[0], 7);

  p = tcpsec_ike_msg_find(m, TCPSEC_IKE_PT_TSI, 0);
  assert_non_null(p);
  assert_int_equal(p->u.ts.count, 2);
  assert_int_equal(p->u.ts.selectors[1].start_port, 443);
  assert_int_equal(p->u.ts.selectors[1].addr_len, 16);
  assert_int_equal(p->u.ts.selectors[0].end_addr[3], 0xff);

  p = tcpsec_ike_msg_find(m, TCPSEC_IKE_PT_DELETE, 0);
  assert_non_null(p);
  assert_int_equal(p->u.del.num_spis, 2);

  p = tcpsec_ike_msg_find(m, TCPSEC_IKE_PT_CP, 0);
  assert_non_null(p);
  assert_int_equal(p->u.cp.attr_count, 2);
  assert_true(tcpsec_ike_cp_attr_next(&p->u.cp, &pos, &type, &value, &vlen));
  assert_int_equal(type, TCPSEC_IKE_CFG_INTERNAL_IP4_ADDRESS);
  assert_true(tcpsec_ike_cp_attr_next(&p->u.cp, &pos, &type, &value, &vlen));
  assert_int_equal(type, TCPSEC_IKE_CFG_INTERNAL_IP4_DNS);
  assert_false(tcpsec_ike_cp_attr_next(&p->u.cp, &pos, &type, &value, &vlen));

  assert_round_trip(out.data, out.len);
  tcpsec_buf_free(&out);
  free(m);
  tcpsec_ctx_free(ctx);
}

static void builder_finish_to_buffer(void **state) {
  tcpsec_ike_header hdr;
  tcpsec_ike_builder b;
  test_rng rng;
  tcpsec_ctx *ctx = test_ctx_new(&rng, 2);
  uint8_t small[40], big[200];
  size_t len = 99;

  (void)state;
  memset(&hdr, 0, sizeof(hdr));
  hdr.exchange = TCPSEC_IKE_EXCH_INFORMATIONAL;
  tcpsec_ike_builder_init(&b, ctx, &hdr, 0);
  assert_int_equal(tcpsec_ike_builder_add_notify(&b, 0, NULL, 0,
                   TCPSEC_IKE_N_INVALID_SYNTAX, NULL, 0), 0);
  assert_int_equal(tcpsec_ike_builder_add_vendor(&b, big, 20), 0);
  assert_int_equal(tcpsec_ike_builder_finish_to(&b, NULL, small, sizeof(small), &len),
                   TCPSEC_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(len, 0);
  assert_int_equal(tcpsec_ike_builder_finish_to(&b, NULL, big, sizeof(big), &len), 0);
  assert_int_equal(len, 28 + 8 + 24);
  assert_int_equal(big[16], TCPSEC_IKE_PT_NOTIFY);
  assert_int_equal(big[28], TCPSEC_IKE_PT_VENDOR);
  assert_int_equal(big[36], TCPSEC_IKE_PT_NONE);
  tcpsec_ike_builder_free(&b);

  /* Inner payloads without a cipher cannot finish. */
  tcpsec_ike_builder_init(&b, ctx, &hdr, 0);
  tcpsec_ike_builder_begin_sk(&b);
  assert_int_equal(tcpsec_ike_builder_add_nonce(&b, big, 16), 0);
  assert_int_equal(tcpsec_ike_builder_finish_to(&b, NULL, big, sizeof(big), &len),
                   TCPSEC_ERR_INVALID_STATE);
  tcpsec_ike_builder_free(&b);

  /* An error is sticky and reported by finish. */
  tcpsec_ike_builder_init(&b, ctx, &hdr, 0);
  assert_int_equal(tcpsec_ike_builder_add_ts(&b, TCPSEC_IKE_PT_TSI, NULL, 0),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_ike_builder_add_nonce(&b, big, 16),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  assert_int_equal(tcpsec_ike_builder_finish_to(&b, NULL, big, sizeof(big), &len),
                   TCPSEC_ERR_INVALID_ARGUMENT);
  tcpsec_ike_builder_free(&b);

  /* max_len bounds the message. */
  tcpsec_ike_builder_init(&b, ctx, &hdr, 50);
  assert_int_equal(tcpsec_ike_builder_add_vendor(&b, big, 30), 0);
  assert_int_equal(tcpsec_ike_builder_finish_to(&b, NULL, big, sizeof(big), &len),
                   TCPSEC_ERR_MESSAGE_TOO_LONG);
  tcpsec_ike_builder_free(&b);
  tcpsec_ctx_free(ctx);
}

/* Unknown payloads without the critical bit are kept and re-encoded. */
static void unknown_payload_kept(void **state) {
  static const struct piece pieces[] = {
    {TCPSEC_IKE_PT_NOTIFY, 0, "00004000"},
    {200, 0, "deadbeef01"},
    {TCPSEC_IKE_PT_VENDOR, 0, "aa"},
  };
  uint8_t msg[256];
  size_t off[3], len;
  tcpsec_ike_msg *m = msg_new();
  tcpsec_ike_parse_error err;

  (void)state;
  len = assemble(msg, sizeof(msg), TCPSEC_IKE_EXCH_INFORMATIONAL, 0, pieces, 3, off);
  assert_int_equal(tcpsec_ike_msg_parse(m, msg, len, &err), 0);
  assert_int_equal(m->count, 3);
  assert_int_equal(m->payloads[1].type, 200);
  assert_int_equal(m->payloads[1].unknown, 1);
  assert_int_equal(m->payloads[1].u.opaque.len, 5);
  assert_int_equal(m->payloads[1].offset, off[1]);
  assert_round_trip(msg, len);
  free(m);
}

/* ---- malformed shapes ---------------------------------------------------- */

struct bad_case {
  const char *name;
  struct piece pieces[4];
  size_t count;
  int code;
  uint8_t payload_type;
  /* Expected offset: of piece `at_piece` plus `extra`, or absolute when
   * at_piece is -1. */
  int at_piece;
  size_t extra;
};

static const struct bad_case bad_cases[] = {
  {"zero-length SA", {{TCPSEC_IKE_PT_SA, 0, ""}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_SA, 0, 4},
  {"zero-length KE", {{TCPSEC_IKE_PT_KE, 0, ""}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_KE, 0, 4},
  {"KE header without data", {{TCPSEC_IKE_PT_KE, 0, "00130000"}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_KE, 0, 4},
  {"zero-length nonce", {{TCPSEC_IKE_PT_VENDOR, 0, "01"}, {TCPSEC_IKE_PT_NONCE, 0, ""}}, 2,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_NONCE, 1, 4},
  {"nonce of 15 bytes", {{TCPSEC_IKE_PT_NONCE, 0, "000102030405060708090a0b0c0d0e"}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_NONCE, 0, 4},
  {"zero-length notify", {{TCPSEC_IKE_PT_NOTIFY, 0, ""}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_NOTIFY, 0, 4},
  {"zero-length ID", {{TCPSEC_IKE_PT_IDI, 0, ""}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_IDI, 0, 4},
  {"zero-length AUTH", {{TCPSEC_IKE_PT_AUTH, 0, ""}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_AUTH, 0, 4},
  {"zero-length TS", {{TCPSEC_IKE_PT_TSI, 0, ""}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_TSI, 0, 4},
  {"zero-length delete", {{TCPSEC_IKE_PT_DELETE, 0, ""}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_DELETE, 0, 4},
  {"zero-length CERT", {{TCPSEC_IKE_PT_CERT, 0, ""}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_CERT, 0, 4},
  {"zero-length CP", {{TCPSEC_IKE_PT_CP, 0, ""}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_CP, 0, 4},
  {"zero-length EAP", {{TCPSEC_IKE_PT_EAP, 0, ""}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_EAP, 0, 4},
  {"zero-length SK", {{TCPSEC_IKE_PT_SK, 0, ""}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_SK, 0, 4},
  {"IPv4 selector of length 40",
   {{TCPSEC_IKE_PT_TSI, 0, "01000000" "07000028" "0000ffff"
     "00000000000000000000000000000000" "ffffffffffffffffffffffffffffffff"}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_TSI, 0, 8},
  {"IPv6 selector of length 16",
   {{TCPSEC_IKE_PT_TSR, 0, "01000000" "08000010" "0000ffff" "00000000" "ffffffff"}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_TSR, 0, 8},
  {"selector length beyond the payload",
   {{TCPSEC_IKE_PT_TSI, 0, "01000000" "07000014" "0000ffff" "00000000" "ffffffff"}}, 1,
   TCPSEC_ERR_TRUNCATED, TCPSEC_IKE_PT_TSI, 0, 8},
  {"17 selectors", {{TCPSEC_IKE_PT_TSI, 0, "11000000" "07000010" "0000ffff" "00000000" "ffffffff"}}, 1,
   TCPSEC_ERR_LIMIT, TCPSEC_IKE_PT_TSI, 0, 4},
  {"selector count above the selectors",
   {{TCPSEC_IKE_PT_TSI, 0, "02000000" "07000010" "0000ffff" "00000000" "ffffffff"}}, 1,
   TCPSEC_ERR_TRUNCATED, TCPSEC_IKE_PT_TSI, 0, 24},
  {"critical unknown payload", {{TCPSEC_IKE_PT_VENDOR, 0, "01"}, {99, 0x80, "0102"}}, 2,
   TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD, 99, 1, 0},
  {"proposal length beyond the SA", {{TCPSEC_IKE_PT_SA, 0, "00000014010100010000000801000000"}}, 1,
   TCPSEC_ERR_TRUNCATED, TCPSEC_IKE_PT_SA, 0, 4},
  {"proposal transform count wrong", {{TCPSEC_IKE_PT_SA, 0, "0000000c01010002" "0000000401000000"}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_SA, 0, 12},
  {"transform length below 8", {{TCPSEC_IKE_PT_SA, 0, "0000000c01010001" "0000000401000000"}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_SA, 0, 12},
  {"transform length beyond the proposal",
   {{TCPSEC_IKE_PT_SA, 0, "0000001001010001" "0000000c01000000"}}, 1,
   TCPSEC_ERR_TRUNCATED, TCPSEC_IKE_PT_SA, 0, 12},
  {"Key Length attribute in TLV format",
   {{TCPSEC_IKE_PT_SA, 0, "0000001401010001" "0000000c0100000c" "000e0000"}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_SA, 0, 20},
  {"proposal Last Substruc 3", {{TCPSEC_IKE_PT_SA, 0, "0300001001010001" "000000080100000c"}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_SA, 0, 4},
  {"NAT detection hash of 19 bytes",
   {{TCPSEC_IKE_PT_NOTIFY, 0, "00004004" "00000000000000000000000000000000000000"}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_NOTIFY, 0, 8},
  {"notify SPI size beyond the payload", {{TCPSEC_IKE_PT_NOTIFY, 0, "03044009" "0000"}}, 1,
   TCPSEC_ERR_TRUNCATED, TCPSEC_IKE_PT_NOTIFY, 0, 4},
  {"INVALID_KE_PAYLOAD of 3 bytes", {{TCPSEC_IKE_PT_NOTIFY, 0, "00000011" "001300"}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_NOTIFY, 0, 8},
  {"REKEY_SA without SPI", {{TCPSEC_IKE_PT_NOTIFY, 0, "03004009"}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_NOTIFY, 0, 4},
  {"delete SPI count wrong", {{TCPSEC_IKE_PT_DELETE, 0, "03040002" "c0000001"}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_DELETE, 0, 4},
  {"IKE delete with SPIs", {{TCPSEC_IKE_PT_DELETE, 0, "01040001" "c0000001"}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_DELETE, 0, 4},
  {"ID_IPV4_ADDR of 5 bytes", {{TCPSEC_IKE_PT_IDR, 0, "01000000" "c000020101"}}, 1,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_IDR, 0, 4},
  {"CP attribute beyond the payload", {{TCPSEC_IKE_PT_CP, 0, "01000000" "00010004" "0a00"}}, 1,
   TCPSEC_ERR_TRUNCATED, TCPSEC_IKE_PT_CP, 0, 8},
  {"SK not the last payload", {{TCPSEC_IKE_PT_SK, 0, "00112233"}, {TCPSEC_IKE_PT_VENDOR, 0, "01"}}, 2,
   TCPSEC_ERR_MALFORMED, TCPSEC_IKE_PT_SK, 0, 0},
  {"SKF fragment number 0", {{TCPSEC_IKE_PT_SKF, 0, "00000002" "00112233"}}, 1,
   TCPSEC_ERR_FRAGMENT, TCPSEC_IKE_PT_SKF, 0, 4},
  {"SKF fragment number above total", {{TCPSEC_IKE_PT_SKF, 0, "00030002" "00112233"}}, 1,
   TCPSEC_ERR_FRAGMENT, TCPSEC_IKE_PT_SKF, 0, 4},
  {"SKF total 0", {{TCPSEC_IKE_PT_SKF, 0, "00010000" "00112233"}}, 1,
   TCPSEC_ERR_FRAGMENT, TCPSEC_IKE_PT_SKF, 0, 4},
};

static void malformed_payload_table(void **state) {
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
    const struct bad_case *c = &bad_cases[i];
    tcpsec_ike_msg *m = msg_new();
    tcpsec_ike_parse_error err;
    uint8_t msg[512];
    size_t off[4], len, expect;
    int rc;

    len = assemble(msg, sizeof(msg), TCPSEC_IKE_EXCH_IKE_SA_INIT, 0x08,
                   c->pieces, c->count, off);
    expect = c->at_piece < 0 ? c->extra : off[c->at_piece] + c->extra;
    rc = tcpsec_ike_msg_parse(m, msg, len, &err);
    if (rc != c->code || err.payload_type != c->payload_type ||
        err.offset != expect)
      fail_msg("%s: got %s payload %u offset %zu (%s), expected %s payload %u offset %zu",
               c->name, tcpsec_strerror_name(rc), err.payload_type, err.offset,
               err.reason != NULL ? err.reason : "-", tcpsec_strerror_name(c->code),
               c->payload_type, expect);
    assert_int_equal(err.code, c->code);
    assert_non_null(err.reason);
    assert_int_equal(m->count, 0);
    if (c->code == TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD)
      assert_int_equal(err.unsupported_type, c->payload_type);
    free(m);
  }
}

/* Header-level shapes: the message is mutated after assembly. */
static void malformed_header_table(void **state) {
  static const struct piece ok[] = {
    {TCPSEC_IKE_PT_NOTIFY, 0, "00004000"},
    {TCPSEC_IKE_PT_VENDOR, 0, "aabb"},
  };
  tcpsec_ike_msg *m = msg_new();
  tcpsec_ike_parse_error err;
  uint8_t msg[128], copy[129];
  size_t off[2], len;

  (void)state;
  len = assemble(msg, sizeof(msg), TCPSEC_IKE_EXCH_INFORMATIONAL, 0, ok, 2, off);
  assert_int_equal(tcpsec_ike_msg_parse(m, msg, len, &err), 0);

  /* Truncated header. */
  assert_int_equal(tcpsec_ike_msg_parse(m, msg, 20, &err), TCPSEC_ERR_TRUNCATED);
  assert_int_equal(err.payload_type, 0);
  assert_int_equal(err.offset, 0);

  /* Length larger than the datagram. */
  assert_int_equal(tcpsec_ike_msg_parse(m, msg, len - 1, &err), TCPSEC_ERR_TRUNCATED);
  assert_int_equal(err.offset, 24);

  /* Length smaller than the datagram. */
  memcpy(copy, msg, len);
  copy[len] = 0;
  assert_int_equal(tcpsec_ike_msg_parse(m, copy, len + 1, &err), TCPSEC_ERR_MALFORMED);
  assert_int_equal(err.offset, 24);

  /* Length field below the header. */
  memcpy(copy, msg, len);
  tcpsec_store_be32(copy + 24, 27);
  assert_int_equal(tcpsec_ike_msg_parse(m, copy, len, &err), TCPSEC_ERR_MALFORMED);
  assert_int_equal(err.offset, 24);

  /* Major version 3; the header is still decoded for the reply. */
  memcpy(copy, msg, len);
  copy[17] = 0x30;
  assert_int_equal(tcpsec_ike_msg_parse(m, copy, len, &err),
                   TCPSEC_ERR_INVALID_MAJOR_VERSION);
  assert_int_equal(err.offset, 17);
  assert_int_equal(m->header.version, 0x30);
  assert_int_equal(m->header.exchange, TCPSEC_IKE_EXCH_INFORMATIONAL);

  /* Minor version 1 is accepted (RFC 7296 section 2.5). */
  copy[17] = 0x21;
  assert_int_equal(tcpsec_ike_msg_parse(m, copy, len, &err), 0);

  /* Payload length overruns the message. */
  memcpy(copy, msg, len);
  tcpsec_store_be16(copy + off[1] + 2, 7);
  assert_int_equal(tcpsec_ike_msg_parse(m, copy, len, &err), TCPSEC_ERR_TRUNCATED);
  assert_int_equal(err.payload_type, TCPSEC_IKE_PT_VENDOR);
  assert_int_equal(err.offset, off[1]);

  /* Payload length below the generic header. */
  tcpsec_store_be16(copy + off[1] + 2, 3);
  assert_int_equal(tcpsec_ike_msg_parse(m, copy, len, &err), TCPSEC_ERR_MALFORMED);
  assert_int_equal(err.payload_type, TCPSEC_IKE_PT_VENDOR);
  assert_int_equal(err.offset, off[1]);

  /* Bytes after the end of the chain. */
  memcpy(copy, msg, len);
  copy[off[0]] = TCPSEC_IKE_PT_NONE;
  assert_int_equal(tcpsec_ike_msg_parse(m, copy, len, &err), TCPSEC_ERR_MALFORMED);
  assert_int_equal(err.payload_type, 0);
  assert_int_equal(err.offset, off[1]);

  /* The chain names a payload after the last byte. */
  memcpy(copy, msg, len);
  copy[off[1]] = TCPSEC_IKE_PT_NONCE;
  assert_int_equal(tcpsec_ike_msg_parse(m, copy, len, &err), TCPSEC_ERR_TRUNCATED);
  assert_int_equal(err.payload_type, TCPSEC_IKE_PT_NONCE);
  assert_int_equal(err.offset, len);

  /* The header names a first payload, but there is none. */
  memcpy(copy, msg, 28);
  tcpsec_store_be32(copy + 24, 28);
  assert_int_equal(tcpsec_ike_msg_parse(m, copy, 28, &err), TCPSEC_ERR_TRUNCATED);
  assert_int_equal(err.payload_type, TCPSEC_IKE_PT_NOTIFY);
  assert_int_equal(err.offset, 28);
  free(m);
}

static void payload_count_limits(void **state) {
  tcpsec_ike_msg *m = msg_new();
  tcpsec_ike_parse_error err;
  struct piece many[65];
  uint8_t msg[1024];
  size_t off[65], len, i;

  (void)state;
  for (i = 0; i < 65; i++) {
    many[i].type = TCPSEC_IKE_PT_VENDOR;
    many[i].flags = 0;
    many[i].hex = "01";
  }
  len = assemble(msg, sizeof(msg), TCPSEC_IKE_EXCH_INFORMATIONAL, 0, many, 64, off);
  assert_int_equal(tcpsec_ike_msg_parse(m, msg, len, &err), 0);
  assert_int_equal(m->count, 64);

  len = assemble(msg, sizeof(msg), TCPSEC_IKE_EXCH_INFORMATIONAL, 0, many, 65, off);
  assert_int_equal(tcpsec_ike_msg_parse(m, msg, len, &err), TCPSEC_ERR_LIMIT);
  assert_int_equal(err.offset, off[64]);

  for (i = 0; i < 33; i++) {
    many[i].type = TCPSEC_IKE_PT_NOTIFY;
    many[i].hex = "00004000";
  }
  len = assemble(msg, sizeof(msg), TCPSEC_IKE_EXCH_INFORMATIONAL, 0, many, 33, off);
  assert_int_equal(tcpsec_ike_msg_parse(m, msg, len, &err), TCPSEC_ERR_LIMIT);
  assert_int_equal(err.payload_type, TCPSEC_IKE_PT_NOTIFY);
  assert_int_equal(err.offset, off[32]);
  free(m);
}

/* A failed inner parse leaves the clear payloads usable. */
static void inner_failure_keeps_clear_part(void **state) {
  static const struct piece outer[] = {
    {TCPSEC_IKE_PT_SK, 0, "00112233445566778899"},
  };
  static const uint8_t bad_inner[] = {0, 0, 0, 3};
  static const uint8_t good_inner[] = {0, 0, 0, 8, 0, 0, 0x40, 0};
  tcpsec_ike_msg *m = msg_new();
  tcpsec_ike_parse_error err;
  uint8_t msg[128];
  size_t len;

  (void)state;
  len = assemble(msg, sizeof(msg), TCPSEC_IKE_EXCH_INFORMATIONAL, 0, outer, 1, NULL);
  msg[28] = TCPSEC_IKE_PT_NOTIFY; /* first inner payload */
  assert_int_equal(tcpsec_ike_msg_parse(m, msg, len, &err), 0);
  assert_int_equal(m->sk_index, 0);
  assert_int_equal(m->payloads[0].u.sk.inner_type, TCPSEC_IKE_PT_NOTIFY);

  assert_int_equal(tcpsec_ike_msg_parse_inner(m, TCPSEC_IKE_PT_NOTIFY, bad_inner,
                                              sizeof(bad_inner), &err),
                   TCPSEC_ERR_MALFORMED);
  assert_int_equal(err.inner, 1);
  assert_int_equal(err.offset, 0);
  assert_int_equal(m->count, 1);
  assert_int_equal(m->inner_index, -1);

  assert_int_equal(tcpsec_ike_msg_parse_inner(m, TCPSEC_IKE_PT_NOTIFY, good_inner,
                                              sizeof(good_inner), &err), 0);
  assert_int_equal(m->count, 2);
  assert_int_equal(m->inner_index, 1);
  assert_int_equal(m->payloads[1].inner, 1);
  assert_int_equal(m->payloads[1].u.notify.type, TCPSEC_IKE_N_INITIAL_CONTACT);
  assert_int_equal(tcpsec_ike_msg_parse_inner(m, TCPSEC_IKE_PT_NOTIFY, good_inner,
                                              sizeof(good_inner), &err),
                   TCPSEC_ERR_INVALID_STATE);
  assert_round_trip(msg, len);
  free(m);
}

static void names_cover_registry(void **state) {
  (void)state;
  assert_string_equal(tcpsec_ike_exchange_name(35), "IKE_AUTH");
  assert_null(tcpsec_ike_exchange_name(33));
  assert_string_equal(tcpsec_ike_payload_name(TCPSEC_IKE_PT_SKF), "SKF");
  assert_string_equal(tcpsec_ike_payload_notation(TCPSEC_IKE_PT_NOTIFY), "N");
  assert_string_equal(tcpsec_ike_notify_name(TCPSEC_IKE_N_COOKIE), "COOKIE");
  assert_string_equal(tcpsec_ike_notify_name(TCPSEC_IKE_N_TEMPORARY_FAILURE),
                      "TEMPORARY_FAILURE");
  assert_string_equal(tcpsec_ike_notify_name(TCPSEC_IKE_N_USE_AGGFRAG), "USE_AGGFRAG");
  assert_null(tcpsec_ike_notify_name(2));
  assert_string_equal(tcpsec_ike_transform_id_name(TCPSEC_TRANSFORM_ENCR, 28),
                      "ENCR_CHACHA20_POLY1305");
  assert_string_equal(tcpsec_ike_transform_id_name(TCPSEC_TRANSFORM_KE, 31), "CURVE25519");
  assert_string_equal(tcpsec_ike_id_type_name(TCPSEC_IKE_ID_KEY_ID), "ID_KEY_ID");
  assert_string_equal(tcpsec_ike_ts_type_name(8), "TS_IPV6_ADDR_RANGE");
  assert_string_equal(tcpsec_ike_auth_method_name(14), "DIGITAL_SIGNATURE");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(vectors_parse_and_round_trip),
    cmocka_unit_test(vectors_decoded_fields),
    cmocka_unit_test(builder_clear_round_trip),
    cmocka_unit_test(builder_finish_to_buffer),
    cmocka_unit_test(unknown_payload_kept),
    cmocka_unit_test(malformed_payload_table),
    cmocka_unit_test(malformed_header_table),
    cmocka_unit_test(payload_count_limits),
    cmocka_unit_test(inner_failure_keeps_clear_part),
    cmocka_unit_test(names_cover_registry),
  };

  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
