/* The hypervisor's final GDT, with the 64-bit TSS that VM exits need (SDM Vol. 3C 26.2.3:
 * the host TR selector must not be null). */
#include "arch/x86/gdt.h"
#include "arch/x86/cpu.h"

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes (SDM 8.7)");

static struct tss64 tss __attribute__((aligned(16)));
static uint64_t gdt[5] __attribute__((aligned(16)));

#define DESC_CODE64 0x00AF9A000000FFFFull  /* present, DPL 0, code exec/read, L=1 */
#define DESC_DATA   0x00CF92000000FFFFull  /* present, DPL 0, data read/write, 4 GiB */
#define TSS_TYPE_AVAILABLE 0x89ull         /* present, 64-bit TSS available */

void gdt_init(void)
{
    uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;

    tss.iomap_base = sizeof(tss);       /* no I/O permission bitmap */
    gdt[0] = 0;
    gdt[1] = DESC_CODE64;
    gdt[2] = DESC_DATA;
    gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (TSS_TYPE_AVAILABLE << 40) |
             ((limit >> 16 & 0xF) << 48) | ((base >> 24 & 0xFF) << 56);
    gdt[4] = base >> 32;

    struct desc_ptr p = { sizeof(gdt) - 1, (uint64_t)gdt };
    __asm__ volatile(
        "lgdt %0\n\t"
        "mov %1, %%ds\n\t mov %1, %%es\n\t mov %1, %%ss\n\t"
        "pushq %2\n\t lea 1f(%%rip), %%rax\n\t pushq %%rax\n\t lretq\n"
        "1:\n\t"
        "ltr %w3"
        : : "m"(p), "r"((uint64_t)GDT_SEL_DATA), "i"(GDT_SEL_CODE), "r"(GDT_SEL_TSS)
        : "rax", "memory");
}

uint64_t gdt_base(void) { return (uint64_t)gdt; }
uint64_t tss_base(void) { return (uint64_t)&tss; }
