/*
 * Peer identities as text for the status and the log: addresses, FQDNs,
 * email addresses, key IDs, and Distinguished Names (ID_DER_ASN1_DN, RFC
 * 7296 section 3.5), which certificate peers often send.
 *
 * A Name is DER from the peer (X.501, RFC 5280 section 4.1.2.4):
 *
 *   Name ::= SEQUENCE OF RelativeDistinguishedName
 *   RelativeDistinguishedName ::= SET OF AttributeTypeAndValue
 *   AttributeTypeAndValue ::= SEQUENCE { type OBJECT IDENTIFIER,
 *                                        value ANY }
 *
 *   30 len | 31 len | 30 len | 06 len OID | tag len value | ... | ...
 *
 * Every length is checked against what remains, and a Name that does not
 * parse is shown by its type and length only. String values are copied
 * with bytes outside printable ASCII replaced by '?'.
 */
#include <stdio.h>
#include <string.h>

#include "core/cursor.h"
#include "gw/gw_internal.h"

#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_OID 0x06

/* Output buffer that never overflows and stays NUL-terminated. */
struct text {
  char *buf;
  size_t size;
  size_t len;
};

static void text_put(struct text *t, const char *s, size_t n) {
  size_t i;

  for (i = 0; i < n && t->len + 1 < t->size; i++)
    t->buf[t->len++] = s[i];
  t->buf[t->len] = '\0';
}

static void text_puts(struct text *t, const char *s) {
  text_put(t, s, strlen(s));
}

/* Printable ASCII as is, every other byte as '?'. */
static void text_put_printable(struct text *t, const uint8_t *s, size_t n) {
  size_t i;

  for (i = 0; i < n; i++) {
    char ch = (char)(s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
    text_put(t, &ch, 1);
  }
}

/* One DER element of any single-octet tag, with a definite length of up to
 * three length octets in minimal form. Returns 0 or
 * TCPSEC_ERR_MALFORMED. */
static int read_element(tcpsec_cursor *c, uint8_t *tag,
                        tcpsec_cursor *content) {
  uint8_t first;
  size_t len, count, i;

  *tag = tcpsec_cursor_u8(c);
  first = tcpsec_cursor_u8(c);
  if (c->error || (*tag & 0x1f) == 0x1f)
    return TCPSEC_ERR_MALFORMED;
  if (first < 0x80) {
    len = first;
  } else {
    count = first & 0x7fu;
    if (count == 0 || count > 3)
      return TCPSEC_ERR_MALFORMED;
    len = 0;
    for (i = 0; i < count; i++)
      len = len << 8 | tcpsec_cursor_u8(c);
    if (c->error || len < 0x80 || len >> (8 * (count - 1)) == 0)
      return TCPSEC_ERR_MALFORMED;
  }
  if (!tcpsec_cursor_sub(c, len, content))
    return TCPSEC_ERR_MALFORMED;
  return 0;
}

/* Short names of the attribute types (RFC 4519, RFC 5280 appendix A):
 * the OID contents after 2.5.4 (55 04) or the PKCS#9 emailAddress. */
static const char *attribute_name(const tcpsec_cursor *oid) {
  static const struct {
    uint8_t last;
    const char *name;
  } x520[] = {{3, "CN"},  {4, "SN"},  {5, "serialNumber"}, {6, "C"},
              {7, "L"},   {8, "ST"},  {9, "street"},       {10, "O"},
              {11, "OU"}, {12, "title"}, {42, "GN"},       {46, "dnQualifier"}};
  static const uint8_t email[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                  0x0d, 0x01, 0x09, 0x01};
  size_t n = tcpsec_cursor_left(oid), i;

  if (n == 3 && oid->p[0] == 0x55 && oid->p[1] == 0x04) {
    for (i = 0; i < TCPSEC_ARRAY_SIZE(x520); i++)
      if (x520[i].last == oid->p[2])
        return x520[i].name;
  }
  if (n == sizeof(email) && memcmp(oid->p, email, n) == 0)
    return "E";
  return NULL;
}

/* Dotted form of an OID whose name is not in the table. */
static void put_dotted_oid(struct text *t, tcpsec_cursor oid) {
  char part[24];
  uint64_t value = 0;
  int first = 1;

  while (tcpsec_cursor_left(&oid) > 0) {
    uint8_t b = tcpsec_cursor_u8(&oid);

    if (value > (UINT64_MAX >> 7)) {
      text_puts(t, "?");
      return;
    }
    value = value << 7 | (b & 0x7fu);
    if (b & 0x80)
      continue;
    if (first) {
      unsigned arc1 = 2u;

      /* The first subidentifier encodes 40 * arc1 + arc2. */
      if (value < 40)
        arc1 = 0u;
      else if (value < 80)
        arc1 = 1u;
      snprintf(part, sizeof(part), "%u.%llu", arc1,
               (unsigned long long)(value - 40u * arc1));
      first = 0;
    } else {
      snprintf(part, sizeof(part), ".%llu", (unsigned long long)value);
    }
    text_puts(t, part);
    value = 0;
  }
}

/* type=value of one AttributeTypeAndValue. */
static int put_attribute(struct text *t, tcpsec_cursor *atv) {
  tcpsec_cursor oid, value;
  const char *name;
  uint8_t tag;

  if (read_element(atv, &tag, &oid) != 0 || tag != DER_OID ||
      tcpsec_cursor_left(&oid) == 0 || read_element(atv, &tag, &value) != 0 ||
      tcpsec_cursor_left(atv) != 0)
    return TCPSEC_ERR_MALFORMED;
  name = attribute_name(&oid);
  if (name != NULL)
    text_puts(t, name);
  else
    put_dotted_oid(t, oid);
  text_puts(t, "=");
  /* UTF8String, PrintableString, T61String, IA5String and
   * UniversalString/BMPString alike: the bytes, non-ASCII as '?'. */
  text_put_printable(t, value.p, tcpsec_cursor_left(&value));
  return 0;
}

/* "C=DE, O=Example, CN=spoke" in the order of the Name (the issuer's
 * order, most significant first). */
static int format_dn(struct text *t, const uint8_t *der, size_t len) {
  tcpsec_cursor all, name, rdn, atv;
  uint8_t tag;
  int first = 1;

  tcpsec_cursor_init(&all, der, len);
  if (read_element(&all, &tag, &name) != 0 || tag != DER_SEQUENCE ||
      tcpsec_cursor_left(&all) != 0)
    return TCPSEC_ERR_MALFORMED;
  while (tcpsec_cursor_left(&name) > 0) {
    if (read_element(&name, &tag, &rdn) != 0 || tag != DER_SET ||
        tcpsec_cursor_left(&rdn) == 0)
      return TCPSEC_ERR_MALFORMED;
    while (tcpsec_cursor_left(&rdn) > 0) {
      if (read_element(&rdn, &tag, &atv) != 0 || tag != DER_SEQUENCE)
        return TCPSEC_ERR_MALFORMED;
      if (!first)
        text_puts(t, ", ");
      first = 0;
      if (put_attribute(t, &atv) != 0)
        return TCPSEC_ERR_MALFORMED;
    }
  }
  return 0;
}

void gw_identity_format(uint8_t type, const uint8_t *data, size_t len,
                        char *out, size_t out_size) {
  struct text t = {out, out_size, 0};
  tcpsec_ike_endpoint ep;
  char hex[3];
  size_t i, n;

  if (out_size == 0)
    return;
  out[0] = '\0';
  switch (type) {
  case TCPSEC_IKE_ID_TYPE_IPV4_ADDR:
  case TCPSEC_IKE_ID_TYPE_IPV6_ADDR:
    n = type == TCPSEC_IKE_ID_TYPE_IPV4_ADDR ? 4 : 16;
    if (len != n)
      break;
    memset(&ep, 0, sizeof(ep));
    ep.family = (uint8_t)(n == 4 ? 4 : 6);
    memcpy(ep.addr, data, n);
    gw_endpoint_format(&ep, out, out_size);
    /* The endpoint format ends in ":0", or "]:0" for IPv6. */
    n = strlen(out);
    if (n >= 2 && strcmp(out + n - 2, ":0") == 0)
      out[n - 2] = '\0';
    if (type == TCPSEC_IKE_ID_TYPE_IPV6_ADDR && out[0] == '[') {
      n = strlen(out);
      memmove(out, out + 1, n);
      if (n >= 2 && out[n - 2] == ']')
        out[n - 2] = '\0';
    }
    return;
  case TCPSEC_IKE_ID_TYPE_FQDN:
  case TCPSEC_IKE_ID_TYPE_RFC822_ADDR:
    text_put_printable(&t, data, len);
    return;
  case TCPSEC_IKE_ID_TYPE_DER_ASN1_DN:
    if (format_dn(&t, data, len) == 0)
      return;
    break;
  case TCPSEC_IKE_ID_TYPE_KEY_ID:
    text_puts(&t, "keyid:");
    for (i = 0; i < len; i++) {
      snprintf(hex, sizeof(hex), "%02x", data[i]);
      text_puts(&t, hex);
    }
    return;
  default:
    break;
  }
  snprintf(out, out_size, "(ID type %u, %zu bytes)", (unsigned)type, len);
}
