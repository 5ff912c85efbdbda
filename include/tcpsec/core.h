/**
 * \file tcpsec/core.h
 * \brief Export macro, error codes, logging and the library context.
 *
 * Every other public header includes this one. A program usually includes
 * the umbrella header `tcpsec/tcpsec.h` instead.
 */
#ifndef TCPSEC_CORE_H
#define TCPSEC_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Marks a function exported from the shared library. */
#if defined(TCPSEC_BUILDING_LIBRARY) && defined(__GNUC__)
#define TCPSEC_API __attribute__((visibility("default")))
#else
#define TCPSEC_API
#endif

/** Marks a function whose result must be checked (verify, open, parse). */
#if defined(__GNUC__)
#define TCPSEC_NODISCARD __attribute__((warn_unused_result))
#else
#define TCPSEC_NODISCARD
#endif

/**
 * \name Error codes
 *
 * Every function that can fail returns 0 (or a non-negative size) on success
 * and one of these negative codes on failure. Codes are grouped by layer and
 * their values never change between releases of the same major version.
 * tcpsec_strerror() turns a code into a sentence.
 * \{
 */
/* Generic */
#define TCPSEC_ERR_INVALID_ARGUMENT   -1  /**< An argument is NULL or out of range. */
#define TCPSEC_ERR_NO_MEMORY          -2  /**< The allocator returned NULL. */
#define TCPSEC_ERR_BUFFER_TOO_SMALL   -3  /**< The output buffer cannot hold the result. */
#define TCPSEC_ERR_NOT_FOUND          -4  /**< The object looked up does not exist. */
#define TCPSEC_ERR_EXISTS             -5  /**< An object with the same key exists. */
#define TCPSEC_ERR_INVALID_STATE      -6  /**< The call is not allowed in the object's state. */
#define TCPSEC_ERR_NOT_SUPPORTED      -7  /**< The feature or algorithm is not supported. */
#define TCPSEC_ERR_LIMIT              -8  /**< A configured or built-in limit was reached. */
#define TCPSEC_ERR_RANDOM             -9  /**< The random source failed. */
#define TCPSEC_ERR_INTERNAL           -10 /**< An internal invariant failed (a bug). */
#define TCPSEC_ERR_CALLBACK           -11 /**< A caller callback reported failure. */
#define TCPSEC_ERR_TRUNCATED          -12 /**< Input ends before a declared length. */
#define TCPSEC_ERR_MALFORMED          -13 /**< Input violates the wire format. */
#define TCPSEC_ERR_TIMEOUT            -14 /**< The peer did not answer in time. */

/* Crypto */
#define TCPSEC_ERR_UNKNOWN_ALGORITHM  -100 /**< Algorithm number or name not known. */
#define TCPSEC_ERR_INVALID_KEY_LENGTH -101 /**< Key length does not fit the algorithm. */
#define TCPSEC_ERR_ICV_MISMATCH       -102 /**< Integrity check value did not verify. */
#define TCPSEC_ERR_INVALID_PUBLIC_KEY -103 /**< Peer's key exchange value is invalid. */
#define TCPSEC_ERR_WEAK_SHARED_SECRET -104 /**< Key exchange produced an all-zero secret. */
#define TCPSEC_ERR_CRYPTO_BACKEND     -105 /**< The crypto backend reported an error. */
#define TCPSEC_ERR_INVALID_PROPOSAL   -106 /**< Proposal string contains an unknown token. */

/* ESP and SA database */
#define TCPSEC_ERR_ESP_TRUNCATED      -200 /**< ESP packet shorter than its headers. */
#define TCPSEC_ERR_ESP_UNKNOWN_SPI    -201 /**< No inbound SA has this SPI. */
#define TCPSEC_ERR_ESP_REPLAYED       -202 /**< Sequence number replayed or left of the window. */
#define TCPSEC_ERR_ESP_AUTH_FAILED    -203 /**< ESP ICV did not verify. */
#define TCPSEC_ERR_ESP_BAD_PADDING    -204 /**< ESP padding bytes or length invalid. */
#define TCPSEC_ERR_ESP_BAD_NEXT_HEADER -205 /**< Next header is not IPv4 (4) or IPv6 (41). */
#define TCPSEC_ERR_ESP_SEQ_EXHAUSTED  -206 /**< Sequence numbers used up: rekey needed. */
#define TCPSEC_ERR_SA_EXPIRED         -207 /**< Hard lifetime reached: the SA is unusable. */
#define TCPSEC_ERR_BAD_INNER_PACKET   -208 /**< Inner packet is not valid IPv4 or IPv6. */
#define TCPSEC_ERR_NO_POLICY          -209 /**< No traffic selector matches the packet. */

/* Encapsulation */
#define TCPSEC_ERR_STREAM_BAD_PREFIX  -300 /**< TCP stream did not start with "IKETCP". */
#define TCPSEC_ERR_STREAM_BAD_LENGTH  -301 /**< Stream frame length 0 or 1: close the connection. */
#define TCPSEC_ERR_STREAM_CLOSED      -302 /**< Stream had a fatal error: reset it first. */
#define TCPSEC_ERR_MESSAGE_TOO_LONG   -303 /**< Message longer than the framing allows. */
#define TCPSEC_ERR_BAD_MARKER         -304 /**< Message has neither the non-ESP marker nor an SPI. */
#define TCPSEC_ERR_BAD_CHECKSUM       -305 /**< TCP or IP checksum wrong. */
#define TCPSEC_ERR_BAD_SEGMENT        -306 /**< IP or TCP header of a segment invalid. */
#define TCPSEC_ERR_SHORT_IKE_MESSAGE  -307 /**< IKE message shorter than the 28-byte IKE header. */

/* IKE */
#define TCPSEC_ERR_UNSUPPORTED_CRITICAL_PAYLOAD -400 /**< Unknown payload with the critical bit. */
#define TCPSEC_ERR_INVALID_SYNTAX     -401 /**< Message is malformed after authentication. */
#define TCPSEC_ERR_NO_PROPOSAL_CHOSEN -402 /**< No acceptable proposal. */
#define TCPSEC_ERR_INVALID_KE_PAYLOAD -403 /**< Peer used an unacceptable KE group. */
#define TCPSEC_ERR_AUTHENTICATION_FAILED -404 /**< Peer authentication failed. */
#define TCPSEC_ERR_TS_UNACCEPTABLE    -405 /**< Traffic selectors not acceptable. */
#define TCPSEC_ERR_INVALID_IKE_SPI    -406 /**< Message for an unknown IKE SA. */
#define TCPSEC_ERR_INVALID_MESSAGE_ID -407 /**< Message ID outside the window. */
#define TCPSEC_ERR_FRAGMENT           -408 /**< Invalid or inconsistent IKE fragment. */
#define TCPSEC_ERR_PEER_DEAD          -409 /**< Retransmission budget exhausted. */
#define TCPSEC_ERR_COOKIE_REQUIRED    -410 /**< Responder requires a cookie. */
#define TCPSEC_ERR_TEMPORARY_FAILURE  -411 /**< Peer reported TEMPORARY_FAILURE. */
#define TCPSEC_ERR_CHILD_SA_NOT_FOUND -412 /**< Child SA with this SPI not found. */
#define TCPSEC_ERR_CERT_EXPIRED       -413 /**< Certificate outside its validity period. */
#define TCPSEC_ERR_CERT_UNTRUSTED     -414 /**< Certificate chain does not reach a trust anchor. */
#define TCPSEC_ERR_ID_MISMATCH        -415 /**< Identity does not match the configuration or certificate. */
#define TCPSEC_ERR_UNSUPPORTED_KEY_TYPE -416 /**< Key type not supported for signatures. */
#define TCPSEC_ERR_SIGNATURE_INVALID  -417 /**< Signature did not verify. */
#define TCPSEC_ERR_IKE_SA_DELETED     -418 /**< The IKE SA was deleted. */
#define TCPSEC_ERR_INVALID_MAJOR_VERSION -419 /**< IKE major version is not 2. */

/* Gateway and configuration */
#define TCPSEC_ERR_CONFIG             -500 /**< Configuration value invalid. */
#define TCPSEC_ERR_UNKNOWN_CONNECTION -501 /**< Connection handle not known. */
#define TCPSEC_ERR_TUNNEL_DOWN        -502 /**< No established tunnel for the packet. */
/** \} */

/**
 * \brief Describe an error code in one sentence.
 * \param err A negative TCPSEC_ERR_* code (0 gives "success").
 * \return A static string; never NULL, also for unknown codes.
 */
TCPSEC_API const char *tcpsec_strerror(int err);

/**
 * \brief Name the error code's macro without its prefix, e.g. "ICV_MISMATCH".
 * \param err A negative TCPSEC_ERR_* code.
 * \return A static string; "UNKNOWN" for codes this version does not define.
 */
TCPSEC_API const char *tcpsec_strerror_name(int err);

/**
 * \brief Report the version of the library that is running.
 * \return A static string such as "0.1.0"; compare with
 *         TCPSEC_VERSION_STRING to detect a header/library mismatch.
 */
TCPSEC_API const char *tcpsec_version(void);

/**
 * \brief Report the version of the running library as a number.
 * \return The version encoded like TCPSEC_VERSION_NUM.
 */
TCPSEC_API uint32_t tcpsec_version_num(void);

/** Log levels, from the most to the least important. */
typedef enum tcpsec_log_level {
  TCPSEC_LOG_ERROR = 0,
  TCPSEC_LOG_WARNING = 1,
  TCPSEC_LOG_NOTICE = 2,
  TCPSEC_LOG_INFO = 3,
  TCPSEC_LOG_DEBUG = 4
} tcpsec_log_level;

/**
 * \brief Receives one log line.
 * \param user      The log_user pointer from the configuration.
 * \param level     Importance of the line.
 * \param subsystem Short layer name: "core", "crypto", "esp", "sa", "encap",
 *                  "ike" or "gw".
 * \param message   The line without a trailing newline. It is valid only
 *                  during the call.
 *
 * No library call may be made on the context from inside this callback.
 */
typedef void (*tcpsec_log_fn)(void *user, tcpsec_log_level level,
                              const char *subsystem, const char *message);

/**
 * \brief Fills a buffer with cryptographically strong random bytes.
 * \return 0 on success, any non-zero value on failure (reported to callers
 *         as TCPSEC_ERR_RANDOM).
 */
typedef int (*tcpsec_random_fn)(void *user, uint8_t *buf, size_t len);

/**
 * Memory allocator. The three functions follow the contracts of malloc,
 * realloc and free, with the user pointer as the last argument. This
 * struct's layout is frozen: it will never gain fields.
 */
typedef struct tcpsec_allocator {
  /** Allocate \c size bytes; NULL on failure. */
  void *(*malloc_fn)(size_t size, void *user);
  /** Resize a block from malloc_fn; NULL on failure (block unchanged). */
  void *(*realloc_fn)(void *ptr, size_t size, void *user);
  /** Release a block; never called with NULL. */
  void (*free_fn)(void *ptr, void *user);
  /** Passed as the last argument of the three functions. */
  void *user;
} tcpsec_allocator;

/**
 * Context configuration.
 *
 * The leading `size` field versions the struct: tcpsec_ctx_config_default()
 * sets it to the size the caller was compiled with, and the library reads
 * only the fields that lie within it, taking defaults for the rest. New
 * fields are only ever appended, so a program built against an older header
 * keeps working with a newer library. This is simpler for language bindings
 * than a version number passed beside the struct, and it catches a caller
 * that forgot the initialiser (size 0 is rejected).
 */
typedef struct tcpsec_ctx_config {
  /** Size of this struct as the caller sees it; set by the initialiser. */
  size_t size;
  /** Allocator; all NULL means the C library's malloc, realloc and free. */
  tcpsec_allocator allocator;
  /** Log callback; NULL (the default) disables logging. */
  tcpsec_log_fn log;
  /** Passed to \c log. */
  void *log_user;
  /** Lines less important than this are not formatted (default NOTICE). */
  tcpsec_log_level log_level;
  /**
   * Random source; NULL (the default) means Mbed TLS CTR_DRBG seeded from
   * the platform entropy source at context creation.
   */
  tcpsec_random_fn random;
  /** Passed to \c random. */
  void *random_user;
} tcpsec_ctx_config;

/** Library context: allocator, logging and randomness for all objects. */
typedef struct tcpsec_ctx tcpsec_ctx;

/**
 * \brief Fill a configuration with the defaults and set its size field.
 * \param cfg Configuration to initialise; must not be NULL.
 */
TCPSEC_API void tcpsec_ctx_config_default(tcpsec_ctx_config *cfg);

/**
 * \brief Create a context.
 * \param cfg Configuration initialised with tcpsec_ctx_config_default(); NULL
 *            means all defaults. The struct is copied.
 * \param out Receives the context.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p out is NULL, \c cfg->size is 0
 *         or larger than this library's struct while the extra bytes are
 *         not all zero, or only some of the allocator functions are set.
 * \return TCPSEC_ERR_NO_MEMORY if the allocation failed.
 * \return TCPSEC_ERR_RANDOM if the default random generator could not be
 *         seeded from the platform entropy source.
 *
 * Objects created from a context keep a pointer to it: free them first.
 * A context is not thread-safe; use one per thread, or serialise calls.
 */
TCPSEC_API TCPSEC_NODISCARD int tcpsec_ctx_new(const tcpsec_ctx_config *cfg,
                                               tcpsec_ctx **out);

/**
 * \brief Free a context and wipe its random generator state.
 * \param ctx Context, or NULL (then nothing happens).
 */
TCPSEC_API void tcpsec_ctx_free(tcpsec_ctx *ctx);

/**
 * \brief Fill \p buf with random bytes from the context's random source.
 * \param ctx Context whose source is used.
 * \param buf Output buffer.
 * \param len Number of bytes to write.
 * \return 0 on success, TCPSEC_ERR_INVALID_ARGUMENT if \p ctx is NULL or
 *         \p buf is NULL with a non-zero \p len, TCPSEC_ERR_RANDOM if the
 *         source failed.
 */
TCPSEC_API TCPSEC_NODISCARD int tcpsec_random_bytes(tcpsec_ctx *ctx,
                                                    uint8_t *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* TCPSEC_CORE_H */
