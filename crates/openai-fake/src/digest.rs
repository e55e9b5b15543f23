//! md5 as the API spells it: 32 lowercase hex digits.

use md5::{Digest, Md5};

/// Hashes bytes that arrive in pieces.
#[derive(Default)]
pub(crate) struct Md5Hex(Md5);

impl Md5Hex {
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// Lowercase hex.
    pub fn finish(self) -> String {
        self.0
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_hash_as_the_whole() {
        let mut md5 = Md5Hex::default();
        md5.update(b"a");
        md5.update(b"bc");
        assert_eq!(md5.finish(), "900150983cd24fb0d6963f7d28e17f72");
    }
}
