/*
 * svc_ping.h: is the env's Redis there and answering? One PING, for the command-line
 * tools that check before they start. The callback keeps records.h's contract.
 */
#ifndef USSDGW_SVC_PING_H
#define USSDGW_SVC_PING_H

#include "svc.h"

/* ok: 1 when Redis answered the PING (PONG), 0 when it did not (down, timeout, error,
 * no store). */
typedef void (*svc_ping_cb)(void *arg, int ok);

/* PING env's store. cb fires exactly once, from the loop, never inside this call.
 * Returns 0, or -1 when the request could not be made (no memory, no loop): then cb
 * never fires. */
int svc_ping(const struct svc_env *env, svc_ping_cb cb, void *arg);

#endif
