;; Int8 dot products for the first pass of the exact search (src/core/store/exact-search.ts, through kernel/int8-kernel.ts).
;; Rows are int8, padded to a multiple of 32 bytes; the query is int8 widened to int16 once per query, so the inner
;; loop is load, widen, i32x4.dot_i16x8_s, add: 32 bytes of rows per iteration with two accumulators.
;; Sums cannot overflow: |q| <= 127 and |p| <= 127, so a row of 4,096 dimensions sums to at most 66M per lane.
;; Compile: npm run build:kernel (tools/build-kernel/main.ts writes int8-dot-wasm.ts, which a test checks is current).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; out[r] = sum_i rows[r][i] * query[i] for r in [0, count).
  ;; query: int16 x dim at $query; rows: int8, `dim` bytes each, from $rows; out: int32 x count at $out.
  (func (export "dots") (param $query i32) (param $rows i32) (param $out i32) (param $count i32) (param $dim i32)
    (local $end i32) (local $row i32) (local $q i32) (local $x v128) (local $y v128) (local $a v128) (local $b v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $a (v128.const i32x4 0 0 0 0))
        (local.set $b (v128.const i32x4 0 0 0 0))
        (local.set $row (local.get $rows))
        (local.set $rows (i32.add (local.get $rows) (local.get $dim)))
        (local.set $q (local.get $query))
        (block $row_done
          (loop $inner
            (br_if $row_done (i32.ge_u (local.get $row) (local.get $rows)))
            (local.set $x (v128.load (local.get $row)))
            (local.set $y (v128.load offset=16 (local.get $row)))
            (local.set $a (i32x4.add (local.get $a)
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $x)) (v128.load (local.get $q)))))
            (local.set $b (i32x4.add (local.get $b)
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $x)) (v128.load offset=16 (local.get $q)))))
            (local.set $a (i32x4.add (local.get $a)
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $y)) (v128.load offset=32 (local.get $q)))))
            (local.set $b (i32x4.add (local.get $b)
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $y)) (v128.load offset=48 (local.get $q)))))
            (local.set $row (i32.add (local.get $row) (i32.const 32)))
            (local.set $q (i32.add (local.get $q) (i32.const 64)))
            (br $inner)))
        (local.set $a (i32x4.add (local.get $a) (local.get $b)))
        (i32.store (local.get $out)
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $a)) (i32x4.extract_lane 1 (local.get $a)))
            (i32.add (i32x4.extract_lane 2 (local.get $a)) (i32x4.extract_lane 3 (local.get $a)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $rows_loop))))
)
