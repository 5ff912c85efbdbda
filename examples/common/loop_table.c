/* Registration table of the event loops (see loop_internal.h). */
#include "loop_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct loop_registration *loop_table_find(const struct loop_table *table,
                                          int fd) {
  if (fd < 0 || (size_t)fd >= table->size)
    return NULL;
  return table->by_fd[fd];
}

int loop_table_insert(struct loop_table *table, int fd, unsigned events,
                      platform_fd_fn fn, void *user,
                      struct loop_registration **out) {
  struct loop_registration *registration;

  if (fd < 0)
    return -EBADF;
  if (loop_table_find(table, fd) != NULL)
    return -EEXIST;

  /* The table grows with the highest descriptor, as descriptors are
   * small integers handed out lowest first. */
  if ((size_t)fd >= table->size) {
    size_t size = table->size != 0 ? table->size : 64;
    struct loop_registration **bigger;

    while (size <= (size_t)fd)
      size *= 2;
    bigger = realloc(table->by_fd, size * sizeof(*bigger));
    if (bigger == NULL)
      return -ENOMEM;
    memset(bigger + table->size, 0, (size - table->size) * sizeof(*bigger));
    table->by_fd = bigger;
    table->size = size;
  }

  registration = calloc(1, sizeof(*registration));
  if (registration == NULL)
    return -ENOMEM;
  registration->fd = fd;
  registration->events = events;
  registration->fn = fn;
  registration->user = user;
  table->by_fd[fd] = registration;
  *out = registration;
  return 0;
}

void loop_table_remove(struct loop_table *table,
                       struct loop_registration *registration) {
  table->by_fd[registration->fd] = NULL;
  registration->removed = 1;
  registration->next_removed = table->removed;
  table->removed = registration;
}

void loop_table_collect(struct loop_table *table) {
  while (table->removed != NULL) {
    struct loop_registration *next = table->removed->next_removed;

    free(table->removed);
    table->removed = next;
  }
}

void loop_table_free(struct loop_table *table) {
  size_t i;

  for (i = 0; i < table->size; i++)
    free(table->by_fd[i]);
  loop_table_collect(table);
  free(table->by_fd);
  memset(table, 0, sizeof(*table));
}

int loop_timeout_ms(uint64_t deadline_ms, uint64_t now_ms) {
  if (deadline_ms == PLATFORM_NO_DEADLINE)
    return -1;
  if (deadline_ms <= now_ms)
    return 0;
  if (deadline_ms - now_ms > INT_MAX)
    return INT_MAX;
  return (int)(deadline_ms - now_ms);
}
