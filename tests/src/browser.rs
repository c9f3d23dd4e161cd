//! Headless Chromium for the browser tests: finding the binaries (a
//! missing one is a failure, never a skip), chromedriver as a guard that
//! kills and reaps it, a WebDriver session, and waits for elements.
//! Each browser test file starts its own driver and apps.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::server::free_port;

/// How long any one wait for the browser may take.
pub const WAIT: Duration = Duration::from_secs(15);

/// `env` if set, else the first of `names` on `PATH`.
pub fn find_binary(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Chromium and chromedriver, or a failure saying how to get them.
pub fn browser_binaries() -> (PathBuf, PathBuf) {
    let chromium = find_binary("CHROMIUM", &["chromium", "chromium-browser"]);
    let driver = find_binary("CHROMEDRIVER", &["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => (c, d),
        (c, d) => {
            let missing: Vec<&str> = [(c.is_none(), "chromium"), (d.is_none(), "chromedriver")]
                .into_iter()
                .filter_map(|(gone, name)| gone.then_some(name))
                .collect();
            let missing = missing.join(" and ");
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true: the browser test needs {missing}, not found on PATH. \
                     A missing browser is a failure in CI, never a skip: install \
                     `chromium chromium-driver` (scripts/test.sh does) or set CHROMIUM / CHROMEDRIVER."
                );
            }
            panic!(
                "the browser test needs {missing}, not found on PATH: \
                 run `apt-get install chromium chromium-driver` (or scripts/test.sh), \
                 or set CHROMIUM / CHROMEDRIVER to the binaries"
            );
        }
    }
}

/// chromedriver, killed and reaped on drop (also when a test panics).
pub struct Driver {
    child: Child,
    url: String,
    scratch: PathBuf,
}

impl Driver {
    /// Starts chromedriver on a free port with its files under `scratch`
    /// (deleted on drop), and waits until it listens.
    pub fn start(binary: &Path, scratch: &Path) -> Driver {
        let tmp = scratch.join("tmp");
        std::fs::create_dir_all(&tmp).expect("scratch TMPDIR");
        let port = free_port().expect("a free loopback port");
        let log = scratch.join("chromedriver.log");
        let mut cmd = Command::new(binary);
        cmd.arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .env("TMPDIR", &tmp)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so the browsers it starts can be killed
        // with it if the session is not closed cleanly.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            scratch: scratch.to_owned(),
        };
        let deadline = Instant::now() + WAIT;
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return driver;
            }
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!(
                    "chromedriver exited at start ({status}); its log:\n{}",
                    driver.log_tail()
                );
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port} within {WAIT:?}; its log:\n{}",
                driver.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The end of chromedriver's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text =
            std::fs::read_to_string(self.scratch.join("chromedriver.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let pid = self.child.id();
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Any browser left behind (normally none: the session was closed).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// A headless Chromium session through `driver`.
pub async fn connect(driver: &Driver, chromium: &Path) -> Client {
    let profile = driver.scratch.join("profile");
    let caps = serde_json::json!({
        "browserName": "chrome",
        "pageLoadStrategy": "normal",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
                "--window-size=1024,768",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!("an object literal")
    };
    // chromedriver listens on loopback over plain HTTP: no TLS connector.
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot open a Chromium session: {e}; chromedriver's log:\n{}",
                driver.log_tail()
            )
        })
}

/// Polls `cond` until it holds, or fails saying what was awaited.
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits for an element: after a click that navigates, poll the result
/// page rather than trusting the navigation wait.
pub async fn element(c: &Client, css: &str) -> fantoccini::elements::Element {
    match c.wait().at_most(WAIT).for_element(Locator::Css(css)).await {
        Ok(e) => e,
        Err(e) => {
            let url = c
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            let src = c.source().await.unwrap_or_default();
            panic!("no `{css}` on {url} after {WAIT:?}: {e}\npage:\n{src}")
        }
    }
}

/// The text of the element `css`, once it is there.
pub async fn text_of(c: &Client, css: &str) -> String {
    element(c, css).await.text().await.expect("element text")
}

/// Starts an attacker's site on another port of 127.0.0.1: `routes` are its
/// pages, and they find the victim's port as `web::Data<u16>`. Returns where
/// it listens and the handle that stops it.
pub fn start_attacker(
    victim_port: u16,
    routes: fn(&mut actix_web::web::ServiceConfig),
) -> (std::net::SocketAddr, actix_web::dev::ServerHandle) {
    use actix_web::{App, HttpServer, web};
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(victim_port))
            .configure(routes)
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .expect("bind");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (addr, handle)
}
