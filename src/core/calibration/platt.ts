/**
 * Platt scaling: P(positive | logit) = sigmoid(a·logit + c), fitted by maximum likelihood with Platt's smoothed
 * targets ((n+ + 1)/(n+ + 2) and 1/(n- + 2) instead of 1 and 0), which keep a and c finite when the sample is
 * separable, as small audit samples of a good head often are. Newton's method with a backtracking line search
 * (Lin, Lin and Weng, 2007), on two parameters: a few dozen iterations at most.
 */
export interface PlattFit {
  a: number;
  c: number;
}

export function fitPlatt(logits: readonly number[], positive: readonly boolean[]): PlattFit {
  const nPos = positive.filter(Boolean).length;
  const nNeg = positive.length - nPos;
  const hi = (nPos + 1) / (nPos + 2);
  const lo = 1 / (nNeg + 2);
  const t = positive.map((p) => (p ? hi : lo));
  let a = 1;
  let c = Math.log((nNeg + 1) / (nPos + 1)) * -1;
  const loss = (a: number, c: number) => {
    let f = 0;
    logits.forEach((x, i) => {
      const z = a * x + c;
      // log(1 + e^z) - t·z, written to stay finite for large |z|.
      f += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - t[i] * z;
    });
    return f;
  };
  let f = loss(a, c);
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0;
    let gc = 0;
    let haa = 1e-12;
    let hac = 0;
    let hcc = 1e-12;
    logits.forEach((x, i) => {
      const p = 1 / (1 + Math.exp(-(a * x + c)));
      const d = p - t[i];
      const w = p * (1 - p);
      ga += d * x;
      gc += d;
      haa += w * x * x;
      hac += w * x;
      hcc += w;
    });
    if (Math.abs(ga) < 1e-9 && Math.abs(gc) < 1e-9) break;
    const det = haa * hcc - hac * hac;
    const da = -(hcc * ga - hac * gc) / det;
    const dc = -(haa * gc - hac * ga) / det;
    let step = 1;
    while (step > 1e-10) {
      const fNew = loss(a + step * da, c + step * dc);
      if (fNew < f + 1e-4 * step * (ga * da + gc * dc)) {
        a += step * da;
        c += step * dc;
        f = fNew;
        break;
      }
      step /= 2;
    }
    if (step <= 1e-10) break;
  }
  return { a, c };
}

export function plattProbability(fit: PlattFit, logit: number): number {
  return 1 / (1 + Math.exp(-(fit.a * logit + fit.c)));
}
