fn main() {
    // The app's config lives at the workspace root (tauri.conf.json), shared
    // with the README's commands; the front end must be built first.
    let dist = std::path::Path::new("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist");
    if !dist.exists() {
        panic!(
            "ui/dist is missing: build the front end first (`npm ci && npm run build` in ui/, \
             or scripts/setup.sh)"
        );
    }
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri build step (config ../tauri.conf.json)");
}
