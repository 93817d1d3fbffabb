//! A render worker on its own, for the worker tests: what `settle render-worker` runs.

fn main() -> Result<(), settle_documents::DocumentError> {
    settle_documents::serve_stdio()
}
