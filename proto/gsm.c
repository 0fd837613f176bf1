/*
 * gsm.c: the GSM 03.38 default alphabet (basic table and its 0x1B extension table),
 * screen cost measurement of UTF-8 text, and the encoders and decoders between UTF-8
 * and the wire forms: unpacked GSM septets, UCS2/UTF-16BE and Latin-1.
 */
#include "gsm.h"

#define GSM_ESC 0x1B
#define GSM_EXT 0x100 /* lookup result flag: extension table, escape first */
#define GSM_NONE (-1)
#define GSM_REPLACEMENT 0xFFFDu

/* The basic table: septet -> code point. 0x1B is the escape, not a character. */
static const uint16_t gsm_basic[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, /* @ £ $ ¥ è é ù ì */
    0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5, /* ò Ç LF Ø ø CR Å å */
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, /* Δ _ Φ Γ Λ Ω Π Ψ */
    0x03A3, 0x0398, 0x039E, 0x0000, 0x00C6, 0x00E6, 0x00DF, 0x00C9, /* Σ Θ Ξ ESC Æ æ ß É */
    0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027, /* SP ! " # ¤ % & ' */
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,
    0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, /* ¡ A-G */
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, /* X Y Z Ä Ö Ñ Ü § */
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, /* ¿ a-g */
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0, /* x y z ä ö ñ ü à */
};

/* The extension table: septet after 0x1B -> code point. */
static const struct {
    uint8_t septet;
    uint16_t cp;
} gsm_ext[] = {
    {0x0A, 0x000C}, /* form feed */
    {0x14, 0x005E}, /* ^ */
    {0x28, 0x007B}, /* { */
    {0x29, 0x007D}, /* } */
    {0x2F, 0x005C}, /* \ */
    {0x3C, 0x005B}, /* [ */
    {0x3D, 0x007E}, /* ~ */
    {0x3E, 0x005D}, /* ] */
    {0x40, 0x007C}, /* | */
    {0x65, 0x20AC}, /* € */
};

/* ASCII -> septet (GSM_EXT | septet for the extension table, GSM_NONE when absent);
 * the inverse of the two tables above for code points below 0x80. */
static const int16_t gsm_from_ascii[128] = {
    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
    -1,    -1,    0x00A, -1,    0x10A, 0x00D, -1,    -1,
    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
    -1,    -1,    -1,    -1,    -1,    -1,    -1,    -1,
    0x020, 0x021, 0x022, 0x023, 0x002, 0x025, 0x026, 0x027,
    0x028, 0x029, 0x02A, 0x02B, 0x02C, 0x02D, 0x02E, 0x02F,
    0x030, 0x031, 0x032, 0x033, 0x034, 0x035, 0x036, 0x037,
    0x038, 0x039, 0x03A, 0x03B, 0x03C, 0x03D, 0x03E, 0x03F,
    0x000, 0x041, 0x042, 0x043, 0x044, 0x045, 0x046, 0x047,
    0x048, 0x049, 0x04A, 0x04B, 0x04C, 0x04D, 0x04E, 0x04F,
    0x050, 0x051, 0x052, 0x053, 0x054, 0x055, 0x056, 0x057,
    0x058, 0x059, 0x05A, 0x13C, 0x12F, 0x13E, 0x114, 0x011,
    -1,    0x061, 0x062, 0x063, 0x064, 0x065, 0x066, 0x067,
    0x068, 0x069, 0x06A, 0x06B, 0x06C, 0x06D, 0x06E, 0x06F,
    0x070, 0x071, 0x072, 0x073, 0x074, 0x075, 0x076, 0x077,
    0x078, 0x079, 0x07A, 0x128, 0x140, 0x129, 0x13D, -1,
};

/* Code point -> septet, GSM_EXT | septet, or GSM_NONE. */
static int gsm_lookup(uint32_t cp)
{
    if (cp < 0x80)
        return gsm_from_ascii[cp];
    switch (cp) {
    case 0x00A1: return 0x40;           /* ¡ */
    case 0x00A3: return 0x01;           /* £ */
    case 0x00A4: return 0x24;           /* ¤ */
    case 0x00A5: return 0x03;           /* ¥ */
    case 0x00A7: return 0x5F;           /* § */
    case 0x00BF: return 0x60;           /* ¿ */
    case 0x00C4: return 0x5B;           /* Ä */
    case 0x00C5: return 0x0E;           /* Å */
    case 0x00C6: return 0x1C;           /* Æ */
    case 0x00C7: return 0x09;           /* Ç */
    case 0x00C9: return 0x1F;           /* É */
    case 0x00D1: return 0x5D;           /* Ñ */
    case 0x00D6: return 0x5C;           /* Ö */
    case 0x00D8: return 0x0B;           /* Ø */
    case 0x00DC: return 0x5E;           /* Ü */
    case 0x00DF: return 0x1E;           /* ß */
    case 0x00E0: return 0x7F;           /* à */
    case 0x00E4: return 0x7B;           /* ä */
    case 0x00E5: return 0x0F;           /* å */
    case 0x00E6: return 0x1D;           /* æ */
    case 0x00E8: return 0x04;           /* è */
    case 0x00E9: return 0x05;           /* é */
    case 0x00EC: return 0x07;           /* ì */
    case 0x00F1: return 0x7D;           /* ñ */
    case 0x00F2: return 0x08;           /* ò */
    case 0x00F6: return 0x7C;           /* ö */
    case 0x00F8: return 0x0C;           /* ø */
    case 0x00F9: return 0x06;           /* ù */
    case 0x00FC: return 0x7E;           /* ü */
    case 0x0393: return 0x13;           /* Γ */
    case 0x0394: return 0x10;           /* Δ */
    case 0x0398: return 0x19;           /* Θ */
    case 0x039B: return 0x14;           /* Λ */
    case 0x039E: return 0x1A;           /* Ξ */
    case 0x03A0: return 0x16;           /* Π */
    case 0x03A3: return 0x18;           /* Σ */
    case 0x03A6: return 0x12;           /* Φ */
    case 0x03A8: return 0x17;           /* Ψ */
    case 0x03A9: return 0x15;           /* Ω */
    case 0x20AC: return GSM_EXT | 0x65; /* € */
    default: return GSM_NONE;
    }
}

/* Decode one code point at s (len > 0); returns the bytes used. Anything that is not
 * well-formed UTF-8 (stray continuation, overlong form, surrogate, above U+10FFFF,
 * cut short) yields U+FFFD for one byte. */
static size_t gsm_utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned b0 = s[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    uint32_t c;

    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    if (b0 < 0xC2 || b0 > 0xF4) {
        *cp = GSM_REPLACEMENT;
        return 1;
    }
    if (b0 < 0xE0) {
        need = 1;
        c = b0 & 0x1F;
    } else if (b0 < 0xF0) {
        need = 2;
        c = b0 & 0x0F;
        if (b0 == 0xE0)
            lo = 0xA0; /* overlong */
        else if (b0 == 0xED)
            hi = 0x9F; /* surrogates */
    } else {
        need = 3;
        c = b0 & 0x07;
        if (b0 == 0xF0)
            lo = 0x90; /* overlong */
        else if (b0 == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    }
    if (len < need + 1 || s[1] < lo || s[1] > hi) {
        *cp = GSM_REPLACEMENT;
        return 1;
    }
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = GSM_REPLACEMENT;
            return 1;
        }
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    *cp = c;
    return need + 1;
}

/* Append cp as UTF-8 at out[*n], keeping room for the NUL; 0 when it does not fit. */
static int gsm_put_utf8(char *out, size_t cap, size_t *n, uint32_t cp)
{
    unsigned char b[4];
    size_t k;

    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    if (cap - *n < k + 1)
        return 0;
    for (size_t i = 0; i < k; i++)
        out[(*n)++] = (char)b[i];
    return 1;
}

/* Finish a decode: NUL-terminate what was written (a whole-character prefix on
 * failure, so the caller never sees a broken string). */
static long gsm_decode_end(char *out, size_t cap, size_t n, int ok)
{
    if (cap == 0)
        return -1;
    out[n] = '\0';
    return ok ? (long)n : -1;
}

void gsm_measure(const char *utf8, size_t len, struct gsm_len *out)
{
    const unsigned char *s = (const unsigned char *)utf8;
    struct gsm_len l = {0, 0, 0, 0};
    size_t i = 0;

    if (!out)
        return;
    if (!s)
        len = 0;
    while (i < len) {
        uint32_t cp = s[i];
        int v;

        /* ASCII, the common case, skips the decoder and the switch. */
        if (cp < 0x80) {
            i++;
            v = gsm_from_ascii[cp];
        } else {
            i += gsm_utf8_next(s + i, len - i, &cp);
            v = gsm_lookup(cp);
        }
        l.chars++;
        l.ucs2_units += cp >= 0x10000 ? 2 : 1;
        if (v == GSM_NONE) {
            l.ucs2 = 1;
            l.septets++;
        } else
            l.septets += 1 + ((unsigned)v >> 8); /* GSM_EXT (0x100): two septets */
    }
    *out = l;
}

size_t gsm_cost(const struct gsm_len *l)
{
    if (!l)
        return 0;
    return l->ucs2 ? l->ucs2_units : l->septets;
}

int gsm_fits(const char *utf8, size_t len, int limit_gsm, int limit_ucs2)
{
    struct gsm_len l;

    gsm_measure(utf8, len, &l);
    if (l.ucs2)
        return limit_ucs2 >= 0 && l.ucs2_units <= (size_t)limit_ucs2;
    return limit_gsm >= 0 && l.septets <= (size_t)limit_gsm;
}

long gsm_encode(const char *utf8, size_t len, uint8_t *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t i = 0, n = 0;

    if (!s)
        len = 0;
    if (!out)
        cap = 0;
    while (i < len) {
        uint32_t cp = s[i];
        int v;

        /* ASCII, the common case, skips the decoder and the switch. */
        if (cp < 0x80) {
            i++;
            v = gsm_from_ascii[cp];
        } else {
            i += gsm_utf8_next(s + i, len - i, &cp);
            v = gsm_lookup(cp);
        }
        if (v == GSM_NONE)
            return -1;
        if (v & GSM_EXT) {
            if (cap - n < 2)
                return -1;
            out[n++] = GSM_ESC;
            out[n++] = (uint8_t)(v & 0x7F);
        } else {
            if (cap - n < 1)
                return -1;
            out[n++] = (uint8_t)v;
        }
    }
    return (long)n;
}

long gsm_encode_ucs2(const char *utf8, size_t len, uint8_t *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t i = 0, n = 0;

    if (!s)
        len = 0;
    if (!out)
        cap = 0;
    while (i < len) {
        uint32_t cp;

        i += gsm_utf8_next(s + i, len - i, &cp);
        if (cp >= 0x10000) {
            uint32_t v = cp - 0x10000, hi = 0xD800 | (v >> 10), lo = 0xDC00 | (v & 0x3FF);
            if (cap - n < 4)
                return -1;
            out[n++] = (uint8_t)(hi >> 8);
            out[n++] = (uint8_t)hi;
            out[n++] = (uint8_t)(lo >> 8);
            out[n++] = (uint8_t)lo;
        } else {
            if (cap - n < 2)
                return -1;
            out[n++] = (uint8_t)(cp >> 8);
            out[n++] = (uint8_t)cp;
        }
    }
    return (long)n;
}

long gsm_decode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t n = 0;

    if (!out || cap == 0)
        return -1;
    if (!in)
        len = 0;
    for (size_t i = 0; i < len; i++) {
        uint32_t cp = '?';
        unsigned s = in[i];

        if (s == GSM_ESC) {
            if (i + 1 < len) {
                unsigned e = in[++i];
                size_t k;

                for (k = 0; k < sizeof gsm_ext / sizeof gsm_ext[0]; k++)
                    if (gsm_ext[k].septet == e)
                        break;
                if (k < sizeof gsm_ext / sizeof gsm_ext[0])
                    cp = gsm_ext[k].cp;
                else if (e < 0x80 && e != GSM_ESC)
                    cp = gsm_basic[e]; /* 23.038: show the basic character instead */
            }
        } else if (s < 0x80)
            cp = gsm_basic[s];
        if (!gsm_put_utf8(out, cap, &n, cp))
            return gsm_decode_end(out, cap, n, 0);
    }
    return gsm_decode_end(out, cap, n, 1);
}

long gsm_decode_ucs2(const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t n = 0;

    if (!out || cap == 0)
        return -1;
    if (!in)
        len = 0;
    len &= ~(size_t)1;
    for (size_t i = 0; i < len; i += 2) {
        uint32_t cp = ((uint32_t)in[i] << 8) | in[i + 1];

        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo = i + 3 < len ? ((uint32_t)in[i + 2] << 8) | in[i + 3] : 0;
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 2;
            } else
                cp = GSM_REPLACEMENT;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF)
            cp = GSM_REPLACEMENT;
        if (!gsm_put_utf8(out, cap, &n, cp))
            return gsm_decode_end(out, cap, n, 0);
    }
    return gsm_decode_end(out, cap, n, 1);
}

long gsm_decode_latin1(const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t n = 0;

    if (!out || cap == 0)
        return -1;
    if (!in)
        len = 0;
    for (size_t i = 0; i < len; i++)
        if (!gsm_put_utf8(out, cap, &n, in[i]))
            return gsm_decode_end(out, cap, n, 0);
    return gsm_decode_end(out, cap, n, 1);
}
