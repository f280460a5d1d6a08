/* chain.c - frame-pointer call chains with known shares, for checking a
 * profiler's stack walks.
 *
 * Three chains, all ending in the same 3-instruction loop (add, dec, jnz) of
 * CHUNK iterations per leaf call:
 *     main -> work  -> leaf     5 calls per round  50 % of the loop instructions
 *     main -> work  -> leaf2    3 calls per round  30 %
 *     main -> other -> leaf     2 calls per round  20 %
 * interleaved in the order  wl wl2 wl ol wl wl2 wl ol wl2 wl  (w = work,
 * o = other, l = leaf, l2 = leaf2).  Every function is noipa (not inlined,
 * cloned or merged) and work/other do something after the call, so there are
 * no tail calls: each chain is really on the stack.  Built with frame
 * pointers (guest.mk), entry.asm clears EBP before main, so a walk is
 * leaf -> work|other -> main -> _start, then EBP = 0.
 *
 * Options: total=N (default 60000000): wanted loop instructions; runs
 * floor(N / 59970) rounds, at least 1.  fp=normal (default) or fp=garbage:
 * the same work, but each leaf loads EBP with a bad frame pointer for the
 * duration of its loop (saved and restored around it, so the guest itself
 * is fine); the leaf calls take the bad values in turn:
 *     self   a frame whose saved EBP points to itself (a loop of one)
 *     cycle  two frames pointing to each other (a loop of two)
 *     0xdeadbeef       odd and far outside guest memory
 *     0xc0000000       aligned, beyond any guest memory (mem <= 3 GiB)
 *     0xfffffffc       the return-address slot wraps past 4 GiB
 *     0x00100001       odd, inside the kernel image
 * The fake frames' return addresses point into work and other, so a walker
 * that does not notice the loop reports plausible but endless chains.
 * depth=N puts N frames of descend() between main and work (deeper chains, for measuring).
 * Exit status 0; 2 for an unknown fp= value. */
#include "guest.h"
#include "div64.h"

#define CHUNK            1999u          /* loop iterations per leaf call: a prime */
#define INSNS_PER_ITER   3u
#define CALL_LOOP_INSNS  (CHUNK * INSNS_PER_ITER)                      /* 5997 */
#define CALLS_WORK_LEAF  5u
#define CALLS_WORK_LEAF2 3u
#define CALLS_OTHER_LEAF 2u
#define ROUND_CALLS      (CALLS_WORK_LEAF + CALLS_WORK_LEAF2 + CALLS_OTHER_LEAF)
#define ROUND_LOOP_INSNS (ROUND_CALLS * CALL_LOOP_INSNS)               /* 59970 */
#define DEFAULT_TOTAL    60000000u
#define NGARBAGE         6u

struct fake_frame {
    uint32_t next;                      /* saved EBP */
    uint32_t ret;                       /* return address */
};

static struct fake_frame self_frame, cycle_frames[2];
static uint32_t garbage[NGARBAGE];      /* filled in main */
static const uint32_t garbage_next[NGARBAGE] = { 1, 2, 3, 4, 5, 0 };
static uint32_t garbage_slot;
static int fp_garbage;

/* CHUNK iterations of add, dec, jnz with EBP = ebp_val during the loop; EBP
 * is pushed before and popped after, so the caller's frame survives.  The
 * operands are registers (never EBP, the frame pointer), not memory. */
static inline uint32_t spin(uint32_t acc, uint32_t ebp_val)
{
    uint32_t n = CHUNK;
    __asm__ volatile("push %%ebp\n\t"
                     "mov %2, %%ebp\n"
                     "1:\tadd %1, %0\n\t"
                     "dec %1\n\t"
                     "jnz 1b\n\t"
                     "pop %%ebp"
                     : "+r"(acc), "+r"(n) : "r"(ebp_val) : "cc", "memory");
    return acc;
}

/* The frame pointer the leaf runs its loop with: its own, or the next bad one. */
static inline uint32_t loop_ebp(void)
{
    uint32_t v = fp_garbage ? garbage[garbage_slot] : (uint32_t)__builtin_frame_address(0);
    garbage_slot = garbage_next[garbage_slot];
    return v;
}

/* leaf and leaf2 differ only in the constant they add (no identical-code folding). */
__attribute__((noipa)) uint32_t leaf(uint32_t acc)
{
    return spin(acc, loop_ebp()) + 1;
}

__attribute__((noipa)) uint32_t leaf2(uint32_t acc)
{
    return spin(acc, loop_ebp()) + 2;
}

__attribute__((noipa)) uint32_t work(uint32_t acc, uint32_t use_leaf2)
{
    acc = use_leaf2 ? leaf2(acc) : leaf(acc);
    __asm__ volatile("" : "+r"(acc));   /* no tail call: keep work's frame */
    return acc;
}

__attribute__((noipa)) uint32_t other(uint32_t acc)
{
    acc = leaf(acc);
    __asm__ volatile("" : "+r"(acc));   /* no tail call: keep other's frame */
    return acc;
}

/* depth=N: work is reached through N more frames (for measuring deeper call chains) */
static uint32_t extra_depth;

__attribute__((noipa)) uint32_t descend(uint32_t acc, uint32_t n, uint32_t use_leaf2)
{
    acc = n ? descend(acc, n - 1, use_leaf2) : work(acc, use_leaf2);
    __asm__ volatile("" : "+r"(acc));   /* no tail call: keep this frame */
    return acc;
}

static uint32_t call_work(uint32_t acc, uint32_t use_leaf2)
{
    return extra_depth ? descend(acc, extra_depth - 1, use_leaf2) : work(acc, use_leaf2);
}

static void print_share(const char *name, uint64_t part, uint64_t total, const char *sep)
{
    uint32_t p = pct_x100(part, total);
    printf("%s=%u.%02u%%%s", name, p / 100, p % 100, sep);
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    guest_start("chain", magic, mbi);
    uint32_t total = (uint32_t)mb_opt_num("total", DEFAULT_TOTAL);
    uint32_t rounds = total / ROUND_LOOP_INSNS;
    if (!rounds)
        rounds = 1;
    extra_depth = (uint32_t)mb_opt_num("depth", 0);
    const char *fp = mb_opt("fp");
    if (!fp)
        fp = "normal";
    if (!strcmp(fp, "garbage")) {
        fp_garbage = 1;
    } else if (strcmp(fp, "normal")) {
        printf("chain: unknown fp=%s (want normal or garbage)\n", fp);
        return 2;
    }

    self_frame = (struct fake_frame){ (uint32_t)&self_frame, (uint32_t)work + 1 };
    cycle_frames[0] = (struct fake_frame){ (uint32_t)&cycle_frames[1], (uint32_t)other + 1 };
    cycle_frames[1] = (struct fake_frame){ (uint32_t)&cycle_frames[0], (uint32_t)work + 1 };
    garbage[0] = (uint32_t)&self_frame;
    garbage[1] = (uint32_t)&cycle_frames[0];
    garbage[2] = 0xdeadbeefu;
    garbage[3] = 0xc0000000u;
    garbage[4] = 0xfffffffcu;
    garbage[5] = 0x00100001u;

    printf("chain: fp=%s main=%p work=%p other=%p leaf=%p leaf2=%p\n", fp, (void *)main,
           (void *)work, (void *)other, (void *)leaf, (void *)leaf2);
    if (fp_garbage)
        printf("chain: leaf EBP in turn: self=0x%x cycle=0x%x<->0x%x 0x%x 0x%x 0x%x 0x%x\n",
               garbage[0], garbage[1], (uint32_t)&cycle_frames[1], garbage[2], garbage[3],
               garbage[4], garbage[5]);

    uint32_t acc = 0;
    uint64_t t0 = rdtsc();
    for (uint32_t r = 0; r < rounds; r++) {
        acc = call_work(acc, 0);
        acc = call_work(acc, 1);
        acc = call_work(acc, 0);
        acc = other(acc);
        acc = call_work(acc, 0);
        acc = call_work(acc, 1);
        acc = call_work(acc, 0);
        acc = other(acc);
        acc = call_work(acc, 1);
        acc = call_work(acc, 0);
    }
    uint64_t t1 = rdtsc();

    uint64_t wl = (uint64_t)rounds * CALLS_WORK_LEAF * CALL_LOOP_INSNS;
    uint64_t wl2 = (uint64_t)rounds * CALLS_WORK_LEAF2 * CALL_LOOP_INSNS;
    uint64_t ol = (uint64_t)rounds * CALLS_OTHER_LEAF * CALL_LOOP_INSNS;
    uint64_t all = wl + wl2 + ol;
    printf("chain: rounds=%u chunk=%u acc=%08x ticks=%llu\n", rounds, CHUNK, acc, t1 - t0);
    printf("chain: loop instructions main>work>leaf=%llu main>work>leaf2=%llu "
           "main>other>leaf=%llu\n", wl, wl2, ol);
    printf("chain: ");
    print_share("main>work>leaf", wl, all, " ");
    print_share("main>work>leaf2", wl2, all, " ");
    print_share("main>other>leaf", ol, all, "");
    printf(" of %llu loop instructions\n", all);
    printf("chain: self ");
    print_share("leaf", wl + ol, all, " ");
    print_share("leaf2", wl2, all, ", inclusive ");
    print_share("work", wl + wl2, all, " ");
    print_share("other", ol, all, "\n");
    return 0;
}
