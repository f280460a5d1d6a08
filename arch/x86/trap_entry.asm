; Host exception entry stubs (vectors 0-31).  Each pushes a dummy error code where the CPU
; pushes none (SDM Vol. 3A 6.13 "Error Code"), then the vector, then all GPRs, and calls
; trap_handler(struct trap_frame *) in arch/x86/traps.c, which may change frame->rip (fixups).
bits 64
section .text
extern trap_handler

%macro TRAP_NOERR 1
trap_stub_%1:
    push 0
    push %1
    jmp trap_common
%endmacro
%macro TRAP_ERR 1
trap_stub_%1:
    push %1
    jmp trap_common
%endmacro

; vectors with an error code: 8 #DF, 10 #TS, 11 #NP, 12 #SS, 13 #GP, 14 #PF, 17 #AC, 21 #CP
%assign v 0
%rep 32
%if v == 8 || v == 10 || v == 11 || v == 12 || v == 13 || v == 14 || v == 17 || v == 21
    TRAP_ERR v
%else
    TRAP_NOERR v
%endif
%assign v v + 1
%endrep

trap_common:                    ; layout must match struct trap_frame
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    cld
    call trap_handler
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                 ; vector and error code
    iretq

; void trap_nmi_iret_frame(void): runs the NMI stub (vector 2) as if an NMI had arrived here, on
; a synthesized interrupt frame (SS, RSP, RFLAGS, CS, RIP, 16-byte aligned as the CPU aligns it in
; 64-bit mode, SDM Vol. 3A 6.14.2), so that the handler ends in IRETQ: after an NMI VM exit, NMIs
; stay blocked until the next IRET or VM entry (Vol. 3C 27.1, 26.6.1.2); this IRET ends the
; blocking while the hypervisor still works, as KVM's vmx_do_nmi_irqoff does.  Clobbers RAX.
global trap_nmi_iret_frame
trap_nmi_iret_frame:
    push rbp
    mov rbp, rsp
    and rsp, -16
    mov eax, ss
    push rax                    ; SS
    push rbp                    ; RSP after the IRET: the saved RBP
    pushfq                      ; RFLAGS (IF=0 in the hypervisor)
    mov eax, cs
    push rax                    ; CS
    lea rax, [rel .after_iret]
    push rax                    ; RIP
    jmp [rel trap_stub_table + 2 * 8]
.after_iret:
    pop rbp
    ret

section .rodata
global trap_stub_table
align 8
trap_stub_table:
%assign v 0
%rep 32
    dq trap_stub_ %+ v
%assign v v + 1
%endrep
