#!/bin/bash
# dracut module of the full-system tests (installed as
# /usr/lib/dracut/modules.d/99iofs-mem in the test systems): prints
# MemAvailable to the kernel log at the last moment in the initrd, just
# before systemd switches to the real root.
check() { return 0; }
depends() { return 0; }
install() {
	inst_multiple sh grep
	inst_simple "$moddir/iofs-initrd-mem.service" "$systemdsystemunitdir/iofs-initrd-mem.service"
	$SYSTEMCTL -q --root "$initdir" add-wants initrd-switch-root.target iofs-initrd-mem.service
}
