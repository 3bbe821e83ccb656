;; out[r] = Σ_j codes[r·stride + j] · query[j] for r < count, in int32: int8 codes, an int16 query
;; (widened once per search, not once per row). stride is a multiple of 16; each 16 codes widen
;; to two int16x8 halves and i32x4.dot_i16x8_s sums their products in pairs.
(module
  (memory (export "memory") 1)
  (func (export "dot_i8")
    (param $codes i32) (param $count i32) (param $stride i32) (param $query i32) (param $out i32)
    (local $end i32) (local $rowEnd i32) (local $q i32) (local $a v128) (local $acc v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $q (local.get $query))
        (local.set $rowEnd (i32.add (local.get $codes) (local.get $stride)))
        (loop $columns
          (local.set $a (v128.load (local.get $codes)))
          (local.set $acc
            (i32x4.add (local.get $acc)
              (i32x4.add
                (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $a)) (v128.load (local.get $q)))
                (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $a)) (v128.load offset=16 (local.get $q))))))
          (local.set $q (i32.add (local.get $q) (i32.const 32)))
          (local.set $codes (i32.add (local.get $codes) (i32.const 16)))
          (br_if $columns (i32.lt_u (local.get $codes) (local.get $rowEnd))))
        (local.set $acc
          (i32x4.add (local.get $acc)
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $acc) (local.get $acc))))
        (local.set $acc
          (i32x4.add (local.get $acc)
            (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $acc) (local.get $acc))))
        (i32.store (local.get $out) (i32x4.extract_lane 0 (local.get $acc)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $rows)))))
