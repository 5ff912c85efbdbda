/* Conversions between net_endpoint and socket addresses, shared by the
 * platform files. */
#ifndef EXAMPLE_SOCKADDR_H
#define EXAMPLE_SOCKADDR_H

#include <sys/socket.h>

#include "addr.h"

/* Fill a sockaddr_in or sockaddr_in6; an unset address gives the wildcard
 * of family_if_unset (AF_INET or AF_INET6). */
int platform_sockaddr_from_endpoint(const struct net_endpoint *endpoint,
                                    int family_if_unset,
                                    struct sockaddr_storage *out,
                                    socklen_t *len);

/* -EAFNOSUPPORT for families other than AF_INET and AF_INET6. */
int platform_endpoint_from_sockaddr(const struct sockaddr *sa,
                                    struct net_endpoint *out);

int platform_set_nonblocking_cloexec(int fd);

#endif /* EXAMPLE_SOCKADDR_H */
