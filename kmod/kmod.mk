# SPDX-License-Identifier: GPL-2.0
# synapse.ko, built by Kbuild against Debian's kernel headers ($(KDIR)).
#
#   make kmod         build kmod/synapse.ko
#   make style        checkpatch over the module's sources (when the kernel
#                     tree ships scripts/checkpatch.pl)

KMOD		:= $(TOP)/kmod/synapse.ko
# Debian's headers do not ship checkpatch; linux-source does (like the harness).
CHECKPATCH	:= $(BUILD)/checkpatch/scripts/checkpatch.pl
KMOD_SRCS	= $(filter-out %.mod.c,$(wildcard $(TOP)/kmod/*.[ch])) $(TOP)/uapi/synapse.h

kmod:
	@test -e $(KDIR)/Makefile || { echo "kmod: no kernel build tree at $(KDIR) (run tools/install-deps, or set KDIR=)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) modules

kmod-clean:
	-test -e $(KDIR)/Makefile && $(MAKE) -C $(KDIR) M=$(TOP) clean

$(CHECKPATCH):
	@test -n "$(KSRC_TARBALL)" || { echo "style: /usr/src/linux-source-*.tar.xz missing (run tools/install-deps)" >&2; exit 1; }
	@mkdir -p $(BUILD)/checkpatch
	tar -xJf $(KSRC_TARBALL) -C $(BUILD)/checkpatch --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	@touch $@

style: $(CHECKPATCH)
	$(CHECKPATCH) --no-tree --quiet --show-types \
		--ignore FILE_PATH_CHANGES -f $(KMOD_SRCS)

.PHONY: kmod kmod-clean style
