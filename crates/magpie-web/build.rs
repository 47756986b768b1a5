// The embedded files change whenever `scripts/web-build` rewrites dist/: rebuild then, also
// when files are only added or removed (the derive alone tracks just the files it read).
fn main() {
    println!("cargo:rerun-if-changed=dist");
}
