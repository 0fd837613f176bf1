/*
 * store.h: the Redis store, an asynchronous client for one Redis server on a libevent
 * loop (hiredis underneath), with the two session operations of the USSD hot path.
 *
 * The store connects at once and by itself reconnects after a failure, with an
 * exponential back-off and jitter. It never queues without bound: while it is not
 * connected (and not in the middle of a connect attempt) every request fails at once
 * with STORE_ERR, and at most `max_inflight` requests may wait for Redis.
 *
 * Every request has a timer of its own (hiredis 0.14 has none). When it fires the caller
 * gets STORE_ERR; a reply that comes later is dropped. After `drop_after_timeouts`
 * timeouts in a row, or when a timed-out request still has no reply after twice the
 * timeout, the store drops the connection and reconnects, so a hung Redis that comes
 * back (SIGCONT, restart) is used again without anyone recreating the store.
 *
 * Callback contract, for every request function below (as in hiredis):
 *   - the callback fires exactly once per request;
 *   - never from inside the call that made the request (immediate failures are
 *     deferred to the event loop); the exceptions: a request made after store_free was
 *     called (from a callback), or when no memory is left, fails at once;
 *   - replies and blobs passed to it are valid only for the duration of the callback;
 *   - a callback may make new requests and may call store_free.
 *
 * The process must not die from SIGPIPE when Redis goes away (hiredis 0.14 writes with
 * write(2)): store_new sets SIGPIPE to SIG_IGN when it is still at SIG_DFL.
 */
#ifndef USSDGW_STORE_H
#define USSDGW_STORE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct redisReply;
struct store;

/* Request outcomes. */
enum store_status {
    STORE_OK = 0,
    STORE_ERR = -1,     /* timeout, not connected, too many in flight, bad request, error reply */
    STORE_CONFLICT = 1, /* store_session_save: the stored version was not the expected one */
};

#define STORE_MAX_SMS 8 /* SMS a single store_session_save may queue */

/* Options; a zeroed field (or a NULL opts pointer) takes the default. */
struct store_opts {
    int timeout_ms;          /* per request, from the call to the callback; default 2000 */
    int connect_timeout_ms;  /* a connect attempt; default timeout_ms */
    int backoff_min_ms;      /* first reconnect delay; default 100 */
    int backoff_max_ms;      /* delay cap; default 5000. Each delay is drawn in [d/2, d] */
    int max_inflight;        /* requests waiting for Redis; default 10000 */
    int drop_after_timeouts; /* consecutive timeouts that drop the connection; default 3 */
    /* Diagnostics: level is a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO). May be
     * NULL. Must not call store functions. */
    void (*log)(void *arg, int level, const char *msg);
    void *log_arg;
};

/* Counters since store_new, for benchmarks and health pages. */
struct store_stats {
    uint64_t sent;       /* commands written to Redis (an EVAL fallback counts too) */
    uint64_t replies;    /* replies read from Redis, late ones included */
    uint64_t errors;     /* requests that ended with STORE_ERR, for any reason */
    uint64_t timeouts;   /* requests whose timer fired */
    uint64_t late;       /* replies that came after their request had timed out */
    uint64_t rejected;   /* requests failed without being sent (down, full, invalid) */
    uint64_t conflicts;  /* saves that ended with STORE_CONFLICT */
    uint64_t noscript;   /* scripts (saves, store_eval) that fell back from EVALSHA to EVAL */
    uint64_t connects;   /* connections established */
    uint64_t reconnects; /* connections established after the first one */
    uint64_t drops;      /* connections the store dropped because Redis did not answer */
    uint64_t inflight;   /* requests waiting for Redis now */
};

/* Callback of store_cmd / store_cmdf. status is STORE_OK with the reply, or STORE_ERR
 * with the error reply (type REDIS_REPLY_ERROR: read its message) or with NULL
 * (timeout, disconnected, rejected). */
typedef void (*store_reply_cb)(void *arg, int status, const struct redisReply *reply);

/* A binary-safe value; p is NULL when the key is absent (or was not asked for). */
struct store_blob {
    const char *p;
    size_t len;
};

/* Callback of store_session_load. The four pointers are never NULL; on STORE_ERR every
 * blob has p NULL. */
typedef void (*store_load_cb)(void *arg, int status, const struct store_blob *sess,
                              const struct store_blob *resume, const struct store_blob *lang,
                              const struct store_blob *aux);

/* Callback of store_session_save: STORE_OK, STORE_CONFLICT or STORE_ERR. */
typedef void (*store_save_cb)(void *arg, int status);

/* One atomic session write. Only the pointers are read, during the call. */
struct store_save {
    const char *sess_key;
    /* Version the caller loaded: the stored blob must begin with this decimal number
     * followed by a non-digit byte; an absent key (or a value that does not begin with a
     * digit) has version 0. Compared exactly up to 2^53. */
    uint64_t expect_version;
    const char *blob; /* the new session, stored as is; NULL deletes the key */
    size_t blob_len;
    long ttl_s;       /* expiry of sess_key; <= 0: none */

    const char *resume_key;  /* NULL: leave the resume key alone */
    const char *resume_blob; /* NULL: delete resume_key */
    size_t resume_blob_len;
    long resume_ttl_s;

    const char *lang_key; /* NULL: leave the language key alone */
    const char *lang;     /* NUL-terminated; required when lang_key is set */
    long lang_ttl_s;

    const char *sms_queue_key;       /* list the SMS are RPUSHed to; required if n_sms > 0 */
    const char *sms[STORE_MAX_SMS];  /* NUL-terminated records */
    int n_sms;                       /* 0 .. STORE_MAX_SMS */

    /* Optional counter, in the same script: HINCRBY count_key count_field 1 once the
     * writes are done (not on STORE_CONFLICT). NULL: none. count_field is required when
     * count_key is set; count_key must be a hash or absent (else STORE_ERR). */
    const char *count_key;
    const char *count_field;
};

/* Create a store on `base` for `addr`, "HOST:PORT" ("[V6]:PORT" too) or "unix:PATH",
 * and start connecting. Returns NULL (after logging why) when addr is malformed or
 * memory is short. A HOST that is a name is looked up at each connect attempt without
 * blocking the loop (resolve.h); the connect timeout covers the lookup, and requests
 * made meanwhile wait for the connection like those of any connect attempt. */
struct store *store_new(struct event_base *base, const char *addr, const struct store_opts *o);

/* Free the store. Every request whose callback has not fired yet gets STORE_ERR (its
 * blobs/reply NULL) before this returns. NULL is fine; so is a call from a callback of
 * this store (the memory is then released when that callback returns). Call it before
 * event_base_free of the base. */
void store_free(struct store *s);

/* 1 when a connection to Redis is up. */
int store_connected(const struct store *s);

void store_stats(const struct store *s, struct store_stats *out);

/* Any command, binary safe. argvlen may be NULL (then every argv[i] is a C string).
 * Commands that change the connection's protocol state (SUBSCRIBE and friends, MONITOR,
 * QUIT, RESET, HELLO, SYNC, PSYNC, CLIENT REPLY) are refused with STORE_ERR. Blocking
 * commands must block for less than the timeout. */
void store_cmd(struct store *s, store_reply_cb cb, void *arg, int argc, const char *const *argv,
               const size_t *argvlen);

/* Same, with a hiredis format string: %s a C string, %b a (pointer, size_t) pair. */
void store_cmdf(struct store *s, store_reply_cb cb, void *arg, const char *fmt, ...);

/* A Lua script, called by its SHA1 (EVALSHA). Key names are never spelled in the text:
 * the caller passes them as KEYS (the module that owns a key names it). */
struct store_script {
    const char *name; /* for logs */
    const char *lua;  /* the text; must outlive every call */
    size_t len;
    char sha[41];
};

/* Prepare a script (its SHA1): once, before the first store_eval of it. */
void store_script_init(struct store_script *sc, const char *name, const char *lua);

/* EVALSHA sc with nkeys keys and then the other arguments (argv[0..nkeys) are KEYS,
 * argv[nkeys..argc) ARGV; argvlen may be NULL: C strings). When Redis does not have the
 * script (NOSCRIPT: restarted, failed over, flushed) the same call is sent once more as
 * EVAL, which loads it. cb is a store_reply_cb, with the store's callback contract; a
 * script's error reply comes as STORE_ERR with the reply. */
void store_eval(struct store *s, const struct store_script *sc, int nkeys, int argc,
                const char *const *argv, const size_t *argvlen, store_reply_cb cb, void *arg);

/* One MGET of sess_key and, when not NULL, resume_key, lang_key and aux_key. */
void store_session_load(struct store *s, const char *sess_key, const char *resume_key,
                        const char *lang_key, const char *aux_key, store_load_cb cb, void *arg);

/* One EVALSHA (an EVAL when the script is not cached) doing atomically: compare the
 * version stored at sess_key with req->expect_version; on mismatch write nothing and
 * report STORE_CONFLICT. Otherwise SET (with EX ttl) or DEL sess_key; SET or DEL
 * resume_key; SET lang_key; RPUSH the SMS to sms_queue_key; HINCRBY count_key
 * count_field 1 when count_key is set. A wrong-typed key gives
 * STORE_ERR before anything is written. */
void store_session_save(struct store *s, const struct store_save *req, store_save_cb cb,
                        void *arg);

#endif
