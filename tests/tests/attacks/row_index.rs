//! The row index: every row of the threat model
//! (`xsrf-actix/docs/threat-model.md`, in the repository) has a test named
//! after it, and no test names a row the threat model does not have. A row
//! marked `(new)` (work under way) may already have a test named after it,
//! but needs none yet. Without the threat model the index fails, whatever
//! `CI` says: it ships with the code.
//!
//! A test names a row when its function name starts with the row's id in
//! lower case and `_` (`t5_token_of_other_session…` names T5); a test for
//! several rows chains them (`t8_t9_…`). The tests are found by reading
//! the sources: `tests/tests` and `tests/src` of this package, and the unit
//! tests in the library crates' `src`. A function counts as a test when an
//! attribute naming `test` (`#[test]`, `#[actix_web::test]`,
//! `#[tokio::test]`) stands right above it.
//!
//! Rows are added first to the project's attack matrix, `ATTACKS.md` in
//! the `shared/` folder beside the workspace, where a maintainer's checkout
//! has it. When it is there, the index also checks that the threat model
//! is in step with it: the same row ids in both (a row of the matrix the
//! threat model lacks fails, asking to add it there), and no row marked
//! `(new)` in the threat model that the matrix no longer marks. The other
//! way round is fine: the threat model drops the marker when the row's work
//! lands, so it may be ahead of the matrix, never behind. Without the
//! matrix (a plain clone) that comparison is left out, and said so.

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

/// A row id listed more than once.
fn duplicates(rows: &[Row]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    rows.iter()
        .filter(|r| !seen.insert(r.id.as_str()))
        .map(|r| r.id.clone())
        .collect()
}

/// Where the threat model is out of step with the attack matrix, which
/// gets its rows first.
#[derive(Debug, Default, PartialEq, Eq)]
struct Step {
    /// Rows of the matrix the threat model lacks.
    not_in_model: Vec<String>,
    /// Rows of the threat model the matrix lacks.
    not_in_matrix: Vec<String>,
    /// Rows the threat model still marks `(new)`, the matrix no longer.
    still_new: Vec<String>,
}

impl Step {
    /// One line per difference, saying what to do about it.
    fn problems(&self) -> Vec<String> {
        let not_in_model = self.not_in_model.iter().map(|id| {
            format!("{id} is in ATTACKS.md but not in the threat model: add it to the threat model")
        });
        let not_in_matrix = self.not_in_matrix.iter().map(|id| {
            format!(
                "{id} is in the threat model but not in ATTACKS.md: rows are added to ATTACKS.md first"
            )
        });
        let still_new = self.still_new.iter().map(|id| {
            format!(
                "{id} is marked (new) in the threat model but not in ATTACKS.md: the row holds \
                 now; drop the marker (a test named after it is then required)"
            )
        });
        not_in_model.chain(not_in_matrix).chain(still_new).collect()
    }
}

fn in_step(model: &[Row], matrix: &[Row]) -> Step {
    fn find<'a>(rows: &'a [Row], id: &str) -> Option<&'a Row> {
        rows.iter().find(|r| r.id == id)
    }
    let ids = |rows: &[Row], keep: &dyn Fn(&Row) -> bool| -> Vec<String> {
        rows.iter()
            .filter(|r| keep(r))
            .map(|r| r.id.clone())
            .collect()
    };
    Step {
        not_in_model: ids(matrix, &|r| find(model, &r.id).is_none()),
        not_in_matrix: ids(model, &|r| find(matrix, &r.id).is_none()),
        still_new: ids(model, &|r| {
            r.new && find(matrix, &r.id).is_some_and(|m| !m.new)
        }),
    }
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
fn every_row_of_the_threat_model_has_a_test_and_every_named_row_exists() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package sits in the workspace");
    let model_path = workspace.join("xsrf-actix/docs/threat-model.md");
    let model = std::fs::read_to_string(&model_path).unwrap_or_else(|e| {
        panic!(
            "the threat model is missing at {} ({e}): the row index reads its rows from there",
            model_path.display()
        )
    });
    let model_rows = rows(&model);
    assert!(
        model_rows.len() >= 50,
        "only {} rows read: {model_rows:?}",
        model_rows.len()
    );
    assert_eq!(
        duplicates(&model_rows),
        Vec::<String>::new(),
        "rows listed twice in {}",
        model_path.display()
    );

    let matrix_path = workspace.join("../shared/ATTACKS.md");
    match std::fs::read_to_string(&matrix_path) {
        Ok(matrix) => {
            let problems = in_step(&model_rows, &rows(&matrix)).problems();
            assert!(
                problems.is_empty(),
                "the threat model ({}) is out of step with {}:\n{}",
                model_path.display(),
                matrix_path.display(),
                problems.join("\n")
            );
        }
        Err(_) => eprintln!(
            "row index: no attack matrix at {}, so the threat model is not compared with it \
             (its rows are still checked against the tests)",
            matrix_path.display()
        ),
    }

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

    let found = index(&model_rows, &tests);
    assert_eq!(
        found,
        Index::default(),
        "rows of {} without a test named after them (missing), and tests naming rows it does not have (unknown)",
        model_path.display()
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

#[test]
fn the_threat_model_is_checked_against_the_matrix() {
    let matrix = rows(
        "\
| T1 | a | 403 |
| T2 (new) | b | 408 |
| T3 (new) | c | 408 |
| K1 | d | 403 |
| K2 (new) | e | 403 |
",
    );
    // In step: T2 still new in both; T3 landed, and the threat model
    // dropped its marker first (it may be ahead of the matrix).
    let model = rows(
        "\
| T1 | a, in other words | refused |
| T2 (new) | b | 408 |
| T3 | c | 408 |
| K1 | d | refused |
| K2 (new) | e | refused |
",
    );
    assert_eq!(in_step(&model, &matrix), Step::default());
    assert!(Step::default().problems().is_empty());
    assert_eq!(duplicates(&model), Vec::<String>::new());

    // Out of step: K2 not yet added to the threat model, O1 not in the
    // matrix, T1 and K1 marked new in the threat model only, T1 twice.
    let model = rows(
        "\
| T1 (new) | a | 403 |
| T1 | a again | 403 |
| T2 (new) | b | 408 |
| T3 (new) | c | 408 |
| K1 (new) | d | 403 |
| O1 | f | 403 |
",
    );
    let step = in_step(&model, &matrix);
    assert_eq!(
        step,
        Step {
            not_in_model: vec!["K2".to_owned()],
            not_in_matrix: vec!["O1".to_owned()],
            still_new: vec!["T1".to_owned(), "K1".to_owned()],
        }
    );
    assert_eq!(duplicates(&model), ["T1"]);
    let problems = step.problems();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(
        problems[0].starts_with("K2 ") && problems[0].ends_with("add it to the threat model"),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with("O1 ") && problems[1].contains("added to ATTACKS.md first"),
        "{problems:?}"
    );
    assert!(
        problems[2].starts_with("T1 ") && problems[2].contains("drop the marker"),
        "{problems:?}"
    );
}
