// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_redact.c - libFuzzer harness for redact_argv (user/redact.c): the
 * argv of every reader of a credential, chosen by whoever runs it. The
 * first byte picks the comm (bit 0: "mysql", bit 1: "curl") and whether
 * the argv was cut (bit 2); the rest is the argv. Checks, with the default
 * lists: REDACT_OUT_SIZE() is enough (no cut); every NUL is kept, so
 * arguments keep their boundaries; redacting the output again changes
 * nothing (a redacted line carries no secret left to find); a smaller
 * buffer gets a prefix of the full output, and says it was cut.
 */
#include "tests/fuzz/fuzz_common.h"
#include "user/redact.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static struct redact *redactor(void)
{
	static struct redact *r;
	char why[256];

	if (r)
		return r;
	CHECK(!redact_new(&r));
	for (int l = 0; l < REDACT_LIST__MAX; l++) {
		size_t n;
		const char *const *items = redact_defaults(l, &n);

		for (size_t i = 0; i < n; i++)
			CHECK(!redact_add(r, l, items[i], why, sizeof(why)));
	}
	return r;
}

static size_t nuls(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += !s[i];
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct redact *r = redactor();
	const char *comm, *in = (const char *)data + 1;
	size_t len, cap, n, n2, n3;
	char *out, *again, *small;
	bool cut;

	if (!size)
		return 0;
	comm = data[0] & 1 ? "mysql" : data[0] & 2 ? "curl" : NULL;
	len = size - 1;
	cap = REDACT_OUT_SIZE(len);
	out = malloc(cap);
	again = malloc(REDACT_OUT_SIZE(cap));
	small = malloc(cap);
	CHECK(out && again && small);
	n = redact_argv(r, comm, in, len, data[0] & 4, out, cap, &cut);
	CHECK(!cut && n <= cap);
	CHECK(nuls(in, len) == nuls(out, n));
	n2 = redact_argv(r, comm, out, n, data[0] & 4, again, REDACT_OUT_SIZE(cap), &cut);
	CHECK(!cut && n2 == n && !memcmp(out, again, n));
	n3 = redact_argv(r, comm, in, len, data[0] & 4, small, n / 2, &cut);
	CHECK(n3 == n / 2 && cut == (n3 < n) && !memcmp(out, small, n3));
	free(out);
	free(again);
	free(small);
	return 0;
}
