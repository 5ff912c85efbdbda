/* tcpsec-hub: the dial-up side of the reference scenario. */
#include "gateway.h"

int main(int argc, char **argv) {
  return gateway_main("tcpsec-hub", argc, argv);
}
