; A tiny "guest kernel" for the golden report tests: fixed function addresses (0x100000 + n*0x100)
; and DWARF line info, so that symbols and source lines do not depend on the compiler.
; Built by run-golden.sh: nasm -f elf32 -g -F dwarf, ld -m elf_i386 -Ttext=0x100000.
bits 32
section .text
global _start, main, work_a, work_b, spin_heavy, helper, _ZN3foo3barEv, _RNvCs1234_5crate4func

_start:                         ; 0x100000
        call main
        hlt

times 0x100-($-$$) db 0x90
main:                           ; 0x100100
        call work_a
        call work_b
        call spin_heavy
        ret

times 0x200-($-$$) db 0x90
work_a:                         ; 0x100200
        call helper
        call spin_heavy
        ret

times 0x300-($-$$) db 0x90
work_b:                         ; 0x100300
        call helper
        nop
        nop
        ret

times 0x400-($-$$) db 0x90
spin_heavy:                     ; 0x100400
        nop
        nop
        nop
        nop
        nop
        nop
        nop
        nop
        nop
        nop
        nop
        nop
        nop
        nop
        nop
        nop
        nop
        ret

times 0x500-($-$$) db 0x90
helper:                         ; 0x100500
        nop
        nop
        ret

; mangled names, for the demangler (report shows foo::bar() and crate::func)
times 0x600-($-$$) db 0x90
_ZN3foo3barEv:                  ; 0x100600, C++ foo::bar()
        call _RNvCs1234_5crate4func
        ret

times 0x700-($-$$) db 0x90
_RNvCs1234_5crate4func:         ; 0x100700, Rust v0 crate::func
        nop
        nop
        ret
