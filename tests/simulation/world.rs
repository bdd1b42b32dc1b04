//! The providers of a schedule, built from its plan: plain roles, chains, MFA sessions with
//! roles over them, roles with their own MFA, and profiles with a file cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_sts::config::retry::RetryConfig;
use aws_types::SdkConfig;
use sts_assume_role::cache::{CacheError, CachedCredentials, CredentialCache, FileCache};
use sts_assume_role::mfa::{MfaDevices, TokenSource, Totp};
use sts_assume_role::profile::{Environment, from_profile};
use sts_assume_role::test_util::MockSts;
use sts_assume_role::{
    AssumeRoleProvider, AssumeRoleRequest, HealOnRejection, MfaSession, ScheduledRefresh, Status,
};

use crate::check::Violations;
use crate::clock::Clocks;
use crate::net::{Net, Subjects, instance_key};
use crate::person::{Person, Persona};
use crate::plan::{Group, Plan, PolicySpec, RoleSpec, Source, Traffic};

const ACCOUNT: &str = "123456789012";

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

fn serial(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:mfa/{name}")
}

/// A provider the harness loads, of either kind.
#[derive(Clone, Debug)]
pub enum Prov {
    Role(AssumeRoleProvider),
    Session(MfaSession),
}

impl Prov {
    pub fn status(&self) -> Status {
        match self {
            Prov::Role(p) => p.status(),
            Prov::Session(s) => s.status(),
        }
    }

    pub fn shared(&self) -> SharedCredentialsProvider {
        match self {
            Prov::Role(p) => SharedCredentialsProvider::new(p.clone()),
            Prov::Session(s) => SharedCredentialsProvider::new(s.clone()),
        }
    }

    pub fn invalidate(&self) {
        match self {
            Prov::Role(p) => p.invalidate(),
            Prov::Session(s) => s.invalidate(),
        }
    }

    pub fn heal(&self) -> HealOnRejection {
        match self {
            Prov::Role(p) => p.heal_on_rejection(),
            Prov::Session(s) => s.heal_on_rejection(),
        }
    }

    /// What an SDK whose load timeout cut a refresh short would be served.
    pub fn fallback(&self) -> Option<aws_credential_types::Credentials> {
        match self {
            Prov::Role(p) => p.fallback_on_interrupt(),
            Prov::Session(s) => s.fallback_on_interrupt(),
        }
    }
}

/// A provider, and what the harness knows of it.
pub struct Node {
    pub name: String,
    /// `role:<arn>` or `session:<serial>`: how its STS calls are recognised.
    pub key: String,
    pub prov: Prov,
    /// Whether a refresh of it may ask a person, and who.
    pub asks: Asks,
    /// It refreshes on a timer.
    pub timed: bool,
    pub scheduled: ScheduledRefresh,
    pub traffic: Traffic,
    /// For a profile: its index in `World::profiles`, to rebuild it.
    pub profile: Option<usize>,
}

/// Whether a provider's refresh may ask a person for an MFA code.
#[derive(Clone, Debug)]
pub enum Asks {
    Nobody,
    /// Its own MFA source asks a person: callers never wait while its credentials are valid.
    Itself,
    /// Its source (an MFA session) asks a person: callers never wait on that person while
    /// its credentials are valid. Counts the loads of the source that waited on the person.
    ThroughSource(Arc<AtomicUsize>),
}

impl Asks {
    fn own(person: Option<Person>) -> Self {
        person.map_or(Asks::Nobody, |_| Asks::Itself)
    }
}

/// A source that counts its loads that waited while its person answered a question.
#[derive(Debug)]
struct WatchedSource {
    inner: SharedCredentialsProvider,
    person: Person,
    waited: Arc<AtomicUsize>,
}

impl ProvideCredentials for WatchedSource {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            let ended = self.person.ended();
            let result = self.inner.provide_credentials().await;
            if self.person.ended() > ended {
                self.waited.fetch_add(1, Ordering::SeqCst);
            }
            result
        })
    }
}

/// What a profile is rebuilt from.
pub struct ProfileSpec {
    /// The top role's key, as the process of tag 0 would call it.
    key: String,
    config: String,
    credentials: String,
    top: RoleSpec,
    mfa: Option<(Arc<dyn TokenSource>, Option<Duration>)>,
    cache_dir: std::path::PathBuf,
}

/// The file cache, counting its operations (a measure of progress for the harness).
#[derive(Debug)]
pub struct Disk {
    inner: FileCache,
    progress: Arc<AtomicU64>,
}

impl CredentialCache for Disk {
    fn load(&self, key: &str) -> Result<Option<CachedCredentials>, CacheError> {
        let r = self.inner.load(key);
        self.progress.fetch_add(1, Ordering::SeqCst);
        r
    }

    fn store(&self, key: &str, entry: &CachedCredentials) -> Result<(), CacheError> {
        let r = self.inner.store(key, entry);
        self.progress.fetch_add(1, Ordering::SeqCst);
        r
    }
}

pub struct World {
    pub plan: Plan,
    pub clocks: Clocks,
    pub mock: Arc<MockSts>,
    pub net: Net,
    pub config: SdkConfig,
    pub devices: MfaDevices,
    pub nodes: Vec<Node>,
    pub persons: Vec<Person>,
    pub subjects: Subjects,
    pub violations: Violations,
    /// The policy of every provider the harness can see, by key.
    pub policies: HashMap<String, PolicySpec>,
    pub progress: Arc<AtomicU64>,
    pub profiles: Vec<ProfileSpec>,
    /// The tag of the next process started (a profile built or rebuilt).
    next_tag: u64,
    /// Keep the cache directory until the schedule ends.
    _dir: tempfile::TempDir,
}

impl World {
    pub async fn new(plan: Plan) -> Self {
        let clocks = Clocks::new(plan.start, plan.skew_ns, plan.late.0, plan.late.1);
        let mock = Arc::new(
            MockSts::builder()
                .time_source(clocks.sts.clone())
                .totp_secret_base32(&plan.totp_secret)
                .date_header(plan.date_header)
                .start()
                .await,
        );
        let violations = Violations::default();
        let subjects: Subjects = Arc::new(Mutex::new(HashMap::new()));
        let net = Net::new(
            Arc::clone(&mock),
            clocks.clone(),
            plan.net.clone(),
            plan.seed ^ 0x6e65_7477_6f72_6b00,
            Arc::clone(&subjects),
            violations.clone(),
        );
        let retry = if plan.sdk_retries {
            RetryConfig::standard().with_max_attempts(3)
        } else {
            RetryConfig::disabled()
        };
        let config = mock
            .sdk_config_builder()
            .http_client(net.clone())
            .retry_config(retry)
            .timeout_config(TimeoutConfig::disabled())
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
            .time_source(clocks.local())
            .build();
        let progress = Arc::new(AtomicU64::new(0));
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut world = World {
            plan: plan.clone(),
            clocks,
            mock,
            net,
            config,
            devices: MfaDevices::new(),
            nodes: Vec::new(),
            persons: Vec::new(),
            subjects,
            violations,
            policies: HashMap::new(),
            progress,
            profiles: Vec::new(),
            next_tag: 1,
            _dir: dir,
        };
        for (i, group) in plan.groups.iter().enumerate() {
            world.build_group(i, group).await;
        }
        world
    }

    /// A token source for a device, and the person behind it if it is interactive (nobody
    /// there is a person who cancels every question at once).
    fn token_source(
        &mut self,
        source: &Source,
        serial: &str,
        seed: u64,
    ) -> (Arc<dyn TokenSource>, Option<Person>) {
        let nobody = Persona {
            latency: (Duration::ZERO, Duration::ZERO),
            wrong: 0.0,
            reuse: 0.0,
            cancel: 1.0,
            never: 0.0,
        };
        match source {
            Source::Person(_) | Source::Absent => {
                let persona = match source {
                    Source::Person(persona) => persona.clone(),
                    _ => nobody,
                };
                let person = Person::new(
                    serial.to_owned(),
                    self.clocks.clone(),
                    &self.plan.totp_secret,
                    persona,
                    seed,
                    Arc::clone(&self.subjects),
                    self.violations.clone(),
                    Arc::clone(&self.progress),
                );
                self.persons.push(person.clone());
                (Arc::new(person.clone()), Some(person))
            }
            Source::Totp => (
                Arc::new(
                    Totp::from_base32(&self.plan.totp_secret)
                        .expect("a valid TOTP secret")
                        .time_source(self.clocks.local()),
                ),
                None,
            ),
        }
    }

    fn request(&self, arn: &str, spec: &RoleSpec, mfa: Option<&str>) -> AssumeRoleRequest {
        let builder = AssumeRoleRequest::builder(arn, "sim")
            .duration(Duration::from_secs(u64::from(spec.duration_secs)));
        match mfa {
            Some(serial) => builder.serial_number(serial),
            None => builder,
        }
        .build()
        .expect("a valid request")
    }

    fn role(
        &self,
        arn: &str,
        spec: &RoleSpec,
        source: Option<SharedCredentialsProvider>,
        mfa: Option<(&str, Arc<dyn TokenSource>)>,
    ) -> AssumeRoleProvider {
        let mut builder = AssumeRoleProvider::builder(
            self.request(arn, spec, mfa.as_ref().map(|(s, _)| *s)),
            &self.config,
        )
        .time_source(self.clocks.local())
        .sleep_impl(self.clocks.sleep())
        .refresh_policy(spec.policy.policy())
        .jitter_seed(spec.jitter_seed)
        .mfa_devices(self.devices.clone())
        .mfa_prompt_timeout(self.plan.prompt_timeout)
        .mfa_attempts(self.plan.mfa_attempts);
        if let Some(source) = source {
            builder = builder.source_credentials(source);
        }
        if let Some((_, mfa)) = mfa {
            builder = builder.mfa(mfa);
        }
        builder.build().expect("a valid provider")
    }

    fn add(
        &mut self,
        name: String,
        key: String,
        prov: Prov,
        spec: &RoleSpec,
        asks: Asks,
        profile: Option<usize>,
    ) {
        let own_prompt = matches!(asks, Asks::Itself);
        let timed = match spec.policy.scheduled {
            ScheduledRefresh::Always => true,
            ScheduledRefresh::Off => false,
            _ => !own_prompt,
        };
        let status = prov.clone();
        self.subjects
            .lock()
            .unwrap()
            .insert(key.clone(), Arc::new(move || status.status()));
        self.policies.insert(key.clone(), spec.policy.clone());
        self.nodes.push(Node {
            name,
            key,
            prov,
            asks,
            timed,
            scheduled: spec.policy.scheduled,
            traffic: spec.traffic.clone(),
            profile,
        });
    }

    async fn build_group(&mut self, i: usize, group: &Group) {
        let seed = self.plan.seed;
        match group {
            Group::Plain(spec) => {
                let arn = role_arn(&format!("g{i}-plain"));
                let p = self.role(&arn, spec, None, None);
                self.add(
                    format!("g{i} plain role"),
                    format!("role:{arn}"),
                    Prov::Role(p),
                    spec,
                    Asks::Nobody,
                    None,
                );
            }
            Group::Chain { source, top } => {
                let a = role_arn(&format!("g{i}-chain-source"));
                let b = role_arn(&format!("g{i}-chain-top"));
                let pa = self.role(&a, source, None, None);
                let pb = self.role(
                    &b,
                    top,
                    Some(SharedCredentialsProvider::new(pa.clone())),
                    None,
                );
                self.add(
                    format!("g{i} chain source"),
                    format!("role:{a}"),
                    Prov::Role(pa),
                    source,
                    Asks::Nobody,
                    None,
                );
                self.add(
                    format!("g{i} chain top"),
                    format!("role:{b}"),
                    Prov::Role(pb),
                    top,
                    Asks::Nobody,
                    None,
                );
            }
            Group::Session {
                source,
                duration,
                max_mfa_age,
                session,
                roles,
            } => {
                let serial = serial(&format!("g{i}-session"));
                let (tokens, person) = self.token_source(source, &serial, seed ^ (i as u64) << 8);
                let mut builder =
                    MfaSession::builder(serial.as_str(), Arc::clone(&tokens), &self.config)
                        .duration(*duration)
                        .time_source(self.clocks.local())
                        .sleep_impl(self.clocks.sleep())
                        .refresh_policy(session.policy.policy())
                        .jitter_seed(session.jitter_seed)
                        .mfa_devices(self.devices.clone())
                        .mfa_prompt_timeout(self.plan.prompt_timeout)
                        .mfa_attempts(self.plan.mfa_attempts);
                if let Some(age) = max_mfa_age {
                    builder = builder.max_mfa_age(*age);
                }
                let s = builder.build().expect("a valid session");
                self.add(
                    format!("g{i} MFA session ({})", source.name()),
                    format!("session:{serial}"),
                    Prov::Session(s.clone()),
                    session,
                    Asks::own(person.clone()),
                    None,
                );
                for (j, spec) in roles.iter().enumerate() {
                    let arn = role_arn(&format!("g{i}-over-session-{j}"));
                    self.mock.require_mfa(&arn);
                    let (source, asks) = match &person {
                        Some(person) => {
                            let waited = Arc::new(AtomicUsize::new(0));
                            let source = SharedCredentialsProvider::new(WatchedSource {
                                inner: SharedCredentialsProvider::new(s.clone()),
                                person: person.clone(),
                                waited: Arc::clone(&waited),
                            });
                            (source, Asks::ThroughSource(waited))
                        }
                        None => (SharedCredentialsProvider::new(s.clone()), Asks::Nobody),
                    };
                    let p = self.role(&arn, spec, Some(source), None);
                    self.add(
                        format!("g{i} role {j} over the session"),
                        format!("role:{arn}"),
                        Prov::Role(p),
                        spec,
                        asks,
                        None,
                    );
                }
            }
            Group::DirectMfa { source, role } => {
                let serial = serial(&format!("g{i}-direct"));
                let arn = role_arn(&format!("g{i}-direct-mfa"));
                self.mock.require_mfa(&arn);
                let (tokens, person) = self.token_source(source, &serial, seed ^ (i as u64) << 8);
                let p = self.role(&arn, role, None, Some((serial.as_str(), tokens)));
                self.add(
                    format!("g{i} role with its own MFA ({})", source.name()),
                    format!("role:{arn}"),
                    Prov::Role(p),
                    role,
                    Asks::own(person),
                    None,
                );
            }
            Group::Profile { middle, mfa, top } => {
                let top_arn = role_arn(&format!("g{i}-profile-top"));
                let mut config = format!(
                    "[profile top]\nrole_arn = {top_arn}\nrole_session_name = sim\nduration_seconds = {}\n",
                    top.duration_secs
                );
                let mut token_source = None;
                match middle {
                    Some(m) => {
                        let mid_arn = role_arn(&format!("g{i}-profile-middle"));
                        config.push_str(&format!(
                            "source_profile = middle\n[profile middle]\nrole_arn = {mid_arn}\nrole_session_name = sim\nduration_seconds = {}\nsource_profile = base\n",
                            m.duration_secs
                        ));
                        if let Some((source, session)) = mfa {
                            let serial = serial(&format!("g{i}-profile"));
                            config.push_str(&format!("mfa_serial = {serial}\n"));
                            self.mock.require_mfa(&mid_arn);
                            let (tokens, _) =
                                self.token_source(source, &serial, seed ^ (i as u64) << 8);
                            token_source = Some((tokens, *session));
                        }
                    }
                    None => config.push_str("source_profile = base\n"),
                }
                let keys = self.mock.source_credentials();
                let credentials = format!(
                    "[base]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                    keys.access_key_id(),
                    keys.secret_access_key()
                );
                let spec = ProfileSpec {
                    key: format!("role:{top_arn}"),
                    config,
                    credentials,
                    top: top.clone(),
                    mfa: token_source,
                    cache_dir: self._dir.path().join(format!("g{i}")),
                };
                let tag = self.next_tag;
                self.next_tag += 1;
                let p = self.build_profile(&spec, tag).await;
                self.profiles.push(spec);
                let index = self.profiles.len() - 1;
                self.add(
                    format!("g{i} profile"),
                    instance_key(tag, &format!("role:{top_arn}")),
                    Prov::Role(p),
                    top,
                    // Its chain is the crate's: the middle role's waits cannot be watched.
                    Asks::Nobody,
                    Some(index),
                );
            }
        }
    }

    /// Builds a profile's chain, as a process starting would.
    pub async fn build_profile(&self, spec: &ProfileSpec, tag: u64) -> AssumeRoleProvider {
        // A process of its own: its calls are told apart from an earlier process's.
        let config = self
            .config
            .to_builder()
            .http_client(self.net.tagged(tag))
            .build();
        let environment = Environment::from_vars([("HOME", "/home/sim")]).with_files([
            ("/home/sim/.aws/config", spec.config.clone()),
            ("/home/sim/.aws/credentials", spec.credentials.clone()),
        ]);
        let mut builder = from_profile("top")
            .environment(environment)
            .sdk_config(&config)
            .time_source(self.clocks.local())
            .sleep_impl(self.clocks.sleep())
            .refresh_policy(spec.top.policy.policy())
            .jitter_seed(spec.top.jitter_seed)
            .mfa_devices(self.devices.clone())
            .mfa_prompt_timeout(self.plan.prompt_timeout)
            .mfa_attempts(self.plan.mfa_attempts)
            .cache(Disk {
                inner: FileCache::new(&spec.cache_dir),
                progress: Arc::clone(&self.progress),
            });
        if let Some((tokens, session)) = &spec.mfa {
            builder = builder.mfa(Arc::clone(tokens));
            if let Some(duration) = session {
                builder = builder.mfa_session(*duration);
            }
        }
        builder.build().await.expect("a valid profile")
    }

    /// Rebuilds node `n`'s profile: the old process is gone, a new one starts with the same
    /// files and cache.
    pub async fn restart(&mut self, n: usize) {
        let Some(index) = self.nodes[n].profile else {
            return;
        };
        let tag = self.next_tag;
        self.next_tag += 1;
        let fresh = self.build_profile(&self.profiles[index], tag).await;
        let prov = Prov::Role(fresh);
        let status = prov.clone();
        let key = instance_key(tag, &self.profiles[index].key);
        self.subjects
            .lock()
            .unwrap()
            .insert(key.clone(), Arc::new(move || status.status()));
        self.policies
            .insert(key.clone(), self.profiles[index].top.policy.clone());
        self.nodes[n].prov = prov;
        self.nodes[n].key = key;
    }

    /// Every secret a log line must not hold: the keys the mock issued and its users' keys,
    /// and the TOTP seed.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = vec![self.plan.totp_secret.clone()];
        let keys = self.mock.source_credentials();
        secrets.push(keys.secret_access_key().to_owned());
        for issued in self.mock.issued() {
            let c = issued.credentials();
            secrets.push(c.secret_access_key().to_owned());
            if let Some(token) = c.session_token() {
                secrets.push(token.to_owned());
            }
        }
        secrets
    }

    /// Every MFA code the sources gave or the providers sent.
    pub fn codes(&self) -> Vec<String> {
        let mut codes: Vec<String> = self.persons.iter().flat_map(|p| p.codes_given()).collect();
        codes.extend(
            self.net
                .shared
                .calls()
                .into_iter()
                .filter_map(|c| c.code.map(|(_, code)| code)),
        );
        codes.sort();
        codes.dedup();
        codes
    }

    /// Now on STS's clock.
    pub fn sts_now(&self) -> SystemTime {
        self.clocks.sts_now()
    }
}
