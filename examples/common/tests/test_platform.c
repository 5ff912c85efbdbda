/* Unit tests for the platform layer that need no privileges: addresses,
 * the event loop (descriptors, timer, signals), the control socket on a
 * temporary path, UDP and TCP on loopback, and running a command. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "platform.h"

/* ---- addresses ---------------------------------------------------------- */

static void addr_parse_and_format(void **state) {
  struct net_addr addr;
  struct net_prefix prefix;
  struct net_endpoint endpoint;
  char text[NET_ENDPOINT_TEXT_MAX];

  (void)state;
  assert_int_equal(net_addr_parse("198.51.100.41", &addr), 0);
  assert_int_equal(addr.family, NET_FAMILY_IPV4);
  assert_int_equal(net_addr_size(&addr), 4);
  assert_int_equal(net_addr_parse("2001:db8::1", &addr), 0);
  assert_int_equal(addr.family, NET_FAMILY_IPV6);
  assert_int_equal(net_addr_size(&addr), 16);
  assert_int_equal(net_addr_parse("198.51.100", &addr), -1);
  assert_int_equal(net_addr_parse("fe80::1%eth0", &addr), -1);
  assert_int_equal(net_addr_parse("", &addr), -1);
  assert_int_equal(addr.family, NET_FAMILY_NONE);

  assert_int_equal(net_prefix_parse("10.88.0.0/24", 0, &prefix), 0);
  assert_int_equal(prefix.length, 24);
  assert_int_equal(net_prefix_parse("10.88.0.0/255.255.0.0", 0, &prefix), 0);
  assert_int_equal(prefix.length, 16);
  assert_int_equal(net_prefix_parse("0.0.0.0/0.0.0.0", 0, &prefix), 0);
  assert_int_equal(prefix.length, 0);
  assert_int_equal(net_prefix_parse("2001:db8::/129", 0, &prefix),
                   NET_PREFIX_BAD_LENGTH);
  assert_int_equal(net_prefix_parse("2001:db8::/128", 0, &prefix), 0);
  assert_int_equal(net_prefix_parse("10.88.0.0/", 0, &prefix),
                   NET_PREFIX_BAD_LENGTH);
  assert_int_equal(net_prefix_parse("10.88.0.0/0024", 0, &prefix),
                   NET_PREFIX_BAD_LENGTH);
  assert_int_equal(net_prefix_parse("/24", 0, &prefix),
                   NET_PREFIX_BAD_ADDRESS);
  assert_int_equal(net_prefix_parse("10.88.0.0", 0, &prefix),
                   NET_PREFIX_BAD_LENGTH);
  assert_int_equal(net_prefix_parse("10.88.0.0/255.0.255.0", 0, &prefix),
                   NET_PREFIX_BAD_MASK);
  assert_int_equal(net_prefix_parse("2001:db8::/255.0.0.0", 0, &prefix),
                   NET_PREFIX_BAD_MASK);
  assert_int_equal(net_prefix_parse("10.88.0.1/24", 0, &prefix),
                   NET_PREFIX_HOST_BITS);
  assert_int_equal(net_prefix_parse("2001:db8::1/64", 0, &prefix),
                   NET_PREFIX_HOST_BITS);

  /* An interface address keeps its host part. */
  assert_int_equal(net_prefix_parse("10.88.0.1/24", 1, &prefix), 0);
  net_prefix_format(&prefix, text, sizeof(text));
  assert_string_equal(text, "10.88.0.1/24");
  assert_int_equal(net_prefix_clear_host_bits(&prefix), 1);
  net_prefix_format(&prefix, text, sizeof(text));
  assert_string_equal(text, "10.88.0.0/24");
  assert_int_equal(net_prefix_clear_host_bits(&prefix), 0);

  memset(&endpoint, 0, sizeof(endpoint));
  net_addr_parse("203.0.113.249", &endpoint.addr);
  endpoint.port = 1443;
  net_endpoint_format(&endpoint, text, sizeof(text));
  assert_string_equal(text, "203.0.113.249:1443");
  net_addr_parse("2001:db8::5", &endpoint.addr);
  net_endpoint_format(&endpoint, text, sizeof(text));
  assert_string_equal(text, "[2001:db8::5]:1443");
  memset(&addr, 0, sizeof(addr));
  net_addr_format(&addr, text, sizeof(text));
  assert_string_equal(text, "unset");
}

static void addr_netmask_and_contains(void **state) {
  static const uint8_t contiguous[4] = {255, 255, 240, 0};
  static const uint8_t holes[4] = {255, 0, 255, 0};
  static const uint8_t all[4] = {255, 255, 255, 255};
  struct net_prefix prefix;
  struct net_addr addr;

  (void)state;
  assert_int_equal(net_netmask_length(contiguous), 20);
  assert_int_equal(net_netmask_length(holes), -1);
  assert_int_equal(net_netmask_length(all), 32);

  assert_int_equal(net_prefix_parse("192.168.111.0/24", 0, &prefix), 0);
  net_addr_parse("192.168.111.77", &addr);
  assert_true(net_prefix_contains(&prefix, &addr));
  net_addr_parse("192.168.112.1", &addr);
  assert_false(net_prefix_contains(&prefix, &addr));
  net_addr_parse("::ffff:192.168.111.77", &addr);
  assert_false(net_prefix_contains(&prefix, &addr));

  assert_int_equal(net_prefix_from_mask("10.1.2.3", "255.255.255.252", 1,
                                        &prefix),
                   0);
  assert_int_equal(prefix.length, 30);
  net_addr_parse("10.1.2.1", &addr);
  assert_true(net_prefix_contains(&prefix, &addr));
  assert_int_equal(net_prefix_from_mask("10.1.2.3", "255.255.255.252", 0,
                                        &prefix),
                   NET_PREFIX_HOST_BITS);
  assert_int_equal(net_prefix_from_mask("x", "255.0.0.0", 0, &prefix),
                   NET_PREFIX_BAD_ADDRESS);
}

/* ---- event loop --------------------------------------------------------- */

struct timer_state {
  int fired;
  uint64_t first_at;
};

static void timer_rearm(struct platform_loop *loop, uint64_t now_ms,
                        void *user) {
  struct timer_state *timer = user;

  timer->fired++;
  if (timer->fired == 1) {
    timer->first_at = now_ms;
    platform_loop_set_timer(loop, now_ms + 20, timer_rearm, timer);
  } else {
    platform_loop_stop(loop);
  }
}

static void loop_timer_fires_in_order(void **state) {
  struct platform_loop *loop;
  struct timer_state timer = {0, 0};
  uint64_t start;

  (void)state;
  assert_int_equal(platform_loop_new(&loop), 0);
  start = platform_now_ms();
  platform_loop_set_timer(loop, start + 30, timer_rearm, &timer);
  assert_int_equal(platform_loop_run(loop), 0);
  assert_int_equal(timer.fired, 2);
  assert_true(timer.first_at >= start + 30);
  assert_true(platform_now_ms() >= timer.first_at + 20);
  platform_loop_free(loop);
  platform_loop_free(NULL);
}

struct pipe_state {
  int read_fd;
  int write_fd;
  int reads;
  int writes;
  char received[16];
};

static void pipe_readable(struct platform_loop *loop, int fd, unsigned events,
                          void *user) {
  struct pipe_state *pipes = user;
  ssize_t n;

  assert_true(events & PLATFORM_EVENT_READ);
  n = read(fd, pipes->received, sizeof(pipes->received) - 1);
  assert_int_equal(n, 5);
  pipes->reads++;
  /* Removing itself from inside its own callback is allowed. */
  assert_int_equal(platform_loop_remove(loop, fd), 0);
  platform_loop_stop(loop);
}

static void pipe_writable(struct platform_loop *loop, int fd, unsigned events,
                          void *user) {
  struct pipe_state *pipes = user;

  assert_true(events & PLATFORM_EVENT_WRITE);
  pipes->writes++;
  assert_int_equal(write(fd, "hello", 5), 5);
  /* Stop write interest, start reading the other end. */
  assert_int_equal(platform_loop_modify(loop, fd, 0), 0);
  assert_int_equal(platform_loop_add(loop, pipes->read_fd,
                                     PLATFORM_EVENT_READ, pipe_readable,
                                     pipes),
                   0);
}

static void loop_dispatches_descriptors(void **state) {
  struct platform_loop *loop;
  struct pipe_state pipes;
  int fds[2];

  (void)state;
  memset(&pipes, 0, sizeof(pipes));
  assert_int_equal(pipe(fds), 0);
  pipes.read_fd = fds[0];
  pipes.write_fd = fds[1];
  assert_int_equal(platform_loop_new(&loop), 0);
  assert_int_equal(platform_loop_add(loop, fds[1], PLATFORM_EVENT_WRITE,
                                     pipe_writable, &pipes),
                   0);
  assert_int_equal(platform_loop_add(loop, fds[1], PLATFORM_EVENT_WRITE,
                                     pipe_writable, &pipes),
                   -EEXIST);
  assert_int_equal(platform_loop_modify(loop, 999, PLATFORM_EVENT_READ),
                   -ENOENT);
  assert_int_equal(platform_loop_remove(loop, 999), -ENOENT);
  assert_int_equal(platform_loop_add(loop, -1, PLATFORM_EVENT_READ,
                                     pipe_readable, &pipes),
                   -EBADF);

  assert_int_equal(platform_loop_run(loop), 0);
  assert_int_equal(pipes.writes, 1);
  assert_int_equal(pipes.reads, 1);
  assert_string_equal(pipes.received, "hello");
  assert_int_equal(platform_loop_remove(loop, fds[1]), 0);
  platform_loop_free(loop);
  close(fds[0]);
  close(fds[1]);
}

static void on_signal(struct platform_loop *loop, int signo, void *user) {
  *(int *)user = signo;
  platform_loop_stop(loop);
}

static void loop_delivers_sigterm(void **state) {
  struct platform_loop *loop;
  int received = 0;
  sigset_t mask;

  (void)state;
  assert_int_equal(platform_loop_new(&loop), 0);
  assert_int_equal(platform_loop_watch_signals(loop, on_signal, &received),
                   0);
  assert_int_equal(kill(getpid(), SIGTERM), 0);
  assert_int_equal(platform_loop_run(loop), 0);
  assert_int_equal(received, SIGTERM);
  platform_loop_free(loop);

  /* The signal mask is restored afterwards. */
  sigprocmask(SIG_SETMASK, NULL, &mask);
  assert_false(sigismember(&mask, SIGTERM));
}

static void log_limit_counts_repeats(void **state) {
  struct platform_log_limit limit = {0, 1000, 0};
  uint64_t suppressed = 99;

  (void)state;
  assert_true(platform_log_limit_check(&limit, 5000, &suppressed));
  assert_int_equal(suppressed, 0);
  assert_false(platform_log_limit_check(&limit, 5100, &suppressed));
  assert_false(platform_log_limit_check(&limit, 5999, &suppressed));
  assert_true(platform_log_limit_check(&limit, 6000, &suppressed));
  assert_int_equal(suppressed, 2);
}

/* ---- control socket ----------------------------------------------------- */

struct control_state {
  int calls;
  char last_command[64];
  char reply[8192];
  size_t reply_length;
};

static void answer_status(void *user, const char *command,
                          struct platform_text *reply) {
  struct control_state *control = user;
  int i;

  control->calls++;
  snprintf(control->last_command, sizeof(control->last_command), "%s",
           command);
  platform_text_printf(reply, "command: %s\n", command);
  /* Long enough to need several writes and a grown buffer. */
  for (i = 0; i < 200; i++)
    platform_text_printf(reply, "line %03d of the status\n", i);
}

static void collect_reply(struct platform_loop *loop, int fd, unsigned events,
                          void *user) {
  struct control_state *control = user;
  ssize_t n;

  (void)events;
  n = read(fd, control->reply + control->reply_length,
           sizeof(control->reply) - 1 - control->reply_length);
  if (n > 0) {
    control->reply_length += (size_t)n;
    return;
  }
  control->reply[control->reply_length] = '\0';
  platform_loop_remove(loop, fd);
  platform_loop_stop(loop);
}

/* Run `tcpsec-hub status` in a child process against a server in this
 * process's loop; returns the child's exit status. */
static int request_from_child(struct platform_loop *loop, const char *path,
                              const char *command,
                              struct control_state *control) {
  int fds[2], status;
  pid_t pid;

  assert_int_equal(pipe(fds), 0);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int rc;

    close(fds[0]);
    rc = platform_control_request(path, command, fds[1], 5000);
    _exit(rc == 0 ? 0 : 100 + (-rc % 100));
  }
  close(fds[1]);
  assert_int_equal(platform_loop_add(loop, fds[0], PLATFORM_EVENT_READ,
                                     collect_reply, control),
                   0);
  assert_int_equal(platform_loop_run(loop), 0);
  close(fds[0]);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void control_status_round_trip(void **state) {
  struct platform_loop *loop;
  struct platform_control *server;
  struct control_state control;
  char path[] = "/tmp/tcpsec-control-XXXXXX";
  char socket_path[64];
  struct sockaddr_un sun;
  struct stat st;
  int fd;

  (void)state;
  memset(&control, 0, sizeof(control));
  assert_non_null(mkdtemp(path));
  snprintf(socket_path, sizeof(socket_path), "%s/hub.sock", path);

  assert_int_equal(platform_loop_new(&loop), 0);
  assert_int_equal(platform_control_open(loop, socket_path, answer_status,
                                         &control, &server),
                   0);
  assert_int_equal(stat(socket_path, &st), 0);
  assert_true(S_ISSOCK(st.st_mode));
  assert_int_equal(st.st_mode & 0777, 0600);

  assert_int_equal(request_from_child(loop, socket_path, "status", &control),
                   0);
  assert_int_equal(control.calls, 1);
  assert_string_equal(control.last_command, "status");
  assert_int_equal(strncmp(control.reply, "command: status\nline 000", 24), 0);
  assert_non_null(strstr(control.reply, "line 199 of the status\n"));
  assert_int_equal(control.reply_length, 16 + 200 * 23);

  /* A second server at the same path is refused while the first runs. */
  {
    struct platform_control *second;

    assert_int_equal(platform_control_open(loop, socket_path, answer_status,
                                           &control, &second),
                     -EADDRINUSE);
  }
  platform_control_close(server);
  assert_int_equal(stat(socket_path, &st), -1);

  /* A stale socket file is replaced; a regular file is not. */
  fd = socket(AF_UNIX, SOCK_STREAM, 0);
  memset(&sun, 0, sizeof(sun));
  sun.sun_family = AF_UNIX;
  memcpy(sun.sun_path, socket_path, strlen(socket_path));
  assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
  close(fd);
  assert_int_equal(platform_control_open(loop, socket_path, answer_status,
                                         &control, &server),
                   0);
  platform_control_close(server);
  fd = open(socket_path, O_CREAT | O_WRONLY, 0600);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(platform_control_open(loop, socket_path, answer_status,
                                         &control, &server),
                   -EEXIST);
  unlink(socket_path);

  /* Path checks, and a request to a socket that does not exist. */
  assert_int_equal(platform_control_open(loop, "", answer_status, &control,
                                         &server),
                   -ENAMETOOLONG);
  assert_int_equal(platform_control_request(socket_path, "status", 1, 100),
                   -ENOENT);
  assert_int_equal(platform_control_request(socket_path, "a\nb", 1, 100),
                   -EINVAL);
  platform_loop_free(loop);
  rmdir(path);
}

/* ---- sockets on loopback ------------------------------------------------ */

static void udp_reports_both_addresses(void **state) {
  struct net_endpoint local, bound, from, to;
  char buf[64];
  int server, client;
  ssize_t n;

  (void)state;
  memset(&local, 0, sizeof(local));
  net_addr_parse("127.0.0.1", &local.addr);
  assert_int_equal(platform_udp_open(&local, &server), 0);
  assert_int_equal(platform_tcp_endpoints(server, &bound, NULL), 0);
  assert_true(bound.port != 0);

  memset(&local, 0, sizeof(local)); /* any address, any port */
  assert_int_equal(platform_udp_open(&local, &client), 0);
  assert_int_equal(platform_udp_recv(server, buf, sizeof(buf), &from, &to),
                   -EAGAIN);
  assert_int_equal(platform_udp_send(client, "ike", 3, &bound, NULL), 3);
  usleep(10000);
  n = platform_udp_recv(server, buf, sizeof(buf), &from, &to);
  assert_int_equal(n, 3);
  assert_memory_equal(buf, "ike", 3);
  assert_true(net_addr_equal(&to.addr, &bound.addr));
  assert_int_equal(to.port, bound.port);
  assert_int_equal(from.addr.family, NET_FAMILY_IPV4);
  assert_true(from.port != 0);

  /* A datagram longer than the buffer is reported, not cut silently. */
  assert_int_equal(platform_udp_send(client, "0123456789", 10, &bound, NULL),
                   10);
  usleep(10000);
  assert_int_equal(platform_udp_recv(server, buf, 4, &from, &to), -EMSGSIZE);

  /* Sending with a chosen source address on an "any" socket. */
  assert_int_equal(platform_udp_send(client, "src", 3, &bound, &bound), 3);
  usleep(10000);
  assert_int_equal(platform_udp_recv(server, buf, sizeof(buf), &from, &to),
                   3);
  assert_true(net_addr_equal(&from.addr, &bound.addr));
  close(server);
  close(client);
}

static void tcp_connect_accept_loopback(void **state) {
  struct net_endpoint local, listen_at, accepted_local, accepted_remote;
  struct net_endpoint client_local, client_remote;
  int listener, client, server, rc, i;
  char buf[8];

  (void)state;
  memset(&local, 0, sizeof(local));
  net_addr_parse("127.0.0.1", &local.addr);
  assert_int_equal(platform_tcp_listen(&local, 4, &listener), 0);
  assert_int_equal(platform_tcp_endpoints(listener, &listen_at, NULL), 0);
  assert_int_equal(platform_tcp_accept(listener, &server, NULL, NULL),
                   -EAGAIN);

  assert_int_equal(platform_tcp_connect(&listen_at, &local, &client), 0);
  rc = -EAGAIN;
  for (i = 0; i < 100 && rc == -EAGAIN; i++) {
    usleep(1000);
    rc = platform_tcp_accept(listener, &server, &accepted_local,
                             &accepted_remote);
  }
  assert_int_equal(rc, 0);
  assert_int_equal(platform_tcp_connect_result(client), 0);
  assert_int_equal(platform_tcp_endpoints(client, &client_local,
                                          &client_remote),
                   0);
  assert_int_equal(accepted_local.port, listen_at.port);
  assert_int_equal(accepted_remote.port, client_local.port);
  assert_true(net_addr_equal(&accepted_remote.addr, &client_local.addr));
  assert_int_equal(client_remote.port, listen_at.port);
  assert_int_equal(platform_tcp_keepalive(server, 30, 10, 3), 0);

  assert_int_equal(write(client, "IKETCP", 6), 6);
  usleep(10000);
  assert_int_equal(read(server, buf, sizeof(buf)), 6);
  assert_memory_equal(buf, "IKETCP", 6);
  close(client);
  close(server);

  /* A refused connection shows up in connect_result. */
  close(listener);
  assert_int_equal(platform_tcp_connect(&listen_at, NULL, &client), 0);
  usleep(20000);
  assert_int_equal(platform_tcp_connect_result(client), -ECONNREFUSED);
  close(client);
}

/* ---- commands ----------------------------------------------------------- */

static void command_runs_with_input(void **state) {
  static const char *const cat[] = {"cat", NULL};
  static const char *const fail[] = {"false", NULL};
  static const char *const missing[] = {"tcpsec-no-such-command", NULL};
  char output[64];

  (void)state;
  assert_int_equal(platform_run_command(cat, "table inet x {}\n", output,
                                        sizeof(output)),
                   0);
  assert_string_equal(output, "table inet x {}\n");
  assert_int_equal(platform_run_command(cat, "0123456789", output, 5), 0);
  assert_string_equal(output, "0123");
  assert_int_equal(platform_run_command(fail, NULL, NULL, 0), 1);
  assert_int_equal(platform_run_command(missing, NULL, output,
                                        sizeof(output)),
                   -ENOENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(addr_parse_and_format),
    cmocka_unit_test(addr_netmask_and_contains),
    cmocka_unit_test(loop_timer_fires_in_order),
    cmocka_unit_test(loop_dispatches_descriptors),
    cmocka_unit_test(loop_delivers_sigterm),
    cmocka_unit_test(log_limit_counts_repeats),
    cmocka_unit_test(control_status_round_trip),
    cmocka_unit_test(udp_reports_both_addresses),
    cmocka_unit_test(tcp_connect_accept_loopback),
    cmocka_unit_test(command_runs_with_input),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
