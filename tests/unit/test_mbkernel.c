/* hv/mbkernel.c: loading a multiboot kernel (ELF32, ELF64, a.out kludge) into guest memory.
 * The images are built here from <elf.h>'s structures, independent of the loader's own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "boot/multiboot.h"
#include "hv/mbkernel.h"

#define GSIZE  (4u << 20)          /* guest memory of the tests: 4 MiB */
#define POISON 0xAA                /* what guest memory holds before loading */

struct fixture {
    uint8_t *gmem;
    uint8_t img[0x3000];
    struct mbkernel_load out;
    char err[256];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->gmem = malloc(GSIZE);
    memset(f->gmem, POISON, GSIZE);
    for (size_t i = 0; i < sizeof(f->img); i++)
        f->img[i] = (uint8_t)(i * 7 + 1);          /* recognisable, never all zero */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    free(f->gmem);
    free(f);
    return 0;
}

static void assert_poison(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(p[i], POISON);
}

static void assert_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(p[i], 0);
}

static int load(struct fixture *f, size_t len)
{
    return mbkernel_load(f->img, len, f->gmem, GSIZE, &f->out, f->err, sizeof(f->err));
}

/* ELF32: a text segment, a data segment with BSS, and a note that is not loaded. */
static void build_elf32(uint8_t *img, uint32_t entry)
{
    Elf32_Ehdr *e = (void *)img;
    memset(e, 0, sizeof(*e));
    memcpy(e->e_ident, ELFMAG, SELFMAG);
    e->e_ident[EI_CLASS] = ELFCLASS32;
    e->e_ident[EI_DATA] = ELFDATA2LSB;
    e->e_ident[EI_VERSION] = EV_CURRENT;
    e->e_type = ET_EXEC;
    e->e_machine = EM_386;
    e->e_version = EV_CURRENT;
    e->e_entry = entry;
    e->e_phoff = sizeof(*e);
    e->e_ehsize = sizeof(*e);
    e->e_phentsize = sizeof(Elf32_Phdr);
    e->e_phnum = 3;
    Elf32_Phdr *ph = (void *)(img + sizeof(*e));
    memset(ph, 0, 3 * sizeof(*ph));
    ph[0] = (Elf32_Phdr){ .p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = 0x100000,
                          .p_paddr = 0x100000, .p_filesz = 0x180, .p_memsz = 0x180,
                          .p_flags = PF_R | PF_X, .p_align = 0x1000 };
    ph[1] = (Elf32_Phdr){ .p_type = PT_NOTE, .p_offset = 0x1000, .p_paddr = 0x3FFFF000,
                          .p_filesz = 0x10, .p_memsz = 0x10 };
    ph[2] = (Elf32_Phdr){ .p_type = PT_LOAD, .p_offset = 0x2000, .p_vaddr = 0x102000,
                          .p_paddr = 0x102000, .p_filesz = 0x40, .p_memsz = 0x1000,
                          .p_flags = PF_R | PF_W, .p_align = 0x1000 };
}

/* Two notes at 0x1000 (an ABI tag, then the GNU build-id a0..b3) in the PT_NOTE of
 * build_elf32's image; returns the notes' length. */
static uint32_t put_notes(uint8_t *img)
{
    static const uint32_t abi[] = { 4, 16, NT_GNU_ABI_TAG };
    static const uint32_t bid[] = { 4, 20, NT_GNU_BUILD_ID };
    uint8_t *n = img + 0x1000;
    memcpy(n, abi, sizeof(abi));
    memcpy(n + 12, "GNU", 4);
    memset(n + 16, 0, 16);
    memcpy(n + 32, bid, sizeof(bid));
    memcpy(n + 44, "GNU", 4);
    for (int i = 0; i < 20; i++)
        n[48 + i] = (uint8_t)(0xa0 + i);
    return 68;
}

/* The image's GNU build-id, from its PT_NOTE after another note; cut to the caller's room; none
 * when the note runs past its segment or the file is not ELF. */
static void test_build_id_from_notes(void **state)
{
    struct fixture *f = *state;
    build_elf32(f->img, 0x100000);
    Elf32_Phdr *ph = (void *)(f->img + sizeof(Elf32_Ehdr));
    ph[1].p_filesz = put_notes(f->img);
    uint8_t id[32], want[20];
    for (int i = 0; i < 20; i++)
        want[i] = (uint8_t)(0xa0 + i);
    assert_int_equal(mbkernel_build_id(f->img, sizeof(f->img), id, sizeof(id)), 20);
    assert_memory_equal(id, want, 20);
    assert_int_equal(mbkernel_build_id(f->img, sizeof(f->img), id, 8), 8);
    assert_memory_equal(id, want, 8);
    ph[1].p_filesz = 60;                                  /* the build-id runs past the segment */
    assert_int_equal(mbkernel_build_id(f->img, sizeof(f->img), id, sizeof(id)), 0);
    f->img[0] = 0;                                        /* not ELF */
    assert_int_equal(mbkernel_build_id(f->img, sizeof(f->img), id, sizeof(id)), 0);
}

static void test_elf32_segments_bss_and_entry(void **state)
{
    struct fixture *f = *state;
    build_elf32(f->img, 0x100010);
    assert_int_equal(load(f, sizeof(f->img)), 0);
    assert_string_equal(f->out.format, "elf32");
    assert_int_equal(f->out.entry, 0x100010);
    assert_int_equal(f->out.lo, 0x100000);
    assert_int_equal(f->out.hi, 0x103000);
    assert_int_equal(f->out.has_mb1_header, 0);
    assert_memory_equal(f->gmem + 0x100000, f->img + 0x1000, 0x180);
    assert_memory_equal(f->gmem + 0x102000, f->img + 0x2000, 0x40);
    assert_zero(f->gmem + 0x102040, 0x1000 - 0x40);                 /* BSS */
    assert_poison(f->gmem + 0xFF000, 0x1000);                       /* below: untouched */
    assert_poison(f->gmem + 0x100180, 0x102000 - 0x100180);         /* the gap too */
    assert_poison(f->gmem + 0x103000, 0x100);
}

static void test_elf64_loads_at_physical_addresses(void **state)
{
    struct fixture *f = *state;
    Elf64_Ehdr *e = (void *)f->img;
    memset(e, 0, sizeof(*e));
    memcpy(e->e_ident, ELFMAG, SELFMAG);
    e->e_ident[EI_CLASS] = ELFCLASS64;
    e->e_ident[EI_DATA] = ELFDATA2LSB;
    e->e_type = ET_EXEC;
    e->e_machine = EM_X86_64;
    e->e_entry = 0x200040;
    e->e_phoff = 0x100;                                   /* not right after the header */
    e->e_phentsize = sizeof(Elf64_Phdr);
    e->e_phnum = 2;
    Elf64_Phdr *ph = (void *)(f->img + 0x100);
    ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x800, .p_vaddr = 0xFFFFFFFF80200000ull,
                          .p_paddr = 0x200000, .p_filesz = 0x300, .p_memsz = 0x2000 };
    ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = 0xFFFFFFFF80300000ull,
                          .p_paddr = 0x300000, .p_filesz = 0, .p_memsz = 0 };   /* empty: skipped */
    assert_int_equal(load(f, 0x1100), 0);
    assert_string_equal(f->out.format, "elf64");
    assert_int_equal(f->out.entry, 0x200040);
    assert_int_equal(f->out.lo, 0x200000);
    assert_int_equal(f->out.hi, 0x202000);
    assert_memory_equal(f->gmem + 0x200000, f->img + 0x800, 0x300);
    assert_zero(f->gmem + 0x200300, 0x2000 - 0x300);
    assert_poison(f->gmem + 0x300000, 0x10);
}

static void test_elf_with_mb1_header_still_loads_as_elf(void **state)
{
    struct fixture *f = *state;
    build_elf32(f->img, 0x100000);
    struct mb1_header h = { .magic = MB1_HEADER_MAGIC, .flags = 3 };
    h.checksum = -(h.magic + h.flags);
    memcpy(f->img + 0x1000, &h, sizeof(h));               /* start of the text segment */
    assert_int_equal(load(f, sizeof(f->img)), 0);
    assert_int_equal(f->out.has_mb1_header, 1);
    assert_string_equal(f->out.format, "elf32");
    assert_memory_equal(f->gmem + 0x100000, &h, sizeof(h));
}

static void test_truncated_elf64_header(void **state)
{
    struct fixture *f = *state;
    memcpy(f->img, ELFMAG, SELFMAG);
    f->img[EI_CLASS] = ELFCLASS64;
    f->img[EI_DATA] = ELFDATA2LSB;
    assert_int_equal(load(f, sizeof(Elf64_Ehdr) - 1), -1);
    assert_string_equal(f->err, "truncated ELF header");
}

static void test_elf32_shorter_than_its_header(void **state)
{
    struct fixture *f = *state;
    build_elf32(f->img, 0x100000);
    assert_int_equal(load(f, sizeof(Elf32_Ehdr) - 1), -1);
    assert_non_null(strstr(f->err, "not a multiboot kernel"));
}

static void test_truncated_program_headers(void **state)
{
    struct fixture *f = *state;
    build_elf32(f->img, 0x100000);
    /* three headers need 52 + 96 bytes */
    assert_int_equal(load(f, sizeof(Elf32_Ehdr) + 2 * sizeof(Elf32_Phdr)), -1);
    assert_string_equal(f->err, "truncated or malformed ELF program headers");
}

static void test_truncated_segment(void **state)
{
    struct fixture *f = *state;
    build_elf32(f->img, 0x100000);
    assert_int_equal(load(f, 0x2020), -1);                /* data segment needs 0x2040 */
    assert_non_null(strstr(f->err, "segment at file offset 0x2000 is truncated"));
}

static void test_segment_beyond_guest_memory(void **state)
{
    struct fixture *f = *state;
    build_elf32(f->img, 0x100000);
    Elf32_Phdr *ph = (void *)(f->img + sizeof(Elf32_Ehdr));
    ph[2].p_paddr = GSIZE - 0x800;                        /* BSS runs past the end */
    assert_int_equal(load(f, sizeof(f->img)), -1);
    assert_non_null(strstr(f->err, "[0x3ff800, 0x400800)"));
    assert_non_null(strstr(f->err, "4 MiB"));
    assert_non_null(strstr(f->err, "mem="));
}

static void test_entry_outside_image(void **state)
{
    struct fixture *f = *state;
    build_elf32(f->img, 0x103000);                        /* one past the end */
    assert_int_equal(load(f, sizeof(f->img)), -1);
    assert_string_equal(f->err, "entry point 0x103000 is outside the loaded image "
                                "[0x100000, 0x103000)");
    build_elf32(f->img, 0xFFFFF);
    assert_int_equal(load(f, sizeof(f->img)), -1);
    assert_non_null(strstr(f->err, "entry point 0xfffff"));
}

static void test_nothing_to_load(void **state)
{
    struct fixture *f = *state;
    build_elf32(f->img, 0x100000);
    Elf32_Phdr *ph = (void *)(f->img + sizeof(Elf32_Ehdr));
    ph[0].p_type = PT_NOTE;
    ph[2].p_type = PT_DYNAMIC;
    assert_int_equal(load(f, sizeof(f->img)), -1);
    assert_string_equal(f->err, "the image has nothing to load");
}

static void test_not_a_kernel(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(load(f, sizeof(f->img)), -1);
    assert_string_equal(f->err, "not a multiboot kernel: neither an ELF file nor a multiboot "
                                "header with load addresses");
    assert_int_equal(f->out.has_mb1_header, 0);
}

static void test_big_endian_elf(void **state)
{
    struct fixture *f = *state;
    build_elf32(f->img, 0x100000);
    f->img[EI_DATA] = ELFDATA2MSB;
    assert_int_equal(load(f, sizeof(f->img)), -1);
    assert_string_equal(f->err, "not a little-endian ELF");
}

static void test_unknown_elf_class(void **state)
{
    struct fixture *f = *state;
    build_elf32(f->img, 0x100000);
    f->img[EI_CLASS] = 7;
    assert_int_equal(load(f, sizeof(f->img)), -1);
    assert_string_equal(f->err, "unknown ELF class 7");
}

/* Multiboot 0.6.96 3.1.3: with flag 16 the header's addresses say where the file goes:
 * header_addr - load_addr is the header's distance from the first byte loaded, so the file's
 * byte `file_off` lands at load_addr. */
static struct mb1_header *put_kludge_header(uint8_t *img, uint32_t at, uint32_t file_off,
                                            uint32_t load_addr, uint32_t load_end,
                                            uint32_t bss_end, uint32_t entry)
{
    struct mb1_header *h = (void *)(img + at);
    h->magic = MB1_HEADER_MAGIC;
    h->flags = MB1_HDR_AOUT_KLUDGE | 3;
    h->checksum = -(h->magic + h->flags);
    h->header_addr = load_addr + (at - file_off);
    h->load_addr = load_addr;
    h->load_end_addr = load_end;
    h->bss_end_addr = bss_end;
    h->entry_addr = entry;
    return h;
}

static void test_aout_kludge_loads_from_header_offset(void **state)
{
    struct fixture *f = *state;
    put_kludge_header(f->img, 0x80, 0x20, 0x100000, 0x100400, 0x101000, 0x100100);
    assert_int_equal(load(f, sizeof(f->img)), 0);
    assert_string_equal(f->out.format, "multiboot a.out kludge");
    assert_int_equal(f->out.has_mb1_header, 1);
    assert_int_equal(f->out.entry, 0x100100);
    assert_int_equal(f->out.lo, 0x100000);
    assert_int_equal(f->out.hi, 0x101000);
    assert_memory_equal(f->gmem + 0x100000, f->img + 0x20, 0x400);
    assert_int_equal(*(uint32_t *)(f->gmem + 0x100060), MB1_HEADER_MAGIC);   /* 0x80 - 0x20 */
    assert_zero(f->gmem + 0x100400, 0xC00);                                   /* BSS */
    assert_poison(f->gmem + 0x101000, 0x100);
    assert_poison(f->gmem + 0xFFF00, 0x100);
}

static void test_aout_kludge_without_load_end_loads_rest_of_file(void **state)
{
    struct fixture *f = *state;
    put_kludge_header(f->img, 0x80, 0x20, 0x100000, 0, 0, 0x100000);
    assert_int_equal(load(f, 0x820), 0);
    assert_int_equal(f->out.lo, 0x100000);
    assert_int_equal(f->out.hi, 0x100800);                           /* 0x820 - 0x20 bytes */
    assert_memory_equal(f->gmem + 0x100000, f->img + 0x20, 0x800);
    assert_poison(f->gmem + 0x100800, 0x10);
}

static void test_aout_kludge_takes_precedence_over_elf(void **state)
{
    struct fixture *f = *state;
    build_elf32(f->img, 0x100000);
    put_kludge_header(f->img, 0x1000, 0x1000, 0x200000, 0x200100, 0, 0x200000);
    assert_int_equal(load(f, sizeof(f->img)), 0);
    assert_string_equal(f->out.format, "multiboot a.out kludge");
    assert_int_equal(f->out.lo, 0x200000);
    assert_int_equal(f->out.hi, 0x200100);
    assert_memory_equal(f->gmem + 0x200000, f->img + 0x1000, 0x100);
    assert_poison(f->gmem + 0x100000, 0x10);                         /* ELF segments not used */
}

static void test_aout_kludge_load_addr_above_header_addr(void **state)
{
    struct fixture *f = *state;
    struct mb1_header *h = put_kludge_header(f->img, 0x80, 0x20, 0x100000, 0, 0, 0x100000);
    h->load_addr = h->header_addr + 4;
    assert_int_equal(load(f, sizeof(f->img)), -1);
    assert_string_equal(f->err, "multiboot header: load_addr 0x100064 above header_addr 0x100060");
}

static void test_aout_kludge_load_start_before_file(void **state)
{
    struct fixture *f = *state;
    /* the header claims to be 0x1000 bytes after the first loaded byte, but is at 0x80 */
    struct mb1_header *h = put_kludge_header(f->img, 0x80, 0x20, 0x100000, 0, 0, 0x100000);
    h->header_addr = 0x101000;
    assert_int_equal(load(f, sizeof(f->img)), -1);
    assert_true(f->err[0] != '\0');
    assert_poison(f->gmem + 0x100000, 0x100);
}

static void test_aout_kludge_load_end_below_load_addr(void **state)
{
    struct fixture *f = *state;
    put_kludge_header(f->img, 0x80, 0x20, 0x100000, 0xFF000, 0, 0x100000);
    assert_int_equal(load(f, sizeof(f->img)), -1);
    assert_string_equal(f->err, "multiboot header: load_end_addr below load_addr");
}

static void test_aout_kludge_entry_outside(void **state)
{
    struct fixture *f = *state;
    put_kludge_header(f->img, 0x80, 0x20, 0x100000, 0x100400, 0, 0x100400);
    assert_int_equal(load(f, sizeof(f->img)), -1);
    assert_string_equal(f->err, "entry point 0x100400 is outside the loaded image "
                                "[0x100000, 0x100400)");
}

static void test_mb1_header_only_searched_in_first_8k(void **state)
{
    struct fixture *f = *state;
    static uint8_t big[0x4000];
    memset(big, 0x11, sizeof(big));
    put_kludge_header(big, 0x2000, 0, 0x100000, 0, 0, 0x100000);
    struct mbkernel_load out;
    char err[128];
    assert_int_equal(mbkernel_load(big, sizeof(big), f->gmem, GSIZE, &out, err, sizeof(err)), -1);
    assert_int_equal(out.has_mb1_header, 0);
    assert_non_null(strstr(err, "not a multiboot kernel"));
    /* a bad checksum is no header either */
    put_kludge_header(big, 0x1000, 0, 0x100000, 0, 0, 0x100000);
    ((struct mb1_header *)(big + 0x1000))->checksum ^= 1;
    assert_int_equal(mbkernel_load(big, sizeof(big), f->gmem, GSIZE, &out, err, sizeof(err)), -1);
    assert_int_equal(out.has_mb1_header, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_elf32_segments_bss_and_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_id_from_notes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elf64_loads_at_physical_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elf_with_mb1_header_still_loads_as_elf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_elf64_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elf32_shorter_than_its_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_program_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_segment_beyond_guest_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entry_outside_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_to_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_kernel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_endian_elf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_elf_class, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aout_kludge_loads_from_header_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aout_kludge_without_load_end_loads_rest_of_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aout_kludge_takes_precedence_over_elf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aout_kludge_load_addr_above_header_addr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aout_kludge_load_start_before_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aout_kludge_load_end_below_load_addr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aout_kludge_entry_outside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mb1_header_only_searched_in_first_8k, setup, teardown),
    };
    return cmocka_run_group_tests_name("hv/mbkernel.c", tests, NULL, NULL);
}
