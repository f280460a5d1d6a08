/* The virtual local APIC's register model (SDM Vol. 3A chapter 11; sections in hv/vlapic.h). */
#include "hv/vlapic.h"
#include "hv/string.h"
#include "pmu/vpmu/pmu_msr.h"        /* LVT_MASKED, LVT_DELIVERY_*: the LVTPC layout, defined once */

#define LVT_DELIVERY_STATUS (1u << 12)   /* read-only: we deliver at once, so it reads 0 (idle) */
#define LVT_REMOTE_IRR      (1u << 14)   /* read-only, LINT0/1 (level-triggered only) */

/* Bits a write stores, per LVT (Figure 11-8): vector 7:0, delivery mode 10:8 (not timer or
 * error), polarity 13 and trigger mode 15 (LINT only), mask 16, timer mode 18:17 (timer). */
static const uint32_t lvt_writable[VLAPIC_NLVT] = {
    [VLAPIC_LVT_TIMER] = 0x700FF,
    [VLAPIC_LVT_THERMAL] = 0x107FF,
    [VLAPIC_LVT_PMC] = 0x107FF,
    [VLAPIC_LVT_LINT0] = 0x1A7FF,
    [VLAPIC_LVT_LINT1] = 0x1A7FF,
    [VLAPIC_LVT_ERROR] = 0x100FF,
};

#define TPR_WRITABLE    0xFFu
#define SVR_WRITABLE    0x3FFu          /* vector, APIC enable, focus checking (no effect) */
#define ICR_LO_WRITABLE 0xCCFFFu        /* vector, mode, dest mode, level, trigger, shorthand */
#define ICR_DELIVERY_STATUS (1u << 12)  /* xAPIC only; reserved in x2APIC (Figure 11-13) */
#define XAPIC_DEST_MASK 0xFF000000u     /* ICR high, LDR: bits 31:24 */
#define DFR_WRITABLE    0xF0000000u     /* model; bits 27:0 read as ones */
#define DCR_WRITABLE    0xBu            /* divide value bits 0, 1, 3 */

#define ICR_VECTOR(lo)      ((lo) & 0xFFu)
#define ICR_MODE(lo)        ((lo) & LVT_DELIVERY_MASK)   /* same encoding as the LVTs */
#define ICR_LOGICAL         (1u << 11)
#define ICR_SHORTHAND(lo)   (((lo) >> 18) & 3u)
enum { SH_NONE, SH_SELF, SH_ALL_INCL_SELF, SH_ALL_EXCL_SELF };

/* What a register access did, before the interface (MMIO or MSR) turns it into a result. */
enum { REG_OK = 0, REG_NONE = -1, REG_DENIED = -2, REG_RESERVED_BITS = -3 };

static int enabled(const struct vlapic *a) { return (a->svr & APIC_SVR_ENABLE) != 0; }

static int test_bit(const uint32_t *v, int n) { return (v[n >> 5] >> (n & 31)) & 1; }
static void set_bit(uint32_t *v, int n) { v[n >> 5] |= 1u << (n & 31); }
static void clear_bit(uint32_t *v, int n) { v[n >> 5] &= ~(1u << (n & 31)); }

/* The highest vector set in a 256-bit register, or -1. */
static int highest(const uint32_t *v)
{
    for (int w = 7; w >= 0; w--)
        if (v[w])
            return w * 32 + 31 - __builtin_clz(v[w]);
    return -1;
}

/* The register state after RESET (11.4.7.1), for the mode the caller then sets. */
static void reset_registers(struct vlapic *a)
{
    uint32_t id = a->id;
    uint64_t base = a->base;
    void (*level_eoi)(void *, int) = a->level_eoi;
    void *level_eoi_ctx = a->level_eoi_ctx;

    memset(a, 0, sizeof(*a));
    a->id = id;
    a->base = base;
    a->level_eoi = level_eoi;
    a->level_eoi_ctx = level_eoi_ctx;
    a->svr = 0xFF;
    a->dfr = 0xFFFFFFFF;
    for (int i = 0; i < VLAPIC_NLVT; i++)
        a->lvt[i] = LVT_MASKED;
}

void vlapic_init(struct vlapic *a, uint32_t apic_id)
{
    a->id = apic_id;
    a->base = APIC_BASE_DEFAULT | (apic_id == 0 ? APIC_BASE_BSP : 0);
    reset_registers(a);
}

#define APIC_BASE_RESERVED  0x2FFull    /* bits 7:0 and 9 (Figure 11-5) */

uint64_t vlapic_base_read(const struct vlapic *a)
{
    return a->base | (a->disabled ? 0 : APIC_BASE_EN) | (a->x2apic ? APIC_BASE_EXTD : 0);
}

int vlapic_base_write(struct vlapic *a, uint64_t value)
{
    int en = (value & APIC_BASE_EN) != 0, extd = (value & APIC_BASE_EXTD) != 0;

    if ((value & APIC_BASE_RESERVED) || (value & ~(APIC_BASE_EN | APIC_BASE_EXTD)) != a->base)
        return -1;                              /* reserved bits; a move or BSP change */
    if (!en && extd)
        return -1;                              /* the invalid state (EN=0, EXTD=1) */
    if (en && !a->disabled && a->x2apic && !extd)
        return -1;                              /* x2APIC -> xAPIC: disable in between */
    if (en && a->disabled && extd)
        return -1;                              /* disabled -> x2APIC: xAPIC in between */
    if (!en) {
        if (!a->disabled)                       /* a global disable resets the APIC */
            reset_registers(a);
        a->disabled = 1;
        return 0;
    }
    a->disabled = 0;
    if (extd && !a->x2apic)
        vlapic_set_x2apic(a, 1);
    return 0;
}

int vlapic_xapic_mode(const struct vlapic *a)
{
    return !a->disabled && !a->x2apic;
}

uint32_t vlapic_ppr(const struct vlapic *a)
{
    int isrv = highest(a->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
    return (a->tpr & 0xF0) >= isr_class ? a->tpr & 0xFF : isr_class;
}

/* An error the APIC detected: latched at the next ESR write, and an interrupt through the LVT
 * error entry if it is unmasked (11.5.3: "errors are collected regardless of the mask"). */
static void log_error(struct vlapic *a, uint32_t bits)
{
    uint32_t lvt = a->lvt[VLAPIC_LVT_ERROR];
    a->esr_pending |= bits;
    if (!(lvt & LVT_MASKED) && enabled(a) && (lvt & LVT_VECTOR_MASK) >= 16)
        set_bit(a->irr, (int)(lvt & LVT_VECTOR_MASK));
}

/* A fixed interrupt arrives: vectors 0-15 are illegal and never reach the IRR (11.5.3 bit 6);
 * a software-disabled APIC does not accept fixed interrupts. */
static int accept_fixed(struct vlapic *a, uint32_t vec)
{
    if (vec < 16) {
        log_error(a, APIC_ESR_RECV_ILLEGAL_VECTOR);
        return 0;
    }
    if (!enabled(a))
        return 0;
    set_bit(a->irr, (int)vec);
    return 1;
}

int vlapic_local_fixed(struct vlapic *a, enum vlapic_lvt lvt)
{
    uint32_t e = a->lvt[lvt];

    if ((e & LVT_MASKED) || !enabled(a))
        return 0;
    return accept_fixed(a, e & LVT_VECTOR_MASK);
}

int vlapic_deliver(struct vlapic *a, int vec, int level)
{
    if (!accept_fixed(a, (uint32_t)vec & 0xFF))
        return 0;
    if (level)
        set_bit(a->tmr, vec);
    else
        clear_bit(a->tmr, vec);
    return 1;
}

/* 11.8.5: the EOI of a level-triggered vector (TMR set) is broadcast to the I/O APICs. */
static void eoi(struct vlapic *a)
{
    int v = highest(a->isr);
    if (v < 0)
        return;
    clear_bit(a->isr, v);
    if (test_bit(a->tmr, v)) {
        clear_bit(a->tmr, v);
        if (a->level_eoi)
            a->level_eoi(a->level_eoi_ctx, v);
    }
}

/* An IPI from the ICR: only those this vCPU sends to itself are delivered. */
static void send_ipi(struct vlapic *a)
{
    uint32_t lo = a->icr_lo, dest = a->x2apic ? a->icr_hi : a->icr_hi >> 24;
    uint32_t bcast = a->x2apic ? 0xFFFFFFFFu : 0xFFu, sh = ICR_SHORTHAND(lo);
    int self = sh == SH_SELF || sh == SH_ALL_INCL_SELF ||
               (sh == SH_NONE && !(lo & ICR_LOGICAL) && (dest == a->id || dest == bcast));

    if (!self || (ICR_MODE(lo) != LVT_DELIVERY_FIXED && ICR_MODE(lo) != LVT_DELIVERY_NMI)) {
        a->ipi_dropped++;
        return;
    }
    if (ICR_MODE(lo) == LVT_DELIVERY_NMI)
        a->nmi_pending = 1;
    else if (ICR_VECTOR(lo) < 16)
        log_error(a, APIC_ESR_SEND_ILLEGAL_VECTOR);    /* 11.5.3 bit 5 */
    else
        accept_fixed(a, ICR_VECTOR(lo));
}

/* A write of the bits in `writable`; in x2APIC mode any other bit set, except the read-only
 * ones in `ro`, is a reserved bit and #GP (11.12.1.3). */
static int store(struct vlapic *a, uint32_t *reg, uint32_t v, uint32_t writable, uint32_t ro)
{
    if (a->x2apic && (v & ~(writable | ro)))
        return REG_RESERVED_BITS;
    *reg = v & writable;
    return REG_OK;
}

static int lvt_index(uint32_t off)
{
    return off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR ? (int)((off - APIC_LVT_TIMER) >> 4) : -1;
}

static int reg_read(struct vlapic *a, uint32_t off, uint32_t *v, uint64_t now)
{
    int lvt = lvt_index(off);

    if (lvt >= 0) {
        *v = a->lvt[lvt];
        return REG_OK;
    }
    if (off >= APIC_ISR0 && off < APIC_ISR0 + 0x80) {
        *v = a->isr[(off - APIC_ISR0) >> 4];
        return REG_OK;
    }
    if (off >= APIC_IRR0 && off < APIC_IRR0 + 0x80) {
        *v = a->irr[(off - APIC_IRR0) >> 4];
        return REG_OK;
    }
    if (off >= APIC_TMR0 && off < APIC_TMR0 + 0x80) {
        *v = a->tmr[(off - APIC_TMR0) >> 4];    /* level: only from the I/O APIC */
        return REG_OK;
    }
    switch (off) {
    case APIC_ID:       *v = a->x2apic ? a->id : a->id << 24; break;
    case APIC_VERSION:  *v = APIC_VERSION_ID | APIC_MAX_LVT << 16; break;
    case APIC_TPR:      *v = a->tpr; break;
    case APIC_PPR:      *v = vlapic_ppr(a); break;
    case APIC_LDR:      *v = a->ldr; break;
    case APIC_SVR:      *v = a->svr; break;
    case APIC_ESR:      *v = a->esr; break;
    case APIC_ICR_LO:   *v = a->icr_lo; break;              /* delivery status: idle */
    case APIC_TIMER_ICR: *v = a->timer_icr; break;
    case APIC_TIMER_CCR: *v = vlapic_timer_ccr(a, now); break;
    case APIC_TIMER_DCR: *v = a->timer_dcr; break;
    case APIC_EOI:
    case APIC_SELF_IPI:
        return a->x2apic || off == APIC_EOI ? REG_DENIED : REG_NONE;   /* write-only */
    case APIC_APR:
    case APIC_RRD:
    case APIC_DFR:
    case APIC_ICR_HI:                           /* xAPIC only (Table 11-6) */
        if (a->x2apic)
            return REG_NONE;
        *v = off == APIC_DFR ? a->dfr | ~DFR_WRITABLE : off == APIC_ICR_HI ? a->icr_hi : 0;
        break;
    default:
        return REG_NONE;
    }
    return REG_OK;
}

static int reg_write(struct vlapic *a, uint32_t off, uint32_t v, uint64_t now)
{
    int lvt = lvt_index(off), r;
    uint32_t old;

    if (lvt >= 0) {
        uint32_t ro = LVT_DELIVERY_STATUS | (lvt == VLAPIC_LVT_LINT0 || lvt == VLAPIC_LVT_LINT1 ?
                                             LVT_REMOTE_IRR : 0);
        old = a->lvt[lvt];
        r = store(a, &a->lvt[lvt], v, lvt_writable[lvt], ro);
        if (!enabled(a))
            a->lvt[lvt] |= LVT_MASKED;          /* cannot be unmasked while disabled (11.4.7.2) */
        if (r == REG_OK && lvt == VLAPIC_LVT_TIMER)
            vlapic_timer_lvt_written(a, old, now);
        return r;
    }
    switch (off) {
    case APIC_TPR:      return store(a, &a->tpr, v, TPR_WRITABLE, 0);
    case APIC_TIMER_ICR:
        if (APIC_LVT_TIMER_MODE(a->lvt[VLAPIC_LVT_TIMER]) == APIC_TIMER_TSC_DEADLINE)
            return REG_OK;                      /* ignored in TSC-deadline mode (11.5.4.1) */
        r = store(a, &a->timer_icr, v, ~0u, 0);
        vlapic_timer_icr_written(a, now);
        return r;
    case APIC_TIMER_DCR:
        old = a->timer_dcr;
        r = store(a, &a->timer_dcr, v, DCR_WRITABLE, 0);
        if (r == REG_OK)
            vlapic_timer_dcr_written(a, old, now);
        return r;
    case APIC_SVR:
        r = store(a, &a->svr, v, SVR_WRITABLE, 0);
        if (!enabled(a))
            for (int i = 0; i < VLAPIC_NLVT; i++)
                a->lvt[i] |= LVT_MASKED;
        return r;
    case APIC_EOI:
        if (a->x2apic && v)
            return REG_RESERVED_BITS;           /* "WRMSR of a non-zero value causes #GP(0)" */
        eoi(a);
        return REG_OK;
    case APIC_ESR:
        if (a->x2apic && v)
            return REG_RESERVED_BITS;
        a->esr = a->esr_pending;                /* latch what was logged since the last write */
        a->esr_pending = 0;
        return REG_OK;
    case APIC_ICR_LO:                           /* x2APIC: msr_write sets icr_hi first */
        r = store(a, &a->icr_lo, v, ICR_LO_WRITABLE, a->x2apic ? 0 : ICR_DELIVERY_STATUS);
        if (r == REG_OK)
            send_ipi(a);
        return r;
    case APIC_SELF_IPI:
        if (!a->x2apic)
            return REG_NONE;
        if (v & ~0xFFu)
            return REG_RESERVED_BITS;
        if (v < 16)
            log_error(a, APIC_ESR_SEND_ILLEGAL_VECTOR);
        else
            accept_fixed(a, v);
        return REG_OK;
    case APIC_ICR_HI:
    case APIC_LDR:
    case APIC_DFR:
        if (a->x2apic)                          /* LDR read-only, the others absent */
            return off == APIC_LDR ? REG_DENIED : REG_NONE;
        if (off == APIC_ICR_HI)
            return store(a, &a->icr_hi, v, XAPIC_DEST_MASK, 0);
        return off == APIC_LDR ? store(a, &a->ldr, v, XAPIC_DEST_MASK, 0)
                               : store(a, &a->dfr, v, DFR_WRITABLE, 0);
    case APIC_APR:
    case APIC_RRD:
        return a->x2apic ? REG_NONE : REG_DENIED;
    default: {
        uint32_t dummy;                         /* read-only if readable, else reserved */
        return reg_read(a, off, &dummy, now) == REG_NONE ? REG_NONE : REG_DENIED;
    }
    }
}

static int mmio_ok(const struct vlapic *a, uint32_t off)
{
    return vlapic_xapic_mode(a) && off < 0x1000 && (off & 0xF) == 0;
}

#define CR8_TPR_SHIFT 4              /* CR8[3:0] <-> TPR[7:4] (11.8.6.5) */
#define CR8_VALID     0xFull

uint64_t vlapic_cr8_read(const struct vlapic *a)
{
    return (a->tpr >> CR8_TPR_SHIFT) & CR8_VALID;
}

int vlapic_cr8_write(struct vlapic *a, uint64_t cr8)
{
    if (cr8 & ~CR8_VALID)
        return -1;
    a->tpr = (uint32_t)cr8 << CR8_TPR_SHIFT;
    return 0;
}

int vlapic_mmio_read(struct vlapic *a, uint32_t offset, uint32_t *val, uint64_t now)
{
    if (!mmio_ok(a, offset))
        return -1;
    vlapic_timer_update(a, now);                /* what is due fires before the access */
    switch (reg_read(a, offset, val, now)) {
    case REG_OK:
        return 0;
    case REG_NONE:
        log_error(a, APIC_ESR_ILLEGAL_REGISTER);
        /* fall through */
    default:
        *val = 0;
        return 0;
    }
}

int vlapic_mmio_write(struct vlapic *a, uint32_t offset, uint32_t val, uint64_t now)
{
    if (!mmio_ok(a, offset))
        return -1;
    vlapic_timer_update(a, now);
    if (reg_write(a, offset, val, now) == REG_NONE)
        log_error(a, APIC_ESR_ILLEGAL_REGISTER);
    return 0;
}

static int msr_offset(const struct vlapic *a, uint32_t msr, uint32_t *off)
{
    if (!a->x2apic || msr < X2APIC_MSR_BASE || msr > X2APIC_MSR_LAST)
        return -1;
    *off = (msr - X2APIC_MSR_BASE) << 4;
    return 0;
}

int vlapic_msr_read(struct vlapic *a, uint32_t msr, uint64_t *val, uint64_t now)
{
    uint32_t off, lo;

    if (msr_offset(a, msr, &off))
        return -1;
    vlapic_timer_update(a, now);
    if (reg_read(a, off, &lo, now) != REG_OK)
        return -1;
    *val = lo;
    if (off == APIC_ICR_LO)
        *val |= (uint64_t)a->icr_hi << 32;
    return 0;
}

int vlapic_msr_write(struct vlapic *a, uint32_t msr, uint64_t val, uint64_t now)
{
    uint32_t off, old_hi;

    if (msr_offset(a, msr, &off))
        return -1;
    vlapic_timer_update(a, now);
    if (off != APIC_ICR_LO)
        return (val >> 32) || reg_write(a, off, (uint32_t)val, now) != REG_OK ? -1 : 0;
    old_hi = a->icr_hi;                         /* the one 64-bit register: destination first */
    a->icr_hi = (uint32_t)(val >> 32);
    if (reg_write(a, off, (uint32_t)val, now) != REG_OK) {
        a->icr_hi = old_hi;
        return -1;
    }
    return 0;
}

void vlapic_set_x2apic(struct vlapic *a, int on)
{
    a->x2apic = !!on;
    if (on)     /* logical x2APIC ID: cluster ID[19:4] << 16 | 1 << ID[3:0] (11.12.10.2) */
        a->ldr = ((a->id >> 4) & 0xFFFF) << 16 | 1u << (a->id & 0xF);
}

int vlapic_pmi(struct vlapic *a)
{
    uint32_t lvt = a->lvt[VLAPIC_LVT_PMC];

    if ((lvt & LVT_MASKED) || !enabled(a))
        return 0;
    switch (lvt & LVT_DELIVERY_MASK) {
    case LVT_DELIVERY_FIXED:
        if (!accept_fixed(a, lvt & LVT_VECTOR_MASK))
            return 0;
        break;
    case LVT_DELIVERY_NMI:
        a->nmi_pending = 1;
        break;
    default:                                    /* SMI, INIT, ExtINT: not modelled */
        return 0;
    }
    a->lvt[VLAPIC_LVT_PMC] |= LVT_MASKED;
    return 1;
}

int vlapic_pending(const struct vlapic *a, int *vec)
{
    int v = highest(a->irr);

    if (v < 0 || ((uint32_t)v & 0xF0) <= (vlapic_ppr(a) & 0xF0))
        return 0;
    *vec = v;
    return 1;
}

void vlapic_accept(struct vlapic *a, int vec)
{
    if (vec < 0 || vec > 255 || !test_bit(a->irr, vec))
        return;
    clear_bit(a->irr, vec);
    set_bit(a->isr, vec);
}

int vlapic_take_nmi(struct vlapic *a)
{
    int p = a->nmi_pending;
    a->nmi_pending = 0;
    return p;
}
