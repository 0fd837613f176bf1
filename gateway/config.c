/*
 * config.c: the configuration file reader; see config.h. Table-driven: each key names
 * its field, type and bounds, so adding a key is one line.
 */
#include "config.h"

#include "clock.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ktype { K_STR, K_INT, K_OPS, K_SKEY, K_DIAL, K_SUBMIT };

struct key {
    const char *name;
    enum ktype type;
    size_t off;
    size_t size; /* K_STR: buffer size */
    long min, max;
};

#define G(f) offsetof(struct config, f)
#define L(f) offsetof(struct link_config, f)
#define S(T, f) sizeof(((T *)0)->f)

static const struct key global_keys[] = {
    {"redis", K_STR, G(redis), S(struct config, redis), 0, 0},
    {"menus", K_STR, G(menus), S(struct config, menus), 0, 0},
    {"log_level", K_STR, G(log_level), S(struct config, log_level), 0, 0},
    {"timezone", K_STR, G(timezone), S(struct config, timezone), 0, 0},
    {"session_ttl", K_INT, G(session_ttl_s), 0, 10, 86400},
    {"resume_window", K_INT, G(resume_window_s), 0, 0, 86400},
    {"language_ttl", K_INT, G(lang_ttl_s), 0, 60, 10 * 31536000L},
    {"redis_timeout_ms", K_INT, G(redis_timeout_ms), 0, 50, 60000},
    {"step_timeout_ms", K_INT, G(step_timeout_ms), 0, 100, 60000},
    {"handler_timeout_ms", K_INT, G(handler_timeout_ms), 0, 50, 60000},
    {"max_dialogs", K_INT, G(max_dialogs), 0, 1, 1000000},
    {"key_back", K_STR, G(key_back), S(struct config, key_back), 0, 0},
    {"key_home", K_STR, G(key_home), S(struct config, key_home), 0, 0},
    {"key_more", K_STR, G(key_more), S(struct config, key_more), 0, 0},
    {"http", K_STR, G(http), S(struct config, http), 0, 0},
    {"http_secret", K_STR, G(http_secret), S(struct config, http_secret), 0, 0},
    {"http_allow", K_STR, G(http_allow), S(struct config, http_allow), 0, 0},
    {"http_max_body", K_INT, G(http_max_body), 0, 256, 1048576},
    {"sms_expiry", K_INT, G(sms_expiry_s), 0, 60, 7 * 86400},
    {"sms_max_parts", K_INT, G(sms_max_parts), 0, 1, 16},
    {"sms_receipts", K_INT, G(sms_receipts), 0, 0, 1},
    {"sms_retry_min_ms", K_INT, G(sms_retry_min_ms), 0, 10, 3600000},
    {"sms_retry_max_ms", K_INT, G(sms_retry_max_ms), 0, 10, 86400000},
    {"sms_poll_ms", K_INT, G(sms_poll_ms), 0, 10, 60000},
    {"sms_in_resend_s", K_INT, G(sms_in_resend_s), 0, 0, 86400},
    {"sms_source", K_STR, G(sms_source), S(struct config, sms_source), 0, 0},
    {"vote_secret", K_STR, G(vote_secret), S(struct config, vote_secret), 0, 0},
    {"poll_results_every", K_INT, G(poll_results_every_s), 0, 0, 86400},
    {"ticket_merge_window", K_INT, G(ticket_window_s), 0, 60, 366 * 86400},
};

static const struct key link_keys[] = {
    {"smsc", K_STR, 0, 0, 0, 0}, /* special: host and port */
    {"centre", K_STR, L(centre), S(struct link_config, centre), 0, 0},
    {"system_id", K_STR, L(system_id), S(struct link_config, system_id), 0, 0},
    {"password", K_STR, L(password), S(struct link_config, password), 0, 0},
    {"system_type", K_STR, L(system_type), S(struct link_config, system_type), 0, 0},
    {"address_range", K_STR, L(address_range), S(struct link_config, address_range), 0, 0},
    {"addr_ton", K_INT, L(addr_ton), 0, 0, 255},
    {"addr_npi", K_INT, L(addr_npi), 0, 0, 255},
    {"service_type", K_STR, L(service_type), S(struct link_config, service_type), 0, 0},
    {"enquire_link", K_INT, L(enquire_link_s), 0, 1, 3600},
    {"response_timeout_ms", K_INT, L(response_timeout_ms), 0, 100, 120000},
    {"window", K_INT, L(window), 0, 1, 1000},
    {"tps", K_INT, L(tps), 0, 0, 100000},
    {"reconnect_min_ms", K_INT, L(reconnect_min_ms), 0, 10, 600000},
    {"reconnect_max_ms", K_INT, L(reconnect_max_ms), 0, 10, 3600000},
    {"bind_retry_ms", K_INT, L(bind_retry_ms), 0, 10, 3600000},
    {"throttle_pause_ms", K_INT, L(throttle_pause_ms), 0, 10, 600000},
    {"op_begin", K_INT, L(op_begin), 0, 0, 255},
    {"op_answer", K_INT, L(op_answer), 0, 0, 255},
    {"op_continue", K_INT, L(op_continue), 0, 0, 255},
    {"op_end", K_INT, L(op_end), 0, 0, 255},
    {"op_abort", K_OPS, 0, 0, 0, 255},
    {"session_key", K_SKEY, L(session_key), 0, 0, 0},
    {"dial_in", K_DIAL, L(dial_in), 0, 0, 0},
    {"submit", K_SUBMIT, L(use_data_sm), 0, 0, 0},
    {"coding_gsm", K_INT, L(coding_gsm), 0, 0, 255},
    {"coding_ucs2", K_INT, L(coding_ucs2), 0, 0, 255},
    {"screen_limit", K_INT, L(screen_limit), 0, 40, 182},
    {"screen_limit_ucs2", K_INT, L(screen_limit_ucs2), 0, 20, 80},
    {"resend_window_ms", K_INT, L(resend_window_ms), 0, 0, 10000},
};

void link_config_default(struct link_config *l, const char *name)
{
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    snprintf(l->host, sizeof l->host, "127.0.0.1");
    l->port = 2775;
    snprintf(l->system_id, sizeof l->system_id, "ussdgw");
    snprintf(l->service_type, sizeof l->service_type, "USSD");
    l->addr_ton = 0;
    l->addr_npi = 0;
    l->enquire_link_s = 30;
    l->response_timeout_ms = 10000;
    l->window = 10;
    l->tps = 0;
    l->reconnect_min_ms = 1000;
    l->reconnect_max_ms = 30000;
    l->bind_retry_ms = 30000;
    l->throttle_pause_ms = 1000;
    l->op_begin = 1;
    l->op_answer = 18;
    l->op_continue = 2;
    l->op_end = 17;
    l->op_abort[0] = 129;
    l->n_op_abort = 1;
    l->session_key = SKEY_ITS_SESSION_INFO;
    l->dial_in = DIAL_SHORT_MESSAGE;
    l->use_data_sm = 0;
    l->coding_gsm = 0x0F;
    l->coding_ucs2 = 8;
    l->screen_limit = 182;
    l->screen_limit_ucs2 = 80;
    l->resend_window_ms = 1000;
}

void config_default(struct config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->redis, sizeof c->redis, "127.0.0.1:6379");
    snprintf(c->menus, sizeof c->menus, "menus.d");
    snprintf(c->log_level, sizeof c->log_level, "info");
    snprintf(c->timezone, sizeof c->timezone, "%s", CLOCK_DEFAULT_ZONE);
    c->session_ttl_s = 180;
    c->resume_window_s = 300;
    c->lang_ttl_s = 31536000;
    c->redis_timeout_ms = 2000;
    c->step_timeout_ms = 4500;
    c->handler_timeout_ms = 4000;
    c->max_dialogs = 2000;
    snprintf(c->key_back, sizeof c->key_back, "0");
    snprintf(c->key_home, sizeof c->key_home, "00");
    snprintf(c->key_more, sizeof c->key_more, "98");
    c->http_max_body = 8192;
    c->sms_expiry_s = 86400;
    c->sms_max_parts = 6;
    c->sms_receipts = 1;
    c->sms_retry_min_ms = 2000;
    c->sms_retry_max_ms = 300000;
    c->sms_poll_ms = 200;
    c->sms_in_resend_s = 60;
    c->poll_results_every_s = 60;
    c->ticket_window_s = 7 * 86400;
    snprintf(c->sms_source, sizeof c->sms_source, "123");
}

int config_split_hostport(const char *s, char *host, size_t hostsize, int *port)
{
    const char *colon;
    size_t hl;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -1;
        hl = (size_t)(close - s - 1);
        s++;
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= hostsize)
        return -1;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 1 || p > 65535 || end == colon + 1)
        return -1;
    memcpy(host, s, hl);
    host[hl] = 0;
    *port = (int)p;
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t l = strlen(s);
    while (l && isspace((unsigned char)s[l - 1]))
        s[--l] = 0;
    return s;
}

static const struct key *find_key(const struct key *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

static int set_value(void *base, const struct key *k, const char *v, struct link_config *link,
                     struct diags *d, const char *file, int line, int col)
{
    char *end;
    long n;
    switch (k->type) {
    case K_STR:
        if (link && strcmp(k->name, "smsc") == 0) {
            if (config_split_hostport(v, link->host, sizeof link->host, &link->port)) {
                diag_add(d, DIAG_ERROR, file, line, col, "smsc must be HOST:PORT, not '%s'", v);
                return -1;
            }
            return 0;
        }
        if (strlen(v) >= k->size) {
            diag_add(d, DIAG_ERROR, file, line, col, "%s is too long (at most %zu characters)",
                     k->name, k->size - 1);
            return -1;
        }
        memcpy((char *)base + k->off, v, strlen(v) + 1);
        return 0;
    case K_INT:
        n = strtol(v, &end, 0);
        if (!*v || *end || n < k->min || n > k->max) {
            diag_add(d, DIAG_ERROR, file, line, col, "%s must be a number from %ld to %ld, not '%s'",
                     k->name, k->min, k->max, v);
            return -1;
        }
        *(int *)((char *)base + k->off) = (int)n;
        return 0;
    case K_OPS: {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", v);
        link->n_op_abort = 0;
        for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
            n = strtol(t, &end, 0);
            if (*end || n < 0 || n > 255 || link->n_op_abort >= CONFIG_MAX_ABORT_OPS) {
                diag_add(d, DIAG_ERROR, file, line, col,
                         "op_abort must be up to %d numbers 0..255 separated by commas",
                         CONFIG_MAX_ABORT_OPS);
                return -1;
            }
            link->op_abort[link->n_op_abort++] = (int)n;
        }
        return 0;
    }
    case K_SKEY:
        if (strcmp(v, "its_session_info") == 0)
            link->session_key = SKEY_ITS_SESSION_INFO;
        else if (strcmp(v, "user_message_reference") == 0)
            link->session_key = SKEY_USER_MESSAGE_REFERENCE;
        else if (strcmp(v, "msisdn") == 0)
            link->session_key = SKEY_MSISDN;
        else {
            diag_add(d, DIAG_ERROR, file, line, col,
                     "session_key must be its_session_info, user_message_reference or msisdn");
            return -1;
        }
        return 0;
    case K_DIAL:
        if (strcmp(v, "short_message") == 0)
            link->dial_in = DIAL_SHORT_MESSAGE;
        else if (strcmp(v, "destination_addr") == 0)
            link->dial_in = DIAL_DESTINATION_ADDR;
        else {
            diag_add(d, DIAG_ERROR, file, line, col,
                     "dial_in must be short_message or destination_addr");
            return -1;
        }
        return 0;
    case K_SUBMIT:
        if (strcmp(v, "submit_sm") == 0)
            link->use_data_sm = 0;
        else if (strcmp(v, "data_sm") == 0)
            link->use_data_sm = 1;
        else {
            diag_add(d, DIAG_ERROR, file, line, col, "submit must be submit_sm or data_sm");
            return -1;
        }
        return 0;
    }
    return -1;
}

int config_load(struct config *c, const char *path, struct diags *d)
{
    FILE *f = fopen(path, "r");
    size_t errors0 = d->errors;
    if (!f) {
        diag_add(d, DIAG_ERROR, path, 1, 1, "cannot open the configuration file");
        return -1;
    }
    char raw[1024];
    int line = 0;
    struct link_config *link = NULL;
    while (fgets(raw, sizeof raw, f)) {
        line++;
        if (!strchr(raw, '\n') && !feof(f)) {
            diag_add(d, DIAG_ERROR, path, line, 1, "line too long (at most %zu characters)",
                     sizeof raw - 2);
            int ch;
            while ((ch = fgetc(f)) != EOF && ch != '\n')
                ;
            continue;
        }
        char *s = trim(raw);
        int col = (int)(s - raw) + 1;
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char name[64];
            char again[80];
            if (sscanf(s, "[link %63[A-Za-z0-9_.-]]", name) != 1 ||
                (snprintf(again, sizeof again, "[link %s]", name), strcmp(again, s) != 0)) {
                diag_add(d, DIAG_ERROR, path, line, col,
                         "a section must be [link NAME] (NAME of letters, digits, _ . -)");
                link = NULL;
                continue;
            }
            int dup = 0;
            for (int i = 0; i < c->n_links; i++)
                if (strcmp(c->links[i].name, name) == 0)
                    dup = 1;
            if (dup || c->n_links >= CONFIG_MAX_LINKS) {
                if (dup)
                    diag_add(d, DIAG_ERROR, path, line, col, "link '%s' is defined twice", name);
                else
                    diag_add(d, DIAG_ERROR, path, line, col, "too many links (at most %d): '%s'",
                             CONFIG_MAX_LINKS, name);
                link = NULL;
                continue;
            }
            link = &c->links[c->n_links++];
            link_config_default(link, name);
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            diag_add(d, DIAG_ERROR, path, line, col, "expected 'key = value'");
            continue;
        }
        *eq = 0;
        /* a comment may follow a value: " # ..." outside quotes */
        int inq = 0;
        for (char *q = eq + 1; *q; q++) {
            if (*q == '"')
                inq = !inq;
            else if (!inq && (*q == '#' || *q == ';') && (q[-1] == ' ' || q[-1] == '\t' || q == eq + 1)) {
                *q = 0;
                break;
            }
        }
        char *key = trim(s), *val = trim(eq + 1);
        int vcol = (int)(val - raw) + 1;
        size_t vl = strlen(val);
        if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
            val[vl - 1] = 0;
            val++;
        }
        const struct key *k = link ? find_key(link_keys, sizeof link_keys / sizeof link_keys[0], key)
                                   : find_key(global_keys, sizeof global_keys / sizeof global_keys[0], key);
        if (!k) {
            int other = link ? find_key(global_keys, sizeof global_keys / sizeof global_keys[0], key) != NULL
                             : find_key(link_keys, sizeof link_keys / sizeof link_keys[0], key) != NULL;
            diag_add(d, DIAG_ERROR, path, line, col, "unknown key '%s'%s", key,
                     other ? (link ? " in a [link] section (it belongs before the first section)"
                                   : " outside a [link NAME] section")
                           : "");
            continue;
        }
        set_value(link ? (void *)link : (void *)c, k, val, link, d, path, line, vcol);
    }
    fclose(f);
    return d->errors > errors0 ? -1 : 0;
}

int config_check(const struct config *c, struct diags *d, const char *origin)
{
    size_t errors0 = d->errors;
    enum { K = 3 };
    const char *keys[K] = {c->key_back, c->key_home, c->key_more};
    for (int i = 0; i < K; i++) {
        if (!keys[i][0] || strspn(keys[i], "0123456789*#") != strlen(keys[i]))
            diag_add(d, DIAG_ERROR, origin, 1, 1,
                     "navigation keys must be digits, * or # (got '%s')", keys[i]);
        for (int j = 0; j < i; j++)
            if (strcmp(keys[i], keys[j]) == 0)
                diag_add(d, DIAG_ERROR, origin, 1, 1, "navigation keys must differ ('%s' twice)",
                         keys[i]);
    }
    char host[256];
    int port;
    if (strncmp(c->redis, "unix:", 5) != 0 && config_split_hostport(c->redis, host, sizeof host, &port))
        diag_add(d, DIAG_ERROR, origin, 1, 1, "redis must be HOST:PORT or unix:PATH, not '%s'",
                 c->redis);
    if (c->http[0] && config_split_hostport(c->http, host, sizeof host, &port))
        diag_add(d, DIAG_ERROR, origin, 1, 1, "http must be HOST:PORT, not '%s'", c->http);
    if (c->sms_retry_max_ms < c->sms_retry_min_ms)
        diag_add(d, DIAG_ERROR, origin, 1, 1, "sms_retry_max_ms is below sms_retry_min_ms");
    /* a sender name (not a short code or +number) is sent alphanumeric: 11 characters */
    const char *src = c->sms_source + (c->sms_source[0] == '+');
    if (!c->sms_source[0])
        diag_add(d, DIAG_ERROR, origin, 1, 1, "sms_source must not be empty");
    else if (strspn(src, "0123456789") != strlen(src) && strlen(c->sms_source) > 11)
        diag_add(d, DIAG_ERROR, origin, 1, 1,
                 "sms_source '%s' is a sender name: at most 11 characters (a number may have 20)",
                 c->sms_source);
    char zerr[200];
    if (clock_set_zone(c->timezone, zerr, sizeof zerr) != 0) /* checked, and in force */
        diag_add(d, DIAG_ERROR, origin, 1, 1, "%s", zerr);
    if (c->step_timeout_ms <= c->redis_timeout_ms)
        diag_add(d, DIAG_WARNING, origin, 1, 1,
                 "step_timeout_ms (%d) should exceed redis_timeout_ms (%d)", c->step_timeout_ms,
                 c->redis_timeout_ms);
    for (int i = 0; i < c->n_links; i++) {
        const struct link_config *l = &c->links[i];
        if (l->reconnect_max_ms < l->reconnect_min_ms)
            diag_add(d, DIAG_ERROR, origin, 1, 1,
                     "link %s: reconnect_max_ms is below reconnect_min_ms", l->name);
        if (l->op_continue == l->op_end)
            diag_add(d, DIAG_ERROR, origin, 1, 1, "link %s: op_continue and op_end are equal",
                     l->name);
        static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
        if (strspn(l->centre, name_chars) != strlen(l->centre))
            diag_add(d, DIAG_ERROR, origin, 1, 1,
                     "link %s: centre '%s' may hold only letters, digits, '_', '-' and '.'", l->name,
                     l->centre);
    }
    return d->errors > errors0 ? -1 : 0;
}
