/* Checked VMX instructions.  Each reports VMfailInvalid (CF=1) or VMfailValid (ZF=1, with the
 * VM-instruction error in the current VMCS; SDM Vol. 3C 31.2 and 31.4). */
#ifndef ARCH_X86_VMX_VMX_OPS_H
#define ARCH_X86_VMX_VMX_OPS_H

#include <stdint.h>

int vmxon(uint64_t region_pa);
int vmclear(uint64_t vmcs_pa);
int vmptrld(uint64_t vmcs_pa);
int invept_single(uint64_t eptp);
int invept_all(void);

/* Name of a VM-instruction error number (SDM 31.4, Table 31-1). */
const char *vmx_instruction_error_name(uint32_t err);
/* Prints "perfvisor: <what> failed: <VMfailInvalid | VM-instruction error N (name)>". */
void vmx_report_failure(const char *what, int result);

#endif
