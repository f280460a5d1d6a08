/* VMX basic exit reasons 0..64 (Intel SDM Vol. 3D, Appendix C), for the hypervisor's rows:
 * "exit:PREEMPTION_TIMER".  Same names as arch/x86/vmx/vmx.h without the EXIT_ prefix; the host
 * tool cannot include that freestanding header. */
#include <stdio.h>

#include "report.h"

static const char *const exit_names[] = {
	[0] = "EXCEPTION_NMI", [1] = "EXTERNAL_INTERRUPT", [2] = "TRIPLE_FAULT", [3] = "INIT",
	[4] = "SIPI", [5] = "IO_SMI", [6] = "OTHER_SMI", [7] = "INTERRUPT_WINDOW",
	[8] = "NMI_WINDOW", [9] = "TASK_SWITCH", [10] = "CPUID", [11] = "GETSEC", [12] = "HLT",
	[13] = "INVD", [14] = "INVLPG", [15] = "RDPMC", [16] = "RDTSC", [17] = "RSM",
	[18] = "VMCALL", [19] = "VMCLEAR", [20] = "VMLAUNCH", [21] = "VMPTRLD", [22] = "VMPTRST",
	[23] = "VMREAD", [24] = "VMRESUME", [25] = "VMWRITE", [26] = "VMXOFF", [27] = "VMXON",
	[28] = "CR_ACCESS", [29] = "DR_ACCESS", [30] = "IO_INSTRUCTION", [31] = "RDMSR",
	[32] = "WRMSR", [33] = "ENTRY_FAIL_GUEST", [34] = "ENTRY_FAIL_MSR", [35] = "REASON_35",
	[36] = "MWAIT", [37] = "MONITOR_TRAP", [38] = "REASON_38", [39] = "MONITOR", [40] = "PAUSE",
	[41] = "ENTRY_FAIL_MCE", [42] = "REASON_42", [43] = "TPR_BELOW_THRESHOLD",
	[44] = "APIC_ACCESS", [45] = "VIRTUALIZED_EOI", [46] = "GDTR_IDTR", [47] = "LDTR_TR",
	[48] = "EPT_VIOLATION", [49] = "EPT_MISCONFIG", [50] = "INVEPT", [51] = "RDTSCP",
	[52] = "PREEMPTION_TIMER", [53] = "INVVPID", [54] = "WBINVD", [55] = "XSETBV",
	[56] = "APIC_WRITE", [57] = "RDRAND", [58] = "INVPCID", [59] = "VMFUNC", [60] = "ENCLS",
	[61] = "RDSEED", [62] = "PML_FULL", [63] = "XSAVES", [64] = "XRSTORS",
};

const char *vmx_exit_reason_name(unsigned reason)
{
	static char buf[32];
	if (reason < sizeof(exit_names) / sizeof(exit_names[0]) && exit_names[reason])
		return exit_names[reason];
	snprintf(buf, sizeof(buf), "REASON_%u", reason);
	return buf;
}
