/* I/O instruction exits, decoded into {port, size, direction} for hv/vdev.c. */
#include "arch/x86/vmx/exits.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/domain.h"
#include "hv/vdev.h"

/* Exit qualification for I/O instructions (SDM Vol. 3C Table 28-5) */
#define IO_SIZE(q)    ((int)((q) & 7) + 1)      /* bits 2:0: size - 1 */
#define IO_IN         (1ull << 3)               /* direction: 1 = IN */
#define IO_STRING     (1ull << 4)               /* INS/OUTS */
#define IO_PORT(q)    ((uint16_t)((q) >> 16))   /* bits 31:16 */

enum exit_action exit_io(struct vcpu *v, struct vmx_vcpu *x)
{
    uint64_t q = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    int size = IO_SIZE(q), in = (q & IO_IN) != 0;
    uint16_t port = IO_PORT(q);

    if (q & IO_STRING) {
        domain_stop(v->dom, "string I/O (%s) on port 0x%x at rip 0x%lx is not emulated",
                    in ? "INS" : "OUTS", port, vmcs_readnat(VMCS_GUEST_RIP));
        return EXIT_END_SLICE;
    }
    uint32_t value = (uint32_t)x->regs.rax;
    if (size < 4)
        value &= (1u << (8 * size)) - 1;
    vdev_io(v, port, size, in, &value);
    if (in) {
        if (size == 4)
            set32(&x->regs.rax, value);                 /* IN EAX zeroes RAX[63:32] */
        else {
            uint64_t mask = (1ull << (8 * size)) - 1;
            x->regs.rax = (x->regs.rax & ~mask) | (value & mask);
        }
    }
    vmx_skip_instruction();
    return EXIT_RESUME;
}
