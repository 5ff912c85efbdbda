/* Error code names and descriptions. */
#include "tcpsec/core.h"

#include "core/util.h"

struct error_entry {
  int code;
  const char *name;
  const char *text;
};

static const struct error_entry error_table[] = {
  {0, "OK", "success"},
  {TCPSEC_ERR_INVALID_ARGUMENT, "INVALID_ARGUMENT", "invalid argument"},
  {TCPSEC_ERR_NO_MEMORY, "NO_MEMORY", "out of memory"},
  {TCPSEC_ERR_BUFFER_TOO_SMALL, "BUFFER_TOO_SMALL", "output buffer too small"},
  {TCPSEC_ERR_NOT_FOUND, "NOT_FOUND", "not found"},
  {TCPSEC_ERR_EXISTS, "EXISTS", "already exists"},
  {TCPSEC_ERR_INVALID_STATE, "INVALID_STATE", "operation not allowed in the current state"},
  {TCPSEC_ERR_NOT_SUPPORTED, "NOT_SUPPORTED", "not supported"},
  {TCPSEC_ERR_LIMIT, "LIMIT", "limit reached"},
  {TCPSEC_ERR_RANDOM, "RANDOM", "random source failed"},
  {TCPSEC_ERR_INTERNAL, "INTERNAL", "internal error"},
  {TCPSEC_ERR_CALLBACK, "CALLBACK", "callback failed"},
  {TCPSEC_ERR_TRUNCATED, "TRUNCATED", "input truncated"},
  {TCPSEC_ERR_MALFORMED, "MALFORMED", "malformed input"},
  {TCPSEC_ERR_TIMEOUT, "TIMEOUT", "timed out"},

  {TCPSEC_ERR_UNKNOWN_ALGORITHM, "UNKNOWN_ALGORITHM", "unknown algorithm"},
  {TCPSEC_ERR_INVALID_KEY_LENGTH, "INVALID_KEY_LENGTH", "invalid key length for the algorithm"},
  {TCPSEC_ERR_ICV_MISMATCH, "ICV_MISMATCH", "integrity check failed"},
  {TCPSEC_ERR_INVALID_PUBLIC_KEY, "INVALID_PUBLIC_KEY", "invalid key exchange public value"},
  {TCPSEC_ERR_WEAK_SHARED_SECRET, "WEAK_SHARED_SECRET", "key exchange produced an all-zero shared secret"},
  {TCPSEC_ERR_CRYPTO_BACKEND, "CRYPTO_BACKEND", "crypto backend failed"},
  {TCPSEC_ERR_INVALID_PROPOSAL, "INVALID_PROPOSAL", "invalid proposal string"},

  {TCPSEC_ERR_ESP_TRUNCATED, "ESP_TRUNCATED", "ESP packet truncated"},
  {TCPSEC_ERR_ESP_UNKNOWN_SPI, "ESP_UNKNOWN_SPI", "no inbound SA for the ESP SPI"},
  {TCPSEC_ERR_ESP_REPLAYED, "ESP_REPLAYED", "ESP sequence number replayed or outside the window"},
  {TCPSEC_ERR_ESP_AUTH_FAILED, "ESP_AUTH_FAILED", "ESP integrity check failed"},
  {TCPSEC_ERR_ESP_BAD_PADDING, "ESP_BAD_PADDING", "invalid ESP padding"},
  {TCPSEC_ERR_ESP_BAD_NEXT_HEADER, "ESP_BAD_NEXT_HEADER", "ESP next header is not IPv4 or IPv6"},
  {TCPSEC_ERR_ESP_SEQ_EXHAUSTED, "ESP_SEQ_EXHAUSTED", "ESP sequence numbers exhausted, rekey required"},
  {TCPSEC_ERR_SA_EXPIRED, "SA_EXPIRED", "SA hard lifetime reached"},
  {TCPSEC_ERR_BAD_INNER_PACKET, "BAD_INNER_PACKET", "inner packet is not valid IPv4 or IPv6"},
  {TCPSEC_ERR_NO_POLICY, "NO_POLICY", "no traffic selector matches the packet"},

  {TCPSEC_ERR_STREAM_BAD_PREFIX, "STREAM_BAD_PREFIX", "TCP stream does not start with IKETCP"},
  {TCPSEC_ERR_STREAM_BAD_LENGTH, "STREAM_BAD_LENGTH", "TCP stream frame length 0 or 1, connection must close"},
  {TCPSEC_ERR_STREAM_CLOSED, "STREAM_CLOSED", "TCP stream failed earlier and must be reset"},
  {TCPSEC_ERR_MESSAGE_TOO_LONG, "MESSAGE_TOO_LONG", "message too long for the encapsulation"},
  {TCPSEC_ERR_BAD_MARKER, "BAD_MARKER", "message has neither the non-ESP marker nor an SPI"},
  {TCPSEC_ERR_BAD_CHECKSUM, "BAD_CHECKSUM", "checksum mismatch"},
  {TCPSEC_ERR_BAD_SEGMENT, "BAD_SEGMENT", "invalid IP or TCP header"},
  {TCPSEC_ERR_SHORT_IKE_MESSAGE, "SHORT_IKE_MESSAGE", "IKE message shorter than the IKE header"},

  {TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD, "UNSUPPORTED_CRITICAL_PAYLOAD", "unsupported critical payload"},
  {TCPSEC_ERR_INVALID_SYNTAX, "INVALID_SYNTAX", "invalid IKE message syntax"},
  {TCPSEC_ERR_NO_PROPOSAL_CHOSEN, "NO_PROPOSAL_CHOSEN", "no acceptable proposal"},
  {TCPSEC_ERR_INVALID_KE_PAYLOAD, "INVALID_KE_PAYLOAD", "key exchange group not acceptable"},
  {TCPSEC_ERR_AUTHENTICATION_FAILED, "AUTHENTICATION_FAILED", "peer authentication failed"},
  {TCPSEC_ERR_TS_UNACCEPTABLE, "TS_UNACCEPTABLE", "traffic selectors not acceptable"},
  {TCPSEC_ERR_INVALID_IKE_SPI, "INVALID_IKE_SPI", "unknown IKE SPI"},
  {TCPSEC_ERR_INVALID_MESSAGE_ID, "INVALID_MESSAGE_ID", "IKE message ID outside the window"},
  {TCPSEC_ERR_FRAGMENT, "FRAGMENT", "invalid IKE fragment"},
  {TCPSEC_ERR_PEER_DEAD, "PEER_DEAD", "peer did not answer any retransmission"},
  {TCPSEC_ERR_COOKIE_REQUIRED, "COOKIE_REQUIRED", "responder requires a cookie"},
  {TCPSEC_ERR_TEMPORARY_FAILURE, "TEMPORARY_FAILURE", "peer reported a temporary failure"},
  {TCPSEC_ERR_CHILD_SA_NOT_FOUND, "CHILD_SA_NOT_FOUND", "Child SA not found"},
  {TCPSEC_ERR_CERT_EXPIRED, "CERT_EXPIRED", "certificate expired or not yet valid"},
  {TCPSEC_ERR_CERT_UNTRUSTED, "CERT_UNTRUSTED", "certificate not trusted"},
  {TCPSEC_ERR_ID_MISMATCH, "ID_MISMATCH", "identity mismatch"},
  {TCPSEC_ERR_UNSUPPORTED_KEY_TYPE, "UNSUPPORTED_KEY_TYPE", "unsupported key type"},
  {TCPSEC_ERR_SIGNATURE_INVALID, "SIGNATURE_INVALID", "signature invalid"},
  {TCPSEC_ERR_IKE_SA_DELETED, "IKE_SA_DELETED", "IKE SA deleted"},
  {TCPSEC_ERR_INVALID_MAJOR_VERSION, "INVALID_MAJOR_VERSION", "IKE major version is not 2"},

  {TCPSEC_ERR_CONFIG, "CONFIG", "invalid configuration"},
  {TCPSEC_ERR_UNKNOWN_CONNECTION, "UNKNOWN_CONNECTION", "unknown connection handle"},
  {TCPSEC_ERR_TUNNEL_DOWN, "TUNNEL_DOWN", "tunnel not established"},
};

static const struct error_entry *error_find(int err) {
  size_t i;

  for (i = 0; i < TCPSEC_ARRAY_SIZE(error_table); i++)
    if (error_table[i].code == err)
      return &error_table[i];
  return NULL;
}

const char *tcpsec_strerror(int err) {
  const struct error_entry *e = error_find(err);

  return e != NULL ? e->text : "unknown error code";
}

const char *tcpsec_strerror_name(int err) {
  const struct error_entry *e = error_find(err);

  return e != NULL ? e->name : "UNKNOWN";
}
