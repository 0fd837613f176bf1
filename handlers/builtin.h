/*
 * builtin.h: the handlers every menu set can use, whatever services are installed:
 * `echo` (sets its arguments as variables; outcome from the `outcome` argument, default
 * "ok"), `fail` (outcome "error" with the `message` argument), `slow` (finishes after
 * `ms` milliseconds, for timeout tests), `districts` (the map's 30 districts, geo.h, in
 * alphabetical order, as a list for menus with `source: districts`) and `app_status`
 * (app_status.c). Then the handlers of the services, the registry's table.
 *
 * app_status: the record of an application, the Redis hash ussd:app:REF (REF upper
 * case, e.g. LND-26-004213-7; fields status, service, updated). Argument `ref` (any
 * case, spaces around ignored). Outcomes: `ok` with the variables ref (upper case),
 * status and service (the codes), status_text and service_text (the codes in words, in
 * the request's language: en, rw or fr) and updated; `not_found` (no record, or a ref
 * not shaped like one: 4 to 20 letters, digits and dashes) with ref; `error` (Redis
 * failed or timed out).
 */
#ifndef USSDGW_BUILTIN_H
#define USSDGW_BUILTIN_H

#include "handler.h"

extern const struct handler_def handler_echo;
extern const struct handler_def handler_fail;
extern const struct handler_def handler_slow;
extern const struct handler_def handler_districts;
extern const struct handler_def handler_app_status;
extern const struct handler_def handler_http; /* http_callout.c: a backend over HTTP/JSON */
/* The services (land.c, business.c, permit.c, myapps.c; services.h lists their variables) */
extern const struct handler_def handler_parcel;
extern const struct handler_def handler_land_tax;
extern const struct handler_def handler_land_owner;
extern const struct handler_def handler_land_buyer;
extern const struct handler_def handler_land_transfer;
extern const struct handler_def handler_biz_name;
extern const struct handler_def handler_biz_owner;
extern const struct handler_def handler_biz_register;
extern const struct handler_def handler_business;
extern const struct handler_def handler_biz_renew;
extern const struct handler_def handler_permit_quote;
extern const struct handler_def handler_permit_apply;
extern const struct handler_def handler_permit;
extern const struct handler_def handler_permit_inspectable;
extern const struct handler_def handler_inspection_slots;
extern const struct handler_def handler_inspection_book;
extern const struct handler_def handler_my_apps_count;
extern const struct handler_def handler_my_apps;
extern const struct handler_def handler_app_history;
/* Report a problem (tickets.c, over services/tickets.h) */
extern const struct handler_def handler_sectors;
extern const struct handler_def handler_ticket_report;
extern const struct handler_def handler_my_tickets_count;
extern const struct handler_def handler_my_tickets;
extern const struct handler_def handler_ticket_show;
extern const struct handler_def handler_ticket_open;
/* Alerts (alerts.c, over services/alerts.h) */
extern const struct handler_def handler_alert_join;
extern const struct handler_def handler_alert_leave;
extern const struct handler_def handler_alert_stop;
extern const struct handler_def handler_alert_start;
extern const struct handler_def handler_alert_list;
/* Polls (polls.c, over services/polls.h and poll_proposals.h) */
extern const struct handler_def handler_polls_open;
extern const struct handler_def handler_poll_options;
extern const struct handler_def handler_poll_vote;
extern const struct handler_def handler_poll_propose;
extern const struct handler_def handler_poll_notify;

#endif
