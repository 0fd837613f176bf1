/*
 * resolve.h: resolve HOST:PORT to one socket address without blocking the event loop
 * (libevent's evdns underneath).
 *
 * A resolver belongs to one event_base. Numeric addresses (IPv4, IPv6) are parsed
 * without any lookup; names in /etc/hosts ("localhost" included) are answered from the
 * hosts file; other names are asked of the nameservers in /etc/resolv.conf. The evdns
 * base is made on the first name that needs it, so a resolver that only ever sees
 * addresses reads no configuration. When no evdns base can be made (no memory, a
 * broken resolv.conf), numeric addresses still work and names fail.
 *
 * Lookups ask for any family (AF_UNSPEC, as getaddrinfo would) and answer with the
 * first address found.
 *
 * Callback contract:
 *   - the callback of a request fires exactly once, unless the request is cancelled
 *     first; never from inside resolve_start (even a numeric address is answered from
 *     the event loop, by a zero timer);
 *   - after resolve_cancel the callback never fires; the request handle is invalid
 *     once the callback has fired or resolve_cancel returned;
 *   - the address passed to the callback is valid only for the duration of the
 *     callback; the callback may start, cancel (other requests) and free the resolver.
 *
 * Order at the end: cancel your requests (or let them finish), then resolver_free.
 * resolver_free cancels whatever is still in flight (their callbacks never fire). A
 * request evdns is still working on is released when libevent delivers its
 * cancellation, on a later turn of the loop: the resolver's memory goes with the last
 * of them. Run the loop once more before event_base_free to release it (otherwise it
 * is leaked, never used).
 */
#ifndef USSDGW_RESOLVE_H
#define USSDGW_RESOLVE_H

#include <stddef.h>
#include <sys/socket.h>

struct event_base;
struct resolver;
struct resolve_req;

/* Longest text resolve_addr_text writes, NUL included ("[v6]:port" fits). */
#define RESOLVE_ADDR_TEXT 64

/* status 0 with the address (sa, salen); otherwise an EVUTIL_EAI_* / EAI_* code, sa is
 * NULL and error says why in words. */
typedef void (*resolve_cb)(void *arg, int status, const struct sockaddr *sa, socklen_t salen,
                           const char *error);

/* A resolver on base; NULL when memory is short. */
struct resolver *resolver_new(struct event_base *base);

/* Free the resolver; requests still pending are cancelled (see the top). NULL is fine. */
void resolver_free(struct resolver *r);

/* Resolve host (a name or a numeric address, IPv6 without brackets) for port
 * (1..65535). Returns the request, or NULL (only when memory is short or the arguments
 * are bad; cb is then never called). */
struct resolve_req *resolve_start(struct resolver *r, const char *host, int port, resolve_cb cb,
                                  void *arg);

/* Cancel a request whose callback has not fired yet: it never will. NULL is fine. */
void resolve_cancel(struct resolve_req *q);

/* Parse a numeric address (no lookup). Returns 0 and fills *ss / *len, or -1 when host
 * is not an IPv4 or IPv6 address. */
int resolve_numeric(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len);

/* The address part of sa as text ("192.0.2.1", "2001:db8::1"), into buf (at least
 * RESOLVE_ADDR_TEXT octets); "?" when it is not IPv4/IPv6. Returns buf. */
char *resolve_addr_text(const struct sockaddr *sa, char *buf, size_t len);

#endif
