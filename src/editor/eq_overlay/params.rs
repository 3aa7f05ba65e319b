//! The EQ's parameters found by their stable IDs in the editor's generic parameter list, resolved
//! once, and read back into the same [`EqSettings`] snapshot `params/eq.rs` makes.

use super::{BANDS, BAND_COUNT};
use crate::dsp::eq::{ChannelMode, EqBandSettings, EqSettings, HighPassSlope, LowPassSlope};
use crate::editor::controls::{Controls, ParamHandle};
use crate::editor::ParamEdit;

/// Position of a parameter in [`Controls::groups`].
#[derive(Clone, Copy)]
struct ParamSlot(usize, usize);

struct BandSlots {
    on: ParamSlot,
    freq: ParamSlot,
    /// The pass filters' gain is hidden (it does nothing), so it is not in the list.
    gain: Option<ParamSlot>,
    q: ParamSlot,
    mode: ParamSlot,
}

/// The handles of one band's editable parameters.
pub struct BandHandles<'a> {
    pub on: &'a ParamHandle,
    pub freq: &'a ParamHandle,
    pub gain: Option<&'a ParamHandle>,
    pub q: &'a ParamHandle,
}

/// Where every EQ parameter sits in a [`Controls`].
pub struct EqSlots {
    bypass: ParamSlot,
    hp_slope: ParamSlot,
    lp_slope: ParamSlot,
    bands: [BandSlots; BAND_COUNT],
}

fn find(controls: &Controls, id: &str) -> Option<ParamSlot> {
    controls
        .groups
        .iter()
        .enumerate()
        .find_map(|(g, (_, list))| list.iter().position(|p| p.id == id).map(|i| ParamSlot(g, i)))
}

fn get(controls: &Controls, slot: ParamSlot) -> Option<&ParamHandle> {
    controls.groups.get(slot.0)?.1.get(slot.1)
}

fn plain(p: &ParamHandle) -> f32 {
    p.plain()
}

/// The parameter's normalized value for a plain value, clamped to its range and snapped to its
/// steps.
pub fn normalized_for(p: &ParamHandle, plain: f32) -> f32 {
    p.normalized_for(plain)
}

/// A full begin/set/end gesture for one discrete change.
pub fn set_once(edit: &dyn ParamEdit, p: &ParamHandle, normalized: f32) {
    edit.begin_set(p);
    edit.set_normalized(p, normalized);
    edit.end_set(p);
}

impl EqSlots {
    /// `None` unless every EQ parameter is in the list.
    pub fn resolve(c: &Controls) -> Option<Self> {
        let mut bands = Vec::with_capacity(BAND_COUNT);
        for info in &BANDS {
            let id = |suffix: &str| format!("{}_{suffix}", info.prefix);
            bands.push(BandSlots {
                on: find(c, &id("on"))?,
                freq: find(c, &id("freq"))?,
                gain: if info.has_gain { Some(find(c, &id("gain"))?) } else { None },
                q: find(c, &id("q"))?,
                mode: find(c, &id("mode"))?,
            });
        }
        Some(Self {
            bypass: find(c, "eq_bypass")?,
            hp_slope: find(c, "eq_hp_slope")?,
            lp_slope: find(c, "eq_lp_slope")?,
            bands: bands.try_into().ok()?,
        })
    }

    pub fn band<'a>(&self, c: &'a Controls, band: usize) -> Option<BandHandles<'a>> {
        let s = self.bands.get(band)?;
        Some(BandHandles {
            on: get(c, s.on)?,
            freq: get(c, s.freq)?,
            gain: match s.gain {
                Some(g) => Some(get(c, g)?),
                None => None,
            },
            q: get(c, s.q)?,
        })
    }

    /// The settings as the parameters hold them now. Enum plain values are variant indices, in
    /// the declaration order of `params/eq.rs` (`tests/editor.rs` checks this against
    /// `EqParams::settings`).
    pub fn read(&self, c: &Controls) -> Option<EqSettings> {
        let band = |b: &BandSlots| -> Option<EqBandSettings> {
            Some(EqBandSettings {
                enabled: plain(get(c, b.on)?) > 0.5,
                freq_hz: plain(get(c, b.freq)?),
                gain_db: match b.gain {
                    Some(g) => plain(get(c, g)?),
                    None => 0.0,
                },
                q: plain(get(c, b.q)?),
                mode: match plain(get(c, b.mode)?).round() as i32 {
                    1 => ChannelMode::Mid,
                    2 => ChannelMode::Side,
                    _ => ChannelMode::Stereo,
                },
            })
        };
        let b = &self.bands;
        Some(EqSettings {
            bypass: plain(get(c, self.bypass)?) > 0.5,
            high_pass: band(&b[0])?,
            high_pass_slope: match plain(get(c, self.hp_slope)?).round() as i32 {
                0 => HighPassSlope::Db12,
                2 => HighPassSlope::Db48,
                _ => HighPassSlope::Db24,
            },
            low_shelf: band(&b[1])?,
            bells: [band(&b[2])?, band(&b[3])?, band(&b[4])?, band(&b[5])?],
            high_shelf: band(&b[6])?,
            low_pass: band(&b[7])?,
            low_pass_slope: match plain(get(c, self.lp_slope)?).round() as i32 {
                1 => LowPassSlope::Db24,
                _ => LowPassSlope::Db12,
            },
        })
    }
}
