/* Minimal writer for classic pcap files with raw IPv4/IPv6 link type, used
 * by the capture generators. */
#ifndef TCPSEC_TEST_PCAP_WRITER_H
#define TCPSEC_TEST_PCAP_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Link type 101 (LINKTYPE_RAW): each record is an IPv4 or IPv6 packet. */
FILE *pcap_open_raw(const char *path);
int pcap_write(FILE *f, const uint8_t *packet, size_t len, uint32_t sec,
               uint32_t usec);

/* Build IPv4 (20 bytes, checksum filled) and UDP headers in front of a
 * payload; returns the packet length or 0 if it does not fit in out. */
size_t pcap_build_ipv4_udp(uint8_t *out, size_t cap, uint32_t src,
                           uint32_t dst, uint16_t sport, uint16_t dport,
                           const uint8_t *payload, size_t len);
/* IPv4 header with protocol `proto` (50 for ESP) in front of a payload. */
size_t pcap_build_ipv4(uint8_t *out, size_t cap, uint32_t src, uint32_t dst,
                       uint8_t proto, const uint8_t *payload, size_t len);

#endif
