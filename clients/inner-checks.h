/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The checks the QEMU client's inner guest makes on the devices QEMU
 * assigned to it, shared by its two forms: barpoke.c (Linux user space,
 * BARs through sysfs mmap) and mini.c (a bare-metal multiboot payload,
 * BARs at the physical addresses it programs). Freestanding: no libc.
 *
 * The including file provides, before the #include:
 *   struct inner_dev;                      a device, its own way
 *   static void putstr(const char *s);     console output
 *   static void set_memory_enable(struct inner_dev *d, int on);
 *
 * ivshmem BAR2 is the outermost host's 1 GiB file (scripts/ivshmem.py):
 * page i starts with IVSHMEM_TAG | i. The client owns one page of the
 * selftests' scratch range, CLIENT_PAGE: per run a (nonce, boot count)
 * pair that tells the first boot from the one after the reboot, and one
 * slot per run and boot that the host checks afterwards (ivshmem.py
 * check-client).
 *
 * Output: "inner: ok NAME [# note]" / "inner: not ok NAME # why", one
 * "inner: boot B" line and one "inner: values ..." line per boot, which
 * clients/qemu-assign.sh turns into TAP and compares between runs.
 */
#include <stdarg.h>
#include <stdint.h>

#define PG		4096ULL
#define IVSHMEM_SIZE	(1ULL << 30)
#define IVSHMEM_TAG	0x5646494f00000000ULL
#define SCRATCH_PAGE	((IVSHMEM_SIZE - (1ULL << 20)) / PG)
#define CLIENT_PAGE	(IVSHMEM_SIZE / PG - 2)	/* last scratch page */
#define CLIENT_NONCE(r)	(64 + 16 * (r))		/* byte offsets in it */
#define CLIENT_COUNT(r)	(72 + 16 * (r))
#define CLIENT_SLOT(r, b) (512 + 8 * (2 * (r) + (b)))
#define CLIENT_VALUE	0x514d4550434c0000ULL	/* "..LCPEMQ" | run << 8 | boot */
#define EDU_ID		0x010000edU

static int failures;

/* A small vsnprintf: %s %c %u %d %x %08x %llx %016llx (no 64-bit division) */
static void fmt(char *buf, unsigned int len, const char *f, va_list ap)
{
	unsigned int o = 0, width, i;
	char tmp[24], *t;
	const char *s;
	unsigned long long v;
	int zero, ll, base;

#define PUT(c) do { if (o + 1 < len) buf[o++] = (c); } while (0)
	for (; *f; f++) {
		if (*f != '%') {
			PUT(*f);
			continue;
		}
		f++;
		zero = *f == '0';
		width = 0;
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (unsigned int)(*f++ - '0');
		ll = 0;
		while (*f == 'l')
			ll++, f++;
		switch (*f) {
		case 's':
			for (s = va_arg(ap, const char *); *s; s++)
				PUT(*s);
			continue;
		case 'c':
			PUT((char)va_arg(ap, int));
			continue;
		case 'd':
			i = (unsigned int)va_arg(ap, int);
			if ((int)i < 0) {
				PUT('-');
				i = -i;
			}
			v = i, base = 10;
			break;
		case 'u':
			v = va_arg(ap, unsigned int), base = 10;
			break;
		case 'x':
			v = ll ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
			base = 16;
			break;
		default:
			PUT('%');
			PUT(*f);
			continue;
		}
		t = tmp + sizeof(tmp);
		*--t = 0;
		do {
			if (base == 16) {
				*--t = "0123456789abcdef"[v & 15];
				v >>= 4;
			} else {
				/* only 32-bit values get here */
				*--t = (char)('0' + (unsigned int)v % 10);
				v = (unsigned int)v / 10;
			}
		} while (v);
		for (i = (unsigned int)(tmp + sizeof(tmp) - 1 - t); i < width; i++)
			PUT(zero ? '0' : ' ');
		while (*t)
			PUT(*t++);
	}
	buf[o < len ? o : len - 1] = 0;
#undef PUT
}

static void say(const char *f, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *f, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, f);
	fmt(buf, sizeof(buf), f, ap);
	va_end(ap);
	putstr(buf);
}

static void str(char *buf, unsigned int len, const char *f, ...)
	__attribute__((format(printf, 3, 4)));
static void str(char *buf, unsigned int len, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	fmt(buf, len, f, ap);
	va_end(ap);
}

static void result(int ok, const char *name, const char *note)
{
	say("inner: %s %s%s%s\n", ok ? "ok" : "not ok", name,
	    note && *note ? " # " : "", note ? note : "");
	failures += !ok;
}

static uint32_t rd32(volatile void *p, uint64_t off)
{
	return *(volatile uint32_t *)((volatile char *)p + off);
}

static void wr32(volatile void *p, uint64_t off, uint32_t v)
{
	*(volatile uint32_t *)((volatile char *)p + off) = v;
}

/* 64-bit values as two 32-bit accesses, low half first: the same on both */
static uint64_t rd64(volatile void *p, uint64_t off)
{
	uint64_t lo = rd32(p, off);

	return lo | (uint64_t)rd32(p, off + 4) << 32;
}

static void wr64(volatile void *p, uint64_t off, uint64_t v)
{
	wr32(p, off, (uint32_t)v);
	wr32(p, off + 4, (uint32_t)(v >> 32));
}

/* edu: ID register and the liveness register (reads back ~value) */
static uint64_t edu(volatile void *bar, const char *tag)
{
	static const uint32_t vals[] = { 0, 0x12345678, 0xffffffff, 0xa5a5a5a5 };
	char name[80], note[80];
	uint64_t sum;
	uint32_t id, got;
	unsigned int i, bad = 0;

	id = rd32(bar, 0);
	str(name, sizeof(name), "%sedu_id", tag);
	str(note, sizeof(note), "0x%08x", id);
	result(id == EDU_ID, name, note);
	sum = id;
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		wr32(bar, 4, vals[i]);
		got = rd32(bar, 4);
		if (got != ~vals[i] && !bad++)
			say("inner: edu liveness: wrote 0x%08x, read 0x%08x\n", vals[i], got);
		sum = sum * 31 + got;
	}
	str(name, sizeof(name), "%sedu_liveness", tag);
	str(note, sizeof(note), "%u of 4 wrong", bad);
	result(!bad, name, bad ? note : "");
	return sum;
}

/* ivshmem: the host's pattern on a spread of pages below the scratch */
static uint64_t ivshmem_pattern(volatile void *bar, const char *tag)
{
	uint64_t i, v, sum = 0, firstv = 0;
	unsigned int n = 0, bad = 0, first = 0;
	char name[80], note[80];

	for (i = 0; i < SCRATCH_PAGE; i = i < 2 ? i + 1 : i + 61) {
		v = rd64(bar, i * PG);
		if (v != (IVSHMEM_TAG | i) && !bad++)
			first = (unsigned int)i, firstv = v;
		sum = sum * 31 + v;
		n++;
	}
	i = SCRATCH_PAGE - 1;
	v = rd64(bar, i * PG);
	if (v != (IVSHMEM_TAG | i) && !bad++)
		first = (unsigned int)i, firstv = v;
	sum = sum * 31 + v;
	n++;
	str(name, sizeof(name), "%sivshmem_host_pattern", tag);
	if (bad)
		str(note, sizeof(note), "%u of %u pages differ, page %u holds 0x%llx",
		    bad, n, first, (unsigned long long)firstv);
	else
		str(note, sizeof(note), "%u pages", n);
	result(!bad, name, note);
	return sum;
}

/*
 * One boot's checks on edu BAR0 @e and ivshmem BAR2 @s; the boot number
 * (0 first, 1 after the reboot) goes to @bootp. Returns the failures.
 */
static int inner_checks(struct inner_dev *edu_dev, volatile void *e,
			struct inner_dev *shm_dev, volatile void *s,
			int run, uint64_t nonce, uint64_t *bootp)
{
	uint64_t c = CLIENT_PAGE * PG, boot, v, sum_e, sum_s, want;
	char name[80], note[80];
	unsigned int b;

	if (rd64(s, c + CLIENT_NONCE(run)) != nonce) {
		wr64(s, c + CLIENT_NONCE(run), nonce);
		wr64(s, c + CLIENT_COUNT(run), 0);
	}
	boot = rd64(s, c + CLIENT_COUNT(run));
	wr64(s, c + CLIENT_COUNT(run), boot + 1);
	*bootp = boot;
	b = (unsigned int)boot + 1;
	say("inner: boot %u\n", (unsigned int)boot);
	if (boot > 1)
		return 1;

	str(name, sizeof(name), "boot%u.", b);
	sum_e = edu(e, name);
	sum_s = ivshmem_pattern(s, name);

	/* a value for the outermost host, read back through the same path */
	want = CLIENT_VALUE | (uint64_t)run << 8 | boot;
	wr64(s, c + CLIENT_SLOT(run, boot), want);
	v = rd64(s, c + CLIENT_SLOT(run, boot));
	str(name, sizeof(name), "boot%u.ivshmem_write_readback", b);
	str(note, sizeof(note), "0x%llx", (unsigned long long)v);
	result(v == want, name, note);

	/*
	 * Memory enable off and on again: QEMU passes it to vfio-pci, which
	 * revokes QEMU's own BAR mappings; the next access refaults them.
	 */
	set_memory_enable(edu_dev, 0);
	set_memory_enable(shm_dev, 0);
	set_memory_enable(edu_dev, 1);
	set_memory_enable(shm_dev, 1);
	str(name, sizeof(name), "boot%u.after_memory_toggle.", b);
	if (edu(e, name) != sum_e || ivshmem_pattern(s, name) != sum_s)
		result(0, name, "values differ from before the toggle");
	v = rd64(s, c + CLIENT_SLOT(run, boot));
	str(name, sizeof(name), "boot%u.after_memory_toggle.ivshmem_write_kept", b);
	str(note, sizeof(note), "0x%llx", (unsigned long long)v);
	result(v == want, name, note);

	say("inner: values boot%u edu=%016llx ivshmem=%016llx slot=%016llx\n", b,
	    (unsigned long long)sum_e, (unsigned long long)sum_s,
	    (unsigned long long)(v & ~0xffffULL));
	return failures;
}
