/* A minimal QEMU firmware configuration device (fw_cfg), for test kernels written for QEMU
 * (kvm-unit-tests reads its CPU count and RAM size there).  The traditional port interface of
 * QEMU's docs/specs/fw_cfg.rst on x86: a 16-bit selector written at port 510H picks an item and
 * rewinds its data offset to 0; each 8-bit read of port 511H returns the item's next byte, and 0
 * past its end or for an item that does not exist.  Items (little-endian, as on x86):
 *   0000H signature "QEMU"   0001H ID = 1 (traditional interface only: no DMA at 514H)
 *   0003H RAM size (64-bit, bytes)   0005H number of CPUs (16-bit)   000FH max CPUs (16-bit)
 * Writes to the data port and the write channel (selector bit 14) are ignored, as QEMU ignores
 * writes to read-only items.  Pure: hv/vdev.c routes the ports here. */
#ifndef HV_FWCFG_H
#define HV_FWCFG_H

#include <stdint.h>

#define FWCFG_PORT_SELECTOR 0x510
#define FWCFG_PORT_DATA     0x511

#define FWCFG_SIGNATURE 0x0000
#define FWCFG_ID        0x0001
#define FWCFG_RAM_SIZE  0x0003
#define FWCFG_NB_CPUS   0x0005
#define FWCFG_MAX_CPUS  0x000F

#define FWCFG_ID_TRADITIONAL 1u    /* ID bit 0: the port interface; bit 1 (DMA) clear */

struct fwcfg {
    uint16_t key;           /* the selected item */
    uint32_t offset;        /* the next byte to read */
    uint64_t ram_size;      /* bytes */
    uint16_t ncpus;
};

/* The device as a domain's machine has it: selector 0, offset 0. */
void fwcfg_init(struct fwcfg *f, uint64_t ram_size, uint16_t ncpus);
/* A write to the selector port. */
void fwcfg_select(struct fwcfg *f, uint16_t key);
/* A byte read from the data port: the next byte of the item, or 0. */
uint8_t fwcfg_read(struct fwcfg *f);

#endif
