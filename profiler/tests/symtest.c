/* A tiny static ELF executable with debug info for test_symbols (built by profiler.mk with
 * -g -O0 -static -nostdlib): functions at link addresses, line numbers known to the test. */
int symtest_counter;

int symtest_leaf(int x)
{
	symtest_counter += x; /* SYMTEST_LEAF_LINE */
	return symtest_counter;
}

void symtest_entry(void)
{
	for (;;)
		symtest_leaf(1);
}
