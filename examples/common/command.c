/* Running an external program (nft, pfctl) with input on its stdin. */
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Feed `input` to in_fd and collect out_fd into output until both are
 * done. Each is closed at the end. */
static void exchange(int in_fd, int out_fd, const char *input, char *output,
                     size_t output_size) {
  size_t input_left = input != NULL ? strlen(input) : 0;
  size_t used = 0;
  struct pollfd fds[2];

  if (input_left == 0) {
    close(in_fd);
    in_fd = -1;
  }
  while (in_fd >= 0 || out_fd >= 0) {
    nfds_t n = 0;

    if (in_fd >= 0)
      fds[n++] = (struct pollfd){.fd = in_fd, .events = POLLOUT};
    if (out_fd >= 0)
      fds[n++] = (struct pollfd){.fd = out_fd, .events = POLLIN};
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (in_fd >= 0 && fds[0].revents != 0) {
      ssize_t w = write(in_fd, input, input_left);

      if (w > 0) {
        input += w;
        input_left -= (size_t)w;
      }
      if (w < 0 || input_left == 0) {
        close(in_fd);
        in_fd = -1;
      }
    }
    if (out_fd >= 0 && fds[n - 1].fd == out_fd && fds[n - 1].revents != 0) {
      char scratch[512];
      char *dst = scratch;
      size_t room = sizeof(scratch);
      ssize_t r;

      if (output != NULL && used + 1 < output_size) {
        dst = output + used;
        room = output_size - used - 1;
      }
      r = read(out_fd, dst, room);
      if (r <= 0) {
        close(out_fd);
        out_fd = -1;
      } else if (dst != scratch) {
        used += (size_t)r;
      }
    }
  }
  if (output != NULL && output_size > 0)
    output[used] = '\0';
}

int platform_run_command(const char *const argv[], const char *input,
                         char *output, size_t output_size) {
  posix_spawn_file_actions_t actions;
  int to_child[2], from_child[2];
  struct sigaction ignore, old_pipe;
  pid_t pid;
  int rc, status;

  if (pipe(to_child) != 0)
    return -errno;
  if (pipe(from_child) != 0) {
    rc = -errno;
    close(to_child[0]);
    close(to_child[1]);
    return rc;
  }
  fcntl(to_child[1], F_SETFD, FD_CLOEXEC);
  fcntl(from_child[0], F_SETFD, FD_CLOEXEC);

  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, to_child[0]);
  posix_spawn_file_actions_addclose(&actions, from_child[1]);
  rc = posix_spawnp(&pid, argv[0], &actions, NULL, (char *const *)argv,
                    environ);
  posix_spawn_file_actions_destroy(&actions);
  close(to_child[0]);
  close(from_child[1]);
  if (rc != 0) {
    close(to_child[1]);
    close(from_child[0]);
    if (output != NULL && output_size > 0)
      output[0] = '\0';
    return -rc;
  }

  /* A child that exits before reading its input must not kill us. */
  memset(&ignore, 0, sizeof(ignore));
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old_pipe);
  exchange(to_child[1], from_child[0], input, output, output_size);
  sigaction(SIGPIPE, &old_pipe, NULL);

  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return -errno;
  }
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return -EINTR;
}
