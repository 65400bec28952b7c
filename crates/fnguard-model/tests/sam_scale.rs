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
