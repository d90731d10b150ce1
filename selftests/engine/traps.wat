;; SPDX-License-Identifier: GPL-2.0
;; One export per trap code.
(module
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $f)
  (type $v (func))
  (type $i (func (param i32)))
  (func $f)
  (func (export "unreachable") unreachable)
  (func (export "div0") (result i32) (i32.div_s (i32.const 1) (i32.const 0)))
  (func (export "overflow") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
  (func (export "oob") (result i32) (i32.load (i32.const 65533)))
  (func (export "oob_store") (i64.store offset=65530 (i32.const 0) (i64.const 1)))
  (func (export "null_func") (call_indirect (type $v) (i32.const 1)))
  (func (export "table_oob") (call_indirect (type $v) (i32.const 2)))
  (func (export "sig") (call_indirect (type $i) (i32.const 0) (i32.const 0)))
)
