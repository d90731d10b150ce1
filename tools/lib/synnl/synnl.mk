# SPDX-License-Identifier: GPL-2.0
#
# libsynnl.a: the generic-netlink client library that synctl and synapsed
# share, as the kernel keeps tools/lib/bpf/ for libbpf. It holds the
# libmnl transport (ipc.h, ipc-netlink.c), the in-memory model of the
# module's replies and events with their parsers (model.h, taskmodel.h)
# and their printers (output.h).

SYNNL_DIR	:= tools/lib/synnl
SYNNL_OUT	:= $(BUILD)/lib/synnl
SYNNL_PKGS	:= libmnl jansson
SYNNL_CFLAGS	:= $(shell pkg-config --cflags $(SYNNL_PKGS))
SYNNL_LIBS	:= $(shell pkg-config --libs $(SYNNL_PKGS))
SYNNL_SRCS	:= $(wildcard $(SYNNL_DIR)/*.c)
SYNNL_OBJS	:= $(patsubst $(SYNNL_DIR)/%.c,$(SYNNL_OUT)/%.o,$(SYNNL_SRCS))
SYNNL_LIB	:= $(SYNNL_OUT)/libsynnl.a

$(SYNNL_OUT)/%.o: $(SYNNL_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SYNNL_CFLAGS) -MMD -MP -c -o $@ $<

$(SYNNL_LIB): $(SYNNL_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

-include $(SYNNL_OBJS:.o=.d)
