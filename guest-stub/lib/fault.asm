; fault.asm - "try" versions of RDMSR, WRMSR and RDPMC that return -1 instead
; of crashing when the instruction faults (#GP for a missing MSR or counter,
; #UD where RDPMC is not supported).
;
; fault_init() loads a small IDT with handlers for #UD (vector 6) and #GP
; (vector 13) only.  A handler looks the faulting EIP up in fault_table; on a
; hit it resumes at the paired fixup address (which returns -1), otherwise it
; loads an empty IDT and executes UD2, so an unexpected fault still ends in a
; triple fault rather than silently continuing.  Any other exception finds no
; present gate: #NP -> #DF -> triple fault (SDM Vol. 3A, 6.15).

KERNEL_CS   equ 0x08                ; entry.asm's code selector
GATE_INT32  equ 0x8E                ; present, DPL0, 32-bit interrupt gate
IDT_ENTRIES equ 14                  ; vectors 0..13

section .text

; void fault_init(void)
global fault_init
fault_init:
    mov eax, ud_handler
    mov edx, 6
    call set_gate
    mov eax, gp_handler
    mov edx, 13
    call set_gate
    lidt [idt_desc]
    ret

; eax = handler, edx = vector
set_gate:
    lea edx, [idt + edx * 8]
    mov [edx], ax                   ; offset 15:0
    mov word [edx + 2], KERNEL_CS
    mov byte [edx + 4], 0
    mov byte [edx + 5], GATE_INT32
    shr eax, 16
    mov [edx + 6], ax               ; offset 31:16
    ret

; int rdmsr_try(uint32_t msr, uint64_t *value): 0, or -1 on a fault
global rdmsr_try
rdmsr_try:
    mov ecx, [esp + 4]
.insn:
    rdmsr
    mov ecx, [esp + 8]
    mov [ecx], eax
    mov [ecx + 4], edx
    xor eax, eax
    ret

; int wrmsr_try(uint32_t msr, uint64_t value): 0, or -1 on a fault
global wrmsr_try
wrmsr_try:
    mov ecx, [esp + 4]
    mov eax, [esp + 8]
    mov edx, [esp + 12]
.insn:
    wrmsr
    xor eax, eax
    ret

; int rdpmc_try(uint32_t counter, uint64_t *value): 0, or -1 on a fault
global rdpmc_try
rdpmc_try:
    mov ecx, [esp + 4]
.insn:
    rdpmc
    mov ecx, [esp + 8]
    mov [ecx], eax
    mov [ecx + 4], edx
    xor eax, eax
    ret

; Shared fixup: the faulting function's stack is as it was at the
; instruction (only the return address on it), so just return -1.
fault_fixup:
    mov eax, -1
    ret

; #GP pushes an error code; #UD does not.  Both then see [esp] = EIP.
gp_handler:
    add esp, 4                      ; drop the error code
ud_handler:
    push eax
    mov eax, [esp + 12]             ; the EFLAGS image the fault pushed (EIP, CS, EFLAGS)
    mov [fault_eflags], eax
    pop eax
    push ecx
    mov ecx, fault_table
.next:
    cmp ecx, fault_table_end
    je .unexpected
    mov eax, [esp + 4]              ; faulting EIP (eax is clobbered by the fixup anyway)
    cmp eax, [ecx]
    je .hit
    add ecx, 4
    jmp .next
.hit:
    mov dword [esp + 4], fault_fixup
    pop ecx
    iret
.unexpected:
    lidt [empty_idt_desc]
    ud2                             ; -> triple fault

section .rodata
fault_table:                        ; instructions allowed to fault
    dd rdmsr_try.insn
    dd wrmsr_try.insn
    dd rdpmc_try.insn
fault_table_end:

align 4
idt_desc:
    dw IDT_ENTRIES * 8 - 1
    dd idt
empty_idt_desc:
    dw 0
    dd 0

section .bss
global fault_eflags
align 4
fault_eflags:                       ; EFLAGS pushed by the last #GP/#UD
    resd 1
align 8
idt:
    resb IDT_ENTRIES * 8

section .note.GNU-stack noalloc noexec nowrite progbits
