//! What the interop tests need before they start: Node with the pinned npm packages, the
//! `conformance` program, and (for the browser test) Chromium. Each is prepared once per test
//! binary (cargo runs its tests on parallel threads), and these functions block, so async
//! tests call them through `spawn_blocking`.

use std::{
    fs,
    io::{self, Read},
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    sync::OnceLock,
    thread,
    time::{Duration, Instant, SystemTime},
};

/// How long `npm ci` may take (it downloads three small packages).
const NPM_CI_DEADLINE: Duration = Duration::from_secs(300);
/// How long building `conformance` may take (normally just a link: its library is already
/// built as a dependency of this crate).
const BUILD_DEADLINE: Duration = Duration::from_secs(600);
/// A lock file older than this was left behind by a run that died; it is taken over.
const STALE_LOCK: Duration = Duration::from_secs(600);

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_owned()
}

/// `tests/interop`: the Node scripts.
pub fn interop_dir() -> PathBuf {
    workspace_root().join("tests").join("interop")
}

/// Makes sure `node` and `npm` run and that the packages of `tests/interop/package-lock.json`
/// are installed (`npm ci`, once). Panics with the reason otherwise.
pub fn node_packages() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(e) = READY.get_or_init(install_node_packages) {
        panic!("interop tests need Node 20 and npm: {e}");
    }
}

/// The path of the `conformance` program, built (once) with the cargo running these tests.
/// Panics with the build output if it fails.
pub fn conformance_binary() -> PathBuf {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BINARY.get_or_init(build_conformance) {
        Ok(path) => path.clone(),
        Err(e) => panic!("cannot build the conformance program: {e}"),
    }
}

fn packages_installed(dir: &Path) -> bool {
    ["capnweb", "ws", "playwright-core"].iter().all(|p| {
        dir.join("node_modules")
            .join(p)
            .join("package.json")
            .is_file()
    })
}

fn install_node_packages() -> Result<(), String> {
    for tool in ["node", "npm"] {
        let mut version = Command::new(tool);
        version.arg("--version");
        let out = run_bounded(tool, version, Duration::from_secs(60))
            .map_err(|e| format!("`{tool} --version` failed ({e}); is {tool} on PATH?"))?;
        if !out.status.success() {
            return Err(format!("`{tool} --version` exited with {}", out.status));
        }
    }
    let dir = interop_dir();
    if packages_installed(&dir) {
        return Ok(());
    }
    // Another test binary (or cargo invocation) may be installing at the same time.
    let _lock = LockFile::acquire(&dir.join("npm-ci.lock"), NPM_CI_DEADLINE)?;
    if packages_installed(&dir) {
        return Ok(());
    }
    let mut npm = Command::new("npm");
    npm.args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir);
    let out = run_bounded("npm ci", npm, NPM_CI_DEADLINE)?;
    if !out.status.success() || !packages_installed(&dir) {
        return Err(format!(
            "`npm ci` in {} exited with {}:\n{}{}",
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// Where the browser test expects Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// How long installing Chromium may take (`apt-get update`, then about 100 MB of packages;
/// well under a minute on a good connection). No longer than [`STALE_LOCK`], so a waiting
/// test never takes over the lock of an install still running.
const CHROMIUM_INSTALL_DEADLINE: Duration = STALE_LOCK;

/// Makes sure Chromium runs at [`CHROMIUM`], installing Debian's package with
/// `tests/interop/install-chromium.sh` if it is missing (which needs root and apt-get). Panics
/// with the reason and the way to install it otherwise: the browser test never skips.
pub fn chromium() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(e) = READY.get_or_init(install_chromium) {
        panic!(
            "the browser test needs Debian's Chromium at {CHROMIUM}: {e}\n\
             install it with `sudo bash tests/interop/install-chromium.sh` \
             (or `apt-get install chromium`)"
        );
    }
}

fn install_chromium() -> Result<(), String> {
    if !Path::new(CHROMIUM).is_file() {
        // The script installs only when Chromium is missing, and explains itself when it
        // cannot (not root, no apt-get). A lock, so that two test binaries do not both run
        // apt-get, which would fail on dpkg's own lock.
        let dir = interop_dir();
        let _lock = LockFile::acquire(&dir.join("chromium.lock"), CHROMIUM_INSTALL_DEADLINE)?;
        let mut script = Command::new("bash");
        script.arg("install-chromium.sh").current_dir(&dir);
        let out = run_bounded("install-chromium.sh", script, CHROMIUM_INSTALL_DEADLINE)?;
        if !out.status.success() {
            return Err(format!(
                "install-chromium.sh exited with {}:\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let mut version = Command::new(CHROMIUM);
    version.arg("--version");
    let out = run_bounded("chromium --version", version, Duration::from_secs(60))?;
    if !out.status.success() {
        return Err(format!(
            "`{CHROMIUM} --version` exited with {}:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

fn build_conformance() -> Result<PathBuf, String> {
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "-p", "examples", "--bin", "conformance"])
        .arg("--message-format=json")
        .current_dir(workspace_root());
    let out = run_bounded("cargo build", cargo, BUILD_DEADLINE)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "cargo build exited with {}:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|msg| msg["reason"] == "compiler-artifact")
        .filter(|msg| {
            let target = &msg["target"];
            target["name"] == "conformance"
                && target["kind"]
                    .as_array()
                    .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"))
        })
        .find_map(|msg| msg["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo build reported no executable for the conformance bin".to_owned())
}

/// Runs `command` to completion with its output captured, killing it after `within`.
fn run_bounded(what: &str, mut command: Command, within: Duration) -> Result<Output, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    // Drain both pipes on threads, so a chatty program never blocks on a full pipe.
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + within;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what} did not finish within {within:?}"));
            }
            Err(e) => return Err(format!("waiting for {what}: {e}")),
        }
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// A lock held by creating a file exclusively; removed on drop.
struct LockFile(PathBuf);

impl LockFile {
    fn acquire(path: &Path, within: Duration) -> Result<LockFile, String> {
        let deadline = Instant::now() + within;
        loop {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(_) => return Ok(LockFile(path.to_owned())),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if is_stale(path) {
                        let _ = fs::remove_file(path);
                        continue;
                    }
                    if Instant::now() > deadline {
                        return Err(format!(
                            "{} is still held after {within:?}; remove it if no npm ci is running",
                            path.display()
                        ));
                    }
                    thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
            }
        }
    }
}

fn is_stale(path: &Path) -> bool {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|modified| SystemTime::now().duration_since(modified).ok())
        .is_some_and(|age| age > STALE_LOCK)
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}
