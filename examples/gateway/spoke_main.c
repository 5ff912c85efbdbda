/* tcpsec-spoke: the static side of the reference scenario. */
#include "gateway.h"

int main(int argc, char **argv) {
  return gateway_main("tcpsec-spoke", argc, argv);
}
