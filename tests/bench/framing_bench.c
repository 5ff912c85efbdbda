/*
 * Framing benchmark: RFC 9329 stream input throughput with 1400-byte ESP
 * packets fed in 64 KiB chunks and in 1-byte chunks, and the rate of
 * building and parsing Fortinet-style segments (IPv4, 1400-byte payload,
 * TCP checksum computed and verified).
 *
 * Usage: framing_bench [--smoke]
 *   --smoke  runs each case on a tiny workload once, checks the results and
 *            exits; for the test suite, not for figures.
 *
 * Figures are wall-clock rates on one core; docs/benchmarks.md records them
 * with the machine they came from.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcpsec/tcpsec.h"

#define ESP_LEN 1400
#define FRAME_LEN (ESP_LEN + 2)
#define LARGE_CHUNK 65536

struct sink {
  uint64_t messages;
  uint64_t bytes;
  unsigned check;
};

static int sink_message(void *user, tcpsec_encap_kind kind, const uint8_t *msg,
                        size_t len) {
  struct sink *s = user;

  s->messages++;
  s->bytes += len;
  s->check ^= (unsigned)kind ^ msg[len - 1];
  return 0;
}

static double now_seconds(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A stream of `frames` ESP frames of ESP_LEN bytes each. */
static uint8_t *make_stream(size_t frames, size_t *len) {
  uint8_t *data = malloc(frames * FRAME_LEN);
  size_t i, j;

  if (data == NULL)
    return NULL;
  for (i = 0; i < frames; i++) {
    uint8_t *f = data + i * FRAME_LEN;
    f[0] = (uint8_t)(FRAME_LEN >> 8);
    f[1] = (uint8_t)FRAME_LEN;
    for (j = 2; j < FRAME_LEN; j++)
      f[j] = (uint8_t)(i + j);
    f[2] = 0x01; /* SPI, never 0 */
  }
  *len = frames * FRAME_LEN;
  return data;
}

/*
 * Feed `data` into a stream in chunks of `chunk` bytes, `passes` times or
 * until `min_seconds` passed. Returns 0 when every message arrived.
 */
static int bench_stream(tcpsec_ctx *ctx, const char *name, const uint8_t *data,
                        size_t len, size_t chunk, unsigned passes,
                        double min_seconds) {
  tcpsec_stream *s = NULL;
  struct sink sink = {0, 0, 0};
  uint64_t fed = 0, expect = 0;
  double start, elapsed;
  unsigned pass = 0;
  size_t pos;
  int rv;

  /* An originator receives without prefix, so passes can repeat. */
  if (tcpsec_stream_new(ctx, TCPSEC_STREAM_ORIGINATOR, NULL, &s) != 0)
    return 1;
  start = now_seconds();
  do {
    for (pos = 0; pos < len; pos += chunk) {
      size_t n = len - pos < chunk ? len - pos : chunk;
      rv = tcpsec_stream_input(s, data + pos, n, sink_message, &sink);
      if (rv != 0) {
        fprintf(stderr, "%s: tcpsec_stream_input failed: %s\n", name,
                tcpsec_strerror(rv));
        tcpsec_stream_free(s);
        return 1;
      }
    }
    fed += len;
    expect += len / FRAME_LEN;
    pass++;
    elapsed = now_seconds() - start;
  } while (pass < passes || elapsed < min_seconds);
  tcpsec_stream_free(s);

  printf("%-30s %8.3f GB/s %12.0f messages/s  (%llu bytes, %.2f s)\n", name,
         (double)fed / elapsed / 1e9, (double)sink.messages / elapsed,
         (unsigned long long)fed, elapsed);
  return sink.messages == expect && sink.bytes == expect * ESP_LEN ? 0 : 1;
}

/*
 * Baseline for the stream cases: a bare loop that only follows the length
 * fields and reads the bytes the framer reads (length, SPI, and the last
 * byte the sink reads). Each frame's address depends on the previous
 * length, so with input in main memory both this loop and the framer wait
 * for a cache miss per frame. The gap between the two is the framer's own
 * cost.
 */
static void bench_length_chase(const char *name, const uint8_t *data,
                               size_t len, double min_seconds) {
  volatile unsigned sink = 0;
  uint64_t fed = 0;
  double start = now_seconds(), elapsed;
  size_t pos, frame_len;
  unsigned check;

  do {
    check = 0;
    for (pos = 0; len - pos >= 2; pos += frame_len) {
      frame_len = (size_t)data[pos] << 8 | data[pos + 1];
      if (frame_len < 3 || frame_len > len - pos)
        break;
      check ^= data[pos + 2] ^ data[pos + frame_len - 1];
    }
    sink ^= check;
    fed += len;
    elapsed = now_seconds() - start;
  } while (elapsed < min_seconds);
  printf("%-30s %8.3f GB/s\n", name, (double)fed / elapsed / 1e9);
}

/* Build and parse IPv4 segments with a 1400-byte payload in place. */
static int bench_segments(unsigned rounds, double min_seconds) {
  uint8_t buf[TCPSEC_SEGMENT_HEADROOM + ESP_LEN];
  tcpsec_segment_info info, parsed;
  double start, build_time, parse_time;
  uint64_t built = 0, parsed_count = 0, i;
  size_t begin = 0;
  ptrdiff_t n = 0;

  tcpsec_segment_info_default(&info);
  info.src.family = TCPSEC_IP_V4;
  memcpy(info.src.bytes, "\xc0\x00\x02\x01", 4);
  info.dst.family = TCPSEC_IP_V4;
  memcpy(info.dst.bytes, "\xc6\x33\x64\x07", 4);
  info.src_port = 51000;
  info.dst_port = 1443;
  info.ack = 12345;
  for (i = 0; i < ESP_LEN; i++)
    buf[TCPSEC_SEGMENT_HEADROOM + i] = (uint8_t)(i * 3 + 1);

  start = now_seconds();
  do {
    for (i = 0; i < rounds; i++) {
      info.seq = (uint32_t)built;
      n = tcpsec_segment_build(&info, buf, TCPSEC_SEGMENT_HEADROOM, ESP_LEN,
                               &begin);
      if (n < 0)
        return 1;
      built++;
    }
    build_time = now_seconds() - start;
  } while (build_time < min_seconds);

  start = now_seconds();
  do {
    for (i = 0; i < rounds; i++) {
      tcpsec_segment_info_default(&parsed);
      if (tcpsec_segment_parse(buf + begin, (size_t)n, TCPSEC_SEGMENT_PARSE_IP,
                               &parsed) != 0 ||
          parsed.payload_len != ESP_LEN)
        return 1;
      parsed_count++;
    }
    parse_time = now_seconds() - start;
  } while (parse_time < min_seconds);

  printf("%-30s %8.3f M/s %13.3f GB/s payload\n", "segment build, IPv4, 1400 B",
         (double)built / build_time / 1e6,
         (double)built * ESP_LEN / build_time / 1e9);
  printf("%-30s %8.3f M/s %13.3f GB/s payload\n", "segment parse, IPv4, 1400 B",
         (double)parsed_count / parse_time / 1e6,
         (double)parsed_count * ESP_LEN / parse_time / 1e9);
  return 0;
}

int main(int argc, char **argv) {
  int smoke = argc > 1 && strcmp(argv[1], "--smoke") == 0;
  size_t cached_len, memory_len;
  uint8_t *cached, *memory;
  tcpsec_ctx *ctx = NULL;
  int failed = 0;

  if (argc > 1 && !smoke) {
    fprintf(stderr, "usage: framing_bench [--smoke]\n");
    return 2;
  }
  if (tcpsec_ctx_new(NULL, &ctx) != 0) {
    fprintf(stderr, "framing_bench: tcpsec_ctx_new failed\n");
    return 1;
  }

  /*
   * 4 MiB of frames stays in a last-level cache larger than that, like
   * bytes that recv() has just written. 64 MiB comes from main memory on
   * every pass. The smoke run uses 100 frames for both.
   */
  cached = make_stream(smoke ? 100 : 2996, &cached_len);
  memory = make_stream(smoke ? 100 : 47935, &memory_len);
  if (cached == NULL || memory == NULL) {
    fprintf(stderr, "framing_bench: out of memory\n");
    return 1;
  }

  failed |= bench_stream(ctx, "stream 64 KiB chunks, 4 MiB", cached,
                         cached_len, LARGE_CHUNK, 1, smoke ? 0 : 2.0);
  failed |= bench_stream(ctx, "stream 64 KiB chunks, 64 MiB", memory,
                         memory_len, LARGE_CHUNK, 1, smoke ? 0 : 2.0);
  bench_length_chase("baseline length chase, 64 MiB", memory, memory_len,
                     smoke ? 0 : 2.0);
  failed |= bench_stream(ctx, "stream 1-byte chunks", cached, cached_len, 1, 1,
                         smoke ? 0 : 2.0);
  failed |= bench_segments(smoke ? 10 : 100000, smoke ? 0 : 1.0);

  free(cached);
  free(memory);
  tcpsec_ctx_free(ctx);
  if (failed)
    fprintf(stderr, "framing_bench: a result check failed\n");
  return failed;
}
