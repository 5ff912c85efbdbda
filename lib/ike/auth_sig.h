/*
 * Certificate and signature authentication of IKE_AUTH: configuration kept
 * by an IKE SA and the state of one IKE_AUTH exchange.
 */
#ifndef TCPSEC_IKE_AUTH_SIG_H
#define TCPSEC_IKE_AUTH_SIG_H

/* Certificate configuration copied from tcpsec_ike_config. */
typedef struct ike_auth_cfg {
  int unused;
} ike_auth_cfg;

/* Per-IKE SA state of signature authentication. */
typedef struct ike_auth_state {
  int unused;
} ike_auth_state;

#endif /* TCPSEC_IKE_AUTH_SIG_H */
