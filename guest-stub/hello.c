/* hello.c - the smallest guest: checks the multiboot hand-off and exits with
 * the status chosen by `status=N` (default 0). */
#include "guest.h"

int main(uint32_t magic, const struct mb_info *mbi)
{
    if (!guest_start("hello", magic, mbi)) {
        printf("hello: bad multiboot magic %x (want %x)\n", magic, MB_BOOTLOADER_MAGIC);
        return 1;
    }
    if (mbi->flags & MB_INFO_MEM)
        printf("hello: mem_lower=%u KiB mem_upper=%u KiB\n", mbi->mem_lower, mbi->mem_upper);
    else
        printf("hello: no memory info (flags=%x)\n", mbi->flags);
    printf("hello: mmap entries=%u\n", mb_mmap_count());

    int status = (int)mb_opt_num("status", 0);
    printf("hello: exiting with status %d\n", status);
    return status;
}
