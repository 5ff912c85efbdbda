/*
 * Registration table shared by the epoll and kqueue event loops: O(1)
 * lookup by descriptor, and deferred freeing so that a callback may remove
 * any registration (its own included) while the events of the same batch
 * are still being dispatched.
 */
#ifndef EXAMPLE_LOOP_INTERNAL_H
#define EXAMPLE_LOOP_INTERNAL_H

#include "platform.h"

struct loop_registration {
  int fd;
  unsigned events;
  platform_fd_fn fn;
  void *user;
  int removed; /* events still queued for it are skipped */
  struct loop_registration *next_removed;
};

struct loop_table {
  struct loop_registration **by_fd;
  size_t size;
  struct loop_registration *removed; /* freed by loop_table_collect() */
};

/* NULL when fd is not registered. */
struct loop_registration *loop_table_find(const struct loop_table *table,
                                          int fd);
/* -EEXIST, -EBADF or -ENOMEM on failure. */
int loop_table_insert(struct loop_table *table, int fd, unsigned events,
                      platform_fd_fn fn, void *user,
                      struct loop_registration **out);
/* Unlink from the table; the memory stays valid until collect. */
void loop_table_remove(struct loop_table *table,
                       struct loop_registration *registration);
/* Free registrations removed since the last call. */
void loop_table_collect(struct loop_table *table);
/* Free everything. */
void loop_table_free(struct loop_table *table);

/* Milliseconds to wait for the deadline: -1 for none, 0 when due. */
int loop_timeout_ms(uint64_t deadline_ms, uint64_t now_ms);

#endif /* EXAMPLE_LOOP_INTERNAL_H */
