/* start.c - the common first steps of every guest. */
#include "guest.h"

int guest_start(const char *name, uint32_t magic, const struct mb_info *mbi)
{
    uart_init();
    int ok = mb_init(magic, mbi);
    printf("hello from guest-stub %s (cmdline: %s)\n", name, mb_cmdline());
    return ok;
}
