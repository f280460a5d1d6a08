; rdmsr_safe / wrmsr_safe: MSR access that survives #GP.
; Each faulting instruction has an entry {fault rip, fixup rip} in .ex_table; the #GP handler
; (arch/x86/traps.c) resumes at the fixup, which returns -1.
bits 64
section .text

global rdmsr_safe
rdmsr_safe:                     ; int rdmsr_safe(uint32_t msr (edi), uint64_t *value (rsi))
    mov ecx, edi
.rd:
    rdmsr
    shl rdx, 32
    or rax, rdx
    mov [rsi], rax
    xor eax, eax
    ret
.rd_fault:
    mov eax, -1
    ret

global wrmsr_safe
wrmsr_safe:                     ; int wrmsr_safe(uint32_t msr (edi), uint64_t value (rsi))
    mov ecx, edi
    mov eax, esi
    mov rdx, rsi
    shr rdx, 32
.wr:
    wrmsr
    xor eax, eax
    ret
.wr_fault:
    mov eax, -1
    ret

section .ex_table
    dq rdmsr_safe.rd, rdmsr_safe.rd_fault
    dq wrmsr_safe.wr, wrmsr_safe.wr_fault
