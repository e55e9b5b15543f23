//! Hand-written runtime: placeholder until the runtime lands.
