#!/usr/bin/env bash
# Isolation tests for hostile guests (issue #7): the real hypervisor in Bochs (VT-x,
# deterministic) with guests that try to see or disturb another domain's CPU state, or to make
# the hypervisor emulate an access that was never a MOV to the xAPIC page.
# Prints one "ok"/"not ok" line per check and ends with "isolation tests: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
suite_setup isolation


# 1. debug registers, IA32_DEBUGCTL and CR8 are per domain: two copies of dbgiso with different
#    values yield to each other 50 times; each starts from the RESET values, keeps its DR7
#    across exits, sees CR8 and its own xAPIC TPR as one register, and never sees the other's.
run_pv debug-state "$G/dbgiso.elf:name=d1 tag=1" "$G/dbgiso.elf:name=d2 tag=2"
expect_rc 0
for d in 1 2; do
    expect "^\[$d:d$d\] dbgiso: tag=$d debugctl BTS refused with #GP$"
    expect "^\[$d:d$d\] dbgiso: tag=$d reset values OK$"
    expect "^\[$d:d$d\] dbgiso: tag=$d cr8/tpr OK$"
    expect "^\[$d:d$d\] dbgiso: tag=$d isolation OK after 50 yields$"
    expect "^perfvisor: domain $d \(d$d\) exited with status 0$"
done
expect_no 'FAIL'
# the two interleaved: domain 2 started (and saw RESET values) after domain 1 wrote its own
if awk '/^\[1:d1\] dbgiso: tag=1 cr8\/tpr OK/ { one = NR } /^\[2:d2\] dbgiso: tag=2 reset values OK/ { two = NR }
        END { exit !(one && two && one < two) }' "$log"; then
    ok "domain 2 checked its RESET values after domain 1 had written its own"
else
    not_ok "domain 2 did not start after domain 1 wrote its values"
fi

# 2. the xAPIC emulation decodes the MOV at RIP only for a data access to the translation of a
#    linear address (exit qualification bits 7 and 8, outside event delivery): a page walk
#    through a page table on the APIC page, an IDT there (#PF delivery) and a GDT there (segment
#    load) stop their domains with the reason; a real MOV to the page beside them is emulated,
#    and the well-behaved guests finish.  (Before, pte read the version register into EAX and
#    idt lost its #PF: the MOV at RIP was emulated for them.)
run_pv xapic-not-a-mov "$G/hello.elf:name=good" "$G/apicwalk.elf:name=pte mode=pte" \
    "$G/apicwalk.elf:name=idt mode=idt" "$G/apicwalk.elf:name=gdt mode=gdt" \
    "$G/apicwalk.elf:name=mov mode=mov" "$G/hello.elf:name=good2"
expect_rc 1
expect '^perfvisor: domain 1 \(good\) exited with status 0$'
expect '^perfvisor: domain 2 \(pte\) stopped: EPT violation: page-table walk touched the xAPIC page at guest-physical 0xfee00030 \(translating linear 0x4000c000\) at rip 0x[0-9a-f]+; qualification 0x81$'
expect '^perfvisor: domain 3 \(idt\) stopped: EPT violation: delivering vector 14 touched the xAPIC page at guest-physical 0xfee00070 .* at rip 0x[0-9a-f]+; qualification 0x181$'
expect '^perfvisor: domain 4 \(gdt\) stopped: EPT violation: the guest.s GDT lies on the xAPIC page \(access to guest-physical 0xfee00010, linear 0xfee00010, at rip 0x[0-9a-f]+; qualification 0x181\)$'
expect '^\[5:mov\] apicwalk: mode=mov version=50014$'
expect '^perfvisor: domain 5 \(mov\) exited with status 0$'
expect '^perfvisor: domain 6 \(good2\) exited with status 0$'
expect_no 'survived'
expect_no 'PANIC|hypervisor exception'

summary isolation
