/*
 * IKEv2 wire constants: every number that appears on the wire, with the
 * RFC section that defines it beside each group.
 *
 * Values are those of the IANA "Internet Key Exchange Version 2 (IKEv2)
 * Parameters" registry. Transform IDs of the algorithms tcpsec implements are
 * public and live in tcpsec/algorithms.h, and this header contains the rest.
 * tcpsec_ike_*_name() in lib/ike/names.c turn each number into its registry
 * name for logs and the decode tool.
 *
 * NOTE: the notify, exchange and payload numbers above RFC 7296's were
 * checked against the tables of Libreswan and other open implementations,
 * not against a live copy of the registry; newer assignments may be missing.
 */
#ifndef TCPSEC_IKE_WIRE_H
#define TCPSEC_IKE_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* ---- IKE header (RFC 7296 section 3.1) ------------------------------- */

#define TCPSEC_IKE_HEADER_LEN 28
#define TCPSEC_IKE_SPI_LEN 8
#define TCPSEC_IKE_VERSION 0x20 /* major 2, minor 0 */
#define TCPSEC_IKE_MAJOR_VERSION 2

/* Header flags (RFC 7296 section 3.1). The other five bits are reserved. */
#define TCPSEC_IKE_FLAG_INITIATOR 0x08
#define TCPSEC_IKE_FLAG_VERSION 0x10
#define TCPSEC_IKE_FLAG_RESPONSE 0x20

/* Non-ESP marker in front of IKE messages on UDP 4500 and in RFC 9329
 * TCP streams (RFC 3948 section 2.2, RFC 9329 section 3). */
#define TCPSEC_IKE_NON_ESP_MARKER_LEN 4

/* ---- exchange types (RFC 7296 section 3.1, IANA) ---------------------- */

#define TCPSEC_IKE_EXCH_IKE_SA_INIT 34
#define TCPSEC_IKE_EXCH_IKE_AUTH 35
#define TCPSEC_IKE_EXCH_CREATE_CHILD_SA 36
#define TCPSEC_IKE_EXCH_INFORMATIONAL 37
#define TCPSEC_IKE_EXCH_IKE_SESSION_RESUME 38 /* RFC 5723 */
#define TCPSEC_IKE_EXCH_GSA_AUTH 39           /* G-IKEv2 */
#define TCPSEC_IKE_EXCH_GSA_REGISTRATION 40   /* G-IKEv2 */
#define TCPSEC_IKE_EXCH_GSA_REKEY 41          /* G-IKEv2 */
#define TCPSEC_IKE_EXCH_GSA_INBAND_REKEY 42   /* G-IKEv2 */
#define TCPSEC_IKE_EXCH_IKE_INTERMEDIATE 43   /* RFC 9242 */
#define TCPSEC_IKE_EXCH_IKE_FOLLOWUP_KE 44    /* RFC 9370 */

/* ---- payload types (RFC 7296 section 3.2, IANA) ----------------------- */

#define TCPSEC_IKE_PT_NONE 0
#define TCPSEC_IKE_PT_SA 33      /* Security Association, 3.3 */
#define TCPSEC_IKE_PT_KE 34      /* Key Exchange, 3.4 */
#define TCPSEC_IKE_PT_IDI 35     /* Identification - Initiator, 3.5 */
#define TCPSEC_IKE_PT_IDR 36     /* Identification - Responder, 3.5 */
#define TCPSEC_IKE_PT_CERT 37    /* Certificate, 3.6 */
#define TCPSEC_IKE_PT_CERTREQ 38 /* Certificate Request, 3.7 */
#define TCPSEC_IKE_PT_AUTH 39    /* Authentication, 3.8 */
#define TCPSEC_IKE_PT_NONCE 40   /* Nonce, 3.9 */
#define TCPSEC_IKE_PT_NOTIFY 41  /* Notify, 3.10 */
#define TCPSEC_IKE_PT_DELETE 42  /* Delete, 3.11 */
#define TCPSEC_IKE_PT_VENDOR 43  /* Vendor ID, 3.12 */
#define TCPSEC_IKE_PT_TSI 44     /* Traffic Selector - Initiator, 3.13 */
#define TCPSEC_IKE_PT_TSR 45     /* Traffic Selector - Responder, 3.13 */
#define TCPSEC_IKE_PT_SK 46      /* Encrypted and Authenticated, 3.14 */
#define TCPSEC_IKE_PT_CP 47      /* Configuration, 3.15 */
#define TCPSEC_IKE_PT_EAP 48     /* Extensible Authentication, 3.16 */
#define TCPSEC_IKE_PT_GSPM 49    /* Generic Secure Password Methods, RFC 6467 */
#define TCPSEC_IKE_PT_IDG 50     /* Group Identification, G-IKEv2 */
#define TCPSEC_IKE_PT_GSA 51     /* Group Security Association, G-IKEv2 */
#define TCPSEC_IKE_PT_KD 52      /* Key Download, G-IKEv2 */
#define TCPSEC_IKE_PT_SKF 53     /* Encrypted and Authenticated Fragment, RFC 7383 */
#define TCPSEC_IKE_PT_PS 54      /* Puzzle Solution, RFC 8019 */

/* Generic payload header (RFC 7296 section 3.2). */
#define TCPSEC_IKE_PAYLOAD_HEADER_LEN 4
#define TCPSEC_IKE_PAYLOAD_CRITICAL 0x80

/* ---- security protocol IDs (RFC 7296 section 3.3.1, IANA) ------------- */

#define TCPSEC_IKE_PROTO_NONE 0 /* Notify and Delete: no SPI */
#define TCPSEC_IKE_PROTO_IKE 1
#define TCPSEC_IKE_PROTO_AH 2
#define TCPSEC_IKE_PROTO_ESP 3
#define TCPSEC_IKE_PROTO_FC_ESP_HEADER 4      /* RFC 4595 */
#define TCPSEC_IKE_PROTO_FC_CT_AUTHENTICATION 5 /* RFC 4595 */

/* Proposal and transform substructures (RFC 7296 sections 3.3.1, 3.3.2). */
#define TCPSEC_IKE_PROPOSAL_LAST 0
#define TCPSEC_IKE_PROPOSAL_MORE 2
#define TCPSEC_IKE_TRANSFORM_LAST 0
#define TCPSEC_IKE_TRANSFORM_MORE 3
#define TCPSEC_IKE_PROPOSAL_HEADER_LEN 8
#define TCPSEC_IKE_TRANSFORM_HEADER_LEN 8

/* Transform attributes (RFC 7296 section 3.3.5). The high bit of the type
 * (Attribute Format) set means a 2-byte value in place of the length (TV). */
#define TCPSEC_IKE_ATTR_FORMAT_TV 0x8000
#define TCPSEC_IKE_ATTR_KEY_LENGTH 14

/* ESN transform IDs (RFC 7296 section 3.3.2). */
#define TCPSEC_IKE_ESN_NONE 0
#define TCPSEC_IKE_ESN_USED 1

/* ---- identification types (RFC 7296 section 3.5, IANA) ---------------- */

#define TCPSEC_IKE_ID_IPV4_ADDR 1
#define TCPSEC_IKE_ID_FQDN 2
#define TCPSEC_IKE_ID_RFC822_ADDR 3
#define TCPSEC_IKE_ID_IPV6_ADDR 5
#define TCPSEC_IKE_ID_DER_ASN1_DN 9
#define TCPSEC_IKE_ID_DER_ASN1_GN 10
#define TCPSEC_IKE_ID_KEY_ID 11
#define TCPSEC_IKE_ID_FC_NAME 12 /* RFC 4595 */
#define TCPSEC_IKE_ID_NULL 13    /* RFC 7619 */

/* ---- certificate encodings (RFC 7296 section 3.6, IANA) ---------------- */

#define TCPSEC_IKE_CERT_PKCS7_X509 1
#define TCPSEC_IKE_CERT_PGP 2
#define TCPSEC_IKE_CERT_DNS_SIGNED_KEY 3
#define TCPSEC_IKE_CERT_X509_SIGNATURE 4
#define TCPSEC_IKE_CERT_KERBEROS_TOKEN 6
#define TCPSEC_IKE_CERT_CRL 7
#define TCPSEC_IKE_CERT_ARL 8
#define TCPSEC_IKE_CERT_SPKI 9
#define TCPSEC_IKE_CERT_X509_ATTRIBUTE 10
#define TCPSEC_IKE_CERT_RAW_RSA_KEY 11 /* deprecated by RFC 7296 */
#define TCPSEC_IKE_CERT_HASH_URL_X509 12
#define TCPSEC_IKE_CERT_HASH_URL_BUNDLE 13
#define TCPSEC_IKE_CERT_OCSP_CONTENT 14 /* RFC 4806 */
#define TCPSEC_IKE_CERT_RAW_PUBLIC_KEY 15 /* RFC 7670 */

/* CERTREQ with X.509 encoding carries SHA-1 hashes of trusted CA keys. */
#define TCPSEC_IKE_CERTREQ_HASH_LEN 20

/* ---- authentication methods (RFC 7296 section 3.8, IANA) --------------- */

#define TCPSEC_IKE_AUTH_RSA_SIG 1
#define TCPSEC_IKE_AUTH_SHARED_KEY_MIC 2
#define TCPSEC_IKE_AUTH_DSS_SIG 3
#define TCPSEC_IKE_AUTH_ECDSA_SHA256_P256 9 /* RFC 4754 */
#define TCPSEC_IKE_AUTH_ECDSA_SHA384_P384 10 /* RFC 4754 */
#define TCPSEC_IKE_AUTH_ECDSA_SHA512_P521 11 /* RFC 4754 */
#define TCPSEC_IKE_AUTH_GSPAM 12              /* RFC 6467 */
#define TCPSEC_IKE_AUTH_NULL 13               /* RFC 7619 */
#define TCPSEC_IKE_AUTH_DIGITAL_SIGNATURE 14  /* RFC 7427 */

/* ---- nonce (RFC 7296 section 3.9) -------------------------------------- */

#define TCPSEC_IKE_NONCE_MIN_LEN 16
#define TCPSEC_IKE_NONCE_MAX_LEN 256

/* ---- notify message types (RFC 7296 section 3.10.1, IANA) ------------- */

/* Error types, 1 to 8191. */
#define TCPSEC_IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD 1
#define TCPSEC_IKE_N_INVALID_IKE_SPI 4
#define TCPSEC_IKE_N_INVALID_MAJOR_VERSION 5
#define TCPSEC_IKE_N_INVALID_SYNTAX 7
#define TCPSEC_IKE_N_INVALID_MESSAGE_ID 9
#define TCPSEC_IKE_N_INVALID_SPI 11
#define TCPSEC_IKE_N_NO_PROPOSAL_CHOSEN 14
#define TCPSEC_IKE_N_INVALID_KE_PAYLOAD 17
#define TCPSEC_IKE_N_AUTHENTICATION_FAILED 24
#define TCPSEC_IKE_N_SINGLE_PAIR_REQUIRED 34
#define TCPSEC_IKE_N_NO_ADDITIONAL_SAS 35
#define TCPSEC_IKE_N_INTERNAL_ADDRESS_FAILURE 36
#define TCPSEC_IKE_N_FAILED_CP_REQUIRED 37
#define TCPSEC_IKE_N_TS_UNACCEPTABLE 38
#define TCPSEC_IKE_N_INVALID_SELECTORS 39
#define TCPSEC_IKE_N_UNACCEPTABLE_ADDRESSES 40 /* RFC 4555 */
#define TCPSEC_IKE_N_UNEXPECTED_NAT_DETECTED 41 /* RFC 4555 */
#define TCPSEC_IKE_N_USE_ASSIGNED_HOA 42        /* RFC 5026 */
#define TCPSEC_IKE_N_TEMPORARY_FAILURE 43
#define TCPSEC_IKE_N_CHILD_SA_NOT_FOUND 44
#define TCPSEC_IKE_N_INVALID_GROUP_ID 45     /* G-IKEv2 */
#define TCPSEC_IKE_N_AUTHORIZATION_FAILED 46 /* G-IKEv2 */
#define TCPSEC_IKE_N_STATE_NOT_FOUND 47      /* RFC 9370 */
#define TCPSEC_IKE_N_TS_MAX_QUEUE 48
#define TCPSEC_IKE_N_REGISTRATION_FAILED 49 /* G-IKEv2 */

/* Status types, 16384 to 40959. */
#define TCPSEC_IKE_N_STATUS_FIRST 16384
#define TCPSEC_IKE_N_INITIAL_CONTACT 16384
#define TCPSEC_IKE_N_SET_WINDOW_SIZE 16385
#define TCPSEC_IKE_N_ADDITIONAL_TS_POSSIBLE 16386
#define TCPSEC_IKE_N_IPCOMP_SUPPORTED 16387
#define TCPSEC_IKE_N_NAT_DETECTION_SOURCE_IP 16388
#define TCPSEC_IKE_N_NAT_DETECTION_DESTINATION_IP 16389
#define TCPSEC_IKE_N_COOKIE 16390
#define TCPSEC_IKE_N_USE_TRANSPORT_MODE 16391
#define TCPSEC_IKE_N_HTTP_CERT_LOOKUP_SUPPORTED 16392
#define TCPSEC_IKE_N_REKEY_SA 16393
#define TCPSEC_IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED 16394
#define TCPSEC_IKE_N_NON_FIRST_FRAGMENTS_ALSO 16395
#define TCPSEC_IKE_N_MOBIKE_SUPPORTED 16396       /* RFC 4555 */
#define TCPSEC_IKE_N_ADDITIONAL_IP4_ADDRESS 16397 /* RFC 4555 */
#define TCPSEC_IKE_N_ADDITIONAL_IP6_ADDRESS 16398 /* RFC 4555 */
#define TCPSEC_IKE_N_NO_ADDITIONAL_ADDRESSES 16399 /* RFC 4555 */
#define TCPSEC_IKE_N_UPDATE_SA_ADDRESSES 16400    /* RFC 4555 */
#define TCPSEC_IKE_N_COOKIE2 16401                /* RFC 4555 */
#define TCPSEC_IKE_N_NO_NATS_ALLOWED 16402        /* RFC 4555 */
#define TCPSEC_IKE_N_AUTH_LIFETIME 16403          /* RFC 4478 */
#define TCPSEC_IKE_N_MULTIPLE_AUTH_SUPPORTED 16404 /* RFC 4739 */
#define TCPSEC_IKE_N_ANOTHER_AUTH_FOLLOWS 16405   /* RFC 4739 */
#define TCPSEC_IKE_N_REDIRECT_SUPPORTED 16406     /* RFC 5685 */
#define TCPSEC_IKE_N_REDIRECT 16407               /* RFC 5685 */
#define TCPSEC_IKE_N_REDIRECTED_FROM 16408        /* RFC 5685 */
#define TCPSEC_IKE_N_TICKET_LT_OPAQUE 16409       /* RFC 5723 */
#define TCPSEC_IKE_N_TICKET_REQUEST 16410         /* RFC 5723 */
#define TCPSEC_IKE_N_TICKET_ACK 16411             /* RFC 5723 */
#define TCPSEC_IKE_N_TICKET_NACK 16412            /* RFC 5723 */
#define TCPSEC_IKE_N_TICKET_OPAQUE 16413          /* RFC 5723 */
#define TCPSEC_IKE_N_LINK_ID 16414                /* RFC 5739 */
#define TCPSEC_IKE_N_USE_WESP_MODE 16415          /* RFC 5840 */
#define TCPSEC_IKE_N_ROHC_SUPPORTED 16416         /* RFC 5857 */
#define TCPSEC_IKE_N_EAP_ONLY_AUTHENTICATION 16417 /* RFC 5998 */
#define TCPSEC_IKE_N_CHILDLESS_IKEV2_SUPPORTED 16418 /* RFC 6023 */
#define TCPSEC_IKE_N_QUICK_CRASH_DETECTION 16419  /* RFC 6290 */
#define TCPSEC_IKE_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED 16420 /* RFC 6311 */
#define TCPSEC_IKE_N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED 16421 /* RFC 6311 */
#define TCPSEC_IKE_N_IKEV2_MESSAGE_ID_SYNC 16422  /* RFC 6311 */
#define TCPSEC_IKE_N_IPSEC_REPLAY_COUNTER_SYNC 16423 /* RFC 6311 */
#define TCPSEC_IKE_N_SECURE_PASSWORD_METHODS 16424 /* RFC 6467 */
#define TCPSEC_IKE_N_PSK_PERSIST 16425            /* RFC 6631 */
#define TCPSEC_IKE_N_PSK_CONFIRM 16426            /* RFC 6631 */
#define TCPSEC_IKE_N_ERX_SUPPORTED 16427          /* RFC 6867 */
#define TCPSEC_IKE_N_IFOM_CAPABILITY 16428        /* 3GPP TS 24.303 */
#define TCPSEC_IKE_N_GROUP_SENDER 16429           /* G-IKEv2; formerly SENDER_REQUEST_ID */
#define TCPSEC_IKE_N_IKEV2_FRAGMENTATION_SUPPORTED 16430 /* RFC 7383 */
#define TCPSEC_IKE_N_SIGNATURE_HASH_ALGORITHMS 16431 /* RFC 7427 */
#define TCPSEC_IKE_N_CLONE_IKE_SA_SUPPORTED 16432 /* RFC 7791 */
#define TCPSEC_IKE_N_CLONE_IKE_SA 16433           /* RFC 7791 */
#define TCPSEC_IKE_N_PUZZLE 16434                 /* RFC 8019 */
#define TCPSEC_IKE_N_USE_PPK 16435                /* RFC 8784 */
#define TCPSEC_IKE_N_PPK_IDENTITY 16436           /* RFC 8784 */
#define TCPSEC_IKE_N_NO_PPK_AUTH 16437            /* RFC 8784 */
#define TCPSEC_IKE_N_INTERMEDIATE_EXCHANGE_SUPPORTED 16438 /* RFC 9242 */
#define TCPSEC_IKE_N_IP4_ALLOWED 16439            /* RFC 8983 */
#define TCPSEC_IKE_N_IP6_ALLOWED 16440            /* RFC 8983 */
#define TCPSEC_IKE_N_ADDITIONAL_KEY_EXCHANGE 16441 /* RFC 9370 */
#define TCPSEC_IKE_N_USE_AGGFRAG 16442            /* RFC 9347 */
#define TCPSEC_IKE_N_SUPPORTED_AUTH_METHODS 16443
#define TCPSEC_IKE_N_SA_RESOURCE_INFO 16444
#define TCPSEC_IKE_N_USE_PPK_INT 16445
#define TCPSEC_IKE_N_PPK_IDENTITY_KEY 16446
#define TCPSEC_IKE_N_IKE_SA_INIT_FULL_TRANSCRIPT_AUTH 16447

/* Fixed notification data sizes (RFC 7296 sections 2.6, 2.23, 3.10.1). */
#define TCPSEC_IKE_NAT_DETECTION_HASH_LEN 20 /* SHA-1 */
#define TCPSEC_IKE_COOKIE_MAX_LEN 64
#define TCPSEC_IKE_INVALID_KE_DATA_LEN 2
#define TCPSEC_IKE_SET_WINDOW_SIZE_DATA_LEN 4

/* Hash algorithm identifiers in SIGNATURE_HASH_ALGORITHMS (RFC 7427). */
#define TCPSEC_IKE_HASH_SHA1 1
#define TCPSEC_IKE_HASH_SHA2_256 2
#define TCPSEC_IKE_HASH_SHA2_384 3
#define TCPSEC_IKE_HASH_SHA2_512 4
#define TCPSEC_IKE_HASH_IDENTITY 5 /* RFC 8420 */

/* ---- traffic selectors (RFC 7296 section 3.13.1, IANA) ---------------- */

#define TCPSEC_IKE_TS_IPV4_ADDR_RANGE 7
#define TCPSEC_IKE_TS_IPV6_ADDR_RANGE 8
#define TCPSEC_IKE_TS_FC_ADDR_RANGE 9 /* RFC 4595 */
#define TCPSEC_IKE_TS_SECLABEL 10     /* RFC 9478 */

#define TCPSEC_IKE_TS_IPV4_LEN 16 /* selector length with IPv4 addresses */
#define TCPSEC_IKE_TS_IPV6_LEN 40 /* selector length with IPv6 addresses */
#define TCPSEC_IKE_TS_HEADER_LEN 4 /* TS type, IP protocol, selector length */

/* ---- configuration payload (RFC 7296 sections 3.15.1, 3.15.2, IANA) ---- */

#define TCPSEC_IKE_CFG_REQUEST 1
#define TCPSEC_IKE_CFG_REPLY 2
#define TCPSEC_IKE_CFG_SET 3
#define TCPSEC_IKE_CFG_ACK 4

#define TCPSEC_IKE_CFG_ATTR_RESERVED_BIT 0x8000
#define TCPSEC_IKE_CFG_INTERNAL_IP4_ADDRESS 1
#define TCPSEC_IKE_CFG_INTERNAL_IP4_NETMASK 2
#define TCPSEC_IKE_CFG_INTERNAL_IP4_DNS 3
#define TCPSEC_IKE_CFG_INTERNAL_IP4_NBNS 4
#define TCPSEC_IKE_CFG_INTERNAL_IP4_DHCP 6
#define TCPSEC_IKE_CFG_APPLICATION_VERSION 7
#define TCPSEC_IKE_CFG_INTERNAL_IP6_ADDRESS 8
#define TCPSEC_IKE_CFG_INTERNAL_IP6_DNS 10
#define TCPSEC_IKE_CFG_INTERNAL_IP6_DHCP 12
#define TCPSEC_IKE_CFG_INTERNAL_IP4_SUBNET 13
#define TCPSEC_IKE_CFG_SUPPORTED_ATTRIBUTES 14
#define TCPSEC_IKE_CFG_INTERNAL_IP6_SUBNET 15
#define TCPSEC_IKE_CFG_MIP6_HOME_PREFIX 16    /* RFC 5026 */
#define TCPSEC_IKE_CFG_INTERNAL_IP6_LINK 17   /* RFC 5739 */
#define TCPSEC_IKE_CFG_INTERNAL_IP6_PREFIX 18 /* RFC 5739 */
#define TCPSEC_IKE_CFG_HOME_AGENT_ADDRESS 19  /* RFC 5213 */
#define TCPSEC_IKE_CFG_P_CSCF_IP4_ADDRESS 20  /* RFC 7651 */
#define TCPSEC_IKE_CFG_P_CSCF_IP6_ADDRESS 21  /* RFC 7651 */
#define TCPSEC_IKE_CFG_FTT_KAT 22             /* RFC 8598 */
#define TCPSEC_IKE_CFG_EXTERNAL_SOURCE_IP4_NAT_INFO 23 /* 3GPP TS 24.502 */
#define TCPSEC_IKE_CFG_TIMEOUT_PERIOD_FOR_LIVENESS_CHECK 24 /* 3GPP TS 24.502 */
#define TCPSEC_IKE_CFG_INTERNAL_DNS_DOMAIN 25 /* RFC 8598 */
#define TCPSEC_IKE_CFG_INTERNAL_DNSSEC_TA 26  /* RFC 8598 */

/* ---- SK and SKF payloads (RFC 7296 section 3.14, RFC 7383 section 2.5) - */

/* Fragment Number and Total Fragments in front of the SKF IV. */
#define TCPSEC_IKE_SKF_FRAGMENT_FIELDS_LEN 4
/* Total Fragments is a 16-bit field; fragment numbers start at 1. */
#define TCPSEC_IKE_SKF_MAX_FRAGMENTS 65535

/* ---- ports (RFC 7296 section 2, RFC 3948) ------------------------------ */

#define TCPSEC_IKE_UDP_PORT 500
#define TCPSEC_IKE_NATT_PORT 4500

#endif /* TCPSEC_IKE_WIRE_H */
