; A synthesized Linux "bzImage" for peer-tests.sh: a real-mode sector with a boot-protocol 2.12
; setup header (Documentation/arch/x86/boot.rst), XLF_KERNEL_64, relocatable, and 64-bit code at
; +0x200 of the protected-mode kernel that checks the 64-bit boot protocol's entry state: long
; mode (EFER.LMA, CR0.PG, CR4.PAE, a 64-bit immediate), RSI = boot_params with the setup header,
; type_of_loader, an e820 map ending at mem=, the command line and the initrd (a file that starts
; with "INRD", INITRD_LEN bytes).  It prints on COM1 and exits
; through port 0xF4 (perfvisor's exit port) with 0 when every check passed.
; nasm -f bin -DMEM_MIB=32 -DWANT='"want=bz"' -o bzstub.bin bzstub.asm
bits 16
org 0
setup_sects equ 1                       ; the protected-mode kernel starts at (1 + 1) * 512
load        equ 0x200000                ; pref_address (a multiple of kernel_alignment)

    times 0x1F1 - ($ - $$) db 0
    db setup_sects                      ; 0x1F1 setup_sects
    dw 0                                ; 0x1F2 root_flags
    dd 0                                ; 0x1F4 syssize
    dw 0                                ; 0x1F8 ram_size
    dw 0                                ; 0x1FA vid_mode
    dw 0                                ; 0x1FC root_dev
    dw 0xAA55                           ; 0x1FE boot_flag
    db 0xEB, hdr_end - 0x202            ; 0x200 jump: its offset ends the header
    db "HdrS"                           ; 0x202 header
    dw 0x020C                           ; 0x206 version 2.12
    dd 0                                ; 0x208 realmode_swtch
    dw 0                                ; 0x20C start_sys_seg
    dw 0                                ; 0x20E kernel_version
    db 0                                ; 0x210 type_of_loader
    db 0x01                             ; 0x211 loadflags: LOADED_HIGH
    dw 0                                ; 0x212 setup_move_size
    dd 0x100000                         ; 0x214 code32_start
    dd 0                                ; 0x218 ramdisk_image
    dd 0                                ; 0x21C ramdisk_size
    dd 0                                ; 0x220 bootsect_kludge
    dw 0                                ; 0x224 heap_end_ptr
    db 0                                ; 0x226 ext_loader_ver
    db 0                                ; 0x227 ext_loader_type
    dd 0                                ; 0x228 cmd_line_ptr
    dd 0x7FFFFFFF                       ; 0x22C initrd_addr_max
    dd 0x200000                         ; 0x230 kernel_alignment
    db 1                                ; 0x234 relocatable_kernel
    db 21                               ; 0x235 min_alignment
    dw 0x01                             ; 0x236 xloadflags: XLF_KERNEL_64
    dd 255                              ; 0x238 cmdline_size
    dd 0                                ; 0x23C hardware_subarch
    dq 0                                ; 0x240 hardware_subarch_data
    dd 0                                ; 0x248 payload_offset
    dd 0                                ; 0x24C payload_length
    dq 0                                ; 0x250 setup_data
    dq load                             ; 0x258 pref_address
    dd 0x10000                          ; 0x260 init_size
    dd 0                                ; 0x264 handover_offset
hdr_end:
    times (setup_sects + 1) * 512 - ($ - $$) db 0

; ---- the protected-mode kernel, loaded at `load`; 0x200 of 32-bit entry we never use ----
bits 64
pm_start:
    times 0x200 db 0xF4                 ; a 32-bit entry would halt here
%define A(x) (load + (x) - pm_start)

%macro print 1                          ; RDX = COM1, string at label %1 (NUL-ended)
    lea rdi, [rel %1]
%%loop:
    mov al, [rdi]
    test al, al
    jz %%done
    out dx, al
    inc rdi
    jmp %%loop
%%done:
%endmacro

%macro check 2                          ; check CONDITION-CODE, name: print PASS/FAIL name
    j%-1 %%fail
    print %%pass
    jmp %%next
%%fail:
    print %%failmsg
    inc r15
    jmp %%next
%%pass:    db "bzstub: PASS ", %2, 10, 0
%%failmsg: db "bzstub: FAIL ", %2, 10, 0
%%next:
%endmacro

entry64:
    mov r14, rsi                        ; boot_params
    xor r15, r15                        ; failures
    mov edx, 0x3F8
    mov rax, 0x123456789A               ; only a 64-bit CPU mode keeps the high bits
    shr rax, 32
    cmp eax, 0x12
    check e, "64-bit-code"
    mov ecx, 0xC0000080                 ; IA32_EFER
    rdmsr
    mov edx, 0x3F8
    and eax, 0x500
    cmp eax, 0x500
    check e, "efer-lme-lma"
    mov rax, cr0
    bt rax, 31
    check c, "cr0-pg"
    mov rax, cr4
    bt rax, 5
    check c, "cr4-pae"
    mov ax, cs
    cmp ax, 0x10
    check e, "cs-boot-cs"
    mov ax, ds
    cmp ax, 0x18
    check e, "ds-boot-ds"
    cmp r14, 0x1000
    check e, "rsi-boot-params"
    cmp dword [r14 + 0x202], "HdrS"
    check e, "setup-header-copied"
    cmp byte [r14 + 0x210], 0xFF
    check e, "type-of-loader"
    cmp byte [r14 + 0x1E8], 5
    check e, "e820-entries"
    lea rbx, [r14 + 0x2D0 + 4 * 20]     ; the last entry: [1 MiB, mem) RAM
    cmp qword [rbx], 0x100000
    check e, "e820-high-ram-start"
    mov rax, MEM_MIB * 0x100000 - 0x100000
    cmp qword [rbx + 8], rax
    check e, "e820-high-ram-size"
    cmp dword [rbx + 16], 1
    check e, "e820-high-ram-type"
    cmp dword [r14 + 0x2D0 + 20 + 16], 2  ; [0x1000, 0x20000) reserved
    check e, "e820-low-reserved"
    mov esi, [r14 + 0x228]              ; cmd_line_ptr
    lea rdi, [rel want]
.cmp:
    mov al, [rsi]
    cmp al, [rdi]
    jne .cmpdone
    inc rsi
    inc rdi
    test al, al
    jnz .cmp
.cmpdone:
    check e, "cmdline"
    cmp dword [r14 + 0x21C], INITRD_LEN  ; ramdisk_size
    check e, "initrd-size"
    mov eax, [r14 + 0x218]              ; ramdisk_image: the file's bytes, page aligned
    test eax, 0xFFF
    check z, "initrd-page-aligned"
    cmp dword [rax], "INRD"
    check e, "initrd-bytes"
    lea rax, [rel entry64]
    mov rbx, A(entry64)
    cmp rax, rbx
    check e, "loaded-at-pref-address"
    print hello
    mov eax, r15d
    out 0xF4, al
    cli
.halt:
    hlt
    jmp .halt

want:  db WANT, 0
hello: db "hello from bzstub, a 64-bit boot-protocol kernel", 10, 0
