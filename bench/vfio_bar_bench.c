// SPDX-License-Identifier: GPL-2.0
/*
 * What a vfio-pci BAR mapping costs, measured from user space in a guest:
 *   touch      first touch of every 4 KiB page of the ivshmem BAR2 mapping
 *   revoke     clear memory enable, set it, touch again, with N forked
 *              processes each holding a mapping of their own, touched
 *              again before every revocation
 *   dma        VFIO_IOMMU_MAP_DMA + UNMAP_DMA of the whole BAR2 mapping
 *   mmap       mmap + munmap of BAR2 without touching it
 *   open       device fd open (VFIO_GROUP_GET_DEVICE_FD) + close
 * Prints one CSV line per measurement: bench,<name>,<param>,<rep>,<ns>.
 * Built against the vfio selftests' helpers (vfio_pci_util.c).
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
#include <sys/wait.h>

#include "vfio_pci_util.h"

#define PAGE		4096UL
#define IOVA		(1ULL << 32)
#define REVOKE_LEN	(16UL << 20)	/* per mapper: 4096 pages */

static struct vfio_pci_dev dev;
static struct vfio_region_info bar;
static int reps = 5;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void report(const char *name, const char *param, int rep, uint64_t ns)
{
	printf("bench,%s,%s,%d,%llu\n", name, param, rep,
	       (unsigned long long)ns);
	fflush(stdout);
}

static void *map_bar(size_t len)
{
	void *p = vfio_pci_mmap(dev.fd, &bar, 0, len);

	if (p == MAP_FAILED) {
		perror("mmap BAR2");
		exit(1);
	}
	return p;
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
static void bench_touch(int threads)
{
	struct touch_arg args[16];
	pthread_t tid[16];
	char param[16];
	int rep, i;

	snprintf(param, sizeof(param), "%dthr", threads);
	for (rep = 0; rep < reps; rep++) {
		char *p = map_bar(bar.size);
		size_t slice = bar.size / threads;
		uint64_t t0 = now_ns();

		for (i = 0; i < threads; i++) {
			args[i].p = p + i * slice;
			args[i].len = slice;
			pthread_create(&tid[i], NULL, touch_thread, &args[i]);
		}
		for (i = 0; i < threads; i++)
			pthread_join(tid[i], NULL);
		report("touch", param, rep, now_ns() - t0);
		munmap(p, bar.size);
	}
}

/*
 * 2: revoke and restore with @n forked processes each holding a mapping
 * of its own, all touched again before every revocation (a revocation
 * only costs what is mapped). Each mapper takes orders on a pipe of its
 * own: 't' touch, anything else (or EOF) exit.
 */
static void mapper(int cmd, int ack)
{
	char *q = map_bar(REVOKE_LEN);
	char c;

	while (read(cmd, &c, 1) == 1 && c == 't') {
		touch(q, REVOKE_LEN);
		if (write(ack, "r", 1) != 1)
			break;
	}
	_exit(0);
}

static void bench_revoke(int n)
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
	p = map_bar(REVOKE_LEN);
	for (rep = 0; rep < reps; rep++) {
		uint64_t t0, t1;

		for (i = 0; i < n; i++)
			if (write(cmd[i], "t", 1) != 1)
				exit(1);
		for (i = 0; i < n; i++)
			if (read(ack[0], &c, 1) != 1)
				exit(1);
		touch(p, REVOKE_LEN);
		t0 = now_ns();
		vfio_pci_set_memory(&dev, false);
		t1 = now_ns();
		vfio_pci_set_memory(&dev, true);
		touch(p, REVOKE_LEN);
		report("revoke", param, rep, t1 - t0);
		report("restore_touch", param, rep, now_ns() - t1);
	}
	munmap(p, REVOKE_LEN);
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
static void bench_dma(bool touched)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	int rep;

	for (rep = 0; rep < reps; rep++) {
		char *p = map_bar(bar.size);
		uint64_t t0, t1;

		if (touched)
			touch(p, bar.size);
		map.vaddr = (uintptr_t)p;
		map.iova = IOVA;
		map.size = bar.size;
		map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
		t0 = now_ns();
		if (ioctl(dev.container, VFIO_IOMMU_MAP_DMA, &map)) {
			perror("VFIO_IOMMU_MAP_DMA");
			exit(1);
		}
		t1 = now_ns();
		unmap.iova = IOVA;
		unmap.size = bar.size;
		if (ioctl(dev.container, VFIO_IOMMU_UNMAP_DMA, &unmap)) {
			perror("VFIO_IOMMU_UNMAP_DMA");
			exit(1);
		}
		report("dma_map", touched ? "touched" : "untouched", rep, t1 - t0);
		report("dma_unmap", touched ? "touched" : "untouched", rep,
		       now_ns() - t1);
		munmap(p, bar.size);
	}
}

/* 4: mmap + munmap without touching; device fd open + close */
static void bench_mmap_open(void)
{
	int rep, i;

	for (rep = 0; rep < reps; rep++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < 1000; i++)
			munmap(map_bar(bar.size), bar.size);
		report("mmap_munmap", "x1000", rep, now_ns() - t0);
		t0 = now_ns();
		for (i = 0; i < 1000; i++) {
			int fd = vfio_pci_device_fd(&dev);

			if (fd < 0) {
				fprintf(stderr, "device fd: %s\n", strerror(-fd));
				exit(1);
			}
			close(fd);
		}
		report("open_close", "x1000", rep, now_ns() - t0);
	}
}

int main(int argc, char **argv)
{
	const char *bdf;
	int ret;

	if (getenv("BENCH_REPS"))
		reps = atoi(getenv("BENCH_REPS"));
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
	vfio_pci_set_memory(&dev, true);
	bench_touch(1);
	bench_touch(4);
	bench_revoke(1);
	bench_revoke(8);
	bench_revoke(64);
	bench_dma(false);
	bench_dma(true);
	bench_mmap_open();
	vfio_pci_close(&dev);
	return 0;
}
