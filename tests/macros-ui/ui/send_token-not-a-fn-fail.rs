use xsrf_actix::send_token;

#[send_token]
struct NotAHandler;

fn main() {}
