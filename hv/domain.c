/* Domain configuration, life cycle and console. */
#include "hv/domain.h"
#include "hv/cmdline.h"
#include "hv/printf.h"
#include "hv/string.h"
#include "pmu/sampling/prof.h"
#include "pmu/sampling/prof_linux.h"

#define DEFAULT_MEM_MIB 16
#define MIN_MEM_MIB     PV_MIN_MEM_MIB      /* include/perfvisor/limits.h */
#define MAX_MEM_MIB     PV_MAX_MEM_MIB

/* The module command line's keys that are perfvisor's, not the guest's: the guest's own copy of
 * the line has them removed, with every `perfvisor.`-prefixed token (docs/guests.md). */
static const char *const domain_keys[] = { "name", "mem", "budget", "vpmu", NULL };
#define DOMAIN_KEY_PREFIX "perfvisor."

struct domain domains[MAX_DOMAINS];
int ndomains;

int domain_configure(struct domain *d, int id, const char *cmdline, char *err, int errlen)
{
    uint64_t mem_mib = DEFAULT_MEM_MIB;
    int r;

    memset(d, 0, sizeof(*d));
    d->id = id;
    d->state = DOMAIN_RUNNING;
    d->vcpu.dom = d;
    d->vcpu.id = 0;
    cmdline_strip(cmdline, domain_keys, DOMAIN_KEY_PREFIX, d->cmdline, sizeof(d->cmdline));
    vuart_reset(&d->uart);
    if (!cmdline_get(cmdline, "name", d->name, sizeof(d->name)) || !d->name[0])
        hv_snprintf(d->name, sizeof(d->name), "dom%d", id);

    r = cmdline_get_u64(cmdline, "mem", &mem_mib);
    if (r < 0 || mem_mib < MIN_MEM_MIB || mem_mib > MAX_MEM_MIB) {
        hv_snprintf(err, errlen, "mem= must be a size in MiB between %d and %d",
                    MIN_MEM_MIB, MAX_MEM_MIB);
        return -1;
    }
    d->mem_size = ((mem_mib << 20) + (2 << 20) - 1) & ~((2ull << 20) - 1); /* whole 2 MiB pages */
    fwcfg_init(&d->fwcfg, d->mem_size, 1);
    legacy_init(&d->legacy);
    char mode[16] = "cpu-switch";
    cmdline_get(cmdline, "vpmu", mode, sizeof(mode));
    d->vpmu_enabled = strcmp(mode, "off") != 0;
    if (strcmp(mode, "off") && strcmp(mode, "cpu-switch") && strcmp(mode, "domain-switch")) {
        hv_snprintf(err, errlen, "vpmu= must be cpu-switch, domain-switch or off");
        return -1;
    }
    d->vpmu_mode = strcmp(mode, "domain-switch") ? VPMU_CPU_SWITCH : VPMU_DOMAIN_SWITCH;
    if (cmdline_get_u64(cmdline, "budget", &d->budget) < 0) {
        hv_snprintf(err, errlen, "budget= must be a number of TSC ticks");
        return -1;
    }
    if (prof_linux_configure(id, cmdline)) {
        hv_snprintf(err, errlen, "perfvisor.lxtask= (four numbers), lxregs= (five) or lxmm= (three) is malformed");
        return -1;
    }
    return 0;
}

uint64_t vcpu_hv_ticks(const struct vcpu *v)
{
    uint64_t t = v->export_ticks;
    for (int r = 0; r < HV_MAX_EXIT_REASONS; r++)
        t += v->exit_ticks[r];
    return t;
}

void *domain_gpa_ptr(struct domain *d, uint64_t gpa, uint64_t len)
{
    if (gpa > d->mem_size || len > d->mem_size - gpa)
        return NULL;
    return (void *)(uintptr_t)(d->mem_host + gpa);
}

void domain_console_line(struct domain *d, const char *line, int len)
{
    hv_printf("[%d:%s] %.*s\n", d->id, d->name, len, line);
}

void domain_console_cb(void *ctx, const char *line, int len)
{
    domain_console_line(ctx, line, len);
}

static void domain_finish(struct domain *d)
{
    vuart_flush(&d->uart, domain_console_cb, d);
    prof_domain_end(d);
}

void domain_exit(struct domain *d, int status, const char *how)
{
    if (d->state != DOMAIN_RUNNING)
        return;
    domain_finish(d);
    d->state = DOMAIN_EXITED;
    d->exit_status = status;
    hv_printf("perfvisor: domain %d (%s) exited with status %d%s\n", d->id, d->name, status, how);
}

void domain_halt(struct domain *d)
{
    if (d->state != DOMAIN_RUNNING)
        return;
    domain_finish(d);
    d->state = DOMAIN_EXITED;
    d->exit_status = 0;
    d->halted = 1;
    hv_printf("perfvisor: domain %d (%s) halted without an exit status (HLT with interrupts "
              "disabled; counted as status 0)\n", d->id, d->name);
}

void domain_stop(struct domain *d, const char *fmt, ...)
{
    va_list ap;
    if (d->state != DOMAIN_RUNNING)
        return;
    domain_finish(d);
    va_start(ap, fmt);
    hv_vsnprintf(d->stop_reason, sizeof(d->stop_reason), fmt, ap);
    va_end(ap);
    d->state = DOMAIN_STOPPED;
    hv_printf("perfvisor: domain %d (%s) stopped: %s\n", d->id, d->name, d->stop_reason);
}
