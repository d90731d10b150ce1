# SPDX-License-Identifier: GPL-2.0
# synapse.ko, built by Kbuild against Debian's kernel headers ($(KDIR)).

kmod:
	@test -e $(KDIR)/Makefile || { echo "kmod: no kernel build tree at $(KDIR) (run tools/install-deps, or set KDIR=)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) modules

kmod-clean:
	-test -e $(KDIR)/Makefile && $(MAKE) -C $(KDIR) M=$(TOP) clean

.PHONY: kmod kmod-clean
