//! Parameter IDs are part of every saved session and automation lane: they must be unique and
//! never change. This list pins them; adding a parameter means appending here, and a rename or
//! removal fails this test on purpose.

use lacquer::params::LacquerParams;
use nice_plug::prelude::Params;

const PINNED_IDS: &[&str] = &[
    "bypass",
    "in_gain",
    "eq_bypass",
    "eq_hp_on",
    "eq_hp_freq",
    "eq_hp_gain",
    "eq_hp_q",
    "eq_hp_mode",
    "eq_hp_slope",
    "eq_ls_on",
    "eq_ls_freq",
    "eq_ls_gain",
    "eq_ls_q",
    "eq_ls_mode",
    "eq1_on",
    "eq1_freq",
    "eq1_gain",
    "eq1_q",
    "eq1_mode",
    "eq2_on",
    "eq2_freq",
    "eq2_gain",
    "eq2_q",
    "eq2_mode",
    "eq3_on",
    "eq3_freq",
    "eq3_gain",
    "eq3_q",
    "eq3_mode",
    "eq4_on",
    "eq4_freq",
    "eq4_gain",
    "eq4_q",
    "eq4_mode",
    "eq_hs_on",
    "eq_hs_freq",
    "eq_hs_gain",
    "eq_hs_q",
    "eq_hs_mode",
    "eq_lp_on",
    "eq_lp_freq",
    "eq_lp_gain",
    "eq_lp_q",
    "eq_lp_mode",
    "eq_lp_slope",
    "cmp_bypass",
    "cmp_multiband",
    "cmp_xover_lo",
    "cmp_xover_hi",
    "cmp_detector",
    "cmp_link",
    "cmp_sc_hp",
    "cmp_sc_hp_freq",
    "cmp_ms",
    "cmp1_thresh",
    "cmp1_ratio",
    "cmp1_knee",
    "cmp1_attack",
    "cmp1_release",
    "cmp1_makeup",
    "cmp1_bypass",
    "cmp1_solo",
    "cmp2_thresh",
    "cmp2_ratio",
    "cmp2_knee",
    "cmp2_attack",
    "cmp2_release",
    "cmp2_makeup",
    "cmp2_bypass",
    "cmp2_solo",
    "cmp3_thresh",
    "cmp3_ratio",
    "cmp3_knee",
    "cmp3_attack",
    "cmp3_release",
    "cmp3_makeup",
    "cmp3_bypass",
    "cmp3_solo",
    "st_bypass",
    "st_width",
    "st_mono_bass",
    "st_mono_freq",
    "st_balance",
    "sat_bypass",
    "sat_drive",
    "sat_character",
    "sat_tone",
    "sat_mix",
    "sat_auto_gain",
    "sat_trim",
    "sat_os",
    "lim_bypass",
    "lim_ceiling",
    "lim_drive",
    "lim_lookahead",
    "lim_release",
    "lim_auto_rel",
    "lim_link",
    "lim_tp",
    "lim_os",
    "lim_style",
    "out_gain",
    "out_bits",
    "out_shape",
    "delta",
    "meter_auto_reset",
];

#[test]
fn parameter_ids_are_unique_and_pinned() {
    let params = LacquerParams::default();
    let ids: Vec<String> = params.param_map().into_iter().map(|(id, _, _)| id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "duplicate parameter IDs");
    assert_eq!(ids, PINNED_IDS, "parameter IDs changed: IDs are stable, never rename or remove one");
}

#[test]
fn ids_are_short_and_host_safe() {
    for id in PINNED_IDS {
        assert!(id.len() <= 20 && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{id}");
    }
}
