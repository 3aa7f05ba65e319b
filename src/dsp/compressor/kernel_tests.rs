//! Band-compressor behaviour through `Compressor::process`, against analysis: stereo link,
//! sidechain high-pass and mid/side in single-band mode, then the same per band in multiband
//! mode (with the crossover's analytic band responses), solo, and the per-band meter.

use crate::dsp::compressor::test_util::{
    bilinear_omega, db, engaged, faded_sine, lr4_bands_at, run, sine, steady, tone_amplitude,
};
use crate::dsp::compressor::{Compressor, CompressorSettings, Detector};

const FS: f32 = 48_000.0;

fn one_band(detector: Detector, threshold_db: f32, ratio: f32, link_pct: f32) -> CompressorSettings {
    let mut s = engaged();
    (s.detector, s.link_pct) = (detector, link_pct);
    (s.bands[0].threshold_db, s.bands[0].ratio, s.bands[0].knee_db) = (threshold_db, ratio, 0.0);
    s
}

/// L: 1 kHz at -6.02 dB; R: a 3 kHz probe at -60 dB, below the -40 dB threshold. Per the
/// link definition, R's reduction is link × L's, L's is 0.75 × (-6.02 + 40) dB.
#[test]
fn single_band_stereo_link() {
    let gr_left = 0.75 * (db(0.5) + 40.0);
    for detector in [Detector::Rms, Detector::Peak] {
        for link in [100.0f32, 50.0, 0.0] {
            let s = one_band(detector, -40.0, 4.0, link);
            let (l, r) = steady(&s, sine(1000.0, 0.5, 24_000, FS), sine(3000.0, 0.001, 24_000, FS));
            let got_left = db(tone_amplitude(&l, 1000.0, FS) / 0.5);
            let got_right = db(tone_amplitude(&r, 3000.0, FS) / 0.001);
            assert!((got_left + gr_left).abs() < 0.1, "{detector:?} link {link}: L {got_left}");
            let want_right = -gr_left * link as f64 / 100.0;
            assert!((got_right - want_right).abs() < 0.1, "{detector:?} link {link}: R {got_right} vs {want_right}");
        }
    }
}

/// A 30 Hz tone at -6.02 dB, threshold -40 dB, 4:1. Without the sidechain high-pass the
/// reduction is 0.75 × 33.98 dB; with a 150 Hz 2nd-order Butterworth high-pass the detector
/// sees the tone |H(30 Hz)| lower (|H|² = Ω⁴/(1 + Ω⁴), bilinear Ω), so it is reduced far less.
#[test]
fn single_band_sidechain_high_pass() {
    let w = bilinear_omega(30.0, 150.0, FS as f64);
    let hp_db = db((w.powi(4) / (1.0 + w.powi(4))).sqrt());
    for (on, level_db) in [(false, db(0.5)), (true, db(0.5) + hp_db)] {
        let mut s = one_band(Detector::Peak, -40.0, 4.0, 100.0);
        (s.sidechain_hp, s.sidechain_hp_hz) = (on, 150.0);
        // Long release: the peak detector holds the crest across the 33 ms period.
        s.bands[0].release_ms = 3000.0;
        let x = faded_sine(30.0, 0.5, 48_000);
        let (l, _) = steady(&s, x.clone(), x);
        let got = db(tone_amplitude(&l, 30.0, FS) / 0.5);
        let want = -0.75 * (level_db + 40.0).max(0.0);
        assert!((got - want).abs() < 0.1, "hp {on}: {got} dB vs {want} dB");
    }
}

/// L = m + s, R = m − s with a loud 1 kHz mid (-6.02 dB) and a quiet 3 kHz side (-60 dB),
/// link 0. In M/S mode the mid is compressed by the curve and the side is untouched; in L/R
/// mode both channels are dominated by the mid, so the side is compressed along with it.
#[test]
fn single_band_mid_side() {
    let (m, sd) = (sine(1000.0, 0.5, 24_000, FS), sine(3000.0, 0.001, 24_000, FS));
    let l: Vec<f32> = m.iter().zip(&sd).map(|(m, s)| m + s).collect();
    let r: Vec<f32> = m.iter().zip(&sd).map(|(m, s)| m - s).collect();
    let gr_mid = 0.75 * (db(0.5) + 30.0);
    for mid_side in [true, false] {
        let mut s = one_band(Detector::Rms, -30.0, 4.0, 0.0);
        s.mid_side = mid_side;
        let (yl, yr) = steady(&s, l.clone(), r.clone());
        let mid: Vec<f32> = yl.iter().zip(&yr).map(|(a, b)| 0.5 * (a + b)).collect();
        let side: Vec<f32> = yl.iter().zip(&yr).map(|(a, b)| 0.5 * (a - b)).collect();
        let got_mid = db(tone_amplitude(&mid, 1000.0, FS) / 0.5);
        let got_side = db(tone_amplitude(&side, 3000.0, FS) / 0.001);
        assert!((got_mid + gr_mid).abs() < 0.1, "ms {mid_side}: mid {got_mid}");
        let want_side = if mid_side { 0.0 } else { -gr_mid };
        assert!((got_side - want_side).abs() < 0.1, "ms {mid_side}: side {got_side} vs {want_side}");
    }
}

// ---- Multiband ----

fn multiband(detector: Detector, threshold_db: f32, link_pct: f32) -> CompressorSettings {
    let mut s = engaged();
    (s.multiband, s.detector, s.link_pct) = (true, detector, link_pct);
    for b in &mut s.bands {
        (b.threshold_db, b.ratio, b.knee_db) = (threshold_db, 4.0, 0.0);
    }
    s
}

/// Analytic output (dB re input) at `f` of the default crossover with band reductions
/// `gr_db`: |Σ H_b(f)·10^(−gr_b/20)|.
fn output_db(f: f64, gr_db: [f64; 3]) -> f64 {
    let h = lr4_bands_at(f, 200.0, 2500.0, FS as f64);
    let g = gr_db.map(|g| 10f64.powf(-g / 20.0));
    db((0..3).map(|b| h[b].0 * g[b]).sum::<f64>().hypot((0..3).map(|b| h[b].1 * g[b]).sum::<f64>()))
}

/// Per band: the tone's level in that band, |H_b(f)|, in dB.
fn band_db(f: f64) -> [f64; 3] {
    lr4_bands_at(f, 200.0, 2500.0, FS as f64).map(|h| db(h.0.hypot(h.1)))
}

/// 4:1 reduction above `threshold` for a tone of `level` dB in each band.
fn band_gr(level: f64, f: f64, threshold: f64) -> [f64; 3] {
    band_db(f).map(|b| 0.75 * (level + b - threshold).max(0.0))
}

/// A 1 kHz tone lives in the mid band: that band is reduced per the curve at the tone's
/// level in the band and the meter says so; the other bands see leakage below threshold.
#[test]
fn multiband_compresses_the_band_holding_the_signal() {
    for detector in [Detector::Rms, Detector::Peak] {
        let want_gr = band_gr(db(0.5), 1000.0, -30.0);
        assert!(want_gr[0] == 0.0 && want_gr[2] == 0.0 && want_gr[1] > 17.0);
        let mut c = Compressor::new(FS);
        c.set(&multiband(detector, -30.0, 100.0));
        // Faded in: the crossover's ringing at a sudden onset would push the other bands
        // over the threshold for a moment, and the release would still show it.
        let mut l = faded_sine(1000.0, 0.5, 24_000);
        let mut r = l.clone();
        run(&mut c, &mut l, &mut r);
        let meter = c.gain_reduction_db();
        assert!((meter[1] as f64 - want_gr[1]).abs() < 0.1, "{detector:?} meter {meter:?} vs {want_gr:?}");
        assert!(meter[0] == 0.0 && meter[2] == 0.0, "{detector:?} {meter:?}");
        let got = db(tone_amplitude(&l[14_400..], 1000.0, FS) / 0.5);
        let want = output_db(1000.0, want_gr);
        assert!((got - want).abs() < 0.1, "{detector:?}: {got} vs {want}");
    }
}

/// L: 1 kHz at -6.02 dB; R: a 1.5 kHz probe at -60 dB (both mainly in the mid band). Per band,
/// R's reduction is link × L's.
#[test]
fn multiband_stereo_link() {
    let gr_left = band_gr(db(0.5), 1000.0, -20.0);
    for detector in [Detector::Rms, Detector::Peak] {
        for link in [100.0, 50.0, 0.0] {
            let s = multiband(detector, -20.0, link as f32);
            let (l, r) = steady(&s, sine(1000.0, 0.5, 24_000, FS), sine(1500.0, 0.001, 24_000, FS));
            let got_left = db(tone_amplitude(&l, 1000.0, FS) / 0.5);
            let got_right = db(tone_amplitude(&r, 1500.0, FS) / 0.001);
            let want_left = output_db(1000.0, gr_left);
            let want_right = output_db(1500.0, gr_left.map(|g| g * link / 100.0));
            assert!((got_left - want_left).abs() < 0.1, "{detector:?} {link}: L {got_left} vs {want_left}");
            assert!((got_right - want_right).abs() < 0.1, "{detector:?} {link}: R {got_right} vs {want_right}");
        }
    }
}

/// A 30 Hz tone (low band) with and without a 150 Hz sidechain high-pass, as in the
/// single-band test, with the band split accounted for.
#[test]
fn multiband_sidechain_high_pass() {
    let w = bilinear_omega(30.0, 150.0, FS as f64);
    let hp_db = db((w.powi(4) / (1.0 + w.powi(4))).sqrt());
    for (on, level) in [(false, db(0.5)), (true, db(0.5) + hp_db)] {
        let mut s = multiband(Detector::Peak, -40.0, 100.0);
        (s.sidechain_hp, s.sidechain_hp_hz) = (on, 150.0);
        s.bands.iter_mut().for_each(|b| b.release_ms = 3000.0);
        let x = faded_sine(30.0, 0.5, 48_000);
        let (l, _) = steady(&s, x.clone(), x);
        let got = db(tone_amplitude(&l, 30.0, FS) / 0.5);
        let want = output_db(30.0, band_gr(level, 30.0, -40.0));
        assert!((got - want).abs() < 0.1, "hp {on}: {got} vs {want}");
    }
}

/// Mid 1 kHz at -6.02 dB, side 3 kHz at -60 dB, link 0, M/S: the mid's bands are compressed
/// per the curve, the side passes untouched.
#[test]
fn multiband_mid_side() {
    let (m, sd) = (sine(1000.0, 0.5, 24_000, FS), sine(3000.0, 0.001, 24_000, FS));
    let l: Vec<f32> = m.iter().zip(&sd).map(|(m, s)| m + s).collect();
    let r: Vec<f32> = m.iter().zip(&sd).map(|(m, s)| m - s).collect();
    let mut s = multiband(Detector::Rms, -30.0, 0.0);
    s.mid_side = true;
    let (yl, yr) = steady(&s, l, r);
    let mid: Vec<f32> = yl.iter().zip(&yr).map(|(a, b)| 0.5 * (a + b)).collect();
    let side: Vec<f32> = yl.iter().zip(&yr).map(|(a, b)| 0.5 * (a - b)).collect();
    let got_mid = db(tone_amplitude(&mid, 1000.0, FS) / 0.5);
    let want_mid = output_db(1000.0, band_gr(db(0.5), 1000.0, -30.0));
    assert!((got_mid - want_mid).abs() < 0.1, "mid {got_mid} vs {want_mid}");
    let got_side = db(tone_amplitude(&side, 3000.0, FS) / 0.001);
    assert!(got_side.abs() < 0.1, "side {got_side}");
}

#[test]
fn multiband_solo_outputs_only_soloed_bands() {
    let tones = [50.0, 1000.0, 10_000.0];
    let parts: Vec<Vec<f32>> = tones.iter().map(|&f| sine(f, 0.2, 24_000, FS)).collect();
    let x: Vec<f32> = (0..24_000).map(|n| parts.iter().map(|p| p[n]).sum()).collect();
    for solo in [[true, false, false], [false, true, false], [false, false, true], [true, false, true]] {
        let mut s = engaged();
        s.multiband = true;
        for (b, on) in s.bands.iter_mut().zip(solo) {
            (b.ratio, b.solo) = (1.0, on);
        }
        let (l, _) = steady(&s, x.clone(), x.clone());
        for f in tones {
            let h = lr4_bands_at(f, 200.0, 2500.0, FS as f64);
            let sum = (0..3).filter(|&b| solo[b]).fold((0.0, 0.0), |a, b| (a.0 + h[b].0, a.1 + h[b].1));
            let want = db(sum.0.hypot(sum.1)).max(-90.0);
            let got = db(tone_amplitude(&l, f, FS) / 0.2).max(-90.0);
            assert!((got - want).abs() < 0.1, "solo {solo:?} {f} Hz: {got} vs {want}");
        }
    }
}
