/* A Linux kernel's task layout from its BTF (profiler/linux_btf.c), on BTF built here with
 * libbpf in the shapes the kernels have: 6.1's per-CPU current_task and 6.2's pcpu_hot, the
 * fields of task_struct, pt_regs and mm_struct (whose fields 6.1 keeps in an anonymous struct). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <cmocka.h>

#include "linux_btf.h"

#define PERCPU_VAR_OFF 0x1fb80

/* task_struct {int pid @0x970; int tgid @0x974; char comm[16] @0xba0; void *stack @0x20;
 * void *mm @0x8e0}, pt_regs (0xa8 bytes: bp @0x20, ip @0x80, cs @0x88), mm_struct { struct {
 * unsigned long saved_auxv[48] @0x158 } }, and the per-CPU current task as 6.1 (hot = 0) or
 * 6.2 (hot = 1: pcpu_hot.current_task at 0x10 in struct pcpu_hot) has it. */
static struct btf *kernel_btf(int hot, int with_mm)
{
	struct btf *b = btf__new_empty();
	assert_non_null(b);
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int u8 = btf__add_int(b, "char", 1, 0);
	int ul = btf__add_int(b, "long unsigned int", 8, 0);
	int ptr = btf__add_ptr(b, 0);
	int comm = btf__add_array(b, i32, u8, 16);
	int ts = btf__add_struct(b, "task_struct", 0x1000);
	assert_true(ts > 0);
	btf__add_field(b, "stack", ptr, 0x20 * 8, 0);
	btf__add_field(b, "mm", ptr, 0x8e0 * 8, 0);
	btf__add_field(b, "pid", i32, 0x970 * 8, 0);
	btf__add_field(b, "tgid", i32, 0x974 * 8, 0);
	btf__add_field(b, "comm", comm, 0xba0 * 8, 0);
	btf__add_struct(b, "pt_regs", 0xa8);
	btf__add_field(b, "bp", ul, 0x20 * 8, 0);
	btf__add_field(b, "ip", ul, 0x80 * 8, 0);
	btf__add_field(b, "cs", ul, 0x88 * 8, 0);
	if (with_mm) {
		int auxv = btf__add_array(b, i32, ul, 48);
		int anon = btf__add_struct(b, NULL, 0x800);
		btf__add_field(b, "saved_auxv", auxv, 0x158 * 8, 0);
		btf__add_struct(b, "mm_struct", 0x900);
		btf__add_field(b, NULL, anon, 0, 0);
	}
	int var;
	if (hot) {
		int ph = btf__add_struct(b, "pcpu_hot", 64);
		btf__add_field(b, "preempt_count", i32, 0, 0);
		btf__add_field(b, "current_task", ptr, 0x10 * 8, 0);
		var = btf__add_var(b, "pcpu_hot", BTF_VAR_GLOBAL_ALLOCATED, ph);
	} else {
		var = btf__add_var(b, "current_task", BTF_VAR_GLOBAL_ALLOCATED, ptr);
	}
	int other = btf__add_var(b, "irq_stack_ptr", BTF_VAR_GLOBAL_ALLOCATED, ptr);
	assert_true(btf__add_datasec(b, ".data..percpu", 0x30000) > 0);
	assert_int_equal(btf__add_datasec_var_info(b, other, 0x100, 8), 0);
	assert_int_equal(btf__add_datasec_var_info(b, var, PERCPU_VAR_OFF, hot ? 64 : 8), 0);
	return b;
}

static int layout_of(struct btf *b, struct linux_layout *lo, char *why, size_t wl)
{
	uint32_t size;
	const void *raw = btf__raw_data(b, &size);
	assert_non_null(raw);
	return linux_layout_from_btf(raw, size, lo, why, wl);
}

static void kernel_6_1_current_task(void **state)
{
	(void)state;
	struct btf *b = kernel_btf(0, 1);
	struct linux_layout lo;
	char why[256] = "";
	assert_int_equal(layout_of(b, &lo, why, sizeof(why)), 0);
	assert_true(lo.current_task == PERCPU_VAR_OFF);
	assert_int_equal(lo.pid, 0x970);
	assert_int_equal(lo.tgid, 0x974);
	assert_int_equal(lo.comm, 0xba0);
	assert_int_equal(lo.regs_valid, 1);
	assert_int_equal(lo.regs_size, 0xa8);
	assert_int_equal(lo.regs_ip, 0x80);
	assert_int_equal(lo.mm_valid, 1);
	assert_int_equal(lo.mm, 0x8e0);
	assert_int_equal(lo.saved_auxv, 0x158);   /* inside mm_struct's anonymous struct */
	assert_int_equal(lo.auxv_words, 48);
	char *key = linux_layout_key(&lo);
	assert_string_equal(key, "perfvisor.lxtask=0x1fb80,0x970,0x974,0xba0 perfvisor.lxregs=0x20,0xa8,0x80,0x20,0x88 "
				 "perfvisor.lxmm=0x8e0,0x158,48");
	free(key);
	btf__free(b);
}

/* 6.2 and later: the current task is pcpu_hot.current_task. */
static void kernel_6_2_pcpu_hot(void **state)
{
	(void)state;
	struct btf *b = kernel_btf(1, 1);
	struct linux_layout lo;
	char why[256] = "";
	assert_int_equal(layout_of(b, &lo, why, sizeof(why)), 0);
	assert_true(lo.current_task == PERCPU_VAR_OFF + 0x10);
	btf__free(b);
}

/* Without mm_struct's saved_auxv the task layout stands, without the executable's part. */
static void no_saved_auxv(void **state)
{
	(void)state;
	struct btf *b = kernel_btf(0, 0);
	struct linux_layout lo;
	char why[256] = "";
	assert_int_equal(layout_of(b, &lo, why, sizeof(why)), 0);
	assert_int_equal(lo.mm_valid, 0);
	char *key = linux_layout_key(&lo);
	assert_null(strstr(key, "lxmm"));
	free(key);
	btf__free(b);
}

static void garbage_is_refused(void **state)
{
	(void)state;
	struct linux_layout lo;
	char why[256] = "";
	uint8_t junk[64];
	memset(junk, 0x5a, sizeof(junk));
	assert_int_equal(linux_layout_from_btf(junk, sizeof(junk), &lo, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "does not parse"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_6_1_current_task),
		cmocka_unit_test(kernel_6_2_pcpu_hot),
		cmocka_unit_test(no_saved_auxv),
		cmocka_unit_test(garbage_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
