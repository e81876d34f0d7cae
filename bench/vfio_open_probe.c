// SPDX-License-Identifier: GPL-2.0
/*
 * What opening a vfio-pci device costs in kernel address space, and what
 * user space sees when a BAR cannot be mapped into the kernel: for the
 * ivshmem device (its BAR2 is the large one), prints the vmalloc space
 * that vfio-pci's BAR iomaps take (/proc/vmallocinfo areas whose caller is
 * pci_iomap*, summed) before the open, after it, after an mmap() and a
 * pread() of BAR2, and after the close, and the result of that mmap() and
 * pread(). A kernel that maps every BAR at open (upstream since v7.2, the
 * 6.1.y fix layer's eager mapping) takes the space at open; 6.1 at the
 * first use. Lines: "probe,<what>,<value>". Built against the vfio
 * selftests' helpers (vfio_pci_util.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "vfio_pci_util.h"

/* bytes of vmalloc space in areas that pci_iomap*() made */
static unsigned long long iomap_bytes(void)
{
	unsigned long long sum = 0, size;
	char line[512];
	FILE *f = fopen("/proc/vmallocinfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "pci_iomap") && sscanf(line, "%*s %llu", &size) == 1)
			sum += size;
	fclose(f);
	return sum;
}

int main(int argc, char **argv)
{
	struct vfio_region_info bar;
	struct vfio_pci_dev dev;
	const char *bdf;
	uint32_t val;
	void *p;
	int ret;

	vfio_pci_init_bdfs(&argc, argv);
	bdf = vfio_pci_find_bdf(0x1af4, 0x1110);
	if (!bdf) {
		fprintf(stderr, "no ivshmem device on vfio-pci\n");
		return 4;
	}
	printf("probe,iomap_bytes_before_open,%llu\n", iomap_bytes());
	ret = vfio_pci_open(&dev, bdf);
	if (ret) {
		printf("probe,open,%s\n", strerror(-ret));
		return 1;
	}
	printf("probe,open,ok\n");
	printf("probe,iomap_bytes_after_open,%llu\n", iomap_bytes());
	if (vfio_pci_region_info(dev.fd, VFIO_PCI_BAR2_REGION_INDEX, &bar))
		return 1;
	printf("probe,bar2_size,%llu\n", (unsigned long long)bar.size);
	vfio_pci_set_memory(&dev, true);
	p = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev.fd, bar.offset);
	printf("probe,mmap_bar2,%s\n", p == MAP_FAILED ? strerror(errno) : "ok");
	if (p != MAP_FAILED)
		munmap(p, bar.size);
	ret = pread(dev.fd, &val, sizeof(val), bar.offset);
	printf("probe,pread_bar2,%s\n", ret == sizeof(val) ? "ok" : ret < 0 ? strerror(errno) : "short");
	printf("probe,iomap_bytes_after_use,%llu\n", iomap_bytes());
	vfio_pci_close(&dev);
	printf("probe,iomap_bytes_after_close,%llu\n", iomap_bytes());
	return 0;
}
