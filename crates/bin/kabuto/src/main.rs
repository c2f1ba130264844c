//! The `kabuto` command line.

fn main() {
    println!("kabuto {}", env!("CARGO_PKG_VERSION"));
}
