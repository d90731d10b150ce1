;; SPDX-License-Identifier: GPL-2.0
;; Superinstructions (kmod/vm/ops.h): every f_X is written so the compiler
;; fuses a pair of ops into one; its r_X twin computes the same with the
;; pair kept apart (a local.set/local.get or another op in between). The
;; engine suite runs both, metered and unmetered, and wants equal results.
(module
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\fb\ff\ff\7f\10\20\30\40\ff\ff\ff\ff\07\00\00\80")

  ;; i32.load + i32.add, the loaded value on either side
  (func (export "f_load_add") (param $a i32) (param $b i32) (result i32)
    (i32.add (local.get $b) (i32.load offset=4 (local.get $a)))
    (i32.add (i32.load (i32.add (local.get $a) (i32.const 8))) (local.get $b))
    i32.xor)
  (func (export "r_load_add") (param $a i32) (param $b i32) (result i32)
    (local $t i32)
    (local.set $t (i32.load offset=4 (local.get $a)))
    (i32.add (local.get $b) (local.get $t))
    (local.set $t (i32.load (i32.add (local.get $a) (i32.const 8))))
    (i32.add (local.get $t) (local.get $b))
    i32.xor)

  ;; i32.load * i32.load + c (load_mul, then load_mul_add)
  (func (export "f_load_mul") (param $a i32) (param $b i32) (result i32)
    (i32.add
      (i32.mul (i32.load offset=4 (local.get $a)) (i32.load (local.get $b)))
      (local.get $b))
    (i32.mul (i32.load (local.get $a)) (i32.const 77))
    i32.add)
  (func (export "r_load_mul") (param $a i32) (param $b i32) (result i32)
    (local $t i32) (local $u i32)
    (local.set $t (i32.load offset=4 (local.get $a)))
    (local.set $u (i32.load (local.get $b)))
    (local.set $t (i32.mul (local.get $t) (local.get $u)))
    (i32.add (local.get $t) (local.get $b))
    (local.set $t (i32.load (local.get $a)))
    (i32.mul (local.get $t) (i32.const 77))
    i32.add)

  ;; (a + b) + c, wrapping
  (func (export "f_add3") (param $a i32) (param $b i32) (result i32)
    (i32.add (i32.mul (local.get $a) (local.get $a)) (i32.add (local.get $a) (local.get $b))))
  (func (export "r_add3") (param $a i32) (param $b i32) (result i32)
    (local $t i32)
    (local.set $t (i32.add (local.get $a) (local.get $b)))
    (i32.add (local.get $t) (i32.mul (local.get $a) (local.get $a))))

  ;; x ^ (a shifted or rotated by a constant), i32 and i64
  (func (export "f_shxor32") (param $a i32) (param $b i32) (result i32)
    (i32.xor (i32.shl (local.get $a) (i32.const 35)) (local.get $b))
    (i32.xor (local.get $b) (i32.shr_u (local.get $a) (i32.const 7)))
    i32.add
    (i32.xor (i32.rotl (local.get $a) (i32.const 13)) (local.get $b))
    i32.add
    (i32.xor (i32.rotr (local.get $a) (i32.const 0)) (i32.mul (local.get $b) (i32.const 3)))
    i32.add)
  (func (export "r_shxor32") (param $a i32) (param $b i32) (result i32)
    (local $t i32)
    (local.set $t (i32.shl (local.get $a) (i32.const 35)))
    (i32.xor (local.get $t) (local.get $b))
    (local.set $t (i32.shr_u (local.get $a) (i32.const 7)))
    (i32.xor (local.get $b) (local.get $t))
    i32.add
    (local.set $t (i32.rotl (local.get $a) (i32.const 13)))
    (i32.xor (local.get $t) (local.get $b))
    i32.add
    (local.set $t (i32.rotr (local.get $a) (i32.const 0)))
    (i32.xor (local.get $t) (i32.mul (local.get $b) (i32.const 3)))
    i32.add)
  (func (export "f_shxor64") (param $a i32) (param $b i32) (result i64)
    (local $x i64) (local $y i64)
    (local.set $x (i64.mul (i64.extend_i32_u (local.get $a)) (i64.const 0x9e3779b97f4a7c15)))
    (local.set $y (i64.extend_i32_s (local.get $b)))
    (i64.xor (i64.shl (local.get $x) (i64.const 17)) (local.get $y))
    (i64.xor (local.get $y) (i64.shr_u (local.get $x) (i64.const 64)))
    i64.add
    (i64.xor (i64.rotl (local.get $x) (i64.const 37)) (local.get $y))
    i64.add
    (i64.xor (i64.rotr (local.get $x) (i64.const 1)) (i64.mul (local.get $y) (i64.const 5)))
    i64.add)
  (func (export "r_shxor64") (param $a i32) (param $b i32) (result i64)
    (local $x i64) (local $y i64) (local $t i64)
    (local.set $x (i64.mul (i64.extend_i32_u (local.get $a)) (i64.const 0x9e3779b97f4a7c15)))
    (local.set $y (i64.extend_i32_s (local.get $b)))
    (local.set $t (i64.shl (local.get $x) (i64.const 17)))
    (i64.xor (local.get $t) (local.get $y))
    (local.set $t (i64.shr_u (local.get $x) (i64.const 64)))
    (i64.xor (local.get $y) (local.get $t))
    i64.add
    (local.set $t (i64.rotl (local.get $x) (i64.const 37)))
    (i64.xor (local.get $t) (local.get $y))
    i64.add
    (local.set $t (i64.rotr (local.get $x) (i64.const 1)))
    (i64.xor (local.get $t) (i64.mul (local.get $y) (i64.const 5)))
    i64.add)

  ;; consecutive copies (copy2), where the second reads what the first wrote
  (func (export "f_copy2") (param $a i32) (param $b i32) (result i32)
    (local $c i32) (local $t i32) (local $n i32)
    (local.set $c (i32.add (local.get $a) (local.get $b)))
    (loop $l
      (local.set $t (local.get $a))
      (local.set $a (local.get $b))
      (local.set $b (local.get $c))
      (local.set $c (local.get $t))
      (local.set $t (local.get $b))
      (local.set $c (i32.xor (local.get $c) (local.get $t)))
      (local.set $t (local.get $a))
      (local.set $b (local.get $t))
      (local.set $a (i32.add (local.get $t) (i32.const 1)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $n) (i32.const 5))))
    (i32.add (i32.mul (i32.add (i32.mul (local.get $a) (i32.const 31)) (local.get $b))
                      (i32.const 31))
             (local.get $c)))
  (func (export "r_copy2") (param $a i32) (param $b i32) (result i32)
    (local $c i32) (local $t i32) (local $n i32)
    (local.set $c (i32.add (local.get $a) (local.get $b)))
    (loop $l
      (local.set $t (local.get $a))
      (local.set $a (i32.add (local.get $b) (i32.const 0)))
      (local.set $b (local.get $c))
      (local.set $c (i32.add (local.get $t) (i32.const 0)))
      (local.set $c (i32.xor (local.get $c) (local.get $b)))
      (local.set $b (i32.add (local.get $a) (i32.const 0)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $n) (i32.const 5))))
    (i32.add (i32.mul (i32.add (i32.mul (local.get $a) (i32.const 31)) (local.get $b))
                      (i32.const 31))
             (local.get $c)))

  ;; add + compare-and-branch: the counter on either side of the compare,
  ;; a constant or a local bound, signed and unsigned, loop and if
  (func (export "f_addbr") (param $a i32) (param $b i32) (result i32)
    (local $i i32) (local $n i32) (local $s i32)
    (local.set $s (i32.and (local.get $b) (i32.const 7)))
    (local.set $s (i32.add (local.get $s) (i32.const 1)))
    (local.set $i (i32.and (local.get $a) (i32.const 15)))
    (loop $l1
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $l1 (i32.lt_u (local.tee $i (i32.add (local.get $i) (local.get $s)))
                           (i32.const 100))))
    (loop $l2
      (local.set $n (i32.add (local.get $n) (i32.const 3)))
      (br_if $l2 (i32.gt_s (i32.const 300) (local.tee $i (i32.add (local.get $i) (local.get $s))))))
    (loop $l3
      (local.set $n (i32.add (local.get $n) (i32.const 5)))
      (br_if $l3 (i32.ge_s (local.tee $i (i32.add (local.get $i) (i32.const -7)))
                           (i32.const -50))))
    (loop $l4
      (local.set $n (i32.add (local.get $n) (i32.const 7)))
      (br_if $l4 (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                         (local.get $a))))
    (if (i32.le_u (local.tee $i (i32.add (local.get $i) (local.get $b))) (i32.const 1000))
      (then (local.set $n (i32.add (local.get $n) (i32.const 1000)))))
    (i32.add (i32.mul (local.get $n) (i32.const 65536)) (local.get $i)))
  (func (export "r_addbr") (param $a i32) (param $b i32) (result i32)
    (local $i i32) (local $n i32) (local $s i32)
    (local.set $s (i32.and (local.get $b) (i32.const 7)))
    (local.set $s (i32.add (local.get $s) (i32.const 1)))
    (local.set $i (i32.and (local.get $a) (i32.const 15)))
    (loop $l1
      (local.set $i (i32.add (local.get $i) (local.get $s)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $l1 (i32.lt_u (local.get $i) (i32.const 100))))
    (loop $l2
      (local.set $i (i32.add (local.get $i) (local.get $s)))
      (local.set $n (i32.add (local.get $n) (i32.const 3)))
      (br_if $l2 (i32.gt_s (i32.const 300) (local.get $i))))
    (loop $l3
      (local.set $i (i32.add (local.get $i) (i32.const -7)))
      (local.set $n (i32.add (local.get $n) (i32.const 5)))
      (br_if $l3 (i32.ge_s (local.get $i) (i32.const -50))))
    (loop $l4
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $n (i32.add (local.get $n) (i32.const 7)))
      (br_if $l4 (i32.ne (local.get $i) (local.get $a))))
    (local.set $i (i32.add (local.get $i) (local.get $b)))
    (local.set $n (i32.add (local.get $n) (i32.const 0)))
    (if (i32.le_u (local.get $i) (i32.const 1000))
      (then (local.set $n (i32.add (local.get $n) (i32.const 1000)))))
    (i32.add (i32.mul (local.get $n) (i32.const 65536)) (local.get $i)))

  ;; a fused load out of bounds traps like the plain one
  (func (export "f_oob") (param $a i32) (param $b i32) (result i32)
    (i32.add (local.get $b) (i32.load offset=65533 (local.get $a))))
)
