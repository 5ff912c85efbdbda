/*
 * AUTH payload with a pre-shared key (RFC 7296 section 2.15), and the
 * signed octets that signatures (auth_sig.c) cover as well:
 *
 *   AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
 *
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
 *   ResponderSignedOctets = RealMessage2 | NonceIData | MACedIDForR
 *   MACedIDForI = prf(SK_pi, RestOfInitIDPayload)
 *   MACedIDForR = prf(SK_pr, RestOfRespIDPayload)
 *
 * RealMessage1 and 2 are the IKE_SA_INIT request and response as sent,
 * from the IKE header on (the latest version after COOKIE or
 * INVALID_KE_PAYLOAD retries). RestOf...IDPayload is the ID payload without
 * its generic header: ID type, three RESERVED bytes as received, and data.
 */
#include "ike/ike_sa.h"

/* The 17 ASCII characters, without a terminating zero. */
static const uint8_t key_pad[] = {'K', 'e', 'y', ' ', 'P', 'a', 'd', ' ', 'f',
                                  'o', 'r', ' ', 'I', 'K', 'E', 'v', '2'};

int tcpsec_ike_signed_octets(tcpsec_ike_sa *sa, int of_initiator,
                             const uint8_t *id_body, size_t id_body_len,
                             uint8_t *maced_id, tcpsec_iov iov[3]) {
  const tcpsec_buf *message =
      of_initiator ? &sa->init_request : &sa->init_response;
  tcpsec_iov id;
  int rv;

  if (message->len == 0 || sa->prf_len == 0)
    return TCPSEC_ERR_INVALID_STATE;

  /* MACedIDFor{I,R} = prf(SK_p{i,r}, RestOf{Init,Resp}IDPayload) */
  id.data = id_body;
  id.len = id_body_len;
  rv = tcpsec_prf(sa->ctx, sa->suite.prf, of_initiator ? sa->sk_pi : sa->sk_pr,
                  sa->prf_len, &id, 1, maced_id);
  if (rv != 0)
    return rv;

  /* RealMessage | Nonce of the other side | MACedID */
  iov[0].data = message->data;
  iov[0].len = message->len;
  iov[1].data = of_initiator ? sa->nr : sa->ni;
  iov[1].len = of_initiator ? sa->nr_len : sa->ni_len;
  iov[2].data = maced_id;
  iov[2].len = sa->prf_len;
  return 0;
}

int tcpsec_ike_psk_auth(tcpsec_ike_sa *sa, int of_initiator,
                        const uint8_t *id_body, size_t id_body_len,
                        uint8_t *out) {
  uint8_t maced_id[IKE_PRF_MAX], padded_key[IKE_PRF_MAX];
  tcpsec_iov iov[3], pad;
  int rv;

  if (sa->cfg.psk == NULL)
    return TCPSEC_ERR_INVALID_STATE;
  rv = tcpsec_ike_signed_octets(sa, of_initiator, id_body, id_body_len,
                                maced_id, iov);
  if (rv != 0)
    goto out;

  /* prf(Shared Secret, "Key Pad for IKEv2") */
  pad.data = key_pad;
  pad.len = sizeof(key_pad);
  rv = tcpsec_prf(sa->ctx, sa->suite.prf, sa->cfg.psk, sa->cfg.pub.psk_len,
                  &pad, 1, padded_key);
  if (rv != 0)
    goto out;

  /* AUTH = prf(padded key, <SignedOctets>) */
  rv = tcpsec_prf(sa->ctx, sa->suite.prf, padded_key, sa->prf_len, iov, 3, out);

out:
  tcpsec_zeroize(maced_id, sizeof(maced_id));
  tcpsec_zeroize(padded_key, sizeof(padded_key));
  return rv;
}

int tcpsec_ike_psk_verify(tcpsec_ike_sa *sa, int of_initiator,
                          const uint8_t *id_body, size_t id_body_len,
                          const uint8_t *auth, size_t auth_len) {
  uint8_t expected[IKE_PRF_MAX];
  int rv, differ;

  if (auth_len != sa->prf_len)
    return TCPSEC_ERR_AUTHENTICATION_FAILED;
  rv = tcpsec_ike_psk_auth(sa, of_initiator, id_body, id_body_len, expected);
  if (rv != 0) {
    tcpsec_zeroize(expected, sizeof(expected));
    return rv;
  }
  differ = tcpsec_ct_memcmp(expected, auth, auth_len);
  tcpsec_zeroize(expected, sizeof(expected));
  return differ ? TCPSEC_ERR_AUTHENTICATION_FAILED : 0;
}
