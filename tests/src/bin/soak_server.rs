//! One app instance of the soak run (`xsrf_tests::soak`):
//! `tests/tests/redis_restart_under_load.rs` starts two of these,
//! configured through the environment.

fn main() -> std::io::Result<()> {
    xsrf_tests::soak::serve()
}
