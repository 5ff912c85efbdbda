/*
 * Replays every file of a seed corpus folder (or the files named on the
 * command line) through a fuzz target, for builds without libFuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf;
  long size;

  if (f == NULL) {
    fprintf(stderr, "cannot open %s\n", path);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc(size > 0 ? (size_t)size : 1);
  if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "cannot read %s\n", path);
    free(buf);
    fclose(f);
    return 1;
  }
  fclose(f);
  LLVMFuzzerTestOneInput(buf, (size_t)size);
  free(buf);
  return 0;
}

static int replay_path(const char *path, unsigned *count) {
  struct stat st;
  struct dirent *e;
  DIR *d;
  int rc = 0;

  if (stat(path, &st) != 0) {
    fprintf(stderr, "cannot stat %s\n", path);
    return 1;
  }
  if (!S_ISDIR(st.st_mode)) {
    (*count)++;
    return replay_file(path);
  }
  d = opendir(path);
  if (d == NULL)
    return 1;
  while ((e = readdir(d)) != NULL) {
    char child[4096];
    if (e->d_name[0] == '.')
      continue;
    snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
    rc |= replay_path(child, count);
  }
  closedir(d);
  return rc;
}

int main(int argc, char **argv) {
  unsigned count = 0;
  int rc = 0, i;

  for (i = 1; i < argc; i++)
    rc |= replay_path(argv[i], &count);
  /* The empty input is always worth one run. */
  LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
  printf("%u passed, %d failed\n", count + 1, rc != 0);
  return rc;
}
