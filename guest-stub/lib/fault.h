/* fault.h - instructions that may fault, tried safely (see fault.asm). */
#ifndef GUEST_FAULT_H
#define GUEST_FAULT_H

#include <stdint.h>

/* Load the IDT that turns #GP/#UD in the *_try functions into -1. */
void fault_init(void);

/* The EFLAGS image the last #GP/#UD pushed on the stack (RF is bit 16). */
extern volatile uint32_t fault_eflags;

int rdmsr_try(uint32_t msr, uint64_t *value);
int wrmsr_try(uint32_t msr, uint64_t value);
int rdpmc_try(uint32_t counter, uint64_t *value);

#endif
