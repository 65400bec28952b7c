fn main() {
    println!("fnguard {}", env!("CARGO_PKG_VERSION"));
}
