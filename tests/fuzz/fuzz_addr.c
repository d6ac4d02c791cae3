/*
 * NAME
 *	fuzz_addr - libFuzzer target for lib/addr.c
 *
 * DESCRIPTION
 *	The input (NUL-terminated copy) is the text after "MAIL FROM:" or
 *	"RCPT TO:"; the first byte selects strict mode. addr_parse_path() must
 *	return 0 or -1; on 0, *rest points inside the text, the address is at
 *	most 1000 bytes and holds no NUL or control character, and quoting it
 *	with addr_quote_external() and parsing "<quoted>" again gives the same
 *	address back (a round trip, RFC 5321 section 4.1.2) when the domain
 *	part holds no specials. addr_split,
 *	addr_domain, addr_lowercase and addr_strip_extension run on the result
 *	and on the raw input.
 *
 * DIAGNOSTICS
 *	Sanitizer reports, abort() on a broken invariant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fuzz_common.h"
#include "mymalloc.h"
#include "vstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    VSTR *addr, *again, *quoted, *tmp1, *tmp2;
    const char *rest = NULL;
    int strict;
    size_t i;

    if (size < 1)
        return 0;
    strict = data[0] & 1;
    addr = vstr_alloc(100);
    again = vstr_alloc(100);
    quoted = vstr_alloc(100);
    tmp1 = vstr_alloc(100);
    tmp2 = vstr_alloc(100);
    text = mymalloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;

    if (addr_parse_path(text, addr, &rest, strict) == 0) {
        if (rest == NULL || rest < text || rest > text + strlen(text))
            abort();
        if (VSTR_LEN(addr) > 1000 || strlen(VSTR_STR(addr)) != VSTR_LEN(addr))
            abort();
        for (i = 0; i < VSTR_LEN(addr); i++)
            if ((unsigned char)VSTR_STR(addr)[i] < 32 || VSTR_STR(addr)[i] == 127)
                abort();
        addr_quote_external(VSTR_STR(addr), quoted);
        /* Round trip, for addresses whose domain part is a plain domain
         * (a quoted local part can smuggle '@', '>' or blanks into what is
         * taken as the domain: not representable, as in Postfix), and
         * whose quoted form is within the 1000-byte path limit. */
        const char *dom = strrchr(VSTR_STR(addr), '@');
        if (VSTR_LEN(addr) > 0 && VSTR_LEN(quoted) <= 1000 &&
            (dom == NULL || strpbrk(dom + 1, "<>()[]\\\" ,;:@") == NULL)) {
            VSTR *wrapped = vstr_alloc(100);
            vstr_sprintf(wrapped, "<%s>", VSTR_STR(quoted));
            if (addr_parse_path(VSTR_STR(wrapped), again, &rest, 1) != 0 ||
                strcmp(VSTR_STR(again), VSTR_STR(addr)) != 0)
                abort();
            vstr_free(wrapped);
        }
        addr_split(VSTR_STR(addr), tmp1, tmp2);
        (void)addr_domain(VSTR_STR(addr));
        addr_lowercase(VSTR_STR(addr), tmp1);
        (void)addr_strip_extension(VSTR_STR(addr), "+-", tmp1, tmp2);
    }
    addr_quote_external(text, quoted);
    addr_split(text, tmp1, tmp2);
    (void)addr_domain(text);
    addr_lowercase(text, tmp1);
    (void)addr_strip_extension(text, "+", tmp1, tmp2);
    (void)addr_strip_extension(text, "", tmp1, tmp2);

    myfree(text);
    vstr_free(addr);
    vstr_free(again);
    vstr_free(quoted);
    vstr_free(tmp1);
    vstr_free(tmp2);
    return 0;
}
