/*
 * Event loop on Linux: epoll for descriptors, the epoll_wait timeout for
 * the single timer deadline, and a signalfd for SIGINT and SIGTERM.
 */
#include "loop_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define EVENTS_PER_WAIT 64

struct platform_loop {
  int epoll_fd;
  struct loop_table table;
  uint64_t deadline_ms;
  platform_timer_fn timer_fn;
  void *timer_user;
  int signal_fd;
  sigset_t saved_mask;
  platform_signal_fn signal_fn;
  void *signal_user;
  int stopped;
};

static uint32_t to_epoll(unsigned events) {
  uint32_t mask = 0;

  if (events & PLATFORM_EVENT_READ)
    mask |= EPOLLIN;
  if (events & PLATFORM_EVENT_WRITE)
    mask |= EPOLLOUT;
  return mask;
}

static unsigned from_epoll(uint32_t mask) {
  unsigned events = 0;

  if (mask & EPOLLIN)
    events |= PLATFORM_EVENT_READ;
  if (mask & EPOLLOUT)
    events |= PLATFORM_EVENT_WRITE;
  if (mask & (EPOLLERR | EPOLLHUP))
    events |= PLATFORM_EVENT_ERROR | PLATFORM_EVENT_READ;
  return events;
}

int platform_loop_new(struct platform_loop **out) {
  struct platform_loop *loop = calloc(1, sizeof(*loop));

  if (loop == NULL)
    return -ENOMEM;
  loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (loop->epoll_fd < 0) {
    int rc = -errno;

    free(loop);
    return rc;
  }
  loop->signal_fd = -1;
  loop->deadline_ms = PLATFORM_NO_DEADLINE;
  *out = loop;
  return 0;
}

void platform_loop_free(struct platform_loop *loop) {
  if (loop == NULL)
    return;
  if (loop->signal_fd >= 0) {
    close(loop->signal_fd);
    sigprocmask(SIG_SETMASK, &loop->saved_mask, NULL);
  }
  close(loop->epoll_fd);
  loop_table_free(&loop->table);
  free(loop);
}

int platform_loop_add(struct platform_loop *loop, int fd, unsigned events,
                      platform_fd_fn fn, void *user) {
  struct loop_registration *registration;
  struct epoll_event ev;
  int rc;

  rc = loop_table_insert(&loop->table, fd, events, fn, user, &registration);
  if (rc != 0)
    return rc;
  memset(&ev, 0, sizeof(ev));
  ev.events = to_epoll(events);
  ev.data.ptr = registration;
  if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    rc = -errno;
    loop_table_remove(&loop->table, registration);
    return rc;
  }
  return 0;
}

int platform_loop_modify(struct platform_loop *loop, int fd,
                         unsigned events) {
  struct loop_registration *registration = loop_table_find(&loop->table, fd);
  struct epoll_event ev;

  if (registration == NULL)
    return -ENOENT;
  memset(&ev, 0, sizeof(ev));
  ev.events = to_epoll(events);
  ev.data.ptr = registration;
  if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, fd, &ev) != 0)
    return -errno;
  registration->events = events;
  return 0;
}

int platform_loop_remove(struct platform_loop *loop, int fd) {
  struct loop_registration *registration = loop_table_find(&loop->table, fd);

  if (registration == NULL)
    return -ENOENT;
  /* The descriptor may be closed already, which removed it from epoll. */
  epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
  loop_table_remove(&loop->table, registration);
  return 0;
}

void platform_loop_set_timer(struct platform_loop *loop, uint64_t deadline_ms,
                             platform_timer_fn fn, void *user) {
  loop->deadline_ms = deadline_ms;
  loop->timer_fn = fn;
  loop->timer_user = user;
}

static void signal_event(struct platform_loop *loop, int fd, unsigned events,
                         void *user) {
  struct signalfd_siginfo info;

  (void)events;
  (void)user;
  while (read(fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
    if (loop->signal_fn != NULL)
      loop->signal_fn(loop, (int)info.ssi_signo, loop->signal_user);
  }
}

int platform_loop_watch_signals(struct platform_loop *loop,
                                platform_signal_fn fn, void *user) {
  struct sigaction ignore;
  sigset_t mask;
  int rc;

  loop->signal_fn = fn;
  loop->signal_user = user;
  if (loop->signal_fd >= 0)
    return 0;

  memset(&ignore, 0, sizeof(ignore));
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, NULL);

  /* Blocked signals stay pending for the signalfd instead of running
   * their default action. */
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &mask, &loop->saved_mask) != 0)
    return -errno;
  loop->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (loop->signal_fd < 0) {
    rc = -errno;
    sigprocmask(SIG_SETMASK, &loop->saved_mask, NULL);
    return rc;
  }
  rc = platform_loop_add(loop, loop->signal_fd, PLATFORM_EVENT_READ,
                         signal_event, NULL);
  if (rc != 0) {
    close(loop->signal_fd);
    loop->signal_fd = -1;
    sigprocmask(SIG_SETMASK, &loop->saved_mask, NULL);
  }
  return rc;
}

static void fire_timer(struct platform_loop *loop) {
  uint64_t now = platform_now_ms();
  platform_timer_fn fn = loop->timer_fn;

  if (loop->deadline_ms == PLATFORM_NO_DEADLINE || now < loop->deadline_ms)
    return;
  /* Cleared first: the callback usually sets the next deadline. */
  loop->deadline_ms = PLATFORM_NO_DEADLINE;
  if (fn != NULL)
    fn(loop, now, loop->timer_user);
}

int platform_loop_run(struct platform_loop *loop) {
  struct epoll_event events[EVENTS_PER_WAIT];

  loop->stopped = 0;
  while (!loop->stopped) {
    int timeout = loop_timeout_ms(loop->deadline_ms, platform_now_ms());
    int n = epoll_wait(loop->epoll_fd, events, EVENTS_PER_WAIT, timeout);
    int i;

    if (n < 0 && errno != EINTR)
      return -errno;
    for (i = 0; i < n && !loop->stopped; i++) {
      struct loop_registration *registration = events[i].data.ptr;

      if (registration->removed)
        continue;
      registration->fn(loop, registration->fd, from_epoll(events[i].events),
                       registration->user);
    }
    loop_table_collect(&loop->table);
    if (!loop->stopped)
      fire_timer(loop);
  }
  return 0;
}

void platform_loop_stop(struct platform_loop *loop) {
  loop->stopped = 1;
}
