/* Run-time version of the library. */
#include "tcpsec/core.h"
#include "tcpsec/version.h"

const char *tcpsec_version(void) { return TCPSEC_VERSION_STRING; }

uint32_t tcpsec_version_num(void) { return (uint32_t)TCPSEC_VERSION_NUM; }
