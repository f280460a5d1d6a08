/* legacy.c - the legacy PC ports a kernel probes at boot (hv/legacy_ports.h), used the way
 * Linux uses them: the 8259 PICs initialised (ICW1-4) and masked, the mask read back; the RTC
 * read through CMOS 70H/71H; the PIT's channel 2 through port 61H; and at the end, with
 * `reset=kbc` or `reset=cf9`, a reset request, which must end this domain only.
 * One "legacy: PASS/FAIL <rule>" line per check; exit status = the number of failures. */
#include "guest.h"
#include "check.h"



static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    if (!guest_start("legacy", magic, mbi))
        return 1;
    check_begin("legacy");

    /* 8259A: ICW1 (edge, cascade, ICW4), ICW2 (vector base), ICW3, ICW4 (8086 mode) on both,
     * as Linux's init_8259A does, then OCW1 masks everything but the cascade */
    outb(0x20, 0x11); outb(0x21, 0x30); outb(0x21, 0x04); outb(0x21, 0x01);
    outb(0xA0, 0x11); outb(0xA1, 0x38); outb(0xA1, 0x02); outb(0xA1, 0x01);
    outb(0x21, 0xFB);
    outb(0xA1, 0xFF);
    uint8_t m = inb(0x21), s = inb(0xA1);
    check(m == 0xFB && s == 0xFF, "pic-imr-reads-back", "master %x slave %x", m, s);
    outb(0x20, 0x0A);                            /* OCW3: read IRR */
    uint8_t irr = inb(0x20);
    outb(0x20, 0x0B);                            /* OCW3: read ISR */
    uint8_t isr = inb(0x20);
    check(irr == 0 && isr == 0, "pic-no-request-in-service", "irr %x isr %x", irr, isr);

    /* RTC: valid time (status D bit 7), no update in progress, BCD, a 2025 date */
    uint8_t d = cmos(0x0D), a = cmos(0x0A), b = cmos(0x0B);
    uint8_t year = cmos(0x09), month = cmos(0x08), day = cmos(0x07), century = cmos(0x32);
    check((d & 0x80) && !(a & 0x80) && !(b & 0x04), "rtc-status", "A %x B %x D %x", a, b, d);
    check(century == 0x20 && year == 0x25 && month == 0x01 && day == 0x01, "rtc-date",
          "%x%x-%x-%x", century, year, month, day);
    outb(0x70, 0x40);                            /* a CMOS RAM byte stores what is written */
    outb(0x71, 0x5A);
    check(cmos(0x40) == 0x5A, "cmos-ram", "read %x", cmos(0x40));

    /* PIT channel 2 gated through port 61H: OUT2 (bit 5) reads 1, a wait for it ends */
    outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
    outb(0x43, 0xB0);
    outb(0x42, 0xFF); outb(0x42, 0xFF);
    unsigned spins = 0;
    while (!(inb(0x61) & 0x20) && spins < 100000)
        spins++;
    check(spins < 100000, "pit-out2-expires", "still low after %u reads", spins);

    const char *reset = mb_opt("reset");
    int failures = check_summary();
    if (reset && !strcmp(reset, "kbc")) {
        printf("legacy: resetting through the keyboard controller (64H <- FEH)\n");
        uart_drain();
        outb(0x64, 0xFE);
    } else if (reset && !strcmp(reset, "cf9")) {
        printf("legacy: resetting through port CF9H (bit 2)\n");
        uart_drain();
        outb(0xCF9, 0x06);
    } else {
        return failures;
    }
    printf("legacy: still running after the reset request\n");
    return 100;
}
