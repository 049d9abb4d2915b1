// SPDX-License-Identifier: Apache-2.0
/* test_budget.c - --cgroup-budget: the grammar and the sizing to the ring buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "user/budget.h"

static void test_budget_parse_accepts_the_grammar(void **state)
{
	static const struct { const char *spec; bool off; uint64_t rate, burst; } ok[] = {
		{ NULL, false, 0, 0 }, { "auto", false, 0, 0 }, { "off", true, 0, 0 },
		{ "200", false, 200, 0 }, { "200:400", false, 200, 400 }, { "1:1", false, 1, 1 },
		{ "1000000000", false, 1000000000, 0 },
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		bool off;
		uint64_t rate, burst;

		assert_int_equal(budget_parse(ok[i].spec, &off, &rate, &burst, err, sizeof(err)), 0);
		assert_int_equal(off, ok[i].off);
		assert_int_equal(rate, ok[i].rate);
		assert_int_equal(burst, ok[i].burst);
	}
}

static void test_budget_parse_rejects_with_a_reason(void **state)
{
	static const char *const bad[] = {
		"", "0", "-1", "+5", " 5", "5 ", "5:", ":5", "5:0", "5:5:5", "1e3", "Auto",
		"unlimited", "1000000001", "99999999999999999999", "5:x",
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool off;
		uint64_t rate, burst;

		err[0] = '\0';
		assert_int_equal(budget_parse(bad[i], &off, &rate, &burst, err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "--cgroup-budget"));
	}
}

/* The arithmetic of budget.c's comment and docs/limits.md, for the default ring. */
static void test_budget_size_default_ring(void **state)
{
	struct budget b;

	(void)state;
	budget_size(8u << 20, false, 0, 0, &b);
	assert_int_equal(b.slots, 4443);
	assert_int_equal(b.rate, 69);
	assert_int_equal(b.burst, 138);
	assert_int_equal(b.quiet, 8);
	assert_int_equal(b.reserve_bytes, 4u << 20);
	assert_int_equal(b.step_ns, 1000000000 / 69);
	assert_int_equal(b.burst_ns, 138 * b.step_ns);
	assert_int_equal(b.quiet_ns, 8 * b.step_ns);
	/* BUDGET_FLOODERS cgroups entering the reserve at once fill half of it at most */
	assert_true(BUDGET_FLOODERS * b.quiet <= b.slots / 4);
}

static void test_budget_size_scales_and_has_floors(void **state)
{
	struct budget small, big, given, off;

	(void)state;
	budget_size(4096, false, 0, 0, &small);
	assert_int_equal(small.rate, BUDGET_MIN_RATE);
	assert_int_equal(small.burst, BUDGET_MIN_BURST);
	assert_int_equal(small.quiet, 1);
	budget_size(64u << 20, false, 0, 0, &big);	/* scales with the ring */
	assert_int_equal(big.slots, 35544);
	assert_int_equal(big.rate, 555);
	assert_int_equal(big.burst, 1110);
	assert_int_equal(big.quiet, 69);
	budget_size(8u << 20, false, 1000, 5, &given);
	assert_int_equal(given.rate, 1000);
	assert_int_equal(given.burst, 5);
	assert_int_equal(given.quiet, 5);	/* never more than the burst */
	assert_int_equal(given.step_ns, 1000000);
	budget_size(8u << 20, true, 0, 0, &off);
	assert_true(off.off);
	assert_int_equal(off.step_ns, 0);	/* the kernel's "no budget" */
	assert_int_equal(off.reserve_bytes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_parse_accepts_the_grammar),
		cmocka_unit_test(test_budget_parse_rejects_with_a_reason),
		cmocka_unit_test(test_budget_size_default_ring),
		cmocka_unit_test(test_budget_size_scales_and_has_floors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
