//! Placeholder; the generator lands next.
