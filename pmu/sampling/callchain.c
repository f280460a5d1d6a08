#include "pmu/sampling/callchain.h"

int callchain_walk(uint64_t fp, int word64, int max, uint64_t *out, callchain_read_fn read, void *ctx)
{
    uint64_t word = word64 ? 8 : 4;
    int n = 0;

    while (n < max && fp && !(fp & (word - 1))) {
        uint64_t frame[2] = { 0, 0 };
        if (word64) {
            if (read(ctx, fp, frame, 16))
                break;
        } else {
            uint32_t f32[2];
            if (read(ctx, fp, f32, 8))
                break;
            frame[0] = f32[0];
            frame[1] = f32[1];
        }
        if (!frame[1])
            break;
        out[n++] = frame[1];
        /* the caller's frame lies above this one on the stack, and not absurdly far */
        if (frame[0] <= fp || frame[0] - fp > CALLCHAIN_MAX_FRAME)
            break;
        fp = frame[0];
    }
    return n;
}
