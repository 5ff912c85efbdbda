/**
 * \file tcpsec/sa.h
 * \brief SA database: inbound SPI lookup and outbound selection by traffic
 *        selectors.
 *
 * A tcpsec_sad contains Child SAs. Each Child SA is a pair of ESP SAs (see
 * tcpsec/esp.h). The inbound SA has the SPI that tcpsec chose, and that SPI
 * identifies the Child SA in this database. The optional outbound SA comes
 * with the traffic selectors that route inner packets to it.
 *
 * - **Inbound**: tcpsec_sad_open() reads the SPI of an ESP packet, finds
 *   the inbound SA in a hash table keyed with a random secret (so a peer
 *   cannot aim packets at one bucket) and opens the packet. Lookup cost
 *   does not grow with the number of SAs.
 * - **SPIs**: tcpsec_sad_reserve_spi() draws a random SPI from the
 *   context's random source, never 0 and never 1-255 (reserved by IANA),
 *   and never one that is reserved or installed. The IKE layer reserves an
 *   SPI before it proposes a Child SA, then installs or releases it.
 * - **Outbound**: tcpsec_sad_select() picks the outbound SA for an inner
 *   packet: its source address, protocol and source port must match a
 *   local traffic selector, its destination address and port a remote one
 *   of the same Child SA. When several Child SAs match, the most specific
 *   wins, compared in this order: smaller remote address range, smaller
 *   local address range, a specific protocol before "any", narrower remote
 *   port range, narrower local port range. Among equally specific Child SAs
 *   the most recently installed wins.
 * - **Rekeying** (make-before-break): install the new Child SA with the
 *   same traffic selectors. From then on its outbound SA carries the
 *   traffic. The old inbound SA keeps accepting packets that were already
 *   in flight, until tcpsec_sad_remove() deletes the old Child SA.
 *
 * Selection cost depends on the number of distinct prefix lengths of the
 * remote ranges (at most 33 for IPv4, 129 for IPv6) and on how many Child
 * SAs share one remote prefix, not on the total number of Child SAs.
 *
 * Memory per Child SA is bounded: two ESP SAs (776 to 1560 bytes each,
 * plus an inbound anti-replay bitmap of (ceil(window / 64) + 1) * 8
 * bytes), a record with one entry per selector pair, and its share of the
 * hash tables. tests/bench/esp_bench.c measured 2089 bytes per Child SA with
 * 100,000 Child SAs using AES-GCM in both directions, one selector pair and
 * the default 2048-packet window: 1816 bytes for the ESP SAs and 273 for
 * the database (Mbed TLS 2.28, x86-64; see docs/benchmarks.md).
 *
 * A database is not thread-safe: serialise calls on it.
 */
#ifndef TCPSEC_SA_H
#define TCPSEC_SA_H

#include <stddef.h>
#include <stdint.h>

#include "tcpsec/core.h"
#include "tcpsec/esp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Traffic selector type of an IPv4 address range (IKEv2 TS Type, RFC 7296
 *  section 3.13.1). */
#define TCPSEC_TS_IPV4_ADDR_RANGE 7
/** Traffic selector type of an IPv6 address range. */
#define TCPSEC_TS_IPV6_ADDR_RANGE 8

/** Smallest SPI tcpsec_sad_reserve_spi() hands out; 1-255 are reserved by
 *  IANA for future use (RFC 4303 section 2.1). */
#define TCPSEC_SAD_SPI_MIN 256u

/**
 * One traffic selector as IKEv2 carries it (RFC 7296 section 3.13.1): an
 * inclusive address range, an IP protocol and an inclusive port range.
 *
 * This struct's layout is frozen: it will never gain fields. Addresses are
 * in network byte order, and an IPv4 range uses the first 4 bytes of each
 * address array. For protocols without ports, and for non-first fragments,
 * only the full port range 0-65535 matches.
 *
 * NOTE: for ICMP and ICMPv6, tcpsec matches the 16-bit value
 * type * 256 + code against both the local and the remote port range. A
 * peer that applies ICMP ranges to one side only may narrow differently.
 */
typedef struct tcpsec_sa_traffic_selector {
  /** TCPSEC_TS_IPV4_ADDR_RANGE or TCPSEC_TS_IPV6_ADDR_RANGE. */
  uint8_t ts_type;
  /** IP protocol number; 0 matches any protocol. */
  uint8_t ip_protocol;
  /** First port of the range, host byte order. */
  uint16_t start_port;
  /** Last port of the range, host byte order. */
  uint16_t end_port;
  /** First address of the range. */
  uint8_t start_addr[16];
  /** Last address of the range. */
  uint8_t end_addr[16];
} tcpsec_sa_traffic_selector;

/** The SA database. */
typedef struct tcpsec_sad tcpsec_sad;

/** Configuration of a database; fill with tcpsec_sad_config_default(). */
typedef struct tcpsec_sad_config {
  /** Size of this struct as the caller sees it; set by the initialiser. */
  size_t size;
  /** Most SPIs reserved or installed at once (default 1,048,576). */
  size_t max_spis;
  /** Room to prepare for at creation, in Child SAs (default 64). The
   *  tables grow beyond it by rehashing on install, never on lookup. */
  size_t initial_capacity;
  /** Most traffic selectors on each side of one Child SA (default 16). */
  size_t max_ts_per_side;
} tcpsec_sad_config;

/** One Child SA to install with tcpsec_sad_install(). */
typedef struct tcpsec_sad_child {
  /** Size of this struct as the caller sees it (sizeof). */
  size_t size;
  /** Inbound ESP SA; required. Its SPI identifies the Child SA. */
  tcpsec_esp_sa *inbound;
  /** Outbound ESP SA, or NULL when another data plane sends. */
  tcpsec_esp_sa *outbound;
  /** Local traffic selectors (our side: source of outbound packets). */
  const tcpsec_sa_traffic_selector *local_ts;
  /** Number of local selectors. */
  size_t local_ts_count;
  /** Remote traffic selectors (the peer's side). */
  const tcpsec_sa_traffic_selector *remote_ts;
  /** Number of remote selectors. */
  size_t remote_ts_count;
  /** Caller's pointer for this Child SA, returned by tcpsec_sad_select(). */
  void *user;
  /** 1 to install the outbound SA on standby. Another Child SA with
   *  matching selectors then keeps carrying the traffic until a packet
   *  authenticates on this Child SA's inbound SA in tcpsec_sad_open(),
   *  tcpsec_sad_promote() is called, or the Child SA named by
   *  \c replaces_spi is removed. Use it for the pair made in response to a
   *  peer's rekey: RFC 7296 section 2.8 has the
   *  responder keep sending on the old pair until the initiator shows it
   *  can receive on the new one. */
  uint8_t outbound_standby;
  /** Inbound SPI of the Child SA this one replaces in a rekey, or 0. When
   *  that Child SA is removed, this one leaves standby. */
  uint32_t replaces_spi;
} tcpsec_sad_child;

/** Counters of a database; set `size` before tcpsec_sad_get_stats(). */
typedef struct tcpsec_sad_stats {
  /** Size of this struct as the caller sees it. */
  size_t size;
  /** Child SAs installed. */
  uint64_t child_sas;
  /** SPIs reserved but not installed. */
  uint64_t reserved_spis;
  /** Packets whose SPI matched no installed inbound SA. */
  uint64_t unknown_spi;
  /** Inner packets no traffic selector matched. */
  uint64_t no_policy;
  /** Inner packets tcpsec_sad_select() could not parse. */
  uint64_t bad_inner_packet;
  /** Bytes the database itself allocated (hash tables, Child SA records,
   *  selector index), without the ESP SAs. */
  uint64_t table_bytes;
} tcpsec_sad_stats;

/**
 * \brief Fill a database configuration with the defaults.
 * \param cfg Configuration to initialise; NULL is ignored.
 */
TCPSEC_API void tcpsec_sad_config_default(tcpsec_sad_config *cfg);

/**
 * \brief Create an empty database.
 * \param ctx Context for allocation and randomness; it also keys the SPI
 *            hash with a random secret.
 * \param cfg Configuration, or NULL for the defaults.
 * \param out Receives the database.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p ctx or \p out is NULL or the
 *         configuration is invalid (size 0, unknown non-zero fields, a
 *         limit of 0).
 * \return TCPSEC_ERR_NO_MEMORY if an allocation failed.
 * \return TCPSEC_ERR_RANDOM if the random source failed.
 */
TCPSEC_API TCPSEC_NODISCARD int tcpsec_sad_new(tcpsec_ctx *ctx,
                                               const tcpsec_sad_config *cfg,
                                               tcpsec_sad **out);

/**
 * \brief Free a database with every Child SA in it (their ESP SAs too).
 * \param sad Database, or NULL (then nothing happens).
 */
TCPSEC_API void tcpsec_sad_free(tcpsec_sad *sad);

/**
 * \brief Reserve a fresh random inbound SPI.
 * \param sad Database.
 * \param spi Receives the SPI, at least TCPSEC_SAD_SPI_MIN.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL.
 * \return TCPSEC_ERR_LIMIT if \c max_spis SPIs are reserved or installed.
 * \return TCPSEC_ERR_NO_MEMORY if the table could not grow.
 * \return TCPSEC_ERR_RANDOM if the random source failed.
 *
 * The SPI stays taken until tcpsec_sad_release_spi(), or until the Child SA
 * installed with it is removed.
 */
TCPSEC_API TCPSEC_NODISCARD int tcpsec_sad_reserve_spi(tcpsec_sad *sad,
                                                       uint32_t *spi);

/**
 * \brief Give back a reserved SPI that was never installed.
 * \param sad Database.
 * \param spi The reserved SPI.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p sad is NULL.
 * \return TCPSEC_ERR_NOT_FOUND if the SPI is not reserved.
 * \return TCPSEC_ERR_INVALID_STATE if a Child SA is installed with it; use
 *         tcpsec_sad_remove().
 */
TCPSEC_API int tcpsec_sad_release_spi(tcpsec_sad *sad, uint32_t spi);

/**
 * \brief Install a Child SA.
 * \param sad   Database.
 * \param child The SAs and selectors. On success the database owns both
 *              ESP SAs and frees them on removal; the selectors are copied.
 *              On failure the caller still owns the SAs.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL, \c child->size
 *         is 0, \c inbound is missing or not inbound, \c outbound is not
 *         outbound, a selector is invalid (unknown type, start above end),
 *         or selectors are given without an outbound SA.
 * \return TCPSEC_ERR_EXISTS if a Child SA with the inbound SPI is
 *         installed.
 * \return TCPSEC_ERR_LIMIT if the inbound SPI is not reserved and
 *         \c max_spis are in use, or a side has more than
 *         \c max_ts_per_side selectors.
 * \return TCPSEC_ERR_NO_MEMORY if an allocation failed; nothing changed.
 *
 * The inbound SPI may have been reserved with tcpsec_sad_reserve_spi() or
 * not; installing it takes the reservation over.
 */
TCPSEC_API TCPSEC_NODISCARD int tcpsec_sad_install(tcpsec_sad *sad,
                                                   const tcpsec_sad_child *child);

/**
 * \brief Remove a Child SA and free its ESP SAs.
 * \param sad         Database.
 * \param inbound_spi SPI of the Child SA's inbound SA.
 * \return 0 on success; the SPI becomes free for reuse.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p sad is NULL.
 * \return TCPSEC_ERR_NOT_FOUND if no Child SA has that inbound SPI.
 */
TCPSEC_API int tcpsec_sad_remove(tcpsec_sad *sad, uint32_t inbound_spi);

/**
 * \brief Find the inbound SA with an SPI.
 * \param sad Database, or NULL.
 * \param spi SPI from an ESP packet, host byte order.
 * \return The SA, or NULL when none is installed with it (a reserved SPI
 *         has none).
 */
TCPSEC_API tcpsec_esp_sa *tcpsec_sad_find_inbound(const tcpsec_sad *sad,
                                                  uint32_t spi);

/**
 * \brief End the standby of a Child SA installed with \c outbound_standby:
 *        from now on it is preferred like a Child SA installed now.
 *
 * Call it when a packet authenticated on its inbound SA outside
 * tcpsec_sad_open(), which promotes by itself. Costs nothing for a Child
 * SA that is not on standby.
 *
 * \param sad         Database.
 * \param inbound_spi Inbound SPI of the Child SA.
 * \return 0 on success (also when it was not on standby).
 * \return TCPSEC_ERR_INVALID_ARGUMENT if \p sad is NULL.
 * \return TCPSEC_ERR_NOT_FOUND if no Child SA has this inbound SPI.
 */
TCPSEC_API int tcpsec_sad_promote(tcpsec_sad *sad, uint32_t inbound_spi);

/**
 * \brief Find the outbound SA of the Child SA with an inbound SPI.
 * \param sad         Database, or NULL.
 * \param inbound_spi SPI of the Child SA's inbound SA.
 * \return The SA, or NULL when the Child SA does not exist or has none.
 */
TCPSEC_API tcpsec_esp_sa *tcpsec_sad_find_outbound(const tcpsec_sad *sad,
                                                   uint32_t inbound_spi);

/**
 * \brief Select the outbound SA for an inner packet.
 * \param sad   Database.
 * \param inner Inner IPv4 or IPv6 packet.
 * \param len   Its length.
 * \param sa    Receives the outbound SA.
 * \param user  If not NULL, receives the Child SA's user pointer.
 * \return 0 on success.
 * \return TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL.
 * \return TCPSEC_ERR_BAD_INNER_PACKET if the packet is not a valid IPv4 or
 *         IPv6 packet (counted).
 * \return TCPSEC_ERR_NO_POLICY if no Child SA's selectors match (counted):
 *         drop the packet or start a negotiation.
 */
TCPSEC_API TCPSEC_NODISCARD int tcpsec_sad_select(tcpsec_sad *sad,
                                                  const uint8_t *inner,
                                                  size_t len,
                                                  tcpsec_esp_sa **sa,
                                                  void **user);

/**
 * \brief Find the inbound SA of an ESP packet and open the packet in place.
 * \param sad          Database.
 * \param packet       ESP packet starting at the SPI; decrypted in place.
 * \param len          Its length.
 * \param now_ms       Current monotonic time.
 * \param inner_offset Receives where the inner packet starts in \p packet.
 * \param next_header  If not NULL, receives the next header.
 * \param sa           If not NULL, receives the inbound SA that opened it.
 * \return The length of the inner packet (0 for a dummy packet).
 * \return TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL.
 * \return TCPSEC_ERR_ESP_TRUNCATED if the packet is shorter than an SPI.
 * \return TCPSEC_ERR_ESP_UNKNOWN_SPI if no inbound SA has the SPI
 *         (counted in the database).
 * \return Any error of tcpsec_esp_sa_open(), counted in that SA.
 */
TCPSEC_API TCPSEC_NODISCARD ptrdiff_t tcpsec_sad_open(
    tcpsec_sad *sad, uint8_t *packet, size_t len, uint64_t now_ms,
    size_t *inner_offset, uint8_t *next_header, tcpsec_esp_sa **sa);

/**
 * \brief Copy the database's counters.
 * \param sad   Database.
 * \param stats Receives the counters; set \c stats->size first.
 * \return 0, or TCPSEC_ERR_INVALID_ARGUMENT if a pointer is NULL or
 *         \c stats->size is smaller than the size field.
 */
TCPSEC_API int tcpsec_sad_get_stats(const tcpsec_sad *sad,
                                    tcpsec_sad_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* TCPSEC_SA_H */
