//! The row index: every row of the attack matrix (`../shared/ATTACKS.md`
//! beside the workspace) has a test named after it, and no test names a
//! row the matrix does not have. A row marked `(new)` (added for open
//! work) may already have a test named after it, but needs none yet.
//!
//! A test names a row when its function name starts with the row's id in
//! lower case and `_` (`t5_token_of_other_session…` names T5); a test for
//! several rows chains them (`t8_t9_…`). The tests are found by reading
//! the sources: `tests/tests` and `tests/src` of this package, and the unit
//! tests in the library crates' `src`. A function counts as a test when an
//! attribute naming `test` (`#[test]`, `#[actix_web::test]`,
//! `#[tokio::test]`) stands right above it.
//!
//! Without the matrix (a checkout without `shared/` beside it) the check
//! says it was skipped and passes; with `CI=true` that is a failure.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where the sources with tests live, from the workspace root.
const TEST_SOURCES: &[&str] = &[
    "tests/tests",
    "tests/src",
    "xsrf-core/src",
    "xsrf-actix/src",
    "xsrf-macros/src",
];

/// One row of the matrix: its id, and whether it is marked `(new)` (added
/// for open work: a test may name it, none is required yet).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    id: String,
    new: bool,
}

/// The rows of a matrix, in the order they appear: the first cell of each
/// table row that reads as a letter and a number (`T1`, `O16`), optionally
/// followed by the `(new)` marker (`T21 (new)`).
fn rows(matrix: &str) -> Vec<Row> {
    matrix
        .lines()
        .filter_map(|line| {
            let cell = line.trim().strip_prefix('|')?.split('|').next()?.trim();
            let (id, new) = match cell.strip_suffix("(new)") {
                Some(id) => (id.trim_end(), true),
                None => (cell, false),
            };
            let (letter, number) = id.split_at_checked(1)?;
            let is_id = letter.chars().all(|c| c.is_ascii_uppercase())
                && !number.is_empty()
                && number.chars().all(|c| c.is_ascii_digit());
            is_id.then(|| Row {
                id: id.to_owned(),
                new,
            })
        })
        .collect()
}

/// The names of the test functions in one source file.
fn test_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    // Whether a test attribute stands above the current line, with only
    // attributes, comments and blank lines in between.
    let mut under_test_attribute = false;
    for line in source.lines() {
        let line = line.trim();
        if line.starts_with("#[") {
            // `#[test]`, `#[actix_web::test]`, `#[tokio::test(…)]`; not
            // `#[cfg(test)]`.
            under_test_attribute |=
                line == "#[test]" || line.contains("::test]") || line.contains("::test(");
            continue;
        }
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        if under_test_attribute {
            let rest = line.trim_start_matches("pub ").trim_start_matches("async ");
            if let Some(rest) = rest.strip_prefix("fn ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                names.push(name);
            }
        }
        under_test_attribute = false;
    }
    names
}

/// The row ids a test name starts with (`t8_t9_retired…` → T8, T9), for
/// ids whose letter is one of `letters` (the matrix's sections), so that a
/// name like `v2_layout` is not read as a row.
fn named_rows(test: &str, letters: &BTreeSet<char>) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = test;
    loop {
        let mut chars = rest.chars();
        let Some(letter) = chars.next() else { break };
        let upper = letter.to_ascii_uppercase();
        if !letter.is_ascii_lowercase() || !letters.contains(&upper) {
            break;
        }
        let digits: String = chars.take_while(char::is_ascii_digit).collect();
        let after = &rest[1 + digits.len()..];
        if digits.is_empty() || !after.starts_with('_') {
            break;
        }
        ids.push(format!("{upper}{digits}"));
        rest = &after[1..];
    }
    ids
}

/// What is wrong with the index: rows without a test (a `(new)` row is
/// not yet required to have one), and tests naming a row the matrix lacks
/// (with the tests naming it).
#[derive(Debug, Default, PartialEq, Eq)]
struct Index {
    missing: Vec<String>,
    unknown: BTreeMap<String, Vec<String>>,
}

fn index(rows: &[Row], tests: &[String]) -> Index {
    let letters: BTreeSet<char> = rows.iter().filter_map(|r| r.id.chars().next()).collect();
    let mut named: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for test in tests {
        for id in named_rows(test, &letters) {
            named.entry(id).or_default().push(test.clone());
        }
    }
    let missing = rows
        .iter()
        .filter(|r| !r.new && !named.contains_key(&r.id))
        .map(|r| r.id.clone())
        .collect();
    let unknown = named
        .into_iter()
        .filter(|(id, _)| !rows.iter().any(|r| &r.id == id))
        .collect();
    Index { missing, unknown }
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_row_of_the_matrix_has_a_test_and_every_named_row_exists() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package sits in the workspace");
    let matrix_path = workspace.join("../shared/ATTACKS.md");
    let Ok(matrix) = std::fs::read_to_string(&matrix_path) else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "the attack matrix is missing at {}: with CI=true the row index must run",
            matrix_path.display()
        );
        eprintln!(
            "row index SKIPPED: no attack matrix at {} (a checkout without shared/ beside it)",
            matrix_path.display()
        );
        return;
    };
    let rows = rows(&matrix);
    assert!(rows.len() >= 50, "only {} rows read: {rows:?}", rows.len());

    let mut files = Vec::new();
    for dir in TEST_SOURCES {
        rust_files(&workspace.join(dir), &mut files);
    }
    let tests: Vec<String> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|source| test_names(&source))
        .collect();
    assert!(tests.len() > 100, "only {} tests found", tests.len());

    let found = index(&rows, &tests);
    assert_eq!(
        found,
        Index::default(),
        "rows of {} without a test named after them (missing), and tests naming rows it does not have (unknown)",
        matrix_path.display()
    );
}

#[test]
fn the_row_index_finds_missing_and_unknown_rows() {
    let matrix = "\
## Tokens
| # | request | expected |
|---|---|---|
| T1 | no token | 403 |
| T2 | empty token | 403 |
| T3 | junk | 403 |
| T4 (new) | slow | 408 |
| T5 (new) | stalled | 408 |
## Keys
| K1 | twice | 403 |
";
    let rows = rows(matrix);
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["T1", "T2", "T3", "T4", "T5", "K1"]);
    let new: Vec<&str> = rows
        .iter()
        .filter(|r| r.new)
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(new, ["T4", "T5"]);
    let source = "\
#[test]
fn t1_no_token_is_refused() {}

#[actix_web::test]
// a comment between
async fn t2_t3_empty_or_junk() {}

fn t9_a_helper_not_a_test() {}

#[tokio::test]
async fn k7_a_row_that_does_not_exist() {}

#[test]
fn v2_not_a_section_letter() {}

#[test]
fn t4_a_new_row_may_have_a_test() {}

#[cfg(test)]
fn t3_a_test_only_helper() {}
";
    let tests = test_names(source);
    assert_eq!(
        tests,
        [
            "t1_no_token_is_refused",
            "t2_t3_empty_or_junk",
            "k7_a_row_that_does_not_exist",
            "v2_not_a_section_letter",
            "t4_a_new_row_may_have_a_test"
        ]
    );
    // T4 and T5 are new: T4's test is accepted, T5 is not yet required.
    assert_eq!(
        index(&rows, &tests),
        Index {
            missing: vec!["K1".to_owned()],
            unknown: BTreeMap::from([(
                "K7".to_owned(),
                vec!["k7_a_row_that_does_not_exist".to_owned()]
            )]),
        }
    );
}
