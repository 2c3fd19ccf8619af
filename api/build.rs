//! The migrations are embedded in the binary (`db::SQLITE_MIGRATIONS`, `db::POSTGRES_MIGRATIONS`):
//! a new or changed migration must rebuild the crate, which cargo cannot see by itself.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
