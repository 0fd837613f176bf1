/*
 * seed_gen.h: the seed's deterministic generators (cli/seed_data.c): its PRNG, made of
 * independent streams, the people of the data set (national ID, phone, language) and
 * the names of people and businesses. Pure: the same stream gives the same data on
 * every machine.
 */
#ifndef USSDGW_SEED_GEN_H
#define USSDGW_SEED_GEN_H

#include <stddef.h>
#include <stdint.h>

#define SEED_PRNG 20260101ULL

struct seed_rng {
    uint64_t s;
};

/* Stream `stream` of the seed's PRNG (SplitMix64 from SEED_PRNG). */
void seed_rng_init(struct seed_rng *r, uint64_t stream);

/* A number in 0..n-1 (0 when n is 0). */
uint32_t seed_rn(struct seed_rng *r, uint32_t n);

#define SEED_COUNT(arr) (sizeof arr / sizeof arr[0])
#define SEED_PICK(r, arr) (arr[seed_rn(r, SEED_COUNT(arr))])

struct seed_person {
    uint8_t female, lang; /* lang: 0 en, 1 rw, 2 fr */
    uint8_t first, last;
    uint16_t year;
    uint8_t cat, issue, check;
    uint32_t serial, phone;
    uint8_t op;
};

/* The n people of the data set, from stream 1: person i's serial and phone number are
 * unique. */
void seed_people(struct seed_person *p, size_t n);

/* "Surname Given" / the 16-digit national ID / the phone number 2507NNNNNNNN. */
void seed_person_name(const struct seed_person *p, char *buf, size_t n);
void seed_person_id(const struct seed_person *p, char *buf, size_t n);
void seed_person_phone(const struct seed_person *p, char *buf, size_t n);

/* "en", "rw" or "fr": the person's language. */
const char *seed_person_lang(const struct seed_person *p);

/* One try at a plausible business name from r (people's surnames from the n people),
 * into out; *type gets its legal form. Attempts from 8 on add a branch number. */
void seed_biz_name(struct seed_rng *r, const struct seed_person *people, size_t n, int attempt,
                   char *out, size_t out_n, const char **type);

#endif
