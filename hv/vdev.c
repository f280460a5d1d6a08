#include "hv/vdev.h"
#include "hv/domain.h"

void vdev_io(struct vcpu *v, uint16_t port, int size, int is_in, uint32_t *value)
{
    struct domain *d = v->dom;

    if (port >= VDEV_COM1_BASE && port < VDEV_COM1_BASE + 8) {
        uint8_t b = (uint8_t)*value;
        vuart_access(&d->uart, port - VDEV_COM1_BASE, !is_in, &b, domain_console_cb, d);
        if (is_in)
            *value = b;
        if (d->has_ioapic)              /* COM1 is ISA IRQ 4, GSI 4 (no MADT override) */
            vioapic_set_irq(&d->ioapic, VDEV_COM1_IRQ, vuart_irq(&d->uart));
        return;
    }
    if (port == FWCFG_PORT_SELECTOR || port == FWCFG_PORT_DATA) {
        if (port == FWCFG_PORT_SELECTOR && !is_in)
            fwcfg_select(&d->fwcfg, (uint16_t)*value);
        else if (is_in)                 /* a wider read: the next bytes, little-endian */
            for (int i = 0, v = 0; i < size; i++, *value = (uint32_t)v)
                v |= (port == FWCFG_PORT_DATA ? fwcfg_read(&d->fwcfg) : 0) << (8 * i);
        return;                         /* data writes: ignored, as QEMU does for read-only items */
    }
    if (port == VDEV_EXIT_PORT && !is_in) {
        domain_exit(d, (int)(*value & 0xFF), "");
        return;
    }
    switch (legacy_io(&d->legacy, port, size, is_in, value)) {
    case LEGACY_OK:
        return;
    case LEGACY_RESET:                  /* ends this domain, never the machine */
        domain_stop(d, "the guest asked for a reset");
        return;
    case LEGACY_NONE:
        break;
    }
    /* Nothing here: reads float high like an empty ISA bus; count it so it shows. */
    if (d->ignored_io++ == 0)
        d->first_ignored_port = port;
    if (is_in)
        *value = size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu;
}
