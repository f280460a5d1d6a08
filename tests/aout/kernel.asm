; A multiboot1 kernel that is not ELF: a flat binary whose header sets the a.out-kludge flag
; (bit 16) and gives its load addresses (Multiboot Specification 0.6.96, 3.1.3), as kernels
; from other toolchains do.  It prints one line on COM1 and exits with status 0 on port 0xF4.
; Built by tests/boot/hostile-tests.sh: nasm -f bin -o aout.bin kernel.asm
bits 32
org 0x100000

MB_MAGIC    equ 0x1BADB002
MB_FLAGS    equ 1 << 16                 ; a.out kludge: the address fields below are valid
COM1        equ 0x3F8

header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)           ; checksum
    dd header                           ; header_addr
    dd header                           ; load_addr: the file is loaded from its start
    dd end                              ; load_end_addr
    dd end                              ; bss_end_addr: no bss
    dd start                            ; entry_addr

start:
    mov dx, COM1 + 3
    mov al, 0x03                        ; LCR: 8N1
    out dx, al
    mov esi, msg
.next:
    lodsb
    test al, al
    jz .done
    mov dx, COM1
    out dx, al
    jmp .next
.done:
    xor eax, eax
    out 0xF4, al                        ; exit status 0
    cli
    hlt

msg: db "aout: hello from a flat a.out-kludge kernel", 10, 0
end:
