;; SPDX-License-Identifier: GPL-2.0
;; Outside the profile: f32.add at a known offset.
(module (func (export "run") (result i32)
  (i32.trunc_f32_s (f32.add (f32.const 1) (f32.const 2)))))
