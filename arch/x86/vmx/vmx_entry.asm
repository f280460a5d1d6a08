; VM entry and exit, as one function call: vmx_enter(regs, launched) loads the guest's
; general-purpose registers and executes VMLAUNCH or VMRESUME; the VM exit lands in
; vmx_exit_stub (the VMCS host RIP) on the stack vmx_enter left (the VMCS host RSP), which
; stores the guest registers and returns from vmx_enter with 0.
; struct guest_regs offsets (arch/x86/vmx/vmx.h), checked against the struct at compile time by
; arch/x86/vmx/vmx_entry_layout.c (as is VMCS_HOST_RSP): change both together.
%define R_RAX 0
%define R_RBX 8
%define R_RCX 16
%define R_RDX 24
%define R_RSI 32
%define R_RDI 40
%define R_RBP 48
%define R_R8  56
%define R_R9  64
%define R_R10 72
%define R_R11 80
%define R_R12 88
%define R_R13 96
%define R_R14 104
%define R_R15 112
%define R_ENTRY_TSC 120
%define R_EXIT_TSC  128
%define VMCS_HOST_RSP 0x6C14

bits 64
section .text
global vmx_enter
global vmx_exit_stub

; int vmx_enter(struct guest_regs *regs (rdi), int launched (esi))
vmx_enter:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    push rdi                            ; the exit stub finds regs at [rsp]
    mov rax, VMCS_HOST_RSP
    vmwrite rax, rsp
    jc .fail_invalid
    jz .fail_valid

    rdtsc                               ; entry time, for exact accounting
    mov [rdi + R_ENTRY_TSC], eax
    mov [rdi + R_ENTRY_TSC + 4], edx
    test esi, esi                       ; from here on only MOVs: the flags survive
    mov rax, [rdi + R_RAX]
    mov rbx, [rdi + R_RBX]
    mov rcx, [rdi + R_RCX]
    mov rdx, [rdi + R_RDX]
    mov rsi, [rdi + R_RSI]
    mov rbp, [rdi + R_RBP]
    mov r8,  [rdi + R_R8]
    mov r9,  [rdi + R_R9]
    mov r10, [rdi + R_R10]
    mov r11, [rdi + R_R11]
    mov r12, [rdi + R_R12]
    mov r13, [rdi + R_R13]
    mov r14, [rdi + R_R14]
    mov r15, [rdi + R_R15]
    mov rdi, [rdi + R_RDI]
    jnz .resume
    vmlaunch
    jmp .failed                         ; only reached if VMLAUNCH failed
.resume:
    vmresume
.failed:
    jc .fail_invalid
.fail_valid:
    mov eax, 2                          ; VMfailValid: error number in the VMCS
    jmp .out
.fail_invalid:
    mov eax, 1                          ; VMfailInvalid
.out:
    pop rdi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

vmx_exit_stub:
    push rdi                            ; guest rdi
    mov rdi, [rsp + 8]                  ; regs
    mov [rdi + R_RAX], rax
    mov [rdi + R_RBX], rbx
    mov [rdi + R_RCX], rcx
    mov [rdi + R_RDX], rdx
    mov [rdi + R_RSI], rsi
    mov [rdi + R_RBP], rbp
    mov [rdi + R_R8],  r8
    mov [rdi + R_R9],  r9
    mov [rdi + R_R10], r10
    mov [rdi + R_R11], r11
    mov [rdi + R_R12], r12
    mov [rdi + R_R13], r13
    mov [rdi + R_R14], r14
    mov [rdi + R_R15], r15
    pop rax
    mov [rdi + R_RDI], rax
    rdtsc
    mov [rdi + R_EXIT_TSC], eax
    mov [rdi + R_EXIT_TSC + 4], edx
    pop rdi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    xor eax, eax
    ret
