/* Port I/O of a domain: virtual COM1, the exit-status port, QEMU's fw_cfg (hv/fwcfg.h), the
 * legacy PC ports (hv/legacy_ports.h), everything else ignored. */
#ifndef HV_VDEV_H
#define HV_VDEV_H

#include <stdint.h>

struct vcpu;

#define VDEV_COM1_BASE  0x3F8
#define VDEV_COM1_IRQ   4       /* its ISA IRQ, the I/O APIC pin (identity-mapped in the MADT) */
#define VDEV_EXIT_PORT  0xF4     /* QEMU isa-debug-exit: the guest's exit status */

/* One port access of `size` bytes (1, 2, 4).  For an IN, *value receives the result. */
void vdev_io(struct vcpu *v, uint16_t port, int size, int is_in, uint32_t *value);

#endif
