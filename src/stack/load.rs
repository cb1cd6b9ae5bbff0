//! Loading a stack file: read (bounded, whatever the input is), parse with positions, check the structure against
//! the schema, build the typed model, and validate everything, so that nothing reaches the
//! network unless the whole file is right. Every finding of every stage comes back in one
//! run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::check::{self, Checked, Schema, SchemaId, SpanMap};
use super::diagnostics::{Diagnostic, Diagnostics, Span};
use super::model::StackFile;
use super::position::LineIndex;
use super::validate;
use super::yaml::{self, NodeKind};
use crate::kinds::ResourceKind;
use crate::kinds::registry::SectionSource;

/// A stack file that loaded and validated without errors.
#[derive(Debug, Clone)]
pub struct LoadedStack {
    /// The path it was read from (or the name given to [`load_str`]).
    pub path: PathBuf,
    /// Display name used in findings.
    pub name: String,
    pub source: Arc<str>,
    pub model: StackFile,
    /// Where every field is, by field path (`stages.main.recording.media_types[0]`).
    pub spans: SpanMap,
    /// Warnings (no errors, or this would not have loaded).
    pub warnings: Diagnostics,
}

impl LoadedStack {
    /// The span of a field's value, falling back to its nearest ancestor.
    pub fn span(&self, path: &str) -> Option<Span> {
        self.spans.value_span(path)
    }

    /// A finding about a field of this file, positioned at the field's key (or value).
    pub fn diagnostic_at(
        &self,
        path: &str,
        error: bool,
        code: &'static str,
        message: &str,
    ) -> Diagnostics {
        let d = if error {
            Diagnostic::error(code, &self.name, message)
        } else {
            Diagnostic::warning(code, &self.name, message)
        };
        let mut ds = Diagnostics::new();
        ds.add_source(&self.name, self.source.clone());
        ds.push(d.at(self.spans.key_span(path)).path(path));
        ds
    }
}

/// What [`read_bounded`] read.
#[derive(Debug)]
pub enum Bounded {
    /// The whole input, at most the limit.
    Complete(Vec<u8>),
    /// The input is larger than the limit; its size if the file system knows it.
    TooLarge(Option<u64>),
}

/// Read at most `limit` bytes of `path`, whatever it is: a regular file, a FIFO, a device
/// such as `/dev/zero`, or `/dev/stdin`. Never more than `limit + 1` bytes are read (and
/// held), so an endless input ends in [`Bounded::TooLarge`], not in an exhausted machine.
pub fn read_bounded(path: &Path, limit: usize) -> std::io::Result<Bounded> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    // A regular file says how big it is; anything else is read to find out.
    if meta.is_file() && meta.len() > limit as u64 {
        return Ok(Bounded::TooLarge(Some(meta.len())));
    }
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Ok(Bounded::TooLarge(meta.is_file().then_some(meta.len())));
    }
    Ok(Bounded::Complete(bytes))
}

/// Read a stack file's bytes (at most [`yaml::MAX_FILE_BYTES`]), or the finding that says
/// why not. The display name is the path as given.
pub fn read_file(path: &Path) -> Result<Vec<u8>, Diagnostics> {
    let name = path.display().to_string();
    let fail = |d: Diagnostic| -> Diagnostics { std::iter::once(d).collect() };
    match read_bounded(path, yaml::MAX_FILE_BYTES) {
        Ok(Bounded::Complete(bytes)) => Ok(bytes),
        Ok(Bounded::TooLarge(len)) => Err(fail(too_big(&name, len))),
        Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Err(fail(Diagnostic::error(
            "io",
            &name,
            format!("`{name}` is a directory, not a stack file"),
        ))),
        Err(e) => Err(fail(Diagnostic::error(
            "io",
            &name,
            format!("cannot read `{name}`: {e}"),
        ))),
    }
}

/// Read and load a stack file. The display name is the path as given.
pub fn load_file(path: &Path) -> Result<LoadedStack, Diagnostics> {
    let bytes = read_file(path)?;
    let mut loaded = load_bytes(&path.display().to_string(), &bytes)?;
    loaded.path = path.to_path_buf();
    Ok(loaded)
}

/// Load a stack file from bytes (checks UTF-8 first).
pub fn load_bytes(name: &str, bytes: &[u8]) -> Result<LoadedStack, Diagnostics> {
    if bytes.len() > yaml::MAX_FILE_BYTES {
        return Err(std::iter::once(too_big(name, Some(bytes.len() as u64))).collect());
    }
    match std::str::from_utf8(bytes) {
        Ok(src) => load_str(name, src),
        Err(e) => {
            let at = e.valid_up_to();
            // Everything before the first invalid byte is valid UTF-8.
            let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
            let (line, col) = LineIndex::new(before).line_col(before, at);
            let d = Diagnostic::error(
                "not-utf8",
                name,
                format!(
                    "`{name}` is not UTF-8 text: invalid byte 0x{:02x} at line {line}, column {col}",
                    bytes[at]
                ),
            )
            .help("stack files are UTF-8 YAML; is this a binary file, or saved in another encoding?");
            Err(std::iter::once(d).collect())
        }
    }
}

/// The finding for an input over the stack-file limit (`len` when known).
pub fn too_big(name: &str, len: Option<u64>) -> Diagnostic {
    let limit = yaml::MAX_FILE_BYTES / (1024 * 1024);
    let size = match len {
        Some(len) => format!("{:.1} MiB", len as f64 / (1024.0 * 1024.0)),
        // A FIFO, a device or a pipe: reading stopped at the limit.
        None => format!("more than {limit} MiB"),
    };
    Diagnostic::error(
        "too-large",
        name,
        format!("`{name}` is {size}; stack files are limited to {limit} MiB"),
    )
    .help("split the stack into several files, one per account and region")
}

/// Load a stack file from text. `name` is used in findings.
pub fn load_str(name: &str, src: &str) -> Result<LoadedStack, Diagnostics> {
    let source: Arc<str> = Arc::from(src);
    let mut diags = Diagnostics::new();
    diags.add_source(name, source.clone());
    let fail = |mut diags: Diagnostics, d: Diagnostic| {
        diags.push(d);
        diags.sort();
        Err(diags)
    };
    if src.len() > yaml::MAX_FILE_BYTES {
        return fail(diags, too_big(name, Some(src.len() as u64)));
    }
    if let Some(at) = src.find('\0') {
        let (line, _) = LineIndex::new(src).line_col(src, at);
        return fail(
            diags,
            Diagnostic::error(
                "binary",
                name,
                format!("`{name}` looks like a binary file (NUL byte on line {line})"),
            )
            .help("stack files are UTF-8 YAML text"),
        );
    }
    let (root, parse_diags) = yaml::parse(name, src);
    let fatal = root.is_none();
    for d in parse_diags {
        diags.push(d);
    }
    let Some(root) = root else {
        if !fatal || diags.is_empty() {
            return fail(diags, empty_file(name));
        }
        diags.sort();
        return Err(diags);
    };
    if root.is_null() {
        return fail(diags, empty_file(name));
    }
    if !matches!(root.kind, NodeKind::Map(_)) {
        let d = Diagnostic::error(
            "not-a-map",
            name,
            format!(
                "a stack file is a YAML map, but this is {}",
                root.describe()
            ),
        )
        .at(Some(root.span()))
        .help("start with `stack: <name>` and `region: <region>`");
        return fail(diags, d);
    }

    let schema = Schema::stack();
    let mut checked = check::check(name, &root, schema);
    for d in std::mem::take(&mut checked.diagnostics) {
        diags.push(d);
    }
    let declared = declared_ids(&root);
    let structure_ok = !diags.has_errors();
    // Built straight from the tree: a 5 MB file must not be copied into JSON first.
    let mut model = if structure_ok {
        match checked.deserialize::<StackFile>(schema, &root, schema.root()) {
            Ok(m) => Some(m),
            Err(e) => {
                // The checker and serde disagree: our bug, but say what serde said.
                diags.push(Diagnostic::error(
                    "model",
                    name,
                    format!("the stack file does not fit the model: {e}"),
                ));
                None
            }
        }
    } else {
        None
    };
    // Files that resources name are relative to the stack file's directory; they are read
    // now, so that validation reports on them and the model carries what they hold.
    let dir = Path::new(name).parent().unwrap_or(Path::new(""));
    if let Some(m) = &mut model {
        m.read_files(dir);
    }
    let partial_owned;
    let partial = match &model {
        Some(m) => m,
        None => {
            let mut p = partial_model(&checked, schema, &root);
            p.read_files(dir);
            partial_owned = p;
            &partial_owned
        }
    };
    drop(checked);
    let spans = SpanMap::new(root);
    let ctx = validate::Context {
        file: name,
        spans: &spans,
        declared: &declared,
    };
    for d in validate::validate(partial, &ctx) {
        diags.push(d);
    }
    diags.sort();
    match model {
        Some(model) if !diags.has_errors() => Ok(LoadedStack {
            path: PathBuf::from(name),
            name: name.to_string(),
            source,
            model,
            spans,
            warnings: diags,
        }),
        _ => Err(diags),
    }
}

fn empty_file(name: &str) -> Diagnostic {
    Diagnostic::error("empty", name, format!("`{name}` is empty"))
        .help("a stack file needs at least `stack: <name>` and `region: <region>`")
}

/// Logical ids declared per section, straight from the YAML (so that a stage with an
/// error is still known to exist, and references to it are not reported as dangling).
pub type DeclaredIds = BTreeMap<String, BTreeSet<String>>;

fn declared_ids(root: &yaml::Node) -> DeclaredIds {
    let mut out = DeclaredIds::new();
    if let NodeKind::Map(entries) = &root.kind {
        for e in entries {
            if let NodeKind::Map(items) = &e.value.kind {
                out.insert(e.key.clone(), items.iter().map(|i| i.key.clone()).collect());
            }
        }
    }
    out
}

/// Best-effort model from a tree with errors: each resource that deserializes on its own
/// is kept, so semantic checks still run on everything that is well-formed.
fn partial_model(checked: &Checked, schema: &Schema, root: &yaml::Node) -> StackFile {
    let top = checked.fields(schema, root, schema.root());
    let get = |key: &str| top.iter().find(|(k, _, _)| *k == key);
    let field =
        |key: &str| -> Option<(&yaml::Node, SchemaId)> { get(key).map(|(_, n, s)| (*n, *s)) };
    fn one<'t, T: Deserialize<'t> + Default>(
        checked: &Checked,
        schema: &Schema,
        at: Option<(&'t yaml::Node, SchemaId)>,
    ) -> T {
        at.and_then(|(n, s)| checked.deserialize(schema, n, s).ok())
            .unwrap_or_default()
    }
    fn section<'t, T: Deserialize<'t>>(
        checked: &Checked,
        schema: &Schema,
        at: Option<(&'t yaml::Node, SchemaId)>,
    ) -> BTreeMap<String, T> {
        let Some((node, id)) = at else {
            return BTreeMap::new();
        };
        checked
            .fields(schema, node, id)
            .into_iter()
            .filter_map(|(k, n, s)| {
                checked
                    .deserialize(schema, n, s)
                    .ok()
                    .map(|t| (k.to_string(), t))
            })
            .collect()
    }
    let mut model = StackFile {
        stack: one(checked, schema, field("stack")),
        region: one(checked, schema, field("region")),
        account: one(checked, schema, field("account")),
        tags: one(checked, schema, field("tags")),
        ..StackFile::default()
    };
    // The resource sections come from the kind registry.
    struct Sections<'c, 't> {
        checked: &'c Checked,
        schema: &'c Schema,
        top: &'c [(&'t str, &'t yaml::Node, SchemaId)],
    }
    impl SectionSource for Sections<'_, '_> {
        fn section<T: ResourceKind>(&mut self, name: &str) -> BTreeMap<String, T> {
            let at = self.top.iter().find(|(k, _, _)| *k == name);
            section(self.checked, self.schema, at.map(|(_, n, s)| (*n, *s)))
        }
    }
    model.fill_sections(&mut Sections {
        checked,
        schema,
        top: &top,
    });
    model
}
