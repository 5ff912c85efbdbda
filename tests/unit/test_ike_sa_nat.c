/*
 * NAT detection hashes (RFC 7296 section 2.23) checked against IKE_SA_INIT
 * requests that another IKEv2 implementation sent.
 *
 * The messages are frames 1 and 3 of ikev2_notify_redirect.pcap from the
 * scapy test captures, read at run time from the published vectors folder
 * (ikev2_messages/). The capture shows both requests sent from
 * 10.5.2.60:10952 to 10.5.2.52:500 and 10.5.2.53:500 (tshark's ip.dst and
 * udp.dstport). The initiator sat behind a NAT, so only the
 * NAT_DETECTION_DESTINATION_IP hash can match the addresses in the capture.
 */
#include "ike/ike_sa.h"

#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static tcpsec_ctx *ctx;
static test_rng rng;

static void check_frame(const char *file, uint8_t last_octet) {
  const tcpsec_ike_payload *dst, *src;
  tcpsec_ike_endpoint ep;
  tcpsec_ike_msg *msg;
  uint8_t hash[20];
  const char *path;
  uint8_t *data;
  size_t len;

  path = test_vector_path(file);
  if (path == NULL)
    return;
  data = test_read_file(path, &len);
  assert_non_null(data);
  msg = malloc(sizeof(*msg));
  assert_non_null(msg);
  assert_int_equal(tcpsec_ike_msg_parse(msg, data, len, NULL), 0);
  dst = tcpsec_ike_msg_find_notify(msg,
                                   TCPSEC_IKE_N_NAT_DETECTION_DESTINATION_IP);
  src = tcpsec_ike_msg_find_notify(msg, TCPSEC_IKE_N_NAT_DETECTION_SOURCE_IP);
  assert_non_null(dst);
  assert_non_null(src);

  /* SHA-1(SPIi | SPIr | IP | port) of where the request went. */
  memset(&ep, 0, sizeof(ep));
  ep.family = TCPSEC_IKE_FAMILY_IPV4;
  ep.addr[0] = 10;
  ep.addr[1] = 5;
  ep.addr[2] = 2;
  ep.addr[3] = last_octet;
  ep.port = 500;
  assert_int_equal(tcpsec_ike_nat_hash(ctx, msg->header.spi_i,
                                       msg->header.spi_r, &ep, hash),
                   0);
  assert_memory_equal(hash, dst->u.notify.data, 20);

  /* The source the capture shows is the NAT's, so its hash differs. */
  ep.addr[3] = 60;
  ep.port = 10952;
  assert_int_equal(tcpsec_ike_nat_hash(ctx, msg->header.spi_i,
                                       msg->header.spi_r, &ep, hash),
                   0);
  assert_memory_not_equal(hash, src->u.notify.data, 20);
  free(msg);
  free(data);
}

static void ike_nat_hash_matches_capture(void **state) {
  (void)state;
  check_frame("ikev2_messages/scapy-redirect_f01_IKE_SA_INIT_Ireq_mid0.bin",
              52);
  check_frame("ikev2_messages/scapy-redirect_f03_IKE_SA_INIT_Ireq_mid0.bin",
              53);
}

static int setup(void **state) {
  (void)state;
  ctx = test_ctx_new(&rng, 11);
  return ctx == NULL;
}

static int teardown(void **state) {
  (void)state;
  tcpsec_ctx_free(ctx);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ike_nat_hash_matches_capture),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
