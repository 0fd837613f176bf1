/*
 * http_door.h: the door of an evhttp listener: who may come in, and for how long.
 *
 * libevent 2.1's evhttp has an idle timeout only, no cap on connections, and spins
 * (logging a line per try) when accept fails for want of descriptors. The door adds:
 *   - a cap on the connections of the listener and on those of one peer address: over
 *     it, a new connection gets "503" (a line of text) and is closed at once;
 *   - a deadline for each request: a connection must complete a request (headers and
 *     body) within `request_deadline_ms` of its accept or of its previous request, or
 *     it is closed (slowloris: a byte every few seconds keeps the idle timer quiet);
 *   - on EMFILE/ENFILE (or any accept error) the listener pauses for `pause_ms` and
 *     one line is logged per 10 s with the count of errors, instead of a busy loop.
 *
 * How: the door makes each connection's bufferevent (evhttp_set_bevcb) and keeps a
 * reference to it, so its descriptor stays the connection's until the door lets go; a
 * sweep every 250 ms closes what is past its deadline and lets go of what evhttp has
 * freed. Single-threaded, on the listener's loop. No callbacks to the caller.
 */
#ifndef USSDGW_HTTP_DOOR_H
#define USSDGW_HTTP_DOOR_H

#include <stdint.h>

struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_request;
struct http_door;

struct http_door_opts {
    const char *name;           /* for logs: "http", "admin" */
    int max_conns;              /* connections of the listener at once (default 512) */
    int max_per_peer;           /* of one peer address (default 64) */
    int request_deadline_ms;    /* a whole request, headers and body (default 10000) */
    int pause_ms;               /* accept paused after an accept error (default 250) */
};

struct http_door_stats {
    uint64_t accepted;     /* connections let in */
    uint64_t refused;      /* closed at once: a cap was reached */
    uint64_t expired;      /* closed by the request deadline */
    uint64_t accept_errors;/* accept() failures (EMFILE, ENFILE, ...) */
    int open;              /* connections open now */
};

/* Guard `http`, listening on `bound`. Call before the loop accepts anything (right
 * after evhttp_bind_socket_with_handle). NULL on no memory. */
struct http_door *http_door_new(struct event_base *base, struct evhttp *http,
                                struct evhttp_bound_socket *bound, const struct http_door_opts *o);

/* A request of `req`'s connection is complete (call it from the request callback):
 * its deadline starts again. */
void http_door_seen(struct http_door *d, struct evhttp_request *req);

void http_door_stats(const struct http_door *d, struct http_door_stats *out);

/* Let go of every connection (evhttp_free closes them) and stop. Call it after
 * evhttp_free. NULL is fine. */
void http_door_free(struct http_door *d);

#endif
