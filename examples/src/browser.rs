//! The browser example: one axum app serving a page, the capnweb client it imports, and the
//! RPC endpoint the page talks to (see `docs/browser.md`).
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the page (`examples/static/index.html`) |
//! | `GET /app.js` | the page's logic (`examples/static/app.js`), kept apart from the DOM so a test can run it under Node |
//! | `GET /capnweb.js` | capnweb's browser ES module, read from `node_modules` at startup |
//! | `/rpc` | [`Greeter`]: WebSocket upgrade or HTTP batch POST |

mod greeter;

use std::path::{Path, PathBuf};

use axum::{
    Router,
    body::Bytes,
    http::header,
    response::{Html, IntoResponse},
    routing::get,
};
use rpc_transports::axum_route::rpc_route;

pub use greeter::{
    Contents, Greeter, GreeterClient, GreeterImpl, GreeterServer, MAX_COUNTDOWN, Notebook,
    NotebookClient, NotebookImpl, NotebookServer, TICK,
};

/// The page. Embedded, so the binary runs from any directory.
pub const INDEX_HTML: &str = include_str!("../static/index.html");

/// The page's logic, an ES module with no imports: it is handed capnweb and a `show` function.
pub const APP_JS: &str = include_str!("../static/app.js");

/// The content type of both scripts. Browsers refuse to run a module script served as
/// anything but JavaScript.
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// The app: the page, its scripts, and [`Greeter`] at `/rpc`. `capnweb_js` is the source of
/// capnweb's ES module (`dist/index.js` of the npm package), served as `/capnweb.js`.
pub fn app(capnweb_js: String) -> Router {
    // `Bytes` clones share one buffer: every request gets the same 100 KB, not a copy.
    let capnweb_js = Bytes::from(capnweb_js);
    Router::new()
        .route("/", get(|| async { Html(INDEX_HTML) }))
        .route(
            "/app.js",
            get(|| async { javascript(Bytes::from_static(APP_JS.as_bytes())) }),
        )
        .route(
            "/capnweb.js",
            get(move || {
                let source = capnweb_js.clone();
                async move { javascript(source) }
            }),
        )
        // A fresh `Greeter` per session, WebSocket or batch.
        .route("/rpc", rpc_route(|| GreeterServer::new(GreeterImpl)))
}

fn javascript(source: Bytes) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, JAVASCRIPT)], source)
}

/// Where `npm ci` in `tests/interop` puts capnweb's browser build.
pub fn default_capnweb_path() -> PathBuf {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = examples.parent().unwrap_or(examples);
    workspace.join("tests/interop/node_modules/capnweb/dist/index.js")
}

/// Reads capnweb's ES module from `path`, with an error that says how to get it.
pub fn read_capnweb(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read capnweb's browser build at {}: {e}\n\
             run `npm ci` in tests/interop to install it, or pass --capnweb PATH",
            path.display()
        )
    })
}
