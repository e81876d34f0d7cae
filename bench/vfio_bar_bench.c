// SPDX-License-Identifier: GPL-2.0
/*
 * What a vfio-pci BAR mapping costs, measured from user space in a guest,
 * on the ivshmem BAR2 (whatever its size), for each placement of the
 * mapping (BENCH_ALIGN, default "aligned,unaligned,misaligned"):
 *   aligned    the mapping's address is aligned to the BAR's size, or to
 *              1 GiB for bigger BARs, as QEMU 9.2 and later map BARs:
 *              reserve address space, then MAP_FIXED at an aligned address
 *              in it (so huge PMD/PUD mappings are possible)
 *   unaligned  wherever mmap() puts it, as DPDK and older QEMU (bookworm's
 *              7.2) map BARs; the address's alignment is recorded (6.12
 *              puts anonymous mappings of a multiple of 2 MiB on a 2 MiB
 *              boundary, so the next mapping below them often lands on
 *              one too)
 *   misaligned 4 KiB past a 2 MiB boundary, where no PMD or PUD mapping
 *              can ever cover the BAR: the worst case, e.g. a mapping at
 *              a hint address of the application's choosing
 * and for each of them:
 *   touch      first touch of every 4 KiB page of a mapping of the whole
 *              BAR (1 thread; 4 threads too with BENCH_EXTRA)
 *   revoke     clear memory enable while a mapping of the whole BAR and
 *              those of N forked processes (16 MiB each) are touched;
 *              refault: set memory enable, touch all of the whole-BAR
 *              mapping again. N = 1 (and 8, 64 with BENCH_EXTRA)
 *   dma        VFIO_IOMMU_MAP_DMA + UNMAP_DMA of a mapping of the whole
 *              BAR, untouched (the map faults it in) or touched first
 *   mmap       with BENCH_EXTRA: 1000 x mmap + munmap of the whole BAR
 *              (aligned and misaligned: with the reservation and its
 *              trimming, so compare kernels within a placement)
 * and once:
 *   open       with BENCH_EXTRA: 1000 x device fd open + close while the
 *              device is open already (no enable, no disable)
 *   first_open with BENCH_EXTRA: 100 x the only device fd opened and
 *              closed, so each open enables the device (and, where the
 *              kernel maps every BAR at open, requests and iomaps them)
 *              and each close disables it
 * BENCH_EXTRA defaults to 1 for a 1 GiB BAR, 0 otherwise; BENCH_ONLY
 * (e.g. "touch,dma") runs only those groups (for profiles). Minor faults
 * (getrusage() ru_minflt, all threads; with 4 threads their stacks'
 * faults too) around the touches, the refault and the map tell how many
 * faults mapped the BAR: one per 4 KiB page,
 * per 2 MiB (PMD) or per 1 GiB (PUD) mapping, or one per vma (6.1, which
 * maps the whole vma on the first fault).
 * Prints one CSV line per measurement:
 *   bench,<measure>,<param>,<align>,<rep>,<value>
 * value: ns, or a count for *_minflt, or bytes for addr_align (the
 * largest power of two dividing the mapping's address). BENCH_REPS
 * repetitions (default 3). Built against the vfio selftests' helpers
 * (vfio_pci_util.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "vfio_pci_util.h"

#define PAGE		4096UL
#define GIB		(1UL << 30)
#define IOVA		(1ULL << 32)
#define REVOKE_LEN	(16UL << 20)	/* per forked mapper: 4096 pages */

static struct vfio_pci_dev dev;
static struct vfio_region_info bar;
static int reps = 3;
static int extra = -1;
static const char *only;

/* whether group @name runs (BENCH_ONLY unset, or it names @name) */
static bool run(const char *name)
{
	const char *p;
	size_t n = strlen(name);

	if (!only || !*only)
		return true;
	for (p = only; (p = strstr(p, name)); p += n)
		if ((p == only || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void report(const char *name, const char *param, const char *align,
		   int rep, uint64_t v)
{
	printf("bench,%s,%s,%s,%d,%llu\n", name, param, align, rep,
	       (unsigned long long)v);
	fflush(stdout);
}

enum placement { ALIGNED, UNALIGNED, MISALIGNED, NO_PLACEMENT };

static const char *const placements[] = {
	[ALIGNED] = "aligned", [UNALIGNED] = "unaligned",
	[MISALIGNED] = "misaligned",
};

/* the placement named @al (BENCH_ALIGN), or NO_PLACEMENT */
static enum placement placement(const char *al)
{
	enum placement i;

	for (i = ALIGNED; i < NO_PLACEMENT; i++)
		if (!strcmp(al, placements[i]))
			break;
	return i;
}

/*
 * A mapping of the first @len bytes of BAR2, placed as @where says.
 * ALIGNED: at an address aligned to @len rounded up to a power of two, at
 * most 1 GiB, as QEMU 9.2 does (vfio_region_mmap(): reserve len + align of
 * address space, map MAP_FIXED at the aligned address in it, give back the
 * rest). MISALIGNED: reserve len + 2 MiB + 4 KiB, map one page past the
 * first 2 MiB boundary in it.
 */
static char *map_bar(size_t len, enum placement where)
{
	const int prot = PROT_READ | PROT_WRITE;
	size_t align = PAGE, skip = 0, span;
	char *base, *p;

	if (where == UNALIGNED) {
		p = mmap(NULL, len, prot, MAP_SHARED, dev.fd, bar.offset);
		goto out;
	}
	if (where == MISALIGNED) {
		align = 2UL << 20;
		skip = PAGE;
	}
	while (where == ALIGNED && align < len && align < GIB)
		align <<= 1;
	span = len + align + skip;
	base = mmap(NULL, span, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		perror("mmap reserve");
		exit(1);
	}
	p = (char *)(((uintptr_t)base + align - 1) & ~(uintptr_t)(align - 1));
	p += skip;
	if (p != base)
		munmap(base, p - base);
	if (base + span != p + len)
		munmap(p + len, base + span - (p + len));
	p = mmap(p, len, prot, MAP_SHARED | MAP_FIXED, dev.fd, bar.offset);
out:
	if (p == MAP_FAILED) {
		perror("mmap BAR2");
		exit(1);
	}
	return p;
}

static uint64_t addr_align(const void *p)
{
	uintptr_t a = (uintptr_t)p;

	return a & -a;
}

static void touch(volatile char *p, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += PAGE)
		(void)*(volatile uint64_t *)(p + off);
}

struct touch_arg {
	volatile char *p;
	size_t len;
};

static void *touch_thread(void *data)
{
	struct touch_arg *a = data;

	touch(a->p, a->len);
	return NULL;
}

/* 1: first touch of every page, by @threads threads on equal slices */
static void bench_touch(const char *al, int threads)
{
	struct touch_arg args[16];
	pthread_t tid[16];
	char param[16];
	int rep, i;

	snprintf(param, sizeof(param), "%dthr", threads);
	for (rep = 0; rep < reps; rep++) {
		char *p = map_bar(bar.size, placement(al));
		size_t slice = bar.size / threads;
		long f0 = minflt();
		uint64_t t0 = now_ns(), t1;

		/* one thread: this one (the fault count is then the BAR's) */
		for (i = 0; threads == 1 && i < 1; i++)
			touch(p, bar.size);
		for (i = 0; threads > 1 && i < threads; i++) {
			args[i].p = p + i * slice;
			args[i].len = slice;
			pthread_create(&tid[i], NULL, touch_thread, &args[i]);
		}
		for (i = 0; threads > 1 && i < threads; i++)
			pthread_join(tid[i], NULL);
		t1 = now_ns();
		report("touch", param, al, rep, t1 - t0);
		report("touch_minflt", param, al, rep, minflt() - f0);
		if (threads == 1)
			report("addr_align", param, al, rep, addr_align(p));
		munmap(p, bar.size);
	}
}

/*
 * 2: revoke and refault a mapping of the whole BAR while @n forked
 * processes each hold a 16 MiB mapping of their own, all touched again
 * before every revocation (a revocation only costs what is mapped). Each
 * mapper takes orders on a pipe of its own: 't' touch, anything else (or
 * EOF) exit.
 */
static void mapper(int cmd, int ack)
{
	char *q = map_bar(REVOKE_LEN, UNALIGNED);
	char c;

	while (read(cmd, &c, 1) == 1 && c == 't') {
		touch(q, REVOKE_LEN);
		if (write(ack, "r", 1) != 1)
			break;
	}
	_exit(0);
}

static void bench_revoke(const char *al, int n)
{
	int ack[2], *cmd, i, rep;
	char param[16], c;
	pid_t *pids;
	char *p;

	snprintf(param, sizeof(param), "%dproc", n);
	pids = calloc(n, sizeof(*pids));
	cmd = calloc(n, sizeof(*cmd));
	if (!pids || !cmd || pipe(ack))
		exit(1);
	for (i = 0; i < n; i++) {
		int fds[2];

		if (pipe(fds))
			exit(1);
		pids[i] = fork();
		if (pids[i] < 0)
			exit(1);
		if (!pids[i]) {
			close(fds[1]);
			mapper(fds[0], ack[1]);
		}
		close(fds[0]);
		cmd[i] = fds[1];
	}
	p = map_bar(bar.size, placement(al));
	for (rep = 0; rep < reps; rep++) {
		uint64_t t0, t1;
		long f0;

		for (i = 0; i < n; i++)
			if (write(cmd[i], "t", 1) != 1)
				exit(1);
		for (i = 0; i < n; i++)
			if (read(ack[0], &c, 1) != 1)
				exit(1);
		touch(p, bar.size);
		t0 = now_ns();
		vfio_pci_set_memory(&dev, false);
		t1 = now_ns();
		f0 = minflt();
		vfio_pci_set_memory(&dev, true);
		touch(p, bar.size);
		report("revoke", param, al, rep, t1 - t0);
		report("refault", param, al, rep, now_ns() - t1);
		report("refault_minflt", param, al, rep, minflt() - f0);
	}
	munmap(p, bar.size);
	/* 'q' rather than EOF: later mappers hold copies of earlier pipes */
	for (i = 0; i < n; i++) {
		if (write(cmd[i], "q", 1) != 1)
			kill(pids[i], SIGKILL);
		close(cmd[i]);
	}
	for (i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	close(ack[0]);
	close(ack[1]);
	free(cmd);
	free(pids);
}

/* 3: DMA-map the whole BAR mapping, untouched or touched */
static void bench_dma(const char *al, bool touched)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	const char *param = touched ? "touched" : "untouched";
	int rep;

	for (rep = 0; rep < reps; rep++) {
		char *p = map_bar(bar.size, placement(al));
		uint64_t t0, t1, t2;
		long f0;

		if (touched)
			touch(p, bar.size);
		map.vaddr = (uintptr_t)p;
		map.iova = IOVA;
		map.size = bar.size;
		map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
		f0 = minflt();
		t0 = now_ns();
		if (ioctl(dev.container, VFIO_IOMMU_MAP_DMA, &map)) {
			perror("VFIO_IOMMU_MAP_DMA");
			exit(1);
		}
		t1 = now_ns();
		f0 = minflt() - f0;
		unmap.iova = IOVA;
		unmap.size = bar.size;
		if (ioctl(dev.container, VFIO_IOMMU_UNMAP_DMA, &unmap)) {
			perror("VFIO_IOMMU_UNMAP_DMA");
			exit(1);
		}
		t2 = now_ns();
		report("dma_map", param, al, rep, t1 - t0);
		report("dma_unmap", param, al, rep, t2 - t1);
		report("dma_map_minflt", param, al, rep, f0);
		munmap(p, bar.size);
	}
}

/* 4: mmap + munmap of the whole BAR without touching it */
static void bench_mmap(const char *al)
{
	int rep, i;

	for (rep = 0; rep < reps; rep++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < 1000; i++)
			munmap(map_bar(bar.size, placement(al)), bar.size);
		report("mmap_munmap", "x1000", al, rep, now_ns() - t0);
	}
}

/* 5: device fd open + close */
static void bench_open(void)
{
	int rep, i;

	for (rep = 0; rep < reps; rep++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < 1000; i++) {
			int fd = vfio_pci_device_fd(&dev);

			if (fd < 0) {
				fprintf(stderr, "device fd: %s\n", strerror(-fd));
				exit(1);
			}
			close(fd);
		}
		report("open_close", "x1000", "-", rep, now_ns() - t0);
	}
}

/* 6: the device's first open + last close */
static void bench_first_open(void)
{
	int rep, i, fd;

	close(dev.fd);
	for (rep = 0; rep < reps; rep++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < 100; i++) {
			fd = vfio_pci_device_fd(&dev);
			if (fd < 0) {
				fprintf(stderr, "device fd: %s\n", strerror(-fd));
				exit(1);
			}
			close(fd);
		}
		report("first_open_close", "x100", "-", rep, now_ns() - t0);
	}
	dev.fd = vfio_pci_device_fd(&dev);
	if (dev.fd < 0) {
		fprintf(stderr, "device fd: %s\n", strerror(-dev.fd));
		exit(1);
	}
}

/* The BAR's bus address, from sysfs (for the record: its alignment) */
static void print_bar_info(const char *bdf)
{
	unsigned long long start = 0, end = 0, flags;
	char path[128];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	for (i = 0; f && i <= 2; i++)
		if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3)
			break;
	if (f)
		fclose(f);
	printf("bench-info,ivshmem %s BAR2 size 0x%llx at 0x%llx (aligned to 0x%llx), page size %ld\n",
	       bdf, (unsigned long long)bar.size, start, start & -start,
	       sysconf(_SC_PAGESIZE));
}

int main(int argc, char **argv)
{
	const char *bdf, *aligns = getenv("BENCH_ALIGN");
	char *list, *al, *save;
	int ret;

	if (getenv("BENCH_REPS"))
		reps = atoi(getenv("BENCH_REPS"));
	if (getenv("BENCH_EXTRA"))
		extra = atoi(getenv("BENCH_EXTRA"));
	only = getenv("BENCH_ONLY");
	vfio_pci_init_bdfs(&argc, argv);
	bdf = vfio_pci_find_bdf(0x1af4, 0x1110);
	if (!bdf) {
		fprintf(stderr, "no ivshmem device on vfio-pci\n");
		return 4;
	}
	ret = vfio_pci_open(&dev, bdf);
	if (ret || vfio_pci_region_info(dev.fd, VFIO_PCI_BAR2_REGION_INDEX, &bar)) {
		fprintf(stderr, "cannot open %s: %s\n", bdf, strerror(-ret));
		return 1;
	}
	if (extra < 0)
		extra = bar.size == GIB;
	print_bar_info(bdf);
	vfio_pci_set_memory(&dev, true);
	list = strdup(aligns && *aligns ? aligns : "aligned,unaligned,misaligned");
	for (al = strtok_r(list, ",", &save); al; al = strtok_r(NULL, ",", &save)) {
		if (placement(al) == NO_PLACEMENT) {
			fprintf(stderr, "BENCH_ALIGN: '%s'?\n", al);
			return 2;
		}
		if (run("touch"))
			bench_touch(al, 1);
		if (run("touch") && extra)
			bench_touch(al, 4);
		if (run("revoke"))
			bench_revoke(al, 1);
		if (run("revoke") && extra) {
			bench_revoke(al, 8);
			bench_revoke(al, 64);
		}
		if (run("dma"))
			bench_dma(al, false);
		if (run("dma") || run("dma_touched"))
			bench_dma(al, true);
		if (run("mmap") && extra)
			bench_mmap(al);
	}
	if (run("open") && extra)
		bench_open();
	if (run("first_open") && extra)
		bench_first_open();
	free(list);
	vfio_pci_close(&dev);
	return 0;
}
