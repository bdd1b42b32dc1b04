//! The shared config and credentials files as read for one resolution: each file on its own,
//! read once, and the lookups that merge them as the SDK does.

use aws_config::profile::ProfileSet;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};

use super::env::Environment;
use super::error::{Location, ProfileError};

/// The shared config files as read, each file on its own (once), so that every key is known to
/// come from one file. Lookups merge them as the SDK does: a key of the credentials file wins
/// over the same key of the config file.
pub(super) struct Files {
    config: ProfileSet,
    credentials: ProfileSet,
    config_name: String,
    credentials_name: String,
    /// What was parsed, to hand to the SDK's providers for the sources it resolves, so they
    /// read the same files (even an [`Environment`]'s in memory) and the files once.
    pub(super) texts: Texts,
}

/// The text of both files, as read. `Debug` shows their lengths only: they hold keys.
#[derive(Clone, Default)]
pub(super) struct Texts {
    pub(super) config: String,
    pub(super) credentials: String,
}

impl std::fmt::Debug for Texts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Texts")
            .field("config_bytes", &self.config.len())
            .field("credentials_bytes", &self.credentials.len())
            .finish()
    }
}

impl Texts {
    /// The files for the SDK: these texts and no file of its own.
    pub(super) fn env_config_files(&self) -> EnvConfigFiles {
        EnvConfigFiles::builder()
            .with_contents(EnvConfigFileKind::Config, self.config.clone())
            .with_contents(EnvConfigFileKind::Credentials, self.credentials.clone())
            .build()
    }
}

/// The path of a shared file as the SDK finds it: the variable, else the default, with a
/// leading `~` for the home directory.
fn file_path(env: &Environment, var: &str, default: &str) -> Option<String> {
    let path = env.var(var).unwrap_or_else(|| default.to_owned());
    let rest = match path.strip_prefix('~') {
        None => return Some(path),
        Some(rest) if rest.is_empty() || rest.starts_with('/') || rest.starts_with('\\') => rest,
        Some(_) => return Some(path),
    };
    let home = env
        .var("HOME")
        .or_else(|| cfg!(windows).then(|| env.var("USERPROFILE")).flatten())?;
    Some(format!("{home}{rest}"))
}

/// A file's text; a file that does not exist is empty, as for the SDK.
async fn read_text(env: &Environment, path: Option<String>) -> Result<String, ProfileError> {
    let Some(path) = path else {
        return Ok(String::new());
    };
    match env.files().read_to_end(&path).await {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(ProfileError::load(e)),
    }
}

impl Files {
    /// Reads both files, selecting `profile` (else `AWS_PROFILE`, else `default`).
    pub(super) async fn load(
        env: &Environment,
        profile: Option<&str>,
    ) -> Result<Self, ProfileError> {
        const CONFIG: (&str, &str) = ("AWS_CONFIG_FILE", "~/.aws/config");
        const CREDENTIALS: (&str, &str) = ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials");
        let texts = Texts {
            config: read_text(env, file_path(env, CONFIG.0, CONFIG.1)).await?,
            credentials: read_text(env, file_path(env, CREDENTIALS.0, CREDENTIALS.1)).await?,
        };
        let load = |kind: EnvConfigFileKind, text: &str| {
            let files = EnvConfigFiles::builder()
                .with_contents(kind, text.to_owned())
                .build();
            async move {
                aws_config::profile::load(
                    env.files(),
                    env.vars(),
                    &files,
                    profile.map(|p| p.to_owned().into()),
                )
                .await
                .map_err(ProfileError::load)
            }
        };
        let config = load(EnvConfigFileKind::Config, &texts.config).await?;
        let credentials = load(EnvConfigFileKind::Credentials, &texts.credentials).await?;
        let name =
            |(var, default): (&str, &str)| env.var(var).unwrap_or_else(|| default.to_owned());
        Ok(Self {
            config,
            credentials,
            config_name: name(CONFIG),
            credentials_name: name(CREDENTIALS),
            texts,
        })
    }

    pub(super) fn selected(&self) -> &str {
        self.config.selected_profile()
    }

    /// The selected profile: the one asked for, else `AWS_PROFILE`, else `default`.
    pub(super) fn selected_name(&self) -> &str {
        self.selected()
    }

    pub(super) fn has(set: &ProfileSet, profile: &str, key: Option<&str>) -> bool {
        set.get_profile(profile)
            .is_some_and(|p| key.is_none_or(|k| p.get(k).is_some()))
    }

    pub(super) fn exists(&self, profile: &str) -> bool {
        Self::has(&self.config, profile, None) || Self::has(&self.credentials, profile, None)
    }

    /// `key` of `profile`, from the credentials file if it is there, else the config file.
    pub(super) fn get(&self, profile: &str, key: &str) -> Option<&str> {
        let of = |set: &ProfileSet| Self::has(set, profile, Some(key));
        if of(&self.credentials) {
            self.credentials.get_profile(profile)?.get(key)
        } else {
            self.config.get_profile(profile)?.get(key)
        }
    }

    /// Where `key` of `profile` is (or, for a key it lacks, where the profile is).
    pub(super) fn locate(&self, profile: &str, key: Option<&'static str>) -> Location {
        let file = if key.is_some() && Self::has(&self.credentials, profile, key) {
            &self.credentials_name
        } else if Self::has(&self.config, profile, key) || Self::has(&self.config, profile, None) {
            &self.config_name
        } else {
            &self.credentials_name
        };
        Location::new(file, profile, key)
    }

    /// Both files, for a profile that is in neither.
    pub(super) fn both(&self) -> String {
        format!("{} or {}", self.config_name, self.credentials_name)
    }

    pub(super) fn profile<'a>(&'a self, name: &'a str) -> Option<View<'a>> {
        self.exists(name).then_some(View { files: self, name })
    }
}

/// One profile as the merged files define it.
#[derive(Clone, Copy)]
pub(super) struct View<'a> {
    pub(super) files: &'a Files,
    pub(super) name: &'a str,
}

impl<'a> View<'a> {
    pub(super) fn get(&self, key: &str) -> Option<&'a str> {
        self.files.get(self.name, key)
    }

    pub(super) fn at(&self, key: impl Into<Option<&'static str>>) -> Location {
        self.files.locate(self.name, key.into())
    }
}
