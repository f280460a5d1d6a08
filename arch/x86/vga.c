/* The VGA text screen (80x25 at B8000H, character + attribute bytes), the console when no UART
 * answers (arch/x86/serial.c): lines scroll up, '\r' returns, '\n' starts a new line. */
#include "arch/x86/serial.h"
#include <stdint.h>

#define VGA_TEXT   0xB8000ull
#define VGA_COLS   80
#define VGA_ROWS   25
#define VGA_ATTR   0x07          /* light grey on black */

static volatile uint16_t *const screen = (volatile uint16_t *)(uintptr_t)VGA_TEXT;
static int row, col;

static void scroll(void)
{
    for (int i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
        screen[i] = screen[i + VGA_COLS];
    for (int i = 0; i < VGA_COLS; i++)
        screen[(VGA_ROWS - 1) * VGA_COLS + i] = (uint16_t)(VGA_ATTR << 8 | ' ');
    row = VGA_ROWS - 1;
}

void vga_init(void)
{
    for (int i = 0; i < VGA_ROWS * VGA_COLS; i++)
        screen[i] = (uint16_t)(VGA_ATTR << 8 | ' ');
    row = col = 0;
}

void vga_putc(char c)
{
    if (c == '\r') {
        col = 0;
        return;
    }
    if (c == '\n' || col == VGA_COLS) {
        col = 0;
        if (++row == VGA_ROWS)
            scroll();
        if (c == '\n')
            return;
    }
    screen[row * VGA_COLS + col++] = (uint16_t)(VGA_ATTR << 8 | (uint8_t)c);
}
