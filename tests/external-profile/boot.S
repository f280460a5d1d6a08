/* boot.S - multiboot v1 header and entry point of the external profile kernel.
 *
 * The loader enters _start in 32-bit protected mode, paging off, with
 * EAX = 0x2BADB002 and EBX = the multiboot information.  We load a flat GDT,
 * set a stack, clear EBP (so a frame-pointer walk ends at kmain) and call
 * kmain(magic, info), which does not return. */

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003             /* bit 0: align modules, bit 1: memory info */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)        /* checksum */

    .text
    .globl _start
    .type _start, @function
_start:
    cli
    cld
    movl $stack_top, %esp
    lgdt gdt_ptr
    ljmp $0x08, $1f                     /* reload CS from our GDT */
1:  movw $0x10, %cx                     /* and every data segment */
    movw %cx, %ds
    movw %cx, %es
    movw %cx, %fs
    movw %cx, %gs
    movw %cx, %ss
    xorl %ebp, %ebp                     /* end of the frame-pointer chain */
    pushl %ebx                          /* kmain(magic, info) */
    pushl %eax
    call kmain                          /* does not return */
2:  cli
    hlt
    jmp 2b
    .size _start, . - _start

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
    .skip 16384
stack_top:

    .section .note.GNU-stack, "", @progbits
