# The vfio-pci BAR mmap revocation series for Debian's 6.1 kernel, and the
# harness that proves it. Each target is one script under scripts/.
# The kernels: empty means those scripts/variants.conf marks "test"
# (patched, stable, vanilla, v6.12); e.g. VARIANTS=bugfix for another.
VARIANTS ?=

.PHONY: deps tree build boot test clients check newest refresh bench clean prodcheck cross mbox debian sanitize kvm arch edges

deps:			## install Debian packages the harness needs
	scripts/install-deps.sh

tree:			## make out/tree/patched (base + series, one commit per patch)
	scripts/make-tree.sh patched

refresh:		## write out/tree/patched's commits back to patches/6.1
	scripts/refresh.sh

build:			## build every kernel variant
	scripts/build.sh $(VARIANTS)

boot: deps		## build the patched kernel and boot it with devices on vfio-pci
	scripts/build.sh patched
	scripts/boot.sh patched 'lspci -nnk; ls -l /dev/vfio; echo "bound: $$VFIO_SELFTESTS_BDF"'

test: deps		## build and test patched, stable, vanilla, v6.12; last line "N passed, N failed, N skipped"
	scripts/run-tests.sh $(VARIANTS)

clients: deps		## only the real clients (QEMU assignment, DPDK) on the built kernels
	scripts/run-clients.sh $(VARIANTS)

check: deps		## series hygiene: git am, checkpatch --strict, per-patch build, sparse
	scripts/check.sh

newest: deps		## by hand: a report: does the series apply to, and compile on, the newest linux-source-6.1 in Debian's archive?
	scripts/check-newest.sh

prodcheck: deps		## compile what the series touches under Debian's amd64 config, W=1: the fix and the series add no warning
	scripts/prod-check.sh amd64

cross: deps		## by hand: the same cross-compiled: arm64 4K/64K pages, i386 (no PAE), riscv64, powerpc e500v2/e500mc 32/64-bit
	scripts/install-deps.sh cross
	scripts/cross-check.sh

mbox: deps		## each layer as an mbox with its cover letter (out/ship/), the 6.12.y stable layer and the mainline series on 7.3, checked with git am and b4 am
	scripts/export-mbox.sh
	SERIES=6.12 scripts/export-mbox.sh
	SERIES=7.3 scripts/export-mbox.sh

debian: deps		## the series as Debian packaging patches with DEP-3 headers (out/ship/debian/), checked with quilt
	scripts/export-debian.sh

sanitize: deps		## by hand: patched and stable under KASAN + kmemleak, and their planted faults caught
	scripts/run-tests.sh $(or $(VARIANTS),patched-kasan stable-kasan plant-uaf plant-leak plant-norevoke)

kvm: deps		## by hand: vfio_pci_kvm_test on vanilla, 6.12 and 7.3 with KVM (patched runs it in make sanitize)
	scripts/run-tests.sh $(or $(VARIANTS),vanilla-kvm v6.12-kvm v7.3-kvm)

arch: deps		## by hand: the suite on i386 (no PAE) and arm64 64K pages (TCG, initramfs); VARIANTS=... for patched-arm64, *-probe, *-kasan, plant-fold-pmd-*
	nice -n 19 scripts/run-tests.sh $(or $(VARIANTS),patched-i386 patched-arm64-64k)

edges: deps		## by hand: the DMA edge test where IOVAs reach the top of dma_addr_t (i386 without PAE; QEMU's AMD IOMMU) on vanilla, stable, patched, 7.3 with patches/7.3's type1 RFC, and planted unmap faults; VARIANTS=... for some
	scripts/run-tests.sh $(or $(VARIANTS),vanilla-i386 stable-i386 plant-unmap-wrap-i386 \
		vanilla-amd stable-amd patched-amd plant-unmap-wrap-amd \
		v7.3-ours-i386 plant-unmap-overreach-7.3-i386 v7.3-ours-amd plant-unmap-overreach-7.3-amd)

bench: deps		## by hand: vanilla, stable, patched, 6.12 and 7.3 side by side, production and debug configs (results/bench/)
	scripts/bench.sh

clean:
	rm -rf out results
