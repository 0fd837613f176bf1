/*
 * sms_record.h: the one encoder of a queued SMS record, the JSON the SMS sender takes in
 * from ussd:sms:queue (gateway/sms_queue.c): {"to":..,"text":..,"lang":..,"queued_at":N}.
 * Every module that queues an SMS (the dialog step, the records and tickets services, the
 * alerts) writes it through here, in C; a script that fans one text out to many phones
 * gets the record cut around the phone number (SMS_RECORD_HEAD + digits + tail).
 * Pure: no I/O, no allocation.
 */
#ifndef USSDGW_SMS_RECORD_H
#define USSDGW_SMS_RECORD_H

#include <stddef.h>

/* Octets a record of strings of these lengths may need, NUL included. */
#define SMS_RECORD_MAX(to_len, text_len, lang_len) (48 + 6 * ((to_len) + (text_len) + (lang_len)))

/* What a fanned-out record begins with; then the phone (digits: nothing to escape), then
 * the tail from sms_record_tail. */
#define SMS_RECORD_HEAD "{\"to\":\""

/* The record into buf (cap octets). Returns its length, or -1 when a value is not valid
 * UTF-8 or cap is too small (buf is then ""). The output is what jansson's json_dumps
 * (JSON_COMPACT) writes for the same object. */
long sms_record_encode(char *buf, size_t cap, const char *to, const char *text, const char *lang,
                       long long queued_at);

/* The part after the phone number: "\",\"text\":...,\"queued_at\":N}". Same returns. */
long sms_record_tail(char *buf, size_t cap, const char *text, const char *lang, long long queued_at);

#endif
