//! The README's complete Python adapter is `adapters/python/examples/threadpool_adapter.py`,
//! byte for byte (the kit's pytest suite runs that file; `.ci/python-kit`).

#[test]
fn the_readme_adapter_is_the_example_file() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("read README.md");
    let file = std::fs::read_to_string(format!(
        "{root}/adapters/python/examples/threadpool_adapter.py"
    ))
    .expect("read the example adapter");
    let block = readme
        .split_once("<!-- README:adapter:begin -->\n```python\n")
        .and_then(|(_, rest)| rest.split_once("```\n<!-- README:adapter:end -->"))
        .map(|(block, _)| block)
        .expect("README.md has the adapter block between its README:adapter markers");
    assert_eq!(
        block, file,
        "README.md's adapter and adapters/python/examples/threadpool_adapter.py differ: \
         change both"
    );
}
