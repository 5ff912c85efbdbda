/* A program that uses only the installed public headers and library. */
#include <stdio.h>
#include <string.h>

#include <tcpsec/tcpsec.h>

int main(void) {
  tcpsec_ctx_config cfg;
  tcpsec_ctx *ctx = NULL;
  unsigned char buf[16];
  int rv;

  if (strcmp(tcpsec_version(), TCPSEC_VERSION_STRING) != 0) {
    fprintf(stderr, "header version %s, library version %s\n",
            TCPSEC_VERSION_STRING, tcpsec_version());
    return 1;
  }
  tcpsec_ctx_config_default(&cfg);
  rv = tcpsec_ctx_new(&cfg, &ctx);
  if (rv != 0) {
    fprintf(stderr, "tcpsec_ctx_new: %s\n", tcpsec_strerror(rv));
    return 1;
  }
  rv = tcpsec_random_bytes(ctx, buf, sizeof(buf));
  tcpsec_ctx_free(ctx);
  if (rv != 0) {
    fprintf(stderr, "tcpsec_random_bytes: %s\n", tcpsec_strerror(rv));
    return 1;
  }
  printf("consumer linked against tcpsec %s\n", tcpsec_version());
  return 0;
}
