/*
 * Fuzz target for the segment parser.
 *
 * Input: byte 0 selects the parse flags (bits 0-1) and, for a bare TCP
 * segment, the address family (bit 2). Bare segments take their addresses
 * from the next 32 bytes. The rest is the packet. A parsed segment must
 * describe bytes inside the input. If its payload looks like ESP, the
 * segment is rebuilt from the parsed fields and must parse to the same
 * fields and payload. The fields are also fed to a tracker.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsec/tcpsec.h"

static int fixed_random(void *user, uint8_t *buf, size_t len) {
  (void)user;
  memset(buf, 0x5a, len);
  return 0;
}

static tcpsec_ctx *fuzz_ctx(void) {
  static tcpsec_ctx *ctx;
  tcpsec_ctx_config cfg;

  if (ctx == NULL) {
    tcpsec_ctx_config_default(&cfg);
    cfg.random = fixed_random;
    if (tcpsec_ctx_new(&cfg, &ctx) != 0)
      abort();
  }
  return ctx;
}

static void check_rebuild(const tcpsec_segment_info *in) {
  tcpsec_segment_info again;
  uint8_t *buf;
  size_t cap = in->payload_len + TCPSEC_SEGMENT_HEADROOM;
  ptrdiff_t n;

  buf = malloc(cap);
  if (buf == NULL)
    abort();
  /* Without options the rebuilt packet is never longer than the input. */
  n = tcpsec_segment_build_copy(in, in->payload, in->payload_len, buf, cap);
  if (n < 0)
    abort();

  tcpsec_segment_info_default(&again);
  again.src = in->src;
  again.dst = in->dst;
  if (tcpsec_segment_parse(buf, (size_t)n,
                           in->ip_header ? TCPSEC_SEGMENT_PARSE_IP : 0,
                           &again) != 0)
    abort();
  if (again.seq != in->seq || again.ack != in->ack ||
      again.src_port != in->src_port || again.dst_port != in->dst_port ||
      again.flags != in->flags || again.window != in->window ||
      again.payload_len != in->payload_len ||
      memcmp(again.payload, in->payload, in->payload_len) != 0 ||
      memcmp(&again.src, &in->src, sizeof(in->src)) != 0 ||
      memcmp(&again.dst, &in->dst, sizeof(in->dst)) != 0)
    abort();
  free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tcpsec_segment_tracker_config cfg;
  tcpsec_segment_tracker *t = NULL;
  tcpsec_segment_info info;
  unsigned flags;
  int rv;

  if (size < 1)
    return 0;
  flags = data[0] & 3u;
  tcpsec_segment_info_default(&info);
  data++;
  size--;
  if (!(flags & TCPSEC_SEGMENT_PARSE_IP)) {
    if (size < 32)
      return 0;
    info.src.family = (data[-1] & 4) ? TCPSEC_IP_V6 : TCPSEC_IP_V4;
    info.dst.family = info.src.family;
    memcpy(info.src.bytes, data, 16);
    memcpy(info.dst.bytes, data + 16, 16);
    data += 32;
    size -= 32;
  }

  rv = tcpsec_segment_parse(data, size, flags, &info);
  if (rv != 0) {
    if (rv != TCPSEC_ERR_TRUNCATED && rv != TCPSEC_ERR_BAD_SEGMENT &&
        rv != TCPSEC_ERR_BAD_CHECKSUM)
      abort();
    return 0;
  }
  if (info.payload < data || info.payload_len > size ||
      (size_t)(info.payload - data) > size - info.payload_len)
    abort();

  if (info.payload_len >= TCPSEC_ESP_MIN_LEN &&
      (info.payload[0] | info.payload[1] | info.payload[2] |
       info.payload[3]) != 0)
    check_rebuild(&info);

  tcpsec_segment_tracker_config_default(&cfg);
  cfg.local_addr = info.dst;
  cfg.remote_addr = info.src;
  cfg.local_port = info.dst_port;
  cfg.remote_port = info.src_port;
  if (tcpsec_segment_tracker_new(fuzz_ctx(), &cfg, &t) != 0)
    abort();
  if (tcpsec_segment_tracker_matches(t, &info) != 1 ||
      tcpsec_segment_tracker_observe(t, info.seq, info.ack, info.flags,
                                     info.payload_len) != 0)
    abort();
  tcpsec_segment_tracker_free(t);
  return 0;
}
