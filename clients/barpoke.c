// SPDX-License-Identifier: GPL-2.0
/*
 * barpoke: the Linux form of the QEMU client's inner guest
 * (clients/qemu-assign.sh, QEMU_ASSIGN_GUEST=linux).
 *
 * The second-level guest runs the same kernel as the test guest with a
 * busybox-static initramfs whose /init (clients/inner-init) execs this
 * program. The kernel has no /dev/mem, so the BARs of the assigned edu and
 * ivshmem are reached through mmap of /sys/bus/pci/devices/BDF/resourceN,
 * and memory enable through the device's sysfs config file. The checks are
 * clients/inner-checks.h. Built with gcc -static on the host.
 *
 *   barpoke RUN NONCE
 *
 * Then it ends the boot itself: run 0 reboots after its first boot (QEMU
 * resets the assigned devices) and powers off after the second; run 1 (the
 * x-no-mmap control) powers off after one boot. It is the whole job of the
 * inner guest, so that guest forks nothing else: under TCG inside TCG
 * every exec costs seconds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

struct inner_dev {
	char bdf[64];
};

static void putstr(const char *s)
{
	fputs(s, stdout);
	fflush(stdout);
}

/* PCI_COMMAND.MEMORY through the config file (the guest kernel's pci-sysfs) */
static void set_memory_enable(struct inner_dev *d, int on)
{
	char path[128];
	uint16_t cmd;
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", d->bdf);
	fd = open(path, O_RDWR);
	ok = fd >= 0 && pread(fd, &cmd, 2, 4) == 2;
	cmd = on ? cmd | 2 : cmd & ~2;
	ok = ok && pwrite(fd, &cmd, 2, 4) == 2;
	if (fd >= 0)
		close(fd);
	if (!ok)
		printf("inner: %s: cannot write PCI_COMMAND: %s\n", d->bdf, strerror(errno));
}

#include "inner-checks.h"

static volatile void *map_bar(struct inner_dev *d, int bar, size_t len)
{
	char path[128];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%d", d->bdf, bar);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0) {
		printf("inner: open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		printf("inner: mmap %s: %s\n", path, strerror(errno));
		return NULL;
	}
	return p;
}

static double uptime(void)
{
	struct timespec t;

	clock_gettime(CLOCK_BOOTTIME, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static unsigned int sysfs_hex(const char *dev, const char *file)
{
	char path[300], buf[32] = "";
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", dev, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	close(fd);
	return strtoul(buf, NULL, 16);
}

/* the first device VENDOR:DEVICE */
static int find_dev(unsigned int vendor, unsigned int device, struct inner_dev *d)
{
	DIR *dir = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	int found = 0;

	while (dir && !found && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		if (sysfs_hex(e->d_name, "vendor") == vendor &&
		    sysfs_hex(e->d_name, "device") == device) {
			snprintf(d->bdf, sizeof(d->bdf), "%.63s", e->d_name);
			found = 1;
		}
	}
	if (dir)
		closedir(dir);
	return found;
}

static int work(int run, uint64_t nonce, uint64_t *bootp)
{
	struct inner_dev edu_dev, shm_dev;
	volatile void *e, *s;

	if (!find_dev(0x1234, 0x11e8, &edu_dev) || !find_dev(0x1af4, 0x1110, &shm_dev)) {
		result(0, "devices_found", "no edu or no ivshmem in /sys/bus/pci/devices");
		return 1;
	}
	printf("inner: up %.2f s (linux), edu %s, ivshmem %s\n", uptime(),
	       edu_dev.bdf, shm_dev.bdf);
	/*
	 * The inner kernel assigned the BARs (qboot does not) but no driver
	 * enabled the devices: set memory enable, as a driver would.
	 */
	set_memory_enable(&edu_dev, 1);
	set_memory_enable(&shm_dev, 1);
	e = map_bar(&edu_dev, 0, PG);
	s = map_bar(&shm_dev, 2, IVSHMEM_SIZE);
	if (!e || !s) {
		result(0, "bars_mapped", "see above");
		return 1;
	}
	return inner_checks(&edu_dev, e, &shm_dev, s, run, nonce, bootp);
}

int main(int argc, char **argv)
{
	uint64_t boot = 9;
	int run, rc;

	if (argc != 3) {
		fprintf(stderr, "usage: barpoke RUN NONCE\n");
		return 2;
	}
	run = atoi(argv[1]) & 1;
	rc = work(run, strtoull(argv[2], NULL, 0), &boot);
	printf("inner: done %.2f s rc=%d\n", uptime(), rc);
	fflush(stdout);
	if (getpid() != 1)
		return !!rc;
	sync();
	if (run == 0 && boot == 0) {
		printf("inner: rebooting\n");
		fflush(stdout);
		reboot(RB_AUTOBOOT);
	}
	printf("inner: end\n");
	fflush(stdout);
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
