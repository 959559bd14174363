//! Docker fixtures for tests: everything a test creates carries its run label and is removed by
//! that label when the [`TestRun`] is dropped, whether the test passed or panicked.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail};
use bollard::Docker;
use bollard::query_parameters::{
    BuildImageOptions, ListContainersOptions, ListNetworksOptions, ListVolumesOptions,
    RemoveContainerOptions, RemoveVolumeOptions,
};
use futures::StreamExt;
use sha2::{Digest, Sha256};

/// Label every test object carries; its value is the run id.
pub const RUN_LABEL: &str = "dev.orbitr.test-run";
/// Where Debian's busybox-static puts the binary.
pub const BUSYBOX: &str = "/bin/busybox";
/// Repository of the fixture image; its tag is a content hash.
pub const FIXTURE_REPO: &str = "orbitr-fixture";

const FIXTURE_DOCKERFILE: &str = "FROM scratch\n\
COPY busybox /bin/busybox\n\
RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
STOPSIGNAL SIGKILL\n\
CMD [\"sleep\", \"86400\"]\n";

/// One test's claim on the Docker engine.
pub struct TestRun {
    id: String,
    docker: Docker,
    /// More label filters whose objects this run removes (objects made through Orbitr's API,
    /// which labels them with their workspace only).
    also: Vec<String>,
}

impl TestRun {
    /// Connects to the engine (`DOCKER_HOST` or the default socket) and makes a fresh run id.
    pub fn new() -> anyhow::Result<Self> {
        let docker = Docker::connect_with_defaults().context("connecting to the Docker engine")?;
        let id = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        Ok(Self {
            id,
            docker,
            also: Vec::new(),
        })
    }

    /// The run id (the value of [`RUN_LABEL`]).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The engine client.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Labels to put on every object the test creates.
    pub fn labels(&self) -> HashMap<String, String> {
        HashMap::from([(RUN_LABEL.to_owned(), self.id.clone())])
    }

    /// `RUN_LABEL=id`, for label filters.
    pub fn label_filter(&self) -> String {
        format!("{RUN_LABEL}={}", self.id)
    }

    /// Removes the objects matching `label_filter` (`key=value`) too when the run ends; for
    /// objects a test has Orbitr create, such as a workspace's volumes.
    pub fn also_remove(&mut self, label_filter: impl Into<String>) {
        self.also.push(label_filter.into());
    }

    /// A name unique to this run, e.g. for containers.
    pub fn name(&self, what: &str) -> String {
        format!("orbitr-{}-{what}", self.id)
    }

    /// Builds (once per content) and returns the fixture image tag.
    pub async fn fixture_image(&self) -> anyhow::Result<String> {
        fixture_image(&self.docker).await
    }

    /// Creates (does not start) a container of the fixture image named [`Self::name`]`(name)`
    /// with the image's own command, this run's label and `labels`; its id.
    pub async fn create_fixture(
        &self,
        name: &str,
        labels: HashMap<String, String>,
    ) -> anyhow::Result<String> {
        self.create(
            name,
            labels,
            bollard::models::ContainerCreateBody::default(),
        )
        .await
    }

    /// Creates and starts a container of the fixture image named [`Self::name`]`(name)` running
    /// `script` with `sh -c`, with this run's label and `labels`; its id. Its log is kept whole
    /// up to 256 MB: an engine configured to rotate logs small (`max-size`) loses and repeats
    /// lines for its followers across a rotation (Docker 20.10's json-file reader).
    pub async fn start_script(
        &self,
        name: &str,
        script: &str,
        labels: HashMap<String, String>,
    ) -> anyhow::Result<String> {
        let body = bollard::models::ContainerCreateBody {
            cmd: Some(vec!["sh".into(), "-c".into(), script.into()]),
            host_config: Some(bollard::models::HostConfig {
                log_config: Some(bollard::models::HostConfigLogConfig {
                    typ: Some("json-file".into()),
                    config: Some(HashMap::from([
                        ("max-size".to_owned(), "256m".to_owned()),
                        ("max-file".to_owned(), "1".to_owned()),
                    ])),
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let id = self.create(name, labels, body).await?;
        self.docker
            .start_container(&id, None)
            .await
            .with_context(|| format!("starting {name}"))?;
        Ok(id)
    }

    /// Creates `body` as a container of the fixture image named [`Self::name`]`(name)`, with
    /// this run's label and `labels`.
    async fn create(
        &self,
        name: &str,
        labels: HashMap<String, String>,
        body: bollard::models::ContainerCreateBody,
    ) -> anyhow::Result<String> {
        let mut all = self.labels();
        all.extend(labels);
        Ok(self
            .docker
            .create_container(
                Some(bollard::query_parameters::CreateContainerOptions {
                    name: Some(self.name(name)),
                    ..Default::default()
                }),
                bollard::models::ContainerCreateBody {
                    image: Some(self.fixture_image().await?),
                    labels: Some(all),
                    ..body
                },
            )
            .await
            .with_context(|| format!("creating {name}"))?
            .id)
    }

    /// Removes every container, network and volume carrying this run's label.
    pub async fn cleanup(&self) -> anyhow::Result<CleanupReport> {
        remove_labelled(&self.docker, &self.label_filter()).await
    }
}

impl Drop for TestRun {
    fn drop(&mut self) {
        // Drop cannot be async and may run inside a runtime: clean up on a thread of its own.
        let mut filters = vec![self.label_filter()];
        filters.append(&mut self.also);
        let result = std::thread::spawn(move || -> anyhow::Result<CleanupReport> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let docker = Docker::connect_with_defaults()?;
                let mut total = CleanupReport::default();
                for filter in filters {
                    let r = remove_labelled(&docker, &filter).await?;
                    total.containers += r.containers;
                    total.networks += r.networks;
                    total.volumes += r.volumes;
                }
                Ok(total)
            })
        })
        .join();
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => eprintln!("testkit: cleanup of run {} failed: {e:#}", self.id),
            Err(_) => eprintln!("testkit: cleanup of run {} panicked", self.id),
        }
    }
}

/// What a cleanup removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CleanupReport {
    pub containers: usize,
    pub networks: usize,
    pub volumes: usize,
}

/// Removes containers (forced, with anonymous volumes), then networks and volumes matching
/// `label` (`key=value` or `key`).
pub async fn remove_labelled(docker: &Docker, label: &str) -> anyhow::Result<CleanupReport> {
    let filters = HashMap::from([("label".to_owned(), vec![label.to_owned()])]);
    let mut report = CleanupReport::default();
    let containers = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters.clone()),
            ..Default::default()
        }))
        .await?;
    for c in containers {
        let Some(id) = c.id else { continue };
        let opts = RemoveContainerOptions {
            force: true,
            v: true,
            ..Default::default()
        };
        if ignore_missing(docker.remove_container(&id, Some(opts)).await)? {
            report.containers += 1;
        }
    }
    let networks = docker
        .list_networks(Some(ListNetworksOptions {
            filters: Some(filters.clone()),
        }))
        .await?;
    for n in networks {
        let Some(id) = n.id else { continue };
        // The engine may still be releasing the endpoints of the containers just removed.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        let removed = loop {
            match docker.remove_network(&id).await {
                Err(bollard::errors::Error::DockerResponseServerError { message, .. })
                    if message.contains("active endpoints")
                        && std::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                other => break other,
            }
        };
        if ignore_missing(removed)? {
            report.networks += 1;
        }
    }
    let volumes = docker
        .list_volumes(Some(ListVolumesOptions {
            filters: Some(filters),
        }))
        .await?;
    for v in volumes.volumes.unwrap_or_default() {
        let opts = RemoveVolumeOptions { force: true };
        if ignore_missing(docker.remove_volume(&v.name, Some(opts)).await)? {
            report.volumes += 1;
        }
    }
    Ok(report)
}

/// Ok(true) when removed, Ok(false) when it was already gone.
fn ignore_missing(result: Result<(), bollard::errors::Error>) -> anyhow::Result<bool> {
    match result {
        Ok(()) => Ok(true),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Runs `script` with `sh -c` inside a running container and waits for it to finish; its exit
/// code. The exec is detached: the engine signals an attached exec whose client went away, so
/// dropping an attached one early can kill it before it did anything.
pub async fn exec(docker: &Docker, container: &str, script: &str) -> anyhow::Result<i64> {
    let exec = docker
        .create_exec(
            container,
            bollard::models::ExecConfig {
                cmd: Some(vec!["sh".into(), "-c".into(), script.into()]),
                ..Default::default()
            },
        )
        .await
        .with_context(|| format!("creating an exec in {container}"))?;
    docker
        .start_exec(
            &exec.id,
            Some(bollard::exec::StartExecOptions {
                detach: true,
                ..Default::default()
            }),
        )
        .await
        .with_context(|| format!("starting an exec in {container}"))?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let state = docker.inspect_exec(&exec.id).await?;
        if state.running == Some(false) {
            return Ok(state.exit_code.unwrap_or(-1));
        }
        if std::time::Instant::now() > deadline {
            bail!("`{script}` in {container} still runs after 30 s");
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Writes `text` as one line to the container's standard output (`stderr` false) or error, as
/// if its main process had printed it.
pub async fn print_line(
    docker: &Docker,
    container: &str,
    text: &str,
    stderr: bool,
) -> anyhow::Result<()> {
    let quoted = format!("'{}'", text.replace('\'', "'\\''"));
    let fd = if stderr { 2 } else { 1 };
    let code = exec(
        docker,
        container,
        &format!("echo {quoted} > /proc/1/fd/{fd}"),
    )
    .await?;
    if code != 0 {
        bail!("writing a line into {container} exited with {code}");
    }
    Ok(())
}

/// Builds the fixture image through the engine's build API from an in-memory tar of Debian's
/// busybox-static, unless an image with the same content hash is already there.
pub async fn fixture_image(docker: &Docker) -> anyhow::Result<String> {
    let busybox = std::fs::read(Path::new(BUSYBOX)).with_context(|| {
        format!("reading {BUSYBOX}: install Debian's busybox-static (make test does)")
    })?;
    let mut hasher = Sha256::new();
    hasher.update(FIXTURE_DOCKERFILE.as_bytes());
    hasher.update(&busybox);
    let tag = format!("{FIXTURE_REPO}:{}", &hex::encode(hasher.finalize())[..16]);
    if docker.inspect_image(&tag).await.is_ok() {
        return Ok(tag);
    }

    build_image(
        docker,
        FIXTURE_DOCKERFILE,
        &[("busybox", &busybox, 0o755)],
        &tag,
        HashMap::from([("dev.orbitr.fixture".to_owned(), "busybox".to_owned())]),
    )
    .await?;
    Ok(tag)
}

/// Builds `dockerfile` with `files` (name, content, mode) as its context through the engine's
/// build API, tagged `tag`, and checks the image exists afterwards.
pub async fn build_image(
    docker: &Docker,
    dockerfile: &str,
    files: &[(&str, &[u8], u32)],
    tag: &str,
    labels: HashMap<String, String>,
) -> anyhow::Result<()> {
    let mut tar = tar::Builder::new(Vec::new());
    append_file(&mut tar, "Dockerfile", dockerfile.as_bytes(), 0o644)?;
    for (name, data, mode) in files {
        append_file(&mut tar, name, data, *mode)?;
    }
    let context = tar.into_inner()?;
    let options = BuildImageOptions {
        dockerfile: "Dockerfile".to_owned(),
        t: Some(tag.to_owned()),
        rm: true,
        forcerm: true,
        labels: Some(labels),
        ..Default::default()
    };
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    let mut log = String::new();
    while let Some(item) = stream.next().await {
        let info = item.with_context(|| format!("building {tag}"))?;
        if let Some(error) = info.error_detail.and_then(|d| d.message) {
            bail!("building {tag} failed: {error}\n{log}");
        }
        if let Some(line) = info.stream {
            log.push_str(&line);
        }
    }
    docker
        .inspect_image(tag)
        .await
        .with_context(|| format!("the image {tag} is missing after its build:\n{log}"))?;
    Ok(())
}

fn append_file(
    tar: &mut tar::Builder<Vec<u8>>,
    path: &str,
    data: &[u8],
    mode: u32,
) -> anyhow::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(mode);
    header.set_mtime(0);
    header.set_cksum();
    tar.append_data(&mut header, path, data)?;
    Ok(())
}
