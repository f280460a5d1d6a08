/* Finding the firmware's ACPI tables (see firmware.h); the walk itself is console_select.c's. */
#include "arch/x86/firmware.h"
#include "arch/x86/console_select.h"

#define EBDA_SEG_PTR 0x40E  /* BIOS data area: the EBDA's segment */

static const uint8_t *phys(uint64_t pa)
{
    return pa < (1ull << 32) ? (const uint8_t *)(uintptr_t)pa : 0;   /* identity-mapped 4 GiB */
}

static uint64_t loader_rsdp;
static const char *source = "nowhere";

const char *fw_acpi_source(void)
{
    return source;
}

void fw_set_rsdp(uint64_t pa)
{
    loader_rsdp = pa;
}

const uint8_t *fw_acpi_table(const char sig[4], uint32_t *len)
{
    const uint8_t *given = loader_rsdp ? acpi_rsdp_scan(phys(loader_rsdp), 20) : 0;
    if (given) {                       /* the signature and checksum of the loader's copy hold */
        source = "the loader's RSDP";
        return acpi_find(given, sig, phys, len);
    }
    source = "the BIOS area";
    uintptr_t bda = EBDA_SEG_PTR;
    __asm__("" : "+r"(bda));           /* a fixed low address: not an out-of-bounds object */
    uint64_t ebda = (uint64_t)*(const volatile uint16_t *)bda << 4;
    const uint8_t *rsdp = ebda >= 0x80000 && ebda < 0xA0000 ? acpi_rsdp_scan(phys(ebda), 1024) : 0;
    if (!rsdp)
        rsdp = acpi_rsdp_scan(phys(0xE0000), 0x20000);
    return rsdp ? acpi_find(rsdp, sig, phys, len) : 0;
}
