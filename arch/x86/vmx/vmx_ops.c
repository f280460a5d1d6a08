#include "arch/x86/vmx/vmx_ops.h"
#include "arch/x86/vmx/vmcs.h"
#include "hv/printf.h"

/* 0: success, 1: VMfailInvalid (CF), 2: VMfailValid (ZF) */
#define VMX_RESULT(cf, zf) ((cf) ? 1 : (zf) ? 2 : 0)

static const char *const instruction_errors[] = {
    [1] = "VMCALL executed in VMX root operation",
    [2] = "VMCLEAR with invalid physical address",
    [3] = "VMCLEAR with VMXON pointer",
    [4] = "VMLAUNCH with non-clear VMCS",
    [5] = "VMRESUME with non-launched VMCS",
    [6] = "VMRESUME after VMXOFF",
    [7] = "VM entry with invalid control field(s)",
    [8] = "VM entry with invalid host-state field(s)",
    [9] = "VMPTRLD with invalid physical address",
    [10] = "VMPTRLD with VMXON pointer",
    [11] = "VMPTRLD with incorrect VMCS revision identifier",
    [12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
    [13] = "VMWRITE to read-only VMCS component",
    [15] = "VMXON executed in VMX root operation",
    [16] = "VM entry with invalid executive-VMCS pointer",
    [17] = "VM entry with non-launched executive VMCS",
    [18] = "VM entry with executive-VMCS pointer not VMXON pointer",
    [26] = "VM entry with events blocked by MOV SS",
    [28] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_instruction_error_name(uint32_t err)
{
    if (err < sizeof(instruction_errors) / sizeof(instruction_errors[0]) && instruction_errors[err])
        return instruction_errors[err];
    return "unknown VM-instruction error";
}

void vmx_report_failure(const char *what, int result)
{
    if (result == 1) {
        hv_printf("perfvisor: %s failed: VMfailInvalid (no current VMCS)\n", what);
    } else {
        uint32_t err = vmcs_read32(VMCS_VM_INSTRUCTION_ERROR);
        hv_printf("perfvisor: %s failed: VM-instruction error %u (%s)\n", what, err,
                  vmx_instruction_error_name(err));
    }
}

#define VMX_OP_PA(name, insn)                                                         \
    int name(uint64_t pa)                                                             \
    {                                                                                 \
        uint8_t cf, zf;                                                               \
        __asm__ volatile(insn " %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(pa) : "memory"); \
        return VMX_RESULT(cf, zf);                                                    \
    }
VMX_OP_PA(vmxon, "vmxon")
VMX_OP_PA(vmclear, "vmclear")
VMX_OP_PA(vmptrld, "vmptrld")

static int invept(uint64_t type, uint64_t eptp)
{
    struct { uint64_t eptp, reserved; } desc = { eptp, 0 };
    uint8_t cf, zf;
    __asm__ volatile("invept %2, %3" : "=@ccc"(cf), "=@ccz"(zf) : "m"(desc), "r"(type) : "memory");
    return VMX_RESULT(cf, zf);
}

int invept_single(uint64_t eptp) { return invept(1, eptp); }   /* single-context */
int invept_all(void) { return invept(2, 0); }                  /* all-context */

void vmcs_read_failed(uint32_t field, int cf)
{
    if (field != VMCS_VM_INSTRUCTION_ERROR)
        vmx_report_failure("VMREAD", cf ? 1 : 2);
    panic("vmcs_read: VMREAD of field 0x%x failed", field);
}

void vmcs_write_failed(uint32_t field, uint64_t value, int cf)
{
    vmx_report_failure("VMWRITE", cf ? 1 : 2);
    panic("vmcs_write: VMWRITE of 0x%lx to field 0x%x failed", value, field);
}
