/*
 * Decoding and printing of one IKE message: header, payload chain with the
 * decoded fields of each payload, and, when keys match the SPIs, the
 * decrypted inner payloads (fragments are reassembled first).
 */
#include <arpa/inet.h>
#include <string.h>

#include "decode.h"

#define PLAIN_MAX 65536

/* ---- payload bodies ------------------------------------------------------ */

static void print_transform(emitter *em, const tcpsec_ike_transform *t) {
  size_t i;

  em_begin_object(em, NULL);
  em_named(em, "type", t->type, tcpsec_ike_transform_type_name(t->type));
  em_named(em, "id", t->id, tcpsec_ike_transform_id_name(t->type, t->id));
  if (t->key_bits != 0)
    em_uint(em, "key_bits", t->key_bits);
  for (i = 0; i < t->attr_count; i++) {
    const tcpsec_ike_attribute *a = &t->attrs[i];
    if (a->type == TCPSEC_IKE_ATTR_KEY_LENGTH)
      continue;
    em_begin_object(em, "attribute");
    em_uint(em, "type", a->type);
    if (a->tv)
      em_uint(em, "value", a->value);
    else
      em_hex(em, "data", a->data, a->len);
    em_end_object(em);
  }
  em_end_object(em);
}

static void print_sa(emitter *em, const tcpsec_ike_sa_payload *sa) {
  size_t i, j;

  em_begin_array(em, "proposals");
  for (i = 0; i < sa->count; i++) {
    const tcpsec_ike_proposal *p = &sa->proposals[i];
    em_begin_object(em, NULL);
    em_uint(em, "number", p->number);
    em_named(em, "protocol", p->protocol, tcpsec_ike_protocol_name(p->protocol));
    if (p->spi_size > 0)
      em_hex(em, "spi", p->spi, p->spi_size);
    em_begin_array(em, "transforms");
    for (j = 0; j < p->transform_count; j++)
      print_transform(em, &p->transforms[j]);
    em_end_array(em);
    em_end_object(em);
  }
  em_end_array(em);
}

static void print_notify(emitter *em, const tcpsec_ike_notify *n) {
  size_t i;

  em_named(em, "notify_type", n->type, tcpsec_ike_notify_name(n->type));
  em_bool(em, "error", n->type < TCPSEC_IKE_N_STATUS_FIRST);
  if (n->protocol != 0)
    em_named(em, "protocol", n->protocol, tcpsec_ike_protocol_name(n->protocol));
  if (n->spi_size > 0)
    em_hex(em, "spi", n->spi, n->spi_size);

  switch (n->type) {
  case TCPSEC_IKE_N_NAT_DETECTION_SOURCE_IP:
  case TCPSEC_IKE_N_NAT_DETECTION_DESTINATION_IP:
    em_hex(em, "nat_hash", n->decoded.nat_hash, TCPSEC_IKE_NAT_DETECTION_HASH_LEN);
    return;
  case TCPSEC_IKE_N_INVALID_KE_PAYLOAD:
    em_named(em, "accepted_group", n->decoded.ke_group,
             tcpsec_ike_transform_id_name(TCPSEC_TRANSFORM_KE, n->decoded.ke_group));
    return;
  case TCPSEC_IKE_N_SET_WINDOW_SIZE:
    em_uint(em, "window_size", n->decoded.window_size);
    return;
  case TCPSEC_IKE_N_SIGNATURE_HASH_ALGORITHMS:
    em_begin_array(em, "hash_algorithms");
    for (i = 0; i < n->decoded.hash_alg_count; i++)
      em_uint(em, NULL, tcpsec_ike_notify_hash_alg(n, i));
    em_end_array(em);
    return;
  case TCPSEC_IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD:
    em_named(em, "critical_payload", n->decoded.payload_type,
             tcpsec_ike_payload_name(n->decoded.payload_type));
    return;
  default:
    if (n->len > 0)
      em_hex(em, "data", n->data, n->len);
  }
}

static void print_address(emitter *em, const char *key, const uint8_t *addr,
                          size_t len) {
  char text[INET6_ADDRSTRLEN];

  if (inet_ntop(len == 4 ? AF_INET : AF_INET6, addr, text, sizeof(text)) != NULL)
    em_str(em, key, text);
  else
    em_hex(em, key, addr, len);
}

static void print_ts(emitter *em, const tcpsec_ike_ts *ts) {
  size_t i;

  em_begin_array(em, "selectors");
  for (i = 0; i < ts->count; i++) {
    const tcpsec_ike_selector *s = &ts->selectors[i];
    em_begin_object(em, NULL);
    em_named(em, "ts_type", s->type, tcpsec_ike_ts_type_name(s->type));
    em_uint(em, "ip_protocol", s->ip_protocol);
    if (s->addr_len != 0) {
      em_uint(em, "start_port", s->start_port);
      em_uint(em, "end_port", s->end_port);
      print_address(em, "start_address", s->start_addr, s->addr_len);
      print_address(em, "end_address", s->end_addr, s->addr_len);
    } else {
      em_hex(em, "data", s->raw, s->raw_len);
    }
    em_end_object(em);
  }
  em_end_array(em);
}

static void print_id(emitter *em, const tcpsec_ike_id *id) {
  char text[256];

  em_named(em, "id_type", id->type, tcpsec_ike_id_type_name(id->type));
  if (id->type == TCPSEC_IKE_ID_IPV4_ADDR || id->type == TCPSEC_IKE_ID_IPV6_ADDR) {
    print_address(em, "id", id->data, id->len);
  } else if ((id->type == TCPSEC_IKE_ID_FQDN || id->type == TCPSEC_IKE_ID_RFC822_ADDR) &&
             id->len < sizeof(text)) {
    memcpy(text, id->data, id->len);
    text[id->len] = '\0';
    em_str(em, "id", text);
  } else {
    em_hex(em, "id", id->data, id->len);
  }
}

static void print_cp(emitter *em, const tcpsec_ike_cp *cp) {
  const uint8_t *value;
  uint16_t type, len;
  size_t pos = 0;

  em_named(em, "cfg_type", cp->cfg_type, tcpsec_ike_cfg_type_name(cp->cfg_type));
  em_begin_array(em, "attributes");
  while (tcpsec_ike_cp_attr_next(cp, &pos, &type, &value, &len)) {
    em_begin_object(em, NULL);
    em_named(em, "type", type, tcpsec_ike_cfg_attr_name(type));
    if (len > 0)
      em_hex(em, "value", value, len);
    em_end_object(em);
  }
  em_end_array(em);
}

static void print_body(emitter *em, const tcpsec_ike_payload *p) {
  if (p->unknown) {
    em_hex(em, "data", p->u.opaque.data, p->u.opaque.len);
    return;
  }
  switch (p->type) {
  case TCPSEC_IKE_PT_SA:
    print_sa(em, &p->u.sa);
    break;
  case TCPSEC_IKE_PT_KE:
    em_named(em, "group", p->u.ke.group,
             tcpsec_ike_transform_id_name(TCPSEC_TRANSFORM_KE, p->u.ke.group));
    em_hex(em, "data", p->u.ke.data, p->u.ke.len);
    break;
  case TCPSEC_IKE_PT_IDI:
  case TCPSEC_IKE_PT_IDR:
    print_id(em, &p->u.id);
    break;
  case TCPSEC_IKE_PT_CERT:
  case TCPSEC_IKE_PT_CERTREQ:
    em_named(em, "encoding", p->u.cert.encoding,
             tcpsec_ike_cert_encoding_name(p->u.cert.encoding));
    em_hex(em, "data", p->u.cert.data, p->u.cert.len);
    break;
  case TCPSEC_IKE_PT_AUTH:
    em_named(em, "method", p->u.auth.method, tcpsec_ike_auth_method_name(p->u.auth.method));
    em_hex(em, "data", p->u.auth.data, p->u.auth.len);
    break;
  case TCPSEC_IKE_PT_NOTIFY:
    print_notify(em, &p->u.notify);
    break;
  case TCPSEC_IKE_PT_DELETE:
    em_named(em, "protocol", p->u.del.protocol, tcpsec_ike_protocol_name(p->u.del.protocol));
    em_uint(em, "num_spis", p->u.del.num_spis);
    em_hex(em, "spis", p->u.del.spis, (size_t)p->u.del.spi_size * p->u.del.num_spis);
    break;
  case TCPSEC_IKE_PT_TSI:
  case TCPSEC_IKE_PT_TSR:
    print_ts(em, &p->u.ts);
    break;
  case TCPSEC_IKE_PT_SK:
  case TCPSEC_IKE_PT_SKF:
    em_named(em, "inner_type", p->u.sk.inner_type, tcpsec_ike_payload_name(p->u.sk.inner_type));
    if (p->type == TCPSEC_IKE_PT_SKF) {
      em_uint(em, "fragment_number", p->u.sk.fragment_number);
      em_uint(em, "total_fragments", p->u.sk.total_fragments);
    }
    em_uint(em, "encrypted_length", p->u.sk.len);
    break;
  case TCPSEC_IKE_PT_CP:
    print_cp(em, &p->u.cp);
    break;
  default:
    /* Nonce, Vendor ID, EAP */
    em_hex(em, "data", p->u.opaque.data, p->u.opaque.len);
    break;
  }
}

static void print_payloads(emitter *em, const tcpsec_ike_msg *m, size_t from,
                           size_t to, const char *key) {
  size_t i;

  em_begin_array(em, key);
  for (i = from; i < to; i++) {
    const tcpsec_ike_payload *p = &m->payloads[i];
    em_begin_object(em, NULL);
    em_named(em, "type", p->type, tcpsec_ike_payload_name(p->type));
    em_bool(em, "critical", p->critical);
    em_uint(em, "length", p->body_len + TCPSEC_IKE_PAYLOAD_HEADER_LEN);
    print_body(em, p);
    em_end_object(em);
  }
  em_end_array(em);
}

/* ---- header and errors --------------------------------------------------- */

static void print_header(emitter *em, const tcpsec_ike_header *h) {
  char version[8];

  em_begin_object(em, "header");
  em_hex(em, "spi_i", h->spi_i, 8);
  em_hex(em, "spi_r", h->spi_r, 8);
  em_named(em, "next_payload", h->next_payload, tcpsec_ike_payload_name(h->next_payload));
  snprintf(version, sizeof(version), "%u.%u", h->version >> 4, h->version & 0x0fu);
  em_str(em, "version", version);
  em_named(em, "exchange", h->exchange, tcpsec_ike_exchange_name(h->exchange));
  em_uint(em, "flags", h->flags);
  em_bool(em, "initiator", (h->flags & TCPSEC_IKE_FLAG_INITIATOR) != 0);
  em_bool(em, "response", (h->flags & TCPSEC_IKE_FLAG_RESPONSE) != 0);
  em_uint(em, "message_id", h->message_id);
  em_uint(em, "length", h->length);
  em_end_object(em);
}

static void print_error(emitter *em, const char *key,
                        const tcpsec_ike_parse_error *err) {
  em_begin_object(em, key);
  em_str(em, "code", tcpsec_strerror_name(err->code));
  em_str(em, "reason", err->reason != NULL ? err->reason : tcpsec_strerror(err->code));
  em_named(em, "payload_type", err->payload_type, tcpsec_ike_payload_name(err->payload_type));
  em_uint(em, "offset", err->offset);
  em_bool(em, "inner", err->inner);
  if (err->unsupported_type != 0)
    em_uint(em, "unsupported_type", err->unsupported_type);
  em_end_object(em);
}

/* ---- decryption ---------------------------------------------------------- */

static decode_keys *find_keys(decoder *d, const tcpsec_ike_header *h) {
  decode_keys *k;

  for (k = d->keys; k != NULL; k = k->next)
    if (memcmp(k->spi_i, h->spi_i, 8) == 0 && memcmp(k->spi_r, h->spi_r, 8) == 0)
      return k;
  return NULL;
}

/*
 * Decrypt the SK or SKF payload when keys match. Prints a "decryption"
 * object and the inner payloads when the message (or its fragment set) is
 * complete.
 */
static void decrypt_and_print(decoder *d, const uint8_t *data, size_t len) {
  tcpsec_ike_msg *m = d->msg;
  const tcpsec_ike_payload *sk = &m->payloads[m->sk_index];
  int from_initiator = (m->header.flags & TCPSEC_IKE_FLAG_INITIATOR) != 0;
  decode_keys *k = find_keys(d, &m->header);
  tcpsec_ike_parse_error err;
  const uint8_t *inner = d->plain;
  size_t plain_len = 0, inner_len;
  uint8_t first = sk->u.sk.inner_type;
  int rc;

  if (k == NULL)
    return;
  em_begin_object(&d->em, "decryption");
  rc = tcpsec_ike_sk_open(from_initiator ? k->initiator : k->responder, data, len, m,
                          d->plain, PLAIN_MAX, &plain_len, &err);
  if (rc != 0) {
    em_str(&d->em, "result", "failed");
    print_error(&d->em, "error", &err);
    em_end_object(&d->em);
    d->errors++;
    return;
  }
  inner_len = plain_len;

  if (sk->type == TCPSEC_IKE_PT_SKF) {
    rc = tcpsec_ike_frag_reasm_add(k->reasm[from_initiator ? 0 : 1], m, d->plain,
                                   plain_len, &inner, &inner_len, &first, &err);
    if (rc == 0) {
      em_str(&d->em, "result", "fragment stored");
      em_end_object(&d->em);
      return;
    }
    if (rc < 0) {
      em_str(&d->em, "result", "fragment rejected");
      print_error(&d->em, "error", &err);
      em_end_object(&d->em);
      d->errors++;
      return;
    }
    em_uint(&d->em, "reassembled_fragments", sk->u.sk.total_fragments);
  }

  rc = tcpsec_ike_msg_parse_inner(m, first, inner, inner_len, &err);
  if (rc != 0) {
    em_str(&d->em, "result", "inner payloads invalid");
    print_error(&d->em, "error", &err);
    em_end_object(&d->em);
    d->errors++;
    return;
  }
  em_str(&d->em, "result", "ok");
  print_payloads(&d->em, m, (size_t)m->inner_index, m->count, "inner_payloads");
  em_end_object(&d->em);
}

/* ---- one message --------------------------------------------------------- */

void decode_message(decoder *d, const uint8_t *data, size_t len,
                    const decode_origin *origin) {
  tcpsec_ike_parse_error err;
  int rc;

  d->count++;
  em_begin_object(&d->em, d->em.json ? NULL : "message");
  em_uint(&d->em, "index", d->count);
  em_str(&d->em, "source", origin->source_name);
  if (origin->frame != 0)
    em_uint(&d->em, "frame", origin->frame);
  if (origin->transport != NULL) {
    em_str(&d->em, "transport", origin->transport);
    em_str(&d->em, "src", origin->src);
    em_str(&d->em, "dst", origin->dst);
    em_bool(&d->em, "non_esp_marker", origin->non_esp_marker);
  }

  rc = tcpsec_ike_msg_parse(d->msg, data, len, &err);
  /* The header is decoded whenever 28 bytes exist, also for bad messages. */
  if (len >= TCPSEC_IKE_HEADER_LEN)
    print_header(&d->em, &d->msg->header);
  if (rc != 0) {
    print_error(&d->em, "error", &err);
    d->errors++;
    em_end_object(&d->em);
    return;
  }

  print_payloads(&d->em, d->msg, 0, d->msg->count, "payloads");
  if (d->msg->sk_index >= 0)
    decrypt_and_print(d, data, len);
  em_end_object(&d->em);
}
