//! `fnguard-guard`: the extension alone, a smaller binary than `fnguard`
//! for the layer (`fnguard guard package --binary target/release/fnguard-guard`).

fn main() {
    std::process::exit(fnguard_guard::run::main());
}
