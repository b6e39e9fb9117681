/**
 * The benchmark's statistics: the bench judges its targets by them
 * (test/bench/bench.ts), so a wrong interval would misjudge a row.
 */
import { dynamodbMsPerRequest, mergeDeltas } from './counting-proxy';
import { medianCi95, ratio, summarize } from './stats';

/** Deterministic samples around `center` (Park–Miller, exact in doubles; no Math.random). */
function samples(n: number, center: number, spread: number, seed = 7): number[] {
  const modulus = 2147483647;
  let state = seed;
  return Array.from({ length: n }, () => {
    state = (state * 48271) % modulus;
    return center + spread * (state / modulus - 0.5);
  });
}

describe('medianCi95', () => {
  test('contains the median, and is the same for the same samples', () => {
    const xs = samples(200, 1.04, 0.4);
    const [lo, hi] = medianCi95(xs);
    const median = summarize(xs).median;
    expect(lo).toBeLessThanOrEqual(median);
    expect(hi).toBeGreaterThanOrEqual(median);
    expect(lo).toBeLessThan(hi);
    expect(medianCi95(xs)).toEqual([lo, hi]);
  });

  test('narrows as samples grow (about 1 / √n)', () => {
    const width = (n: number): number => {
      const [lo, hi] = medianCi95(samples(n, 1, 0.4));
      return hi - lo;
    };
    const ratioOfWidths = width(30) / width(600);
    // √20 ≈ 4.5; a bootstrap of uniform samples lands near it.
    expect(ratioOfWidths).toBeGreaterThan(2.5);
    expect(ratioOfWidths).toBeLessThan(8);
  });

  test('is one point for constant samples, and NaN for none', () => {
    expect(medianCi95([1.1, 1.1, 1.1])).toEqual([1.1, 1.1]);
    expect(medianCi95([]).every(Number.isNaN)).toBe(true);
  });
});

describe('ratio', () => {
  test('pairs equal-length series and gives the paired median its interval', () => {
    const b = samples(100, 5, 1, 3);
    const a = b.map((x) => x * 1.1);
    const r = ratio(a, b);
    expect(r.paired?.median).toBeCloseTo(1.1, 10);
    expect(r.pairedCi95?.[0]).toBeCloseTo(1.1, 10);
    expect(r.pairedCi95?.[1]).toBeCloseTo(1.1, 10);
  });

  test('falls back to the ratio of medians for unequal series', () => {
    const r = ratio([2, 4, 6], [1, 2]);
    expect(r.ofMedians).toBeCloseTo(4 / 1.5, 10);
    expect(r.paired).toBeUndefined();
    expect(r.pairedCi95).toBeUndefined();
  });
});

describe('DynamoDB Local time per request (counting proxy)', () => {
  test('merges batches and sums each operation\'s median, weighted by how often a request makes it', () => {
    const first = { operations: new Map([['PutItem', 2], ['UpdateItem', 2]]), serverMs: new Map([['PutItem', [1, 3]], ['UpdateItem', [2, 2]]]) };
    const second = { operations: new Map([['PutItem', 1], ['UpdateItem', 1]]), serverMs: new Map([['PutItem', [2]], ['UpdateItem', [4]]]) };
    const merged = mergeDeltas([first, second]);
    expect([...merged.operations]).toEqual([['PutItem', 3], ['UpdateItem', 3]]);
    // 3 requests, one PutItem (median 2 ms) and one UpdateItem (median 2 ms) each.
    expect(dynamodbMsPerRequest(merged, 3)).toBeCloseTo(4, 10);
    // A replay check with one PutItem per request over 2 requests: the median alone.
    expect(dynamodbMsPerRequest({ operations: new Map([['PutItem', 2]]), serverMs: new Map([['PutItem', [1, 5]]]) }, 2)).toBeCloseTo(3, 10);
  });
});
