// SPDX-License-Identifier: GPL-2.0
/*
 * mini: the bare-metal form of the QEMU client's inner guest
 * (clients/qemu-assign.sh, the default; QEMU_ASSIGN_GUEST=linux boots the
 * test kernel instead). A 32-bit multiboot payload that QEMU loads with
 * -kernel: it does what a firmware and a driver do with the assigned edu
 * and ivshmem and nothing else, so the second-level boot takes seconds
 * instead of the minutes a Linux boot takes under TCG inside TCG.
 *
 * Like a firmware it sizes each BAR with memory decoding off (write ~0,
 * read back the mask), programs an address, and sets memory enable; QEMU
 * passes all of it to vfio-pci in the test guest (BAR sizing is emulated
 * by QEMU, memory enable reaches the device: vfio-pci revokes QEMU's BAR
 * mappings while it is off), and prints "inner: bars enabled" (where make
 * bench's VM start measure ends: QEMU has DMA-mapped the BARs by then).
 * Then the checks of clients/inner-checks.h on the BARs at their physical
 * addresses, without paging; an ivshmem BAR2 bigger than 1 GiB goes above
 * 4 GiB and its first GiB is reached through 32-bit paging with PSE-36
 * 4 MiB pages at the address a 1 GiB BAR has. Run 0 reboots through
 * the PIIX3 reset control register (QEMU resets the assigned devices) and
 * powers off after the second boot, run 1 after the first, through the
 * PIIX4 ACPI PM1 control register. Console: COM1. Parameters from the
 * multiboot command line: "run=N nonce=0x...".
 *
 * Built with gcc -m32 -ffreestanding and ld -m elf_i386 (clients/Makefile).
 */
#include <stdint.h>

/* Multiboot header (flags 0: an ELF image, no video, no memory map) */
__asm__(".section .multiboot, \"a\"\n"
	".align 4\n"
	".long 0x1badb002, 0, -0x1badb002\n"
	".text\n"
	".globl _start\n"
	"_start:\n"
	"	mov $stack + 16384, %esp\n"
	"	push %ebx\n"		/* the multiboot information */
	"	call mini_main\n"
	"1:	hlt\n"
	"	jmp 1b\n");

char stack[16384] __attribute__((aligned(16)));

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putstr(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putstr("\r");
		while (!(inb(0x3f8 + 5) & 0x20))
			;
		outb(0x3f8, (uint8_t)*s);
	}
}

/* PCI configuration mechanism #1, bus 0 */
struct inner_dev {
	unsigned int dev;
	uint32_t bar;		/* where mini put the BAR it uses */
};

static uint32_t cfg_addr(unsigned int dev, unsigned int off)
{
	return 0x80000000u | dev << 11 | (off & 0xfc);
}

static uint32_t cfg_read(unsigned int dev, unsigned int off)
{
	outl(0xcf8, cfg_addr(dev, off));
	return inl(0xcfc);
}

static void cfg_write(unsigned int dev, unsigned int off, uint32_t v)
{
	outl(0xcf8, cfg_addr(dev, off));
	outl(0xcfc, v);
}

/* the command register is the low half of dword 1; keep the status half 0 */
static void set_command(unsigned int dev, uint16_t cmd)
{
	cfg_write(dev, 4, cmd);
}

static void set_memory_enable(struct inner_dev *d, int on)
{
	uint16_t cmd = (uint16_t)cfg_read(d->dev, 4);

	set_command(d->dev, on ? cmd | 2 : cmd & ~2);
}

#include "inner-checks.h"

/*
 * Size BAR @bar (decoding off) and program @addr; returns where it went.
 * A 64-bit BAR bigger than the 1 GiB window at @addr (make bench's 4 and
 * 16 GiB ivshmem) goes above 4 GiB instead, aligned to its size, as
 * firmware places it.
 */
static uint64_t place_bar(unsigned int dev, unsigned int bar, uint64_t addr)
{
	unsigned int off = 0x10 + 4 * bar;
	uint32_t orig = cfg_read(dev, off);
	uint64_t mask, size;
	int is64 = (orig & 6) == 4;

	cfg_write(dev, off, 0xffffffff);
	mask = 0xffffffff00000000ULL | (cfg_read(dev, off) & ~0xfu);
	if (is64) {
		cfg_write(dev, off + 4, 0xffffffff);
		mask = (uint64_t)cfg_read(dev, off + 4) << 32 | (uint32_t)mask;
	}
	size = ~mask + 1;
	if (is64 && size > (1ULL << 30))
		addr = size > (1ULL << 32) ? size : 1ULL << 32;
	cfg_write(dev, off, (uint32_t)addr);
	if (is64)
		cfg_write(dev, off + 4, (uint32_t)(addr >> 32));
	addr = cfg_read(dev, off) & ~0xfu;
	if (is64)
		addr |= (uint64_t)cfg_read(dev, off + 4) << 32;
	say("inner: 00:%02x.0 BAR%u: size 0x%llx%s at 0x%08llx\n", dev, bar,
	    (unsigned long long)size, is64 ? " 64-bit" : "",
	    (unsigned long long)addr);
	return addr;
}

/*
 * A BAR above 4 GiB cannot be reached without paging: map its first GiB
 * at @virt with 4 MiB pages of 32-bit paging with PSE-36 (physical
 * addresses up to 40 bits), everything else of the low 4 GiB identity
 * mapped. Returns 0 if the CPU has no PSE-36.
 */
static uint32_t page_dir[1024] __attribute__((aligned(4096)));

static int map_high(uint32_t virt, uint64_t phys)
{
	uint32_t eax = 1, ebx, ecx = 0, edx, i;
	uint64_t pa;

	__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	if (!(edx & (1u << 17)))
		return 0;
	for (i = 0; i < 1024; i++) {
		pa = (uint64_t)i << 22;
		if (pa >= virt && pa < virt + (1ULL << 30))
			pa = phys + (pa - virt);
		page_dir[i] = ((uint32_t)pa & 0xffc00000u) |
			      ((uint32_t)(pa >> 32) & 0xff) << 13 | 0x83;
	}
	__asm__ volatile("mov %0, %%cr3\n"
			 "mov %%cr4, %%eax\n"
			 "or $0x10, %%eax\n"		/* PSE */
			 "mov %%eax, %%cr4\n"
			 "mov %%cr0, %%eax\n"
			 "or $0x80000000, %%eax\n"	/* PG */
			 "mov %%eax, %%cr0\n"
			 : : "r"(page_dir) : "eax", "memory");
	return 1;
}

static int find_dev(uint32_t id, unsigned int *devp)
{
	unsigned int dev;

	for (dev = 0; dev < 32; dev++)
		if (cfg_read(dev, 0) == id) {
			*devp = dev;
			return 1;
		}
	return 0;
}

/* "run=N nonce=0xHEX" from the multiboot command line */
static uint64_t param(const char *cmdline, const char *key)
{
	const char *p, *k;
	uint64_t v = 0;

	for (p = cmdline; p && *p; p++) {
		for (k = key; *k && p[k - key] == *k; k++)
			;
		if (*k || (p != cmdline && p[-1] != ' '))
			continue;
		p += k - key;
		if (p[0] == '0' && p[1] == 'x')
			p += 2;
		for (; *p && *p != ' '; p++)
			v = v << 4 | (uint64_t)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
		return v;
	}
	return 0;
}

/* PIIX4 power management (00:01.3): PM1 control, SLP_EN with SLP_TYP 0 (S5) */
static void power_off(void)
{
	const uint32_t pm = 0x80000000u | 1 << 11 | 3 << 8;

	outl(0xcf8, pm);
	if (inl(0xcfc) != 0x71138086) {
		say("inner: no PIIX4 PM at 00:01.3\n");
		return;
	}
	outl(0xcf8, pm | 0x40);
	outl(0xcfc, 0x601);			/* PMBASE 0x600 */
	outl(0xcf8, pm | 0x80);
	outl(0xcfc, inl(0xcfc) | 1);		/* PMIOSE: decode it */
	outw(0x604, 1 << 13);
}

struct multiboot_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

void mini_main(struct multiboot_info *mbi);
void mini_main(struct multiboot_info *mbi)
{
	const char *cmdline = (mbi->flags & 4) ? (const char *)mbi->cmdline : "";
	struct inner_dev edu_dev, shm_dev;
	uint64_t boot = 9, nonce = param(cmdline, "nonce="), shm_bar;
	int run = (int)param(cmdline, "run=") & 1, rc;

	say("inner: up (mini), command line '%s'\n", cmdline);
	if (!find_dev(0x11e81234, &edu_dev.dev) || !find_dev(0x11101af4, &shm_dev.dev)) {
		result(0, "devices_found", "no edu or no ivshmem on bus 0");
		rc = 1;
	} else {
		/* as a firmware does: decoding off while the BARs are sized */
		set_command(edu_dev.dev, 0);
		set_command(shm_dev.dev, 0);
		place_bar(edu_dev.dev, 0, 0xe0000000);		/* 1 MiB */
		place_bar(shm_dev.dev, 0, 0xe0100000);		/* 256 B */
		shm_bar = place_bar(shm_dev.dev, 2, 0x40000000); /* 1 GiB */
		edu_dev.bar = 0xe0000000;
		shm_dev.bar = 0x40000000;
		/* the checks use the first GiB; above 4 GiB through paging */
		if (shm_bar != shm_dev.bar && !map_high(shm_dev.bar, shm_bar))
			say("inner: no PSE-36 paging: BAR2 above 4 GiB is out of reach\n");
		set_memory_enable(&edu_dev, 1);
		set_memory_enable(&shm_dev, 1);
		/*
		 * make bench's VM start measure ends here: QEMU DMA-mapped
		 * the BARs before the write that enabled them returned
		 */
		say("inner: bars enabled\n");
		rc = inner_checks(&edu_dev, (volatile void *)edu_dev.bar,
				  &shm_dev, (volatile void *)shm_dev.bar,
				  run, nonce, &boot);
	}
	say("inner: done rc=%d\n", rc);
	if (run == 0 && boot == 0) {
		say("inner: rebooting\n");
		outb(0xcf9, 0x02);
		outb(0xcf9, 0x06);		/* PIIX3 reset control: hard reset */
	}
	say("inner: end\n");
	power_off();
	for (;;)
		__asm__ volatile("cli; hlt");
}
