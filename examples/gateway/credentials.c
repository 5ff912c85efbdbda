/*
 * Certificate files of a tunnel: the local certificate chain and private
 * key named by the phase 1 `certificate`, and the trust anchors (the CA of
 * the `peer` entry with peertype peer, otherwise every CA entry). They are
 * read once when the program starts. The library copies them, so the
 * buffers are freed, and the key wiped, right after the tunnel is added.
 */
#include "gateway.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Largest certificate or key file read; PEM chains of a few certificates
 * are a few kilobytes. */
#define CREDENTIAL_FILE_MAX (256 * 1024)

static void wipe(void *buf, size_t len) {
  volatile unsigned char *p = buf;

  while (len-- > 0)
    *p++ = 0;
}

static int is_pem(const uint8_t *data, size_t len) {
  static const char begin[] = "-----BEGIN ";
  size_t i;

  for (i = 0; i + sizeof(begin) - 1 <= len; i++)
    if (memcmp(data + i, begin, sizeof(begin) - 1) == 0)
      return 1;
  return 0;
}

/* Read a whole file of at most CREDENTIAL_FILE_MAX bytes; `what` and
 * `entry` name it in messages. Returns 0 or -1 (logged). */
static int read_credential(const char *path, const char *what,
                           const char *entry, uint8_t **out, size_t *len) {
  FILE *file = fopen(path, "rb");
  uint8_t *data;
  size_t n;

  *out = NULL;
  *len = 0;
  if (file == NULL) {
    platform_log(TCPSEC_LOG_ERROR, "config", "%s \"%s\": cannot open %s: %s",
                 what, entry, path, strerror(errno));
    return -1;
  }
  data = malloc(CREDENTIAL_FILE_MAX + 1);
  if (data == NULL) {
    fclose(file);
    platform_log(TCPSEC_LOG_ERROR, "config", "%s \"%s\": out of memory",
                 what, entry);
    return -1;
  }
  n = fread(data, 1, CREDENTIAL_FILE_MAX + 1, file);
  if (ferror(file) || n == 0 || n > CREDENTIAL_FILE_MAX) {
    platform_log(TCPSEC_LOG_ERROR, "config",
                 "%s \"%s\": %s is %s", what, entry, path,
                 ferror(file) ? "unreadable"
                 : n == 0     ? "empty"
                              : "larger than 256 KiB");
    fclose(file);
    wipe(data, n);
    free(data);
    return -1;
  }
  fclose(file);
  *out = data;
  *len = n;
  return 0;
}

/* Append one CA file to the trust anchors. PEM files and DER files cannot
 * be mixed, because the library reads the anchors as one PEM text or as
 * DER certificates one after another. */
static int append_anchor(struct app_credentials *c, const char *p1_name,
                         const struct config_ca_cert *ca, int *anchors_pem) {
  uint8_t *data, *grown;
  size_t len;
  int pem;

  if (read_credential(ca->ca_file, "CA certificate", ca->name, &data, &len) !=
      0)
    return -1;
  pem = is_pem(data, len);
  if (c->anchors_len > 0 && pem != *anchors_pem) {
    platform_log(TCPSEC_LOG_ERROR, "config",
                 "phase1-interface \"%s\": CA certificate \"%s\" (%s) is %s "
                 "but the others are %s; convert it with openssl x509 "
                 "-outform %s",
                 p1_name, ca->name, ca->ca_file, pem ? "PEM" : "DER",
                 *anchors_pem ? "PEM" : "DER", *anchors_pem ? "PEM" : "DER");
    free(data);
    return -1;
  }
  *anchors_pem = pem;
  /* A newline keeps PEM blocks apart when a file lacks a final one. */
  grown = realloc(c->anchors, c->anchors_len + len + 1);
  if (grown == NULL) {
    free(data);
    platform_log(TCPSEC_LOG_ERROR, "config", "CA certificates: out of memory");
    return -1;
  }
  c->anchors = grown;
  memcpy(c->anchors + c->anchors_len, data, len);
  c->anchors_len += len;
  if (pem)
    c->anchors[c->anchors_len++] = '\n';
  free(data);
  return 0;
}

static int load_anchors(const struct config *cfg,
                        const struct config_phase1 *p1,
                        struct app_credentials *c) {
  const struct config_user_peer *peer;
  const struct config_ca_cert *ca;
  int anchors_pem = 0;
  size_t i;

  if (p1->peertype == CONFIG_PEERTYPE_PEER) {
    /* The parser checked both names; a NULL here is not expected. */
    peer = config_find_user_peer(cfg, p1->peer);
    ca = peer != NULL ? config_find_ca_cert(cfg, peer->ca) : NULL;
    if (ca == NULL)
      return -1;
    return append_anchor(c, p1->name, ca, &anchors_pem);
  }
  for (i = 0; i < cfg->ca_cert_count; i++)
    if (append_anchor(c, p1->name, &cfg->ca_cert[i], &anchors_pem) != 0)
      return -1;
  return 0;
}

int app_credentials_load(const struct config *cfg,
                         const struct config_phase1 *p1,
                         struct app_credentials *c) {
  enum config_authmethod remote = p1->authmethod_remote == CONFIG_AUTH_SAME
                                      ? p1->authmethod
                                      : p1->authmethod_remote;
  const struct config_local_cert *local;

  memset(c, 0, sizeof(*c));
  if (p1->authmethod == CONFIG_AUTH_SIGNATURE) {
    local = config_find_local_cert(cfg, p1->certificate);
    if (local == NULL ||
        read_credential(local->certificate_file, "local certificate",
                        local->name, &c->chain, &c->chain_len) != 0 ||
        read_credential(local->private_key_file, "local certificate",
                        local->name, &c->key, &c->key_len) != 0) {
      app_credentials_free(c);
      return -1;
    }
  }
  if (remote == CONFIG_AUTH_SIGNATURE && load_anchors(cfg, p1, c) != 0) {
    app_credentials_free(c);
    return -1;
  }
  return 0;
}

void app_credentials_free(struct app_credentials *c) {
  if (c->key != NULL)
    wipe(c->key, c->key_len);
  free(c->key);
  free(c->chain);
  free(c->anchors);
  memset(c, 0, sizeof(*c));
}
