/* Legacy PC ports answered like absent or minimal hardware (see hv/legacy_ports.h). */
#include "hv/legacy_ports.h"
#include "hv/string.h"

/* MC146818 registers */
#define RTC_SECONDS     0x00
#define RTC_MINUTES     0x02
#define RTC_HOURS       0x04
#define RTC_DAY_OF_WEEK 0x06
#define RTC_DAY         0x07
#define RTC_MONTH       0x08
#define RTC_YEAR        0x09
#define RTC_STATUS_A    0x0A
#define RTC_STATUS_B    0x0B
#define RTC_STATUS_C    0x0C
#define RTC_STATUS_D    0x0D
#define RTC_CENTURY     0x32
#define RTC_A_UIP       0x80

void legacy_init(struct legacy_ports *lp)
{
    memset(lp, 0, sizeof(*lp));
    lp->pic[0].imr = lp->pic[1].imr = 0xFF;
    /* 2025-01-01 00:00:00, a Wednesday (day of week 1 = Sunday), BCD */
    lp->cmos[RTC_DAY_OF_WEEK] = 0x04;
    lp->cmos[RTC_DAY] = 0x01;
    lp->cmos[RTC_MONTH] = 0x01;
    lp->cmos[RTC_YEAR] = 0x25;
    lp->cmos[RTC_CENTURY] = 0x20;
    lp->cmos[RTC_STATUS_A] = 0x26;      /* 32.768 kHz time base, 1.024 kHz rate */
    lp->cmos[RTC_STATUS_B] = 0x02;      /* 24-hour, BCD */
    lp->cmos[RTC_STATUS_D] = 0x80;      /* VRT: valid RAM and time */
}

/* 8259A command port (A0 = 0): ICW1 (bit 4), OCW3 (bits 4:3 = 01), OCW2 (bits 4:3 = 00). */
static void pic_command(struct vpic *p, uint8_t v)
{
    if (v & 0x10) {                     /* ICW1: IMR cleared, ICW2 next */
        p->icw1 = v;
        p->icw_next = 2;
        p->imr = 0;
        p->read_isr = 0;
    } else if ((v & 0x18) == 0x08) {    /* OCW3 */
        if (v & 0x02)
            p->read_isr = v & 0x01;
        p->poll = (v >> 2) & 1;
    }                                   /* OCW2: nothing is in service */
}

/* 8259A data port (A0 = 1): the ICWs after ICW1, then OCW1 (the IMR). */
static void pic_data(struct vpic *p, uint8_t v)
{
    switch (p->icw_next) {
    case 2:
        p->vector_base = v & 0xF8;
        p->icw_next = (p->icw1 & 0x02) ? ((p->icw1 & 0x01) ? 4 : 0) : 3;
        break;
    case 3:
        p->icw_next = (p->icw1 & 0x01) ? 4 : 0;
        break;
    case 4:
        p->icw_next = 0;
        break;
    default:
        p->imr = v;
    }
}

static uint8_t pic_read(struct vpic *p, int data)
{
    if (data)
        return p->imr;
    p->poll = 0;                        /* poll byte and IRR/ISR: no request, none in service */
    return 0;
}

static uint8_t cmos_read(struct legacy_ports *lp)
{
    uint8_t i = lp->cmos_index & 0x7F;
    return i == RTC_STATUS_A ? lp->cmos[i] & ~RTC_A_UIP : lp->cmos[i];
}

static void cmos_write(struct legacy_ports *lp, uint8_t v)
{
    uint8_t i = lp->cmos_index & 0x7F;
    if (i != RTC_STATUS_C && i != RTC_STATUS_D)
        lp->cmos[i] = v;
}

enum legacy_result legacy_io(struct legacy_ports *lp, uint16_t port, int size, int is_in,
                             uint32_t *value)
{
    uint8_t v = (uint8_t)*value, r = 0;

    if (size != 1)
        return LEGACY_NONE;
    switch (port) {
    case PIC_MASTER_CMD: case PIC_MASTER_DATA: case PIC_SLAVE_CMD: case PIC_SLAVE_DATA: {
        struct vpic *p = &lp->pic[port >= PIC_SLAVE_CMD];
        int data = port & 1;
        if (is_in)
            r = pic_read(p, data);
        else if (data)
            pic_data(p, v);
        else
            pic_command(p, v);
        break;
    }
    case PIT_CH0: case PIT_CH0 + 1: case PIT_CH0 + 2: case PIT_MODE:
        r = 0;                          /* expired counters; writes dropped */
        break;
    case PORT_SYS_CTRL_B:
        if (is_in) {
            lp->refresh ^= 0x10;
            r = (uint8_t)(lp->sys_ctrl_b | lp->refresh | 0x20);
        } else {
            lp->sys_ctrl_b = v & 0x0F;
        }
        break;
    case CMOS_INDEX:
        if (is_in)
            r = lp->cmos_index;
        else
            lp->cmos_index = v;
        break;
    case CMOS_DATA:
        if (is_in)
            r = cmos_read(lp);
        else
            cmos_write(lp, v);
        break;
    case KBC_CMD:
        if (!is_in && v == KBC_CMD_RESET)
            return LEGACY_RESET;
        r = 0;                          /* status: output and input buffers empty */
        break;
    case PORT_RESET_CTRL:
        if (is_in) {
            r = lp->reset_ctrl;
        } else {
            lp->reset_ctrl = v & 0x0A;
            if (v & RESET_CTRL_RST_CPU)
                return LEGACY_RESET;
        }
        break;
    default:
        return LEGACY_NONE;
    }
    if (is_in)
        *value = r;
    return LEGACY_OK;
}
