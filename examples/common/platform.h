/*
 * Platform layer of the example hub and spoke programs: logging, the event
 * loop, UDP and TCP sockets, the TUN device and its routes, the control
 * socket, and the raw segment path of the Fortinet-style encapsulation.
 *
 * One implementation per platform family: *_linux.c (epoll, signalfd,
 * /dev/net/tun, rtnetlink, AF_PACKET, nftables) and *_bsd.c (kqueue,
 * /dev/tunN, routing socket, bpf, pf). log.c, socket.c, control.c and
 * command.c are shared.
 *
 * Unless a function documents otherwise it returns 0 (or a byte count) on
 * success and a negative errno value on failure, so a caller prints
 * strerror(-rc). Every descriptor it opens is non-blocking and
 * close-on-exec.
 */
#ifndef EXAMPLE_PLATFORM_H
#define EXAMPLE_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "tcpsec/core.h"

/* ---- logging ------------------------------------------------------------
 * Lines go to stderr as
 *   2026-11-01T09:30:12.345Z hub notice gw: message
 * with the UTC wall-clock time, the program name, the level and the
 * subsystem. */

void platform_log_init(const char *program, tcpsec_log_level level);
void platform_log_set_level(tcpsec_log_level level);
int platform_log_enabled(tcpsec_log_level level);
void platform_log(tcpsec_log_level level, const char *subsystem,
                  const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Matches tcpsec_log_fn, so the library's lines take the same path. */
void platform_log_tcpsec(void *user, tcpsec_log_level level,
                         const char *subsystem, const char *message);

/* Counter for repeated per-packet errors: the first error of a period is
 * logged, the rest are counted and reported with the next logged one. */
struct platform_log_limit {
  uint64_t period_start_ms;
  uint64_t period_ms; /* length of a period, e.g. 10000 */
  uint64_t suppressed;
};

/* Returns 1 when the caller should log now; *suppressed then receives how
 * many errors were counted since the last logged one. */
int platform_log_limit_check(struct platform_log_limit *limit,
                             uint64_t now_ms, uint64_t *suppressed);

/* ---- time --------------------------------------------------------------- */

/* Milliseconds of CLOCK_MONOTONIC: the now_ms the library takes. */
uint64_t platform_now_ms(void);

/* ---- event loop ----------------------------------------------------------
 * One thread. Descriptors are registered with read and/or write interest
 * and a callback; one timer deadline (the library's next_timeout) and
 * SIGINT/SIGTERM are delivered through the same loop. Callbacks may add,
 * modify and remove registrations, including their own, and may stop the
 * loop. */

#define PLATFORM_EVENT_READ 1u
#define PLATFORM_EVENT_WRITE 2u
#define PLATFORM_EVENT_ERROR 4u /* error or hang-up; reported with READ */

/* Deadline meaning "no timer". */
#define PLATFORM_NO_DEADLINE UINT64_MAX

struct platform_loop;

typedef void (*platform_fd_fn)(struct platform_loop *loop, int fd,
                               unsigned events, void *user);
typedef void (*platform_timer_fn)(struct platform_loop *loop,
                                  uint64_t now_ms, void *user);
typedef void (*platform_signal_fn)(struct platform_loop *loop, int signo,
                                   void *user);

int platform_loop_new(struct platform_loop **out);
/* Closes the loop's own descriptors, not the registered ones. */
void platform_loop_free(struct platform_loop *loop);

/* -EEXIST when fd is registered already. */
int platform_loop_add(struct platform_loop *loop, int fd, unsigned events,
                      platform_fd_fn fn, void *user);
/* -ENOENT when fd is not registered. */
int platform_loop_modify(struct platform_loop *loop, int fd, unsigned events);
int platform_loop_remove(struct platform_loop *loop, int fd);

/* Call fn once at the monotonic time deadline_ms (PLATFORM_NO_DEADLINE
 * clears the timer). A new call replaces the previous deadline. */
void platform_loop_set_timer(struct platform_loop *loop, uint64_t deadline_ms,
                             platform_timer_fn fn, void *user);

/* Deliver SIGINT and SIGTERM to fn instead of ending the process, and
 * ignore SIGPIPE so a write to a closed TCP connection returns EPIPE. */
int platform_loop_watch_signals(struct platform_loop *loop,
                                platform_signal_fn fn, void *user);

/* Dispatch events until platform_loop_stop(). Returns 0, or a negative
 * errno value when waiting failed. */
int platform_loop_run(struct platform_loop *loop);
void platform_loop_stop(struct platform_loop *loop);

/* ---- UDP and TCP sockets ------------------------------------------------ */

/* Bind a UDP socket to local (address may be unset for "any") and ask for
 * the local address of each received datagram. */
int platform_udp_open(const struct net_endpoint *local, int *fd_out);

/* Receive one datagram. `to` receives the local address and port it was
 * sent to (the socket's port when the address is unknown). Returns the
 * length, -EAGAIN when nothing is queued, -EMSGSIZE when it was longer than
 * capacity (the datagram is dropped). */
ssize_t platform_udp_recv(int fd, void *buf, size_t capacity,
                          struct net_endpoint *from, struct net_endpoint *to);

/* Send one datagram; `from` (may be NULL) picks the source address on a
 * socket bound to "any". */
ssize_t platform_udp_send(int fd, const void *buf, size_t len,
                          const struct net_endpoint *to,
                          const struct net_endpoint *from);

/* Listening TCP socket with SO_REUSEADDR. */
int platform_tcp_listen(const struct net_endpoint *local, int backlog,
                        int *fd_out);

/* Accept one connection (-EAGAIN when none is pending) and report both of
 * its ends. The new socket has TCP_NODELAY set. */
int platform_tcp_accept(int listen_fd, int *fd_out,
                        struct net_endpoint *local,
                        struct net_endpoint *remote);

/* Start a non-blocking connect, bound to `local` first when it is not NULL.
 * Returns 0 when the connection is established or in progress: wait for
 * PLATFORM_EVENT_WRITE, then call platform_tcp_connect_result(). */
int platform_tcp_connect(const struct net_endpoint *remote,
                         const struct net_endpoint *local, int *fd_out);

/* Outcome of a connect after the socket became writable: 0 or -errno. */
int platform_tcp_connect_result(int fd);

/* Addresses and ports of a connected socket. */
int platform_tcp_endpoints(int fd, struct net_endpoint *local,
                           struct net_endpoint *remote);

/* Turn on TCP keepalive: first probe after idle_s seconds, then every
 * interval_s seconds, connection dropped after count unanswered probes. */
int platform_tcp_keepalive(int fd, unsigned idle_s, unsigned interval_s,
                           unsigned count);

/* ---- TUN device ---------------------------------------------------------
 * Reads and writes carry bare IPv4 or IPv6 packets; the BSD 4-byte address
 * family header is added and removed inside. */

#define PLATFORM_IFNAME_MAX 16 /* IFNAMSIZ, with the NUL */

struct platform_tun {
  int fd;
  unsigned ifindex;
  char name[PLATFORM_IFNAME_MAX];
};

/* Create a TUN interface. `name` may be "" (the system picks) or, on
 * Linux, a name or a pattern such as "tcpsec%d"; on the BSDs only "" or
 * "tunN". */
int platform_tun_open(const char *name, struct platform_tun *tun);
void platform_tun_close(struct platform_tun *tun);

/* Add an address with its prefix length ("10.255.0.1/24"). */
int platform_tun_add_address(const struct platform_tun *tun,
                             const struct net_prefix *address);
int platform_tun_set_mtu(const struct platform_tun *tun, unsigned mtu);
int platform_tun_up(const struct platform_tun *tun);

/* Route a prefix through the TUN interface, or remove that route. */
int platform_route_add(const struct platform_tun *tun,
                       const struct net_prefix *destination);
int platform_route_delete(const struct platform_tun *tun,
                          const struct net_prefix *destination);

/* One packet; -EAGAIN when none is queued. */
ssize_t platform_tun_read(const struct platform_tun *tun, void *buf,
                          size_t capacity);
ssize_t platform_tun_write(const struct platform_tun *tun, const void *packet,
                           size_t len);

/* ---- control socket -----------------------------------------------------
 * A UNIX stream socket at a configured path. A client connects, writes one
 * command line ("status\n") and reads the reply text until the server
 * closes the connection. */

#define PLATFORM_CONTROL_COMMAND_MAX 256
#define PLATFORM_CONTROL_CLIENTS_MAX 8

/* Growable reply text. */
struct platform_text {
  char *data;
  size_t length;
  size_t capacity;
  int failed; /* an append ran out of memory; the text is cut */
};

void platform_text_printf(struct platform_text *text, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Fill `reply` for one command line (without its newline). */
typedef void (*platform_control_fn)(void *user, const char *command,
                                    struct platform_text *reply);

struct platform_control;

/* Listen at `path` (mode 0600), replacing a stale socket file but not a
 * file of another type, and serve clients from the loop. -EADDRINUSE when
 * another process accepts connections at that path. */
int platform_control_open(struct platform_loop *loop, const char *path,
                          platform_control_fn fn, void *user,
                          struct platform_control **out);
/* Close all clients, the listener, and unlink the path. */
void platform_control_close(struct platform_control *control);

/* Client side: send `command` and write the reply to `out_fd`, waiting at
 * most timeout_ms for each step. -ETIMEDOUT when the server is silent. */
int platform_control_request(const char *path, const char *command,
                             int out_fd, int timeout_ms);

/* ---- Fortinet-style segments ---------------------------------------------
 * ESP packets travel as TCP segments of the IKE connection's 4-tuple whose
 * sequence numbers lie outside the receiver's window. They are read below
 * the TCP stack (Linux: AF_PACKET socket with a classic BPF filter; BSD:
 * bpf device) and sent with a raw IP socket that takes the caller's IP and
 * TCP headers. */

/* Segment selection of the receive socket: TCP from remote to local that
 * carry payload and have none of SYN, FIN and RST. An address of family
 * NET_FAMILY_NONE or a port of 0 matches any. */
struct platform_segment_filter {
  struct net_endpoint local;
  struct net_endpoint remote;
  unsigned ifindex; /* 0 = every interface (Linux); BSD needs one */
};

/* Flags of a received segment. */
#define PLATFORM_SEGMENT_CSUM_UNVERIFIED 1u /* checksum offloaded, not set */
#define PLATFORM_SEGMENT_CSUM_VALID 2u      /* the NIC verified it */

struct platform_segment_socket;

int platform_segment_open(const struct platform_segment_filter *filter,
                          struct platform_segment_socket **out);
void platform_segment_close(struct platform_segment_socket *segments);

/* Descriptor to register for PLATFORM_EVENT_READ. */
int platform_segment_fd(const struct platform_segment_socket *segments);

/* Read one segment starting at its IP header; *flags receives
 * PLATFORM_SEGMENT_* bits. -EAGAIN when none is queued. */
ssize_t platform_segment_recv(struct platform_segment_socket *segments,
                              void *buf, size_t capacity, unsigned *flags);

/* Send a complete IPv4 or IPv6 packet with its TCP header and checksum. */
ssize_t platform_segment_send(struct platform_segment_socket *segments,
                              const void *packet, size_t len);

/*
 * Firewall rule that keeps ESP-carrying segments away from the local TCP
 * stack, which would otherwise answer each with a duplicate ACK. Linux: an
 * nftables table with a prerouting rule at priority raw that drops TCP
 * segments of the 4-tuple whose payload starts, at spi_offset bytes, with
 * an SPI of the set; the packet socket still sees them because it taps
 * traffic before netfilter. BSD: see docs/platforms.md.
 */
struct platform_segment_guard;

int platform_segment_guard_install(
    const struct platform_segment_filter *filter, unsigned spi_offset,
    struct platform_segment_guard **out);
int platform_segment_guard_add_spi(struct platform_segment_guard *guard,
                                   uint32_t spi);
int platform_segment_guard_delete_spi(struct platform_segment_guard *guard,
                                      uint32_t spi);
/* Remove the rule; accepts NULL. */
void platform_segment_guard_remove(struct platform_segment_guard *guard);
/* Name of the nftables table or pf anchor, for messages and tests. */
const char *
platform_segment_guard_name(const struct platform_segment_guard *guard);

/* ---- external commands -------------------------------------------------- */

/* Run argv[0] (searched in PATH) with `input` on its standard input,
 * without a shell, and wait for it. Its standard output and error go to
 * `output` (cut to output_size, NUL-terminated) when output is not NULL.
 * Returns the exit status (0..255), or a negative errno value when it could
 * not be started or was killed by a signal (-EINTR). */
int platform_run_command(const char *const argv[], const char *input,
                         char *output, size_t output_size);

#endif /* EXAMPLE_PLATFORM_H */
