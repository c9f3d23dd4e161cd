//! The form app with askama templates: `cargo run -p xsrf-examples --bin
//! with_askama` (port 8082 by default; `BIND` and `XSRF_SECRET` as for the demo).
//! The page is in `xsrf_examples::templates`.

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    xsrf_examples::templates::serve(xsrf_examples::templates::Engine::Askama).await
}
