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
        return;
    }
    if (port == VDEV_EXIT_PORT && !is_in) {
        domain_exit(d, (int)(*value & 0xFF), "");
        return;
    }
    /* Nothing here: reads float high like an empty ISA bus; count it so it shows. */
    if (d->ignored_io++ == 0)
        d->first_ignored_port = port;
    if (is_in)
        *value = size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu;
}
