// SPDX-License-Identifier: GPL-2.0
/*
 * vm_start COMMAND [ARG...]: run COMMAND (the nested QEMU of
 * clients/qemu-assign.sh, which puts it in front of qemu-system-x86_64
 * through QEMU_ASSIGN_WRAP) with its stdout and stderr on a pipe, pass
 * every line through to our stdout unchanged, and time the lines that
 * clients/mini.c prints against CLOCK_MONOTONIC from just before COMMAND
 * starts. In a guest booted with -icount shift=0,sleep=off that clock
 * counts the guest's instructions.
 *
 * Results go to the file $VMSTART_OUT (appended; stderr if unset), one
 * CSV line each, "bench,vmstart,PHASE,unaligned,REP,NS" with REP from
 * $VMSTART_REP (bookworm's QEMU 7.2 maps BARs wherever mmap() puts them):
 *   start_to_up         QEMU's start to the inner guest's first line
 *   start_to_enabled    QEMU's start to "inner: bars enabled": the inner
 *                       guest has sized, programmed and enabled the BARs,
 *                       and QEMU has DMA-mapped them
 *   up_to_enabled       the inner guest's part of that
 *   reboot_to_enabled   "inner: rebooting" to the next "bars enabled":
 *                       QEMU's reset of the devices, unmap, map again
 *   start_to_exit       QEMU's start to its exit
 * Every line is also written to stderr with its time ("+12.345678 ms").
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void put(FILE *f, const char *rep, const char *phase, int64_t ns)
{
	if (ns >= 0)
		fprintf(f, "bench,vmstart,%s,unaligned,%s,%lld\n", phase, rep,
			(long long)ns);
}

int main(int argc, char **argv)
{
	const char *rep = getenv("VMSTART_REP") ? getenv("VMSTART_REP") : "0";
	const char *outp = getenv("VMSTART_OUT");
	int64_t up[2] = { -1, -1 }, en[2] = { -1, -1 }, rb = -1;
	int nup = 0, nen = 0, fds[2], status;
	char line[4096];
	uint64_t t0;
	FILE *in, *out;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: vm_start COMMAND [ARG...]\n");
		return 2;
	}
	if (pipe(fds))
		return 1;
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	close(fds[1]);
	/* QEMU_ASSIGN_WRAP's caller may signal us: pass it on */
	signal(SIGTERM, SIG_IGN);
	in = fdopen(fds[0], "r");
	while (fgets(line, sizeof(line), in)) {
		int64_t t = now_ns() - t0;

		fputs(line, stdout);
		fflush(stdout);
		fprintf(stderr, "+%lld.%06lld ms %s", (long long)(t / 1000000),
			(long long)(t % 1000000), line);
		if (!strncmp(line, "inner: up", 9) && nup < 2)
			up[nup++] = t;
		else if (!strncmp(line, "inner: bars enabled", 19) && nen < 2)
			en[nen++] = t;
		else if (!strncmp(line, "inner: rebooting", 16) && rb < 0)
			rb = t;
	}
	waitpid(pid, &status, 0);
	out = outp ? fopen(outp, "a") : stderr;
	if (!out)
		out = stderr;
	put(out, rep, "start_to_up", up[0]);
	put(out, rep, "start_to_enabled", en[0]);
	if (up[0] >= 0 && en[0] >= 0)
		put(out, rep, "up_to_enabled", en[0] - up[0]);
	if (rb >= 0 && en[1] >= 0)
		put(out, rep, "reboot_to_enabled", en[1] - rb);
	put(out, rep, "start_to_exit", now_ns() - t0);
	if (out != stderr)
		fclose(out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
