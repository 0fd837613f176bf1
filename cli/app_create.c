/*
 * app_create.c: `ussdgw app create --service S --kind K --msisdn N --idem KEY
 * [--amount RWF] [--detail k=v]... [--channel C]`: an application made through the same
 * service the handlers use (records_create.h); prints "REF BILL created|existing".
 */
#include <stdio.h>

#include "records_cli.h"

static void on_create(void *arg, int status, const char *why, const struct rec_app_created *cr)
{
    struct rec_cli *c = arg;
    c->done = 1;
    if (status == REC_OK) {
        printf("%s %s %s\n", cr->ref, cr->bill[0] ? cr->bill : "-",
               cr->existing ? "existing" : "created");
        c->rc = 0;
    } else {
        fprintf(stderr, "ussdgw app create: %s (%s)\n",
                status == REC_REFUSED   ? "refused"
                : status == REC_INVALID ? "invalid"
                                        : "failed",
                why);
        c->rc = 1;
    }
}

int rec_cli_create(const struct config *cfg, struct rec_app_new *req)
{
    if (!req->service || !req->kind || !req->msisdn || !req->idem_key) {
        fprintf(stderr, "ussdgw app create: --service, --kind, --msisdn and --idem are required\n");
        return 2;
    }
    struct rec_cli c;
    if (rec_cli_open(&c, cfg, "app"))
        return 1;
    if (!req->channel)
        req->channel = "cli";
    rec_cli_wait(&c, records_app_create(&c.ctx, req, on_create, &c));
    return rec_cli_close(&c);
}
