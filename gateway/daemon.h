/*
 * daemon.h: the gateway process: its links, HTTP ingress, SMS queue and timers wired on
 * one event loop, run until SIGTERM or SIGINT, then drained.
 */
#ifndef USSDGW_DAEMON_H
#define USSDGW_DAEMON_H

#include "config.h"
#include "menu.h"

/* Run the gateway on `set` (taken: freed before returning) until SIGTERM/SIGINT.
 * cfg gets a default link when it has none. Returns the exit status. */
int daemon_run(struct config *cfg, struct menu_set *set);

#endif
