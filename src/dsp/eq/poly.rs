//! Small polynomial tools for the EQ design in `matched.rs`: evaluation, a least-squares solve,
//! quadratic roots, splitting a quartic into two real quadratics, and the spectral factor of a
//! non-negative quadratic. All f64 on fixed-size arrays: the design runs on the audio thread
//! while parameters move, so nothing here allocates.

/// Coefficients (ascending powers of x) of (1-x)^m·(1+x)^n, N = m + n + 1.
pub fn binomial_product<const N: usize>(m: usize, n: usize) -> [f64; N] {
    let mut p = [0.0; N];
    p[0] = 1.0;
    for step in 0..m + n {
        let sign = if step < m { -1.0 } else { 1.0 };
        for j in (1..N).rev() {
            p[j] += sign * p[j - 1];
        }
    }
    p
}

/// Evaluates ascending-power coefficients at x.
pub fn poly_eval(p: &[f64], x: f64) -> f64 {
    p.iter().rev().fold(0.0, |acc, &c| acc * x + c)
}

/// Minimum-phase β with |β(jt)|² = q (ascending quadratic in x), if q ≥ 0 for all x ≥ 0.
pub fn spectral_factor(q: &[f64; 3]) -> Option<[f64; 3]> {
    if !(q[0] >= 0.0 && q[2] > 0.0) {
        return None;
    }
    let (b0, b2) = (q[2].sqrt(), q[0].sqrt());
    let b1_sq = q[1] + 2.0 * b0 * b2;
    (b1_sq >= -1e-12 * b0 * b2 && b1_sq.is_finite()).then(|| [b0, b1_sq.max(0.0).sqrt(), b2])
}

/// Solves the K×K normal equations of `rows` (each: K basis values, then the right-hand side).
pub fn least_squares<const K: usize>(rows: impl Iterator<Item = ([f64; K], f64)>) -> Option<[f64; K]> {
    let mut a = [[0.0; K]; K];
    let mut b = [0.0; K];
    for (basis, rhs) in rows {
        for r in 0..K {
            b[r] += basis[r] * rhs;
            for c in 0..K {
                a[r][c] += basis[r] * basis[c];
            }
        }
    }
    for col in 0..K {
        let pivot = (col..K).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        a.swap(col, pivot);
        b.swap(col, pivot);
        if a[col][col].abs() < 1e-300 {
            return None;
        }
        let (pivot_row, pivot_b) = (a[col], b[col]);
        for (row, rhs) in a.iter_mut().zip(b.iter_mut()).skip(col + 1) {
            let f = row[col] / pivot_row[col];
            for (v, p) in row.iter_mut().zip(&pivot_row).skip(col) {
                *v -= f * p;
            }
            *rhs -= f * pivot_b;
        }
    }
    let mut x = [0.0; K];
    for r in (0..K).rev() {
        let s: f64 = (r + 1..K).map(|c| a[r][c] * x[c]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// A complex number as (re, im).
pub type Complex = (f64, f64);

pub(crate) fn c_mul(a: Complex, b: Complex) -> Complex {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

pub(crate) fn c_div(a: Complex, b: Complex) -> Complex {
    let d = b.0 * b.0 + b.1 * b.1;
    ((a.0 * b.0 + a.1 * b.1) / d, (a.1 * b.0 - a.0 * b.1) / d)
}

/// Roots of the ascending quadratic q (q[2] ≠ 0).
pub fn quadratic_roots(q: &[f64; 3]) -> [Complex; 2] {
    let (a, b, c) = (q[2], q[1], q[0]);
    let disc = b * b - 4.0 * a * c;
    if disc >= 0.0 {
        // The cancellation-free pair of formulas.
        let t = -0.5 * (b + b.signum() * disc.sqrt());
        let r1 = if t != 0.0 { c / t } else { 0.0 };
        [(t / a, 0.0), (r1, 0.0)]
    } else {
        let im = 0.5 * (-disc).sqrt() / a;
        [(-0.5 * b / a, im), (-0.5 * b / a, -im)]
    }
}

/// Splits the quartic `p` (ascending, p[4] > 0) into the monic quadratic whose roots lie nearest
/// `near` and the remaining quadratic (carrying p[4]). Roots by Durand–Kerner iteration started
/// at `start` (the roots of the unrefined product, which the refinement only nudges).
pub fn split_quartic(p: &[f64; 5], start: [Complex; 4], near: [Complex; 2]) -> Option<([f64; 3], [f64; 3])> {
    let monic: [f64; 5] = std::array::from_fn(|j| p[j] / p[4]);
    let eval = |z: Complex| {
        monic.iter().rev().fold((0.0, 0.0), |acc, &c| {
            let m = c_mul(acc, z);
            (m.0 + c, m.1)
        })
    };
    // Durand–Kerner stays on the real axis from real starts, and stalls on equal starts: turn
    // each start by a small, different complex angle.
    let mut z: [Complex; 4] = std::array::from_fn(|i| {
        let angle = 0.05 * (i + 1) as f64;
        let r = start[i].0.hypot(start[i].1).max(1e-9);
        c_mul((start[i].0 + 1e-3 * r, start[i].1), (angle.cos(), angle.sin()))
    });
    let mut converged = false;
    for _ in 0..64 {
        let mut step = 0.0f64;
        for i in 0..4 {
            let den =
                (0..4).filter(|&j| j != i).fold((1.0, 0.0), |acc, j| c_mul(acc, (z[i].0 - z[j].0, z[i].1 - z[j].1)));
            let d = c_div(eval(z[i]), den);
            z[i] = (z[i].0 - d.0, z[i].1 - d.1);
            step = step.max(d.0.hypot(d.1) / (1e-300 + z[i].0.hypot(z[i].1)));
        }
        if !step.is_finite() {
            return None;
        }
        if step < 1e-13 {
            converged = true;
            break;
        }
    }
    if !converged {
        return None;
    }
    // Of the three ways to pair four roots, keep those giving real quadratics and take the one
    // whose first pair sits closest to `near`.
    let pairings = [[0, 1, 2, 3], [0, 2, 1, 3], [0, 3, 1, 2], [2, 3, 0, 1], [1, 3, 0, 2], [1, 2, 0, 3]];
    let quad = |a: Complex, b: Complex| {
        let sum = (a.0 + b.0, a.1 + b.1);
        let prod = c_mul(a, b);
        let real = sum.1.abs() <= 1e-7 * (1e-300 + a.0.hypot(a.1) + b.0.hypot(b.1))
            && prod.1.abs() <= 1e-7 * (1e-300 + prod.0.hypot(prod.1));
        real.then_some([prod.0, -sum.0, 1.0])
    };
    let dist = |a: Complex, b: Complex| (a.0 - b.0).hypot(a.1 - b.1) / (1.0 + b.0.hypot(b.1));
    let mut best: Option<(f64, [f64; 3], [f64; 3])> = None;
    for [a, b, c, d] in pairings {
        let (Some(first), Some(second)) = (quad(z[a], z[b]), quad(z[c], z[d])) else {
            continue;
        };
        let cost = (dist(z[a], near[0]) + dist(z[b], near[1])).min(dist(z[a], near[1]) + dist(z[b], near[0]));
        if best.as_ref().is_none_or(|bst| cost < bst.0) {
            best = Some((cost, first, second.map(|v| v * p[4])));
        }
    }
    best.map(|(_, first, second)| (first, second))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_quartic_into_its_real_quadratic_factors() {
        // (x² + 3x + 10)·2(x² + 0.5x + 0.01): a complex pair and two real roots.
        let (a, b) = ([10.0, 3.0, 1.0], [0.02, 1.0, 2.0]);
        let mut p = [0.0; 5];
        for i in 0..3 {
            for j in 0..3 {
                p[i + j] += a[i] * b[j];
            }
        }
        let near = quadratic_roots(&a);
        let [b0, b1] = quadratic_roots(&[0.01, 0.5, 1.0]);
        let (first, second) = split_quartic(&p, [(-1.0, 2.0), (-1.0, -2.0), b0, b1], near).unwrap();
        for j in 0..3 {
            assert!((first[j] - a[j]).abs() < 1e-9 && (second[j] - b[j]).abs() < 1e-9, "{first:?} {second:?}");
        }
    }

    #[test]
    fn spectral_factor_reproduces_the_magnitude() {
        // β = (2, 3, 5): |β0(jt)² + β1(jt) + β2|² = (5 - 2t²)² + 9t².
        let q = [25.0, 9.0 - 20.0, 4.0];
        assert_eq!(spectral_factor(&q), Some([2.0, 3.0, 5.0]));
        assert_eq!(spectral_factor(&[1.0, -3.0, 1.0]), None); // negative near x = 1
    }

    #[test]
    fn least_squares_recovers_an_exact_fit() {
        let rows = (0..10).map(|i| {
            let x = i as f64;
            ([1.0, x, x * x], 2.0 - 0.5 * x + 0.25 * x * x)
        });
        let c = least_squares::<3>(rows).unwrap();
        assert!((c[0] - 2.0).abs() < 1e-9 && (c[1] + 0.5).abs() < 1e-9 && (c[2] - 0.25).abs() < 1e-9);
    }
}
