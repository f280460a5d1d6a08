; perfvisor entry: multiboot2 and multiboot1 headers, 32-bit protected mode -> 64-bit long mode.
;
; A multiboot loader (GRUB, QEMU -kernel) jumps here in 32-bit protected mode, paging off,
; EAX = magic (0x36D76289 multiboot2, 0x2BADB002 multiboot1), EBX = physical address of the
; boot information.  We build 1:1 page tables for the first 4 GiB with 2 MiB pages, enable PAE and
; long mode (SDM Vol. 3A 10.8.5 "Initializing IA-32e Mode") and call kmain(magic, info).

%define MB2_MAGIC      0xE85250D6      ; multiboot2 header magic
%define MB2_ARCH_I386  0
%define MB1_MAGIC      0x1BADB002      ; multiboot1 header magic
%define MB1_FLAGS      0x00000003      ; bit 0: page-align modules, bit 1: give memory map

%define CR0_PE   (1 << 0)              ; protected mode enable
%define CR0_PG   (1 << 31)             ; paging
%define CR4_PAE  (1 << 5)              ; physical address extension
%define MSR_EFER 0xC0000080
%define EFER_LME (1 << 8)              ; long mode enable

%define PTE_P    (1 << 0)              ; present
%define PTE_RW   (1 << 1)              ; writable
%define PTE_PWT  (1 << 3)              ; write-through
%define PTE_PCD  (1 << 4)              ; cache disable
%define PTE_PS   (1 << 7)              ; 2 MiB page (in a PD entry)

section .multiboot
align 8
mb2_header:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    dw 0, 0                             ; end tag: type 0, flags 0
    dd 8                                ;          size 8
mb2_header_end:

align 4
mb1_header:
    dd MB1_MAGIC
    dd MB1_FLAGS
    dd -(MB1_MAGIC + MB1_FLAGS)

section .boot.text
bits 32
global _start
extern kmain
extern __bss_start, __bss_end
_start:
    cli
    mov esi, eax                        ; keep the loader's magic ...
    mov edi, ebx                        ; ... and info pointer out of rdtsc's way
    rdtsc
    mov [boot_tsc], eax                 ; GRUB handoff time, for `make bench`
    mov [boot_tsc + 4], edx

    ; Zero .bss (the page tables live there; a multiboot1 loader of an ELF zeroes it,
    ; but we do not rely on that).  boot_tsc is in .data, not .bss.
    mov edx, edi
    mov edi, __bss_start
    mov ecx, __bss_end
    sub ecx, edi
    shr ecx, 2
    xor eax, eax
    rep stosd
    mov edi, edx

    mov esp, boot_stack_top

    ; PML4[0] -> PDPT; PDPT[0..3] -> four page directories; 2048 x 2 MiB identity pages.
    mov eax, boot_pdpt
    or eax, PTE_P | PTE_RW
    mov [boot_pml4], eax
    mov ecx, 0
.pdpt_loop:
    mov eax, ecx
    shl eax, 12
    add eax, boot_pd
    or eax, PTE_P | PTE_RW
    mov [boot_pdpt + ecx * 8], eax
    inc ecx
    cmp ecx, 4
    jne .pdpt_loop

    mov ecx, 0
.pd_loop:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_P | PTE_RW | PTE_PS
    cmp ecx, 3 * 512                    ; the 4th GiB holds MMIO (LAPIC, IOAPIC): uncached
    jb .cached
    or eax, PTE_PCD | PTE_PWT
.cached:
    mov [boot_pd + ecx * 8], eax
    mov dword [boot_pd + ecx * 8 + 4], 0
    inc ecx
    cmp ecx, 2048
    jne .pd_loop

    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, boot_pml4
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_PE
    mov cr0, eax

    lgdt [boot_gdt_ptr]
    jmp 0x08:long_mode

bits 64
long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, boot_stack_top
    mov eax, esi                        ; rdi = magic, rsi = info (zero-extended)
    mov esi, edi
    mov edi, eax
    xor ebp, ebp                        ; end of the frame-pointer chain
    call kmain
.halt:
    cli
    hlt
    jmp .halt

section .data
global boot_tsc
align 8
boot_tsc: dq 0

; Temporary GDT for the jump to 64-bit code; arch/x86/gdt.c installs the final one (with a TSS).
align 16
boot_gdt:
    dq 0
    dq 0x00AF9A000000FFFF               ; 0x08: 64-bit code, DPL 0
    dq 0x00CF92000000FFFF               ; 0x10: data, DPL 0
boot_gdt_ptr:
    dw boot_gdt_ptr - boot_gdt - 1
    dq boot_gdt

section .bss
global boot_pml4
align 4096
boot_pml4:  resb 4096
boot_pdpt:  resb 4096
boot_pd:    resb 4 * 4096
global boot_stack_top
boot_stack: resb 32768
boot_stack_top:
