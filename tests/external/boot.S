/* boot.S - multiboot v1 header and entry point.
 *
 * The loader jumps to _start in 32-bit protected mode, paging off, with
 * EAX = 0x2BADB002 and EBX = address of the multiboot information.  It does
 * not give us a usable GDT or any IDT, so we install a flat GDT, a stack,
 * and call kmain(magic, info). */

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003             /* bit 0: align modules, bit 1: memory info */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)        /* checksum */

    .text
    .globl _start
_start:
    cli
    movl $stack_top, %esp
    lgdt gdt_ptr
    ljmp $0x08, $1f                     /* reload CS from our GDT */
1:  movw $0x10, %cx                     /* and every data segment */
    movw %cx, %ds
    movw %cx, %es
    movw %cx, %fs
    movw %cx, %gs
    movw %cx, %ss
    pushl %ebx                          /* kmain(magic, info) */
    pushl %eax
    call kmain                          /* does not return */
2:  hlt
    jmp 2b

    .section .rodata
    .align 8
gdt:
    .quad 0                             /* null */
    .quad 0x00CF9A000000FFFF            /* 0x08: code, flat 4 GiB, 32-bit */
    .quad 0x00CF92000000FFFF            /* 0x10: data, flat 4 GiB */
gdt_ptr:
    .word gdt_ptr - gdt - 1
    .long gdt

    .bss
    .align 16
    .skip 8192
stack_top:

    .section .note.GNU-stack, "", @progbits
