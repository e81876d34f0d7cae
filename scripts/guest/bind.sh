# shellcheck shell=sh
# guest/bind.sh : sourced by the guests' PID 1 (scripts/guest/init.sh).
# Binds the devices the host attached for the tests (vendor:device) to
# vfio-pci and exports their addresses in VFIO_SELFTESTS_BDF for the
# selftests. Plain sh: busybox runs it too.
VFIO_IDS="1234:11e8 1af4:1110 1b36:0010 8086:100e"
bdfs=""
for dev in /sys/bus/pci/devices/*; do
	id=$(sed 's/^0x//' "$dev/vendor"):$(sed 's/^0x//' "$dev/device")
	case " $VFIO_IDS " in *" $id "*) ;; *) continue ;; esac
	bdf=${dev##*/}
	[ -e "$dev/driver" ] && echo "$bdf" > "$dev/driver/unbind"
	echo vfio-pci > "$dev/driver_override"
	echo "$bdf" > /sys/bus/pci/drivers_probe
	[ -e "$dev/driver" ] && bdfs="$bdfs $bdf" || echo "harness: could not bind $bdf ($id) to vfio-pci"
done
export VFIO_SELFTESTS_BDF=${bdfs# }
echo "harness: kernel $(uname -r) ($(uname -m)), devices on vfio-pci: $VFIO_SELFTESTS_BDF"
for bdf in $VFIO_SELFTESTS_BDF; do
	echo "harness: $bdf $(cat /sys/bus/pci/devices/$bdf/vendor):$(cat /sys/bus/pci/devices/$bdf/device)" \
		"group $(basename "$(readlink /sys/bus/pci/devices/$bdf/iommu_group)")" \
		"BARs: $(awk '$1 != "0x0000000000000000" { printf "%s-%s ", $1, $2 }' /sys/bus/pci/devices/$bdf/resource)"
done
