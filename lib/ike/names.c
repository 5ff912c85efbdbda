/*
 * Registry names of IKEv2 numbers, for logs and the decode tool. The names
 * are those of the IANA IKEv2 registry, and lib/ike/wire.h gives the RFC of
 * each group. Transform IDs carry their type's prefix (ENCR_, PRF_, AUTH_),
 * and key exchange methods the group names of the Transform Type 4 registry.
 */
#include "ike/message.h"

#include "core/util.h"

struct name_entry {
  uint16_t value;
  const char *name;
};

static const char *lookup(const struct name_entry *table, size_t n,
                          uint16_t value) {
  size_t i;

  for (i = 0; i < n; i++)
    if (table[i].value == value)
      return table[i].name;
  return NULL;
}

#define LOOKUP(table, value) lookup(table, TCPSEC_ARRAY_SIZE(table), value)

static const struct name_entry exchange_names[] = {
  {34, "IKE_SA_INIT"}, {35, "IKE_AUTH"}, {36, "CREATE_CHILD_SA"},
  {37, "INFORMATIONAL"}, {38, "IKE_SESSION_RESUME"}, {39, "GSA_AUTH"},
  {40, "GSA_REGISTRATION"}, {41, "GSA_REKEY"}, {42, "GSA_INBAND_REKEY"},
  {43, "IKE_INTERMEDIATE"}, {44, "IKE_FOLLOWUP_KE"},
};

const char *tcpsec_ike_exchange_name(uint8_t exchange) {
  return LOOKUP(exchange_names, exchange);
}

struct payload_entry {
  uint8_t type;
  const char *name;
  const char *notation;
};

static const struct payload_entry payload_names[] = {
  {0, "NONE", "-"},
  {33, "SA", "SA"},
  {34, "KE", "KE"},
  {35, "IDi", "IDi"},
  {36, "IDr", "IDr"},
  {37, "CERT", "CERT"},
  {38, "CERTREQ", "CERTREQ"},
  {39, "AUTH", "AUTH"},
  {40, "NONCE", "N(nonce)"},
  {41, "NOTIFY", "N"},
  {42, "DELETE", "D"},
  {43, "VENDOR_ID", "V"},
  {44, "TSi", "TSi"},
  {45, "TSr", "TSr"},
  {46, "SK", "SK"},
  {47, "CP", "CP"},
  {48, "EAP", "EAP"},
  {49, "GSPM", "GSPM"},
  {50, "IDg", "IDg"},
  {51, "GSA", "GSA"},
  {52, "KD", "KD"},
  {53, "SKF", "SKF"},
  {54, "PS", "PS"},
};

static const struct payload_entry *payload_find(uint8_t type) {
  size_t i;

  for (i = 0; i < TCPSEC_ARRAY_SIZE(payload_names); i++)
    if (payload_names[i].type == type)
      return &payload_names[i];
  return NULL;
}

const char *tcpsec_ike_payload_name(uint8_t type) {
  const struct payload_entry *e = payload_find(type);

  return e != NULL ? e->name : NULL;
}

const char *tcpsec_ike_payload_notation(uint8_t type) {
  const struct payload_entry *e = payload_find(type);

  return e != NULL ? e->notation : NULL;
}

static const struct name_entry notify_names[] = {
  {1, "UNSUPPORTED_CRITICAL_PAYLOAD"},
  {4, "INVALID_IKE_SPI"},
  {5, "INVALID_MAJOR_VERSION"},
  {7, "INVALID_SYNTAX"},
  {9, "INVALID_MESSAGE_ID"},
  {11, "INVALID_SPI"},
  {14, "NO_PROPOSAL_CHOSEN"},
  {17, "INVALID_KE_PAYLOAD"},
  {24, "AUTHENTICATION_FAILED"},
  {34, "SINGLE_PAIR_REQUIRED"},
  {35, "NO_ADDITIONAL_SAS"},
  {36, "INTERNAL_ADDRESS_FAILURE"},
  {37, "FAILED_CP_REQUIRED"},
  {38, "TS_UNACCEPTABLE"},
  {39, "INVALID_SELECTORS"},
  {40, "UNACCEPTABLE_ADDRESSES"},
  {41, "UNEXPECTED_NAT_DETECTED"},
  {42, "USE_ASSIGNED_HoA"},
  {43, "TEMPORARY_FAILURE"},
  {44, "CHILD_SA_NOT_FOUND"},
  {45, "INVALID_GROUP_ID"},
  {46, "AUTHORIZATION_FAILED"},
  {47, "STATE_NOT_FOUND"},
  {48, "TS_MAX_QUEUE"},
  {49, "REGISTRATION_FAILED"},
  {16384, "INITIAL_CONTACT"},
  {16385, "SET_WINDOW_SIZE"},
  {16386, "ADDITIONAL_TS_POSSIBLE"},
  {16387, "IPCOMP_SUPPORTED"},
  {16388, "NAT_DETECTION_SOURCE_IP"},
  {16389, "NAT_DETECTION_DESTINATION_IP"},
  {16390, "COOKIE"},
  {16391, "USE_TRANSPORT_MODE"},
  {16392, "HTTP_CERT_LOOKUP_SUPPORTED"},
  {16393, "REKEY_SA"},
  {16394, "ESP_TFC_PADDING_NOT_SUPPORTED"},
  {16395, "NON_FIRST_FRAGMENTS_ALSO"},
  {16396, "MOBIKE_SUPPORTED"},
  {16397, "ADDITIONAL_IP4_ADDRESS"},
  {16398, "ADDITIONAL_IP6_ADDRESS"},
  {16399, "NO_ADDITIONAL_ADDRESSES"},
  {16400, "UPDATE_SA_ADDRESSES"},
  {16401, "COOKIE2"},
  {16402, "NO_NATS_ALLOWED"},
  {16403, "AUTH_LIFETIME"},
  {16404, "MULTIPLE_AUTH_SUPPORTED"},
  {16405, "ANOTHER_AUTH_FOLLOWS"},
  {16406, "REDIRECT_SUPPORTED"},
  {16407, "REDIRECT"},
  {16408, "REDIRECTED_FROM"},
  {16409, "TICKET_LT_OPAQUE"},
  {16410, "TICKET_REQUEST"},
  {16411, "TICKET_ACK"},
  {16412, "TICKET_NACK"},
  {16413, "TICKET_OPAQUE"},
  {16414, "LINK_ID"},
  {16415, "USE_WESP_MODE"},
  {16416, "ROHC_SUPPORTED"},
  {16417, "EAP_ONLY_AUTHENTICATION"},
  {16418, "CHILDLESS_IKEV2_SUPPORTED"},
  {16419, "QUICK_CRASH_DETECTION"},
  {16420, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED"},
  {16421, "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED"},
  {16422, "IKEV2_MESSAGE_ID_SYNC"},
  {16423, "IPSEC_REPLAY_COUNTER_SYNC"},
  {16424, "SECURE_PASSWORD_METHODS"},
  {16425, "PSK_PERSIST"},
  {16426, "PSK_CONFIRM"},
  {16427, "ERX_SUPPORTED"},
  {16428, "IFOM_CAPABILITY"},
  {16429, "GROUP_SENDER"},
  {16430, "IKEV2_FRAGMENTATION_SUPPORTED"},
  {16431, "SIGNATURE_HASH_ALGORITHMS"},
  {16432, "CLONE_IKE_SA_SUPPORTED"},
  {16433, "CLONE_IKE_SA"},
  {16434, "PUZZLE"},
  {16435, "USE_PPK"},
  {16436, "PPK_IDENTITY"},
  {16437, "NO_PPK_AUTH"},
  {16438, "INTERMEDIATE_EXCHANGE_SUPPORTED"},
  {16439, "IP4_ALLOWED"},
  {16440, "IP6_ALLOWED"},
  {16441, "ADDITIONAL_KEY_EXCHANGE"},
  {16442, "USE_AGGFRAG"},
  {16443, "SUPPORTED_AUTH_METHODS"},
  {16444, "SA_RESOURCE_INFO"},
  {16445, "USE_PPK_INT"},
  {16446, "PPK_IDENTITY_KEY"},
  {16447, "IKE_SA_INIT_FULL_TRANSCRIPT_AUTH"},
};

const char *tcpsec_ike_notify_name(uint16_t type) {
  return LOOKUP(notify_names, type);
}

static const struct name_entry protocol_names[] = {
  {1, "IKE"}, {2, "AH"}, {3, "ESP"}, {4, "FC_ESP_HEADER"},
  {5, "FC_CT_AUTHENTICATION"},
};

const char *tcpsec_ike_protocol_name(uint8_t protocol) {
  return LOOKUP(protocol_names, protocol);
}

static const struct name_entry id_type_names[] = {
  {1, "ID_IPV4_ADDR"}, {2, "ID_FQDN"}, {3, "ID_RFC822_ADDR"},
  {5, "ID_IPV6_ADDR"}, {9, "ID_DER_ASN1_DN"}, {10, "ID_DER_ASN1_GN"},
  {11, "ID_KEY_ID"}, {12, "ID_FC_NAME"}, {13, "ID_NULL"},
};

const char *tcpsec_ike_id_type_name(uint8_t type) {
  return LOOKUP(id_type_names, type);
}

static const struct name_entry auth_method_names[] = {
  {1, "RSA_DIGITAL_SIGNATURE"}, {2, "SHARED_KEY_MIC"},
  {3, "DSS_DIGITAL_SIGNATURE"}, {9, "ECDSA_SHA256_P256"},
  {10, "ECDSA_SHA384_P384"}, {11, "ECDSA_SHA512_P521"},
  {12, "GENERIC_SECURE_PASSWORD"}, {13, "NULL_AUTHENTICATION"},
  {14, "DIGITAL_SIGNATURE"},
};

const char *tcpsec_ike_auth_method_name(uint8_t method) {
  return LOOKUP(auth_method_names, method);
}

static const struct name_entry cert_encoding_names[] = {
  {1, "PKCS7_X509"}, {2, "PGP"}, {3, "DNS_SIGNED_KEY"},
  {4, "X509_SIGNATURE"}, {6, "KERBEROS_TOKEN"}, {7, "CRL"}, {8, "ARL"},
  {9, "SPKI"}, {10, "X509_ATTRIBUTE"}, {11, "RAW_RSA_KEY"},
  {12, "HASH_URL_X509_CERT"}, {13, "HASH_URL_X509_BUNDLE"},
  {14, "OCSP_CONTENT"}, {15, "RAW_PUBLIC_KEY"},
};

const char *tcpsec_ike_cert_encoding_name(uint8_t encoding) {
  return LOOKUP(cert_encoding_names, encoding);
}

static const struct name_entry ts_type_names[] = {
  {7, "TS_IPV4_ADDR_RANGE"}, {8, "TS_IPV6_ADDR_RANGE"},
  {9, "TS_FC_ADDR_RANGE"}, {10, "TS_SECLABEL"},
};

const char *tcpsec_ike_ts_type_name(uint8_t type) {
  return LOOKUP(ts_type_names, type);
}

static const struct name_entry cfg_type_names[] = {
  {1, "CFG_REQUEST"}, {2, "CFG_REPLY"}, {3, "CFG_SET"}, {4, "CFG_ACK"},
};

const char *tcpsec_ike_cfg_type_name(uint8_t type) {
  return LOOKUP(cfg_type_names, type);
}

static const struct name_entry cfg_attr_names[] = {
  {1, "INTERNAL_IP4_ADDRESS"}, {2, "INTERNAL_IP4_NETMASK"},
  {3, "INTERNAL_IP4_DNS"}, {4, "INTERNAL_IP4_NBNS"},
  {6, "INTERNAL_IP4_DHCP"}, {7, "APPLICATION_VERSION"},
  {8, "INTERNAL_IP6_ADDRESS"}, {10, "INTERNAL_IP6_DNS"},
  {12, "INTERNAL_IP6_DHCP"}, {13, "INTERNAL_IP4_SUBNET"},
  {14, "SUPPORTED_ATTRIBUTES"}, {15, "INTERNAL_IP6_SUBNET"},
  {16, "MIP6_HOME_PREFIX"}, {17, "INTERNAL_IP6_LINK"},
  {18, "INTERNAL_IP6_PREFIX"}, {19, "HOME_AGENT_ADDRESS"},
  {20, "P_CSCF_IP4_ADDRESS"}, {21, "P_CSCF_IP6_ADDRESS"},
  {22, "FTT_KAT"}, {23, "EXTERNAL_SOURCE_IP4_NAT_INFO"},
  {24, "TIMEOUT_PERIOD_FOR_LIVENESS_CHECK"}, {25, "INTERNAL_DNS_DOMAIN"},
  {26, "INTERNAL_DNSSEC_TA"},
};

const char *tcpsec_ike_cfg_attr_name(uint16_t type) {
  return LOOKUP(cfg_attr_names, type);
}

static const struct name_entry transform_type_names[] = {
  {1, "ENCR"}, {2, "PRF"}, {3, "INTEG"}, {4, "KE"}, {5, "ESN"},
};

const char *tcpsec_ike_transform_type_name(uint8_t type) {
  return LOOKUP(transform_type_names, type);
}

static const struct name_entry encr_names[] = {
  {1, "ENCR_DES_IV64"}, {2, "ENCR_DES"}, {3, "ENCR_3DES"}, {4, "ENCR_RC5"},
  {5, "ENCR_IDEA"}, {6, "ENCR_CAST"}, {7, "ENCR_BLOWFISH"},
  {8, "ENCR_3IDEA"}, {9, "ENCR_DES_IV32"}, {11, "ENCR_NULL"},
  {12, "ENCR_AES_CBC"}, {13, "ENCR_AES_CTR"}, {14, "ENCR_AES_CCM_8"},
  {15, "ENCR_AES_CCM_12"}, {16, "ENCR_AES_CCM_16"}, {18, "ENCR_AES_GCM_8"},
  {19, "ENCR_AES_GCM_12"}, {20, "ENCR_AES_GCM_16"},
  {21, "ENCR_NULL_AUTH_AES_GMAC"}, {23, "ENCR_CAMELLIA_CBC"},
  {24, "ENCR_CAMELLIA_CTR"}, {25, "ENCR_CAMELLIA_CCM_8"},
  {26, "ENCR_CAMELLIA_CCM_12"}, {27, "ENCR_CAMELLIA_CCM_16"},
  {28, "ENCR_CHACHA20_POLY1305"}, {29, "ENCR_AES_CCM_8_IIV"},
  {30, "ENCR_AES_GCM_16_IIV"}, {31, "ENCR_CHACHA20_POLY1305_IIV"},
};

static const struct name_entry prf_names[] = {
  {1, "PRF_HMAC_MD5"}, {2, "PRF_HMAC_SHA1"}, {3, "PRF_HMAC_TIGER"},
  {4, "PRF_AES128_XCBC"}, {5, "PRF_HMAC_SHA2_256"},
  {6, "PRF_HMAC_SHA2_384"}, {7, "PRF_HMAC_SHA2_512"},
  {8, "PRF_AES128_CMAC"},
};

static const struct name_entry integ_names[] = {
  {0, "NONE"}, {1, "AUTH_HMAC_MD5_96"}, {2, "AUTH_HMAC_SHA1_96"},
  {3, "AUTH_DES_MAC"}, {4, "AUTH_KPDK_MD5"}, {5, "AUTH_AES_XCBC_96"},
  {6, "AUTH_HMAC_MD5_128"}, {7, "AUTH_HMAC_SHA1_160"},
  {8, "AUTH_AES_CMAC_96"}, {9, "AUTH_AES_128_GMAC"},
  {10, "AUTH_AES_192_GMAC"}, {11, "AUTH_AES_256_GMAC"},
  {12, "AUTH_HMAC_SHA2_256_128"}, {13, "AUTH_HMAC_SHA2_384_192"},
  {14, "AUTH_HMAC_SHA2_512_256"},
};

static const struct name_entry ke_names[] = {
  {0, "NONE"}, {1, "MODP_768"}, {2, "MODP_1024"}, {5, "MODP_1536"},
  {14, "MODP_2048"}, {15, "MODP_3072"}, {16, "MODP_4096"},
  {17, "MODP_6144"}, {18, "MODP_8192"}, {19, "ECP_256"}, {20, "ECP_384"},
  {21, "ECP_521"}, {22, "MODP_1024_160"}, {23, "MODP_2048_224"},
  {24, "MODP_2048_256"}, {25, "ECP_192"}, {26, "ECP_224"},
  {27, "BRAINPOOL_P224R1"}, {28, "BRAINPOOL_P256R1"},
  {29, "BRAINPOOL_P384R1"}, {30, "BRAINPOOL_P512R1"}, {31, "CURVE25519"},
  {32, "CURVE448"},
};

static const struct name_entry esn_names[] = {
  {0, "NO_ESN"}, {1, "ESN"},
};

const char *tcpsec_ike_transform_id_name(uint8_t type, uint16_t id) {
  switch (type) {
  case 1:
    return LOOKUP(encr_names, id);
  case 2:
    return LOOKUP(prf_names, id);
  case 3:
    return LOOKUP(integ_names, id);
  case 4:
    return LOOKUP(ke_names, id);
  case 5:
    return LOOKUP(esn_names, id);
  default:
    return NULL;
  }
}
