;; WebAssembly SIMD kernels of the embedded store's exact search (src/core/store/exact-search.ts, through
;; kernel/search-kernel.ts) and of its quantisation (src/core/store/quantiser.ts):
;; - dots: int8 rows x int16 query, every row (the first pass);
;; - fineDots: 4-bit residual codes x the same query, listed rows only (the second, finer pass);
;; - quantise: float32 rows into int8 codes, 4-bit residual codes, their error norms and a row checksum;
;; - checksums: the row checksum alone, to verify rows read back from the vectors file.
;; Rows are padded with zeros to a multiple of 32 dimensions (`stride`); the query is widened to int16 once per query.
;; Sums cannot overflow: |q| <= 127 and the query's range is chosen so that 127 x range x stride < 2^31 (quantise.ts).
;; Compile: npm run build:kernel (tools/build-kernel/main.ts writes search-kernel-wasm.ts, which a test checks is current).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Sum of the four int32 lanes.
  (func $sum_i32x4 (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))

  ;; out[r] = sum_i rows[r][i] * query[i] for r in [0, count).
  ;; query: int16 x stride at $query; rows: int8, `stride` bytes each, from $rows; out: int32 x count at $out.
  (func (export "dots") (param $query i32) (param $rows i32) (param $out i32) (param $count i32) (param $stride i32)
    (local $end i32) (local $row i32) (local $q i32) (local $x v128) (local $y v128) (local $a v128) (local $b v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $a (v128.const i32x4 0 0 0 0))
        (local.set $b (v128.const i32x4 0 0 0 0))
        (local.set $row (local.get $rows))
        (local.set $rows (i32.add (local.get $rows) (local.get $stride)))
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
        (i32.store (local.get $out) (call $sum_i32x4 (i32x4.add (local.get $a) (local.get $b))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $rows_loop))))

  ;; out[i] = sum_j fine[list[i]][j] * query[j] for i in [0, count): the listed rows' 4-bit codes.
  ;; fine: stride / 2 bytes per row, byte t holding dimension 2t in its low nibble and 2t + 1 in its high one, both
  ;; signed (-8..7). The query comes de-interleaved per 32 dimensions (the 16 even ones, then the 16 odd ones: see
  ;; quantised-rows.ts), so that 16 bytes of codes meet 32 consecutive int16s. list, out: int32 x count.
  (func (export "fineDots") (param $query i32) (param $fine i32) (param $list i32) (param $out i32) (param $count i32)
    (param $stride i32)
    (local $end i32) (local $row i32) (local $rowEnd i32) (local $q i32) (local $v v128) (local $lo v128) (local $hi v128)
    (local $a v128) (local $b v128) (local $half i32)
    (local.set $half (i32.shr_u (local.get $stride) (i32.const 1)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $a (v128.const i32x4 0 0 0 0))
        (local.set $b (v128.const i32x4 0 0 0 0))
        (local.set $row (i32.add (local.get $fine) (i32.mul (i32.load (local.get $list)) (local.get $half))))
        (local.set $rowEnd (i32.add (local.get $row) (local.get $half)))
        (local.set $q (local.get $query))
        (block $row_done
          (loop $inner
            (br_if $row_done (i32.ge_u (local.get $row) (local.get $rowEnd)))
            (local.set $v (v128.load (local.get $row)))
            (local.set $lo (i8x16.shr_s (i8x16.shl (local.get $v) (i32.const 4)) (i32.const 4)))
            (local.set $hi (i8x16.shr_s (local.get $v) (i32.const 4)))
            (local.set $a (i32x4.add (local.get $a)
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $lo)) (v128.load (local.get $q)))))
            (local.set $b (i32x4.add (local.get $b)
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $lo)) (v128.load offset=16 (local.get $q)))))
            (local.set $a (i32x4.add (local.get $a)
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $hi)) (v128.load offset=32 (local.get $q)))))
            (local.set $b (i32x4.add (local.get $b)
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $hi)) (v128.load offset=48 (local.get $q)))))
            (local.set $row (i32.add (local.get $row) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 64)))
            (br $inner)))
        (i32.store (local.get $out) (call $sum_i32x4 (i32x4.add (local.get $a) (local.get $b))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $list (i32.add (local.get $list) (i32.const 4)))
        (br $rows_loop))))

  ;; Quantises `count` float32 rows of `stride` floats (zero-padded) from $src: int8 codes (`stride` bytes per row)
  ;; to $q8, 4-bit codes of the residual (stride / 2 bytes: dimension 2t in byte t's low nibble, 2t + 1 in its high
  ;; nibble) to $q4, and per row 20 bytes to $info: the scale s, then ||s*q||, ||x - s*q|| and ||x - s*q - (s/16)*f||
  ;; (each rounded up), then the row checksum (int32). The codes are chosen in float32 (any choice is correct); the
  ;; residuals are measured in float64, where they are exact (quantise.ts). Written out inline: Node 20's V8 does not
  ;; inline calls between WebAssembly functions, and calls per four dimensions cost more than the work.
  (func (export "quantise") (param $src i32) (param $count i32) (param $stride i32) (param $q8 i32) (param $q4 i32)
    (param $info i32)
    (local $row i32) (local $j i32) (local $max v128) (local $maxAbs f32) (local $scale f32) (local $inv v128)
    (local $inv16 v128) (local $scale4 v128) (local $s v128) (local $s16 v128) (local $x v128) (local $q v128)
    (local $f v128) (local $r v128) (local $e v128) (local $rr v128) (local $ee v128) (local $qq v128) (local $hash v128)
    (local $k v128) (local $half i32)
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $count)))
        ;; The largest magnitude sets the scale.
        (local.set $max (v128.const f32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $max_done
          (loop $max_loop
            (br_if $max_done (i32.ge_u (local.get $j) (local.get $stride)))
            (local.set $max (f32x4.max (local.get $max)
              (f32x4.abs (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $max_loop)))
        (local.set $maxAbs (f32.max
          (f32.max (f32x4.extract_lane 0 (local.get $max)) (f32x4.extract_lane 1 (local.get $max)))
          (f32.max (f32x4.extract_lane 2 (local.get $max)) (f32x4.extract_lane 3 (local.get $max)))))
        (local.set $scale (f32.div (local.get $maxAbs) (f32.const 127)))
        (local.set $scale4 (f32x4.splat (local.get $scale)))
        (local.set $inv (f32x4.splat (select (f32.const 0) (f32.div (f32.const 1) (local.get $scale))
          (f32.eq (local.get $scale) (f32.const 0)))))
        (local.set $inv16 (f32x4.mul (local.get $inv) (f32x4.splat (f32.const 16))))
        (local.set $s (f64x2.splat (f64.promote_f32 (local.get $scale))))
        (local.set $s16 (f64x2.mul (local.get $s) (f64x2.splat (f64.const 0.0625))))
        (local.set $rr (v128.const f64x2 0 0))
        (local.set $ee (v128.const f64x2 0 0))
        (local.set $qq (v128.const i32x4 0 0 0 0))
        (local.set $hash (v128.const i32x4 0 0 0 0))
        (local.set $k (v128.const i32x4 0x9E3779B1 0xDAA66D13 0x17156075 0x538453D7))
        (local.set $j (i32.const 0))
        (block $groups_done
          (loop $groups
            (br_if $groups_done (i32.ge_u (local.get $j) (local.get $stride)))
            (local.set $x (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))))
            ;; q = clamp(round(x / s), -127, 127); f = clamp(round((x - s*q) * 16 / s), -8, 7)
            (local.set $q (i32x4.max_s (i32x4.splat (i32.const -127)) (i32x4.min_s (i32x4.splat (i32.const 127))
              (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (local.get $x) (local.get $inv)))))))
            (local.set $f (i32x4.max_s (i32x4.splat (i32.const -8)) (i32x4.min_s (i32x4.splat (i32.const 7))
              (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (local.get $inv16)
                (f32x4.sub (local.get $x) (f32x4.mul (local.get $scale4) (f32x4.convert_i32x4_s (local.get $q))))))))))
            ;; Exact residuals of lanes 0-1, then (moved down) of lanes 2-3.
            (local.set $half (i32.const 0))
            (loop $halves
              (local.set $r (f64x2.sub (f64x2.promote_low_f32x4 (local.get $x))
                (f64x2.mul (local.get $s) (f64x2.convert_low_i32x4_s (local.get $q)))))
              (local.set $e (f64x2.sub (local.get $r)
                (f64x2.mul (local.get $s16) (f64x2.convert_low_i32x4_s (local.get $f)))))
              (local.set $rr (f64x2.add (local.get $rr) (f64x2.mul (local.get $r) (local.get $r))))
              (local.set $ee (f64x2.add (local.get $ee) (f64x2.mul (local.get $e) (local.get $e))))
              (local.set $x (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
              (local.set $q (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $q) (local.get $q)))
              (local.set $f (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $f) (local.get $f)))
              (local.set $half (i32.add (local.get $half) (i32.const 1)))
              (br_if $halves (i32.lt_u (local.get $half) (i32.const 2))))
            ;; (x, q, f are back in their lanes after two swaps.)
            (local.set $qq (i32x4.add (local.get $qq) (i32x4.mul (local.get $q) (local.get $q))))
            (local.set $hash (i32x4.add (local.get $hash) (i32x4.mul (local.get $x) (local.get $k))))
            (local.set $k (i32x4.add (local.get $k) (i32x4.splat (i32.const 0xF1BBCD88)))) ;; see checksums
            ;; Four int8 codes, then two bytes of 4-bit codes: lanes (f0 | f1 << 4, f2 | f3 << 4).
            (local.set $q (i16x8.narrow_i32x4_s (local.get $q) (local.get $q)))
            (i32.store (i32.add (local.get $q8) (local.get $j))
              (i32x4.extract_lane 0 (i8x16.narrow_i16x8_s (local.get $q) (local.get $q))))
            (local.set $f (v128.and (local.get $f) (i32x4.splat (i32.const 15))))
            (local.set $f (v128.or (local.get $f)
              (i32x4.shl (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $f) (local.get $f)) (i32.const 4))))
            (i32.store16 (i32.add (local.get $q4) (i32.shr_u (local.get $j) (i32.const 1)))
              (i32.or (i32.and (i32x4.extract_lane 0 (local.get $f)) (i32.const 255))
                (i32.shl (i32.and (i32x4.extract_lane 2 (local.get $f)) (i32.const 255)) (i32.const 8))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $groups)))
        (f32.store (local.get $info) (local.get $scale))
        (f32.store offset=4 (local.get $info) (call $round_up (f64.mul (f64.promote_f32 (local.get $scale))
          (f64.sqrt (f64.convert_i32_s (call $sum_i32x4 (local.get $qq)))))))
        (f32.store offset=8 (local.get $info) (call $round_up (f64.sqrt
          (f64.add (f64x2.extract_lane 0 (local.get $rr)) (f64x2.extract_lane 1 (local.get $rr))))))
        (f32.store offset=12 (local.get $info) (call $round_up (f64.sqrt
          (f64.add (f64x2.extract_lane 0 (local.get $ee)) (f64x2.extract_lane 1 (local.get $ee))))))
        (i32.store offset=16 (local.get $info) (call $sum_i32x4 (local.get $hash)))
        (local.set $src (i32.add (local.get $src) (i32.shl (local.get $stride) (i32.const 2))))
        (local.set $q8 (i32.add (local.get $q8) (local.get $stride)))
        (local.set $q4 (i32.add (local.get $q4) (i32.shr_u (local.get $stride) (i32.const 1))))
        (local.set $info (i32.add (local.get $info) (i32.const 20)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))

  ;; A norm rounded up as quantise.ts's roundUpBound does, so its float32 copy is never below the exact value.
  (func $round_up (param $x f64) (result f32)
    (f32.demote_f64 (f64.add (f64.mul (local.get $x) (f64.const 1.00000095367431640625)) (f64.const 1e-30))))

;; out[r] = the row checksum of `count` float32 rows of `stride` floats from $src, as quantise records it: the sum
  ;; of each float's bits times (2j + 1) x 0x9E3779B1 for dimension j (mod 2^32). Every multiplier is odd, so changing
  ;; any one word of a row always changes its checksum.
  (func (export "checksums") (param $src i32) (param $count i32) (param $stride i32) (param $out i32)
    (local $row i32) (local $j i32) (local $hash v128) (local $k v128)
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $count)))
        (local.set $hash (v128.const i32x4 0 0 0 0))
        (local.set $k (v128.const i32x4 0x9E3779B1 0xDAA66D13 0x17156075 0x538453D7))
        (local.set $j (i32.const 0))
        (block $row_done
          (loop $words
            (br_if $row_done (i32.ge_u (local.get $j) (local.get $stride)))
            (local.set $hash (i32x4.add (local.get $hash)
              (i32x4.mul (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))) (local.get $k))))
            (local.set $k (i32x4.add (local.get $k) (i32x4.splat (i32.const 0xF1BBCD88))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $words)))
        (i32.store (local.get $out) (call $sum_i32x4 (local.get $hash)))
        (local.set $src (i32.add (local.get $src) (i32.shl (local.get $stride) (i32.const 2))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))
)
