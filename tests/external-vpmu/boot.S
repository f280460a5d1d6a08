/* boot.S - multiboot v1 header, entry point and the two interrupt entry stubs
 * of the external vPMU kernel.
 *
 * The loader enters _start in 32-bit protected mode, paging off, with
 * EAX = 0x2BADB002 and EBX = the multiboot information.  We load a flat GDT,
 * set a stack and call kmain(magic, info), which does not return. */

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

/* The PMI arrives as an ordinary interrupt (LVTPC in fixed delivery mode).
 * At the same privilege level the CPU pushes EFLAGS, CS, EIP (SDM Vol. 3A,
 * 6.12.1) and clears IF (interrupt gate).  Save the general registers, call
 * pmi_handler(interrupted EIP), restore, IRET. */
    .globl pmi_entry
    .type pmi_entry, @function
pmi_entry:
    pushal                              /* 8 registers: 32 bytes */
    cld
    pushl 32(%esp)                      /* the EIP the CPU pushed */
    call pmi_handler
    addl $4, %esp
    popal
    iret
    .size pmi_entry, . - pmi_entry

/* #GP (vector 13) pushes an error code, then EIP: gp_handler(eip, error code)
 * reports and ends the kernel (it does not return). */
    .globl gp_entry
    .type gp_entry, @function
gp_entry:
    cld
    pushl (%esp)                        /* error code */
    pushl 8(%esp)                       /* EIP */
    call gp_handler
3:  cli
    hlt
    jmp 3b
    .size gp_entry, . - gp_entry

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
