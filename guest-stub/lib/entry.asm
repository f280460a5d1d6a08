; entry.asm - multiboot v1 header and entry point shared by every guest-stub.
;
; A multiboot v1 loader (QEMU -kernel, GRUB `multiboot`, perfvisor) enters
; _start in 32-bit protected mode with paging off, EAX = 0x2BADB002 and
; EBX = physical address of the multiboot info.  Nothing else is promised:
; the GDTR may point anywhere and there is no IDT, so we load our own flat
; GDT, set up a stack and call main(magic, mbi).  main's return value
; becomes the exit status (guest_exit).

MB_MAGIC    equ 0x1BADB002          ; multiboot v1 header magic
MB_ALIGN    equ 1 << 0              ; page-align modules
MB_MEMINFO  equ 1 << 1              ; give us mem_lower/mem_upper and mmap
MB_FLAGS    equ MB_ALIGN | MB_MEMINFO   ; bit 16 (a.out kludge) clear: load the ELF
STACK_SIZE  equ 16384

KERNEL_CS   equ 0x08                ; GDT index 1: flat 32-bit code
KERNEL_DS   equ 0x10                ; GDT index 2: flat 32-bit data

section .multiboot progbits alloc noexec nowrite align=4
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)       ; checksum: the three fields sum to 0

section .text
global _start
extern main
extern guest_exit
_start:
    cli
    cld
    mov esp, stack_top              ; first, so nothing depends on the loader's stack
    lgdt [gdt_desc]
    jmp KERNEL_CS:.reload           ; far jump reloads CS from our GDT
.reload:
    mov cx, KERNEL_DS
    mov ds, cx
    mov es, cx
    mov fs, cx
    mov gs, cx
    mov ss, cx
    xor ebp, ebp                    ; end of the frame-pointer chain
    push ebx                        ; main(magic, mbi)
    push eax
    call main
    push eax                        ; guest_exit(main's return value)
    call guest_exit
.hang:                              ; guest_exit does not return
    cli
    hlt
    jmp .hang

section .rodata
align 8
gdt:
    dq 0                            ; null descriptor
    dq 0x00CF9A000000FFFF           ; code: base 0, limit 4G, 32-bit, exec/read, DPL0
    dq 0x00CF92000000FFFF           ; data: base 0, limit 4G, 32-bit, read/write, DPL0
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1            ; limit
    dd gdt                          ; linear base (paging off: physical)

section .note.GNU-stack noalloc noexec nowrite progbits   ; no executable stack

section .bss
align 16
stack:
    resb STACK_SIZE
stack_top:
