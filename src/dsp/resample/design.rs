//! Half-band low-pass design: Kaiser-windowed sinc, checked against its specification.
//!
//! A half-band low-pass (cutoff at a quarter of the sample rate) has every even-offset tap equal
//! to zero except the centre tap (exactly 1/2), and its passband and stopband ripples are equal,
//! with band edges mirrored around a quarter of the rate: one edge and one attenuation describe
//! the whole filter. The taps come from the Kaiser-windowed sinc method (J. F. Kaiser,
//! "Nonrecursive digital filter design using the I0-sinh window function", 1974; the length and
//! beta formulas are those in Oppenheim & Schafer, *Discrete-Time Signal Processing*, 3rd ed.,
//! §7.5.3), computed at construction.

/// Modified Bessel function of the first kind, order zero (power series; converges for any
/// argument used by a Kaiser window, beta < 30). The crate's one implementation.
pub(crate) fn bessel_i0(x: f64) -> f64 {
    let quarter_x2 = x * x / 4.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..500 {
        term *= quarter_x2 / (k * k) as f64;
        sum += term;
        if term < 1e-17 * sum {
            break;
        }
    }
    sum
}

/// The crate's one half-band designer: the `count` non-zero side taps of an ideal half-band
/// low-pass (sin(pi n / 2) / (pi n) at odd offsets n = 2j + 1, innermost first), under a Kaiser
/// window of shape `beta` reaching `window_half` samples either side of the centre, scaled so the
/// DC gain 1/2 + 2 * sum(taps) is exactly 1. The resampler's polyphase filters use these taps as
/// they are; the true-peak detectors' mid-point kernels are the same filter read at the low
/// rate (twice these taps, see `detector_kernel::design`).
pub fn kaiser_halfband_taps(count: usize, window_half: f64, beta: f64) -> Vec<f64> {
    let i0_beta = bessel_i0(beta);
    let mut taps: Vec<f64> = (0..count)
        .map(|j| {
            let offset = (2 * j + 1) as f64;
            let sign = if j % 2 == 0 { 1.0 } else { -1.0 };
            let ideal = sign / (std::f64::consts::PI * offset);
            let r = offset / window_half;
            ideal * bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0_beta
        })
        .collect();
    let sum: f64 = taps.iter().sum();
    for t in &mut taps {
        *t *= 0.25 / sum;
    }
    taps
}

/// Non-zero side taps of a Kaiser-windowed half-band low-pass, innermost first: entry `j` is the
/// tap at offsets `±(2j + 1)` from the centre (the centre tap is 1/2 and is implied).
///
/// `passband_edge` is the end of the flat band as a fraction of the (high) sample rate, below 1/4;
/// the stopband then starts at `1/2 - passband_edge`. `stopband_atten_db` is the rejection there,
/// which for a half-band is also the passband ripple (`10^(-A/20)` in linear gain).
/// The taps are scaled so that the DC gain is exactly 1: both polyphase branches then have unity
/// DC gain and a constant input upsamples to a constant, with no spur at the old Nyquist.
pub fn halfband_side_taps(passband_edge: f64, stopband_atten_db: f64) -> Vec<f64> {
    let a = stopband_atten_db.max(21.0);
    let edge = passband_edge.clamp(0.01, 0.245);
    let beta = if a > 50.0 { 0.1102 * (a - 8.7) } else { 0.5842 * (a - 21.0).powf(0.4) + 0.07886 * (a - 21.0) };
    // Kaiser's order estimate, as the window length 4K + 1 (the end taps at +-2K are even
    // offsets, zero in a half-band). Both formulas are approximate, short filters especially, so
    // the design is checked against the target: beta is searched around the formula's value, and
    // the filter lengthened, until the stopband meets it.
    let order = (a - 7.95) / (14.36 * (0.5 - 2.0 * edge));
    let limit = 10f64.powf(-a / 20.0);
    let mut half_len = ((order / 4.0).ceil() as usize).max(1);
    loop {
        for step in 0..=12 {
            let taps = kaiser_halfband(half_len, beta * (0.8 + 0.05 * step as f64));
            if half_len >= 512 || meets_stopband(&taps, edge, limit) {
                return taps;
            }
        }
        half_len += 1;
    }
}

/// Taps of the 2x path's decimator, a linear-phase low-pass of 131 taps at the 2x rate (not a
/// half-band), centre first: entry `k` is the tap at offsets `+-k` from the centre.
///
/// A half-band decimator is -6 dB at the base-rate Nyquist frequency by construction
/// (A(f) + A(1/2 - f) = 1), so whatever the curve folds onto 24 kHz at a 48 kHz base rate (the
/// 8th harmonic of 9 kHz, 72 kHz, lands exactly there on the 96 kHz grid) comes out only 6 dB
/// down. This filter spends the 12 samples (at 2x) of latency by which the 2x path is padded to
/// match the 4x path (`OversamplerDesign::latency_samples`) on a longer kernel that is already
/// 21 dB down at the base-rate Nyquist frequency, with the half-band's passband and stopband:
/// - passband to 20 kHz at 44.1 kHz (0.2268 of the 2x rate): within 8.6e-5 (0.0008 dB), DC
///   gain exactly 1;
/// - 0.25 to 0.2732 (base-rate Nyquist to the half-band's stopband edge): below -21.4 dB;
/// - 0.2732 to 0.5: below -81.4 dB, as the half-band's 80 dB.
///
/// Designed offline by weighted minimax (Lawson's iteratively reweighted least squares on the
/// zero-phase amplitude, 2200 grid points, tolerances 1e-4 / 0.1 / 1e-4 on the three bands, DC
/// constrained to 1, 400 iterations); `decimator_meets_its_specification` checks the result.
pub const DECIMATOR_2X_TAPS: [f64; 66] = [
    0.4849908649291006,
    0.3179575344714251,
    0.014953915180603128,
    -0.10504812370943531,
    -0.014784719695457388,
    0.06191887029970505,
    0.014509597583724802,
    -0.0430600458802234,
    -0.014129380893282426,
    0.03231575018829686,
    0.013656231762217974,
    -0.025278702260011304,
    -0.01309468455596309,
    0.020263724555550477,
    0.012460153016543008,
    -0.016479816231836076,
    -0.011759790236320872,
    0.013516839741783476,
    0.01101105743281576,
    -0.011130505675735914,
    -0.010222371107470528,
    0.009177370474503364,
    0.009411859105448478,
    -0.007555512571736244,
    -0.008587781116084391,
    0.006202961248952352,
    0.007767577983765168,
    -0.005066735206196561,
    -0.0069580710835173525,
    0.004115683998625663,
    0.006174850466790211,
    -0.0033167414823630885,
    -0.00542228559707348,
    0.0026522444952288312,
    0.0047133160767716155,
    -0.0020983132380593197,
    -0.004049218444957875,
    0.0016440455812989294,
    0.0034399295373298867,
    -0.0012703696199585649,
    -0.002883428357628547,
    0.0009703359939892131,
    0.002386666737919463,
    -0.0007278597932500949,
    -0.0019445532630242212,
    0.0005387484578894819,
    0.00156145751089198,
    -0.000389096253823697,
    -0.0012297331600927088,
    0.0002769659930134793,
    0.0009518589753132745,
    -0.00019021753824275366,
    -0.0007183435029734469,
    0.0001288902970403745,
    0.0005305567992499472,
    -8.23707021388679e-05,
    -0.0003779657050804984,
    5.24488340165369e-05,
    0.00026163955572747763,
    -2.975750546755371e-05,
    -0.00017069122054542453,
    1.7622476889491562e-05,
    0.00010651453372102185,
    -8.772676641195104e-06,
    -8.070405453729484e-05,
    4.010507537277001e-06,
];

fn kaiser_halfband(half_len: usize, beta: f64) -> Vec<f64> {
    // The window's end points at +-2K are even offsets, zero in a half-band anyway.
    kaiser_halfband_taps(half_len, (2 * half_len) as f64, beta)
}

/// Whether |A(f)| stays at or below `limit` over the stopband `[1/2 - edge, 1/2]`. A(f) has at
/// most K ripple lobes there (its highest term is cos(2 pi f (2K - 1))), so 64 K grid points
/// give at least 64 per lobe: a lobe peak is missed by under 0.01 dB. Scans from the band edge,
/// where the largest lobe sits, so a failing candidate is rejected early.
fn meets_stopband(taps: &[f64], edge: f64, limit: f64) -> bool {
    let points = 16 * 4 * taps.len();
    (0..=points).all(|i| {
        let f = 0.5 - edge + edge * i as f64 / points as f64;
        let w = 2.0 * std::f64::consts::PI * f;
        let a: f64 = taps.iter().enumerate().map(|(j, &t)| t * (w * (2 * j + 1) as f64).cos()).sum();
        (0.5 + 2.0 * a).abs() <= limit
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// The full impulse response (length 4K - 1) of the design, from the side taps.
    pub(crate) fn full_response(side: &[f64]) -> Vec<f64> {
        let k = side.len();
        let centre = 2 * k - 1;
        let mut h = vec![0.0; 4 * k - 1];
        h[centre] = 0.5;
        for (j, &t) in side.iter().enumerate() {
            h[centre - (2 * j + 1)] = t;
            h[centre + 2 * j + 1] = t;
        }
        h
    }

    /// Zero-phase amplitude of the design at `f` (fraction of the high rate), by its definition
    /// A(f) = 1/2 + 2 sum_j t_j cos(2 pi f (2j + 1)).
    fn amplitude(side: &[f64], f: f64) -> f64 {
        0.5 + 2.0 * side.iter().enumerate().map(|(j, &t)| t * (2.0 * PI * f * (2 * j + 1) as f64).cos()).sum::<f64>()
    }

    /// Zero-phase amplitude of the decimator at `f` (fraction of the 2x rate).
    fn decimator_amplitude(f: f64) -> f64 {
        let t = &DECIMATOR_2X_TAPS;
        t[0] + 2.0 * (1..t.len()).map(|k| t[k] * (2.0 * PI * f * k as f64).cos()).sum::<f64>()
    }

    #[test]
    fn decimator_meets_its_specification() {
        let edge = 20.0 / 88.2;
        assert!((decimator_amplitude(0.0) - 1.0).abs() < 1e-12);
        let points = 20_000;
        let worst = |from: f64, to: f64, err: &dyn Fn(f64) -> f64| {
            (0..=points).map(|i| err(from + (to - from) * i as f64 / points as f64)).fold(0.0f64, f64::max)
        };
        let pass = worst(0.0, edge, &|f| (decimator_amplitude(f) - 1.0).abs());
        let nyquist = worst(0.25, 0.5 - edge, &|f| decimator_amplitude(f).abs());
        let stop = worst(0.5 - edge, 0.5, &|f| decimator_amplitude(f).abs());
        assert!(pass < 8.6e-5, "passband ripple {pass}");
        assert!(20.0 * nyquist.log10() < -21.4, "from the base-rate Nyquist on: {:.2} dB", 20.0 * nyquist.log10());
        assert!(20.0 * stop.log10() < -81.4, "stopband {:.2} dB", 20.0 * stop.log10());
    }

    #[test]
    fn design_meets_its_specification() {
        let edge = 20.0 / 88.2;
        let side = halfband_side_taps(edge, 80.0);
        assert!(side.len() <= 30, "K = {} is more than Kaiser's estimate needs", side.len());
        assert!((amplitude(&side, 0.0) - 1.0).abs() < 1e-12);
        let mut worst_pass = 0.0f64;
        let mut worst_stop = 0.0f64;
        for i in 0..=2000 {
            let f = edge * i as f64 / 2000.0;
            worst_pass = worst_pass.max((amplitude(&side, f) - 1.0).abs());
            worst_stop = worst_stop.max(amplitude(&side, 0.5 - f).abs());
        }
        assert!(20.0 * worst_stop.log10() <= -80.0, "stopband {:.1} dB", 20.0 * worst_stop.log10());
        assert!(20.0 * (1.0 + worst_pass).log10() < 0.001, "passband ripple {worst_pass}");
        // Half-band symmetry: A(f) + A(1/2 - f) = 1 for every f.
        for f in [0.01, 0.1, 0.2, 0.24] {
            assert!((amplitude(&side, f) + amplitude(&side, 0.5 - f) - 1.0).abs() < 1e-12);
        }
    }
}
