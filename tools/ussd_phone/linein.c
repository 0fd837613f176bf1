/*
 * linein.c: a bounded line reader on libevent. One pump function delivers buffered
 * lines; it runs from the read event or from a deferred event (after a resume), so
 * callbacks never fire from inside the caller's call.
 */
#include "linein.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

struct linein {
    struct event_base *base;
    int fd;
    struct linein_callbacks cb;
    struct evbuffer *buf;
    struct event *rd;      /* fd readable (NULL for regular files) */
    struct event *kick;    /* deferred pump */
    struct event *fg_check; /* a terminal we do not own yet (a background job): poll */
    int tty;
    int rd_added;
    int paused;
    int eof;               /* no more input from fd */
    int eof_fired;
    int in_pump;
    char line[LINEIN_LINE_MAX + 1];
};

static void pump(struct linein *li);

/* Reading a terminal from a background job would stop the whole process (SIGTTIN):
 * read it only while we are its foreground process group. */
static int may_read(struct linein *li)
{
    if (!li->tty || tcgetpgrp(li->fd) == getpgrp())
        return 1;
    if (li->fg_check && !evtimer_pending(li->fg_check, NULL)) {
        struct timeval tv = {0, 500000};
        evtimer_add(li->fg_check, &tv);
    }
    return 0;
}

static void update_read_interest(struct linein *li)
{
    if (!li->rd)
        return;
    int want = !li->eof && evbuffer_get_length(li->buf) < LINEIN_BUFFER_MAX && may_read(li);
    if (want && !li->rd_added) {
        if (event_add(li->rd, NULL) == 0)
            li->rd_added = 1;
    } else if (!want && li->rd_added) {
        event_del(li->rd);
        li->rd_added = 0;
    }
}

/* Read one chunk. */
static void read_some(struct linein *li)
{
    int n = evbuffer_read(li->buf, li->fd, 4096);
    if (n == 0)
        li->eof = 1;
    else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        li->eof = 1; /* treat read errors as the end of input */
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct linein *li = arg;
    read_some(li);
    update_read_interest(li);
    pump(li);
}

static void on_fg_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    update_read_interest(arg);
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    pump(arg);
}

/* Take one line out of the buffer into li->line. Returns its length, or -1. */
static long take_line(struct linein *li)
{
    size_t eol_len = 0;
    struct evbuffer_ptr at = evbuffer_search_eol(li->buf, NULL, &eol_len, EVBUFFER_EOL_LF);
    size_t have = evbuffer_get_length(li->buf);
    size_t len;
    size_t drop;
    if (at.pos >= 0) {
        len = (size_t)at.pos;
        drop = len + eol_len;
    } else if (have >= LINEIN_LINE_MAX || (li->eof && have > 0)) {
        len = have;
        drop = have;
    } else {
        return -1;
    }
    size_t keep = len > LINEIN_LINE_MAX ? LINEIN_LINE_MAX : len;
    evbuffer_copyout(li->buf, li->line, keep);
    evbuffer_drain(li->buf, drop);
    if (keep > 0 && li->line[keep - 1] == '\r')
        keep--;
    li->line[keep] = 0;
    return (long)keep;
}

static void pump(struct linein *li)
{
    if (li->in_pump)
        return; /* a callback resumed us: the outer loop goes on */
    li->in_pump = 1;
    while (!li->paused) {
        long n = take_line(li);
        if (n >= 0) {
            li->cb.on_line(li->cb.arg, li->line, (size_t)n);
            continue;
        }
        if (li->eof) {
            if (!li->eof_fired) {
                li->eof_fired = 1;
                li->cb.on_eof(li->cb.arg);
            }
            break;
        }
        if (!li->rd) { /* regular file: reading cannot block */
            if (evbuffer_get_length(li->buf) >= LINEIN_BUFFER_MAX)
                break;
            read_some(li);
            continue;
        }
        break;
    }
    update_read_interest(li);
    li->in_pump = 0;
}

struct linein *linein_new(struct event_base *base, int fd, const struct linein_callbacks *cb)
{
    struct linein *li = calloc(1, sizeof(*li));
    if (!li)
        return NULL;
    li->base = base;
    li->fd = fd;
    li->cb = *cb;
    li->buf = evbuffer_new();
    li->kick = event_new(base, -1, 0, on_kick, li);
    if (!li->buf || !li->kick)
        goto fail;
    struct stat st;
    /* files and devices like /dev/null never block, and epoll refuses them */
    int regular = fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) && !isatty(fd)));
    li->tty = isatty(fd);
    li->fg_check = evtimer_new(base, on_fg_check, li);
    if (!li->fg_check)
        goto fail;
    if (!regular) {
        li->rd = event_new(base, fd, EV_READ | EV_PERSIST, on_readable, li);
        if (!li->rd)
            goto fail;
        if (event_add(li->rd, NULL) != 0) {
            /* e.g. an unusual device under epoll: read it like a file */
            event_free(li->rd);
            li->rd = NULL;
        } else {
            li->rd_added = 1;
            update_read_interest(li); /* not while we are a background job */
        }
    }
    if (!li->rd)
        event_active(li->kick, 0, 0);
    return li;
fail:
    linein_free(li);
    return NULL;
}

void linein_free(struct linein *li)
{
    if (!li)
        return;
    if (li->rd)
        event_free(li->rd);
    if (li->kick)
        event_free(li->kick);
    if (li->fg_check)
        event_free(li->fg_check);
    if (li->buf)
        evbuffer_free(li->buf);
    free(li);
}

void linein_pause(struct linein *li)
{
    li->paused = 1;
}

void linein_resume(struct linein *li)
{
    if (!li->paused)
        return;
    li->paused = 0;
    event_active(li->kick, 0, 0);
}

int linein_has_line(const struct linein *li)
{
    size_t eol_len = 0;
    struct evbuffer_ptr at = evbuffer_search_eol(li->buf, NULL, &eol_len, EVBUFFER_EOL_LF);
    size_t have = evbuffer_get_length(li->buf);
    return at.pos >= 0 || have >= LINEIN_LINE_MAX || (li->eof && have > 0);
}
