//! Large SAM templates stay linear: run with
//! `FNGUARD_SAM_SCALE=/path/big.yaml cargo test -p fnguard-model --test sam_scale -- --nocapture`.

#[test]
fn large_template_transforms_in_linear_time() {
    let Ok(path) = std::env::var("FNGUARD_SAM_SCALE") else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("template");
    let start = std::time::Instant::now();
    let root = fnguard_model::yaml::parse(&text, 0, &path).expect("parses");
    let parsed = start.elapsed();
    let out = fnguard_model::cfn::sam::transform(&root).expect("transform");
    let total = start.elapsed();
    let count = out
        .get("Resources")
        .and_then(fnguard_core::Node::as_map)
        .map_or(0, <[_]>::len);
    println!("parse {parsed:?}, parse+transform {total:?}, {count} resources");
}

/// Every `*.yaml` under `FNGUARD_SAM_DIR` (recursively) transforms without
/// a panic; prints how many.
#[test]
fn every_template_in_a_folder_transforms() {
    let Ok(dir) = std::env::var("FNGUARD_SAM_DIR") else {
        return;
    };
    let mut stack = vec![std::path::PathBuf::from(dir)];
    let (mut seen, mut transformed) = (0, 0);
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("readable folder").flatten() {
                stack.push(entry.path());
            }
            continue;
        }
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        seen += 1;
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let name = path.display().to_string();
        if let Ok(root) = fnguard_model::yaml::parse(&text, 0, &name) {
            if fnguard_model::cfn::sam::transform(&root).is_ok() {
                transformed += 1;
            }
        }
    }
    println!("{transformed} of {seen} YAML files transformed");
}
