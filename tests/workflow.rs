//! `.github/workflows/overtime.yml` parses as YAML and holds together: the gate runs
//! `.ci/run`; the check matrix's shards are exactly 1..=N of the `--shard K/N` it passes; the
//! merge job needs them, merges what they upload, and writes JUnit and HTML against the
//! committed baseline, which exists. (`.ci/lint-workflows` lints it with actionlint.)

use yaml_rust2::{Yaml, YamlLoader};

fn workflow() -> Yaml {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.github/workflows/overtime.yml"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(docs.len(), 1);
    docs.remove(0)
}

/// Every `run:` script of a job, joined.
fn scripts(job: &Yaml) -> String {
    job["steps"]
        .as_vec()
        .expect("steps")
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn uses(job: &Yaml) -> Vec<String> {
    job["steps"]
        .as_vec()
        .expect("steps")
        .iter()
        .filter_map(|s| s["uses"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn the_workflow_runs_the_gate_and_merges_every_shard() {
    let w = workflow();
    let jobs = &w["jobs"];
    assert!(scripts(&jobs["gate"]).contains("bash .ci/run"));
    assert!(uses(&jobs["gate"])
        .iter()
        .any(|u| u.starts_with("actions/upload-artifact@")));

    let check = &jobs["check"];
    let shards: Vec<i64> = check["strategy"]["matrix"]["shard"]
        .as_vec()
        .expect("a shard matrix")
        .iter()
        .map(|s| s.as_i64().expect("shard numbers"))
        .collect();
    let n = shards.len() as i64;
    assert_eq!(shards, (1..=n).collect::<Vec<_>>(), "shards 1..=N");
    let run = scripts(check);
    assert!(
        run.contains(&format!("--shard \"${{{{ matrix.shard }}}}/{n}\"")),
        "the check must pass --shard K/{n}: {run}"
    );
    assert!(
        run.contains("--json \"shard-${{ matrix.shard }}.json\""),
        "{run}"
    );
    assert!(uses(check)
        .iter()
        .any(|u| u.starts_with("actions/upload-artifact@")));

    let merge = &jobs["merge"];
    assert_eq!(merge["needs"].as_str(), Some("check"));
    assert!(uses(merge)
        .iter()
        .any(|u| u.starts_with("actions/download-artifact@")));
    let run = scripts(merge);
    for needle in [
        "overtime merge shards/shard-*.json",
        "--junit",
        "--html",
        "--baseline reports/reference.json",
    ] {
        assert!(run.contains(needle), "merge must run {needle:?}: {run}");
    }
    let baseline = concat!(env!("CARGO_MANIFEST_DIR"), "/reports/reference.json");
    assert!(std::path::Path::new(baseline).is_file(), "{baseline}");
}

/// The CI recipe a Python project copies (`docs/recipes/github-actions-python.yml`, linted by
/// `.ci/lint-workflows`): one job that installs the kit, runs the plugin with JUnit, HTML and
/// markdown outputs, and uploads them even when the gate fails.
#[test]
fn the_python_recipe_installs_the_kit_runs_the_plugin_and_uploads_its_reports() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/recipes/github-actions-python.yml"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let job = &docs[0]["jobs"]["timeouts"];
    let run = scripts(job);
    assert!(
        run.contains("pip install") && run.contains("overtime-adapter"),
        "{run}"
    );
    for needed in [
        "pytest --overtime",
        "--junitxml overtime-junit.xml",
        "--overtime-html overtime-report",
        "--overtime-markdown overtime-results",
        "$GITHUB_STEP_SUMMARY",
    ] {
        assert!(
            run.contains(needed),
            "the recipe must run `{needed}`: {run}"
        );
    }
    let steps = job["steps"].as_vec().expect("steps");
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
        })
        .expect("an upload step");
    assert_eq!(upload["if"].as_str(), Some("always()"));
    let paths = upload["with"]["path"].as_str().expect("upload paths");
    for output in ["overtime-junit.xml", "overtime-report/"] {
        assert!(paths.contains(output), "{output} is not uploaded: {paths}");
    }
}
