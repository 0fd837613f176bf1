/*
 * loadgen.h: the load generator. PHONES simulated phones run the scripted dialog (dial,
 * then one answer per continue screen) over and over against the bound ESMEs, closed
 * loop (each phone sends its next step as soon as its screen arrives) or open loop
 * (--rate: steps offered at a fixed pace). Each step's latency is measured from the
 * deliver_sm written to the matching submit_sm / data_sm received. Stops after
 * --dialogs dialogs in all or --duration seconds, prints key=value lines on stdout
 * (steps dialogs errors elapsed_s steps_per_s dialogs_per_s p50_ms p95_ms p99_ms
 * max_ms, then details), unbinds and breaks the event loop.
 *
 * Phone i's k-th dialog uses MSISDN base+i+PHONES*(k/256) and session number
 * (i+k) mod 256: no (MSISDN, session) pair is reused within a run.
 */
#ifndef USSD_PHONE_LOADGEN_H
#define USSD_PHONE_LOADGEN_H

#include <stdint.h>

#include "phone_opts.h"
#include "smpp_pdu.h"

struct event_base;
struct smsc;
struct loadgen;

/* Set up (and start once an ESME is bound, waiting up to --wait-bind). NULL on
 * failure. o must outlive the load. */
struct loadgen *loadgen_new(struct event_base *base, struct smsc *smsc, const struct phone_opts *o);
void loadgen_free(struct loadgen *l);

/* Stop now (signals): report what was measured. */
void loadgen_stop(struct loadgen *l);

/* 0 when the run finished with errors == 0, else 1. */
int loadgen_exit_code(const struct loadgen *l);

/* Events from the smsc (see smsc.h). */
void loadgen_on_bound(struct loadgen *l, int esme, const char *system_id);
void loadgen_on_message(struct loadgen *l, int esme, const struct smpp_msg *m);
void loadgen_on_deliver_resp(struct loadgen *l, uint64_t tag, uint32_t status);

#endif
