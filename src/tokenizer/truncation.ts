/**
 * Pair truncation, `longest_first`, exactly as the Rust tokenizers crate does it for HF's fast
 * tokenizers (tokenizers/src/utils/truncation.rs, `truncate_encodings`, LongestFirst, direction
 * right, stride 0).
 *
 * The caller passes the budget left after the pair's special tokens, as
 * `TokenizerImpl::post_process` does (`max_length - added_tokens(is_pair)`). This is the n1/n2
 * split, not the slow tokenizers' "drop one token from the longer side at a time" loop: the two
 * differ when both sides are long and the budget is odd or the lengths are equal.
 */

/**
 * Lengths to keep of two sequences of lengths `lenA`, `lenB` within `budget` tokens.
 *
 * With n1 the shorter and n2 the longer: if they fit, keep both; if the shorter fits in half the
 * budget, the longer gets the rest; otherwise both get half, the longer one the odd token (the
 * second one when the lengths are equal).
 */
export function longestFirstLengths(lenA: number, lenB: number, budget: number): [number, number] {
  if (budget <= 0) return [0, 0];
  if (lenA + lenB <= budget) return [lenA, lenB];
  const swap = lenA > lenB;
  let n1 = swap ? lenB : lenA;
  let n2: number;
  n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
  if (n1 + n2 > budget) {
    n1 = Math.floor(budget / 2);
    n2 = n1 + (budget % 2);
  }
  return swap ? [n2, n1] : [n1, n2];
}
