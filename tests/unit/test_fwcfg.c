/* hv/fwcfg.c: QEMU's fw_cfg device, traditional port interface (QEMU docs/specs/fw_cfg.rst). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/fwcfg.h"

static struct fwcfg f;

static int setup(void **state)
{
    (void)state;
    memset(&f, 0x5A, sizeof(f));
    fwcfg_init(&f, 32ull << 20, 1);
    return 0;
}

/* Selects key and reads n bytes, little-endian, into a number. */
static uint64_t item(uint16_t key, int n)
{
    uint64_t v = 0;
    fwcfg_select(&f, key);
    for (int i = 0; i < n; i++)
        v |= (uint64_t)fwcfg_read(&f) << (8 * i);
    return v;
}

/* Key 0000H: the signature "QEMU", and 0 past its end. */
static void test_signature(void **state)
{
    (void)state;
    char sig[6];
    fwcfg_select(&f, FWCFG_SIGNATURE);
    for (int i = 0; i < 6; i++)
        sig[i] = (char)fwcfg_read(&f);
    assert_memory_equal(sig, "QEMU\0\0", 6);
}

/* Key 0001H: the interface ID, bit 0 (traditional) only: no DMA interface. */
static void test_id_traditional_only(void **state)
{
    (void)state;
    assert_int_equal(item(FWCFG_ID, 4), FWCFG_ID_TRADITIONAL);
}

/* RAM size (64-bit), CPU count and maximum (16-bit), little-endian. */
static void test_machine_items(void **state)
{
    (void)state;
    assert_int_equal(item(FWCFG_RAM_SIZE, 8), 32ull << 20);
    assert_int_equal(item(FWCFG_NB_CPUS, 2), 1);
    assert_int_equal(item(FWCFG_MAX_CPUS, 2), 1);
    fwcfg_init(&f, 3ull << 30, 1);
    assert_int_equal(item(FWCFG_RAM_SIZE, 8), 3ull << 30);
}

/* Writing the selector rewinds the data offset to 0. */
static void test_select_rewinds(void **state)
{
    (void)state;
    fwcfg_select(&f, FWCFG_SIGNATURE);
    assert_int_equal(fwcfg_read(&f), 'Q');
    assert_int_equal(fwcfg_read(&f), 'E');
    fwcfg_select(&f, FWCFG_SIGNATURE);
    assert_int_equal(fwcfg_read(&f), 'Q');
}

/* Unknown items (file directory, kernel, arch-local 8000H+) read 0; bit 14 (write channel)
 * still selects the item to read. */
static void test_unknown_keys_read_zero(void **state)
{
    (void)state;
    assert_int_equal(item(0x0019, 8), 0);        /* FW_CFG_FILE_DIR: no files */
    assert_int_equal(item(0x0008, 8), 0);        /* FW_CFG_KERNEL_SIZE */
    assert_int_equal(item(0x8000, 8), 0);
    assert_int_equal(item(0x8003, 8), 0);
    assert_int_equal(item(0xFFFF, 8), 0);
    assert_int_equal(item(0x4000 | FWCFG_NB_CPUS, 2), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_signature, setup),
        cmocka_unit_test_setup(test_id_traditional_only, setup),
        cmocka_unit_test_setup(test_machine_items, setup),
        cmocka_unit_test_setup(test_select_rewinds, setup),
        cmocka_unit_test_setup(test_unknown_keys_read_zero, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
