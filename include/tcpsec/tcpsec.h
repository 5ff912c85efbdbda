/**
 * \file tcpsec/tcpsec.h
 * \brief Umbrella header: includes every public tcpsec header.
 */
#ifndef TCPSEC_TCPSEC_H
#define TCPSEC_TCPSEC_H

#include "tcpsec/version.h"
#include "tcpsec/core.h"
#include "tcpsec/encap.h"
#include "tcpsec/esp.h"
#include "tcpsec/sa.h"
#include "tcpsec/ike.h"
#include "tcpsec/gw.h"

#endif /* TCPSEC_TCPSEC_H */
