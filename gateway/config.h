/*
 * config.h: the gateway's configuration: a file of `key = value` lines with
 * `[link NAME]` sections (one per SMPP bind), then command-line flags on top.
 * Every key has a documented default (README "Configuration"); problems are reported
 * as FILE:LINE:COL messages through diags, like menu files.
 */
#ifndef USSDGW_CONFIG_H
#define USSDGW_CONFIG_H

#include "diag.h"

#define CONFIG_MAX_LINKS 8
#define CONFIG_MAX_ABORT_OPS 4

enum session_key_kind { SKEY_ITS_SESSION_INFO, SKEY_USER_MESSAGE_REFERENCE, SKEY_MSISDN };
enum dial_source { DIAL_SHORT_MESSAGE, DIAL_DESTINATION_ADDR };

/* One SMPP bind and the USSD dialect its centre speaks. */
struct link_config {
    char name[32];
    char centre[32]; /* the USSD centre: links naming the same one share dialogs ("" = name) */
    char host[256];
    int port;
    char system_id[16];
    char password[9];
    char system_type[13];
    char address_range[41];
    int addr_ton, addr_npi;
    char service_type[6];     /* on submit_sm, default "USSD" */
    int enquire_link_s;       /* 30 */
    int response_timeout_ms;  /* 10000 */
    int window;               /* 10 */
    int tps;                  /* 0 = no cap; set it to the SMSC contract */
    int reconnect_min_ms;     /* 1000 */
    int reconnect_max_ms;     /* 30000 */
    int bind_retry_ms;        /* 30000: after a rejected bind */
    int throttle_pause_ms;    /* 1000 */
    /* USSD profile */
    int op_begin, op_answer, op_continue, op_end; /* 1, 18, 2, 17 */
    int op_abort[CONFIG_MAX_ABORT_OPS];           /* 129 */
    int n_op_abort;
    enum session_key_kind session_key;            /* its_session_info */
    enum dial_source dial_in;                     /* short_message */
    int use_data_sm;                              /* 0: submit_sm */
    int coding_gsm, coding_ucs2;                  /* 0x0F, 8 */
    int screen_limit, screen_limit_ucs2;          /* 182, 80 */
    int resend_window_ms; /* 1000: the same answer sooner after its screen is a resend */
};

struct config {
    char redis[300];          /* "127.0.0.1:6379" or "unix:/path" */
    char menus[256];          /* "menus.d" */
    char log_level[16];       /* "info" */
    char timezone[64];        /* "Africa/Kigali": every date residents and staff read */
    int session_ttl_s;        /* 180 */
    int resume_window_s;      /* 300 */
    int lang_ttl_s;           /* 31536000 (a year) */
    int redis_timeout_ms;     /* 2000 */
    int step_timeout_ms;      /* 4500: the phone gets "unavailable" before 5 s */
    int handler_timeout_ms;   /* 4000 */
    int max_dialogs;          /* 2000 steps in flight per process */
    char key_back[8], key_home[8], key_more[8]; /* "0", "00", "98" */
    /* HTTP ingress for USSD aggregators (off unless http is set) */
    char http[300];           /* "HOST:PORT" or "" (off) */
    char http_secret[128];    /* required in header X-Ussdgw-Secret when set */
    char http_allow[512];     /* comma-separated IPv4/IPv6 addresses or CIDRs; "" = any */
    int http_max_body;        /* 8192 octets */
    /* SMS */
    int sms_expiry_s;         /* 86400: give up on a message this long after it was queued */
    int sms_max_parts;        /* 6: longer texts are refused at queue time */
    int sms_receipts;         /* 1: ask for delivery receipts (registered_delivery) */
    int sms_retry_min_ms;     /* 2000: first retry after a temporary error, doubling */
    int sms_retry_max_ms;     /* 300000 */
    int sms_poll_ms;          /* 200: how often a process looks for messages due */
    int sms_in_resend_s;      /* 60: the same text again from a phone sooner is a resend */
    char sms_source[21];      /* source_addr of SMS sent, the short code: "123" */
    char vote_secret[129];    /* key of the hash naming a binding vote's national ID */
    int poll_results_every_s; /* 60: results SMS of closed polls; 0 = off (use cron) */
    int ticket_window_s;      /* 604800: a report of the same problem joins the open ticket */
    struct link_config links[CONFIG_MAX_LINKS];
    int n_links;
};

void config_default(struct config *c);
void link_config_default(struct link_config *l, const char *name);

/* Read `path` over the defaults in c. Returns 0, or -1 with problems in d. */
int config_load(struct config *c, const char *path, struct diags *d);

/* Check values that flags may have set too (ports, ranges). Returns 0 or -1. */
int config_check(const struct config *c, struct diags *d, const char *origin);

/* Split "HOST:PORT" (IPv6 as [::1]:2775). Returns 0 or -1. */
int config_split_hostport(const char *s, char *host, size_t hostsize, int *port);

#endif
