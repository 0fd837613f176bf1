/*
 * linein.h: lines from a file descriptor (stdin) on a libevent loop, never blocking
 * the loop. Works on terminals, pipes and regular files (which epoll cannot watch:
 * those are read in chunks from the loop instead).
 *
 * Contract: on_line fires once per line (without its \n or \r\n; a last line without
 * a newline counts), only while not paused, never from inside linein_new or
 * linein_resume; the line is valid during the callback only. on_eof fires exactly once,
 * after the last line has been delivered, while not paused. Callbacks may pause or
 * resume, but must not free the linein. Lines longer than LINEIN_LINE_MAX are cut.
 * Read-ahead is bounded: reading stops while LINEIN_BUFFER_MAX octets wait.
 */
#ifndef USSD_PHONE_LINEIN_H
#define USSD_PHONE_LINEIN_H

#include <stddef.h>

#define LINEIN_LINE_MAX 4096
#define LINEIN_BUFFER_MAX 65536

struct event_base;
struct linein;

struct linein_callbacks {
    void (*on_line)(void *arg, const char *line, size_t len);
    void (*on_eof)(void *arg);
    void *arg;
};

/* Start reading fd (not closed by linein_free). NULL on failure. */
struct linein *linein_new(struct event_base *base, int fd, const struct linein_callbacks *cb);
void linein_free(struct linein *li);

/* Stop / restart delivering lines (input keeps being read ahead, up to the bound). */
void linein_pause(struct linein *li);
void linein_resume(struct linein *li);

/* 1 when a complete line (or the final part before EOF) is waiting. */
int linein_has_line(const struct linein *li);

#endif
