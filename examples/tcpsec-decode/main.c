/*
 * tcpsec-decode: print IKEv2 messages from raw files, hex on standard
 * input, or pcap/pcapng captures, as text or JSON, decrypting SK payloads
 * when the IKE SA keys are given. See docs/tcpsec-decode.md.
 *
 * Exit status: 0 when every message decoded, 1 when at least one message
 * was malformed or failed to decrypt, 2 for usage errors and unreadable
 * input.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "decode.h"

#define MESSAGE_MAX 65536
#define PLAIN_MAX 65536

static const char usage_text[] =
  "usage: tcpsec-decode [options] [FILE...]\n"
  "\n"
  "Prints each IKEv2 message found in FILE: a pcap or pcapng capture\n"
  "(recognised by its magic number) or a raw file holding one message, with\n"
  "or without the 4-byte non-ESP marker. Without FILE, or with -x, reads hex\n"
  "from standard input: one message per line, spaces and colons ignored,\n"
  "lines starting with # skipped.\n"
  "\n"
  "options:\n"
  "  -j, --json             write one JSON document instead of text\n"
  "  -x, --hex              read hex messages from standard input\n"
  "  -t, --tcp-port PORT    decode TCP connections on PORT as RFC 9329\n"
  "                         streams (IKETCP prefix, 16-bit length framing)\n"
  "  -u, --udp-port PORT    also treat UDP PORT like port 500 (IKE without\n"
  "                         marker); ports 500 and 4500 are always decoded\n"
  "  -k, --keys SPEC        decrypt SK payloads of one IKE SA; SPEC is\n"
  "                         SPIi:SPIr:SK_ei:SK_er:ENCR:SK_ai:SK_ar:INTEG, the\n"
  "                         order of Wireshark's IKEv2 decryption table; keys\n"
  "                         in hex, \"-\" for an empty SK_a; ENCR is aes-cbc,\n"
  "                         aes-gcm-16, chacha20-poly1305 or an IANA number;\n"
  "                         INTEG is hmac-sha2-256-128, hmac-sha2-384-192,\n"
  "                         hmac-sha2-512-256, none or an IANA number;\n"
  "                         for AEAD, SK_e ends with the 4-byte salt;\n"
  "                         may be given several times\n"
  "  -K, --keys-file FILE   read one SPEC per line from FILE (# comments)\n"
  "  -h, --help             print this text\n"
  "\n"
  "Exit status: 0 when every message decoded, 1 when a message was\n"
  "malformed or failed to decrypt, 2 for usage errors or unreadable input.\n"
  "\n"
  "Key material given here is secret: keep it out of shell history and\n"
  "shared logs.\n";

static int is_capture(const uint8_t *d, size_t len) {
  static const uint8_t magics[][4] = {
    {0xa1, 0xb2, 0xc3, 0xd4}, {0xd4, 0xc3, 0xb2, 0xa1}, /* pcap, microseconds */
    {0xa1, 0xb2, 0x3c, 0x4d}, {0x4d, 0x3c, 0xb2, 0xa1}, /* pcap, nanoseconds */
    {0x0a, 0x0d, 0x0d, 0x0a},                           /* pcapng */
  };
  size_t i;

  for (i = 0; len >= 4 && i < TCPSEC_ARRAY_SIZE(magics); i++)
    if (memcmp(d, magics[i], 4) == 0)
      return 1;
  return 0;
}

static uint8_t *read_whole(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf;
  size_t n;

  if (f == NULL)
    return NULL;
  buf = malloc(MESSAGE_MAX + 1);
  if (buf == NULL) {
    fclose(f);
    return NULL;
  }
  n = fread(buf, 1, MESSAGE_MAX + 1, f);
  fclose(f);
  *len = n;
  return buf;
}

/* A raw message; the non-ESP marker is removed (an IKE SPIi is never 0). */
static void decode_raw(decoder *d, const uint8_t *data, size_t len,
                       const char *name) {
  decode_origin origin;

  memset(&origin, 0, sizeof(origin));
  origin.source_name = name;
  if (len >= TCPSEC_IKE_NON_ESP_MARKER_LEN && tcpsec_load_be32(data) == 0) {
    origin.non_esp_marker = 1;
    data += 4;
    len -= 4;
  }
  decode_message(d, data, len, &origin);
}

static int decode_file(decoder *d, const char *path, unsigned tcp_port,
                       unsigned udp_port) {
  uint8_t *data;
  size_t len;

  data = read_whole(path, &len);
  if (data == NULL) {
    fprintf(stderr, "%s: cannot read file\n", path);
    return -1;
  }
  if (is_capture(data, len)) {
    free(data);
    return read_capture(d, path, tcp_port, udp_port);
  }
  if (len > MESSAGE_MAX) {
    fprintf(stderr, "%s: raw file longer than %d bytes is not one IKE message\n",
            path, MESSAGE_MAX);
    free(data);
    return -1;
  }
  decode_raw(d, data, len, path);
  free(data);
  return 0;
}

static int hex_value(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = tolower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* One message per line of hex; returns -1 on a line that is not hex. */
static int decode_hex_stdin(decoder *d) {
  static char line[2 * MESSAGE_MAX + 256];
  static uint8_t msg[MESSAGE_MAX];
  unsigned long lineno = 0;
  int rc = 0;

  while (fgets(line, sizeof(line), stdin) != NULL) {
    size_t n = 0, i;
    int high = -1, bad = 0;

    lineno++;
    if (line[0] == '#')
      continue;
    for (i = 0; line[i] != '\0' && !bad; i++) {
      int v = hex_value((unsigned char)line[i]);
      if (v < 0) {
        bad = !(isspace((unsigned char)line[i]) || line[i] == ':');
        continue;
      }
      if (high < 0) {
        high = v;
        continue;
      }
      if (n == sizeof(msg)) {
        bad = 1;
        break;
      }
      msg[n++] = (uint8_t)(high << 4 | v);
      high = -1;
    }
    if (bad || high >= 0) {
      fprintf(stderr, "stdin line %lu: not an even number of hex digits, or longer "
              "than %d bytes; line skipped\n", lineno, MESSAGE_MAX);
      rc = -1;
      continue;
    }
    if (n > 0)
      decode_raw(d, msg, n, "stdin");
  }
  return rc;
}

static int load_keys_file(decoder *d, const char *path) {
  char line[1024], err[256];
  unsigned long lineno = 0;
  FILE *f = fopen(path, "r");

  if (f == NULL) {
    fprintf(stderr, "%s: cannot open keys file\n", path);
    return -1;
  }
  while (fgets(line, sizeof(line), f) != NULL) {
    size_t n = strcspn(line, "\r\n");
    lineno++;
    line[n] = '\0';
    if (n == 0 || line[0] == '#')
      continue;
    if (keys_add(d->ctx, &d->keys, line, err, sizeof(err)) != 0) {
      fprintf(stderr, "%s line %lu: %s\n", path, lineno, err);
      fclose(f);
      return -1;
    }
  }
  fclose(f);
  return 0;
}

static int parse_port(const char *text, unsigned *port) {
  char *end;
  unsigned long v = strtoul(text, &end, 10);

  if (*text == '\0' || *end != '\0' || v == 0 || v > 65535) {
    fprintf(stderr, "invalid port \"%s\": expected 1 to 65535\n", text);
    return -1;
  }
  *port = (unsigned)v;
  return 0;
}

int main(int argc, char **argv) {
  static const struct option options[] = {
    {"json", no_argument, NULL, 'j'},
    {"hex", no_argument, NULL, 'x'},
    {"tcp-port", required_argument, NULL, 't'},
    {"udp-port", required_argument, NULL, 'u'},
    {"keys", required_argument, NULL, 'k'},
    {"keys-file", required_argument, NULL, 'K'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  unsigned tcp_port = 0, udp_port = 0;
  int opt, hex = 0, input_error = 0, status, i;
  char err[256];
  decoder d;

  memset(&d, 0, sizeof(d));
  d.em.f = stdout;
  if (tcpsec_ctx_new(NULL, &d.ctx) != 0) {
    fprintf(stderr, "cannot create the tcpsec context\n");
    return 2;
  }
  d.msg = calloc(1, sizeof(*d.msg));
  d.plain = malloc(PLAIN_MAX);
  if (d.msg == NULL || d.plain == NULL) {
    fprintf(stderr, "out of memory\n");
    return 2;
  }

  while ((opt = getopt_long(argc, argv, "jxt:u:k:K:h", options, NULL)) != -1) {
    switch (opt) {
    case 'j':
      d.em.json = 1;
      break;
    case 'x':
      hex = 1;
      break;
    case 't':
      if (parse_port(optarg, &tcp_port) != 0)
        return 2;
      break;
    case 'u':
      if (parse_port(optarg, &udp_port) != 0)
        return 2;
      break;
    case 'k':
      if (keys_add(d.ctx, &d.keys, optarg, err, sizeof(err)) != 0) {
        fprintf(stderr, "--keys: %s\n", err);
        return 2;
      }
      break;
    case 'K':
      if (load_keys_file(&d, optarg) != 0)
        return 2;
      break;
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    default:
      fputs(usage_text, stderr);
      return 2;
    }
  }

  if (d.em.json) {
    em_begin_object(&d.em, NULL);
    em_begin_array(&d.em, "messages");
  }
  if (hex || optind == argc)
    input_error |= decode_hex_stdin(&d) != 0;
  for (i = optind; i < argc; i++)
    input_error |= decode_file(&d, argv[i], tcp_port, udp_port) != 0;
  if (d.em.json) {
    em_end_array(&d.em);
    em_begin_object(&d.em, "summary");
    em_uint(&d.em, "messages", d.count);
    em_uint(&d.em, "errors", d.errors);
    em_uint(&d.em, "skipped_esp", d.skipped_esp);
    em_uint(&d.em, "skipped_other", d.skipped_other);
    em_end_object(&d.em);
    em_end_object(&d.em);
  } else {
    printf("%lu messages, %lu with errors, %lu ESP packets skipped\n", d.count,
           d.errors, d.skipped_esp);
  }

  status = 0;
  if (d.errors > 0)
    status = 1;
  if (input_error)
    status = 2;
  keys_free(d.keys);
  free(d.msg);
  free(d.plain);
  tcpsec_ctx_free(d.ctx);
  return status;
}
