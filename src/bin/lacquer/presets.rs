//! `lacquer presets`: list presets, or manage user presets from the command line.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Subcommand;
use lacquer::params::{LacquerParams, ParamWriter};
use lacquer::presets::{self, user::UserStore};

#[derive(Subcommand)]
pub enum PresetAction {
    /// Print a preset's file (JSON) to stdout.
    Show { slug: String },
    /// Save a user preset: start from defaults (or --from SLUG) and apply --set values.
    Save {
        name: String,
        #[arg(long, value_name = "SLUG")]
        from: Option<String>,
        #[arg(long = "set", value_name = "ID=VALUE")]
        set: Vec<String>,
        /// One line saying what the preset is for.
        #[arg(long, default_value = "")]
        intent: String,
    },
    /// Copy a preset file into the user presets (after checking it).
    Import { file: PathBuf },
    /// Write a preset to FILE.
    Export {
        slug: String,
        file: PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// Rename a user preset.
    Rename { slug: String, new_name: String },
    /// Delete a user preset.
    Delete { slug: String },
}

pub fn run(action: Option<PresetAction>) -> Result<(), String> {
    let Some(action) = action else {
        list();
        return Ok(());
    };
    let store = UserStore::open()?;
    match action {
        PresetAction::Show { slug } => {
            print!("{}", presets::find(&slug)?.to_json());
        }
        PresetAction::Save { name, from, set, intent } => {
            let writer = ParamWriter::new(Arc::new(LacquerParams::default()));
            if let Some(slug) = from {
                presets::apply_direct(writer.params(), &presets::find(&slug)?.resolved());
            }
            for assignment in &set {
                let (id, value) =
                    assignment.split_once('=').ok_or_else(|| format!("--set expects ID=VALUE, got '{assignment}'"))?;
                writer.set(id.trim(), value)?;
            }
            let saved = store.save(&name, "User", &intent, presets::capture(writer.params()))?;
            println!("saved '{}' to {}", saved.slug, path_of(&saved).display());
        }
        PresetAction::Import { file } => {
            let preset = store.import(&file)?;
            println!("imported '{}' to {}", preset.slug, path_of(&preset).display());
        }
        PresetAction::Export { slug, file, force } => {
            if file.exists() && !force {
                return Err(format!("{}: already exists (use --force to overwrite)", file.display()));
            }
            presets::user::export(&presets::find(&slug)?, &file)?;
            println!("exported '{slug}' to {}", file.display());
        }
        PresetAction::Rename { slug, new_name } => {
            let preset = store.rename(&slug, &new_name)?;
            println!("renamed '{slug}' to '{}'", preset.slug);
        }
        PresetAction::Delete { slug } => {
            store.delete(&slug)?;
            println!("deleted '{slug}'");
        }
    }
    Ok(())
}

/// One preset per line: slug, display name, intent (user presets after the factory ones).
/// Unreadable user files are reported on stderr and skipped.
fn list() {
    let (all, errors) = presets::all_presets();
    let width = all.iter().map(|p| p.slug.len()).max().unwrap_or(0);
    let name_width = all.iter().map(|p| p.name.chars().count()).max().unwrap_or(0);
    for p in &all {
        let user = if matches!(p.origin, presets::Origin::User(_)) { " (user)" } else { "" };
        println!("{:<width$}  {:<name_width$}  {}{user}", p.slug, p.name, p.intent);
    }
    for e in errors {
        eprintln!("lacquer: warning: skipped user preset {e}");
    }
}

fn path_of(preset: &presets::Preset) -> &Path {
    match &preset.origin {
        presets::Origin::User(path) => path,
        presets::Origin::Factory => Path::new("(factory)"),
    }
}
