/*
 * Control socket: a UNIX stream listener served from the event loop, and
 * the blocking client that `tcpsec-hub status` uses.
 *
 * Each client sends one command line of at most
 * PLATFORM_CONTROL_COMMAND_MAX - 1 bytes, gets the reply and is closed.
 * At most PLATFORM_CONTROL_CLIENTS_MAX clients are served at once; a new
 * connection beyond that is closed at once.
 */
#include "platform.h"
#include "sockaddr.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct control_client {
  int fd; /* -1 when the slot is free */
  struct platform_control *control;
  char command[PLATFORM_CONTROL_COMMAND_MAX];
  size_t command_length;
  struct platform_text reply;
  size_t sent;
};

struct platform_control {
  struct platform_loop *loop;
  int listen_fd;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  platform_control_fn fn;
  void *user;
  struct control_client clients[PLATFORM_CONTROL_CLIENTS_MAX];
};

void platform_text_printf(struct platform_text *text, const char *fmt, ...) {
  va_list ap;
  int needed;

  if (text->failed)
    return;
  for (;;) {
    size_t room = text->capacity - text->length;

    va_start(ap, fmt);
    needed = vsnprintf(text->data != NULL ? text->data + text->length : NULL,
                       room, fmt, ap);
    va_end(ap);
    if (needed < 0) {
      text->failed = 1;
      return;
    }
    if ((size_t)needed < room) {
      text->length += (size_t)needed;
      return;
    }

    /* Grow to fit and format again. */
    {
      size_t capacity = text->capacity != 0 ? text->capacity : 1024;
      char *bigger;

      while (capacity - text->length <= (size_t)needed)
        capacity *= 2;
      bigger = realloc(text->data, capacity);
      if (bigger == NULL) {
        text->failed = 1;
        return;
      }
      text->data = bigger;
      text->capacity = capacity;
    }
  }
}

static int fill_address(const char *path, struct sockaddr_un *sun) {
  memset(sun, 0, sizeof(*sun));
  sun->sun_family = AF_UNIX;
  if (path[0] == '\0' || strlen(path) >= sizeof(sun->sun_path))
    return -ENAMETOOLONG;
  memcpy(sun->sun_path, path, strlen(path));
  return 0;
}

/* ---- server ------------------------------------------------------------- */

static void client_close(struct control_client *client) {
  platform_loop_remove(client->control->loop, client->fd);
  close(client->fd);
  client->fd = -1;
  free(client->reply.data);
  memset(&client->reply, 0, sizeof(client->reply));
  client->command_length = 0;
  client->sent = 0;
}

static void client_write(struct control_client *client) {
  while (client->sent < client->reply.length) {
    ssize_t n = send(client->fd, client->reply.data + client->sent,
                     client->reply.length - client->sent, 0);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return; /* wait for PLATFORM_EVENT_WRITE */
    if (n <= 0)
      break;
    client->sent += (size_t)n;
  }
  client_close(client);
}

/* Run the command once its line is complete. */
static void client_execute(struct control_client *client) {
  struct platform_control *control = client->control;

  client->command[client->command_length] = '\0';
  control->fn(control->user, client->command, &client->reply);
  if (client->reply.failed)
    platform_text_printf(&client->reply, "\n(reply cut: out of memory)\n");
  platform_loop_modify(control->loop, client->fd, PLATFORM_EVENT_WRITE);
  client_write(client);
}

static void client_event(struct platform_loop *loop, int fd, unsigned events,
                         void *user) {
  struct control_client *client = user;
  ssize_t n;

  (void)loop;
  (void)fd;
  if (events & PLATFORM_EVENT_WRITE) {
    client_write(client);
    return;
  }

  /* Read until the newline; the end of the stream also ends the line. */
  for (;;) {
    char *newline;
    size_t room = sizeof(client->command) - 1 - client->command_length;

    if (room == 0) {
      platform_log(TCPSEC_LOG_WARNING, "control",
                   "command longer than %d bytes; connection closed",
                   PLATFORM_CONTROL_COMMAND_MAX - 1);
      client_close(client);
      return;
    }
    n = recv(client->fd, client->command + client->command_length, room, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    if (n < 0) {
      client_close(client);
      return;
    }
    if (n == 0) {
      if (client->command_length == 0) {
        client_close(client);
        return;
      }
      client_execute(client);
      return;
    }
    client->command_length += (size_t)n;
    newline = memchr(client->command, '\n', client->command_length);
    if (newline != NULL) {
      client->command_length = (size_t)(newline - client->command);
      if (client->command_length > 0 &&
          client->command[client->command_length - 1] == '\r')
        client->command_length--;
      client_execute(client);
      return;
    }
  }
}

static void listener_event(struct platform_loop *loop, int fd,
                           unsigned events, void *user) {
  struct platform_control *control = user;
  size_t i;

  (void)events;
  for (;;) {
    int client_fd = accept(fd, NULL, NULL);
    struct control_client *slot = NULL;

    if (client_fd < 0)
      return; /* EAGAIN, or an error that the next event will repeat */
    for (i = 0; i < PLATFORM_CONTROL_CLIENTS_MAX; i++) {
      if (control->clients[i].fd < 0) {
        slot = &control->clients[i];
        break;
      }
    }
    if (slot == NULL || platform_set_nonblocking_cloexec(client_fd) != 0 ||
        platform_loop_add(loop, client_fd, PLATFORM_EVENT_READ, client_event,
                          slot) != 0) {
      platform_log(TCPSEC_LOG_WARNING, "control",
                   "control client rejected: %s",
                   slot == NULL ? "too many clients" : "registration failed");
      close(client_fd);
      continue;
    }
    slot->fd = client_fd;
  }
}

/* A socket file at path on which no process accepts connections is stale
 * and may be removed. */
static int remove_stale_socket(const char *path) {
  struct sockaddr_un sun;
  struct stat st;
  int fd, rc;

  if (lstat(path, &st) != 0)
    return errno == ENOENT ? 0 : -errno;
  if (!S_ISSOCK(st.st_mode))
    return -EEXIST;
  fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0)
    return -errno;
  fill_address(path, &sun);
  rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
  close(fd);
  if (rc == 0)
    return -EADDRINUSE;
  return unlink(path) == 0 ? 0 : -errno;
}

int platform_control_open(struct platform_loop *loop, const char *path,
                          platform_control_fn fn, void *user,
                          struct platform_control **out) {
  struct platform_control *control;
  struct sockaddr_un sun;
  mode_t old_mask;
  size_t i;
  int rc;

  rc = fill_address(path, &sun);
  if (rc != 0)
    return rc;
  rc = remove_stale_socket(path);
  if (rc != 0)
    return rc;
  control = calloc(1, sizeof(*control));
  if (control == NULL)
    return -ENOMEM;
  control->loop = loop;
  control->fn = fn;
  control->user = user;
  snprintf(control->path, sizeof(control->path), "%s", path);
  for (i = 0; i < PLATFORM_CONTROL_CLIENTS_MAX; i++) {
    control->clients[i].fd = -1;
    control->clients[i].control = control;
  }

  control->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (control->listen_fd < 0) {
    rc = -errno;
    goto fail_free;
  }
  rc = platform_set_nonblocking_cloexec(control->listen_fd);
  if (rc != 0)
    goto fail_close;

  /* Only the owner (root) may connect: the status shows tunnel details. */
  old_mask = umask(0177);
  rc = bind(control->listen_fd, (struct sockaddr *)&sun, sizeof(sun));
  umask(old_mask);
  if (rc != 0) {
    rc = -errno;
    goto fail_close;
  }
  if (listen(control->listen_fd, PLATFORM_CONTROL_CLIENTS_MAX) != 0) {
    rc = -errno;
    goto fail_unlink;
  }
  rc = platform_loop_add(loop, control->listen_fd, PLATFORM_EVENT_READ,
                         listener_event, control);
  if (rc != 0)
    goto fail_unlink;
  *out = control;
  return 0;

fail_unlink:
  unlink(path);
fail_close:
  close(control->listen_fd);
fail_free:
  free(control);
  return rc;
}

void platform_control_close(struct platform_control *control) {
  size_t i;

  if (control == NULL)
    return;
  for (i = 0; i < PLATFORM_CONTROL_CLIENTS_MAX; i++) {
    if (control->clients[i].fd >= 0)
      client_close(&control->clients[i]);
  }
  platform_loop_remove(control->loop, control->listen_fd);
  close(control->listen_fd);
  unlink(control->path);
  free(control);
}

/* ---- client ------------------------------------------------------------- */

static int wait_for(int fd, short events, int timeout_ms) {
  struct pollfd pfd = {.fd = fd, .events = events};
  int rc;

  do {
    rc = poll(&pfd, 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0)
    return -errno;
  return rc == 0 ? -ETIMEDOUT : 0;
}

static int write_all(int fd, const char *data, size_t len, int timeout_ms) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int rc = wait_for(fd, POLLOUT, timeout_ms);

      if (rc != 0)
        return rc;
      continue;
    }
    if (n < 0)
      return -errno;
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

int platform_control_request(const char *path, const char *command,
                             int out_fd, int timeout_ms) {
  struct sockaddr_un sun;
  char line[PLATFORM_CONTROL_COMMAND_MAX + 1];
  char buf[4096];
  int fd, rc;

  rc = fill_address(path, &sun);
  if (rc != 0)
    return rc;
  if (strlen(command) >= PLATFORM_CONTROL_COMMAND_MAX ||
      strchr(command, '\n') != NULL)
    return -EINVAL;
  snprintf(line, sizeof(line), "%s\n", command);

  fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0)
    return -errno;
  if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
    rc = -errno;
    close(fd);
    return rc;
  }
  rc = platform_set_nonblocking_cloexec(fd);
  if (rc == 0)
    rc = write_all(fd, line, strlen(line), timeout_ms);

  while (rc == 0) {
    ssize_t n = read(fd, buf, sizeof(buf));

    if (n == 0)
      break;
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      rc = wait_for(fd, POLLIN, timeout_ms);
      continue;
    }
    if (n < 0) {
      rc = -errno;
      break;
    }
    rc = write_all(out_fd, buf, (size_t)n, timeout_ms);
  }
  close(fd);
  return rc;
}
