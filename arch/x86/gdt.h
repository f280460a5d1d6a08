#ifndef ARCH_X86_GDT_H
#define ARCH_X86_GDT_H

#include <stdint.h>

#define GDT_SEL_CODE 0x08   /* 64-bit code, DPL 0 */
#define GDT_SEL_DATA 0x10   /* data, DPL 0 */
#define GDT_SEL_TSS  0x18   /* 64-bit TSS (16-byte descriptor) */

void gdt_init(void);
uint64_t gdt_base(void);
uint64_t tss_base(void);

#endif
