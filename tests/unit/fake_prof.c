/* pmu/sampling/prof.h and arch_guest_read as hv/domain.c and hv/hypercall.c see them: recorders, and
 * a small identity-mapped guest memory. */
#include <string.h>

#include "hv/arch.h"
#include "pmu/sampling/prof.h"
#include "tests/unit/fakes.h"

struct prof_name_call prof_name_seen;
struct prof_end_call prof_end_seen;
struct guest_read_call guest_read_seen;
uint8_t fake_guest_mem[4096];
uint64_t fake_guest_base;

void prof_fake_reset(void)
{
    memset(&prof_name_seen, 0, sizeof(prof_name_seen));
    memset(&prof_end_seen, 0, sizeof(prof_end_seen));
    memset(&guest_read_seen, 0, sizeof(guest_read_seen));
    memset(fake_guest_mem, 0, sizeof(fake_guest_mem));
    fake_guest_base = 0x10000;
}

int prof_name_process(struct domain *d, uint64_t cr3, const char *name, uint32_t len)
{
    prof_name_seen.calls++;
    prof_name_seen.d = d;
    prof_name_seen.cr3 = cr3;
    prof_name_seen.len = len;
    if (len > sizeof(prof_name_seen.name) - 1)
        len = sizeof(prof_name_seen.name) - 1;
    memcpy(prof_name_seen.name, name, len);
    prof_name_seen.name[len] = '\0';
    return prof_name_seen.ret;
}

void prof_domain_end(struct domain *d)
{
    prof_end_seen.calls++;
    prof_end_seen.d = d;
}

int arch_guest_read(struct vcpu *v, uint64_t gva, void *buf, uint64_t len)
{
    guest_read_seen.calls++;
    guest_read_seen.v = v;
    guest_read_seen.gva = gva;
    guest_read_seen.len = len;
    if (gva < fake_guest_base || gva - fake_guest_base > sizeof(fake_guest_mem) ||
        len > sizeof(fake_guest_mem) - (gva - fake_guest_base))
        return -1;
    memcpy(buf, fake_guest_mem + (gva - fake_guest_base), len);
    return 0;
}
