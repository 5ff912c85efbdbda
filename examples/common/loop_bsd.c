/*
 * Event loop on FreeBSD and OpenBSD: kqueue with one EVFILT_READ and one
 * EVFILT_WRITE filter per descriptor as needed, the kevent() timeout for
 * the single timer deadline, and EVFILT_SIGNAL for SIGINT and SIGTERM.
 *
 * NOTE: written against the kqueue(2) manual pages of FreeBSD and OpenBSD
 * but never compiled or run; the Linux loop is the tested one.
 */
#include "loop_internal.h"

#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EVENTS_PER_WAIT 64

struct platform_loop {
  int kq;
  struct loop_table table;
  uint64_t deadline_ms;
  platform_timer_fn timer_fn;
  void *timer_user;
  int watching_signals;
  platform_signal_fn signal_fn;
  void *signal_user;
  int stopped;
};

/* Marks signal events, whose ident is a signal number, not a descriptor. */
static char signal_marker;

int platform_loop_new(struct platform_loop **out) {
  struct platform_loop *loop = calloc(1, sizeof(*loop));

  if (loop == NULL)
    return -ENOMEM;
  loop->kq = kqueue();
  if (loop->kq < 0) {
    int rc = -errno;

    free(loop);
    return rc;
  }
  fcntl(loop->kq, F_SETFD, FD_CLOEXEC);
  loop->deadline_ms = PLATFORM_NO_DEADLINE;
  *out = loop;
  return 0;
}

void platform_loop_free(struct platform_loop *loop) {
  if (loop == NULL)
    return;
  close(loop->kq);
  loop_table_free(&loop->table);
  free(loop);
}

/* Add or delete the filters whose interest changed from `old` to `new`. */
static int apply_filters(struct platform_loop *loop,
                         struct loop_registration *registration,
                         unsigned old_events, unsigned new_events) {
  struct kevent changes[2];
  int n = 0;

  if ((old_events ^ new_events) & PLATFORM_EVENT_READ) {
    EV_SET(&changes[n], (uintptr_t)registration->fd, EVFILT_READ,
           (new_events & PLATFORM_EVENT_READ) ? EV_ADD : EV_DELETE, 0, 0,
           registration);
    n++;
  }
  if ((old_events ^ new_events) & PLATFORM_EVENT_WRITE) {
    EV_SET(&changes[n], (uintptr_t)registration->fd, EVFILT_WRITE,
           (new_events & PLATFORM_EVENT_WRITE) ? EV_ADD : EV_DELETE, 0, 0,
           registration);
    n++;
  }
  if (n > 0 && kevent(loop->kq, changes, n, NULL, 0, NULL) != 0)
    return -errno;
  return 0;
}

int platform_loop_add(struct platform_loop *loop, int fd, unsigned events,
                      platform_fd_fn fn, void *user) {
  struct loop_registration *registration;
  int rc;

  rc = loop_table_insert(&loop->table, fd, events, fn, user, &registration);
  if (rc != 0)
    return rc;
  rc = apply_filters(loop, registration, 0, events);
  if (rc != 0)
    loop_table_remove(&loop->table, registration);
  return rc;
}

int platform_loop_modify(struct platform_loop *loop, int fd,
                         unsigned events) {
  struct loop_registration *registration = loop_table_find(&loop->table, fd);
  int rc;

  if (registration == NULL)
    return -ENOENT;
  rc = apply_filters(loop, registration, registration->events, events);
  if (rc == 0)
    registration->events = events;
  return rc;
}

int platform_loop_remove(struct platform_loop *loop, int fd) {
  struct loop_registration *registration = loop_table_find(&loop->table, fd);

  if (registration == NULL)
    return -ENOENT;
  /* Closing a descriptor removes its filters, so this may fail. */
  apply_filters(loop, registration, registration->events, 0);
  loop_table_remove(&loop->table, registration);
  return 0;
}

void platform_loop_set_timer(struct platform_loop *loop, uint64_t deadline_ms,
                             platform_timer_fn fn, void *user) {
  loop->deadline_ms = deadline_ms;
  loop->timer_fn = fn;
  loop->timer_user = user;
}

int platform_loop_watch_signals(struct platform_loop *loop,
                                platform_signal_fn fn, void *user) {
  static const int signals[] = {SIGINT, SIGTERM};
  struct sigaction ignore;
  struct kevent changes[2];
  size_t i;

  loop->signal_fn = fn;
  loop->signal_user = user;
  if (loop->watching_signals)
    return 0;

  /* EVFILT_SIGNAL records a signal even when it is ignored, and ignoring
   * it keeps the default action from ending the process. */
  memset(&ignore, 0, sizeof(ignore));
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, NULL);
  for (i = 0; i < 2; i++) {
    sigaction(signals[i], &ignore, NULL);
    EV_SET(&changes[i], (uintptr_t)signals[i], EVFILT_SIGNAL, EV_ADD, 0, 0,
           &signal_marker);
  }
  if (kevent(loop->kq, changes, 2, NULL, 0, NULL) != 0)
    return -errno;
  loop->watching_signals = 1;
  return 0;
}

static void fire_timer(struct platform_loop *loop) {
  uint64_t now = platform_now_ms();
  platform_timer_fn fn = loop->timer_fn;

  if (loop->deadline_ms == PLATFORM_NO_DEADLINE || now < loop->deadline_ms)
    return;
  loop->deadline_ms = PLATFORM_NO_DEADLINE;
  if (fn != NULL)
    fn(loop, now, loop->timer_user);
}

static void dispatch(struct platform_loop *loop, const struct kevent *event) {
  struct loop_registration *registration;
  unsigned events = 0;

  if (event->filter == EVFILT_SIGNAL) {
    if (loop->signal_fn != NULL)
      loop->signal_fn(loop, (int)event->ident, loop->signal_user);
    return;
  }
  registration = (struct loop_registration *)event->udata;
  if (registration == NULL || registration->removed)
    return;
  if (event->filter == EVFILT_READ)
    events |= PLATFORM_EVENT_READ;
  if (event->filter == EVFILT_WRITE)
    events |= PLATFORM_EVENT_WRITE;
  if (event->flags & (EV_EOF | EV_ERROR))
    events |= PLATFORM_EVENT_ERROR | PLATFORM_EVENT_READ;
  registration->fn(loop, registration->fd, events, registration->user);
}

int platform_loop_run(struct platform_loop *loop) {
  struct kevent events[EVENTS_PER_WAIT];

  loop->stopped = 0;
  while (!loop->stopped) {
    int timeout = loop_timeout_ms(loop->deadline_ms, platform_now_ms());
    struct timespec ts, *wait = NULL;
    int n, i;

    if (timeout >= 0) {
      ts.tv_sec = timeout / 1000;
      ts.tv_nsec = (long)(timeout % 1000) * 1000000L;
      wait = &ts;
    }
    n = kevent(loop->kq, NULL, 0, events, EVENTS_PER_WAIT, wait);
    if (n < 0 && errno != EINTR)
      return -errno;
    for (i = 0; i < n && !loop->stopped; i++)
      dispatch(loop, &events[i]);
    loop_table_collect(&loop->table);
    if (!loop->stopped)
      fire_timer(loop);
  }
  return 0;
}

void platform_loop_stop(struct platform_loop *loop) {
  loop->stopped = 1;
}
