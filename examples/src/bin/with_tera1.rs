//! The form app with Tera 1 templates: `cargo run -p xsrf-examples --bin
//! with_tera1` (port 8087 by default; `BIND` and `XSRF_SECRET` as for the
//! demo). The page is in `xsrf_examples::templates`.

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    xsrf_examples::templates::serve(xsrf_examples::templates::Engine::Tera1).await
}
