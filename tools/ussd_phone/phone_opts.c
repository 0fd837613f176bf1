/*
 * phone_opts.c: parses ussd-phone's command line (getopt_long) into struct phone_opts,
 * checking every value's range so the rest of the program can trust it.
 */
#include "phone_opts.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void phone_opts_usage(FILE *f)
{
    fputs("usage: ussd-phone [options]\n"
          "Plays the operator's SMSC / USSD centre: ussdgw binds to it as an ESME.\n"
          "Interactive (default): type a dial string like *123#, then answers.\n"
          "Piped stdin: the same, line by line; exits after EOF once the last step is done.\n"
          "\n"
          "SMSC:\n"
          "  --listen HOST:PORT     listen here (default 127.0.0.1:2775; port 0 = any free port)\n"
          "  --system-id ID         accept binds only with this system_id (default: any)\n"
          "  --password PW          accept binds only with this password (default: any)\n"
          "  --enquire-link S       send enquire_link every S seconds (default 30, 0 = never)\n"
          "  --bind-timeout S       drop connections not bound within S seconds (default 30)\n"
          "  --no-receipts          never send delivery receipts (default: when asked)\n"
          "  -v, --verbose          log every PDU on stderr\n"
          "Phone:\n"
          "  --msisdn NUMBER        the phone (default 250788123456; load: first phone,\n"
          "                         default 250788000001)\n"
          "  --service-code CODE    destination_addr of a dial (default: from the dial\n"
          "                         string, *123*4# -> 123)\n"
          "  --sms-to NUMBER        destination of /sms (default 123)\n"
          "  --encoding gsm|ucs2    text the phone sends (default gsm; falls back to ucs2)\n"
          "  --data-coding N        data_coding of GSM text (default 0x0F)\n"
          "  --abort-op N           ussd_service_op of /abort, sent with the end bit (default 18)\n"
          "  --answer-op N          ussd_service_op of answers (default 18; 1 for centres that\n"
          "                         answer with the begin op)\n"
          "  --its-seq count|zero   octet 2 of its_session_info: count the steps (default) or\n"
          "                         leave the sequence number at 0 (the end bit still ends)\n"
          "  --session-id its|umr|none  what identifies the dialog: its_session_info (default),\n"
          "                         user_message_reference (the dialog's number), or nothing\n"
          "  --timeout S            wait for each screen (default 10)\n"
          "  --wait-bind S          wait for an ESME to bind (default 30)\n"
          "  --sticky               keep a dialog on one ESME (default: each step to the next)\n"
          "  --linger S             piped: after EOF and the last step, wait S seconds more for\n"
          "                         late messages such as an SMS (default 0)\n"
          "Load:\n"
          "  --load PHONES          run PHONES simulated phones instead of the prompt\n"
          "  --dial STRING          dial string (default *123#)\n"
          "  --answers LIST         comma-separated answers, one per continue screen\n"
          "  --dialogs N            stop after N dialogs in all (default 1000)\n"
          "  --duration S           stop after S seconds (default 60)\n"
          "  --rate STEPS_PER_S     open loop: offer this many steps per second\n"
          "  --esmes N              start once N ESMEs are bound (default 1)\n"
          "  --think MS             wait MS milliseconds after a screen before answering (0)\n"
          "  --resend P             send the deliver_sm of this fraction (0..1) of steps twice\n"
          "  --resend-mode same|fresh  the copy: same sequence number on the same ESME, right\n"
          "                         after the first (default), or a fresh sequence number on\n"
          "                         the other ESME when several are bound\n"
          "  --seed N               of the choice of resent steps (default 1)\n"
          "  Prints key=value lines: steps dialogs errors elapsed_s steps_per_s dialogs_per_s\n"
          "  p50_ms p95_ms p99_ms max_ms and details; exit status 0 when errors=0.\n"
          "Prompt commands: /quit /abort /msisdn NUMBER /sms TEXT /help\n"
          "  /resend (the last deliver_sm again, same sequence number, same ESME)\n"
          "  /resend new (again with a fresh sequence number) /drop (close its ESME's link)\n",
          f);
}

enum {
    OPT_LISTEN = 256, OPT_SYSTEM_ID, OPT_PASSWORD, OPT_ENQUIRE, OPT_BIND_TIMEOUT, OPT_NO_RECEIPTS,
    OPT_MSISDN, OPT_SERVICE_CODE, OPT_SMS_TO, OPT_ENCODING, OPT_DATA_CODING, OPT_ABORT_OP,
    OPT_TIMEOUT, OPT_WAIT_BIND, OPT_STICKY, OPT_LOAD, OPT_DIAL, OPT_ANSWERS, OPT_DIALOGS,
    OPT_DURATION, OPT_RATE, OPT_ESMES, OPT_LINGER, OPT_ANSWER_OP, OPT_ITS_SEQ, OPT_SESSION_ID,
    OPT_THINK, OPT_RESEND, OPT_RESEND_MODE, OPT_SEED
};

static const struct option long_opts[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"system-id", required_argument, NULL, OPT_SYSTEM_ID},
    {"password", required_argument, NULL, OPT_PASSWORD},
    {"enquire-link", required_argument, NULL, OPT_ENQUIRE},
    {"bind-timeout", required_argument, NULL, OPT_BIND_TIMEOUT},
    {"no-receipts", no_argument, NULL, OPT_NO_RECEIPTS},
    {"msisdn", required_argument, NULL, OPT_MSISDN},
    {"service-code", required_argument, NULL, OPT_SERVICE_CODE},
    {"sms-to", required_argument, NULL, OPT_SMS_TO},
    {"encoding", required_argument, NULL, OPT_ENCODING},
    {"data-coding", required_argument, NULL, OPT_DATA_CODING},
    {"abort-op", required_argument, NULL, OPT_ABORT_OP},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"wait-bind", required_argument, NULL, OPT_WAIT_BIND},
    {"sticky", no_argument, NULL, OPT_STICKY},
    {"load", required_argument, NULL, OPT_LOAD},
    {"dial", required_argument, NULL, OPT_DIAL},
    {"answers", required_argument, NULL, OPT_ANSWERS},
    {"dialogs", required_argument, NULL, OPT_DIALOGS},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"rate", required_argument, NULL, OPT_RATE},
    {"esmes", required_argument, NULL, OPT_ESMES},
    {"linger", required_argument, NULL, OPT_LINGER},
    {"answer-op", required_argument, NULL, OPT_ANSWER_OP},
    {"its-seq", required_argument, NULL, OPT_ITS_SEQ},
    {"session-id", required_argument, NULL, OPT_SESSION_ID},
    {"think", required_argument, NULL, OPT_THINK},
    {"resend", required_argument, NULL, OPT_RESEND},
    {"resend-mode", required_argument, NULL, OPT_RESEND_MODE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int bad(const char *opt, const char *val, const char *why)
{
    fprintf(stderr, "ussd-phone: --%s %s: %s\n", opt, val, why);
    return -1;
}

/* An integer in [lo, hi], decimal or 0x-hex. */
static int parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 0);
    if (errno || !end || end == s || *end || v < lo || v > hi) {
        char why[96];
        snprintf(why, sizeof(why), "expected an integer in %ld..%ld", lo, hi);
        return bad(opt, s, why);
    }
    *out = v;
    return 0;
}

static int parse_double(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || !end || end == s || *end || !isfinite(v) || v < lo || v > hi) {
        char why[96];
        snprintf(why, sizeof(why), "expected a number in %g..%g", lo, hi);
        return bad(opt, s, why);
    }
    *out = v;
    return 0;
}

/* HOST:PORT, [V6]:PORT. */
static int parse_listen(struct phone_opts *o, const char *s)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return bad("listen", s, "expected HOST:PORT");
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (h[0] == '[') {
        if (hl < 2 || h[hl - 1] != ']')
            return bad("listen", s, "expected [ADDRESS]:PORT");
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof(o->listen_host))
        return bad("listen", s, "bad host");
    memcpy(o->listen_host, h, hl);
    o->listen_host[hl] = 0;
    long port;
    if (parse_long("listen", colon + 1, 0, 65535, &port))
        return -1;
    o->listen_port = (int)port;
    return 0;
}

/* Digits only, 1..20 (a leading + is dropped). */
static int parse_msisdn(const char *opt, const char *s, char *out, size_t cap)
{
    const char *p = s[0] == '+' ? s + 1 : s;
    size_t n = strlen(p);
    if (n == 0 || n >= cap || strspn(p, "0123456789") != n)
        return bad(opt, s, "expected 1..20 digits");
    memcpy(out, p, n + 1);
    return 0;
}

static int parse_answers(struct phone_opts *o, const char *s)
{
    o->n_answers = 0;
    if (!*s)
        return 0;
    const char *p = s;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (o->n_answers >= PHONE_MAX_ANSWERS)
            return bad("answers", s, "at most 32 answers");
        if (n > PHONE_ANSWER_MAX)
            return bad("answers", s, "an answer is longer than 160 octets");
        memcpy(o->answers[o->n_answers], p, n);
        o->answers[o->n_answers][n] = 0;
        o->n_answers++;
        if (!c)
            return 0;
        p = c + 1;
    }
}

static int check_str(const char *opt, const char *s, size_t max)
{
    if (strlen(s) > max) {
        char why[64];
        snprintf(why, sizeof(why), "longer than %zu characters", max);
        return bad(opt, s, why);
    }
    return 0;
}

static void defaults(struct phone_opts *o)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->listen_host, sizeof(o->listen_host), "127.0.0.1");
    o->listen_port = 2775;
    o->enquire_link_s = 30;
    o->bind_timeout_s = 30;
    o->receipts = 1;
    snprintf(o->msisdn, sizeof(o->msisdn), "250788123456");
    o->sms_to = "123";
    o->encoding = PHONE_ENC_GSM;
    o->gsm_dcs = 0x0F;
    o->abort_op = 18;
    o->answer_op = 18;
    o->timeout_ms = 10000;
    o->wait_bind_s = 30;
    o->min_esmes = 1;
    o->dial = "*123#";
    o->dialogs = 1000;
    o->duration_s = 60;
    o->seed = 1;
}

/* One of words (NULL-terminated): its index, or -1 after the usage message. */
static int parse_word(const char *opt, const char *s, const char *const *words, const char *expected)
{
    for (int i = 0; words[i]; i++)
        if (!strcmp(s, words[i]))
            return i;
    return bad(opt, s, expected);
}

/* The SMSC's options. 0 done, -1 usage error, 1 not one of them. */
static int apply_smsc(struct phone_opts *o, int c, const char *name, const char *arg)
{
    long l;
    switch (c) {
    case OPT_LISTEN:
        return parse_listen(o, arg);
    case OPT_SYSTEM_ID:
        o->system_id = arg;
        return check_str(name, arg, 15);
    case OPT_PASSWORD:
        o->password = arg;
        return check_str(name, arg, 8);
    case OPT_ENQUIRE:
        if (parse_long(name, arg, 0, 3600, &l))
            return -1;
        o->enquire_link_s = (int)l;
        return 0;
    case OPT_BIND_TIMEOUT:
        if (parse_long(name, arg, 1, 3600, &l))
            return -1;
        o->bind_timeout_s = (int)l;
        return 0;
    case OPT_NO_RECEIPTS:
        o->receipts = 0;
        return 0;
    case 'v':
        o->verbose++;
        return 0;
    default:
        return 1;
    }
}

/* How the phone's centre speaks: ops and dialog identity. 0, -1, or 1 (not one). */
static int apply_dialect(struct phone_opts *o, int c, const char *name, const char *arg)
{
    static const char *const its_seq[] = {"count", "zero", NULL};
    static const char *const sid[] = {"its", "umr", "none", NULL};
    long l;
    int w;
    switch (c) {
    case OPT_ABORT_OP:
    case OPT_ANSWER_OP:
        if (parse_long(name, arg, 0, 255, &l))
            return -1;
        *(c == OPT_ABORT_OP ? &o->abort_op : &o->answer_op) = (int)l;
        return 0;
    case OPT_ITS_SEQ:
        if ((w = parse_word(name, arg, its_seq, "expected count or zero")) < 0)
            return -1;
        o->its_seq_zero = w;
        return 0;
    case OPT_SESSION_ID:
        if ((w = parse_word(name, arg, sid, "expected its, umr or none")) < 0)
            return -1;
        o->session_id = (enum phone_session_id)w;
        return 0;
    default:
        return 1;
    }
}

static int text_opt(const char *name, const char *arg, size_t max, const char **out)
{
    if (!*arg)
        return bad(name, arg, "empty");
    *out = arg;
    return check_str(name, arg, max);
}

/* The phone's options. 0, -1, or 1 (not one of them). */
static int apply_phone(struct phone_opts *o, int c, const char *name, const char *arg)
{
    static const char *const enc[] = {"gsm", "ucs2", NULL};
    long l;
    double d;
    int w;
    switch (c) {
    case OPT_MSISDN:
        o->msisdn_given = 1;
        return parse_msisdn(name, arg, o->msisdn, sizeof(o->msisdn));
    case OPT_SERVICE_CODE:
        return text_opt(name, arg, 20, &o->service_code);
    case OPT_SMS_TO:
        return text_opt(name, arg, 20, &o->sms_to);
    case OPT_ENCODING:
        if ((w = parse_word(name, arg, enc, "expected gsm or ucs2")) < 0)
            return -1;
        o->encoding = w ? PHONE_ENC_UCS2 : PHONE_ENC_GSM;
        return 0;
    case OPT_DATA_CODING:
        if (parse_long(name, arg, 0, 255, &l))
            return -1;
        o->gsm_dcs = (uint8_t)l;
        return 0;
    case OPT_TIMEOUT:
        if (parse_double(name, arg, 0.001, 3600, &d))
            return -1;
        o->timeout_ms = (int)(d * 1000.0 + 0.5);
        return 0;
    case OPT_WAIT_BIND:
        if (parse_long(name, arg, 0, 86400, &l))
            return -1;
        o->wait_bind_s = (int)l;
        return 0;
    case OPT_STICKY:
        o->sticky = 1;
        return 0;
    case OPT_LINGER:
        if (parse_double(name, arg, 0, 3600, &d))
            return -1;
        o->linger_ms = (int)(d * 1000.0 + 0.5);
        return 0;
    default:
        return apply_dialect(o, c, name, arg);
    }
}

/* The load generator's options: its numbers. 0, -1, or 1 (not one of them). */
static int apply_load_numbers(struct phone_opts *o, int c, const char *name, const char *arg)
{
    long l;
    double d;
    switch (c) {
    case OPT_LOAD:
        if (parse_long(name, arg, 1, 100000, &l))
            return -1;
        o->load_phones = (int)l;
        return 0;
    case OPT_DIALOGS:
        if (parse_long(name, arg, 1, 1000000000L, &l))
            return -1;
        o->dialogs = l;
        return 0;
    case OPT_DURATION:
        return parse_double(name, arg, 0.001, 86400 * 7, &o->duration_s);
    case OPT_RATE:
        return parse_double(name, arg, 0.001, 10000000, &o->rate);
    case OPT_ESMES:
        if (parse_long(name, arg, 1, 64, &l))
            return -1;
        o->min_esmes = (int)l;
        return 0;
    case OPT_THINK:
        if (parse_double(name, arg, 0, 3600000, &d))
            return -1;
        o->think_ms = (int)(d + 0.5);
        return 0;
    case OPT_RESEND:
        return parse_double(name, arg, 0, 1, &o->resend);
    default:
        return 1;
    }
}

/* The load generator's options. 0, -1, or 1 (not one of them). */
static int apply_load(struct phone_opts *o, int c, const char *name, const char *arg)
{
    static const char *const mode[] = {"same", "fresh", NULL};
    int w;
    switch (c) {
    case OPT_DIAL:
        return text_opt(name, arg, PHONE_ANSWER_MAX, &o->dial);
    case OPT_ANSWERS:
        return parse_answers(o, arg);
    case OPT_RESEND_MODE:
        if ((w = parse_word(name, arg, mode, "expected same or fresh")) < 0)
            return -1;
        o->resend_mode = (enum phone_resend_mode)w;
        return 0;
    case OPT_SEED: {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(arg, &end, 0);
        if (errno || !end || end == arg || *end || arg[0] == '-')
            return bad(name, arg, "expected a non-negative integer");
        o->seed = (uint64_t)v;
        return 0;
    }
    default:
        return apply_load_numbers(o, c, name, arg);
    }
}

int phone_opts_parse(struct phone_opts *o, int argc, char **argv)
{
    defaults(o);
    int c;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
        const char *name = "?";
        for (const struct option *lo = long_opts; lo->name; lo++)
            if (lo->val == c)
                name = lo->name;
        if (c == 'h') {
            phone_opts_usage(stdout);
            return 1;
        }
        int r = apply_smsc(o, c, name, optarg);
        if (r == 1)
            r = apply_phone(o, c, name, optarg);
        if (r == 1)
            r = apply_load(o, c, name, optarg);
        if (r == 1) {
            fputs("try: ussd-phone --help\n", stderr);
            return -1;
        }
        if (r)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "ussd-phone: unexpected argument '%s' (try --help)\n", argv[optind]);
        return -1;
    }
    if (o->load_phones) {
        if (!o->msisdn_given)
            snprintf(o->msisdn, sizeof(o->msisdn), "250788000001");
        if (strlen(o->msisdn) > 15)
            return bad("msisdn", o->msisdn, "load mode numbers phones from it: at most 15 digits");
    }
    return 0;
}
