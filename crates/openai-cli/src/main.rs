mod generated;
fn main() {}
