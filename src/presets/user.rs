//! User presets: one JSON file per preset (`<slug>.json`) in `<config dir>/lacquer/presets`
//! (the `dirs` crate's config directory: `~/.config` on Linux, `~/Library/Application Support` on
//! macOS, `%APPDATA%` on Windows). `LACQUER_PRESET_DIR` overrides the location (tests, portable
//! setups). Every write goes to a temporary file in the same directory and is renamed into place,
//! so a crash never leaves a half-written preset.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{factory, slugify, Origin, Preset, PresetValues};

/// Environment variable that overrides the user preset directory.
pub const DIR_ENV: &str = "LACQUER_PRESET_DIR";

pub struct UserStore {
    dir: PathBuf,
}

impl UserStore {
    /// The store at the platform location (or `LACQUER_PRESET_DIR`). The directory is created on
    /// the first save, not here.
    pub fn open() -> Result<UserStore, String> {
        if let Some(dir) = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(UserStore { dir: PathBuf::from(dir) });
        }
        let base = dirs::config_dir()
            .ok_or_else(|| format!("no config directory on this system; set {DIR_ENV} to a folder for user presets"))?;
        Ok(UserStore { dir: base.join("lacquer").join("presets") })
    }

    pub fn at(dir: impl Into<PathBuf>) -> UserStore {
        UserStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every readable user preset (unsorted), plus one message per file that could not be read.
    pub fn list(&self) -> (Vec<Preset>, Vec<String>) {
        let mut presets = Vec::new();
        let mut errors = Vec::new();
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return (presets, errors);
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for path in paths {
            match load_file(&path) {
                Ok(p) => presets.push(p),
                Err(e) => errors.push(e),
            }
        }
        (presets, errors)
    }

    /// Saves the values under `name`, replacing a user preset of the same name. Names of factory
    /// presets are refused so a slug always means one preset.
    pub fn save(&self, name: &str, category: &str, intent: &str, values: PresetValues) -> Result<Preset, String> {
        let slug = slugify(name)?;
        check_not_factory(&slug)?;
        let path = self.path_for(&slug);
        let preset = Preset {
            slug,
            name: name.trim().to_string(),
            category: if category.trim().is_empty() { "User".to_string() } else { category.trim().to_string() },
            intent: intent.trim().to_string(),
            target_lufs: None,
            values,
            origin: Origin::User(path.clone()),
        };
        // Validate exactly as a load would, so what is saved always loads again.
        let checked = Preset::parse(&preset.to_json(), preset.origin.clone())?;
        self.write(&path, &checked.to_json())?;
        Ok(checked)
    }

    /// Renames a user preset (its file follows the new slug).
    pub fn rename(&self, slug: &str, new_name: &str) -> Result<Preset, String> {
        let old_path = self.path_for(slug);
        let mut preset = load_file(&old_path)?;
        let new_slug = slugify(new_name)?;
        check_not_factory(&new_slug)?;
        let new_path = self.path_for(&new_slug);
        if new_slug != slug && new_path.exists() {
            return Err(format!("a user preset called '{new_slug}' already exists; delete or rename it first"));
        }
        preset.name = new_name.trim().to_string();
        preset.slug = new_slug;
        preset.origin = Origin::User(new_path.clone());
        let checked = Preset::parse(&preset.to_json(), preset.origin.clone())?;
        self.write(&new_path, &checked.to_json())?;
        if new_path != old_path {
            fs::remove_file(&old_path)
                .map_err(|e| format!("renamed, but could not remove the old file {}: {e}", old_path.display()))?;
        }
        Ok(checked)
    }

    pub fn delete(&self, slug: &str) -> Result<(), String> {
        let path = self.path_for(slug);
        if !path.exists() {
            return Err(format!("no user preset called '{slug}'"));
        }
        fs::remove_file(&path).map_err(|e| format!("could not delete {}: {e}", path.display()))
    }

    /// Copies a preset file from anywhere into the store after validating it; refuses to replace
    /// an existing user preset of the same name.
    pub fn import(&self, file: &Path) -> Result<Preset, String> {
        let preset = load_file(file)?;
        check_not_factory(&preset.slug)?;
        let path = self.path_for(&preset.slug);
        if path.exists() {
            return Err(format!("a user preset called '{}' already exists; delete or rename it first", preset.slug));
        }
        let preset = Preset { origin: Origin::User(path.clone()), ..preset };
        self.write(&path, &preset.to_json())?;
        Ok(preset)
    }

    fn path_for(&self, slug: &str) -> PathBuf {
        self.dir.join(format!("{slug}.json"))
    }

    fn write(&self, path: &Path, text: &str) -> Result<(), String> {
        fs::create_dir_all(&self.dir)
            .map_err(|e| format!("could not create the preset folder {}: {e}", self.dir.display()))?;
        write_atomically(path, text)
    }
}

/// Writes any preset to `path` (the export). Replaces an existing file only through a rename,
/// so the old file stays intact if anything fails.
pub fn export(preset: &Preset, path: &Path) -> Result<(), String> {
    write_atomically(path, &preset.to_json())
}

fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp =
        tempfile::NamedTempFile::new_in(&dir).map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    tmp.write_all(text.as_bytes()).map_err(|e| format!("could not write {}: {e}", path.display()))?;
    tmp.persist(path).map_err(|e| format!("could not write {}: {}", path.display(), e.error))?;
    Ok(())
}

/// Reads and validates one preset file.
pub fn load_file(path: &Path) -> Result<Preset, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read preset {}: {e}", path.display()))?;
    Preset::parse(&text, Origin::User(path.to_path_buf())).map_err(|e| format!("{}: {e}", path.display()))
}

fn check_not_factory(slug: &str) -> Result<(), String> {
    if factory::presets().iter().any(|p| p.slug == slug) {
        return Err(format!("'{slug}' is a factory preset's name; choose another name"));
    }
    Ok(())
}
